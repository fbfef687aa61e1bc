"""The optimiser race: lockstep steps, the random-nudge baseline, and an honest scoreboard."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from workbench.fitting.learning_rates import default_lr
from workbench.fitting.problem import FitProblem
from workbench.fitting.race import RACE_KINDS, Race, RandomNudge, manual_trail_entry


@pytest.fixture
def problem():
    x = np.linspace(-1, 1, 40)
    y = np.sin(np.pi * x) + 0.05 * np.random.default_rng(1).normal(size=x.size)
    return FitProblem.polynomial(x, y, 3, "legendre")


def test_random_nudge_only_ever_keeps_improvements(problem):
    nudge = RandomNudge(problem.loss_at, np.zeros(4), scale=0.3)
    losses = [nudge.step() for _ in range(300)]
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < problem.loss_at(np.zeros(4))
    assert nudge.evaluations == 301
    assert nudge.loss == pytest.approx(problem.loss_at(nudge.theta))


def test_race_finishes_with_a_scoreboard_and_gradient_methods_beat_the_nudge(problem):
    race = Race(problem, np.zeros(4), steps=5000)
    for _ in race.run():
        pass
    board = {c.kind: c for c in race.contenders}
    assert set(board) == set(RACE_KINDS)
    for kind in ("gd", "momentum", "nesterov", "adam"):
        c = board[kind]
        assert c.steps_to_target is not None, kind
        assert min(c.losses) <= race.target
        assert c.losses[c.steps_to_target - 1] <= race.target
        assert all(loss > race.target for loss in c.losses[: c.steps_to_target - 1])
    nudge = board["nudge"]
    fastest = min(board[k].evaluations_to_target for k in ("gd", "momentum", "nesterov", "adam"))
    assert nudge.evaluations_to_target is None or nudge.evaluations_to_target > fastest
    assert race.target == pytest.approx(problem.exact.loss * 1.01)


def test_every_contender_starts_from_the_same_knobs(problem):
    theta0 = np.array([0.3, -0.2, 0.1, 0.4])
    race = Race(problem, theta0, steps=1)
    race.advance()
    start = problem.loss_at(theta0)
    for c in race.contenders:
        if c.kind != "nudge":  # a gradient step records the loss where it started
            assert c.losses[0] == pytest.approx(start)


def test_stop_event_ends_the_race_between_rounds(problem):
    stop = threading.Event()
    race = Race(problem, np.zeros(4), steps=10**9, stop=stop)
    for step in race.run():
        if step == 10:
            stop.set()
    assert race.step == 10


def test_a_diverging_contender_is_flagged_and_keeps_finite_knobs(problem):
    lrs = {"gd": 50 * problem.conditioning.max_stable_lr}
    race = Race(problem, np.zeros(4), kinds=("gd", "adam"), steps=400, lrs=lrs)
    for _ in race.run():
        pass
    gd = race.contenders[0]
    assert gd.diverged and np.all(np.isfinite(gd.theta))


def test_default_rates_are_stable_for_every_gradient_method(problem):
    for kind in ("gd", "momentum", "nesterov"):
        lr = default_lr(kind, problem)
        result = problem.trainer(kind, lr, np.zeros(4)).run_to_end()
        assert result.stop_reason.value != "diverged", kind


def test_the_manual_trail_joins_the_race_as_steps_of_one_evaluation(problem):
    trail = [np.zeros(4), problem.exact.coefficients * 0.5, problem.exact.coefficients]
    race = Race(problem, np.zeros(4), steps=1)
    entry = manual_trail_entry(problem, trail, race.target)
    assert entry["steps_to_target"] == 3 and entry["evaluations"] == 3
    np.testing.assert_allclose(entry["new_losses"], [problem.loss_at(t) for t in trail])


def test_the_stochastic_contender_uses_the_users_batch_or_a_tenth_of_the_points():
    from workbench.fitting.race import SGD_BATCH, sgd_batch_size

    assert sgd_batch_size(None, 30) == 3
    assert sgd_batch_size(None, 5) == 1  # never an empty batch
    assert sgd_batch_size(None, 10**6) == SGD_BATCH
    assert sgd_batch_size(7, 30) == 7 and sgd_batch_size(100, 30) == 30  # at most the points there are
