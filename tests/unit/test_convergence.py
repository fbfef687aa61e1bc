"""Gradient descent that gets there: every optimiser's default reaches the optimum, on well- and
ill-conditioned real-looking data; conjugate gradient needs about D+1 steps, a Newton step one.

"Ill-conditioned" means data whose raw design is hopeless (calendar years at degree 10, clustered x,
x near 10⁶ with a narrow spread): the default basis, orthonormal on the data, takes that away.
"""

from __future__ import annotations

import numpy as np
import pytest
from high_precision import reference_fit
from realistic_data import ALL, RealLike, co2_monthly, engel, gdp_quarterly, longley, nile

from workbench.fitting.basis import Basis
from workbench.fitting.conditioning import LADDER, basis_ladder
from workbench.fitting.headless import FitRequest, fit_and_report
from workbench.fitting.learning_rates import default_lr
from workbench.fitting.line_search import exact_step, wolfe_search
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.newton import newton_step
from workbench.fitting.optimizers import OPTIMIZER_KINDS
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import StopReason, StopRules


class Data:
    def __init__(self, real: RealLike):
        self.x, self.y, self.sigma, self.n = real.x, real.y, real.sigma, real.x.size


def clustered(spread: float = 0.3) -> RealLike:
    """Two tight clusters of x far apart (measurements at two settings): nearly repeated rows."""
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(100.0, spread, 40), rng.normal(130.0, spread, 40)])
    return RealLike("clustered", x, 3.0 + 0.02 * x + rng.normal(0, 0.05, x.size))


def narrow_and_huge() -> RealLike:
    """x near 10⁶ with a spread of 10: powers of x agree to many digits."""
    rng = np.random.default_rng(12)
    x = 1e6 + np.sort(rng.uniform(0, 10, 60))
    return RealLike("narrow-huge", x, np.sin(x - 1e6) + rng.normal(0, 0.1, x.size))


def tiny_y() -> RealLike:
    """y of order 1e-12 (a measurement in SI units): Adam's old step of 0.01 diverged at step 2."""
    data = nile()
    return RealLike("tiny-y", data.x, data.y * 1e-15)


ILL = (clustered, narrow_and_huge, tiny_y)


def relative_gap(out: dict) -> float:
    return (out["loss"] - out["exact_loss"]) / out["exact_loss"]


# -- the command's defaults ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [co2_monthly, longley, gdp_quarterly, *ILL], ids=lambda f: f.__name__)
@pytest.mark.parametrize("degree", [0, 1, 3, 5, 8, 10])
def test_the_default_fit_ends_within_1e9_of_the_optimum(make, degree):
    data = make()
    out = fit_and_report(Data(data), FitRequest(degree=degree))
    assert (out["optimizer"], out["basis"]) == ("gd", "orthonormal")  # still gradient descent, through the engine
    assert out["stop_reason"] == "converged" and out["reached_optimum"], out["summary"]
    assert relative_gap(out) <= 1e-9
    assert out["steps"] <= 5


@pytest.mark.parametrize("make", [co2_monthly, longley, engel, gdp_quarterly, *ILL], ids=lambda f: f.__name__)
@pytest.mark.parametrize("degree", [1, 5, 10])
def test_adams_default_reaches_1e6_within_10000_steps(make, degree):
    out = fit_and_report(Data(make()), FitRequest(degree=degree, optimizer="adam", steps=10_000))
    assert out["stop_reason"] != "diverged"
    assert relative_gap(out) <= 1e-6, out["summary"]


def test_adam_never_diverges_at_step_2_on_tiny_y():
    data = tiny_y()
    for basis in ("orthonormal", "scaled", "legendre"):
        problem = FitProblem.polynomial(data.x, data.y, 3, basis)
        trainer = problem.trainer("adam", default_lr("adam", problem), np.zeros(4), StopRules(max_steps=2))
        records = list(trainer.run())
        assert records[1].loss <= 10 * records[0].loss, basis
        assert trainer.result.stop_reason is not StopReason.DIVERGED


@pytest.mark.parametrize("optimizer", OPTIMIZER_KINDS)
@pytest.mark.parametrize("make", [longley, co2_monthly, *ILL], ids=lambda f: f.__name__)
def test_every_optimizers_default_reaches_the_optimum(make, optimizer):
    out = fit_and_report(Data(make()), FitRequest(degree=6, optimizer=optimizer))
    assert out["stop_reason"] == "converged", out["summary"]
    assert relative_gap(out) <= (1e-6 if optimizer == "adam" else 1e-9)


@pytest.mark.parametrize("optimizer", OPTIMIZER_KINDS)
def test_at_the_edge_of_double_precision_no_run_claims_what_it_cannot_verify(optimizer):
    """Clusters 0.01 wide, 30 apart, degree 10: the design's directions are resolved to a few digits only.
    A run may stall there, but when it says converged it is within 1e-9 of the 100-digit optimum."""
    data = clustered(spread=0.01)
    reference = float(reference_fit(data.x, data.y, 10).loss)
    out = fit_and_report(Data(data), FitRequest(degree=10, optimizer=optimizer))
    assert out["stop_reason"] in ("converged", "stalled")
    truth = (out["loss"] - reference) / reference
    if out["stop_reason"] == "converged":
        assert truth <= 1e-9
    else:
        assert out["hint"] == "" or "basis" not in out["hint"]  # the basis is already the orthonormal one
        assert truth <= 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("make", ALL + ILL, ids=lambda f: f.__name__)
def test_every_default_on_every_dataset_and_degree(make):
    data = Data(make())
    for degree in range(11):
        for optimizer in OPTIMIZER_KINDS:
            out = fit_and_report(data, FitRequest(degree=degree, optimizer=optimizer))
            assert relative_gap(out) <= (1e-6 if optimizer == "adam" else 1e-9), (degree, optimizer, out["summary"])


# -- conjugate gradient, L-BFGS, Newton -------------------------------------------------------------------
@pytest.mark.parametrize("basis", ["scaled", "legendre", "orthonormal"])
@pytest.mark.parametrize("degree", [2, 5, 8])
def test_conjugate_gradient_needs_about_d_plus_1_steps(basis, degree):
    data = co2_monthly()
    problem = FitProblem.polynomial(data.x, data.y, degree, basis)
    result = problem.trainer("cg", default_lr("cg", problem), np.zeros(degree + 1)).run_to_end()
    assert result.stop_reason is StopReason.CONVERGED
    kappa = problem.conditioning.condition_number
    allowance = 1 if kappa < 1e3 else 2  # rounding costs conjugacy when κ is large
    assert result.steps <= allowance * (degree + 1) + 1, (result.steps, kappa)
    plain = problem.trainer("gd", default_lr("gd", problem), np.zeros(degree + 1)).run_to_end()
    assert result.steps <= plain.steps


@pytest.mark.parametrize("optimizer", ["cg", "lbfgs"])
def test_line_search_optimisers_train_the_neural_net(optimizer):
    """No Hessian to go by: the Wolfe line search.  Every accepted step lowers the loss."""
    data = longley()
    model = MLPModel((6,), Basis.for_data("scaled", data.x))
    problem = FitProblem(data.x, (data.y - data.y.mean()) / data.y.std(), model)
    trainer = problem.trainer(optimizer, 0.01, problem.model.initial_params(0), StopRules(max_steps=60))
    losses = [record.loss for record in trainer.run()]
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < 0.2 * losses[0]
    assert trainer.result.evaluations > trainer.result.steps  # the searches evaluated the loss more than once


def test_line_search_on_mae_keeps_going_down_and_never_crashes():
    data = engel()
    problem = FitProblem.polynomial(data.x, data.y, 3, "orthonormal", Loss("mae"))
    for optimizer in ("cg", "lbfgs"):
        trainer = problem.trainer(optimizer, 1.0, np.zeros(4), StopRules(max_steps=200))
        losses = [record.loss for record in trainer.run()]
        assert losses[-1] < 0.1 * losses[0] and all(b <= a * (1 + 1e-12) for a, b in zip(losses, losses[1:]))


@pytest.mark.parametrize("basis", ["monomial", "scaled", "legendre", "orthonormal"])
@pytest.mark.parametrize("loss", [Loss("mse"), Loss("sse"), Loss("mse", l2=0.01)], ids=["mse", "sse", "ridge"])
def test_one_newton_step_lands_on_the_optimum_from_anywhere(basis, loss):
    data = longley()
    x = (data.x - 1955.0) / 10.0 if basis == "monomial" else data.x  # powers of raw years: no Newton either
    problem = FitProblem.polynomial(x, data.y, 4, basis, loss)
    start = np.random.default_rng(3).normal(0, 100, 5)
    step = newton_step(problem, start)
    assert step.start_loss > 10 * step.loss
    assert step.loss == pytest.approx(problem.exact.loss, rel=1e-9)
    np.testing.assert_allclose(step.params, start + step.step)


def test_the_newton_step_is_refused_where_the_loss_is_not_quadratic():
    data = longley()
    with pytest.raises(ValueError, match="MAE"):
        newton_step(FitProblem.polynomial(data.x, data.y, 2, "orthonormal", Loss("mae")), np.zeros(3))
    with pytest.raises(ValueError, match="neural net"):
        newton_step(FitProblem(data.x, data.y, MLPModel((3,))), MLPModel((3,)).initial_params())


def test_exact_step_minimises_a_quadratic_along_a_line():
    hessian = np.array([[3.0, 1.0], [1.0, 2.0]])
    grad, direction = np.array([1.0, -2.0]), np.array([-1.0, 1.5])
    alpha = exact_step(grad, direction, hessian)
    assert direction @ (grad + alpha * hessian @ direction) == pytest.approx(0.0, abs=1e-14)  # flat there
    assert exact_step(grad, direction, -hessian) is None


def test_wolfe_search_meets_both_conditions():
    def f(theta):
        return float(np.sum((theta - 3.0) ** 4 + theta**2)), 4 * (theta - 3.0) ** 3 + 2 * theta

    start = np.array([0.0, 1.0])
    loss, grad = f(start)
    direction = -grad
    for first in (1e-6, 1e-2, 10.0):
        step = wolfe_search(f, start, direction, loss, grad, first)
        new_loss, new_grad = f(start + step.alpha * direction)
        assert new_loss <= loss + 1e-4 * step.alpha * (grad @ direction)
        assert abs(new_grad @ direction) <= 0.9 * abs(grad @ direction)
        assert step.loss == new_loss
    uphill = wolfe_search(f, start, grad, loss, grad, 1.0)
    assert uphill.alpha == 0.0 and uphill.evaluations == 0


# -- the conditioning story ------------------------------------------------------------------------------
def test_the_basis_ladder_ends_at_condition_number_one_and_one_step():
    data = co2_monthly()
    rungs = basis_ladder(data.x, 5)
    assert [r.kind for r in rungs] == list(LADDER)
    kappas = [r.condition_number for r in rungs]
    assert kappas == sorted(kappas, reverse=True) and kappas[0] > 1e15
    assert kappas[-1] == pytest.approx(1.0, abs=1e-9) and rungs[-1].gd_steps == 1
    steps = [r.gd_steps for r in rungs]
    assert steps == sorted(steps, reverse=True)
    # The worst-case count is an upper bound: after that many steps the gap has shrunk 1e10 times.
    for rung in rungs[1:]:
        if rung.gd_steps > 10**5:
            continue
        problem = FitProblem.polynomial(data.x, data.y, 5, rung.kind)
        rules = StopRules(max_steps=int(rung.gd_steps), tol=0.0)
        result = problem.trainer("gd", rung.lr, np.zeros(6), rules).run_to_end()
        start_gap = problem.true_loss(np.zeros(6)) - problem.exact.loss
        assert result.gap <= 1e-10 * start_gap + problem.yardstick.resolution, rung.kind
