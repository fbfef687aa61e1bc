"""Learning-rate sweeps find the divergence cliff of plain gradient descent where theory puts it: 2/λ_max."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from workbench.fitting.basis import BASIS_KINDS, Basis
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.sweep import (
    SweepPoint,
    cliff_bracket,
    cliff_of,
    default_rates,
    log_grid,
    lr_sweep,
    stability_limit,
)
from workbench.fitting.training import StopReason


def wide_data(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(0.0, 20.0, n)
    return x, 10 * np.sin(x / 3) + 0.1 * x**2 + 0.3 * np.cos(5.1 * x)


def independent_limit(x: np.ndarray, degree: int, kind: str, loss: str = "mse") -> float:
    """2/λ_max of the MSE (or SSE) Hessian, built here from the basis functions themselves."""
    t = x if kind == "monomial" else (x - (x.min() + x.max()) / 2) / ((x.max() - x.min()) / 2)
    if kind in ("legendre", "orthonormal"):
        columns = [np.polynomial.legendre.Legendre.basis(i)(t) for i in range(degree + 1)]
    else:
        columns = [t**i for i in range(degree + 1)]
    design = np.column_stack(columns)
    if kind == "orthonormal":  # Q of the Legendre design, scaled so that Σφ_j²/N = 1
        design = np.linalg.qr(design)[0] * np.sqrt(x.size)
    scale = 2.0 / x.size if loss == "mse" else 2.0
    return 2.0 / np.linalg.eigvalsh(scale * design.T @ design).max()


def test_log_grid():
    grid = log_grid(1e-3, 10.0, 5)
    assert grid == pytest.approx([1e-3, 1e-2, 1e-1, 1.0, 10.0])
    with pytest.raises(ValueError):
        log_grid(0.0, 1.0, 5)
    with pytest.raises(ValueError):
        log_grid(1.0, 0.5, 5)
    with pytest.raises(ValueError):
        log_grid(1e-3, 1.0, 1)


@pytest.mark.parametrize("kind", BASIS_KINDS)
@pytest.mark.parametrize("degree", [1, 3, 5])
def test_cliff_within_a_factor_of_two_of_the_limit(kind, degree):
    x, y = wide_data()
    problem = FitProblem.polynomial(x, y, degree, kind)
    limit = independent_limit(x, degree, kind)
    assert stability_limit(problem) == pytest.approx(limit, rel=1e-6)
    result = lr_sweep(problem, np.zeros(degree + 1), default_rates(problem))
    assert result.complete and not result.stopped
    assert result.cliff is not None
    assert limit / 2 <= result.cliff <= 2 * limit
    good, bad = result.bracket
    assert good <= limit <= bad  # the true limit lies inside the bracket


@pytest.mark.parametrize("kind", ["scaled", "legendre"])
def test_cliff_on_a_grid_that_knows_nothing_of_the_limit(kind):
    x, y = wide_data()
    problem = FitProblem.polynomial(x, y, 4, kind, Loss("sse"))
    limit = independent_limit(x, 4, kind, "sse")
    result = lr_sweep(problem, np.full(5, 0.1), log_grid(1e-6, 1.0, 31))
    assert limit / 2 <= result.cliff <= 2 * limit


@pytest.mark.parametrize("kind", BASIS_KINDS)
def test_stable_runs_are_finite_and_improve_with_the_rate(kind):
    x, y = wide_data()
    problem = FitProblem.polynomial(x, y, 3, kind)
    limit = stability_limit(problem)
    result = lr_sweep(problem, np.zeros(4), default_rates(problem))
    stable = [p for p in result.points if not p.diverged]
    diverged = [p for p in result.points if p.diverged]
    assert stable and diverged
    # Diverged runs all lie above every stable one: one cliff, no islands.
    assert max(p.rate for p in stable) < min(p.rate for p in diverged)
    for p in stable:
        assert np.isfinite(p.loss) and np.isfinite(p.last_loss)
        assert p.loss <= p.start_loss and p.steps == 200
        assert p.stop_reason is StopReason.MAX_STEPS
    # Below 1/λ_max every error component shrinks faster with a larger rate: the final loss falls.
    losses = [p.loss for p in stable if p.rate <= limit / 2]
    assert all(b <= a * (1 + 1e-9) for a, b in zip(losses, losses[1:]))
    for p in diverged:
        assert np.isfinite(p.loss) and p.loss <= p.start_loss  # the best finite loss, never NaN
        assert not np.isfinite(p.last_loss) or p.last_loss > p.start_loss


def test_results_arrive_one_by_one_in_rate_order():
    x, y = wide_data()
    problem = FitProblem.polynomial(x, y, 2, "legendre")
    seen: list[SweepPoint] = []
    rates = log_grid(1e-3, 10.0, 9)
    result = lr_sweep(problem, np.zeros(3), rates, steps=20, on_result=seen.append)
    assert tuple(seen) == result.points
    assert [p.rate for p in seen] == pytest.approx(list(rates))


def test_stop_between_runs_returns_partial_results():
    x, y = wide_data()
    problem = FitProblem.polynomial(x, y, 3, "scaled")
    stop = threading.Event()

    def stop_after_three(point):
        if len(seen) == 2:
            stop.set()
        seen.append(point)

    seen: list[SweepPoint] = []
    result = lr_sweep(problem, np.zeros(4), default_rates(problem), stop=stop, on_result=stop_after_three)
    assert len(result.points) == 3 and result.stopped and not result.complete
    assert result.points == tuple(seen)


def test_stop_from_another_thread_ends_a_long_run_promptly():
    x, y = wide_data(2000)
    problem = FitProblem.polynomial(x, y, 8, "legendre")
    stop = threading.Event()
    started = threading.Event()
    results = []

    def work():
        results.append(
            lr_sweep(
                problem, np.zeros(9), log_grid(1e-4, 1e-2, 10), steps=10_000_000, stop=stop, on_result=lambda p: None
            )
        )

    # The first run would take hours: only a stop inside the run can end it.
    thread = threading.Thread(target=work)
    original = problem.value_and_grad

    def value_and_grad(theta):
        started.set()
        return original(theta)

    problem.value_and_grad = value_and_grad
    thread.start()
    assert started.wait(5)
    stop.set()
    thread.join(2)
    assert not thread.is_alive()
    assert results[0].points == () and results[0].stopped


def test_nothing_diverges_means_no_cliff():
    x, y = wide_data()
    problem = FitProblem.polynomial(x, y, 2, "legendre")
    result = lr_sweep(problem, np.zeros(3), log_grid(1e-3, 0.1, 4), steps=10)
    assert result.cliff is None and result.bracket == (0.1, None)


def test_cliff_helpers():
    def point(rate, diverged):
        return SweepPoint(rate, 1.0, 1.0, 2.0, diverged, 1, StopReason.MAX_STEPS)

    points = [point(1.0, False), point(2.0, False), point(8.0, True), point(16.0, True)]
    assert cliff_bracket(points) == (2.0, 8.0)
    assert cliff_of(points) == pytest.approx(4.0)
    assert cliff_of([point(1.0, True)]) == 1.0
    assert cliff_of([]) is None


def test_bad_rates_are_refused():
    x, y = wide_data()
    problem = FitProblem.polynomial(x, y, 2, "legendre")
    with pytest.raises(ValueError):
        lr_sweep(problem, np.zeros(3), [0.1, -1.0])


def test_neural_net_sweeps_without_a_limit():
    x, y = wide_data(30)
    model = MLPModel((4,), Basis.for_data("scaled", x))
    problem = FitProblem(x, y, model)
    assert stability_limit(problem) is None
    rates = default_rates(problem, 6)
    assert rates[0] == pytest.approx(1e-5) and rates[-1] == pytest.approx(10.0)
    result = lr_sweep(problem, model.initial_params(0), rates, steps=5)
    assert len(result.points) == 6
    assert all(np.isfinite(p.loss) for p in result.points)
