"""How a file writes its numbers: a decimal point (1,234.5) or a decimal comma (1.234,5), told from the
numbers themselves, so that no cell is ever read the wrong way without a word.

Each number cell is classified by what it says about the convention:

- ``PLAIN``: ``42``, ``-3e5``: the same in both;
- ``POINT``: ``1.5``, ``0.125``, ``1,234.5``, ``1,234,567``: only a decimal point reads it;
- ``COMMA``: ``1,5``, ``0,125``, ``1.234,5``, ``1.234.567``: only a decimal comma reads it;
- ``AMBIGUOUS_DOT``: ``1.234``: 1.234 with a decimal point, 1234 with a thousands dot;
- ``AMBIGUOUS_COMMA``: ``1,234``: 1.234 with a decimal comma, 1234 with a thousands comma.

A column is parsed once, chunk by chunk, keeping the decimal reading of the ambiguous cells and a mask
per kind; the convention is settled afterwards for the columns actually chosen (``settle``): by the
user, else by the cells that only one convention reads, else (only ambiguous cells) by a ',' or
whitespace separator (a decimal point) or the caller's fallback (the user's locale, for a paste), each
assumption said in a notice, or not at all: the file is then refused at its first ambiguous cell, with
both readings.  A thousands reading of an ambiguous cell is exact: ``d.ddd`` read as a decimal and
multiplied by 1000 rounds to the integer.
"""

from __future__ import annotations

import itertools
import math
import operator
import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TypedDict

import numpy as np

__all__ = [
    "DECIMAL_CHOICES",
    "Form",
    "NumberChunk",
    "NumberEvidence",
    "Reading",
    "classify_number",
    "parse_numbers",
    "settle",
]

DECIMAL_CHOICES = ("auto", "point", "comma")


class Form(IntEnum):
    """What a number cell says about how the file writes decimals (see the module docstring)."""

    PLAIN = 0
    POINT = 1
    COMMA = 2
    AMBIGUOUS_DOT = 3
    AMBIGUOUS_COMMA = 4
    BAD = 5


_MARKED = (Form.POINT, Form.COMMA, Form.AMBIGUOUS_DOT, Form.AMBIGUOUS_COMMA)
_SHAPE = re.compile(r"([+-]?)([\d.,]*)([eE][+-]?\d+)?")
_AMBIGUOUS_DOT = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}")
_AMBIGUOUS_COMMA = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")
_GROUPED_BY_DOTS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d*)?")
_GROUPED_BY_COMMAS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")


def classify_number(cell: str) -> tuple[float, Form]:
    """The value and form of one stripped cell; ambiguous cells get their decimal reading, bad ones NaN.

    A value that is not finite (``nan``, ``inf``, ``1e999``) is returned as it is with form ``PLAIN``:
    the caller decides that such a value is no usable number.
    """
    if "_" in cell:  # float() reads '1_000' as 1000; in a data file it is more likely a slip
        return math.nan, Form.BAD
    if "," not in cell:
        try:  # the everyday case, quickly: float() reads it, and at most a '.' says anything
            value = float(cell)
        except ValueError:
            pass
        else:
            if "." not in cell:
                return value, Form.PLAIN
            return value, Form.AMBIGUOUS_DOT if _AMBIGUOUS_DOT.fullmatch(cell) else Form.POINT
    m = _SHAPE.fullmatch(cell)
    if m is None or not any(ch.isdigit() for ch in m[2]):
        try:  # 'inf', 'nan', 'Infinity': numbers, although not usable ones
            return float(cell), Form.PLAIN
        except ValueError:
            return math.nan, Form.BAD
    sign, body, exponent = m[1], m[2], m[3] or ""
    if body.endswith(","):  # '5,' is a number followed by a separator, not five
        return math.nan, Form.BAD
    dots, commas = body.count("."), body.count(",")
    if not dots and not commas:
        return float(cell), Form.PLAIN
    if dots == 1 and not commas:
        form = Form.AMBIGUOUS_DOT if not exponent and _AMBIGUOUS_DOT.fullmatch(cell) else Form.POINT
        return _float(cell), form
    if commas == 1 and not dots:
        form = Form.AMBIGUOUS_COMMA if not exponent and _AMBIGUOUS_COMMA.fullmatch(cell) else Form.COMMA
        return _float(sign + body.replace(",", ".") + exponent), form
    if exponent:
        return math.nan, Form.BAD  # thousands separators and an exponent: no one writes that
    if _GROUPED_BY_DOTS.fullmatch(body):
        return _float(sign + body.replace(".", "").replace(",", ".")), Form.COMMA
    if _GROUPED_BY_COMMAS.fullmatch(body):
        return _float(sign + body.replace(",", "")), Form.POINT
    return math.nan, Form.BAD


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # '.', '+.', ',e5': separators without digits on either side
        return math.nan


@dataclass
class NumberChunk:
    """One column of one chunk of rows, parsed: values (NaN where a cell is no finite number), the index
    of the first such cell, and a mask per marked form (``POINT``, ``COMMA``, ambiguous ones) present."""

    values: np.ndarray
    first_bad: int | None = None
    masks: dict[Form, np.ndarray] = field(default_factory=dict)


def parse_numbers(cells: list[str]) -> NumberChunk:
    """Parse a column's cells (stripped); fast when they are plain decimals of either convention."""
    n = len(cells)
    joined = "\n".join(cells)
    if "_" not in joined:
        values = _floats(cells, n)
        if values is not None and np.isfinite(values).all():
            return _marked(cells, joined, values, ".", Form.POINT, Form.AMBIGUOUS_DOT)
        if values is None and "," in joined and "." not in joined:
            values = _floats(joined.replace(",", ".").split("\n"), n)
            if values is not None and np.isfinite(values).all():
                return _marked(cells, joined, values, ",", Form.COMMA, Form.AMBIGUOUS_COMMA)
    return _cell_by_cell(cells)


def _floats(cells: list[str], n: int) -> np.ndarray | None:
    try:
        return np.fromiter(map(float, cells), dtype=np.float64, count=n)
    except ValueError:
        return None


def _marked(cells: list[str], joined: str, values: np.ndarray, mark: str, decided: Form, form: Form) -> NumberChunk:
    """Cells that all parsed, each holding at most one ``mark``: which of them are ambiguous."""
    chunk = NumberChunk(values)
    n = len(cells)
    count = joined.count(mark)
    if not count:
        return chunk
    if count == n:
        has_mark = np.ones(n, dtype=bool)
    else:
        has_mark = np.fromiter(map(operator.contains, cells, itertools.repeat(mark)), dtype=bool, count=n)
    # An ambiguous cell is 5 to 8 characters long ('1.234' to '-123.456'): only those are looked at.
    lengths = np.fromiter(map(len, cells), dtype=np.intp, count=n)
    exact = _AMBIGUOUS_DOT if form is Form.AMBIGUOUS_DOT else _AMBIGUOUS_COMMA
    unclear = np.zeros(n, dtype=bool)
    for k in np.flatnonzero(has_mark & (lengths >= 5) & (lengths <= 8)).tolist():
        unclear[k] = exact.fullmatch(cells[k]) is not None
    if unclear.any():
        chunk.masks[form] = unclear
        has_mark &= ~unclear
    if has_mark.any():
        chunk.masks[decided] = has_mark
    return chunk


def _cell_by_cell(cells: list[str]) -> NumberChunk:
    n = len(cells)
    values = np.empty(n)
    forms = np.empty(n, dtype=np.int8)
    for k, cell in enumerate(cells):
        values[k], forms[k] = classify_number(cell)
    bad = (forms == Form.BAD) | ~np.isfinite(values)
    values[bad] = np.nan
    chunk = NumberChunk(values, int(np.argmax(bad)) if bad.any() else None)
    for form in _MARKED:
        mask = forms == form
        if mask.any():
            chunk.masks[form] = mask
    return chunk


# -- settling the convention --------------------------------------------------------------------------
@dataclass(frozen=True)
class NumberEvidence:
    """What one parsed column says about the convention: the first row (0-based) and text of each marked
    form it holds (forms it does not hold are absent)."""

    firsts: dict[Form, tuple[int, str]]


@dataclass(frozen=True)
class Reading:
    """The convention settled for a choice of columns: ``decimal`` is ',' or '.', ``thousands`` the
    forms read as thousands groups (ambiguous ones), ``refused`` the form no cell may have."""

    decimal: str
    thousands: Form | None
    refused: Form
    chosen: bool  # the user chose it (else the cells did)
    witness: tuple[int, str, int] | None = None  # (row, text, column) of the first cell that decided it
    assumed: str = ""  # nothing in the cells decided it: why this convention was taken

    @property
    def name(self) -> str:
        """'decimal point' or 'decimal comma'."""
        return "decimal point" if self.decimal == "." else "decimal comma"


class Convention(TypedDict):
    """The fields of a ``Reading`` that make a convention (``Reading(**POINT_READING, chosen=...)``)."""

    decimal: str
    thousands: Form | None
    refused: Form


POINT_READING = Convention(decimal=".", thousands=Form.AMBIGUOUS_COMMA, refused=Form.COMMA)
COMMA_READING = Convention(decimal=",", thousands=Form.AMBIGUOUS_DOT, refused=Form.POINT)


_CHOOSE = "Choose how this file writes numbers (workbench fit --decimal point or comma; Numbers in File › Open data)"


class Unsettled(Exception):
    """The cells of the chosen columns do not settle the convention.  ``row``, ``column`` and ``text``:
    the first cell concerned; ``other``: (row, text) of an earlier cell written the other way, when the
    file has both (else the cell is ambiguous and nothing decides it)."""

    def __init__(self, row: int, column: int, text: str, other: tuple[int, str] | None = None):
        super().__init__(text)
        self.row, self.column, self.text, self.other = row, column, text, other

    def reason(self, line_of) -> str:
        """The explanation, with ``line_of(row)`` giving the file line of a row."""
        text = self.text
        if self.other is not None:
            kind, other_kind = ("point", "comma") if _is_point(text) else ("comma", "point")
            row, other = self.other
            return (
                f"{text!r} has a decimal {kind}, but {other!r} on line {line_of(row)} has a decimal "
                f"{other_kind}: a file should write its numbers one way. {_CHOOSE}, and fix or skip the "
                "rows written the other way"
            )
        mark = "." if "." in text else ","
        return (
            f"{text!r} can be read as {text.replace(',', '.')} (decimal {'point' if mark == '.' else 'comma'}) "
            f"or as {text.replace(mark, '')} (thousands {'dot' if mark == '.' else 'comma'}), and no number "
            f"in the chosen columns tells which. {_CHOOSE}"
        )


def _is_point(text: str) -> bool:
    return classify_number(text)[1] is Form.POINT


def settle(evidence: dict[int, NumberEvidence], decimal: str, delimiter: str, fallback: str | None = None) -> Reading:
    """The convention for the chosen number columns (``evidence`` by 0-based column index).

    ``decimal``: 'auto', 'point' or 'comma' (the user's choice).  Raises ``Unsettled`` when 'auto' finds
    both conventions, or only ambiguous cells in a file whose separator does not settle it ('\\t', ';')
    and no ``fallback`` ('point' or 'comma': the convention of the user's locale, say) is given.
    """
    if decimal not in DECIMAL_CHOICES:
        raise ValueError(f"decimal must be one of {DECIMAL_CHOICES}, not {decimal!r}")
    if decimal != "auto":
        return Reading(**(POINT_READING if decimal == "point" else COMMA_READING), chosen=True)
    point, comma = _first(evidence, Form.POINT), _first(evidence, Form.COMMA)
    if point and comma:
        early, late = sorted((point, comma))
        raise Unsettled(late[0], late[2], late[1], other=(early[0], early[1]))
    if point or comma:
        reading = POINT_READING if point else COMMA_READING
        return Reading(**reading, chosen=False, witness=point or comma)
    ambiguous = [_first(evidence, Form.AMBIGUOUS_DOT), _first(evidence, Form.AMBIGUOUS_COMMA)]
    unclear = min(filter(None, ambiguous), default=None)
    if unclear is None:
        return Reading(**POINT_READING, chosen=False)
    if delimiter in (",", " "):
        # A ',' file cannot hold decimal commas outside quotes, and whitespace-separated text is what
        # programs print: 1.250 there is one and a quarter (and the reader says it assumed so).
        why = "comma-separated files write a decimal point" if delimiter == "," else "programs print decimal points"
        return Reading(**POINT_READING, chosen=False, assumed=why)
    if fallback is not None:
        reading = POINT_READING if fallback == "point" else COMMA_READING
        return Reading(**reading, chosen=False, assumed="it is your system's convention")
    raise Unsettled(unclear[0], unclear[2], unclear[1])


def _first(evidence: dict[int, NumberEvidence], form: Form) -> tuple[int, str, int] | None:
    """(row, text, column) of the earliest cell of ``form`` among the columns, or None."""
    found = [(e.firsts[form][0], e.firsts[form][1], j) for j, e in evidence.items() if form in e.firsts]
    return min(found, default=None)


def apply_reading(
    values: np.ndarray, masks: dict[Form, np.ndarray], reading: Reading
) -> tuple[np.ndarray, np.ndarray | None]:
    """A column's values under ``reading`` (thousands read as such), read-only, and the mask of cells it
    refuses (None when none); ``values`` itself is left alone (a copy is made only when something changes)."""
    fix = masks.get(reading.thousands) if reading.thousands is not None else None
    refused = masks.get(reading.refused)
    if fix is None and refused is None:
        return values, None
    out = values.copy()
    if fix is not None:
        out[fix] = np.round(out[fix] * 1000.0)
    if refused is not None:
        out[refused] = np.nan
    out.flags.writeable = False
    return out, refused
