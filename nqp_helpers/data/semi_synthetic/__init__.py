"""Semi-synthetic panel: the real skeleton, simulated indicators with **both potential outcomes** and a known truth.

The data-generating process is described step by step on the book page ``book/semi_synthetic_dgp.md`` (also
returned by ``dgp_description()``). Modules: ``parameters`` (the DGP's constants), ``calibration`` (targets from
the paper's reported numbers), ``skeleton`` (skeleton-only preparation, cached), ``covariates`` (steps 1-4),
``outcomes`` (step 5, Y(0)), ``parallel`` (parallel trends by construction: the cohort fixed-point solver),
``effects`` and ``moderation`` (step 6), ``dgp`` (``simulate_panel``, ``reweight_index``), ``truth``
(``true_effects``; ``true_value`` / ``true_values`` look a true effect up). Figure-1 subgroups live in
``nqp_helpers.data.attributes``.
"""

from __future__ import annotations

from ...paths import BOOK_DIR
from ...variables import CONTROLS, MODERATORS
from ..attributes import HUB_LEVELS, innovation_tercile, size_group, subgroups
from .calibration import default_targets
from .dgp import reweight_index, simulate_panel
from .moderation import moderation_projection
from .parameters import DEFAULT_SEED, MODERATION_MODES, SCENARIOS
from .skeleton import PreparedSkeleton, prepare_skeleton
from .truth import true_effects, true_value, true_values, truth_table

DGP_PAGE = BOOK_DIR / "semi_synthetic_dgp.md"

__all__ = [
    "CONTROLS",
    "DEFAULT_SEED",
    "DGP_PAGE",
    "HUB_LEVELS",
    "MODERATION_MODES",
    "MODERATORS",
    "SCENARIOS",
    "PreparedSkeleton",
    "default_targets",
    "dgp_description",
    "innovation_tercile",
    "moderation_projection",
    "prepare_skeleton",
    "reweight_index",
    "simulate_panel",
    "size_group",
    "subgroups",
    "true_effects",
    "true_value",
    "true_values",
    "truth_table",
]


def dgp_description() -> str:
    """The DGP as markdown: the book page's steps under a level-2 heading, with the default calibration targets
    (read from the paper's reported numbers) stated first."""
    body = DGP_PAGE.read_text(encoding="utf-8").split("\n## Data-generating process\n", 1)[1]
    t = default_targets()
    head = (
        "## The semi-synthetic data-generating process\n\n"
        f"Default calibration targets (true ATT, index units): Lab {t['Lab']}, Mea {t['Mea']}, Obj {t['Obj']} "
        "(the paper's Table 2, columns 4, 6 and 8).\n\n"
    )
    return head + body.lstrip("\n")
