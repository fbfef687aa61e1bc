"""A cheap first look at a data file (its columns and first rows), and the checked choice of x, y and σ.

The import dialog shows the preview at once, while the whole file (maybe 10⁶ rows) is still being read
in the background; both go through the same strict parser as ``read_table``, so the preview never
accepts a row that the full read would refuse, and its errors carry the same file, line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.fitting.data import first_bad_sigma
from workbench.fitting.table import (
    DataError,
    PathLike,
    Table,
    _content_lines,
    _decode_error,
    _parse,
    not_a_regular_file,
)

__all__ = ["PREVIEW_ROWS", "TablePreview", "preview_table", "select_columns"]

PREVIEW_ROWS = 200
_FIRST_READ_BYTES = 64 * 1024  # doubled until enough rows are in (a long comment block, long rows)
_MAX_READ_BYTES = 16 * 1024 * 1024  # a text table has line breaks long before this


@dataclass(frozen=True, eq=False)
class TablePreview:
    """The first rows of a data file: enough to show its columns and let the user choose x, y and σ."""

    table: Table  # the first rows only (at most the `max_rows` asked for)
    complete: bool  # True when the file holds no rows beyond these
    size_bytes: int  # the file's size
    estimated_rows: int  # exact when `complete`; otherwise extrapolated from the bytes per row so far

    @property
    def names(self) -> tuple[str, ...]:
        """Column names: from the header row, else "column 1", "column 2", …"""
        return self.table.names


def preview_table(path: PathLike, *, max_rows: int = PREVIEW_ROWS, source: str | None = None) -> TablePreview:
    """Read and strictly parse only the first `max_rows` data rows of a file (plus its header, if any).

    Raises ``DataError`` (file, line, column, reason) for anything wrong in that part of the file, just
    as ``read_table`` would; rows further down are not looked at.
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, not {max_rows}")
    source = str(path) if source is None else source
    raw, size, complete = _read_prefix(Path(path), source, max_rows)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _decode_error(raw, source) from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    _, linenos = _content_lines(lines)
    if len(linenos) > max_rows + 1:  # room for a header row plus max_rows data rows
        lines = lines[: linenos[max_rows]]
        complete = False
    table = _parse(lines, source)
    if table.n_rows > max_rows:  # there was no header: one row too many
        table = Table(
            table.names, table.values[:max_rows], table.has_header, table.delimiter, table.row_lines[:max_rows]
        )
        complete = False
    if complete:
        estimated = table.n_rows
    else:
        used = len("\n".join(lines).encode("utf-8")) + 1
        estimated = max(table.n_rows, round(table.n_rows * size / used))
    return TablePreview(table, complete, size, estimated)


def _read_prefix(path: Path, source: str, max_rows: int) -> tuple[bytes, int, bool]:
    """The file's first complete lines (enough for `max_rows` rows, if it has them), its size, and
    whether that is the whole file."""
    problem = not_a_regular_file(path)
    if problem is not None:
        raise DataError(problem, path=source)
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            raw, chunk = b"", _FIRST_READ_BYTES
            while True:
                more = f.read(chunk)
                raw += more
                if len(more) < chunk:
                    return raw, size, True
                if raw.count(b"\n") > 2 * (max_rows + 1) or len(raw) >= _MAX_READ_BYTES:
                    break  # blank and comment lines count too
                chunk = min(2 * chunk, _MAX_READ_BYTES - len(raw))
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", path=source) from exc
    cut = raw.rfind(b"\n")  # a partial last line (or UTF-8 character) is not shown
    if cut < 0:
        raise DataError(
            f"no line break in the first {len(raw) // 2**20} MiB: this is not a text table of "
            "numbers (open a CSV, TSV or text file with one point per line)",
            path=source,
            line=1,
        )
    return raw[: cut + 1], size, False


def select_columns(
    table: Table, x: int, y: int, sigma: int | None = None, *, source: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The x, y and (optional) σ columns of a table, after checking the choice makes a dataset.

    Column indices are 0-based.  Raises ``DataError`` when the table has fewer than two columns, an
    index is out of range, two roles share a column, or a σ cannot be a weight (naming its line).
    """
    ncols = table.n_columns
    if ncols < 2:
        raise DataError(
            "only 1 column found, but a dataset needs an x column and a y column "
            "(write each point as x,y like 1.5,2.0)",
            path=source,
        )
    roles = [("x", x), ("y", y)] + ([("σ", sigma)] if sigma is not None else [])
    for role, index in roles:
        if not 0 <= index < ncols:
            raise DataError(
                f"the {role} column number {index + 1} is out of range: the file has {ncols} columns (1 to {ncols})",
                path=source,
            )
    for k, (role, index) in enumerate(roles):
        for other, other_index in roles[:k]:
            if index == other_index:
                raise DataError(
                    f"{other} and {role} are both column {index + 1} "
                    f"({table.names[index]!r}): choose a different column for each",
                    path=source,
                )
    if sigma is not None:
        _check_sigma(table, sigma, source)
    return (table.values[:, x], table.values[:, y], None if sigma is None else table.values[:, sigma])


def _check_sigma(table: Table, column: int, source: str | None) -> None:
    """Every σ must be usable as a weight 1/σ² (> 0, and not so extreme that the weight over- or
    underflows: the same rule as ``Dataset``); the first one that is not is named with its line."""
    problem = first_bad_sigma(table.values[:, column])
    if problem is None:
        return
    row, what = problem
    reason = (
        f"σ in column {table.names[column]!r} = {what}; fix the value, choose another σ column, "
        "or choose no σ column to fit without weights"
    )
    raise DataError(reason, path=source, line=table.line_of(row), column=column + 1)
