"""The ``nqp`` command: ``run``, ``params``, ``build``, ``data build``, ``sweep``.

nqp params notebooks/00_quickstart.py
nqp run notebooks/00_quickstart.py -p seed 7 -p data semi_synthetic [--runs-dir runs]
nqp build [--path .] [--strict]
nqp data build
nqp sweep sweeps/seeds.yaml [--scheduler tcp://host:8786] [--workers 2] [--runs-dir runs]
nqp verify [--track semi_synthetic|real] [--results DIR] [--update]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import NQPInputError


def _chapter(name) -> Path:
    """The chapter file for ``name`` (``paths.notebook_path``), with a note when ``name`` is a name from before the
    chapters were renamed (it still runs)."""
    from .paths import notebook_path

    path = notebook_path(name)
    if path.stem != Path(name).stem:
        print(f"note: {name} is now {path.relative_to(path.parent.parent)}", file=sys.stderr)
    return path


def _cmd_params(args) -> int:
    from .runner import declared_parameters, format_parameters

    print(format_parameters(declared_parameters(_chapter(args.notebook))))
    return 0


def _cmd_run(args) -> int:
    from .runner import RunFailed, run_notebook

    given: dict[str, str] = {}
    for key, value in args.param or []:
        if key in given:
            raise NQPInputError(f"parameter {key!r} given twice")
        given[key] = value
    notebook = _chapter(args.notebook)
    try:
        run_dir = run_notebook(notebook, given, runs_dir=args.runs_dir, from_cli=True, timeout=args.timeout)
    except RunFailed as exc:
        print(f"nqp run: FAILED\n{exc}", file=sys.stderr)
        return 1
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    print(f"ok in {manifest['wall_seconds']:.1f} s")
    print(f"run folder: {run_dir}")
    for item in manifest.get("results", []):
        print(f"  {item}")
    print(run_dir)
    return 0


def _cmd_build(args) -> int:
    from .book import BookBuildError, build_book

    try:
        html = build_book(args.path, strict=args.strict, all_files=args.all)
    except BookBuildError as exc:
        print(f"nqp build: {exc}", file=sys.stderr)
        return 1
    print(f"html: {html / 'index.html'}")
    return 0


def _cmd_data_build(args) -> int:
    try:
        from .data.build_processed import build_processed  # written in another issue; imported lazily
    except ImportError as exc:
        print(f"nqp data build: the data layer is not available ({exc})", file=sys.stderr)
        return 2
    manifest = build_processed()
    if isinstance(manifest, dict):
        for key, value in manifest.items():
            print(f"{key}: {value}")
    elif manifest is not None:
        print(manifest)
    return 0


def _cmd_sweep(args) -> int:
    from .sweep import cli_sweep

    return cli_sweep(args)


def _cmd_verify(args) -> int:
    from .verify import TRACK_RESULTS, format_results, update_reference, verify

    results = args.results if args.results is not None else TRACK_RESULTS[args.track]
    if args.update:
        written = update_reference(args.track, results)
        print(f"nqp verify: reference for track {args.track} rewritten from {results} ({len(written)} files)")
        return 0
    out = verify(args.track, results)
    print(format_results(out, args.track, results))
    return 0 if all(r.ok for r in out) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nqp", description="Executable replication of An, Huang & Li (2026).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "run",
        help="execute a notebook with parameters into runs/<stamp>-<name>/",
        description="Execute a notebook with papermill into a new run folder (executed notebook, "
        "results/, manifest.json). Unknown parameters or wrong types are rejected before "
        "anything runs. Values are Python/YAML literals (7, 0.5, true, None, 'text').",
    )
    p.add_argument(
        "notebook", type=Path, help="notebooks/NAME.py, or just NAME (names from before the rename work too)"
    )
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"), help="set a parameter")
    p.add_argument("--runs-dir", type=Path, default=None, help="parent folder of run folders (default: runs/)")
    p.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default: none)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("params", help="list a notebook's parameters (name, type, default, comment)")
    p.add_argument("notebook", type=Path)
    p.set_defaults(func=_cmd_params)

    p = sub.add_parser("build", help="build the book (fails on any notebook error)")
    p.add_argument("--path", type=Path, default=None, help="book root (default: the repository)")
    p.add_argument("--strict", action="store_true", help="treat every Sphinx warning as an error (-W --keep-going)")
    p.add_argument("--all", action="store_true", help="rewrite every page (notebooks still cached)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("data", help="data layer commands")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    d = dsub.add_parser("build", help="build data/processed from data/raw")
    d.set_defaults(func=_cmd_data_build)

    p = sub.add_parser(
        "sweep",
        help="run notebooks over a parameter grid on dask (resumable)",
        description="Run every parameter set of a YAML grid as one dask task (nqp_helpers.sweep); "
        "runs already completed ok with the same hash are skipped. Exit 1 if any failed.",
    )
    p.add_argument("grid", type=Path, help="sweeps/NAME.yaml")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="tcp://host:port of a running dask scheduler (default: a local cluster)",
    )
    p.add_argument("--workers", type=int, default=2, help="local worker processes (default 2; unused with --scheduler)")
    p.add_argument("--runs-dir", type=Path, default=None, help="parent folder of run folders (default: runs/)")
    p.add_argument("--sweep-dir", type=Path, default=None, help="index and summary (default: sweeps_out/<grid>/)")
    p.add_argument("--limit", type=int, default=None, help="submit at most this many of the runs still to do")
    p.add_argument(
        "--ship-code",
        action="store_true",
        help="send a wheel of nqp_helpers and data/ to the workers first (see book/sweeps.md)",
    )
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser(
        "verify",
        help="compare the build's exhibit tables with the committed reference (tolerance)",
        description="Compare every paper exhibit's result tables with data/reference/<track>/, cell by "
        "cell within the cross-machine tolerance (nqp_helpers.verify). Prints match / "
        "differs (max abs and rel diff, cells) / missing per exhibit; exit 1 on any "
        "difference. --update rewrites the reference from the results instead.",
    )
    p.add_argument(
        "--track",
        choices=["semi_synthetic", "real"],
        default="semi_synthetic",
        help="which track's results and reference (default semi_synthetic: results/ of make book)",
    )
    p.add_argument(
        "--results",
        type=Path,
        default=None,
        help="results folder to check (default: the track's build folder; or runs/<run>/results)",
    )
    p.add_argument("--update", action="store_true", help="rewrite the reference from the results (only when asked)")
    p.set_defaults(func=_cmd_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) == "build" and args.path is None:
        from .paths import REPO_ROOT

        args.path = REPO_ROOT
    try:
        return int(args.func(args) or 0)
    except NQPInputError as exc:
        print(f"nqp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early: not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
