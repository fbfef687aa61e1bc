"""``numeric_trouble``: which fits can be computed in double precision, and what the refusal says.

Found by the degenerate-data stress test (tests/gui/test_stress_degenerate.py): data near 1e300 or
1e-300 reached the views, where powers of x, squares of y or the coefficients in powers of x overflowed
(warnings, NaN curves, OverflowError from an exact conversion).  The window now asks here first.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from workbench.fitting.basis import Basis
from workbench.fitting.computable import numeric_trouble
from workbench.fitting.losses import Loss
from workbench.fitting.models import MAX_HIDDEN, MLPModel, PolynomialModel
from workbench.fitting.problem import FitProblem

BIG, TINY, TOP = 1e300, 1e-300, 1.7976931348623157e308


def problem(x, y, kind="monomial", degree=5, loss="mse"):
    return FitProblem(
        np.array(x, float), np.array(y, float), PolynomialModel(degree, Basis.for_data(kind, x)), Loss(loss)
    )


@pytest.mark.parametrize(
    "x, y, kind, degree",
    [
        ([0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 2.0, 1.0], "monomial", 5),  # ordinary data, degree above n − 1
        ([BIG, 2 * BIG, 3 * BIG], [1.0, 2.0, 3.0], "scaled", 5),  # huge x in the scaled basis
        ([BIG, 2 * BIG, 3 * BIG], [1.0, 2.0, 3.0], "legendre", 15),
        ([TINY, 1.0, BIG], [1.0, 2.0, 3.0], "scaled", 3),
        ([0.0, 1.0, 2.0], [TINY, -TINY, 0.0], "monomial", 2),  # tiny y: squares underflow to 0
        ([3.0, 3.0, 3.0], [1.0, 2.0, 3.0], "monomial", 5),  # every x equal
        ([1e20, 2e20, 4e20], [1.0, 2.0, 3.0], "monomial", 5),  # x^5 = 1e102: fine
    ],
)
def test_data_that_can_be_computed_with(x, y, kind, degree):
    p = problem(x, y, kind, degree)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert numeric_trouble(p, np.zeros(degree + 1)) is None
        assert np.all(np.isfinite(p.exact.monomial)) and np.isfinite(p.value_and_grad(np.zeros(degree + 1))[0])


@pytest.mark.parametrize(
    "x, y, kind, degree, what",
    [
        ([BIG, 2 * BIG, 3 * BIG], [1.0, 2.0, 3.0], "monomial", 5, "the loss and its gradient"),
        ([BIG, 2 * BIG, 3 * BIG], [1.0, 2.0, 3.0], "monomial", 1, "the curvature of the loss"),
        ([0.0, 1.0, 2.0], [BIG, -BIG, BIG], "scaled", 1, "the loss and its gradient"),
        ([TINY, 2 * TINY, 5 * TINY], [1.0, 2.0, 3.0], "scaled", 5, "the exact least-squares fit"),
        ([-TOP, 0.0, TOP], [1.0, 2.0, 3.0], "scaled", 1, "the width of the data's range"),
        ([1e20, 2e20, 4e20], [1.0, 2.0, 3.0], "monomial", 15, "the loss and its gradient"),
    ],
)
def test_data_beyond_double_precision_is_explained(x, y, kind, degree, what):
    p = problem(x, y, kind, degree)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check itself never warns
        why = numeric_trouble(p, np.zeros(degree + 1))
    assert why is not None and why.startswith(what), why
    assert "cannot be computed in double precision" in why and "rescale x and y" in why
    assert f"x from {min(x):.3g} to {max(x):.3g}" in why
    if kind == "monomial" and degree > 1:
        assert "Scaled or Legendre basis" in why


def test_knobs_whose_loss_overflows_are_explained():
    p = problem([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], "monomial", 2)
    assert numeric_trouble(p, [0.0, 0.0, 1.0]) is None
    assert numeric_trouble(p, [0.0, 0.0, 1e300]).startswith("the loss and its gradient at these knobs")


def test_the_neural_net_is_checked_too():
    net = FitProblem(np.array([0.0, 1.0]), np.array([BIG, -BIG]), MLPModel((3,)), Loss())
    assert numeric_trouble(net, MLPModel((3,)).initial_params(seed=0)) is not None
    fine = FitProblem(
        np.array([BIG, 2 * BIG]), np.array([1.0, 2.0]), MLPModel((3,), Basis.for_data("scaled", [BIG, 2 * BIG])), Loss()
    )
    assert numeric_trouble(fine, MLPModel((3,)).initial_params(seed=0)) is None


def test_no_points_is_no_trouble():
    assert numeric_trouble(problem([], []), np.zeros(6)) is None


# -- the basis of extreme data -------------------------------------------------------------------------------
def test_a_basis_over_the_whole_double_range_has_a_finite_centre_and_half_width():
    # Found by the stress test: data from −1.8e308 to 1.8e308 made Basis.for_data raise ValueError
    # (its "widening" of an overflowing width produced −inf), inside a slot of the window.
    basis = Basis.for_data("scaled", [-TOP, 0.0, TOP])
    assert (basis.lo, basis.hi) == (-TOP, TOP)
    assert basis.centre == 0.0 and basis.half_width == TOP
    np.testing.assert_array_equal(basis.to_t([-TOP, 0.0, TOP]), [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("value", [TOP, -TOP, 1e308, 3.0, 0.0, -2.5])
def test_all_equal_x_widen_to_an_interval_inside_the_doubles(value):
    basis = Basis.for_data("scaled", [value, value])
    assert np.isfinite(basis.lo) and np.isfinite(basis.hi) and basis.lo < basis.hi
    assert basis.lo <= value <= basis.hi


def test_ordinary_intervals_keep_their_centre_and_half_width_exactly():
    for lo, hi in [(-1.0, 1.0), (1950.0, 2020.0), (0.1, 0.7), (-3e-5, 7e-5)]:
        basis = Basis("scaled", lo, hi)
        assert basis.centre == 0.5 * (lo + hi) and basis.half_width == 0.5 * (hi - lo)


def test_hidden_layers_wider_than_the_window_offers_are_refused():
    assert MLPModel((MAX_HIDDEN, MAX_HIDDEN)).n_params == 4353
    with pytest.raises(ValueError, match=f"from 1 to {MAX_HIDDEN}"):
        MLPModel((MAX_HIDDEN + 1,))
