"""Guess start gets the usual shapes near enough for Levenberg–Marquardt, from the data alone."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.least_squares import solve_least_squares
from workbench.fitting.problem import FitProblem
from workbench.fitting.start_guess import guess_start

SHAPES = {
    "exponential decay": ("a*exp(-b*x) + c", np.linspace(0, 10, 80), [5.0, 0.7, 1.0]),
    "Gaussian peak": ("A*exp(-(x - mu)^2/(2*s^2)) + base", np.linspace(0, 100, 120), [40.0, 62.0, 7.0, 3.0]),
    "logistic": ("L/(1 + exp(-k*(x - x0)))", np.linspace(-5, 25, 90), [12.0, 0.6, 9.0]),
    "saturation": ("b1*(1 - exp(-b2*x))", np.linspace(0, 20, 40), [200.0, 0.35]),
    "sine": ("A*sin(w*x + phi) + c", np.linspace(0, 20, 200), [3.0, 1.7, 0.8, 0.5]),
    "Michaelis-Menten": ("Vmax*x/(K + x)", np.linspace(0.1, 50, 40), [7.5, 4.0]),
    "power law": ("a*x^b", np.linspace(1, 30, 40), [2.0, 1.6]),
    "two decays": ("a*exp(-b*x) + c*exp(-d*x)", np.linspace(0, 10, 100), [3.0, 2.0, 1.0, 0.2]),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_guess_then_lm_recovers_the_curve(shape):
    text, x, truth = SHAPES[shape]
    model = FormulaModel(text)
    clean = model.predict(truth, x)
    y = clean + np.random.default_rng(5).normal(0, 0.02 * np.std(clean), x.size)
    problem = FitProblem(x, y, model)
    guess = guess_start(model, x, y)
    assert np.all(np.isfinite(guess.params)) and guess.sse < np.sum((y - y.mean()) ** 2)
    assert guess.explanation.startswith("Guess start:")
    fit = solve_least_squares(problem, guess.params)
    assert fit.stop_reason == "converged"
    # The same curve as the truth (parameters may differ by a symmetry: a sign, two swapped peaks).
    assert np.max(np.abs(fit.fitted - clean)) < 0.1 * np.std(clean)
    assert fit.r_squared > 0.99
    # From the default start (all ones) LM alone does not get there for every shape: the guess matters.
    assert fit.loss <= problem.loss_at(model.initial_params())


def test_linear_parameters_are_solved_not_searched():
    model = FormulaModel("a + b*x + c*x^2 + d*exp(-k*x)")
    x = np.linspace(0, 5, 50)
    y = model.predict([1.0, -0.5, 0.2, 3.0, 1.3], x)
    guess = guess_start(model, x, y)
    assert guess.linear == ("a", "b", "c", "d") and guess.searched == ("k",)
    np.testing.assert_allclose(guess.params, [1.0, -0.5, 0.2, 3.0, 1.3], rtol=0.05, atol=0.05)


def test_a_formula_linear_in_every_parameter_is_solved_exactly():
    model = FormulaModel("a + b*x + c*sin(x)")
    x = np.linspace(0, 6, 40)
    y = model.predict([0.3, 1.1, -2.0], x) + np.random.default_rng(0).normal(0, 0.1, x.size)
    guess = guess_start(model, x, y)
    design = np.column_stack([np.ones_like(x), x, np.sin(x)])
    np.testing.assert_allclose(guess.params, np.linalg.lstsq(design, y, rcond=None)[0], rtol=1e-8)
    assert guess.searched == () and guess.tried == 1


def test_a_product_of_parameters_is_linear_in_one_of_them_only():
    guess = guess_start(FormulaModel("a*b*x + c"), np.linspace(0, 1, 10), np.linspace(0, 2, 10))
    assert guess.linear == ("a", "c") and guess.searched == ("b",)


def test_the_same_data_gives_the_same_guess():
    text, x, truth = SHAPES["logistic"]
    model = FormulaModel(text)
    y = model.predict(truth, x)
    first, second = guess_start(model, x, y), guess_start(model, x, y)
    np.testing.assert_array_equal(first.params, second.params)


def test_weights_count():
    model = FormulaModel("a*exp(-b*x)")
    x = np.linspace(0, 4, 40)
    y = model.predict([2.0, 1.0], x)
    y[-10:] += 5.0  # ten wild points...
    sigma = np.where(np.arange(40) >= 30, 1e4, 1.0)  # ...that the uncertainties say to ignore
    guess = guess_start(model, x, y, sigma)
    np.testing.assert_allclose(guess.params, [2.0, 1.0], rtol=0.05)


def test_a_formula_that_is_nowhere_finite_is_said_so():
    guess = guess_start(FormulaModel("a*log(-x*x - b*b - 1)"), np.linspace(0, 1, 10), np.ones(10))
    assert not np.isfinite(guess.sse) and "no values where the formula is a finite number" in guess.explanation
