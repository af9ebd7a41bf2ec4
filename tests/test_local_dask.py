"""nqp_helpers.local_dask: the guide's command blocks are found by their marker, and a bad guide is refused.

Starting and stopping the processes is exercised by the `by_hand` fixture of tests/test_sweep.py.
"""

from __future__ import annotations

import pytest

from nqp_helpers.local_dask import GUIDE_ADDRESS, GUIDE_SCRATCH, guide_commands


def test_the_guide_blocks_parse():
    local = guide_commands("local")
    assert local and all(c[:2] == ["nqp", "sweep"] for c in local)
    by_hand = guide_commands("by-hand")
    assert [c[:2] for c in by_hand[:2]] == [["dask", "scheduler"], ["dask", "worker"]]
    assert GUIDE_ADDRESS in by_hand[1] and GUIDE_SCRATCH in by_hand[1] and "--nworkers" in by_hand[1]
    assert all(GUIDE_ADDRESS in c for c in by_hand[2:])


def test_comments_dropped_and_bad_guides_refused(tmp_path):
    guide = tmp_path / "g.md"
    guide.write_text("% tested-commands: x\n```bash\nnqp sweep a.yaml  # a comment\n\n```\n", encoding="utf-8")
    assert guide_commands("x", guide) == [["nqp", "sweep", "a.yaml"]]
    with pytest.raises(ValueError, match="no line"):
        guide_commands("y", guide)
    guide.write_text("% tested-commands: x\ntext\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must open a ```bash block"):
        guide_commands("x", guide)
