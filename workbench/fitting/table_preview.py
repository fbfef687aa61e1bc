"""A cheap first look at a data file (its columns and first rows), and the checked choice of x, y and σ.

The import dialog shows the preview at once, while the whole file (maybe 10⁶ rows) is still being read
in the background; both go through the same reader (``read_table``), so the preview reads its rows as
the full read will, and a choice refused on the preview carries the same file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.fitting.table import DataError, PathLike, Table
from workbench.fitting.table_reader import SNIFF_ROWS, read_table_with_source
from workbench.fitting.table_select import select
from workbench.fitting.text_source import FIRST_BLOCK_BYTES

__all__ = ["PREVIEW_ROWS", "TablePreview", "preview_table", "select_columns"]

PREVIEW_ROWS = SNIFF_ROWS


@dataclass(frozen=True, eq=False)
class TablePreview:
    """The first rows of a data file: enough to show its columns and let the user choose x, y and σ."""

    table: Table  # the first rows only (at most the `max_rows` asked for)
    complete: bool  # True when the file holds no rows beyond these
    size_bytes: int  # the file's size
    estimated_rows: int  # exact when `complete`; otherwise extrapolated from the bytes per row so far
    cells: tuple[tuple[str, ...], ...] = ()  # the first rows' cells as written (rows may be ragged)

    @property
    def names(self) -> tuple[str, ...]:
        """Column names: from the header row, else "column 1", "column 2", …"""
        return self.table.names

    @property
    def encoding(self) -> str:
        """The text encoding found so far ('UTF-8', 'Windows-1252', 'UTF-16')."""
        return self.table.encoding


def preview_table(path: PathLike, *, max_rows: int = PREVIEW_ROWS, source: str | None = None) -> TablePreview:
    """Read only the first `max_rows` data rows of a file (plus its header, if any), as the full read will.

    Raises ``DataError`` (file, line, reason) when those rows make no table at all (an empty or binary
    file, say); a cell that is no number is kept, as by ``read_table``, for the choice of columns to judge.
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, not {max_rows}")
    # The first SNIFF_ROWS rows settle separator, header and column kinds: read them even for fewer.
    # One row more than shown tells whether there are more.
    rows = max(max_rows, SNIFF_ROWS) + 1
    table, text, cells = read_table_with_source(
        path, source=source, max_rows=rows, first_block=FIRST_BLOCK_BYTES, keep_cells=True
    )
    complete = table.n_rows <= max_rows
    size = text.size or 0
    head = table.head(max_rows)
    if complete:
        estimated = head.n_rows
    else:
        last = head.line_of(head.n_rows - 1) or head.n_rows
        bytes_per_line = text.bytes_read / max(text.lines_read, 1)
        estimated = max(head.n_rows, round(head.n_rows * size / max(last * bytes_per_line, 1.0)))
    return TablePreview(head, complete, size, estimated, tuple(tuple(row) for row in cells[:max_rows]))


def select_columns(
    table: Table, x: int, y: int, sigma: int | None = None, *, source: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The x, y and (optional) σ columns of a table, after checking the choice makes a dataset.

    Column indices are 0-based.  Raises ``DataError`` when the table has fewer than two columns, an
    index is out of range, two roles share a column, a chosen cell is bad, or a σ cannot be a weight
    (naming its line).  ``table_select.select`` offers the same with more choices.
    """
    chosen = select(table, x, y, sigma, source=source)
    if not chosen.x.size:
        raise DataError("no data rows", path=source)
    return chosen.x, chosen.y, chosen.sigma
