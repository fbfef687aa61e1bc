"""A fit taken elsewhere as code: a self-contained Python script that reproduces the curve with NumPy.

The script holds the data and the curve, prints the fit's numbers and plots both with matplotlib when it
is installed (it is not our dependency: without it the script says so and still prints).  It needs
nothing from this package.

The curve is written the way the app evaluates it: a Legendre series in t = (x − centre)/half_width,
t running over [−1, 1] on the data's x range, summed by NumPy's ``legval`` (Clenshaw's recurrence).
Its coefficients are the knobs converted exactly (``Basis.convert``) and rounded once, so the script's
values agree with the app's to the last digit or two, for any x range.  The powers-of-x coefficients
are written too, for reading: far from x = 0 (years, say) a polynomial summed from them is a small
difference of huge terms, and rounding each one to a double loses the curve (see ``stats``).
"""

from __future__ import annotations

from string import Template

import numpy as np

from .export import NO_FORMULA_FOR_NET, ExportError, formula_text
from .problem import FitProblem

NO_SCRIPT_FOR_NET = NO_FORMULA_FOR_NET.replace("formula", "script")
NUMBERS_PER_LINE = 4  # repr of a double takes up to 24 characters: four a line stay well under 120

# The script, with $-placeholders (string.Template: the script's own braces are left alone).
_SCRIPT = Template('''\
#!/usr/bin/env python3
"""A degree-$degree polynomial fitted to $subject,
exported by Curve Fitter Workbench and reproduced with NumPy alone.

Run it to print the fit's numbers and plot the data and the curve (the plot needs matplotlib;
``--save FILE`` writes it to FILE instead of opening a window).  Import it to use ``curve(x)``.

The curve is a Legendre series in t = (x - CENTRE) / HALF_WIDTH, t running over [-1, 1] on the
data's x range: summed that way it keeps its digits for any x range.  POWERS holds the same curve
as y = k0 + k1*x + k2*x**2 + ... for reading; far from x = 0 a sum of those terms loses digits.
"""

import sys

import numpy as np

TITLE = $title
X_NAME, Y_NAME = $x_name, $y_name  # the data's column names (axis labels)
X = $x
Y = $y
SIGMA = $sigma

DEGREE = $degree
CENTRE = $centre
HALF_WIDTH = $half_width
LEGENDRE = $legendre
POWERS = $powers
FORMULA = $formula


def curve(x):
    """The fitted curve at x (a number or an array)."""
    t = (np.asarray(x, dtype=float) - CENTRE) / HALF_WIDTH
    return np.polynomial.legendre.legval(t, LEGENDRE)


def least_squares(x, y, sigma=None):
    """NumPy's own least-squares polynomial of DEGREE through (x, y), in the same form as LEGENDRE."""
    t = (np.asarray(x, dtype=float) - CENTRE) / HALF_WIDTH
    weights = None if sigma is None else 1.0 / np.asarray(sigma, dtype=float)
    return np.polynomial.legendre.legfit(t, np.asarray(y, dtype=float), DEGREE, w=weights)


def summary():
    """The fit's numbers as lines of text."""
    fitted = curve(X)
    residuals = Y - fitted
    weights = np.ones_like(Y) if SIGMA is None else 1.0 / SIGMA**2
    rss = float(np.sum(weights * residuals**2))
    mean = np.sum(weights * Y) / np.sum(weights)
    tss = float(np.sum(weights * (Y - mean) ** 2))
    dof = X.size - (DEGREE + 1)
    lines = [FORMULA, f"{X.size} points, degree {DEGREE}" + ("" if SIGMA is None else ", weighted by 1/sigma**2")]
    if tss > 0:
        lines.append(f"R^2          {1.0 - rss / tss:.10g}")
    if dof > 0:
        lines.append(f"residual SD  {np.sqrt(rss / dof):.10g}")
    if np.unique(X).size > DEGREE:
        refit = np.polynomial.legendre.legval((X - CENTRE) / HALF_WIDTH, least_squares(X, Y, SIGMA))
        lines.append(f"NumPy's own least-squares fit is at most {np.max(np.abs(refit - fitted)):.3g} from this curve")
    return lines


def plot(save_to=None):
    """Plot the data and the curve with matplotlib; False when matplotlib is not installed."""
    try:
        import matplotlib

        if save_to:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    margin = 0.05 * (X.max() - X.min()) or 1.0
    grid = np.linspace(X.min() - margin, X.max() + margin, 800)
    figure, axes = plt.subplots(figsize=(8, 5))
    if SIGMA is None:
        axes.plot(X, Y, "o", color="#1f4e9c", markersize=4, label="data")
    else:
        axes.errorbar(X, Y, yerr=SIGMA, fmt="o", color="#1f4e9c", markersize=4, capsize=2, label="data, ±sigma")
    axes.plot(grid, curve(grid), color="#c0392b", linewidth=2, label=f"degree-{DEGREE} fit")
    axes.set_xlabel(X_NAME)
    axes.set_ylabel(Y_NAME)
    axes.set_title(TITLE)
    axes.legend()
    figure.tight_layout()
    if save_to:
        figure.savefig(save_to, dpi=150)
    else:
        plt.show()
    return True


def main(argv):
    """Print the summary, then plot (to a window, or to the file after --save)."""
    save_to = None
    if len(argv) == 2 and argv[0] == "--save":
        save_to = argv[1]
    elif argv:
        print("usage: python " + sys.argv[0] + " [--save FILE]", file=sys.stderr)
        return 2
    print("\\n".join(summary()))
    if not plot(save_to):
        print("matplotlib is not installed, so there is no plot (pip install matplotlib)")
    elif save_to:
        print("plot saved to " + save_to)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
''')


def fit_script(problem: FitProblem, theta, title: str = "", x_name: str = "x", y_name: str = "y") -> str:
    """The source of a Python script that reproduces the curve of ``theta`` on ``problem``'s data and plots it,
    its axes labelled with the data's column names ``x_name`` and ``y_name``.

    Raises ``ExportError`` (a message for the user) for a neural net, no data, or knobs that are not
    finite numbers.
    """
    if not problem.is_polynomial:
        raise ExportError(NO_SCRIPT_FOR_NET)
    if problem.x.size == 0:
        raise ExportError("There are no data points to put in the script: add or open some data first.")
    theta = np.asarray(theta, dtype=np.float64)
    stable = problem.stable_basis
    not_finite = ExportError(
        "The curve's coefficients are not all finite numbers: reset the knobs or solve exactly before "
        "exporting it as a script."
    )
    if not np.all(np.isfinite(theta)):
        raise not_finite
    try:
        legendre = problem.polynomial_model.basis.convert(theta, stable)
        powers = problem.monomial_coefficients(theta)
    except OverflowError:  # an exact coefficient beyond the doubles' range
        raise not_finite from None
    if not (np.all(np.isfinite(legendre)) and np.all(np.isfinite(powers))):
        raise not_finite
    name = title or "the data"
    subject = f"{_plural(problem.x.size, 'point')} of {_docstring_text(name)}"
    if problem.sigma is not None:
        subject += " (weighted by 1/sigma**2)"
    return _SCRIPT.substitute(
        degree=problem.polynomial_model.degree,
        subject=subject,
        title=repr(name),
        x_name=repr(x_name or "x"),
        y_name=repr(y_name or "y"),
        x=_array(problem.x),
        y=_array(problem.y),
        sigma="None" if problem.sigma is None else _array(problem.sigma),
        centre=repr(float(stable.centre)),
        half_width=repr(float(stable.half_width)),
        legendre=_array(legendre),
        powers=_array(powers),
        formula=repr(formula_text(powers)),
    )


def _array(values) -> str:
    """``np.array([...])`` of the values' reprs (each reads back as the very same double), wrapped."""
    numbers = [repr(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]
    if len(numbers) <= NUMBERS_PER_LINE:
        return f"np.array([{', '.join(numbers)}])"
    rows = [", ".join(numbers[i : i + NUMBERS_PER_LINE]) for i in range(0, len(numbers), NUMBERS_PER_LINE)]
    return "np.array(\n    [\n" + "".join(f"        {row},\n" for row in rows) + "    ]\n)"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _docstring_text(name: str) -> str:
    """A dataset name for the docstring: one line, with no quote or backslash that could end it early."""
    return " ".join(name.replace("\\", "/").replace('"', "'").split())
