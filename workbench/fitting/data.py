"""Datasets: immutable (x, y) points, loaded from and saved to text files without losing a digit."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.fitting.atomic import atomic_write_text
from workbench.fitting.table import DataError, PathLike, Table, read_table

__all__ = ["DataError", "Dataset", "Table", "read_table", "load_dataset", "save_dataset"]


def _frozen_points(values: object, what: str) -> np.ndarray:
    """Copy `values` into a read-only finite 1-D float64 array, so no caller can change a dataset later."""
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} must be numbers ({exc})") from None
    if arr.ndim != 1:
        raise DataError(f"{what} must be a 1-D sequence of numbers, not an array of shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise DataError(f"{what}[{bad[0]}] is {arr[bad[0]]}, not a finite number")
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Dataset:
    """Immutable (x, y) points: every edit returns a new Dataset, so undo is just keeping the old one."""

    x: np.ndarray
    y: np.ndarray
    name: str = ""

    def __post_init__(self) -> None:
        x, y = _frozen_points(self.x, "x"), _frozen_points(self.y, "y")
        if x.size != y.size:
            raise DataError(f"x has {x.size} values but y has {y.size}: every point needs both")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.x.size)

    def __len__(self) -> int:
        return self.n

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return (self.name == other.name and np.array_equal(self.x, other.x)
                and np.array_equal(self.y, other.y))

    def __hash__(self) -> int:
        # + 0.0 turns -0.0 into 0.0, which compare equal and so must hash equal.
        return hash((self.name, (self.x + 0.0).tobytes(), (self.y + 0.0).tobytes()))

    @property
    def x_range(self) -> tuple[float, float]:
        """Smallest and largest x, the span a fitted curve is drawn over."""
        if not self.n:
            raise DataError("an empty dataset has no x range")
        return float(self.x.min()), float(self.x.max())

    def with_point(self, x: float, y: float) -> Dataset:
        """A copy with the point (x, y) appended."""
        return self.with_points([x], [y])

    def with_points(self, xs: Sequence[float] | np.ndarray, ys: Sequence[float] | np.ndarray) -> Dataset:
        """A copy with the points (xs[k], ys[k]) appended in order."""
        xs, ys = _frozen_points(xs, "xs"), _frozen_points(ys, "ys")
        return Dataset(np.concatenate([self.x, xs]), np.concatenate([self.y, ys]), self.name)

    def without_point(self, i: int) -> Dataset:
        """A copy with point i removed (negative i counts from the end, as for lists)."""
        i = self._index(i)
        return Dataset(np.delete(self.x, i), np.delete(self.y, i), self.name)

    def with_point_moved(self, i: int, x: float, y: float) -> Dataset:
        """A copy with point i moved to (x, y), keeping its position in the order."""
        i = self._index(i)
        xs, ys = self.x.copy(), self.y.copy()
        xs[i], ys[i] = x, y
        return Dataset(xs, ys, self.name)

    def _index(self, i: int) -> int:
        i = operator.index(i)
        if not -self.n <= i < self.n:
            raise IndexError(f"point index {i} is out of range for a dataset of {self.n} points")
        return i % self.n


def load_dataset(path: PathLike, *, x_column: int = 0, y_column: int = 1, min_points: int = 1) -> Dataset:
    """Read two columns of a data file as a Dataset named after the file (column indices are 0-based)."""
    table = read_table(path)
    nrows, ncols = table.values.shape
    if ncols < 2:
        raise DataError("only 1 column found, but a dataset needs an x column and a y column "
                        "(write each point as x,y like 1.5,2.0)", path=path)
    for role, index in (("x", x_column), ("y", y_column)):
        if not 0 <= operator.index(index) < ncols:
            raise DataError(f"{role} column index {index} is out of range: the file has {ncols} columns "
                            f"(indices 0 to {ncols - 1})", path=path)
    if nrows < min_points:
        raise DataError(f"fewer points than needed: found {nrows}, need at least {min_points}", path=path)
    return Dataset(table.values[:, x_column], table.values[:, y_column], name=Path(path).stem)


def save_dataset(dataset: Dataset, path: PathLike) -> None:
    """Write an 'x,y' CSV that re-imports to identical floats, atomically (the old file survives errors)."""
    if not dataset.n:
        raise DataError("nothing to save: the dataset has no points", path=path)
    # repr() of a Python float is the shortest text that parses back to the very same float.
    rows = (f"{a!r},{b!r}" for a, b in zip(dataset.x.tolist(), dataset.y.tolist()))
    atomic_write_text(path, "\n".join(itertools.chain(["x,y"], rows)) + "\n")
