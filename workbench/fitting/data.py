"""Datasets: immutable (x, y) points with optional uncertainties σ and the names of their columns,
loaded from and saved to text files without losing a digit.

σ (one standard deviation per y value) turns a fit into weighted least squares with weights 1/σ²: a
point known to ±0.1 counts a hundred times as much as one known to ±1.  An x column of dates is held as
decimal years (``workbench.fitting.dates``), with ``x_is_date`` set so that views can show dates.
"""

from __future__ import annotations

import itertools
import operator
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, SupportsIndex, cast

import numpy as np

from workbench.fitting.atomic import atomic_write_text
from workbench.fitting.number_format import Reading
from workbench.fitting.sigma import first_bad_sigma
from workbench.fitting.table import DataError, PathLike, Table
from workbench.fitting.table_cells import header_cell_reads_back
from workbench.fitting.table_reader import read_table
from workbench.fitting.table_select import Selection, select

__all__ = [
    "DataError",
    "Dataset",
    "LoadedDataset",
    "Table",
    "read_table",
    "read_dataset",
    "dataset_from_table",
    "load_dataset",
    "save_dataset",
    "first_bad_sigma",
]


# Arrays a table read for us and no one else can write: a dataset made of them may keep them as they are
# (the thread that set this builds one dataset, then clears it).  Saves a copy of every column of a file.
_adoptable = threading.local()


def _frozen_points(values: object, what: str) -> np.ndarray:
    """Copy `values` into a read-only finite 1-D float64 array, so no caller can change a dataset later."""
    # A column read for us (see ``dataset_from_table``) is read-only and has no writable view anywhere.
    adopted = any(values is given for given in getattr(_adoptable, "arrays", ()))
    try:  # an adopted value is one of those arrays
        arr = cast(np.ndarray, values) if adopted else np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} must be numbers ({exc})") from None
    if arr.ndim != 1:
        raise DataError(f"{what} must be a 1-D sequence of numbers, not an array of shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise DataError(f"{what}[{bad[0]}] is {arr[bad[0]]}, not a finite number")
    arr.flags.writeable = False
    return arr


def _frozen_sigma(values: object, what: str) -> np.ndarray:
    """Like ``_frozen_points``, and every σ must be usable as a weight 1/σ² (see ``first_bad_sigma``)."""
    arr = _frozen_points(values, what)
    problem = first_bad_sigma(arr)
    if problem is not None:
        raise DataError(f"{what}[{problem[0]}] = {problem[1]}; fix the value, or drop σ to fit without weights")
    return arr


@dataclass(frozen=True, eq=False)
class Dataset:
    """Immutable (x, y) points, optionally with a σ per point, and the names of their columns: every edit
    returns a new Dataset (keeping the names), so undo is just keeping the old one."""

    x: np.ndarray
    y: np.ndarray
    name: str = ""
    sigma: np.ndarray | None = None
    x_name: str = "x"  # the column names, for axes, table headers and exports
    y_name: str = "y"
    x_is_date: bool = False  # x holds decimal years read from dates (shown as dates)

    def __post_init__(self) -> None:
        for field_name in ("x_name", "y_name"):
            value = getattr(self, field_name)
            if not isinstance(value, str):
                raise DataError(f"{field_name} must be text, not {type(value).__name__}")
            object.__setattr__(self, field_name, value.strip() or field_name[0])
        if not isinstance(self.x_is_date, (bool, np.bool_)):
            raise DataError(f"x_is_date must be True or False, not {self.x_is_date!r}")
        object.__setattr__(self, "x_is_date", bool(self.x_is_date))
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
            and self._labels == other._labels
            and np.array_equal(self.x, other.x)
            and np.array_equal(self.y, other.y)
            and (self.sigma is None or (other.sigma is not None and np.array_equal(self.sigma, other.sigma)))
        )

    def __hash__(self) -> int:
        # + 0.0 turns -0.0 into 0.0, which compare equal and so must hash equal (σ > 0 has no -0.0).
        sigma = None if self.sigma is None else self.sigma.tobytes()
        return hash((self.name, self._labels, (self.x + 0.0).tobytes(), (self.y + 0.0).tobytes(), sigma))

    @property
    def _labels(self) -> tuple[str, str, bool]:
        return self.x_name, self.y_name, self.x_is_date

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
        return self._like(np.concatenate([self.x, xs]), np.concatenate([self.y, ys]), sigma)

    def without_point(self, i: int) -> Dataset:
        """A copy with point i removed (negative i counts from the end, as for lists)."""
        i = self._index(i)
        sigma = None if self.sigma is None else np.delete(self.sigma, i)
        return self._like(np.delete(self.x, i), np.delete(self.y, i), sigma)

    def with_point_moved(self, i: int, x: float, y: float) -> Dataset:
        """A copy with point i moved to (x, y), keeping its position in the order and its σ."""
        i = self._index(i)
        xs, ys = self.x.copy(), self.y.copy()
        xs[i], ys[i] = x, y
        return self._like(xs, ys, self.sigma)

    def with_sigma(self, sigma: Sequence[float] | np.ndarray | None) -> Dataset:
        """A copy with σ replaced: one positive finite value per point, or None for no weights."""
        return self._like(self.x, self.y, sigma)

    def _like(self, x, y, sigma) -> Dataset:
        """A dataset of other points with this one's name and column labels."""
        return Dataset(x, y, self.name, sigma, self.x_name, self.y_name, self.x_is_date)

    def _index(self, i: int) -> int:
        i = operator.index(i)
        if not -self.n <= i < self.n:
            raise IndexError(f"point index {i} is out of range for a dataset of {self.n} points")
        return i % self.n


@dataclass(frozen=True, eq=False)
class LoadedDataset:
    """A dataset read from a file, with what the user should be told about the reading (the encoding if
    not UTF-8, the rows skipped, an unusual number convention)."""

    dataset: Dataset
    notices: tuple[str, ...] = ()
    skipped_lines: np.ndarray | None = None  # file lines of the rows left out (skip_bad_rows)
    encoding: str = "UTF-8"
    reading: Reading | None = None  # how the chosen number columns were read


def read_dataset(
    source: PathLike | BinaryIO | Iterable[str],
    *,
    x_column: int = 0,
    y_column: int = 1,
    sigma_column: int | None = None,
    decimal: str = "auto",
    skip_bad_rows: bool = False,
    min_points: int = 1,
    name: str | None = None,
    source_name: str | None = None,
) -> LoadedDataset:
    """Read the x, y (and optionally σ) columns of a text table as a dataset; other columns may hold
    anything.  ``source``: a path, a binary stream (``sys.stdin.buffer``) or text lines.

    Column indices are 0-based.  ``decimal``: 'auto' (the numbers decide), 'point' or 'comma'.
    ``skip_bad_rows``: leave out rows whose chosen cells are empty or not numbers (named in a notice)
    instead of refusing the file at the first.  The dataset is named ``name``, else after the file.
    Raises ``DataError`` naming the line and column of the first problem, with a fix.
    """
    where = source_name if source_name is not None else (str(source) if isinstance(source, (str, Path)) else None)
    for role, index in (("x", x_column), ("y", y_column), ("σ", sigma_column)):
        if index is not None or role != "σ":
            _check_column_index(role, index, where)
    if sigma_column is not None and sigma_column in (x_column, y_column):
        role = "x" if sigma_column == x_column else "y"
        raise DataError(
            f"σ column index {sigma_column} is also the {role} column: choose the column that "
            "holds each point's uncertainty",
            path=where,
        )
    chosen = [c for c in (x_column, y_column, sigma_column) if c is not None and c >= 0]
    table = read_table(source, source=where, columns=chosen)
    for role, index in (("x", x_column), ("y", y_column), ("σ", sigma_column)):
        if index is not None and table.n_columns >= 2 and not 0 <= index < table.n_columns:
            raise DataError(
                f"{role} column index {index} is out of range: the file has {table.n_columns} columns "
                f"(indices 0 to {table.n_columns - 1})",
                path=where,
            )
    if name is None:
        name = Path(source).stem if isinstance(source, (str, Path)) else (source_name or "data")
    loaded = dataset_from_table(
        table, x_column, y_column, sigma_column, name=name, decimal=decimal, skip_bad_rows=skip_bad_rows, source=where
    )
    if loaded.dataset.n < min_points:
        raise DataError(f"fewer points than needed: found {loaded.dataset.n}, need at least {min_points}", path=where)
    return loaded


def dataset_from_table(
    table: Table,
    x: int,
    y: int,
    sigma: int | None = None,
    *,
    name: str,
    decimal: str = "auto",
    skip_bad_rows: bool = False,
    source: str | None = None,
    fallback: str | None = None,
) -> LoadedDataset:
    """The dataset of a choice of columns of a table already read (see ``table_select.select``)."""
    chosen: Selection = select(
        table, x, y, sigma, decimal=decimal, skip_bad_rows=skip_bad_rows, source=source, fallback=fallback
    )
    # The selected columns are the table's own read-only arrays (or fresh ones): no copy is needed.
    _adoptable.arrays = tuple(a for a in (chosen.x, chosen.y, chosen.sigma) if _is_frozen_column(a))
    try:
        dataset = Dataset(chosen.x, chosen.y, name, chosen.sigma, chosen.x_name, chosen.y_name, chosen.x_is_date)
    except DataError as exc:  # a rule of Dataset's that the checks of the selection do not know
        raise DataError(exc.reason, path=source) from None
    finally:
        _adoptable.arrays = ()
    skipped = chosen.skipped_lines if chosen.skipped_rows.size else None
    return LoadedDataset(dataset, chosen.notices, skipped, table.encoding, chosen.reading)


def _is_frozen_column(values) -> bool:
    return (
        isinstance(values, np.ndarray)
        and values.dtype == np.float64
        and values.ndim == 1
        and not values.flags.writeable
    )


def load_dataset(
    path: PathLike, *, x_column: int = 0, y_column: int = 1, sigma_column: int | None = None, min_points: int = 1
) -> Dataset:
    """Read the x, y (and optionally σ) columns of a data file as a Dataset named after the file.

    Column indices are 0-based.  Every σ must be greater than 0; the first one that is not is reported
    with its line and column in the file.  ``read_dataset`` does the same with more choices.
    """
    return read_dataset(
        path, x_column=x_column, y_column=y_column, sigma_column=sigma_column, min_points=min_points
    ).dataset


def _check_column_index(role: str, index: object, path: str | None) -> None:
    """A column choice must be a whole number (0-based), not text, a fraction or None."""
    try:
        if isinstance(index, bool):  # True would index as 1, or as a mask (an array of the wrong shape)
            raise TypeError
        operator.index(cast(SupportsIndex, index))  # the probe: TypeError when it is not one
    except TypeError:
        raise DataError(
            f"the {role} column index {index!r} is not a whole number: give the column's 0-based "
            "position, such as 0 for the first column",
            path=path,
        ) from None


def save_dataset(dataset: Dataset, path: PathLike) -> None:
    """Write an 'x,y' (or 'x,y,sigma') CSV that re-imports to identical floats, atomically (the old file
    survives errors).  The header carries the column names (dates stay decimal years, exactly)."""
    if not dataset.n:
        raise DataError("nothing to save: the dataset has no points", path=path)
    header = f"{_header_cell(dataset.x_name, 'x')},{_header_cell(dataset.y_name, 'y')}"
    # repr() of a Python float is the shortest text that parses back to the very same float.
    if dataset.sigma is None:
        rows = (f"{a!r},{b!r}" for a, b in zip(dataset.x.tolist(), dataset.y.tolist()))
    else:
        header += ",sigma"
        rows = (f"{a!r},{b!r},{s!r}" for a, b, s in zip(dataset.x.tolist(), dataset.y.tolist(), dataset.sigma.tolist()))
    atomic_write_text(path, "\n".join(itertools.chain([header], rows)) + "\n")


def _header_cell(name: str, default: str) -> str:
    """``name`` as a CSV header cell that reads back as that name; ``default`` if it would not read back
    as a header (a name that looks like a number or a date, or holds a quote)."""
    if '"' in name or not header_cell_reads_back(name):
        return default
    return f'"{name}"' if any(ch in name for ch in ",;#\t") or name != name.strip() else name
