"""The points in x order for the plots, kept up to date across one-point edits without sorting again.

Clip-to-view and the residual plot's framing need x sorted.  A stable argsort of 10⁶ unsorted x takes
0.1–0.2 s (2 s at 10⁷), too long for the window's thread on every added or moved point; an edit changes one
x, so the new order is the old one with one index taken out and one put back (binary searches and a copy).
Pure NumPy: the result is always exactly ``np.argsort(x, kind="stable")`` and ``x[that order]``.
"""

from __future__ import annotations

import numpy as np


def _bits(x: np.ndarray) -> np.ndarray:
    """x as its bit patterns: equal only when identical (−0.0 and 0.0 differ; the data hold no NaN)."""
    return x.view(np.uint64)


class XOrder:
    """Remembers the stable x order of the last x it was given, and derives the next one from it when the new
    x is the old with one point added (anywhere), removed or changed; otherwise it sorts."""

    def __init__(self):
        self._x: np.ndarray | None = None
        self._order: np.ndarray | None = None  # None: x was in order already (the order is 0, 1, 2, …)
        self._sorted: np.ndarray | None = None
        self.sorts = 0  # full sorts so far (what the derivation saves; for tests)

    def forget(self) -> None:
        """Let go of the last x and its order (the data are gone)."""
        self._x = self._order = self._sorted = None

    def of(self, x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(order, x in that order) of a 1-D float64 array; order is None when x is sorted already (then the
        sorted x is ``x`` itself).  The arrays returned are never changed later: keep them as they are."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is not None and x is self._x:
            assert self._sorted is not None
            return self._order, self._sorted
        derived = self._derived(x)
        if derived is None:
            if not np.any(x[1:] < x[:-1]):
                derived = None, x
            else:
                self.sorts += 1
                order = np.argsort(x, kind="stable")
                derived = order, x[order]
        self._x, (self._order, self._sorted) = x, derived
        return derived

    # -- one point's difference ----------------------------------------------------------------------------------
    def _derived(self, x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray] | None:
        old, last_sorted = self._x, self._sorted
        if old is None or last_sorted is None or old.size < 2 or abs(x.size - old.size) > 1:
            return None
        if x.size == old.size:
            changed = np.flatnonzero(_bits(x) != _bits(old))
            if changed.size == 0:
                return self._order, last_sorted if self._order is not None else x
            if changed.size > 1:
                return None
            i = int(changed[0])
            order, ordered = self._without(i)
            return self._with(order, ordered, i, x)
        if x.size == old.size + 1:  # a point added (at the end), or put back (an undone removal)
            added = self._removed_index(old, x)
            if added is None:
                return None
            order = self._order
            if order is not None:
                order = order + (order >= added)  # the indices from the new point's on move up by one
            return self._with(order, last_sorted, added, x)
        removed = self._removed_index(x, old)
        if removed is None:
            return None
        order, ordered = self._without(removed)
        if order is not None:
            order = order - (order > removed)  # the indices after the removed point move down by one
        return order, ordered if order is not None else x

    @staticmethod
    def _removed_index(fewer: np.ndarray, more: np.ndarray) -> int | None:
        """The i with fewer == more without point i, or None when it is not that."""
        differ = np.flatnonzero(_bits(fewer) != _bits(more[:-1]))
        i = int(differ[0]) if differ.size else fewer.size
        return i if np.array_equal(_bits(fewer[i:]), _bits(more[i + 1 :])) else None

    def _position(self, order: np.ndarray | None, ordered: np.ndarray, value: float, index: int) -> int:
        """Where point ``index`` of x value ``value`` stands in a stable order (ties stay in index order)."""
        lo, hi = np.searchsorted(ordered, value, side="left"), np.searchsorted(ordered, value, side="right")
        if order is None:  # the identity order: the tied points are indices lo … hi − 1
            return int(np.clip(index, lo, hi))
        return int(lo + np.searchsorted(order[lo:hi], index))

    def _without(self, i: int) -> tuple[np.ndarray | None, np.ndarray]:
        """The last order and sorted x with point i taken out (its index i is then absent from the order)."""
        old, order, ordered = self._x, self._order, self._sorted
        assert old is not None and ordered is not None
        p = self._position(order, ordered, float(old[i]), i)
        if order is None:  # sorted x minus one point is still sorted; the caller renumbers
            return None, np.delete(ordered, p)
        return np.delete(order, p), np.delete(ordered, p)

    def _with(
        self, order: np.ndarray | None, ordered: np.ndarray, i: int, x: np.ndarray
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """``order`` (without index i) and its sorted x, with point i of value x[i] put in its place.

        ``order`` None stands for the identity order without i: index k < i stands at k, index k > i at k − 1.
        """
        value = float(x[i])
        if order is None:  # put back where it stood, the order is the identity again
            lo, hi = np.searchsorted(ordered, value, side="left"), np.searchsorted(ordered, value, side="right")
            if lo <= i <= hi:
                return None, x
            order = np.arange(x.size, dtype=np.intp)
            order = np.delete(order, i)
        q = self._position(order, ordered, value, i)
        return np.insert(order, q, i), np.insert(ordered, q, value)
