"""Reading text tables (CSV, TSV, ';' with decimal commas, whitespace) a chunk of rows at a time.

The first ``SNIFF_ROWS`` rows decide the separator (the one that splits them all into the same number of
cells and gives the most columns of numbers), whether the first line is a header (it holds text, and
none of its numbers sits over a column of numbers) and what each column holds: numbers, ISO 8601 dates
(whichever its first rows hold more of), or text (neither).  The rest is streamed: memory holds one
block of text and the parsed columns, never the file.  Nothing is refused here for a cell; see
``table.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import BinaryIO

import numpy as np

from workbench.fitting.dates import dates_to_decimal_years, parse_date, parse_naive_dates
from workbench.fitting.memory import available_memory
from workbench.fitting.number_format import Form, classify_number, parse_numbers
from workbench.fitting.table import (
    DATE,
    TEXT,
    Column,
    DataError,
    DataTooLargeError,
    LineMap,
    PathLike,
    Ragged,
    Table,
)
from workbench.fitting.table_cells import (
    cells_and_counts,
    column_kinds,
    content_lines,
    first_text,
    gc_paused,
    is_header,
    number_reason,
    quoted,
    sniff_delimiter,
    split_cells,
)
from workbench.fitting.text_source import BLOCK_BYTES, SourceError, TextSource, open_text

__all__ = ["CHUNK_ROWS", "SNIFF_ROWS", "Progress", "read_table", "read_table_steps", "read_table_with_source"]

Progress = Callable[[float], None]  # called with the fraction done, 0 to 1; may raise to abandon the read
# Rows parsed per pass: a pass holds the GIL in C for ~10 ms (a GUI thread waiting on a loader stays
# fluid) and is the unit of progress and of cancelling; larger chunks are no faster.
CHUNK_ROWS = 20_000
CHUNK_CELLS = 100_000  # at most this many cells per chunk (fewer rows for wide files)
CHECK_MEMORY_ABOVE_BYTES = 8 << 20  # smaller files are read without asking the system for free memory
SNIFF_ROWS = 200  # rows that settle the separator, the header and each column's kind (and fill a preview)
# Parsing holds a column's chunks and then their concatenation; beyond that a block of text and the
# cells of one chunk: the estimate below must stay under what is free, or reading is refused at once.
_BYTES_PER_VALUE_WHILE_READING = 2 * 8 + 2


def read_table(
    path_or_text_lines: PathLike | BinaryIO | Iterable[str],
    *,
    source: str | None = None,
    progress: Progress | None = None,
    columns: Iterable[int] | None = None,
) -> Table:
    """Read a text table from a path, a binary stream (``sys.stdin.buffer``) or text lines.

    ``source`` names the input in messages (default: the path).  ``columns``: the 0-based columns to
    parse (default: all); others are only split into cells.  A column whose first ``SNIFF_ROWS`` rows
    hold neither a number nor a date is text, and never parsed.
    ``progress``, if given, is called with the fraction done (0 to 1, increasing, ending with 1.0) after
    every ``CHUNK_ROWS`` rows; an exception it raises (to cancel, say) ends the read and propagates.
    """
    return read_table_with_source(path_or_text_lines, source=source, progress=progress, columns=columns)[0]


def read_table_with_source(
    path_or_text_lines,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    columns: Iterable[int] | None = None,
    max_rows: int | None = None,
    first_block: int = BLOCK_BYTES,
    keep_cells: bool = False,
) -> tuple[Table, TextSource, list[list[str]]]:
    """``read_table``, also returning the ``TextSource`` read (how much, which encoding) and, with
    ``keep_cells``, the first rows' cells as text.  ``max_rows``: stop after that many data rows."""
    steps = read_table_steps(
        path_or_text_lines,
        source=source,
        progress=progress,
        columns=columns,
        max_rows=max_rows,
        first_block=first_block,
        keep_cells=keep_cells,
    )
    while True:
        try:
            next(steps)
        except StopIteration as end:
            return end.value


def read_table_steps(
    path_or_text_lines,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    columns: Iterable[int] | None = None,
    max_rows: int | None = None,
    first_block: int = BLOCK_BYTES,
    keep_cells: bool = False,
) -> Generator[float, None, tuple[Table, TextSource, list[list[str]]]]:
    """``read_table_with_source`` one block of text at a time: yields the fraction done after each block
    (a task reports it; closing the generator closes the file) and returns what that function returns."""
    name = _name_of(path_or_text_lines, source)
    report = progress if progress is not None else _no_progress
    report(0.0)
    handle = None
    try:
        text, handle = open_text(path_or_text_lines)
        builder = _Builder(name, None if columns is None else tuple(columns), max_rows, text, report, keep_cells)
        for lines in text.blocks(first_block):
            if builder.feed(lines):
                break
            yield builder.done
        table = builder.finish()
    except SourceError as exc:
        raise DataError(exc.reason, path=name, line=exc.line, column=exc.column) from None
    except MemoryError:
        raise DataTooLargeError(
            "not enough memory to read this file: close other programs, read fewer columns (workbench fit "
            "reads only x, y and σ), or split the file",
            path=name,
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", path=name) from exc
    finally:
        if handle is not None:
            handle.close()
    report(1.0)
    return table, text, builder.kept_cells


def _name_of(given, source: str | None) -> str | None:
    if source is not None:
        return source
    if isinstance(given, str) or hasattr(given, "__fspath__"):
        return str(given)
    return None


def _no_progress(_fraction: float) -> None:
    pass


# -- the reader ---------------------------------------------------------------------------------------------
class _ColumnParts:
    """A parsed column while reading: its chunks of values, marks and first cells."""

    def __init__(self, kind: str):
        self.kind = kind
        self.pieces: list[np.ndarray] = []
        self.first_bad: tuple[int, str] | None = None
        self.masks: dict[Form, list[tuple[int, np.ndarray]]] = {}
        self.firsts: dict[Form, tuple[int, str]] = {}
        self.zoned: tuple[bool, int] | None = None  # dates: whether the first one had a zone, and its row


class _Builder:
    """Turns blocks of lines into a ``Table``: sniffs the first rows, then parses chunk after chunk."""

    def __init__(self, name, columns, max_rows, text: TextSource, report: Progress, keep_cells: bool):
        self.name, self.wanted, self.max_rows = name, columns, max_rows
        self.text, self.report, self.keep_cells = text, report, keep_cells
        self.lines_seen = 0  # physical lines taken from the source
        self.waiting: list[str] = []  # content lines read before the first rows were sniffed
        self.waiting_numbers: list[int] = []
        self.ready = False
        self.n_rows = 0
        self.run_rows: list[int] = []
        self.run_lines: list[int] = []
        self.ragged: list[tuple[int, int, bool]] = []
        self.kept_cells: list[list[str]] = []
        self.checked_memory = False
        self.block = (0, 0, 1, 1)  # the latest block: bytes before it, its bytes, its first line, its lines
        self.done = 0.0  # the latest fraction reported

    # -- feeding ------------------------------------------------------------------------------------
    def feed(self, lines: list[str]) -> bool:
        """Take the next block of physical lines; True once ``max_rows`` rows are in (stop reading)."""
        first = self.lines_seen + 1
        self.lines_seen += len(lines)
        before = self.block[0] + self.block[1]
        self.block = (before, self.text.bytes_read - before, first, max(len(lines), 1))
        content, numbers = content_lines(lines, first)
        if not self.ready:
            self.waiting += content
            self.waiting_numbers += list(numbers)
            if len(self.waiting) <= SNIFF_ROWS:
                return False
            content, numbers = self._sniff(self.waiting, self.waiting_numbers)
            self.waiting, self.waiting_numbers = [], []
        return self._rows(content, numbers)

    def finish(self) -> Table:
        """The table read (raises ``DataError`` when there are no data rows)."""
        if not self.ready:
            if not self.waiting:
                raise DataError(
                    "no data rows: the file is empty or holds only comments and blank lines", path=self.name
                )
            content, numbers = self._sniff(self.waiting, self.waiting_numbers)
            self._rows(content, numbers)
        if not self.n_rows:
            raise DataError("no data rows: the file has a header row but no numbers below it", path=self.name)
        columns = tuple(self._column(j) for j in range(self.ncols))
        ragged = None
        if self.ragged:
            rows, counts, trailing = zip(*self.ragged)
            ragged = Ragged(np.array(rows, np.int64), np.array(counts, np.int64), np.array(trailing, bool))
        lines = LineMap(self.run_rows, self.run_lines, self.n_rows)
        return Table(
            columns,
            self.n_rows,
            self.has_header,
            self.delimiter,
            lines,
            ragged,
            self.text.encoding,
            tuple(self.text.notices),
        )

    # -- the first rows -----------------------------------------------------------------------------
    def _sniff(self, content: list[str], numbers: list[int]) -> tuple[list[str], list[int]]:
        """Settle separator, header, names and column kinds; return the data lines (header removed)."""
        sample = content[: SNIFF_ROWS + 1]
        self.delimiter = sniff_delimiter(sample)
        rows = [split_cells(s, self.delimiter) for s in sample]
        first = rows[0]
        self.ncols = len(first)
        self.has_header, maybe_names = is_header(first, rows[1:])
        if maybe_names:
            shown = ", ".join(maybe_names[:3])
            self.text.notices.append(
                f"line {numbers[0]} is read as data: its numbers ({shown}) could name the columns, but the "
                "columns below hold numbers too; if it is a header row, delete it or start it with '#'"
            )
        if self.has_header:
            self.names = tuple(cell or f"column {j + 1}" for j, cell in enumerate(first))
            content, numbers, rows = content[1:], numbers[1:], rows[1:]
            kinds = column_kinds(rows, self.ncols)
        else:
            self.names = tuple(f"column {j + 1}" for j in range(self.ncols))
            kinds = column_kinds(rows, self.ncols)
        self.samples = {j: first_text(rows, j) for j in range(self.ncols) if kinds[j] == TEXT}
        wanted = range(self.ncols) if self.wanted is None else self.wanted
        self.parts = {j: _ColumnParts(kinds[j]) for j in wanted if 0 <= j < self.ncols and kinds[j] != TEXT}
        self.ready = True
        return content, numbers

    # -- the rows -------------------------------------------------------------------------------------
    def _rows(self, content: list[str], numbers) -> bool:
        if self.max_rows is not None:
            room = self.max_rows - self.n_rows
            content, numbers = content[:room], numbers[:room]
        # A wide file gets fewer rows per chunk: the cells of one chunk are Python strings, ~60 bytes each.
        rows = max(16, min(CHUNK_ROWS, CHUNK_CELLS // self.ncols))
        for start in range(0, len(content), rows):
            stop = min(start + rows, len(content))
            self._chunk(content[start:stop], numbers[start:stop])
            self._progress(numbers[stop - 1])
        return self.max_rows is not None and self.n_rows >= self.max_rows

    def _chunk(self, lines: list[str], numbers) -> None:
        start = self.n_rows
        self._note_lines(start, numbers)
        counts, cells = cells_and_counts(lines, self.delimiter)
        ncols = self.ncols
        if self.keep_cells:
            self.kept_cells += [split_cells(s, self.delimiter) for s in lines]
        if (counts == ncols).all():

            def column(j: int) -> list[str]:
                return cells[j::ncols]

        else:
            with gc_paused():
                rows = [split_cells(s, self.delimiter) for s in lines]
            for k in np.flatnonzero(counts != ncols).tolist():
                self.ragged.append((start + k, len(rows[k]), not rows[k][-1]))

            def column(j: int) -> list[str]:
                return [r[j] if j < len(r) else "" for r in rows]

        for j, parts in self.parts.items():
            if parts.kind == DATE:
                self._dates(parts, column(j), start, lines)
            else:
                self._numbers(parts, column(j), start, lines)
        self.n_rows += len(lines)
        if not self.checked_memory:
            self.checked_memory = True
            self._check_memory()

    def _progress(self, line: int) -> None:
        """Report the share of the source parsed: the bytes before this block, and of this block the
        share of its lines up to ``line``."""
        if not self.text.size:
            return
        before, size, first, count = self.block
        within = min(max((line - first + 1) / count, 0.0), 1.0)
        self.done = max(self.done, min((before + size * within) / self.text.size, 0.99))
        self.report(self.done)

    def _note_lines(self, start: int, numbers) -> None:
        """Extend the runs of consecutive file lines with these rows' lines."""
        if isinstance(numbers, range):
            starts, firsts = [0], [numbers.start]
        else:
            lines = np.asarray(numbers, dtype=np.int64)
            if not lines.size:
                return
            breaks = np.concatenate([[0], np.flatnonzero(np.diff(lines) != 1) + 1])
            starts, firsts = breaks.tolist(), lines[breaks].tolist()
        for k, line in zip(starts, firsts):
            row = start + k
            if self.run_rows and self.run_lines[-1] + (row - self.run_rows[-1]) == line:
                continue  # continues the previous run
            self.run_rows.append(row)
            self.run_lines.append(line)

    def _numbers(self, parts: _ColumnParts, cells: list[str], start: int, lines: list[str]) -> None:
        chunk = parse_numbers(cells)
        parts.pieces.append(chunk.values)
        for form, mask in chunk.masks.items():
            parts.masks.setdefault(form, []).append((start, mask))
            if form not in parts.firsts:
                k = int(np.argmax(mask))
                parts.firsts[form] = (start + k, cells[k])
        if chunk.first_bad is not None and parts.first_bad is None:
            k = chunk.first_bad
            parts.first_bad = (start + k, number_reason(cells[k], lines[k], self.delimiter))

    def _dates(self, parts: _ColumnParts, cells: list[str], start: int, lines: list[str]) -> None:
        bulk = parse_naive_dates(cells)
        if bulk is not None and (parts.zoned is None or parts.zoned[0] == bulk[1]):
            if parts.zoned is None:
                parts.zoned = (bulk[1], start)
            parts.pieces.append(dates_to_decimal_years(bulk[0]))
            return
        micros = np.zeros(len(cells), dtype=np.int64)
        good = np.zeros(len(cells), dtype=bool)
        for k, cell in enumerate(cells):
            date = parse_date(cell)
            if date.micros is not None and parts.zoned is None:
                parts.zoned = (date.zoned, start + k)
            if date.micros is not None and parts.zoned is not None and date.zoned == parts.zoned[0]:
                micros[k], good[k] = date.micros, True
            elif parts.first_bad is None:
                parts.first_bad = (start + k, self._date_reason(cell, date, parts))
        values = np.full(len(cells), np.nan)
        values[good] = dates_to_decimal_years(micros[good])
        parts.pieces.append(values)

    def _date_reason(self, cell: str, date, parts: _ColumnParts) -> str:
        shown = quoted(cell)
        if not cell:
            return "empty cell (every row needs a value in each chosen column)"
        if date.micros is not None:
            has = "has a time zone" if date.zoned else "has no time zone"
            assert parts.zoned is not None  # the column's first date set it
            line = self._line_of_row(parts.zoned[1])
            return (
                f"{shown} {has}, unlike the first date of this column (line {line}): give every time in a "
                "column a zone (such as Z or +01:00), or none"
            )
        if classify_number(cell)[1] is not Form.BAD:
            return f"{shown} is a number, but this column holds dates (write a date like 2020-07-02)"
        return f"{shown} is {date.problem}"

    def _line_of_row(self, row: int) -> int:
        return LineMap(self.run_rows, self.run_lines, self.n_rows).line_of(row)

    def _check_memory(self) -> None:
        """Refuse at once a file whose columns will not fit in the memory that is free."""
        text = self.text
        if text.size is None or text.encoding == "text" or text.size < CHECK_MEMORY_ABOVE_BYTES or not self.parts:
            return
        rows = text.size * self.lines_seen / text.bytes_read  # lines, comments included: an upper bound
        need = rows * len(self.parts) * _BYTES_PER_VALUE_WHILE_READING
        free = available_memory()
        if free is not None and need > free:
            raise DataTooLargeError(
                f"this file is too big for the memory available: its about {rows:,.0f} rows need about "
                f"{need / 2**30:.1f} GiB while reading {len(self.parts)} columns, and {free / 2**30:.1f} GiB "
                "is free. Close other programs, read fewer columns (workbench fit reads only x, y and σ), "
                "or split the file",
                path=self.name,
            )

    # -- the end ----------------------------------------------------------------------------------------
    def _column(self, j: int) -> Column:
        name = self.names[j]
        parts = self.parts.get(j)
        if parts is None:
            return Column(name, TEXT, None, sample=self.samples.get(j))
        values = np.concatenate(parts.pieces) if len(parts.pieces) != 1 else parts.pieces[0]
        parts.pieces.clear()
        values.flags.writeable = False
        masks = {}
        for form, pieces in parts.masks.items():
            mask = np.zeros(self.n_rows, dtype=bool)
            for start, piece in pieces:
                mask[start : start + piece.size] = piece
            mask.flags.writeable = False
            masks[form] = mask
        return Column(name, parts.kind, values, parts.first_bad, masks, dict(parts.firsts), None)
