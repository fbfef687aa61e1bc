"""How the engine writes its numbers and names in sentences: shared by the ops' own rules and ``explain.py``."""

from __future__ import annotations

import re

import numpy as np

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def pretty(label: str) -> str:
    """``x^3`` → ``x³``: integer exponents written as superscripts."""
    return re.sub(r"\^(-?\d+)", lambda m: m.group(1).translate(SUPERSCRIPT), label)


def number(value: float) -> str:
    """A number to four significant digits (no ``-0``)."""
    value = float(value)
    if value == 0:
        return "0"
    return f"{value:.4g}"


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
