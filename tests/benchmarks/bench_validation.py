"""What a train/validation split costs a gradient-descent run: steps/s with and without validation.

Run it directly (it is not a test and pytest does not collect it):

    python tests/benchmarks/bench_validation.py            # about half a minute
    python tests/benchmarks/bench_validation.py --quick    # smaller budgets, for a smoke check

Degree 5, MSE, plain GD, scaled basis, 20 % of the points held out.  Each loop does what the worker
does per step (Trainer.run, keeping the loss, the knobs and any validation loss), on the same training
points, so the ratios isolate the validation forward pass: "every k" evaluates it at steps 1, 1 + k, ….
The worker validates every ``VALIDATION_EVERY`` steps at full speed; the target is that this costs at
most 30 % of the steps/s (validating every step cost 13–21 % on a quiet machine, up to ~35 % on a busy one).
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import argparse
import time

import numpy as np

from workbench.fitting.optimizers import make_optimizer
from workbench.fitting.problem import FitProblem
from workbench.fitting.split import Split
from workbench.fitting.training import StopRules, Trainer
from workbench.tasks.gradient_descent import VALIDATION_EVERY

DEGREE = 5
SIZES = (20, 1_000, 100_000)
TARGET_COST = 0.30


def make_problems(n: int) -> tuple[FitProblem, FitProblem]:
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    y = np.sin(3 * x) + 0.1 * rng.normal(size=n)
    train, val = Split(0.2, 0).indices(n)
    training = FitProblem.polynomial(x[train], y[train], DEGREE, "scaled")
    return training, FitProblem(x[val], y[val], training.model, training.loss)


def worker_loop(training: FitProblem, validation: FitProblem | None, every: int, budget_s: float) -> float:
    """Steps per second of the worker's per-step work for ``budget_s`` seconds."""
    lr = 0.5 * training.conditioning.max_stable_lr
    trainer = Trainer(
        training.value_and_grad,
        make_optimizer("gd", lr),
        np.zeros(DEGREE + 1),
        StopRules(max_steps=10**12, tol=0.0),
        monitor=validation.loss_at if validation else None,
        monitor_every=every,
    )
    losses, trajectory, val_steps, val_losses = [], [], [], []
    started = time.perf_counter()
    for record in trainer.run():
        losses.append(record.loss)
        trajectory.append(record.params)
        if record.val_loss is not None:
            val_steps.append(record.step)
            val_losses.append(record.val_loss)
        if len(losses) % 64 == 0 and time.perf_counter() - started >= budget_s:
            break
    return len(losses) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller time budgets")
    args = parser.parse_args()
    budget, repeats = (0.15, 3) if args.quick else (0.5, 5)
    strides = sorted({1, 2, VALIDATION_EVERY, 8})
    print(
        f"Validation cost: degree {DEGREE}, MSE, plain GD, scaled basis, 20 % held out "
        f"(steps/s, best of {repeats}, interleaved; the worker uses every {VALIDATION_EVERY})"
    )
    print(f"{'N':>9} {'none':>9} " + " ".join(f"{f'every {k}':>16}" for k in strides))
    for n in SIZES:
        training, validation = make_problems(n)
        configs = [(None, 1)] + [(validation, k) for k in strides]
        scale = 20 if n >= 100_000 else 1  # fewer, slower steps: a longer budget for a stable figure
        best = [0.0] * len(configs)
        for _ in range(repeats):
            for i, (problem, every) in enumerate(configs):
                best[i] = max(best[i], worker_loop(training, problem, every, budget * min(scale, 4)))
        base = best[0]
        cells = []
        for (_, every), rate in zip(configs[1:], best[1:]):
            cost = base / rate - 1.0
            mark = "*" if every == VALIDATION_EVERY and cost > TARGET_COST else ""
            cells.append(f"{rate:>8,.0f} ({cost:+.0%}){mark}")
        print(f"{n:>9,} {base:>9,.0f} " + " ".join(f"{c:>16}" for c in cells))
    print(f"  (cost = extra time per step against no validation; * marks the worker's stride above {TARGET_COST:.0%})")


if __name__ == "__main__":
    main()
