"""The EHEC Medicaid-expansion example of HonestDiD's README (data shipped with moderndid, no network).

Non-staggered subset as in the README: years < 2016, states expanding in 2015 dropped, treated = expansion in 2014;
TWFE event study by the project's :func:`event_study` (e = -6..-2 pre, reference e = -1 (2013), e = 0, 1 post; CR1
by state, equal to fixest/pyfixest ``CRV1``)."""

import numpy as np


def ehec_event_study():
    from moderndid import load_ehec

    from nqp_helpers.estimators.event_study import event_study

    df = load_ehec().to_pandas()
    df = df[(df["year"] < 2016) & (df["yexp2"].isna() | (df["yexp2"] != 2015))].copy()
    df["first_treat"] = np.where(df["yexp2"] == 2014, 2014, 0)
    return event_study(df, "dins", unit="stfips", leads=6, lags=1)
