"""The cells of a text table: its lines without comments, its separator, each line's cells, what a cell
holds (a number, an ISO date, text or nothing), whether the first line is a header, and why a cell of a
number column is no number."""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import itertools
import operator
import re
from collections.abc import Iterator

import numpy as np

from workbench.fitting.dates import looks_like_date, parse_date
from workbench.fitting.number_format import Form, classify_number
from workbench.fitting.table import DATE, NUMBER, TEXT

__all__ = [
    "EMPTY",
    "cell_kind",
    "cells_and_counts",
    "column_kinds",
    "content_lines",
    "first_text",
    "gc_paused",
    "header_cell_reads_back",
    "is_header",
    "number_reason",
    "quoted",
    "sniff_delimiter",
    "split_cells",
]

EMPTY = "empty"
_WHOLE = re.compile(r"[+-]?\d+")
_NUMBER_HINT = "cells must be numbers like 1.5, 1,5 or -2e3, or ISO dates like 2020-07-02"


def content_lines(lines: list[str], first: int = 1) -> tuple[list[str], list[int] | range]:
    """Strip comments and spaces; keep non-blank lines with their 1-based physical line numbers (a
    ``range`` when every line is kept, which is the usual case and costs nothing).  Tabs stay: in a
    tab-separated line a leading or trailing tab is an empty cell."""
    stripped = [(_strip_comment(s) if "#" in s else s).strip(" ") for s in lines]
    if all(stripped) and not any(s.isspace() for s in stripped):
        return stripped, range(first, first + len(stripped))
    kept = [k for k, s in enumerate(stripped) if s and not s.isspace()]
    return [stripped[k] for k in kept], [first + k for k in kept]


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


def _unquoted(line: str) -> str:
    return re.sub(r'"[^"]*"', "", line)


def sniff_delimiter(lines: list[str]) -> str:
    """Of tab, ';', ',' and whitespace, the separator that splits every sampled line into the same number
    (≥ 2) of cells and leaves no data cell that is neither a number nor a date ('1,000,000;1,000' is two
    numbers, not '1', '000', '000;1' and '000'), then gives the most columns of numbers or dates, then the
    most characters read as numbers, then the fewest text cells ('1,000 2,5' is two numbers, not '1',
    '000 2' and '5'); ties go in that order.  If none splits them evenly (a ragged row early on), the first
    of tab, ';' and ',' found on the first line, else whitespace."""
    first = _unquoted(lines[0])
    best, best_score = None, None
    for delimiter in ("\t", ";", ",", " "):
        if delimiter != " " and delimiter not in first:
            continue
        rows = [split_cells(s, delimiter) for s in lines]
        if len(rows[0]) < 2 or any(len(row) != len(rows[0]) for row in rows):
            continue
        kinds = [[cell_kind(c) for c in row] for row in rows]
        body = kinds[1:] or kinds  # the first line may be a header
        numeric = sum(
            all(row[j] in (NUMBER, DATE, EMPTY) for row in body) and any(row[j] != EMPTY for row in body)
            for j in range(len(rows[0]))
        )
        covered = sum(len(c) for row, row_kinds in zip(rows, kinds) for c, k in zip(row, row_kinds) if k != TEXT)
        clean = not any(TEXT in row for row in body)  # every data cell a number, date or empty
        score = (clean, numeric, covered, -sum(row.count(TEXT) for row in kinds))
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    if best is not None:
        return best
    return next((d for d in ("\t", ";", ",") if d in first), " ")


def split_cells(line: str, delimiter: str) -> list[str]:
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


def cells_and_counts(lines: list[str], delimiter: str) -> tuple[np.ndarray, list[str]]:
    """Each line's cell count and all cells, stripped, in one flat list (no list per line if we can help it)."""
    joined = (" " if delimiter == " " else delimiter).join(lines)
    if '"' not in joined and delimiter != " ":
        counts = np.fromiter(map(operator.methodcaller("count", delimiter), lines), np.intp, len(lines)) + 1
        cells = joined.split(delimiter)
        if " " in joined or "\t" in joined:
            cells = list(map(str.strip, cells))
        return counts, cells
    if '"' not in joined:
        counts = np.fromiter(map(len, map(str.split, lines)), np.intp, len(lines))
        return counts, joined.split()
    with gc_paused():  # a million small lists would otherwise trigger the cycle collector over and over
        rows = [split_cells(s, delimiter) for s in lines]
    return np.fromiter(map(len, rows), np.intp, len(rows)), list(itertools.chain.from_iterable(rows))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@functools.lru_cache(maxsize=1 << 16)  # the first rows repeat cells ('0', '1', 'NA') and are sniffed twice
def cell_kind(cell: str) -> str:
    """What one cell is: empty, a number (finite or not), an ISO date, or text."""
    if not cell:
        return EMPTY
    if classify_number(cell)[1] is not Form.BAD:
        return NUMBER
    if looks_like_date(cell) and parse_date(cell).micros is not None:
        return DATE
    return TEXT


def is_header(first: list[str], below: list[list[str]]) -> tuple[bool, list[str]]:
    """Whether the first row names the columns: it holds text, and none of its numbers or dates sits over
    a column of numbers or dates below (so a data row whose text column holds a number further down is
    data, never silently lost).  Also returns the first row's numbers that could yet be column names
    (whole numbers over columns of fractions, such as years naming columns of measurements), to say so."""
    kinds = [cell_kind(c) for c in first]
    if TEXT not in kinds:
        return False, []
    data_like = []
    for j, kind in enumerate(kinds):
        cells = [row[j] for row in below if j < len(row) and row[j]]
        if kind in (NUMBER, DATE) and all(cell_kind(c) in (NUMBER, DATE) for c in cells):
            data_like.append((first[j], kind, cells))
    if not data_like:
        return True, []
    names = all(
        kind == NUMBER and _WHOLE.fullmatch(cell) and cells and not all(_WHOLE.fullmatch(c) for c in cells)
        for cell, kind, cells in data_like
    )
    return False, [cell for cell, _, _ in data_like] if names else []


def header_cell_reads_back(name: str) -> bool:
    """True when ``name`` as the first cell of a file's first line is read as a column name (text)."""
    return cell_kind(name.strip()) == TEXT


def column_kinds(rows: list[list[str]], ncols: int) -> list[str]:
    """Each column's kind: numbers or dates, whichever its cells hold more of, or text when they hold
    neither (a column of mostly text with a stray number is parsed, its text cells then unreadable)."""
    kinds = []
    for j in range(ncols):
        found = [cell_kind(row[j]) for row in rows if j < len(row)]
        numbers, dates = found.count(NUMBER), found.count(DATE)
        kinds.append(TEXT if not numbers + dates else DATE if dates > numbers else NUMBER)
    return kinds


def first_text(rows: list[list[str]], j: int) -> tuple[int, str] | None:
    return next(((k, row[j]) for k, row in enumerate(rows) if j < len(row) and row[j]), None)


def quoted(cell: str) -> str:
    """A cell as it appears in a message: quoted, and cut short when long."""
    return repr(cell if len(cell) <= 40 else cell[:37] + "...")


def number_reason(cell: str, line: str, delimiter: str) -> str:
    """Why a cell of a number column is no usable number, and how to fix it."""
    shown = quoted(cell)
    if not cell:
        return "empty cell (every row needs a value in each chosen column)"
    value, form = classify_number(cell)
    if form is not Form.BAD:
        return f"{shown} is not a finite number (every value must be a real number; fix or delete the row)"
    if looks_like_date(cell):
        return f"{shown} is a date, but this column holds numbers"
    if all(classify_number(c)[1] is Form.BAD for c in split_cells(line, delimiter)):
        return (
            f"{shown} is not a number (a header row is allowed only as the first line; "
            "delete this line or start it with '#' to make it a comment)"
        )
    return f"{shown} is not a number ({_NUMBER_HINT})"
