"""Machine checks of a table of reported regression results (the ``reported_results.csv`` format).

Each ``check_*`` function takes such a table and returns tidy findings, one row per thing checked, with the columns
:data:`FINDING_COLUMNS` (``row_id, check, table, column, outcome, term, reported, implied, difference, gap,
consistent, status, marginal, finding, note``). ``reported`` is the number as printed, ``implied`` what arithmetic
or an identity says it should be, ``gap`` how far apart they stay once every printed number is allowed its rounding.
``status`` is one word: "consistent", "boundary", "inconsistent" (tested rows), "info", "samples differ" or
"unexplained" (untested rows). Every test states its premise; a failed test says the printed numbers cannot all
hold *under that premise*, not why, and the note names what could explain it innocently.

Rows are then grouped into independent findings (:func:`independent_findings`), which is what the headline counts.

Modules: ``stars`` (stars against coef/SE), ``aggregation`` (Pro against its sub-indices; SE bound),
``rescaling`` (the per-dimension rescaling linear program), ``panel`` (N and R²), ``checks`` (IV, moderation,
intercepts, SEs across columns), ``claims`` (the text's numbers), ``findings`` (run all, group, summarise),
``prose`` (sentences for the chapter).
"""

from __future__ import annotations

from ..errors import NQPInputError
from ..paths import PAPER_DIR
from ._common import (
    FINDING_COLUMNS,
    INDEX_OUTCOMES,
    MARGINAL_GAP,
    ROUND,
    SUB_INDICES,
    TESTED,
    dimension_weights,
    row_id,
)
from .aggregation import AGG_PREMISE, check_linear_aggregation, se_bound_rows
from .checks import (
    check_constants,
    check_iv_vs_ols,
    check_moderation_main_effects,
    check_se_consistency,
)
from .claims import (
    TEXT_CLAIM_COLUMNS,
    TEXT_CLAIM_UNITS,
    amplification_claims,
    text_claims,
)
from .findings import (
    CHECKS,
    STRENGTHS,
    SUMMARY_COLUMNS,
    assign_findings,
    headline,
    independent_findings,
    run_all,
    summary,
)
from .heterogeneity import check_heterogeneity_claims, heterogeneity_claim_values
from .panel import DEFAULT_NESTED, adjusted_r2_fall, check_r2, check_sample_sizes
from .rescaling import min_violation, violation
from .stars import check_stars

__all__ = [
    "AGG_PREMISE",
    "CHECKS",
    "DEFAULT_NESTED",
    "FINDING_COLUMNS",
    "INDEX_OUTCOMES",
    "MARGINAL_GAP",
    "PAPER_DIR",
    "ROUND",
    "STRENGTHS",
    "SUB_INDICES",
    "SUMMARY_COLUMNS",
    "TESTED",
    "TEXT_CLAIM_COLUMNS",
    "TEXT_CLAIM_UNITS",
    "NQPInputError",
    "adjusted_r2_fall",
    "amplification_claims",
    "assign_findings",
    "check_constants",
    "check_heterogeneity_claims",
    "check_iv_vs_ols",
    "check_linear_aggregation",
    "check_moderation_main_effects",
    "check_r2",
    "check_sample_sizes",
    "check_se_consistency",
    "check_stars",
    "dimension_weights",
    "headline",
    "heterogeneity_claim_values",
    "independent_findings",
    "min_violation",
    "row_id",
    "run_all",
    "se_bound_rows",
    "summary",
    "text_claims",
    "violation",
]


def __getattr__(name):
    # Backward compatibility: the claims used to be typed here; they now live in data/paper/text_claims.csv.
    if name == "PAPER_TEXT_AMPLIFICATION":
        return amplification_claims()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
