"""Which uncertainties σ can weight a fit (weights 1/σ²), shared by datasets, tables and sessions."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["first_bad_sigma"]


def first_bad_sigma(sigma) -> tuple[int, str] | None:
    """The first σ that cannot weight a fit, as (index, "value is why"), or None when every σ is usable.

    A σ must be finite and > 0, and its weight 1/σ² a finite, non-zero double (about 1e-154 < σ < 1e154):
    beyond that a weight would be infinite or zero and the weighted fit meaningless.
    """
    arr = np.asarray(sigma, dtype=np.float64)
    with np.errstate(all="ignore"):
        weights = 1.0 / (arr * arr)
    bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0) & np.isfinite(weights) & (weights > 0)))
    if not bad.size:
        return None
    value = float(arr[bad[0]])
    if not math.isfinite(value):
        why = "not a finite number"
    elif value <= 0:
        why = "not greater than 0 (an uncertainty σ must be positive)"
    else:
        fate = "overflows to infinity" if value < 1 else "underflows to zero"
        why = (
            f"out of range: its weight 1/σ² {fate} in double precision (use σ between about 1e-154 and "
            "1e154, rescaling y and σ together)"
        )
    return int(bad[0]), f"{value!r} is {why}"
