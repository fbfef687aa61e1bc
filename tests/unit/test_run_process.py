"""Gradient descent in a process of its own (workbench.fitting.run_process): the loop, its reports, and
the problem it receives.

The loop is driven in-process here (it is plain Python); one test runs it in a real worker process.
"""

from __future__ import annotations

import pickle
import threading
import time

import numpy as np
import pytest

from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.optimizers import make_optimizer
from workbench.fitting.problem import FitProblem
from workbench.fitting.run_process import (
    RunOutcome,
    RunRequest,
    SharedFlag,
    SharedNumber,
    process_main,
    run_context,
    run_gradient_descent,
)
from workbench.fitting.training import STOPPED_BY_USER, StopReason, StopRules, Trainer


def problem(n: int = 200, **kwargs) -> FitProblem:
    x = np.linspace(-2.0, 3.0, n)
    return FitProblem.polynomial(x, np.sin(x) + 0.05 * x**2, 5, "scaled", **kwargs)


def request(p: FitProblem | None = None, steps: int = 400, **kwargs) -> RunRequest:
    p = p or problem()
    lr = 0.9 * p.conditioning.max_stable_lr
    return RunRequest(7, p, "gd", lr, np.zeros(p.n_params), StopRules(max_steps=steps, tol=0.0), **kwargs)


def flags(delivered: bool = True):
    return SharedFlag(), SharedFlag(value=delivered), SharedNumber(0.0)


# -- a problem travels as its definition --------------------------------------------------------------
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


# -- the loop ----------------------------------------------------------------------------------------------
def test_reports_carry_every_step_and_end_on_the_result():
    reports = []
    stop, delivered, pause = flags()

    def receive(progress):
        reports.append(progress)
        delivered.set()  # taken in at once

    outcome = run_gradient_descent(request(steps=3000), receive, stop, delivered, pause)
    result = outcome.result
    assert outcome.run_id == 7 and result.stop_reason is StopReason.MAX_STEPS and result.steps == 3000
    assert sum(r.losses.size for r in reports) == 3000  # every step's loss, once
    assert [r.step for r in reports] == sorted(r.step for r in reports)
    final = reports[-1]
    np.testing.assert_array_equal(final.theta, result.params)  # the last report is the end itself
    assert final.loss == result.loss and final.step == 3000
    for r in reports[:-1]:  # the others: loss and gradient at θ
        loss, grad = request().problem.value_and_grad(r.theta)
        assert r.loss == pytest.approx(loss, rel=1e-10)
        np.testing.assert_allclose(r.grad, grad, rtol=1e-9, atol=1e-12)


def test_the_loop_never_waits_for_a_receiver_that_has_not_taken_the_last_report():
    reports = []
    stop, delivered, pause = flags()
    outcome = run_gradient_descent(request(steps=20_000), reports.append, stop, delivered, pause)
    assert outcome.result.steps == 20_000  # all the steps, no pause for the GUI
    assert len(reports) == 2  # the first report, then only the final
    assert sum(r.losses.size for r in reports) == 20_000  # the steps between ride on the final one
    assert len(reports[-1].trajectory) <= 4000  # decimated, not unbounded


def test_validation_losses_come_at_step_one_and_every_nth_step_after():
    p = problem(400)
    train, held_out = FitProblem(p.x[::2], p.y[::2], p.model), FitProblem(p.x[1::2], p.y[1::2], p.model)
    reports = []
    stop, delivered, pause = flags()
    run_gradient_descent(
        request(train, steps=41, validation=held_out, validation_every=4),
        lambda r: (reports.append(r), delivered.set()),
        stop,
        delivered,
        pause,
    )
    steps = np.concatenate([r.val_steps for r in reports])
    assert steps.tolist() == list(range(1, 42, 4))  # step 1, then every 4th
    assert all(np.isfinite(np.concatenate([r.val_losses for r in reports])))


class FailingProblem:
    """Computes like ``inner`` for ``good_steps`` steps, then raises (a bug, a memory error …)."""

    def __init__(self, inner: FitProblem, good_steps: int):
        self.inner, self.left = inner, good_steps
        self.n_params = inner.n_params
        self.conditioning = inner.conditioning

    def value_and_grad(self, theta):
        self.left -= 1
        if self.left < 0:
            raise MemoryError("no room for the gradient")
        return self.inner.value_and_grad(theta)

    def trainer(self, optimizer, lr, params, rules, stop_event=None, monitor=None, monitor_every=1):
        return Trainer(
            self.value_and_grad, make_optimizer(optimizer, lr), params, rules, stop_event, monitor, monitor_every
        )


def test_a_failure_inside_the_loop_ends_the_run_with_the_best_knobs_and_says_why():
    reports = []
    stop, delivered, pause = flags()
    failing = FailingProblem(problem(), 50)
    outcome = run_gradient_descent(request(failing, steps=1000), reports.append, stop, delivered, pause)
    result = outcome.result
    assert result.stop_reason is StopReason.STOPPED
    assert "MemoryError" in result.message and "no room for the gradient" in result.message
    assert np.all(np.isfinite(result.params)) and np.isfinite(result.loss)
    np.testing.assert_array_equal(reports[-1].theta, result.params)


def test_a_paused_run_stops_at_once():
    stop, delivered, pause = flags()
    pause.value = 30.0  # 30 s after every step
    threading.Timer(0.2, stop.set).start()
    started = time.perf_counter()
    outcome = run_gradient_descent(request(steps=10), lambda r: None, stop, delivered, pause)
    assert time.perf_counter() - started < 2.0
    assert outcome.result.stop_reason is StopReason.STOPPED and outcome.result.message == STOPPED_BY_USER


def test_shared_values_are_seen_across_processes():
    context = run_context()
    flag, number = SharedFlag(context), SharedNumber(0.25, context)
    assert not flag.is_set() and number.value == 0.25
    flag.set()
    number.value = 1.5
    assert flag.is_set() and number.value == 1.5
    flag.clear()
    assert not flag.is_set()


# -- in a real process ------------------------------------------------------------------------------------
def run_in_child(req: RunRequest, stop_after_s: float | None = None):
    context = run_context()
    stop, delivered, pause = SharedFlag(context), SharedFlag(context, True), SharedNumber(0.0, context)
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=process_main, args=(sender, req, stop, delivered, pause), daemon=True)
    child.start()
    sender.close()
    if stop_after_s is not None:
        threading.Timer(stop_after_s, stop.set).start()
    messages = []
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if receiver.poll(0.1):
            messages.append(receiver.recv())
            delivered.set()  # the acknowledgement crosses shared memory
            if messages[-1][0] != "progress":
                break
    child.join(10)
    receiver.close()
    return messages, child.exitcode


def test_a_run_in_its_own_process_reports_and_ends_as_in_process():
    req = request(steps=200_000_000)
    messages, exitcode = run_in_child(req, stop_after_s=1.0)
    assert exitcode == 0
    kinds = [m[0] for m in messages]
    assert kinds[-1] == "finished" and set(kinds[:-1]) == {"progress"} and len(kinds) >= 5  # paced, acknowledged
    outcome = messages[-1][1]
    assert isinstance(outcome, RunOutcome) and outcome.result.stop_reason is StopReason.STOPPED
    assert outcome.result.message == STOPPED_BY_USER
    assert sum(m[1].losses.size for m in messages[:-1]) == outcome.result.steps
    np.testing.assert_array_equal(messages[-2][1].theta, outcome.result.params)


def test_a_run_that_cannot_start_in_its_process_says_why():
    req = RunRequest(1, problem(), "no-such-optimiser", 0.1, np.zeros(6), StopRules(max_steps=5))
    messages, exitcode = run_in_child(req)
    assert exitcode == 0
    assert messages[-1][0] == "failed" and "no-such-optimiser" in messages[-1][1]


def test_a_paced_run_reports_every_step_before_it_pauses():
    reports = []
    stop, delivered, pause = flags()
    pause.value = 0.001

    def receive(progress):
        reports.append(progress)
        delivered.set()

    run_gradient_descent(request(steps=30), receive, stop, delivered, pause)
    assert [r.step for r in reports[:-1]] == list(range(1, 31))  # each step as it is taken …
    assert reports[-1].step == 30  # … and the end
