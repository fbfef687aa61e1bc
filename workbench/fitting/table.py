"""Strict reading of numeric text tables (CSV, TSV, ';' with decimal commas, whitespace): nothing is
dropped or changed silently, and every error names the file, line and column with a fix."""

from __future__ import annotations

import contextlib
import csv
import gc
import itertools
import math
import operator
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["DataError", "Progress", "Table", "read_table", "not_a_regular_file"]

PathLike = str | os.PathLike[str]
Progress = Callable[[float], None]  # called with the fraction done, 0 to 1; may raise to abandon the read

_BOM = b"\xef\xbb\xbf"
_NUMBER_HINT = "cells must be decimal numbers like 1.5 or -2e3"
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", " ": "whitespace"}
# Rows parsed per pass: a pass holds the GIL in C for ~10 ms (a GUI thread waiting on a loader stays
# fluid) and is the unit of progress and of cancelling; larger chunks are no faster.
CHUNK_ROWS = 20_000
# Share of the work done once the file is read and decoded, and once comments/blank lines are sorted out.
_READ_DONE, _LINES_DONE = 0.1, 0.25


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


@dataclass(frozen=True, eq=False)
class Table:
    """A parsed numeric text file: column names plus a rows-by-columns float64 array (read-only)."""

    names: tuple[str, ...]
    values: np.ndarray
    has_header: bool
    delimiter: str  # ',', ';', '\t', or ' ' meaning any run of whitespace
    # 1-based line in the file of each row (None: unknown), so that a check made after reading, such
    # as "every σ must be > 0", can still point at the line to fix.  Not part of equality.
    row_lines: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.names):
            raise ValueError(f"values of shape {values.shape} do not match {len(self.names)} column names")
        values.flags.writeable = False
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "values", values)
        if self.row_lines is not None:
            lines = np.array(self.row_lines, dtype=np.int64)
            if lines.shape != (values.shape[0],):
                raise ValueError(f"{lines.size} row line numbers for {values.shape[0]} rows")
            lines.flags.writeable = False
            object.__setattr__(self, "row_lines", lines)

    @property
    def n_rows(self) -> int:
        """Number of data rows (the header, if any, not counted)."""
        return int(self.values.shape[0])

    @property
    def n_columns(self) -> int:
        """Number of columns."""
        return int(self.values.shape[1])

    def line_of(self, row: int) -> int | None:
        """The 1-based file line that holds data row ``row`` (0-based), or None when not known."""
        return None if self.row_lines is None else int(self.row_lines[row])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return (self.names, self.has_header, self.delimiter) == (
            other.names,
            other.has_header,
            other.delimiter,
        ) and np.array_equal(self.values, other.values)

    __hash__ = None  # type: ignore[assignment]  # tables are large and compared rarely; no need to hash


def read_table(
    path_or_text_lines: PathLike | Iterable[str], *, source: str | None = None, progress: Progress | None = None
) -> Table:
    """Parse CSV/TSV/semicolon/whitespace text strictly: nothing is dropped or changed without an error.

    Pass a path, or an iterable of text lines (e.g. ``text.splitlines()`` or an open text file).
    `source` names the input in error messages (defaults to the path).  `progress`, if given, is called
    with the fraction done (0 to 1, increasing, ending with 1.0) every `CHUNK_ROWS` rows; an exception
    it raises (to cancel, say) ends the read and propagates.
    """
    report = progress if progress is not None else _no_progress
    report(0.0)
    if isinstance(path_or_text_lines, (str, os.PathLike)):
        source = str(path_or_text_lines) if source is None else source
        lines = _read_lines(Path(path_or_text_lines), source)
    else:
        lines = _given_lines(path_or_text_lines)
    report(_READ_DONE)
    table = _parse(lines, source, report)
    report(1.0)
    return table


def _no_progress(_fraction: float) -> None:
    pass


def not_a_regular_file(path: PathLike) -> str | None:
    """Why ``path`` is no file to read (a folder, a pipe, a device), or None (a file, or nothing there:
    opening it then says what is wrong).  Asked before opening: a pipe would block for ever, a device
    such as /dev/zero would never end."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(mode):
        return "this is a folder, not a file: choose a file inside it"
    if not stat.S_ISREG(mode):
        return "this is not a regular file (a pipe, socket or device): choose a file saved on disk"
    return None


def _read_lines(path: Path, source: str) -> list[str]:
    """Decode a file as UTF-8 (a BOM is fine) and split it into physical lines."""
    problem = not_a_regular_file(path)
    if problem is not None:
        raise DataError(problem, path=source)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", path=source) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _decode_error(raw, source) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start an empty one
    return lines


def _decode_error(raw: bytes, source: str) -> DataError:
    """Point at the first byte that is not UTF-8 and suggest re-saving the file."""
    skip = len(_BOM) if raw.startswith(_BOM) else 0
    try:
        raw[skip:].decode("utf-8")
        start = 0
    except UnicodeDecodeError as exc:
        start = exc.start + skip
    line_start = max(raw.rfind(b"\n", 0, start) + 1, skip)
    column = len(raw[line_start:start].decode("utf-8", "replace")) + 1
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        fix = "the file looks like UTF-16 text; save it as UTF-8"
    else:
        fix = "it may be in another encoding such as Windows-1252; save the file as UTF-8 text"
    reason = f"byte 0x{raw[start]:02x} is not valid UTF-8 ({fix})"
    return DataError(reason, path=source, line=raw.count(b"\n", 0, start) + 1, column=column)


def _given_lines(lines: Iterable[str]) -> list[str]:
    """Normalise caller-supplied lines: drop line endings and a leading BOM."""
    result = []
    for k, line in enumerate(lines):
        if not isinstance(line, str):
            raise TypeError(f"line {k + 1} is {type(line).__name__}, expected str")
        result.append(line.removesuffix("\n").removesuffix("\r"))
    if result:
        result[0] = result[0].removeprefix("\ufeff")
    return result


def _parse(lines: list[str], source: str | None, report: Progress = _no_progress) -> Table:
    content, linenos = _content_lines(lines)
    report(_LINES_DONE)
    if not content:
        raise DataError("no data rows: the file is empty or holds only comments and blank lines", path=source)
    delimiter = _detect_delimiter(content[0])
    first = _split_cells(content[0], delimiter)
    has_header = any(cell and _parse_cell(cell, delimiter) is None for cell in first)
    ncols = len(first)
    if has_header:
        names = tuple(cell or f"column {j + 1}" for j, cell in enumerate(first))
        content, linenos = content[1:], linenos[1:]
        if not content:
            raise DataError("no data rows: the file has a header row but no numbers below it", path=source)
    else:
        names = tuple(f"column {j + 1}" for j in range(ncols))
    values = _parse_chunks(content, linenos, delimiter, ncols, source, report)
    row_lines = (
        np.arange(linenos.start, linenos.stop, dtype=np.int64)
        if isinstance(linenos, range)
        else np.array(linenos, dtype=np.int64)
    )
    return Table(names, values, has_header, delimiter, row_lines)


def _parse_chunks(
    lines: list[str], linenos: list[int] | range, delimiter: str, ncols: int, source: str | None, report: Progress
) -> np.ndarray:
    """Parse the rows `CHUNK_ROWS` at a time, reporting progress after each chunk.

    Chunks are parsed in file order, so the first chunk that fails holds the file's first bad cell.
    """
    total = len(lines)
    if total <= CHUNK_ROWS:
        return _parse_rows(lines, linenos, delimiter, ncols, source)
    values = np.empty((total, ncols))
    for start in range(0, total, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, total)
        values[start:stop] = _parse_rows(lines[start:stop], linenos[start:stop], delimiter, ncols, source)
        report(_LINES_DONE + (1.0 - _LINES_DONE) * stop / total)
    return values


def _content_lines(lines: list[str]) -> tuple[list[str], list[int] | range]:
    """Strip comments and whitespace; keep non-blank lines with their 1-based physical line numbers
    (a ``range`` when every line is kept, which is the usual case and costs nothing)."""
    stripped = [(_strip_comment(s) if "#" in s else s).strip() for s in lines]
    if all(stripped):
        return stripped, range(1, len(stripped) + 1)
    linenos = [k for k, s in enumerate(stripped, 1) if s]
    return [stripped[k - 1] for k in linenos], linenos


def _strip_comment(line: str) -> str:
    """Cut a line at the first '#' that is not inside double quotes."""
    if '"' not in line:
        return line.partition("#")[0]
    inside = False
    for k, ch in enumerate(line):
        if ch == '"':
            inside = not inside
        elif ch == "#" and not inside:
            return line[:k]
    return line


def _detect_delimiter(line: str) -> str:
    """';' wins over ',' so that '1,5;2,5' (decimal commas) is read as two cells; then tab, whitespace."""
    unquoted = re.sub(r'"[^"]*"', "", line)
    return next((d for d in (";", ",", "\t") if d in unquoted), " ")


def _split_cells(line: str, delimiter: str) -> list[str]:
    """Split one line into stripped, unquoted cells."""
    if delimiter == " ":
        return [_unquote(c) for c in line.split()]
    if '"' in line:
        try:
            return [c.strip() for c in next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))]
        except csv.Error:
            pass  # odd bytes such as NUL: fall back to a plain split, whose cells then fail with a location
    return [_unquote(c.strip()) for c in line.split(delimiter)]


def _unquote(cell: str) -> str:
    return cell[1:-1].strip() if len(cell) >= 2 and cell[0] == cell[-1] == '"' else cell


def _parse_cell(cell: str, delimiter: str) -> float | None:
    """The number in a stripped cell, or None; underscores ('1_000') are refused as not plainly decimal."""
    if delimiter == ";":
        cell = cell.replace(",", ".")
    if "_" in cell:
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def _parse_rows(
    lines: list[str], linenos: list[int] | range, delimiter: str, ncols: int, source: str | None
) -> np.ndarray:
    """Fast path over all rows at once; on any failure, find and report the first bad cell exactly."""
    counts, cells, underscore = _cells_and_counts(lines, delimiter)
    wrong = np.flatnonzero(counts != ncols)
    if wrong.size:
        k = int(wrong[0])
        raise _column_count_error(_split_cells(lines[k], delimiter), ncols, delimiter, source, linenos[k])
    if delimiter == ";":
        cells = [c.replace(",", ".") for c in cells]
    try:
        flat = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
    except ValueError:
        flat = None
    if flat is None or not np.isfinite(flat).all() or underscore:
        k = _first_suspect_row(lines, cells, flat, ncols)
        raise _first_bad_cell(lines[k:], linenos[k:], delimiter, source)
    return flat.reshape(len(lines), ncols)


def _cells_and_counts(lines: list[str], delimiter: str) -> tuple[np.ndarray, list[str], bool]:
    """Each line's cell count, all cells in one flat list (no list per line if we can help it) and
    whether any cell holds an underscore, which float() accepts ('1_0' == 10) but we refuse."""
    joined = (" " if delimiter == " " else delimiter).join(lines)
    underscore = "_" in joined
    if '"' not in joined and delimiter != " ":
        counts = np.fromiter(map(operator.methodcaller("count", delimiter), lines), np.intp, len(lines)) + 1
        return counts, joined.split(delimiter), underscore
    if '"' not in joined:
        counts = np.fromiter(map(len, map(str.split, lines)), np.intp, len(lines))
        return counts, joined.split(), underscore
    with _gc_paused():  # a million small lists would otherwise trigger the cycle collector over and over
        rows = [_split_cells(s, delimiter) for s in lines]
    return np.fromiter(map(len, rows), np.intp, len(rows)), list(itertools.chain.from_iterable(rows)), underscore


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _first_suspect_row(lines: list[str], cells: list[str], flat: np.ndarray | None, ncols: int) -> int:
    """Index of the earliest row with a cell that is unparsable, non-finite or holds an underscore."""
    underscore = next((k for k, s in enumerate(lines) if "_" in s), len(lines))
    if flat is None:
        bad = next(k for k, c in enumerate(cells) if not _is_finite_float(c))
    else:
        bad = int(np.argmin(np.isfinite(flat))) if not np.isfinite(flat).all() else len(cells)
    return min(underscore, bad // ncols)


def _is_finite_float(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def _column_count_error(row: list[str], ncols: int, delimiter: str, source: str | None, line: int) -> DataError:
    fix = f"every row needs as many {_DELIMITER_NAMES[delimiter]}-separated cells as the first row"
    if len(row) > ncols and not row[-1].strip():
        fix += "; remove the separator at the end of the line"
    reason = f"wrong column count: expected {ncols} cells, found {len(row)} ({fix})"
    return DataError(reason, path=source, line=line)


def _first_bad_cell(lines: list[str], linenos: list[int] | range, delimiter: str, source: str | None) -> DataError:
    """Scan cell by cell (slow, only after the fast path failed) for the first cell that is wrong."""
    for text, line in zip(lines, linenos):
        cells = _split_cells(text, delimiter)
        values = [_parse_cell(c, delimiter) for c in cells]
        for j, (cell, value) in enumerate(zip(cells, values)):
            if value is not None and np.isfinite(value):
                continue
            header_like = all(v is None for v in values)
            reason = _cell_reason(cell, value, delimiter, len(cells), header_like)
            return DataError(reason, path=source, line=line, column=j + 1)
    raise AssertionError("fast parse failed but no bad cell was found")  # pragma: no cover


def _cell_reason(cell: str, value: float | None, delimiter: str, ncols: int, looks_like_header: bool) -> str:
    shown = repr(cell if len(cell) <= 40 else cell[:37] + "...")
    if not cell:
        return f"empty cell (every row needs a value in each of its {ncols} columns)"
    if value is not None:
        return f"{shown} is not a finite number (every value must be a real number; fix or delete the row)"
    if looks_like_header:
        return (
            f"{shown} is not a number (a header row is allowed only as the first line; "
            "delete this line or start it with '#' to make it a comment)"
        )
    if "," in cell and delimiter != ";" and _parse_cell(cell, ";") is not None:
        return (
            f"{shown} is not a number (decimal commas are accepted only in ';'-separated files; "
            f"write {cell.replace(',', '.')})"
        )
    return f"{shown} is not a number ({_NUMBER_HINT})"
