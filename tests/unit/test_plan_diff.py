"""The trimmed diff used for plans equals difflib's diff of the whole texts."""

from __future__ import annotations

import difflib
import random

import pytest

from pixfix.plan.model import _unified_diff


@pytest.mark.parametrize("seed", range(40))
def test_trimmed_diff_equals_the_full_diff(seed: int) -> None:
    rng = random.Random(seed)
    before = [f"access-list in extended permit tcp any host 10.0.0.{i} eq 25\n" for i in range(400)]
    for _ in range(25):
        old = before[: rng.randint(0, len(before))]
        new = list(old)
        for _ in range(rng.randint(0, 4)):
            at = rng.randint(0, len(new))
            if rng.random() < 0.5 or not new:
                new.insert(at, f"  inspect esmtp {rng.random()}\n")
            else:
                new.pop(min(at, len(new) - 1))
        want = "".join(
            difflib.unified_diff(old, new, fromfile="fw (running)", tofile="fw (predicted)")
        )
        assert _unified_diff("".join(old), "".join(new), "fw") == want
