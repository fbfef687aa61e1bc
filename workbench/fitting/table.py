"""A text table as read from a file: its columns (numbers, dates or text), the file line of every row,
and every cell that could not be read, kept with its reason so that choosing columns later can name it.

Reading (``workbench.fitting.table_reader``) never refuses a file for a cell: a table holds what each
column says, and choosing x, y and σ (``workbench.fitting.table_select``) decides what is wrong for that
choice.  Every error names the file, line and column, with a fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from workbench.fitting.number_format import Form
from workbench.fitting.text_source import not_a_regular_file

__all__ = [
    "DataError",
    "DataTooLargeError",
    "Column",
    "LineMap",
    "Ragged",
    "Table",
    "PathLike",
    "NUMBER",
    "DATE",
    "TEXT",
    "not_a_regular_file",
]

PathLike = str | os.PathLike[str]
NUMBER, DATE, TEXT = "number", "date", "text"
DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", " ": "whitespace"}


class DataError(ValueError):
    """Data that cannot be read or used, with the place (file, line, column) and a fix a user can act on."""

    def __init__(
        self, reason: str, *, path: PathLike | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = [self.path] if self.path is not None else []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class DataTooLargeError(DataError):
    """The data would not fit in the memory available (reading stopped before it ran out)."""


@dataclass(frozen=True, eq=False)
class Column:
    """One column of a table.

    ``values`` holds one float per row: the number (ambiguous cells in their decimal reading, see
    ``number_format``) or, for dates, the decimal year; NaN where the cell is no usable number or date.
    A text column is not parsed (``values`` None); ``sample`` is then its first non-empty cell.
    """

    name: str
    kind: str  # NUMBER, DATE or TEXT
    values: np.ndarray | None
    first_bad: tuple[int, str] | None = None  # (row, reason) of the first cell that is no number/date
    masks: dict[Form, np.ndarray] = field(default_factory=dict)  # rows of each marked number form present
    firsts: dict[Form, tuple[int, str]] = field(default_factory=dict)  # (row, text) of its first cell
    sample: tuple[int, str] | None = None  # (row, text): what a text column holds


class LineMap:
    """The 1-based file line of each row, stored as runs of consecutive lines (a file without comments
    or blank lines is a single run, however long)."""

    def __init__(self, run_rows: np.ndarray | list[int], run_lines: np.ndarray | list[int], n_rows: int):
        self.run_rows = np.asarray(run_rows, dtype=np.int64)
        self.run_lines = np.asarray(run_lines, dtype=np.int64)
        self.n_rows = n_rows

    @classmethod
    def of(cls, lines: np.ndarray | list[int]) -> LineMap:
        """The map of an explicit list of line numbers (one per row)."""
        lines = np.asarray(lines, dtype=np.int64)
        if not lines.size:
            return cls([], [], 0)
        starts = np.concatenate([[0], np.flatnonzero(np.diff(lines) != 1) + 1])
        return cls(starts, lines[starts], lines.size)

    def lines_of(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """The file lines of the given rows (0-based)."""
        rows = np.asarray(rows, dtype=np.int64)
        run = np.searchsorted(self.run_rows, rows, side="right") - 1
        return self.run_lines[run] + rows - self.run_rows[run]

    def line_of(self, row: int) -> int:
        """The file line of one row (0-based)."""
        return int(self.lines_of([row])[0])

    def head(self, n: int) -> LineMap:
        """The map of the first ``n`` rows."""
        keep = self.run_rows < n
        return LineMap(self.run_rows[keep], self.run_lines[keep], min(n, self.n_rows))


@dataclass(frozen=True)
class Ragged:
    """Rows with more or fewer cells than the first row: 0-based rows, their cell counts, and whether
    their last cell is empty (a separator at the end of the line)."""

    rows: np.ndarray
    counts: np.ndarray
    trailing_empty: np.ndarray

    def head(self, n: int) -> Ragged | None:
        """Those among the first ``n`` rows (None if none)."""
        keep = self.rows < n
        return Ragged(self.rows[keep], self.counts[keep], self.trailing_empty[keep]) if keep.any() else None


@dataclass(frozen=True, eq=False)
class Table:
    """A text table: its columns, the file line of each row, its separator and header, rows of the wrong
    length, the encoding it was read in, and notices about the reading (a non-UTF-8 encoding, say)."""

    columns: tuple[Column, ...]
    n_rows: int
    has_header: bool
    delimiter: str  # ',', ';', '\t', or ' ' meaning any run of whitespace
    lines: LineMap | None = None  # None: the lines are not known (a table made from values)
    ragged: Ragged | None = None
    encoding: str = "UTF-8"
    notices: tuple[str, ...] = ()

    @classmethod
    def from_values(cls, names, values, has_header: bool = False, delimiter: str = ",", row_lines=None) -> Table:
        """A table of number columns from a rows-by-columns array (NaN marks a bad cell)."""
        values = np.array(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(names):
            raise ValueError(f"values of shape {values.shape} do not match {len(names)} column names")
        lines = None
        if row_lines is not None:
            if len(row_lines) != values.shape[0]:
                raise ValueError(f"{len(row_lines)} row line numbers for {values.shape[0]} rows")
            lines = LineMap.of(row_lines)
        columns = []
        for j, name in enumerate(names):
            column = np.ascontiguousarray(values[:, j])
            column.flags.writeable = False
            bad = np.flatnonzero(~np.isfinite(column))
            first_bad = (int(bad[0]), "not a finite number") if bad.size else None
            columns.append(Column(str(name), NUMBER, column, first_bad))
        return cls(tuple(columns), values.shape[0], has_header, delimiter, lines)

    @property
    def names(self) -> tuple[str, ...]:
        """Column names: from the header row, else "column 1", "column 2", …"""
        return tuple(c.name for c in self.columns)

    @property
    def n_columns(self) -> int:
        """Number of columns (the cells of the first row)."""
        return len(self.columns)

    @property
    def values(self) -> np.ndarray:
        """All columns side by side as a read-only rows-by-columns array (NaN for text and bad cells)."""
        out = np.full((self.n_rows, self.n_columns), np.nan)
        for j, column in enumerate(self.columns):
            if column.values is not None:
                out[:, j] = column.values
        out.flags.writeable = False
        return out

    @property
    def row_lines(self) -> np.ndarray | None:
        """The file line of every row, read-only (None when unknown)."""
        if self.lines is None:
            return None
        lines = self.lines.lines_of(np.arange(self.n_rows))
        lines.flags.writeable = False
        return lines

    def line_of(self, row: int) -> int | None:
        """The 1-based file line that holds data row ``row`` (0-based), or None when not known."""
        return None if self.lines is None else self.lines.line_of(row)

    def lines_of(self, rows: np.ndarray) -> np.ndarray | None:
        """The file lines of several rows (None when unknown)."""
        return None if self.lines is None else self.lines.lines_of(rows)

    def head(self, n: int) -> Table:
        """The first ``n`` rows (all of them if there are fewer)."""
        if n >= self.n_rows:
            return self
        columns = tuple(_column_head(c, n) for c in self.columns)
        lines = None if self.lines is None else self.lines.head(n)
        ragged = None if self.ragged is None else self.ragged.head(n)
        return Table(columns, n, self.has_header, self.delimiter, lines, ragged, self.encoding, self.notices)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        same_shape = (self.names, self.has_header, self.delimiter, self.n_rows) == (
            other.names,
            other.has_header,
            other.delimiter,
            other.n_rows,
        )
        return same_shape and all(
            a.kind == b.kind
            and (a.values is None) == (b.values is None)
            and (a.values is None or (b.values is not None and np.array_equal(a.values, b.values, equal_nan=True)))
            for a, b in zip(self.columns, other.columns)
        )

    __hash__ = None  # type: ignore[assignment]  # tables are large and compared rarely; no need to hash


def _column_head(column: Column, n: int) -> Column:
    def within(first):
        return first if first is not None and first[0] < n else None

    masks = {form: mask[:n] for form, mask in column.masks.items() if mask[:n].any()}
    firsts = {form: first for form, first in column.firsts.items() if first[0] < n}
    values = None if column.values is None else column.values[:n]
    return Column(column.name, column.kind, values, within(column.first_bad), masks, firsts, within(column.sample))
