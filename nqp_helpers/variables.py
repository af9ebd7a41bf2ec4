"""The paper's variable groups, in one place: every module and chapter imports them from here."""

from __future__ import annotations

OUTCOMES = ("Pro", "Lab", "Mea", "Obj")  # the composite index and its three sub-indices (Tables 2-7)
SUBINDICES = OUTCOMES[1:]
TREATMENT = ("first_treat", "Inn")
CONTROLS = ("Eco", "Gov", "Fix", "Fin", "Tra", "Ope")  # the paper's six controls
MODERATORS = ("Hum", "Dig", "Ind")  # Tables 5, 6, 7
MODERATOR_TABLES = dict(zip(MODERATORS, (5, 6, 7)))  # moderator -> the paper's table
INSTRUMENTS = ("iv_ntl", "iv_lzh")  # Table 4's shift-share instruments
HETEROGENEITY = ("size_class", "admin_level", "old_industrial_base")  # Figure 1's splits with a column each

# Grouped for the banner of the real track (which of the paper's variables a panel has).
PAPER_VARIABLES = {
    "index": OUTCOMES,
    "treatment": TREATMENT,
    "controls": CONTROLS,
    "moderators": MODERATORS,
    "instruments": INSTRUMENTS,
    "heterogeneity": HETEROGENEITY,
}
