"""Stochastic gradient descent: batches without replacement within an epoch, the same seed the same run,
B = N exactly full-batch gradient descent, batch losses that estimate the whole, and the step-size guide."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.engine import check_gradient
from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.losses import Loss
from workbench.fitting.minibatch import MiniBatchObjective, MiniBatchSampler, MiniBatchTrainer
from workbench.fitting.models import MLPModel
from workbench.fitting.optimizers import make_optimizer
from workbench.fitting.problem import FitProblem
from workbench.fitting.race import Race
from workbench.fitting.step_size import local_conditioning, step_size_guide
from workbench.fitting.training import StopRules, Trainer

RNG = np.random.default_rng(4)
X = np.sort(RNG.uniform(-1, 1, 37))
Y = np.sin(2 * X) + RNG.normal(0, 0.1, X.size)
SIGMA = RNG.uniform(0.05, 0.3, X.size)


def problems():
    return {
        "polynomial": FitProblem.polynomial(X, Y, degree=3, basis="legendre"),
        "weighted SSE": FitProblem.polynomial(X, Y, degree=3, basis="scaled", loss=Loss("sse"), sigma=SIGMA),
        "formula": FitProblem(X, Y, FormulaModel("a*sin(b*x) + c")),
        "formula L2": FitProblem(X, Y, FormulaModel("a*sin(b*x) + c"), Loss(l2=0.01)),
        "net": FitProblem(X, Y, MLPModel((4,))),
    }


def start_for(problem):
    return np.full(problem.n_params, 0.3) if problem.model.n_params else np.zeros(0)


# -- the sampler -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch", [1, 5, 8, 36, 37])
def test_each_epoch_uses_every_point_once(batch):
    sampler = MiniBatchSampler(37, batch, seed=3)
    per_epoch = -(-37 // batch)
    for _ in range(3):
        drawn = [sampler.next() for _ in range(per_epoch)]
        assert all(np.all(np.diff(b) > 0) for b in drawn)  # sorted, no repeats within a batch
        np.testing.assert_array_equal(np.sort(np.concatenate(drawn)), np.arange(37))  # all, once
        assert [len(b) for b in drawn[:-1]] == [batch] * (per_epoch - 1)


def test_same_seed_same_batches_other_seed_other_batches():
    a, b, c = MiniBatchSampler(50, 7, 1), MiniBatchSampler(50, 7, 1), MiniBatchSampler(50, 7, 2)
    first = [a.next() for _ in range(20)]
    assert all(np.array_equal(p, q) for p, q in zip(first, [b.next() for _ in range(20)]))
    assert not all(np.array_equal(p, q) for p, q in zip(first, [c.next() for _ in range(20)]))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_batch_size_must_be_a_whole_number_of_points(bad):
    with pytest.raises(ValueError, match="whole number of points"):
        MiniBatchSampler(10, bad)


# -- the trainer ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("name", sorted(problems()))
def test_batch_of_all_points_is_exactly_full_batch_gradient_descent(name, optimizer):
    problem = problems()[name]
    start = problem.model.initial_params(0) + 0.1
    plain = Trainer(problem.value_and_grad, make_optimizer(optimizer, 0.05), start, StopRules(max_steps=25))
    batched = problem.trainer(optimizer, 0.05, start, StopRules(max_steps=25), batch_size=problem.x.size, seed=9)
    assert isinstance(batched, MiniBatchTrainer)
    ours_all, theirs_all = list(batched.run()), list(plain.run())
    assert len(ours_all) == len(theirs_all)
    for ours, theirs in zip(ours_all, theirs_all):
        np.testing.assert_array_equal(ours.params, theirs.params)  # bit for bit
        assert ours.loss == theirs.loss == ours.batch_loss
        np.testing.assert_array_equal(ours.grad, theirs.grad)
    assert batched.result.steps == plain.result.steps and np.array_equal(batched.result.params, plain.result.params)


@pytest.mark.parametrize("name", ["polynomial", "formula", "net"])
def test_the_batch_graph_of_all_points_is_the_full_objective(name):
    """Not just routed around: building the loss on the batch of all N points gives the same numbers (to
    the last bits a matrix product may round differently in a copy of the design matrix)."""
    problem = problems()[name]
    theta = problem.model.initial_params(0) + 0.2
    objective = MiniBatchObjective(problem, 5)
    value, grad = objective.batch_value_and_grad(theta, np.arange(problem.x.size))
    full_value, full_grad = problem.value_and_grad(theta)
    assert value == pytest.approx(full_value, rel=1e-14)
    np.testing.assert_allclose(grad, full_grad, rtol=1e-13, atol=1e-16)


def test_sse_batch_loss_estimates_the_full_sse():
    problem = problems()["weighted SSE"]
    theta = np.array([0.1, 0.8, -0.2, 0.05])
    objective = MiniBatchObjective(problem, 5)
    value, grad = objective.batch_value_and_grad(theta, np.arange(problem.x.size))
    full_value, full_grad = problem.value_and_grad(theta)
    assert value == pytest.approx(full_value, rel=1e-12)
    np.testing.assert_allclose(grad, full_grad, rtol=1e-12)
    # Averaged over an epoch's batches (each point once) the batch gradient is the full gradient.
    sampler = MiniBatchSampler(problem.x.size, 1, seed=0)
    grads = [objective.batch_value_and_grad(theta, sampler.next())[1] for _ in range(problem.x.size)]
    np.testing.assert_allclose(np.mean(grads, axis=0), full_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["polynomial", "formula L2", "weighted SSE"])
def test_batch_gradient_matches_central_differences(name):
    problem = problems()[name]
    objective = MiniBatchObjective(problem, 6)
    batch = np.array([1, 4, 9, 20, 30, 33])
    theta = problem.model.initial_params(0) + 0.3
    assert check_gradient(lambda t: objective.batch_value_and_grad(t, batch), theta) < 1e-6


def test_same_seed_same_run_records_both_losses():
    problem = problems()["formula"]
    start = np.array([1.0, 1.5, 0.0])

    def run(seed):
        trainer = problem.trainer("gd", 0.05, start, StopRules(max_steps=60), batch_size=4, seed=seed)
        return list(trainer.run()), trainer

    first, trainer = run(7)
    again, _ = run(7)
    other, _ = run(8)
    stepped = problem.trainer("gd", 0.05, start, batch_size=4, seed=7)
    for _ in range(60):
        stepped.step()
    assert stepped.batch_size == 4 and stepped.epoch == 6  # 37 points in batches of 4: 10 steps an epoch
    assert [r.params.tolist() for r in first] == [r.params.tolist() for r in again]
    assert [r.params.tolist() for r in first] != [r.params.tolist() for r in other]
    for record in first:
        assert record.loss == pytest.approx(problem.loss_at(record.params_before), rel=1e-14)
        assert record.batch_loss is not None
    assert any(abs(r.batch_loss - r.loss) > 1e-6 for r in first)  # the batch loss is noisy
    assert first[-1].loss < first[0].loss  # and the descent is real on all points


def test_lm_refuses_mini_batches():
    with pytest.raises(ValueError, match="every point"):
        problems()["formula"].trainer("lm", 0, np.ones(3), batch_size=4)


# -- the step-size guide ---------------------------------------------------------------------------------------
def test_guide_on_all_points_is_the_polynomial_stability_limit():
    problem = problems()["polynomial"]
    guide = step_size_guide(problem, np.zeros(4))
    assert guide.full_limit == pytest.approx(problem.conditioning.max_stable_lr, rel=1e-10)
    assert guide.batch_limit == guide.full_limit and "With batches" not in guide.text
    sse = problems()["weighted SSE"]
    assert step_size_guide(sse, np.zeros(4)).full_limit == pytest.approx(sse.conditioning.max_stable_lr, rel=1e-10)


def test_smaller_batches_need_smaller_rates_and_the_guide_says_why():
    problem = problems()["polynomial"]
    limits = [step_size_guide(problem, np.zeros(4), b, seed=1).batch_limit for b in (37, 16, 4, 1)]
    assert limits == sorted(limits, reverse=True) and limits[-1] < 0.5 * limits[0]
    text = step_size_guide(problem, np.zeros(4), 4).text
    assert "batches of 4" in text and "jitter" in text


def test_the_suggested_rate_is_stable_for_mini_batch_descent():
    problem = problems()["polynomial"]
    guide = step_size_guide(problem, np.zeros(4), 4, seed=2)
    trainer = problem.trainer("gd", guide.suggested, np.zeros(4), StopRules(max_steps=400), batch_size=4, seed=2)
    result = trainer.run_to_end()
    assert result.stop_reason != "diverged" and result.loss < 2 * problem.exact.loss + 0.05
    wild = problem.trainer("gd", 5 * guide.full_limit, np.zeros(4), StopRules(max_steps=400), batch_size=4, seed=2)
    assert wild.run_to_end().stop_reason == "diverged"


def test_a_formulas_guide_is_local_and_the_net_has_none():
    formula = problems()["formula"]
    guide = step_size_guide(formula, np.array([1.0, 2.0, 0.0]), 8)
    assert guide.local and "formula" in guide.text
    conditioning = local_conditioning(formula, np.array([1.0, 2.0, 0.0]))
    assert conditioning.max_stable_lr == pytest.approx(guide.full_limit, rel=1e-10)
    assert step_size_guide(problems()["net"], start_for(problems()["net"])) is None


def test_the_race_can_include_sgd():
    problem = problems()["polynomial"]
    race = Race(problem, np.zeros(4), kinds=("gd", "sgd"), steps=300, batch_size=4, seed=1)
    list(race.run())
    sgd = next(c for c in race.contenders if c.kind == "sgd")
    assert sgd.name == "Stochastic gradient descent" and not sgd.diverged and len(sgd.losses) > 10


def test_no_data_gives_no_guide():
    empty = FitProblem(np.zeros(0), np.zeros(0), FormulaModel("a*x"))
    assert step_size_guide(empty, np.ones(1), 4) is None and local_conditioning(empty, np.ones(1)) is None
