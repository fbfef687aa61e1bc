"""Validation monitoring and early stopping in the core training loop (no Qt)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.fitting.optimizers import GradientDescent
from workbench.fitting.problem import FitProblem
from workbench.fitting.split import Split
from workbench.fitting.training import StopReason, StopRules, Trainer


def training_bowl(theta):
    """L(k) = (k − 3)²: gradient descent walks from 0 towards 3."""
    k = theta[0]
    return (k - 3.0) ** 2, np.array([2.0 * (k - 3.0)])


def validation_bowl(theta) -> float:
    """Held-out loss (k − 1)²: lowest at k = 1, which the walk passes on its way to 3."""
    return float((theta[0] - 1.0) ** 2)


def walk(lr: float, steps: int) -> np.ndarray:
    """k before each step 1..steps of plain GD on the training bowl from 0."""
    return 3.0 - 3.0 * (1.0 - 2.0 * lr) ** np.arange(steps)


def test_the_monitor_is_recorded_at_the_knobs_each_step_starts_from():
    trainer = Trainer(
        training_bowl, GradientDescent(0.1), [0.0], StopRules(max_steps=20, tol=0), monitor=validation_bowl
    )
    records = list(trainer.run())
    expected = (walk(0.1, 20) - 1.0) ** 2
    np.testing.assert_allclose([r.val_loss for r in records], expected, rtol=1e-12)
    assert trainer.result.stop_reason is StopReason.MAX_STEPS  # no patience: monitoring never stops a run


def test_early_stop_ends_at_the_best_validation_knobs_and_names_the_step():
    patience = 5
    trainer = Trainer(
        training_bowl,
        GradientDescent(0.1),
        [0.0],
        StopRules(max_steps=1000, tol=0, patience=patience),
        monitor=validation_bowl,
    )
    records = list(trainer.run())
    result = trainer.result
    val = (walk(0.1, 100) - 1.0) ** 2
    best = int(np.argmin(val)) + 1  # 1-based step number
    assert best == 3
    assert result.stop_reason is StopReason.EARLY_STOP
    assert result.steps == best + patience == len(records)
    np.testing.assert_allclose(result.params, [walk(0.1, best)[-1]], rtol=1e-15)
    assert result.loss == pytest.approx(training_bowl(result.params)[0], rel=1e-15)
    assert f"not improved for {patience} steps" in result.message
    assert f"step {best}," in result.message and f"{val[best - 1]:.6g}" in result.message
    assert StopReason.EARLY_STOP.value == "early_stop"


def test_a_monitor_every_k_steps_is_evaluated_at_steps_1_plus_multiples_of_k():
    seen = []
    trainer = Trainer(
        training_bowl,
        GradientDescent(0.1),
        [0.0],
        StopRules(max_steps=10, tol=0),
        monitor=lambda th: seen.append(th[0]) or validation_bowl(th),
        monitor_every=4,
    )
    records = list(trainer.run())
    watched = [r.step for r in records if r.val_loss is not None]
    assert watched == [1, 5, 9] and len(seen) == 3


def test_patience_is_judged_on_watched_steps_only():
    # Best at step 1 (k = 0 is as close to −1 as the walk gets); watched at 1, 4, 7, 10 …
    trainer = Trainer(
        training_bowl,
        GradientDescent(0.1),
        [0.0],
        StopRules(max_steps=100, tol=0, patience=5),
        monitor=lambda th: float((th[0] + 1.0) ** 2),
        monitor_every=3,
    )
    list(trainer.run())
    assert trainer.result.stop_reason is StopReason.EARLY_STOP
    assert trainer.result.steps == 7  # 7 − 1 ≥ 5; at step 4 only 3 steps had passed
    np.testing.assert_array_equal(trainer.result.params, [0.0])


def test_a_never_finite_monitor_stops_after_patience_steps_without_moving_the_knobs_back():
    trainer = Trainer(
        training_bowl,
        GradientDescent(0.1),
        [0.0],
        StopRules(max_steps=100, tol=0, patience=4),
        monitor=lambda th: math.nan,
    )
    list(trainer.run())
    result = trainer.result
    assert (result.stop_reason, result.steps) == (StopReason.EARLY_STOP, 4)
    assert "not a finite number for 4 steps" in result.message
    np.testing.assert_allclose(result.params, [walk(0.1, 5)[-1]])  # where the walk got to


def test_convergence_and_the_step_limit_still_end_a_patient_run():
    trainer = Trainer(
        training_bowl,
        GradientDescent(0.1),
        [0.0],
        StopRules(max_steps=30, tol=0, patience=50),
        monitor=lambda th: -float(th[0]),
    )  # keeps improving: never stops early
    list(trainer.run())
    assert trainer.result.stop_reason is StopReason.MAX_STEPS and trainer.result.steps == 30


@pytest.mark.parametrize("patience", [0, -3, 2.5, True, "10"])
def test_bad_patience_is_refused(patience):
    with pytest.raises(ValueError, match="patience must be a whole number of steps, 1 or more"):
        StopRules(patience=patience)


def test_patience_without_a_monitor_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="hold out some points for validation"):
        Trainer(training_bowl, GradientDescent(0.1), [0.0], StopRules(patience=10))


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_bad_monitor_stride_is_refused(every):
    with pytest.raises(ValueError, match="monitor_every"):
        Trainer(training_bowl, GradientDescent(0.1), [0.0], monitor=validation_bowl, monitor_every=every)


def over_fitting_data() -> tuple[np.ndarray, np.ndarray]:
    """Eight noisy samples of one sine period: a degree-5 curve through five of them misses the rest."""
    x = np.linspace(0.0, 1.0, 8)
    return x, np.sin(2 * np.pi * x) + np.random.default_rng(5).normal(0.0, 0.3, 8)


def test_over_fitting_a_degree_5_polynomial_is_caught_by_the_held_out_points():
    x, y = over_fitting_data()
    train, val = Split(0.375, 0).indices(8)  # 5 points train, 3 are held out
    training = FitProblem.polynomial(x[train], y[train], 5, "scaled")
    validation = FitProblem(x[val], y[val], training.model, training.loss)
    lr = 0.9 * training.conditioning.max_stable_lr
    free = Trainer(
        training.value_and_grad,
        GradientDescent(lr),
        np.zeros(6),
        StopRules(max_steps=20_000, tol=0),
        monitor=validation.loss_at,
    )
    records = list(free.run())
    losses = np.array([r.loss for r in records])
    vals = np.array([r.val_loss for r in records])
    best = int(np.argmin(vals))
    assert np.all(np.diff(losses) <= 1e-12)  # training only ever falls …
    assert 0 < best < len(vals) - 1 and vals[-1] > 1.5 * vals[best]  # … validation turns and rises

    patient = Trainer(
        training.value_and_grad,
        GradientDescent(lr),
        np.zeros(6),
        StopRules(max_steps=20_000, tol=0, patience=200),
        monitor=validation.loss_at,
    )
    result = patient.run_to_end()
    assert result.stop_reason is StopReason.EARLY_STOP and result.steps == best + 1 + 200
    assert validation.loss_at(result.params) == pytest.approx(vals[best], rel=1e-12)
    assert result.loss > losses[-1]  # the knobs that generalise best do not fit the training set best
