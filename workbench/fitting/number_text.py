"""Numbers as people read them: one formatter for every readout, table, axis and text the workbench writes.

Each kind of quantity has its own function and its own number of significant digits: a loss is read to
six (small improvements must show), a knob to seven (it is typed back in), a gradient to four with its
sign (its direction matters more than its last digit), a learning rate to three, a count in full with
thousands separators.  Every one of them writes a number the same way:

- fixed notation from 10⁻⁴ up to 10⁶ (``0.000123``, ``1630``, ``-42.5``), rounded to the digits asked
  for and without trailing zeros; scientific notation outside (``8.891722e+13``, ``1.5e-07``);
- no ``-0``; ``∞`` and ``-∞`` for infinities; ``—`` where there is nothing to show (None or NaN);
- the decimal and thousands separators of a ``NumberStyle``.  The window passes its locale's (see
  ``workbench.qt.style.number_style``); the command line, text exports and reports meant to be read by
  programs use ``PLAIN`` (a decimal point, the C locale's), and data files and JSON are written with
  ``repr``, never with this module.

The distance of a loss from the optimum is always said one way: as a percentage above it (``+357 %``).
Points are numbered from 1 wherever a user reads them (``point_label``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.engine import words

__all__ = [
    "DASH",
    "GRADIENT_DIGITS",
    "KNOB_DIGITS",
    "LEARNING_RATE_DIGITS",
    "LOSS_DIGITS",
    "PLAIN",
    "STATISTIC_DIGITS",
    "NumberStyle",
    "Numbers",
    "count",
    "counted",
    "gap_to_optimum",
    "gradient",
    "knob",
    "learning_rate",
    "loss",
    "parse",
    "percent",
    "point_label",
    "significant",
    "statistic",
    "ticks",
    "widest",
]

LOSS_DIGITS = 6
KNOB_DIGITS = 7
GRADIENT_DIGITS = 4
LEARNING_RATE_DIGITS = 3
STATISTIC_DIGITS = 6
PERCENT_DIGITS = 3

FIXED_FROM, FIXED_BELOW = words.FIXED_FROM, words.FIXED_BELOW  # fixed notation from 10⁻⁴ up to 10⁶
DASH = words.DASH
AT_OPTIMUM = "at the optimum"
NEAR_ZERO_PERCENT = 1e-4  # a relative gap below this is "≈ 0 %"


@dataclass(frozen=True)
class NumberStyle:
    """How numbers are written: the decimal separator, the thousands separator of counts, the minus sign."""

    decimal: str = "."
    group: str = ","
    minus: str = "-"


PLAIN = NumberStyle()
"""A decimal point and comma-grouped counts: the command line, reports and text meant for any reader."""


# -- the one way of writing a number ----------------------------------------------------------------------
def significant(value: float | None, digits: int, style: NumberStyle = PLAIN, *, sign: bool = False) -> str:
    """``value`` to ``digits`` significant digits: fixed notation from 10⁻⁴ to 10⁶, scientific outside.

    ``sign`` writes a '+' before positive numbers (gradients, gaps).  The digits are laid out by the
    engine's own ``words.significant`` (the engine narrates its passes with it), so the graph view's
    sentences and every readout write a number the same way.
    """
    if value is None:
        return DASH
    return words.significant(value, digits, decimal=style.decimal, minus=style.minus, sign=sign)


def widest(digits: int, *, sign: bool = False) -> str:
    """The widest text ``significant`` can write with ``digits`` digits: what a box must have room for."""
    mantissa = "8" if digits == 1 else "8." + "8" * (digits - 1)
    return "-" + mantissa + "e-308" if not sign else "+" + mantissa + "e-308"


def parse(text: str, style: NumberStyle = PLAIN) -> float:
    """A number typed the way ``style`` writes it (its decimal separator, or a point; group separators
    ignored).  Raises ValueError when the text is no number."""
    cleaned = text.strip().replace("\u2212", "-")
    if style.group and style.group != style.decimal:
        cleaned = cleaned.replace(style.group, "").replace("\u00a0", "").replace("\u202f", "")
    if style.decimal != ".":
        cleaned = cleaned.replace(style.decimal, ".")
    return float(cleaned)


# -- one function per kind of quantity ------------------------------------------------------------------
def loss(value: float | None, style: NumberStyle = PLAIN, digits: int = LOSS_DIGITS) -> str:
    """A loss (six significant digits: enough to see small improvements)."""
    return significant(value, digits, style)


def knob(value: float | None, style: NumberStyle = PLAIN, digits: int = KNOB_DIGITS) -> str:
    """A knob's value (seven significant digits; the box's tooltip and exports carry every digit)."""
    return significant(value, digits, style)


def gradient(value: float | None, style: NumberStyle = PLAIN, digits: int = GRADIENT_DIGITS) -> str:
    """A gradient ∂L/∂k, always with its sign (its direction is half of what it says)."""
    return significant(value, digits, style, sign=True)


def learning_rate(value: float | None, style: NumberStyle = PLAIN) -> str:
    """A learning rate (three significant digits)."""
    return significant(value, LEARNING_RATE_DIGITS, style)


def statistic(value: float | None, style: NumberStyle = PLAIN, digits: int = STATISTIC_DIGITS) -> str:
    """A statistic of a fit: R², a standard error, a t value, RMSE, χ² (six significant digits)."""
    return significant(value, digits, style)


def count(n: int, style: NumberStyle = PLAIN) -> str:
    """A count in full, with thousands separators (``10,000``)."""
    n = int(n)
    text = f"{abs(n):,}"
    if style.group != ",":
        text = text.replace(",", style.group)
    return (style.minus + text) if n < 0 else text


def counted(n: int, noun: str, style: NumberStyle = PLAIN, plural: str | None = None) -> str:
    """``28 points``, ``1 point``: a count and its noun."""
    return f"{count(n, style)} {noun if int(n) == 1 else plural or noun + 's'}"


def percent(fraction: float | None, style: NumberStyle = PLAIN, *, sign: bool = False) -> str:
    """A share or a relative change as a percentage (three significant digits): ``12.5 %``."""
    if fraction is None or math.isnan(float(fraction)):
        return DASH
    return f"{significant(100.0 * float(fraction), PERCENT_DIGITS, style, sign=sign)} %"


def gap_to_optimum(value: float | None, optimum: float | None, style: NumberStyle = PLAIN) -> str:
    """How far a loss is above the optimum's, always as a percentage of it: ``+357 %``, ``+0.25 %``,
    ``at the optimum``; ``—`` when there is no optimum to compare with (or it is 0: a perfect fit)."""
    if value is None or optimum is None or not (math.isfinite(value) and math.isfinite(optimum)):
        return DASH
    gap = value - optimum
    if gap == 0 or abs(gap) <= 1e-12 * max(abs(value), abs(optimum)):
        return AT_OPTIMUM
    if optimum <= 0:
        return DASH
    relative = gap / optimum
    if abs(relative) < NEAR_ZERO_PERCENT:
        return "≈ 0 %"
    return percent(relative, style, sign=True)


def point_label(index: int, style: NumberStyle = PLAIN) -> str:
    """``point 31`` for the point at 0-based ``index`` 30: points are numbered from 1 wherever people read them."""
    return f"point {count(int(index) + 1, style)}"


# -- axis ticks ------------------------------------------------------------------------------------------
def ticks(values: Sequence[float], spacing: float, style: NumberStyle = PLAIN) -> list[str]:
    """Labels of axis ticks ``spacing`` apart: as many decimals as the spacing needs, no more; scientific
    notation (with the digits the spacing needs) when the ticks are beyond 10⁶ or all below 10⁻⁴."""
    if not len(values):
        return []
    if not (math.isfinite(spacing) and spacing > 0):
        return [significant(v, 4, style) for v in values]
    step = math.floor(math.log10(spacing))
    largest = max((abs(float(v)) for v in values if math.isfinite(v)), default=0.0)
    if largest >= 10.0**FIXED_BELOW or 0 < largest < 10.0**FIXED_FROM:
        top = math.floor(math.log10(largest))
        digits = max(1, top - step + 1)
        return [significant(v, digits, style) for v in values]
    places = max(0, -step)
    while places < max(0, -step) + 3 and abs(round(spacing, places) - spacing) > 1e-9 * spacing:
        places += 1  # a spacing of 0.25 needs two decimals, not one
    out = []
    for v in values:
        v = float(v)
        if not math.isfinite(v):
            out.append(significant(v, 1, style))
            continue
        text = f"{v:.{places}f}"
        if float(text) == 0:
            text = "0" + ("." + "0" * places if places else "")
        negative = text.startswith("-")
        text = text.lstrip("-")
        if style.decimal != ".":
            text = text.replace(".", style.decimal)
        out.append((style.minus if negative else "") + text)
    return out


# -- bound to one style ----------------------------------------------------------------------------------
class Numbers:
    """The functions above bound to one ``NumberStyle`` (the window's locale): ``numbers.loss(0.5)``."""

    def __init__(self, style: NumberStyle = PLAIN):
        self.style = style

    def significant(self, value: float | None, digits: int, *, sign: bool = False) -> str:
        """See ``significant``."""
        return significant(value, digits, self.style, sign=sign)

    def loss(self, value: float | None) -> str:
        """See ``loss``."""
        return loss(value, self.style)

    def knob(self, value: float | None) -> str:
        """See ``knob``."""
        return knob(value, self.style)

    def gradient(self, value: float | None, digits: int = GRADIENT_DIGITS) -> str:
        """See ``gradient``."""
        return gradient(value, self.style, digits)

    def learning_rate(self, value: float | None) -> str:
        """See ``learning_rate``."""
        return learning_rate(value, self.style)

    def statistic(self, value: float | None) -> str:
        """See ``statistic``."""
        return statistic(value, self.style)

    def count(self, n: int) -> str:
        """See ``count``."""
        return count(n, self.style)

    def counted(self, n: int, noun: str, plural: str | None = None) -> str:
        """See ``counted``."""
        return counted(n, noun, self.style, plural)

    def percent(self, fraction: float | None, *, sign: bool = False) -> str:
        """See ``percent``."""
        return percent(fraction, self.style, sign=sign)

    def gap_to_optimum(self, value: float | None, optimum: float | None) -> str:
        """See ``gap_to_optimum``."""
        return gap_to_optimum(value, optimum, self.style)

    def point_label(self, index: int) -> str:
        """See ``point_label``."""
        return point_label(index, self.style)
