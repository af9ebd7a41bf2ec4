"""Helpers of the amplification chapter: within-city variance share and the two-world sentence."""
import numpy as np
import pandas as pd

from nqp_helpers.chapters.amplification import misleads_sentence, within_share


def test_within_share_by_hand():
    df = pd.DataFrame({"city_code": [1, 1, 2, 2], "M": [0.0, 2.0, 10.0, 12.0]})
    # total var = mean((x - 6)^2) = (36 + 16 + 16 + 36) / 4 = 26; within = mean(1) = 1
    assert np.isclose(within_share(df, "M"), 1 / 26)
    assert np.isnan(within_share(df.assign(M=1.0), "M"))


def test_misleads_sentence_uses_the_numbers():
    t = pd.DataFrame([dict(world="cell_level", moderator="Dig", estimate=0.08, std_error=0.03, truth=0.07,
                           regression_estimand=0.07, z=0.33, within_share=0.88),
                      dict(world="city_level", moderator="Dig", estimate=0.03, std_error=0.035, truth=0.19,
                           regression_estimand=0.06, z=-4.6, within_share=0.89)])
    s = misleads_sentence(t)
    assert "89% of its variance within cities" in s and "z = -4.6, outside 1.96" in s and "0.060" in s
    assert "not run" in misleads_sentence(t.iloc[:1])
