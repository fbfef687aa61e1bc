"""Optimisers reach the exact optimum, and the training loop stops for the right reason every time."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from workbench.fitting.optimizers import OPTIMIZER_KINDS, Adam, GradientDescent, Momentum, Nesterov, make_optimizer
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import StepRecord, StopReason, StopRules, Trainer


def cubic_data(n: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A noisy cubic on x in [−1, 1]: a well-conditioned problem in the scaled and Legendre bases."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1.0, 1.0, n)
    return x, 0.5 - 1.2 * x + 0.8 * x**2 + 2.0 * x**3 + rng.normal(0, 0.1, n)


@pytest.fixture(params=["scaled", "legendre"])
def problem(request) -> FitProblem:
    x, y = cubic_data()
    return FitProblem.polynomial(x, y, 3, request.param)


def learning_rate(kind: str, problem: FitProblem) -> float:
    """A sensible step for each rule, from the stability limit 2/λ_max (cg, lbfgs: their first trial step)."""
    limit = problem.conditioning.max_stable_lr
    rates = {"gd": 0.9 * limit, "momentum": 0.25 * limit, "nesterov": 0.15 * limit, "adam": 0.05}
    return rates.get(kind, 0.5 * limit)


def bowl(theta):
    """A tilted quadratic bowl: loss and gradient, for optimisers whose line search evaluates the loss."""
    scale = np.arange(1.0, theta.size + 1.0)
    shifted = theta - 0.25
    return float(np.sum(scale * shifted**2)), 2 * scale * shifted


# -- optimisers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", OPTIMIZER_KINDS)
def test_optimizer_converges_to_the_exact_optimum(problem, kind):
    exact = problem.exact
    rules = StopRules(max_steps=20_000, tol=1e-12)
    result = problem.trainer(kind, learning_rate(kind, problem), np.zeros(4), rules).run_to_end()
    assert result.stop_reason is StopReason.CONVERGED, result.message
    assert result.steps < 5_000
    np.testing.assert_allclose(result.params, exact.coefficients, rtol=0, atol=1e-5)
    assert result.loss == pytest.approx(exact.loss, rel=1e-11)
    assert result.optimum == exact.loss and result.gap == result.loss - exact.loss


@pytest.mark.parametrize("kind", OPTIMIZER_KINDS)
def test_reset_clears_state(kind):
    optimizer = make_optimizer(kind, 0.1)
    fresh = make_optimizer(kind, 0.1)
    optimizer.attach(bowl)
    fresh.attach(bowl)
    params = np.array([1.0, -2.0, 0.5])
    for grad in ([0.3, -1.0, 2.0], [1.0, 1.0, -1.0], [-0.5, 0.2, 0.1]):
        params = optimizer.update(params, np.array(grad))
    optimizer.reset()
    grad = np.array([0.7, -0.1, 0.4])
    np.testing.assert_array_equal(optimizer.update(params, grad), fresh.update(params, grad))


@pytest.mark.parametrize("kind", OPTIMIZER_KINDS)
def test_update_never_modifies_its_arguments(kind):
    optimizer = make_optimizer(kind, 0.1)
    optimizer.attach(bowl)
    params, grad = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    for _ in range(3):
        new = optimizer.update(params, grad)
        np.testing.assert_array_equal(params, [1.0, 2.0])
        np.testing.assert_array_equal(grad, [0.5, -0.5])
        assert not np.shares_memory(new, params) and not np.shares_memory(new, grad)


def test_update_rules_by_hand():
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    p0 = np.array([3.0, 4.0])
    lr, beta = 0.1, 0.9

    np.testing.assert_allclose(GradientDescent(lr).update(p0, g1), p0 - lr * g1)

    momentum = Momentum(lr, beta)
    p1 = momentum.update(p0, g1)
    np.testing.assert_allclose(p1, p0 - lr * g1)
    np.testing.assert_allclose(momentum.update(p1, g2), p1 - lr * (beta * g1 + g2))

    nesterov = Nesterov(lr, beta)
    p1 = nesterov.update(p0, g1)
    np.testing.assert_allclose(p1, p0 - lr * (g1 + beta * g1))
    v2 = beta * g1 + g2
    np.testing.assert_allclose(nesterov.update(p1, g2), p1 - lr * (g2 + beta * v2))

    adam = Adam(lr)
    p1 = adam.update(p0, g1)
    np.testing.assert_allclose(p1, p0 - lr * np.sign(g1), rtol=1e-7)  # first step: lr·g/|g|
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    eps = 1e-8 * 2.0  # relative to the first gradient's largest component
    np.testing.assert_allclose(adam.update(p1, g2), p1 - lr * m_hat / (np.sqrt(v_hat) + eps), rtol=1e-12)


def test_adam_behaves_the_same_whatever_the_units_of_the_gradient():
    g = np.array([3e-13, -1e-13])
    small, large = Adam(0.1), Adam(0.1)
    p_small, p_large = np.zeros(2), np.zeros(2)
    for k in range(5):
        p_small = small.update(p_small, g * (1 + k))
        p_large = large.update(p_large, 1e12 * g * (1 + k))
    np.testing.assert_allclose(p_small, p_large, rtol=1e-12)


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan"), float("inf")])
def test_bad_learning_rate_is_refused(lr):
    with pytest.raises(ValueError, match="learning rate"):
        make_optimizer("gd", lr)


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("sgd", 0.1)


# -- the training loop ---------------------------------------------------------------------------------------
def test_divergence_is_detected_and_the_best_coefficients_kept(problem):
    lr = 10 * problem.conditioning.max_stable_lr
    trainer = problem.trainer("gd", lr, np.zeros(4), StopRules(max_steps=10_000, tol=0.0))
    records = list(trainer.run())
    result = trainer.result
    assert result.stop_reason is StopReason.DIVERGED
    assert result.message
    assert result.steps == len(records) < 100
    assert np.all(np.isfinite(result.params))
    np.testing.assert_array_equal(result.params, trainer.best_params)
    assert result.loss == trainer.best_loss == min(r.loss for r in records)
    assert result.loss <= trainer.start_loss == records[0].loss
    assert result.loss == pytest.approx(problem.loss_at(result.params), rel=1e-15)
    np.testing.assert_array_equal(trainer.params, result.params)


def test_nan_loss_is_divergence_not_a_crash():
    calls = {"n": 0}

    def value_and_grad(theta):
        calls["n"] += 1
        if calls["n"] > 5:
            return float("nan"), np.full_like(theta, np.nan)
        return float(np.sum(theta**2)), 2 * theta

    trainer = Trainer(value_and_grad, GradientDescent(0.1), np.array([1.0, -1.0]), StopRules(tol=0.0))
    result = trainer.run_to_end()
    assert result.stop_reason is StopReason.DIVERGED
    assert np.all(np.isfinite(result.params)) and np.isfinite(result.loss)
    np.testing.assert_allclose(result.params, 0.8**4 * np.array([1.0, -1.0]))


def test_stop_from_another_thread(problem):
    stop = threading.Event()
    rules = StopRules(max_steps=10**12, tol=0.0, grad_tol=0.0)
    lr = 0.5 * problem.conditioning.max_stable_lr
    trainer = problem.trainer("gd", lr, np.zeros(4), rules, stop_event=stop)
    running = threading.Event()
    outcome = {}

    def on_step(record: StepRecord) -> None:
        if record.step >= 50:
            running.set()

    def work() -> None:
        outcome["result"] = trainer.run_to_end(on_step)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    assert running.wait(timeout=10), "the worker never got going"
    stop.set()
    asked = time.perf_counter()
    worker.join(timeout=5)
    stopped_after = time.perf_counter() - asked
    assert not worker.is_alive(), "the worker ignored the stop event"
    assert stopped_after < 1.0, f"stopping took {stopped_after:.2f} s"
    result = outcome["result"]
    assert result.stop_reason is StopReason.STOPPED
    assert result.steps >= 50
    assert np.all(np.isfinite(result.params)) and np.isfinite(result.loss)


def test_stop_before_the_first_step():
    trainer = Trainer(lambda t: (float(t @ t), 2 * t), GradientDescent(0.1), np.array([2.0]))
    trainer.stop()
    result = trainer.run_to_end()
    assert result.stop_reason is StopReason.STOPPED and result.steps == 0
    np.testing.assert_array_equal(result.params, [2.0])
    assert result.loss == 4.0


@pytest.mark.parametrize("max_steps", [0, 1, 37])
def test_max_steps_is_honoured_exactly(problem, max_steps):
    lr = 0.1 * problem.conditioning.max_stable_lr
    trainer = problem.trainer("gd", lr, np.zeros(4), StopRules(max_steps=max_steps, tol=0.0))
    records = list(trainer.run())
    assert len(records) == max_steps == trainer.result.steps
    assert [r.step for r in records] == list(range(1, max_steps + 1))
    assert trainer.result.stop_reason is StopReason.MAX_STEPS
    if max_steps == 0:
        np.testing.assert_array_equal(trainer.result.params, np.zeros(4))


def test_tol_convergence_is_the_gap_to_the_optimum(problem):
    tol = 1e-6
    lr = 0.5 * problem.conditioning.max_stable_lr
    trainer = problem.trainer("gd", lr, np.zeros(4), StopRules(max_steps=100_000, tol=tol))
    records = list(trainer.run())
    assert trainer.result.stop_reason is StopReason.CONVERGED
    optimum = problem.exact.loss
    assert records[-1].loss - optimum <= tol * optimum + problem.yardstick.resolution
    assert all(r.loss - optimum > tol * optimum for r in records[:-1]), "it should stop at the first step within tol"
    assert trainer.result.loss - optimum <= tol * optimum


def test_grad_tol_convergence_without_a_known_optimum():
    """No yardstick: converged when max |g_i|·max(|k_i|, 1) is below grad_tol × the starting loss."""
    rules = StopRules(max_steps=100_000, tol=0.0, grad_tol=1e-6)
    trainer = Trainer(bowl, GradientDescent(0.05), np.array([3.0, -1.0]), rules)
    records = list(trainer.run())
    assert trainer.result.stop_reason is StopReason.CONVERGED and trainer.result.optimum is None
    start = records[0].loss

    def relative(record):
        return np.max(np.abs(record.grad) * np.maximum(np.abs(record.params_before), 1.0)) / start

    assert relative(records[-1]) <= 1e-6 < relative(records[-2])


def test_step_is_exactly_one_gradient_descent_update(problem):
    lr = 0.3
    start = np.array([0.1, -0.2, 0.3, 0.4])
    trainer = problem.trainer("gd", lr, start)
    loss, grad = problem.value_and_grad(start)
    record = trainer.step()
    assert trainer.steps == record.step == 1
    assert record.loss == loss
    np.testing.assert_array_equal(record.grad, grad)
    np.testing.assert_array_equal(record.params_before, start)
    np.testing.assert_array_equal(record.params, start - lr * grad)
    np.testing.assert_array_equal(trainer.params, start - lr * grad)
    second = trainer.step()
    np.testing.assert_array_equal(second.params_before, record.params)
    assert second.step == 2


def test_step_records_are_copies(problem):
    start = np.array([0.1, -0.2, 0.3, 0.4])
    trainer = problem.trainer("momentum", 0.1, start)
    record = trainer.step()
    kept = trainer.params.copy()
    for array in (record.params, record.params_before, record.grad):
        assert not np.shares_memory(array, trainer.params)
        array[:] = 12345.0
    np.testing.assert_array_equal(trainer.params, kept)
    next_record = trainer.step()
    np.testing.assert_array_equal(next_record.params_before, kept)
    # The caller's starting array is not the trainer's either.
    start[:] = -1.0
    assert trainer.params[0] != -1.0


def test_overshoot_at_the_end_is_not_what_the_user_keeps():
    # Momentum on L = x² from x = 1 visits −0.8 (L = 0.64), then overshoots to −0.98 (L = 0.9604).
    trainer = Trainer(
        lambda t: (float(t @ t), 2 * t), Momentum(0.9, 0.9), np.array([1.0]), StopRules(max_steps=2, tol=0.0)
    )
    records = list(trainer.run())
    np.testing.assert_allclose(records[-1].params, [-0.98])
    result = trainer.result
    assert result.stop_reason is StopReason.MAX_STEPS
    np.testing.assert_allclose(result.params, [-0.8])
    assert result.loss == pytest.approx(0.64)


def test_non_finite_start_is_refused():
    with pytest.raises(ValueError, match="finite"):
        Trainer(lambda t: (0.0, t), GradientDescent(0.1), np.array([np.nan]))


@pytest.mark.parametrize("kwargs", [{"max_steps": -1}, {"tol": -1.0}, {"grad_tol": -1.0}, {"divergence_factor": 1.0}])
def test_bad_stop_rules_are_refused(kwargs):
    with pytest.raises(ValueError):
        StopRules(**kwargs)
