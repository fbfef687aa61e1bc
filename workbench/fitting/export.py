"""Results out: the fitted curve as a formula (the fit report's CSV, JSON and text are in ``report_export``).

Nothing here rounds for looks.  Every coefficient is written with ``repr`` of a Python float, the
shortest decimal that reads back as the very same double, so a formula pasted into another program, or
a report read back by a script, carries the fit exactly.  Formulas are always in powers of the user's
own x (``FitProblem.monomial_coefficients``), whatever basis the knobs live in.

Writing goes through ``atomic``: a failed export never leaves a half-written file behind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .formula_model import FormulaModel
from .problem import FitProblem

FORMULA_FORMS = ("text", "latex", "numpy")
"""Plain text (y = 1.5 + 2.25·x − 0.5·x^2), LaTeX, and a NumPy expression in a variable ``x``."""


NO_FORMULA_FOR_NET = (
    "The neural net has no formula to export: its curve is a composition of tanh layers, "
    "not a polynomial. Switch Model to polynomial to export a formula."
)


class ExportError(ValueError):
    """Something cannot be exported; the message says what, and how to fix it."""


# -- numbers ------------------------------------------------------------------------------------------------
def _checked(coefficients: ArrayLike) -> list[float]:
    """Plain Python floats (``repr`` of a NumPy scalar would read ``np.float64(…)``), all finite."""
    values = [float(c) for c in np.asarray(coefficients, dtype=np.float64).ravel()]
    if not values:
        raise ExportError("There are no coefficients to write: the polynomial is empty.")
    for i, c in enumerate(values):
        if not math.isfinite(c):
            raise ExportError(
                f"Coefficient k{i} is {c!r}, not a finite number: reset the knobs or solve exactly "
                "before exporting the formula."
            )
    return values


def _plain_number(value: float) -> str:
    """repr without a pointless trailing ".0" (2.0 → "2"; the text still reads back as the same double)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _latex_number(value: float) -> tuple[str, bool]:
    """(LaTeX for a non-negative value, True when it is in scientific notation)."""
    text = _plain_number(value)
    if "e" not in text:
        return text, False
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return (power if mantissa == "1" else f"{mantissa}\\times {power}"), True


# -- formulas -----------------------------------------------------------------------------------------------
def _terms(coefficients: ArrayLike) -> list[tuple[int, float]]:
    """(power, coefficient) of the non-zero terms, lowest power first."""
    return [(i, c) for i, c in enumerate(_checked(coefficients)) if c != 0.0]


def formula_text(coefficients: ArrayLike) -> str:
    """The polynomial Σ k_i·x^i as readable text: ``y = 1.5 + 2.25·x − 0.5·x^2``."""
    parts: list[str] = []
    for power, c in _terms(coefficients):
        magnitude = abs(c)
        if power == 0:
            body = _plain_number(magnitude)
        else:
            x = "x" if power == 1 else f"x^{power}"
            body = x if magnitude == 1.0 else f"{_plain_number(magnitude)}·{x}"
        if not parts:
            parts.append(("−" if c < 0 else "") + body)
        else:
            parts.append(("− " if c < 0 else "+ ") + body)
    return "y = " + (" ".join(parts) if parts else "0")


def formula_latex(coefficients: ArrayLike) -> str:
    """The polynomial in LaTeX: ``y = 1.5 + 2.25x - 0.5x^{2}``, tiny or huge numbers as a\\times 10^{n}."""
    parts: list[str] = []
    for power, c in _terms(coefficients):
        number, scientific = _latex_number(abs(c))
        if power == 0:
            body = number
        else:
            x = "x" if power == 1 else f"x^{{{power}}}"
            # A thin space keeps "×10^{-7} x" from reading as an exponent of x.
            body = x if abs(c) == 1.0 else number + ("\\," if scientific else "") + x
        if not parts:
            parts.append(("-" if c < 0 else "") + body)
        else:
            parts.append(("- " if c < 0 else "+ ") + body)
    return "y = " + (" ".join(parts) if parts else "0")


def formula_numpy(coefficients: ArrayLike) -> str:
    """A NumPy expression in ``x`` (needs ``import numpy as np``) that evaluates the polynomial exactly as
    ``np.polynomial.polynomial.polyval`` does with these coefficients: every one is kept, zeros too."""
    values = ", ".join(repr(c) for c in _checked(coefficients))
    return f"np.polynomial.polynomial.polyval(x, [{values}])"


FORMATTERS: dict[str, Callable[[ArrayLike], str]] = {
    "text": formula_text,
    "latex": formula_latex,
    "numpy": formula_numpy,
}


def formula(coefficients: ArrayLike, form: str) -> str:
    """The polynomial with these powers-of-x coefficients in ``form`` ("text", "latex" or "numpy")."""
    try:
        formatter = FORMATTERS[form]
    except KeyError:
        raise ExportError(f"Unknown formula form {form!r}: choose one of {', '.join(FORMULA_FORMS)}.") from None
    return formatter(coefficients)


def problem_formula(problem: FitProblem, theta, form: str) -> str:
    """The current curve (knobs ``theta`` of ``problem``) as a formula in the user's x: a polynomial in
    powers of x, or the user's own formula with the knobs' values written in."""
    if isinstance(problem.model, FormulaModel):
        return _formula_with_values(problem.model, theta, form)
    if not problem.is_polynomial:
        raise ExportError(NO_FORMULA_FOR_NET)
    return formula(problem.monomial_coefficients(theta), form)


_FUNCTIONS = re.compile(r"\b(exp|log|sqrt|sin|cos|tan|arctan|atan|tanh|abs)\(")
_CONSTANTS = re.compile(r"\b(pi|e)\b(?!\()")


def _formula_with_values(model: FormulaModel, theta, form: str) -> str:
    """A formula model's curve: "text" as the user wrote it with every digit of the values, "numpy" as a
    NumPy expression of x (LaTeX is offered for polynomials)."""
    text = model.with_values(theta)
    if form == "text":
        return f"y = {text}"
    if form == "numpy":
        code = _FUNCTIONS.sub(lambda m: "np." + {"atan": "arctan"}.get(m.group(1), m.group(1)) + "(", text)
        return _CONSTANTS.sub(lambda m: "np." + m.group(1), code).replace("^", "**")
    raise ExportError("A formula is copied as text or as a NumPy expression; LaTeX is offered for polynomials.")
