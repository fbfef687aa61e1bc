"""Honest stopping: "converged" only at the optimum; a loss that stopped moving elsewhere is "stalled", with
the gap and a hint; one wording of a result for the command line and the window."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from realistic_data import co2_monthly, engel, longley

from workbench.fitting import number_text
from workbench.fitting.basis import Basis
from workbench.fitting.learning_rates import default_lr
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel
from workbench.fitting.optimizers import GradientDescent
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import STALL_WINDOW, StopReason, StopRules, Trainer, TrainResult, Yardstick
from workbench.fitting.verdict import STOP_WORDS, describe_result, stop_hint, stop_word


def run(problem, optimizer="gd", lr=None, rules=StopRules(max_steps=10_000)):
    lr = default_lr(optimizer, problem) if lr is None else lr
    return problem.trainer(optimizer, lr, np.zeros(problem.n_params), rules).run_to_end()


@pytest.mark.parametrize("make", [co2_monthly, longley], ids=lambda f: f.__name__)
@pytest.mark.parametrize("degree", [1, 3])
def test_the_monomial_basis_far_from_zero_stalls_instead_of_claiming_convergence(make, degree):
    """Raw powers of years: the old rule said "converged" 14–28 times above the optimum."""
    data = make()
    problem = FitProblem.polynomial(data.x, data.y, degree, "monomial")
    result = run(problem)
    assert result.stop_reason in (StopReason.STALLED, StopReason.MAX_STEPS)
    assert result.optimum == problem.exact.loss and result.gap > 1e-3 * result.optimum
    assert result.loss == pytest.approx(problem.true_loss(result.params), rel=1e-12)  # the stable loss
    hint = stop_hint(result, problem, "gd", default_lr("gd", problem))
    assert "monomial basis" in hint and "orthonormal" in hint and "condition number" in hint
    text = describe_result(result, problem, "gd", default_lr("gd", problem))
    assert text.startswith(("Stalled after", "Reached the step limit")) and "the optimum" in text


def test_a_tiny_learning_rate_stalls_with_a_hint_about_the_rate():
    data = co2_monthly()
    problem = FitProblem.polynomial(data.x, data.y, 3, "orthonormal")
    result = run(problem, lr=1e-12)
    assert result.stop_reason is StopReason.STALLED and result.steps == STALL_WINDOW + 1
    assert result.gap > 100 * result.optimum
    hint = stop_hint(result, problem, "gd", 1e-12)
    assert "learning rate 1e-12 is far below" in hint and number_text.learning_rate(default_lr("gd", problem)) in hint
    assert "basis" not in hint  # the basis is already the right one


def test_converged_means_within_tol_of_the_optimum_at_the_first_such_step():
    data = longley()
    problem = FitProblem.polynomial(data.x, data.y, 4, "legendre")
    tol = 1e-8
    trainer = problem.trainer("gd", default_lr("gd", problem), np.zeros(5), StopRules(max_steps=10_000, tol=tol))
    records = list(trainer.run())
    optimum, resolution = problem.exact.loss, problem.yardstick.resolution
    assert trainer.result.stop_reason is StopReason.CONVERGED
    assert records[-1].loss - optimum <= tol * optimum + resolution
    assert all(r.loss - optimum > tol * optimum + resolution for r in records[:-1])
    assert trainer.result.gap <= tol * optimum + resolution


def test_a_convergence_the_stable_loss_does_not_confirm_is_called_stalled():
    """An engine whose loss reads exactly the optimum while the curve, computed stably, is elsewhere."""
    optimum = 1.0

    def engine(theta):
        return optimum, 2 * (theta - 5.0)

    yardstick = Yardstick(
        optimum=optimum, resolution=0.0, true_loss=lambda theta: optimum + float(np.sum((theta - 5.0) ** 2))
    )
    trainer = Trainer(engine, GradientDescent(0.01), np.zeros(2), StopRules(max_steps=50), yardstick=yardstick)
    result = trainer.run_to_end()
    assert result.stop_reason is StopReason.STALLED and "computed stably" in result.message
    assert result.gap == pytest.approx(float(np.sum((result.params - 5.0) ** 2)))


def test_without_a_known_optimum_the_gradient_decides():
    data = engel()
    huber = FitProblem.polynomial(data.x, data.y, 2, "orthonormal", Loss("huber", huber_delta=50.0))
    result = run(huber)
    assert huber.yardstick.optimum is None and result.optimum is None and result.gap is None
    assert result.stop_reason is StopReason.CONVERGED and "gradient" in result.message
    mae = FitProblem.polynomial(data.x, data.y, 2, "orthonormal", Loss("mae"))
    stuck = run(mae, rules=StopRules(max_steps=20_000, tol=1e-6))
    assert stuck.stop_reason is StopReason.STALLED  # a kink at the minimum: the gradient never vanishes
    assert "before the gradient became small" in stuck.message
    assert "MAE loss" in stop_hint(stuck, mae, "gd", default_lr("gd", mae))


def test_the_neural_net_is_judged_by_its_gradient():
    data = longley()
    problem = FitProblem(
        data.x, (data.y - data.y.mean()) / data.y.std(), MLPModel((4,), Basis.for_data("scaled", data.x))
    )
    result = problem.trainer("lbfgs", 0.01, problem.model.initial_params(0), StopRules(max_steps=3000)).run_to_end()
    assert result.optimum is None and result.stop_reason is StopReason.CONVERGED
    grad = problem.value_and_grad(result.params)[1]
    # The knobs are one update past the step where the test held (lower in loss): within twice grad_tol.
    assert np.max(np.abs(grad) * np.maximum(np.abs(result.params), 1.0)) <= 2e-5 * problem.loss_at(
        problem.model.initial_params(0)
    )


def test_diverged_runs_are_worded_with_the_stability_limit():
    data = longley()
    problem = FitProblem.polynomial(data.x, data.y, 3, "orthonormal")
    limit = problem.conditioning.max_stable_lr
    result = run(problem, lr=3 * limit)
    assert result.stop_reason is StopReason.DIVERGED
    text = describe_result(result, problem, "gd", 3 * limit)
    assert text.startswith("Diverged after") and "above the stability limit" in text and "last finite" in text


def test_every_reason_has_one_word_and_a_sentence():
    assert set(STOP_WORDS) == set(StopReason)
    assert stop_word("max_steps") == "step limit" and stop_word(StopReason.STALLED) == "stalled"
    for reason in StopReason:
        result = TrainResult(np.zeros(2), 2.0, 7, reason, 0.1, "why", optimum=1.0)
        text = describe_result(result)
        assert "7 steps" in text and text.endswith(".")
    converged = describe_result(TrainResult(np.zeros(2), 1.0 + 1e-12, 3, StopReason.CONVERGED, 0.1, "", 1.0))
    assert converged.startswith("Converged after 3 steps") and "at the optimum" in converged


def test_the_command_line_says_stalled_gives_the_hint_and_exits_4(tmp_path):
    data = co2_monthly()
    path = tmp_path / "co2.csv"
    path.write_text("year,ppm\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(data.x.tolist(), data.y.tolist())))
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "fit", str(path), "--degree", "3", "--lr", "1e-12"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 4
    assert "(stopped: stalled, the loss stopped moving short of the optimum" in result.stdout
    assert "\nhint: The learning rate 1e-12 is far below" in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: Stalled after") and "% above the optimum" in lines[0]


def test_a_pickled_problem_carries_its_yardstick_so_a_run_process_does_not_solve_again():
    import pickle

    data = longley()
    problem = FitProblem.polynomial(data.x, data.y, 4, "orthonormal")
    fresh = pickle.loads(pickle.dumps(problem))
    assert "yardstick" not in fresh.__dict__  # not computed by the sender: the receiver computes its own
    problem.yardstick  # noqa: B018 - the window computes it before a run starts
    restored = pickle.loads(pickle.dumps(problem))
    assert "exact" not in restored.__dict__ and "yardstick" in restored.__dict__
    assert restored.yardstick.optimum == problem.exact.loss
    assert restored.yardstick.resolution == problem.yardstick.resolution
    result = restored.trainer("gd", 0.5, np.zeros(5)).run_to_end()
    assert result.stop_reason is StopReason.CONVERGED and "exact" not in restored.__dict__
    assert result.loss == pytest.approx(problem.exact.loss, rel=1e-12)


def test_a_step_limit_reached_at_the_optimum_says_it_once_and_gives_no_advice():
    """The walkthrough's first run ended 5e-8 % above the optimum at the step limit, with a warning that said
    "Reached the step limit (10,000 steps): reached the step limit of 10000" and asked for more steps."""
    there = TrainResult(
        np.zeros(2), 1.0 + 5e-10, 10_000, StopReason.MAX_STEPS, 1e-9, "reached the step limit of 10000", 1.0
    )
    text = describe_result(there)
    assert text.startswith("Reached the step limit (10,000 steps). Loss") and "10000" not in text
    assert stop_hint(there) == ""
    short = TrainResult(np.zeros(2), 1.5, 10_000, StopReason.MAX_STEPS, 1e-3, "reached the step limit of 10000", 1.0)
    assert "allow more steps" in stop_hint(short)  # still falling, far above: the advice stays
