"""A train/validation split: which points the knobs are fitted to, and which are held out to judge them.

A split is a rule, not a list of indices: ``Split(fraction, seed)`` applies to a dataset of any size,
so it survives data edits and is saved in two numbers.  The held-out points are the ``n_val`` points
with the smallest of ``n`` seeded uniform keys (``np.random.default_rng(seed).random(n)``), which is
the first ``n_val`` entries of a seeded random permutation.  Keys, rather than ``permutation(n)``,
because the key stream is a prefix: appending a point keeps every existing key, so an added point
changes the role of at most one existing point instead of reshuffling them all.

Sizes: ``n_val = round(fraction · n)`` (Python's rounding: halves go to the even number), then
clamped so that at least one point trains and, when there are two or more points, at least one is held
out.  So n = 0 gives two empty sets, n = 1 trains on its single point and holds out none, and n = 2
always splits 1 + 1.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# The app's control offers 1–90 % (as whole percents, 0 meaning no split), and a session may hold no
# other share: a share it would show as "off" or as 90 % would misstate the split.  Any 0 < f < 1 is
# valid for the core.
MIN_FRACTION, MAX_FRACTION = 0.01, 0.9
# Largest seed: what the window's seed box (a 32-bit QSpinBox) can show, so every split a session holds
# can also be shown and edited there; the session reader applies the same limit.
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Split:
    """Hold out ``fraction`` of the points (0 < fraction < 1) for validation, chosen by ``seed``
    (0 ≤ seed ≤ ``MAX_SEED``)."""

    fraction: float
    seed: int = 0

    def __post_init__(self) -> None:
        fraction = self.fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.integer, np.floating)):
            raise ValueError(f"validation fraction must be a number between 0 and 1, got {fraction!r}")
        fraction = float(fraction)
        if not (math.isfinite(fraction) and 0.0 < fraction < 1.0):
            raise ValueError(
                f"validation fraction must be between 0 and 1 (exclusive), got {fraction!r}: "
                "hold out a share such as 0.2 for 20 %"
            )
        seed = self.seed
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"split seed must be a whole number of 0 or more, got {seed!r}")
        if int(seed) < 0:
            raise ValueError(f"split seed must be 0 or more, got {seed}")
        if int(seed) > MAX_SEED:
            raise ValueError(f"split seed must be at most {MAX_SEED} (2^31 − 1), got {seed}: choose a smaller seed")
        object.__setattr__(self, "fraction", fraction)
        object.__setattr__(self, "seed", int(seed))

    def validation_size(self, n: int) -> int:
        """How many of ``n`` points are held out (the rule in the module docstring)."""
        n = _count(n)
        if n < 2:
            return 0
        return min(max(round(self.fraction * n), 1), n - 1)

    def indices(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(train_idx, val_idx): sorted, disjoint, together 0..n−1; read-only, same for the same n."""
        return _indices(self.fraction, self.seed, _count(n))

    def mask(self, n: int) -> np.ndarray:
        """A boolean array of length ``n``, True for the held-out (validation) points."""
        mask = np.zeros(_count(n), dtype=bool)
        mask[self.indices(n)[1]] = True
        return mask


def _count(n) -> int:
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"the number of points must be a whole number, got {n!r}") from None
    if n < 0:
        raise ValueError(f"the number of points must be 0 or more, got {n}")
    return n


@lru_cache(maxsize=4)  # a million points take ~20 ms; the document asks for the same split repeatedly
def _indices(fraction: float, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    n_val = Split(fraction, seed).validation_size(n)
    mask = np.zeros(n, dtype=bool)
    if n_val:
        keys = np.random.default_rng(seed).random(n)
        # The n_val smallest keys (O(n)); ties would need equal doubles from the generator.
        mask[np.argpartition(keys, n_val - 1)[:n_val]] = True
    train, val = np.flatnonzero(~mask), np.flatnonzero(mask)
    train.flags.writeable = False
    val.flags.writeable = False
    return train, val
