# Two commands: `make book` (venv + book) and `make test` (venv + book + whole test suite).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.stamp

.PHONY: help venv lint book test sync clean distclean

help:
	@echo "make venv       create/update .venv from requirements-lock.txt (no-op when current)"
	@echo "make book       build the book into _build/html (fails on any notebook error or Sphinx warning)"
	@echo "make lint       ruff: lint every Python file and check the library's formatting (settings in pyproject.toml)"
	@echo "make test       lint, build the book, then run the whole test suite (slow tests included)"
	@echo "make sync       write the .ipynb twins of notebooks/*.py (jupytext --sync)"
	@echo "make clean      remove _build, results and the .ipynb twins (keeps runs/ and .venv)"
	@echo "make distclean  clean + remove .venv"

venv: $(STAMP)

# Re-installs only when the lock file or pyproject.toml changed since the last install.
$(STAMP): requirements-lock.txt pyproject.toml
	@if [ ! -x "$(PY)" ]; then \
	  if command -v python3.11 >/dev/null 2>&1; then boot=python3.11; \
	  elif command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then boot=python3; \
	  else echo "error: Python 3.11 is required (neither python3.11 nor a python3 of version 3.11 was found)" >&2; exit 1; fi; \
	  echo "creating $(VENV) with $$boot"; \
	  "$$boot" -m venv "$(VENV)"; \
	fi
	"$(PY)" -m pip install --upgrade pip
	"$(PY)" -m pip install -r requirements-lock.txt
	"$(PY)" -m pip install -e . --no-deps
	touch "$(STAMP)"

# --strict: Sphinx -W --keep-going (every warning is an error, all reported at once); see _config.yml for the
# warnings that are deliberately suppressed and why.
book: venv
	"$(VENV)/bin/nqp" build --strict

# Lint first: it takes a second and fails before the long build. `ruff check --fix . && ruff format .` repairs most findings.
lint: venv
	"$(VENV)/bin/ruff" check .
	"$(VENV)/bin/ruff" format --check .

test: venv lint book
	"$(PY)" -m pytest

sync: venv
	"$(VENV)/bin/jupytext" --sync notebooks/*.py

clean:
	rm -rf _build results .pytest_cache
	rm -f notebooks/*.ipynb

distclean: clean
	rm -rf "$(VENV)"
