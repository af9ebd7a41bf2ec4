"""Are the printed significance stars what coefficient / standard error gives?

The paper's notes say only "括号内为稳健标准误" (robust standard errors in parentheses): they do not say whether the
standard errors are clustered, nor which reference distribution the stars use. This check therefore accepts the
printed stars if the normal *or* t(G - 1) gives them (G = 278 cities is the audit's own assumption, the usual
convention for city-clustered standard errors); the two differ little at 277 degrees of freedom.
"""

from __future__ import annotations

import pandas as pd
from scipy import stats as st

from ..reported import n_stars, stars
from ._common import INTERCEPT, _data, _frame, _row, _status

ALPHA = {1: 0.10, 2: 0.05, 3: 0.01}  # stars -> two-sided level, as in the paper's notes (*, **, *** at 10/5/1%)


def _star_gap(b: float, s: float, printed: int, implied: tuple[int, int], h: float, dof: int) -> float:
    """How far (in coefficient units) the printed |coef| is from a value that would give the printed stars,
    with the SE at the most favourable end of its rounding; <= 0 when some rounding gives them."""
    lo_k, hi_k = implied
    if printed > hi_k:  # too many stars: needs z >= normal critical value of the printed level
        return st.norm.isf(ALPHA[printed] / 2) * (s - h) - (abs(b) + h)
    if printed < lo_k:  # too few: needs z below the t critical value of the next level
        return (abs(b) - h) - st.t.isf(ALPHA[printed + 1] / 2, dof) * (s + h)
    return 0.0


def check_stars(
    df: pd.DataFrame | None = None, df_resid: int | None = None, n_clusters: int = 278, decimals: int = 3
) -> pd.DataFrame:
    """Are the printed stars what coef/SE gives?

    The ratio z = coef/se is referred to the normal and to t with ``df_resid`` (default G - 1 = ``n_clusters`` - 1 =
    277, the audit's assumption: the paper says only "robust") degrees of freedom; stars at 10/5/1% (two-sided).
    Because coef and se are rounded to ``decimals``, z is only known to lie in an interval; the printed stars are
    *consistent* if some z in that interval gives them under either reference distribution, *boundary* if the
    interval or the two distributions straddle a threshold. ``reported``/``implied`` are the number of stars printed
    / implied by t; ``gap`` is how far the coefficient would have to move (in printed units) to earn the printed stars.
    """
    df = _data(df)
    dof = n_clusters - 1 if df_resid is None else df_resid
    h = 0.5 * 10 ** (-decimals)
    rows = []
    for r in df.itertuples(index=False):
        z = r.coef / r.se
        b, s = abs(r.coef), r.se
        z_lo, z_hi = max(b - h, 0) / (s + h), (b + h) / max(s - h, 1e-12)
        p_n, p_t = 2 * st.norm.sf(abs(z)), 2 * st.t.sf(abs(z), dof)
        s_n, s_t = stars(p_n), stars(p_t)
        levels = [n_stars(stars(2 * dist.sf(zz))) for zz in (z_lo, z_hi) for dist in (st.norm, st.t(dof))]
        ok = bool(min(levels) <= n_stars(r.stars) <= max(levels))
        boundary = ok and max(levels) > min(levels)
        what = "intercept" if r.term == INTERCEPT else "coefficient"
        note = (
            f"{what.capitalize()} {r.coef:g} ({r.se:g}): z = {z:.3f} (rounding of the printed numbers allows "
            f"{z_lo:.3f} to {z_hi:.3f}); p normal = {p_n:.4f} -> '{s_n}', p t({dof}) = {p_t:.4f} -> '{s_t}'; "
            f"printed '{r.stars}'."
        )
        if boundary:
            note += " A star threshold falls inside the rounding interval or between normal and t."
        gap = _star_gap(r.coef, r.se, n_stars(r.stars), (min(levels), max(levels)), h, dof)
        if not ok:
            note += (
                f" No z in the rounding interval gives '{r.stars}' under the normal or t({dof}); the {what} "
                f"would have to be {gap:.3f} further out. Innocent readings: a typo in one digit or in the "
                f"stars, or a different SE than the one printed."
            )
        rows.append(
            _row(
                "stars",
                r.table,
                r.column,
                r.outcome,
                r.term,
                n_stars(r.stars),
                n_stars(s_t),
                ok,
                _status(ok, boundary),
                note,
                gap if not ok else min(gap, 0.0),
            )
        )
    return _frame(rows)
