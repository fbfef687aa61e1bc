"""Tasks (workbench.tasks): the gradient-descent loop and its reports, the race, the sweep and the surface,
driven in-process as the runner's inline mode drives them; the problem a task carries."""

from __future__ import annotations

import math
import os
import pickle
import threading
import time

import numpy as np
import pytest

from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import STOPPED_BY_USER, StopReason, StopRules
from workbench.tasks.context import TaskContext
from workbench.tasks.gradient_descent import GradientDescentTask, RunOutcome
from workbench.tasks.race import RaceTask
from workbench.tasks.surface import SurfaceGrid, SurfaceTask
from workbench.tasks.sweep import SweepTask


def problem(n: int = 200, **kwargs) -> FitProblem:
    x = np.linspace(-2.0, 3.0, n)
    return FitProblem.polynomial(x, np.sin(x) + 0.05 * x**2, 5, "scaled", **kwargs)


def gd_task(p: FitProblem | None = None, steps: int = 400, optimizer: str = "gd", **kwargs) -> GradientDescentTask:
    p = p or problem()
    lr = 0.9 * p.conditioning.max_stable_lr
    return GradientDescentTask(p, optimizer, lr, np.zeros(p.n_params), StopRules(max_steps=steps, tol=0.0), **kwargs)


def drive(task, context: TaskContext | None = None, acknowledge: bool = True):
    """Run a task to its end as the runner does: (snapshots, result)."""
    context = context or TaskContext()
    snapshots = []
    steps = task.run(context)
    try:
        while True:
            snapshot = next(steps)
            context.sent()
            snapshots.append(snapshot)
            if acknowledge:
                context.acknowledge()
    except StopIteration as end:
        return snapshots, end.value


# -- a problem travels as its definition --------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: FitProblem.polynomial(np.linspace(0, 1, 50), np.linspace(0, 1, 50) ** 3, 3),
        lambda: problem(),
        lambda: FitProblem.polynomial(np.linspace(-1, 1, 80), np.cos(np.linspace(-1, 1, 80)), 4, "legendre"),
        lambda: problem(sigma=np.linspace(0.1, 1.0, 200)),
        lambda: problem(loss=Loss("huber", 0.3)),
        lambda: FitProblem(np.linspace(-1, 1, 60), np.tanh(3 * np.linspace(-1, 1, 60)), MLPModel((8,))),
    ],
    ids=["monomial", "scaled", "legendre", "weighted", "huber", "network"],
)
def test_a_problem_pickles_as_its_definition_and_computes_the_same(make):
    original = make()
    theta = np.random.default_rng(3).normal(size=original.n_params)
    expected = original.value_and_grad(theta)
    copy = pickle.loads(pickle.dumps(original))
    value, grad = copy.value_and_grad(theta)
    assert value == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(grad, expected[1], rtol=1e-12, atol=1e-14)
    assert copy._lock is not original._lock  # its own graphs and lock
    if original.sigma is not None:
        np.testing.assert_array_equal(copy.sigma, original.sigma)


# -- the gradient-descent loop ---------------------------------------------------------------------------------
def test_reports_carry_every_step_and_the_tail_ends_on_the_result():
    reports, outcome = drive(gd_task(steps=3000))
    assert isinstance(outcome, RunOutcome)
    result = outcome.result
    assert result.stop_reason is StopReason.MAX_STEPS and result.steps == 3000
    assert sum(r.losses.size for r in [*reports, outcome.tail]) == 3000  # every step's loss, once
    assert reports[0].step == 1  # the first report at once
    assert [r.step for r in reports] == sorted(r.step for r in reports)
    np.testing.assert_array_equal(outcome.tail.theta, result.params)  # the tail ends at the end itself
    assert outcome.tail.loss == result.loss and outcome.tail.step == 3000
    for r in reports:  # the reports: loss and gradient at θ
        loss, grad = problem().value_and_grad(r.theta)
        assert r.loss == pytest.approx(loss, rel=1e-10)
        np.testing.assert_allclose(r.grad, grad, rtol=1e-9, atol=1e-12)


def test_the_loop_never_waits_for_a_receiver_that_has_not_taken_the_last_report():
    reports, outcome = drive(gd_task(steps=20_000), acknowledge=False)
    assert outcome.result.steps == 20_000  # all the steps, no pause for the window
    assert len(reports) == 1  # the first report; the rest rides on the tail
    assert sum(r.losses.size for r in [*reports, outcome.tail]) == 20_000
    assert len(outcome.tail.trajectory) <= 4000  # decimated, not unbounded


def test_validation_losses_come_at_step_one_and_every_nth_step_after():
    p = problem(400)
    train, held_out = FitProblem(p.x[::2], p.y[::2], p.model), FitProblem(p.x[1::2], p.y[1::2], p.model)
    reports, outcome = drive(gd_task(train, steps=41, validation=held_out, validation_every=4))
    steps = np.concatenate([r.val_steps for r in [*reports, outcome.tail]])
    assert steps.tolist() == list(range(1, 42, 4))  # step 1, then every 4th
    assert all(np.isfinite(np.concatenate([r.val_losses for r in [*reports, outcome.tail]])))


class FailingProblem(FitProblem):
    """Computes like its parent for ``good_steps`` steps, then raises (a bug, a memory error …)."""

    def __init__(self, inner: FitProblem, good_steps: int):
        super().__init__(inner.x, inner.y, inner.model, inner.loss)
        self.left = good_steps

    def value_and_grad(self, theta):
        self.left -= 1
        if self.left < 0:
            raise MemoryError("no room for the gradient")
        return super().value_and_grad(theta)


def test_a_failure_inside_the_loop_ends_the_run_with_the_best_knobs_and_says_why():
    reports, outcome = drive(gd_task(FailingProblem(problem(), 50), steps=1000))
    result = outcome.result
    assert result.stop_reason is StopReason.STOPPED
    assert "MemoryError" in result.message and "no room for the gradient" in result.message
    assert np.all(np.isfinite(result.params)) and np.isfinite(result.loss)
    np.testing.assert_array_equal(outcome.tail.theta, result.params)


def test_a_failure_at_the_first_step_ends_at_the_start_with_a_finite_loss():
    start = np.full(6, 0.25)
    task = gd_task(FailingProblem(problem(), 0), steps=10)
    task = GradientDescentTask(task.problem, "gd", task.lr, start, task.rules)
    _reports, outcome = drive(task)
    result = outcome.result
    assert result.steps == 0 and np.array_equal(result.params, start)
    assert result.loss == pytest.approx(problem().loss_at(start), rel=1e-12)  # the loss there: a finite record
    assert "no room for the gradient" in result.message


def test_a_run_that_cannot_start_ends_at_its_start_and_says_why():
    task = gd_task(optimizer="no-such-optimiser", steps=5)
    reports, outcome = drive(task)
    assert reports == [] and outcome.result.steps == 0
    assert np.isfinite(outcome.result.loss) and "could not start" in outcome.result.message
    assert "no-such-optimiser" in outcome.result.message


def test_a_paused_run_stops_at_once():
    context = TaskContext(pause_s=30.0)  # 30 s after every step
    threading.Timer(0.2, context.stop).start()
    started = time.perf_counter()
    _reports, outcome = drive(gd_task(steps=10), context)
    assert time.perf_counter() - started < 2.0
    assert outcome.result.stop_reason is StopReason.STOPPED and outcome.result.message == STOPPED_BY_USER


class CountingProblem(FitProblem):
    """Counts the passes over the data (loss and gradient, forward only, stable loss) made for it."""

    def __init__(self, inner: FitProblem):
        super().__init__(inner.x, inner.y, inner.model, inner.loss)
        self.passes = 0

    def value_and_grad(self, theta):
        self.passes += 1
        return super().value_and_grad(theta)

    def loss_at(self, theta):
        self.passes += 1
        return super().loss_at(theta)

    def true_loss(self, theta):
        self.passes += 1
        return super().true_loss(theta)


def drive_until_stopped(task, reports_before_stop: int):
    """Run ``task`` as the runner does and stop it right after its n-th report: (reports, outcome, passes made
    after the stop)."""
    context = TaskContext(interval=0.0)
    steps = task.run(context)
    reports, passes_at_stop = [], None
    try:
        while True:
            reports.append(next(steps))
            context.sent()
            context.acknowledge()
            if len(reports) == reports_before_stop:
                context.stop()
                passes_at_stop = task.problem.passes
    except StopIteration as end:
        return reports, end.value, task.problem.passes - passes_at_stop


@pytest.mark.parametrize("optimizer, reports", [("gd", 5), ("momentum", 5), ("adam", 5), ("lm", 1)])
def test_a_stopped_run_returns_at_once_with_the_exact_loss_of_the_knobs_it_keeps(optimizer, reports):
    p = CountingProblem(problem())
    task = gd_task(p, steps=10_000, optimizer=optimizer)  # (Levenberg–Marquardt solves this in a few steps)
    reports, outcome, passes_after_stop = drive_until_stopped(task, reports)
    result = outcome.result
    assert passes_after_stop == 0  # no evaluation of the end: the window keeps its last report anyway
    assert result.stop_reason is StopReason.STOPPED and result.message == STOPPED_BY_USER
    assert result.steps == len(reports) and np.all(np.isfinite(result.params)) and math.isfinite(result.loss)
    assert result.loss == pytest.approx(problem().loss_at(result.params), rel=1e-12)  # the loss of what is kept
    assert result.loss <= min(r.loss for r in reports)  # the best knobs seen, never worse than one shown
    np.testing.assert_array_equal(outcome.tail.theta, result.params)
    assert outcome.tail.loss == result.loss


def test_a_diverging_run_stopped_keeps_finite_knobs_and_their_loss():
    p = CountingProblem(problem())
    task = GradientDescentTask(p, "gd", 50 * p.conditioning.max_stable_lr, np.zeros(6), StopRules(max_steps=10_000))
    _reports, outcome, passes_after_stop = drive_until_stopped(task, 3)
    result = outcome.result
    assert passes_after_stop == 0 and result.stop_reason is StopReason.STOPPED
    np.testing.assert_array_equal(result.params, np.zeros(6))  # the start was the best it saw
    assert result.loss == pytest.approx(problem().loss_at(np.zeros(6)), rel=1e-12)


def test_a_run_stopped_before_its_first_step_ends_at_its_start_with_the_loss_there():
    p = CountingProblem(problem())
    start = np.full(6, 0.25)
    task = GradientDescentTask(p, "gd", 0.9 * p.conditioning.max_stable_lr, start, StopRules(max_steps=100))
    context = TaskContext()
    context.stop()
    reports, outcome = drive(task, context)
    result = outcome.result
    assert reports == [] and result.steps == 0 and np.array_equal(result.params, start)
    assert result.stop_reason is StopReason.STOPPED and result.message == STOPPED_BY_USER
    assert result.loss == pytest.approx(problem().loss_at(start), rel=1e-12)
    assert p.passes == 1  # one forward pass, for a finite record


def test_a_run_that_reaches_its_step_limit_still_evaluates_its_end_exactly():
    p = problem()
    _reports, outcome = drive(gd_task(p, steps=37, optimizer="momentum"))
    result = outcome.result
    assert result.stop_reason is StopReason.MAX_STEPS and result.steps == 37
    assert result.loss == pytest.approx(p.true_loss(result.params), rel=1e-12)  # the stable loss of the end


def test_a_shorter_pace_takes_effect_in_the_middle_of_a_pause():
    context = TaskContext(pause_s=30.0)
    threading.Timer(0.2, context.set_pause, args=(0.0,)).start()
    started = time.perf_counter()
    drive(gd_task(steps=3), context)
    assert time.perf_counter() - started < 2.0


def test_a_paced_run_reports_every_step_before_it_pauses():
    reports, outcome = drive(gd_task(steps=30), TaskContext(pause_s=0.001))
    assert [r.step for r in reports] == list(range(1, 31))  # each step as it is taken …
    assert outcome.tail.step == 30  # … and the end


def test_reports_come_no_faster_than_the_interval():
    context = TaskContext(interval=0.02)
    started = time.perf_counter()
    reports, _ = drive(gd_task(steps=30_000), context)  # a second or two: dozens of intervals
    elapsed = time.perf_counter() - started
    assert 10 <= len(reports) <= elapsed / 0.02 + 2


# -- the race, the sweep, the surface ---------------------------------------------------------------------------
def test_the_race_task_reports_new_losses_once_and_ends_with_a_final_snapshot():
    p = problem()
    reports, final = drive(RaceTask(p, np.zeros(6), ("gd", "adam", "nudge"), 300))
    assert final.done and not final.stopped
    for kind in ("gd", "adam", "nudge"):
        losses = [
            row["new_losses"] for snap in [*reports, final] for row in snap.snapshot.contenders if row["kind"] == kind
        ]
        total = np.concatenate(losses)
        last = next(row for row in final.snapshot.contenders if row["kind"] == kind)
        assert total.size == last["n_losses"]  # every loss exactly once across the snapshots


def test_a_stopped_race_says_so():
    context = TaskContext()
    context.stop()
    _reports, final = drive(RaceTask(problem(), np.zeros(6), ("gd",), 1000), context)
    assert final.done and final.stopped


def test_the_sweep_task_finds_the_cliff_near_the_stability_limit():
    p = problem()
    limit = p.conditioning.max_stable_lr
    rates = np.logspace(np.log10(limit) - 2, np.log10(limit) + 1, 12)
    reports, result = drive(SweepTask(p, np.zeros(6), rates, steps=200))
    assert len(result.points) == 12 and not result.stopped
    assert sum(len(r.points) for r in reports) <= 12
    assert limit / 3 < result.cliff < 3 * limit


def test_the_surface_task_matches_the_problems_own_surface():
    p = FitProblem(np.linspace(-1, 1, 40), np.tanh(2 * np.linspace(-1, 1, 40)), MLPModel((4,)))
    theta = p.model.initial_params(seed=1)
    a, b = np.linspace(-1, 1, 25), np.linspace(-2, 2, 23)
    _reports, grid = drive(SurfaceTask(p, theta, 0, 1, a, b))
    assert isinstance(grid, SurfaceGrid) and grid.z.shape == (23, 25)
    np.testing.assert_allclose(grid.z, p.surface(theta, 0, 1, a, b), rtol=1e-12)


def test_a_stopped_surface_task_returns_nothing():
    p = problem(loss=Loss("mae"))
    context = TaskContext()
    context.stop()
    _reports, grid = drive(SurfaceTask(p, np.zeros(6), 0, 1, np.linspace(-1, 1, 30), np.linspace(-1, 1, 30)), context)
    assert grid is None


def test_a_run_can_be_levenberg_marquardt_or_stochastic():
    p = problem()
    lm = GradientDescentTask(p, "lm", 0.0, np.zeros(6), StopRules(max_steps=50))
    _reports, outcome = drive(lm)
    assert outcome.result.loss == pytest.approx(p.exact.loss, rel=1e-9)  # LM lands on the optimum
    sgd = gd_task(p, steps=300)
    sgd = GradientDescentTask(p, "gd", sgd.lr, np.zeros(6), sgd.rules, batch_size=20, seed=3)
    reports, outcome = drive(sgd)
    batch = np.concatenate([r.batch_losses for r in [*reports, outcome.tail] if r.batch_losses is not None])
    full = np.concatenate([r.losses for r in [*reports, outcome.tail]])
    assert batch.size == full.size == 300 and not np.array_equal(batch, full)  # the noisy batch loss beside
    again = drive(GradientDescentTask(p, "gd", sgd.lr, np.zeros(6), sgd.rules, batch_size=20, seed=3))[1]
    np.testing.assert_array_equal(again.result.params, outcome.result.params)  # the same seed, the same run


# -- reading a file --------------------------------------------------------------------------------------------
def write_table(path, rows: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(0.0, 1.0, rows)
    y = np.cos(7.0 * x)
    lines = ["time,value"] + [f"{a!r},{b!r}" for a, b in zip(x.tolist(), y.tolist())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return x, y


def test_reading_a_file_reports_growing_fractions_and_ends_with_every_number(tmp_path):
    from workbench.tasks.table_read import ReadTableTask

    path = tmp_path / "big.csv"
    x, y = write_table(path, 60_000)  # several blocks of text
    snapshots, outcome = drive(ReadTableTask(path), TaskContext(interval=0.0))
    fractions = [s.fraction for s in snapshots]
    assert len(fractions) >= 3 and fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] < 1
    assert outcome.error is None and outcome.path == str(path) and outcome.elapsed_s >= 0
    table = outcome.table
    assert [c.name for c in table.columns] == ["time", "value"]
    assert np.array_equal(table.columns[0].values, x) and np.array_equal(table.columns[1].values, y)


def test_a_file_the_reader_refuses_is_a_result_saying_why(tmp_path):
    from workbench.tasks.table_read import ReadTableTask

    _, outcome = drive(ReadTableTask(tmp_path / "gone.csv"))
    assert outcome.table is None and "gone.csv" in str(outcome.error) and "cannot read the file" in str(outcome.error)


def test_a_stopped_read_ends_within_a_block_and_closes_the_file(tmp_path):
    from workbench.tasks.context import TaskStopped
    from workbench.tasks.table_read import ReadTableTask

    path = tmp_path / "big.csv"
    write_table(path, 60_000)
    context = TaskContext(interval=0.0)
    steps = ReadTableTask(path).run(context)
    next(steps)
    context.stop()
    with pytest.raises(TaskStopped):
        next(steps)
    open_files = os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []
    assert not any(os.path.realpath(f"/proc/self/fd/{fd}") == str(path.resolve()) for fd in open_files)
