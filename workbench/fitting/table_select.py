"""Choosing x, y and σ among a table's columns: the numbers a dataset is made of, or exactly why not.

The choice settles how the chosen columns write numbers (``number_format.settle``), applies it, and then
either refuses the first row with an empty or unreadable chosen cell (file line, column, reason, fix) or,
with ``skip_bad_rows``, leaves such rows out and names them.  Columns not chosen are never looked at.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from workbench.fitting.number_format import (
    DECIMAL_CHOICES,
    Form,
    NumberEvidence,
    Reading,
    Unsettled,
    apply_reading,
    settle,
)
from workbench.fitting.sigma import first_bad_sigma
from workbench.fitting.table import DATE, DELIMITER_NAMES, TEXT, DataError, Table

__all__ = ["Selection", "select", "SKIP_HINT", "SHOWN_LINES"]

SHOWN_LINES = 5  # skipped lines named in a notice; the rest are counted
SKIP_HINT = (
    "fix or delete the row, or skip such rows (workbench fit --skip-bad-rows; Skip bad rows in File › Open data)"
)


@dataclass(frozen=True, eq=False)
class Selection:
    """The chosen columns as arrays, what they are called, the rows left out and what to tell the user."""

    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None
    x_name: str
    y_name: str
    x_is_date: bool
    skipped_rows: np.ndarray  # 0-based table rows left out (with skip_bad_rows)
    skipped_lines: np.ndarray | None  # their file lines, when known
    reading: Reading | None  # how the chosen number columns write numbers
    notices: tuple[str, ...]


def select(
    table: Table,
    x: int,
    y: int,
    sigma: int | None = None,
    *,
    decimal: str = "auto",
    skip_bad_rows: bool = False,
    source: str | None = None,
    fallback: str | None = None,
) -> Selection:
    """The x, y and (optional) σ columns of ``table`` (0-based), checked and read as one dataset.

    ``decimal``: 'auto' (the numbers decide), 'point' or 'comma'; ``fallback``: the convention to take
    when 'auto' finds only ambiguous numbers (default: refuse them).  Raises ``DataError`` naming the line
    and column of the first problem: a choice that makes no dataset, a column of text, numbers whose
    convention is unclear, a bad cell (unless ``skip_bad_rows``), or a σ that cannot be a weight.
    """
    if decimal not in DECIMAL_CHOICES:
        raise ValueError(f"decimal must be one of {DECIMAL_CHOICES}, not {decimal!r}")
    roles = _checked_roles(table, x, y, sigma, source)
    reading = _reading(table, roles, decimal, source, fallback)
    values: dict[str, np.ndarray] = {}
    refused: dict[str, np.ndarray | None] = {}
    for role, j in roles:
        column = table.columns[j]
        assert column.values is not None  # ``_checked_roles`` refused columns of text
        if column.kind == DATE:
            values[role], refused[role] = column.values, None
        else:
            assert reading is not None  # a number column was chosen
            values[role], refused[role] = apply_reading(column.values, column.masks, reading)
    bad = _structural_rows(table, [j for _, j in roles])
    for role, _ in roles:
        bad |= ~np.isfinite(values[role])
    notices = list(table.notices)
    skipped = np.flatnonzero(bad)
    if skipped.size:
        first = _first_problem(table, roles, reading, refused, int(skipped[0]), source)
        if not skip_bad_rows:
            raise DataError(f"{first.reason}; {SKIP_HINT}", path=first.path, line=first.line, column=first.column)
        if skipped.size == table.n_rows:
            raise DataError(
                "no rows left: every row has an empty or unreadable cell in the chosen columns (the first, "
                f"line {first.line}{f', column {first.column}' if first.column else ''}: {first.reason})",
                path=source,
            )
        keep = ~bad
        values = {role: _read_only(v[keep]) for role, v in values.items()}
        notices.append(_skipped_notice(table, skipped, roles))
    else:
        keep = None
    if sigma is not None and "σ" in values:
        _check_sigma(table, values["σ"], keep, sigma, source)
    if reading is not None:
        notices += _reading_notice(table, roles, reading)
    x_column, y_column = table.columns[x], table.columns[y]
    return Selection(
        values["x"],
        values["y"],
        values.get("σ"),
        x_column.name if table.has_header else "x",
        y_column.name if table.has_header else "y",
        x_column.kind == DATE,
        skipped,
        table.lines_of(skipped),
        reading,
        tuple(notices),
    )


def _read_only(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


def _checked_roles(table: Table, x, y, sigma, source) -> list[tuple[str, int]]:
    """The (role, column) pairs after checking the choice: in range, distinct, columns of the right kind."""
    ncols = table.n_columns
    if ncols < 2:
        raise DataError(
            "only 1 column found, but a dataset needs an x column and a y column "
            "(write each point as x,y like 1.5,2.0)",
            path=source,
        )
    roles = [("x", x), ("y", y)] + ([("σ", sigma)] if sigma is not None else [])
    for role, index in roles:
        try:
            if isinstance(index, bool):
                raise TypeError
            operator.index(index)
        except TypeError:
            raise DataError(
                f"the {role} column {index!r} is not a whole number: give the column's position",
                path=source,
            ) from None
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
    for role, index in roles:
        column = table.columns[index]
        if column.kind == TEXT or column.values is None:
            if column.sample is None:
                reason = f"empty cell: column {column.name!r} has no number or date in its first rows"
                row = 0
            else:
                row, text = column.sample
                reason = f"column {column.name!r} holds text such as {text!r}, not numbers"
            raise DataError(
                f"{reason}; choose another {role} column",
                path=source,
                line=table.line_of(row),
                column=index + 1,
            )
        if column.kind == DATE and role != "x":
            raise DataError(
                f"column {column.name!r} holds dates: dates can be x only; choose another {role} column",
                path=source,
                column=index + 1,
            )
    return roles


def _reading(table: Table, roles, decimal: str, source, fallback: str | None) -> Reading | None:
    """The number convention of the chosen number columns (None when all chosen columns are dates)."""
    evidence = {j: NumberEvidence(table.columns[j].firsts) for _, j in roles if table.columns[j].kind != DATE}
    if not evidence:
        return None
    try:
        return settle(evidence, decimal, table.delimiter, fallback)
    except Unsettled as exc:
        raise DataError(
            exc.reason(lambda row: table.line_of(row)), path=source, line=table.line_of(exc.row), column=exc.column + 1
        ) from None


def _structural_rows(table: Table, chosen: list[int]) -> np.ndarray:
    """Rows that cannot be trusted for this choice: more cells than the first row (something shifted),
    or too few to hold every chosen column."""
    bad = np.zeros(table.n_rows, dtype=bool)
    ragged = table.ragged
    if ragged is not None:
        bad[ragged.rows[(ragged.counts > table.n_columns) | (ragged.counts <= max(chosen))]] = True
    return bad


def _first_problem(table: Table, roles, reading: Reading | None, refused, row: int, source) -> DataError:
    """Why ``row`` (the first bad one) cannot be used: its shape, or its first bad chosen cell."""
    line = table.line_of(row)
    ragged = table.ragged
    if ragged is not None:
        at = np.flatnonzero(ragged.rows == row)
        if at.size:
            count, trailing = int(ragged.counts[at[0]]), bool(ragged.trailing_empty[at[0]])
            if count > table.n_columns or count <= max(j for _, j in roles):
                fix = f"every row needs as many {DELIMITER_NAMES[table.delimiter]}-separated cells as the first row"
                if count > table.n_columns and trailing:
                    fix += "; remove the separator at the end of the line"
                reason = f"wrong column count: expected {table.n_columns} cells, found {count} ({fix})"
                return DataError(reason, path=source, line=line)
    for role, j in sorted(roles, key=lambda pair: pair[1]):
        column = table.columns[j]
        mask = refused[role]
        if mask is not None and mask[row]:
            assert reading is not None  # a number column's cell was refused
            text = column.firsts[reading.refused][1]
            return DataError(_refused_reason(text, reading, table), path=source, line=line, column=j + 1)
        if column.first_bad is not None and column.first_bad[0] == row:
            return DataError(column.first_bad[1], path=source, line=line, column=j + 1)
    raise AssertionError(f"row {row} is bad but no reason was found")  # pragma: no cover


def _refused_reason(text: str, reading: Reading, table: Table) -> str:
    own = "comma" if reading.decimal == "." else "point"
    if reading.chosen:
        why = f"the numbers were set to use a {reading.name}"
    else:
        assert reading.witness is not None  # a refused cell: the cells decided, and one of them is the witness
        row, example, _ = reading.witness
        why = f"this file writes a {reading.name} ({example!r} on line {table.line_of(row)})"
    return f"{text!r} has a decimal {own}, but {why}"


def _skipped_notice(table: Table, skipped: np.ndarray, roles) -> str:
    """'skipped 7 rows (…): lines 4, 8, 9, 12, 13 and 2 more'."""
    names = " or ".join(role for role, _ in roles) if len(roles) == 2 else "x, y or σ"
    rows = f"{skipped.size:,} row{'s' if skipped.size != 1 else ''}"
    why = f"an empty or unreadable {names} cell, or the wrong number of cells"
    lines = table.lines_of(skipped[:SHOWN_LINES])
    if lines is None:
        return f"skipped {rows} ({why})"
    shown = ", ".join(map(str, lines.tolist()))
    more = f" and {skipped.size - SHOWN_LINES:,} more" if skipped.size > SHOWN_LINES else ""
    return f"skipped {rows} ({why}): line{'s' if skipped.size != 1 else ''} {shown}{more}"


def _check_sigma(table: Table, sigma: np.ndarray, keep: np.ndarray | None, column: int, source) -> None:
    """Every σ must be usable as a weight 1/σ² (> 0, and not so extreme that the weight over- or
    underflows: the same rule as ``Dataset``); the first one that is not is named with its line."""
    problem = first_bad_sigma(sigma)
    if problem is None:
        return
    index, what = problem
    row = int(np.flatnonzero(keep)[index]) if keep is not None else index
    reason = (
        f"σ in column {table.names[column]!r} = {what}; fix the value, choose another σ column, "
        "or choose no σ column to fit without weights"
    )
    raise DataError(reason, path=source, line=table.line_of(row), column=column + 1)


def _reading_notice(table: Table, roles, reading: Reading) -> list[str]:
    """Say how numbers were read when it is not the everyday decimal point, or when nothing decided it."""

    def first(*forms: Form) -> tuple[int, str] | None:
        cells = [table.columns[j].firsts[f] for f in forms for _, j in roles if f in table.columns[j].firsts]
        return min(cells, default=None)

    if reading.assumed:
        found = first(Form.AMBIGUOUS_DOT, Form.AMBIGUOUS_COMMA)
        assert found is not None  # a convention is assumed only for ambiguous cells
        row, text = found
        mark = "." if "." in text else ","
        as_decimal, as_thousands = float(text.replace(",", ".")), int(text.replace(mark, ""))
        value, other = (as_decimal, as_thousands) if mark == reading.decimal else (as_thousands, as_decimal)
        return [
            f"{text!r} on line {table.line_of(row)} was read as {value!r} (not {other!r}), with a "
            f"{reading.name}, because {reading.assumed} (no number in the chosen columns tells); if that "
            "is wrong, choose how the file writes numbers (workbench fit --decimal; Numbers in File › Open data)"
        ]
    thousands = first(reading.thousands) if reading.thousands is not None else None
    if reading.decimal == "." and thousands is None:
        return []
    parts = [f"numbers read with a {reading.name}"]
    if reading.witness is not None and reading.decimal == ",":
        row, text, _ = reading.witness
        parts.append(f"(as {text!r} on line {table.line_of(row)} shows)")
    if thousands is not None:
        row, text = thousands
        mark = "." if reading.decimal == "," else ","
        parts.append(
            f"and {mark!r} between thousands ({text!r} on line {table.line_of(row)} is {text.replace(mark, '')})"
        )
    return [" ".join(parts)]
