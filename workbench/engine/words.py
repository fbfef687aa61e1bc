"""How the engine writes its numbers and names in sentences: shared by the ops' own rules and ``explain.py``."""

from __future__ import annotations

import math
import re

import numpy as np

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def pretty(label: str) -> str:
    """``x^3`` → ``x³``: integer exponents written as superscripts."""
    return re.sub(r"\^(-?\d+)", lambda m: m.group(1).translate(SUPERSCRIPT), label)


FIXED_FROM = -4  # numbers of magnitude 10⁻⁴ …
FIXED_BELOW = 6  # … up to (not including) 10⁶ are written in fixed notation, the others in scientific
DASH = "—"  # a number that is not there (NaN)


def significant(value: float, digits: int, *, decimal: str = ".", minus: str = "-", sign: bool = False) -> str:
    """``value`` to ``digits`` significant digits, the workbench's one way of writing a number.

    Fixed notation from 10⁻⁴ up to 10⁶ (``0.000123``, ``1630``), rounded first and without trailing
    zeros; scientific outside (``8.891722e+13``, ``1.5e-07``); no ``-0``; ``∞`` for infinities and ``—``
    for NaN.  ``decimal`` and ``minus`` are the separators to write (a locale's); ``sign`` writes a '+'
    before positive numbers.  ``workbench.fitting.number_text`` builds every readout on this.
    """
    if digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}")
    value = float(value)
    if math.isnan(value):
        return DASH
    if value == 0:
        return "0"
    body = "∞" if math.isinf(value) else _magnitude(abs(value), digits, decimal)
    if value < 0:
        return minus + body
    return ("+" + body) if sign else body


def _magnitude(a: float, digits: int, decimal: str) -> str:
    """A positive finite number to ``digits`` significant digits (rounded first, then laid out)."""
    rounded = f"{a:.{digits - 1}e}"
    mantissa, _, exponent_text = rounded.partition("e")
    exponent = int(exponent_text)
    if FIXED_FROM <= exponent < FIXED_BELOW:
        text = _strip_zeros(f"{float(rounded):.{max(0, digits - 1 - exponent)}f}")
    else:
        text = _strip_zeros(mantissa) + f"e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return text.replace(".", decimal) if decimal != "." else text


def _strip_zeros(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value: float) -> str:
    """A number in the engine's sentences: four significant digits (``significant``)."""
    return significant(value, 4)


def describe(value) -> str:
    """A value for display: the number itself for a scalar, a size and mean summary for an array."""
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1:
        return number(a.reshape(-1)[0])
    if a.size == 0:
        return "[no values]"
    size = f"{a.size} values" if a.ndim == 1 else "×".join(str(n) for n in a.shape)
    with np.errstate(all="ignore"):  # a mean of values that overflow is itself shown as inf
        mean = a.mean()
    return f"[{size}] mean {number(mean)}"


def wrap(name: str) -> str:
    """A name ready to follow ∂ or an operator: in parentheses unless it is a plain word."""
    return name if len(name) <= 3 or name.replace("_", "").isalnum() else f"({name})"


def exponent_text(n: float) -> str:
    """An exponent as written in a formula: ``3`` for 3.0, ``0.5`` for 0.5."""
    return f"{int(n)}" if n == int(n) else f"{n:g}"


def power_text(name: str, n: float) -> str:
    """``name`` raised to ``n`` in superscript (``x²``, ``(a+b)⁻¹``), ``1`` for n = 0, ``name`` for n = 1."""
    if n == 0:
        return "1"
    if n == 1:
        return name
    return f"{wrap(name)}{exponent_text(n).translate(SUPERSCRIPT)}"
