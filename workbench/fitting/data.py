"""Datasets: immutable (x, y) points with optional uncertainties σ, loaded from and saved to text files
without losing a digit.

σ (one standard deviation per y value) turns a fit into weighted least squares with weights 1/σ²: a
point known to ±0.1 counts a hundred times as much as one known to ±1.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.fitting.atomic import atomic_write_text
from workbench.fitting.table import DataError, PathLike, Table, read_table

__all__ = ["DataError", "Dataset", "Table", "read_table", "load_dataset", "save_dataset", "first_bad_sigma"]


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


def _frozen_sigma(values: object, what: str) -> np.ndarray:
    """Like ``_frozen_points``, and every σ must be usable as a weight 1/σ² (see ``first_bad_sigma``)."""
    arr = _frozen_points(values, what)
    problem = first_bad_sigma(arr)
    if problem is not None:
        raise DataError(f"{what}[{problem[0]}] = {problem[1]}; fix the value, or drop σ to fit without weights")
    return arr


@dataclass(frozen=True, eq=False)
class Dataset:
    """Immutable (x, y) points, optionally with a σ per point: every edit returns a new Dataset, so undo is
    just keeping the old one."""

    x: np.ndarray
    y: np.ndarray
    name: str = ""
    sigma: np.ndarray | None = None

    def __post_init__(self) -> None:
        x, y = _frozen_points(self.x, "x"), _frozen_points(self.y, "y")
        if x.size != y.size:
            raise DataError(f"x has {x.size} values but y has {y.size}: every point needs both")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        if self.sigma is not None:
            sigma = _frozen_sigma(self.sigma, "sigma")
            if sigma.size != x.size:
                raise DataError(
                    f"sigma has {sigma.size} values but there are {x.size} points: give one σ per point, or none at all"
                )
            object.__setattr__(self, "sigma", sigma)

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.x.size)

    def __len__(self) -> int:
        return self.n

    @property
    def weights(self) -> np.ndarray | None:
        """1/σ² per point (the weights of weighted least squares), or None for an unweighted dataset."""
        if self.sigma is None:
            return None
        w = 1.0 / (self.sigma * self.sigma)
        w.flags.writeable = False
        return w

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        if (self.sigma is None) != (other.sigma is None):
            return False
        return (
            self.name == other.name
            and np.array_equal(self.x, other.x)
            and np.array_equal(self.y, other.y)
            and (self.sigma is None or np.array_equal(self.sigma, other.sigma))
        )

    def __hash__(self) -> int:
        # + 0.0 turns -0.0 into 0.0, which compare equal and so must hash equal (σ > 0 has no -0.0).
        sigma = None if self.sigma is None else self.sigma.tobytes()
        return hash((self.name, (self.x + 0.0).tobytes(), (self.y + 0.0).tobytes(), sigma))

    @property
    def x_range(self) -> tuple[float, float]:
        """Smallest and largest x, the span a fitted curve is drawn over."""
        if not self.n:
            raise DataError("an empty dataset has no x range")
        return float(self.x.min()), float(self.x.max())

    @property
    def default_sigma(self) -> float:
        """The σ a point added without one receives: the median of the existing σ (1.0 when there are none).

        The median keeps a new point's weight typical of the data, so one click in the plot neither
        dominates the fit nor vanishes from it.
        """
        return float(np.median(self.sigma)) if self.sigma is not None and self.sigma.size else 1.0

    def with_point(self, x: float, y: float, sigma: float | None = None) -> Dataset:
        """A copy with the point (x, y) appended (σ: ``sigma``, else ``default_sigma`` if weighted)."""
        return self.with_points([x], [y], None if sigma is None else [sigma])

    def with_points(
        self,
        xs: Sequence[float] | np.ndarray,
        ys: Sequence[float] | np.ndarray,
        sigmas: Sequence[float] | np.ndarray | None = None,
    ) -> Dataset:
        """A copy with the points (xs[k], ys[k]) appended in order.

        On a weighted dataset each new point gets ``sigmas[k]``, or ``default_sigma`` when ``sigmas`` is
        None.  An unweighted dataset refuses ``sigmas`` (use ``with_sigma`` to give every point a σ).
        """
        xs, ys = _frozen_points(xs, "xs"), _frozen_points(ys, "ys")
        if xs.size != ys.size:
            raise DataError(f"xs has {xs.size} values but ys has {ys.size}: every point needs both")
        sigma = None
        if sigmas is not None:
            if self.sigma is None:
                raise DataError(
                    "σ given for new points, but this dataset has no σ column: give every point "
                    "a σ first (with_sigma), or add the points without σ"
                )
            added = _frozen_sigma(sigmas, "sigmas")
            if added.size != xs.size:
                raise DataError(f"sigmas has {added.size} values for {xs.size} new points: give one σ per point")
            sigma = np.concatenate([self.sigma, added])
        elif self.sigma is not None:
            sigma = np.concatenate([self.sigma, np.full(xs.size, self.default_sigma)])
        return Dataset(np.concatenate([self.x, xs]), np.concatenate([self.y, ys]), self.name, sigma)

    def without_point(self, i: int) -> Dataset:
        """A copy with point i removed (negative i counts from the end, as for lists)."""
        i = self._index(i)
        sigma = None if self.sigma is None else np.delete(self.sigma, i)
        return Dataset(np.delete(self.x, i), np.delete(self.y, i), self.name, sigma)

    def with_point_moved(self, i: int, x: float, y: float) -> Dataset:
        """A copy with point i moved to (x, y), keeping its position in the order and its σ."""
        i = self._index(i)
        xs, ys = self.x.copy(), self.y.copy()
        xs[i], ys[i] = x, y
        return Dataset(xs, ys, self.name, self.sigma)

    def with_sigma(self, sigma: Sequence[float] | np.ndarray | None) -> Dataset:
        """A copy with σ replaced: one positive finite value per point, or None for no weights."""
        return Dataset(self.x, self.y, self.name, sigma)

    def _index(self, i: int) -> int:
        i = operator.index(i)
        if not -self.n <= i < self.n:
            raise IndexError(f"point index {i} is out of range for a dataset of {self.n} points")
        return i % self.n


def load_dataset(
    path: PathLike, *, x_column: int = 0, y_column: int = 1, sigma_column: int | None = None, min_points: int = 1
) -> Dataset:
    """Read the x, y (and optionally σ) columns of a data file as a Dataset named after the file.

    Column indices are 0-based.  Every σ must be greater than 0; the first one that is not is reported
    with its line and column in the file.
    """
    for role, index in (("x", x_column), ("y", y_column), ("σ", sigma_column)):
        if index is not None or role != "σ":
            _check_column_index(role, index, path)
    table = read_table(path)
    nrows, ncols = table.values.shape
    if ncols < 2:
        raise DataError(
            "only 1 column found, but a dataset needs an x column and a y column "
            "(write each point as x,y like 1.5,2.0)",
            path=path,
        )
    roles = (("x", x_column), ("y", y_column)) + ((("σ", sigma_column),) if sigma_column is not None else ())
    for role, index in roles:
        if not 0 <= operator.index(index) < ncols:
            raise DataError(
                f"{role} column index {index} is out of range: the file has {ncols} columns (indices 0 to {ncols - 1})",
                path=path,
            )
    if sigma_column is not None and sigma_column in (x_column, y_column):
        role = "x" if sigma_column == x_column else "y"
        raise DataError(
            f"σ column index {sigma_column} is also the {role} column: choose the column that "
            "holds each point's uncertainty",
            path=path,
        )
    if nrows < min_points:
        raise DataError(f"fewer points than needed: found {nrows}, need at least {min_points}", path=path)
    sigma = None
    if sigma_column is not None:
        sigma = table.values[:, sigma_column]
        problem = first_bad_sigma(sigma)
        if problem is not None:
            raise _sigma_error(path, table, problem, sigma_column)
    return Dataset(table.values[:, x_column], table.values[:, y_column], Path(path).stem, sigma)


def _check_column_index(role: str, index: object, path: PathLike) -> None:
    """A column choice must be a whole number (0-based), not text, a fraction or None."""
    try:
        if isinstance(index, bool):  # True would index as 1, or as a mask (an array of the wrong shape)
            raise TypeError
        operator.index(index)
    except TypeError:
        raise DataError(
            f"the {role} column index {index!r} is not a whole number: give the column's 0-based "
            "position, such as 0 for the first column",
            path=path,
        ) from None


def _sigma_error(path: PathLike, table: Table, problem: tuple[int, str], column: int) -> DataError:
    """Name the file line of the first unusable σ (re-reading the lines: this runs only when loading fails)."""
    from workbench.fitting.table import _content_lines, _read_lines

    row, what = problem
    _, linenos = _content_lines(_read_lines(Path(path), str(path)))
    reason = f"σ in column {table.names[column]!r} = {what}; fix the value, or open the file without a σ column"
    return DataError(reason, path=path, line=linenos[row + int(table.has_header)], column=column + 1)


def save_dataset(dataset: Dataset, path: PathLike) -> None:
    """Write an 'x,y' (or 'x,y,sigma') CSV that re-imports to identical floats, atomically (the old file
    survives errors)."""
    if not dataset.n:
        raise DataError("nothing to save: the dataset has no points", path=path)
    # repr() of a Python float is the shortest text that parses back to the very same float.
    if dataset.sigma is None:
        header = "x,y"
        rows = (f"{a!r},{b!r}" for a, b in zip(dataset.x.tolist(), dataset.y.tolist()))
    else:
        header = "x,y,sigma"
        rows = (f"{a!r},{b!r},{s!r}" for a, b, s in zip(dataset.x.tolist(), dataset.y.tolist(), dataset.sigma.tolist()))
    atomic_write_text(path, "\n".join(itertools.chain([header], rows)) + "\n")
