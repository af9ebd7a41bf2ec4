"""nqp_helpers — a thin, tested library behind the nqp-replication book.

One way in for data (:func:`load_panel`), one shape out of estimators (tidy DataFrames). Names are imported lazily so
that ``import nqp_helpers`` stays fast and the command line starts quickly.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    # data
    "load_panel": "nqp_helpers.data.load",
    "validate_panel": "nqp_helpers.data.validate",
    "real_panel": "nqp_helpers.data.real_panel",
    "simulate_panel": "nqp_helpers.data.semi_synthetic",
    "true_effects": "nqp_helpers.data.semi_synthetic",
    "build_index": "nqp_helpers.index",
    # estimators of the paper
    "twfe": "nqp_helpers.estimators.twfe",
    "psm_did": "nqp_helpers.estimators.psm_did",
    "iv_twfe": "nqp_helpers.estimators.iv",
    "moderation": "nqp_helpers.estimators.moderation",
    "marginal_effects": "nqp_helpers.estimators.moderation",
    "subgroup_effects": "nqp_helpers.estimators.heterogeneity",
    "pooled_interaction_test": "nqp_helpers.estimators.heterogeneity",
    "permutation_test_equal_effects": "nqp_helpers.estimators.heterogeneity",
    # beyond the paper
    "event_study": "nqp_helpers.estimators.event_study",
    "pretrend_test": "nqp_helpers.estimators.event_study",
    "bacon_decomposition": "nqp_helpers.estimators.bacon",
    "callaway_santanna": "nqp_helpers.estimators.callaway_santanna",
    "sun_abraham": "nqp_helpers.estimators.sun_abraham",
    "imputation_did": "nqp_helpers.estimators.imputation",
    "honest_did": "nqp_helpers.estimators.honest_did",
    "placebo_test": "nqp_helpers.estimators.placebo",
    "wild_bootstrap": "nqp_helpers.estimators.wild_bootstrap",
    # the paper's numbers
    "reported_results": "nqp_helpers.reported",
    "NQPInputError": "nqp_helpers.errors",
    "PanelValidationError": "nqp_helpers.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nqp_helpers' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
