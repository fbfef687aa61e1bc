"""The optimiser race: several optimisers from the same start, stepped in lockstep, and a scoreboard.

Besides gradient descent, momentum, Nesterov, Adam, conjugate gradient and L-BFGS (whose line searches
may evaluate the loss more than once a step: the scoreboard counts every evaluation), the race has the
articles' baseline, the
random nudge: turn one knob a little at random, keep it if the loss dropped, else turn it back.  It
needs no gradient, only loss evaluations — and the scoreboard counts both steps and loss evaluations
to reach within 1% of the optimum, which is where backpropagation's advantage shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .conditioning import Conditioning
from .learning_rates import adam_lr, curvature_lr
from .least_squares import LM_KIND, LM_NAME, landmark_loss
from .optimizers import OPTIMIZER_NAMES
from .step_size import local_conditioning, step_size_guide

RACE_KINDS = ("gd", "momentum", "nesterov", "adam", "nudge")  # the default line-up of the window's race panel
ALL_RACE_KINDS = ("gd", "momentum", "nesterov", "adam", "cg", "lbfgs", LM_KIND, "sgd", "nudge")  # what a Race takes
RACE_NAMES = {**OPTIMIZER_NAMES, "nudge": "Random nudge", LM_KIND: LM_NAME, "sgd": "Stochastic gradient descent"}
SGD_BATCH = 32  # the largest default batch of the "sgd" contender
TARGET_FRACTION = 0.01  # "within 1% of the optimum"


class RandomNudge:
    """Nudge one random knob by a random amount; keep it if the loss dropped, otherwise undo it.

    The nudge size starts at ``scale`` and halves after ``patience`` failures in a row (a fixed size
    would stall near the optimum), so the baseline is as fair as a blind search can be.
    """

    def __init__(
        self,
        loss_at: Callable[[np.ndarray], float],
        theta: np.ndarray,
        scale: float = 0.1,
        seed: int = 0,
        patience: int = 20,
    ):
        self.loss_at = loss_at
        self.theta = np.array(theta, dtype=np.float64)
        self.loss = float(loss_at(self.theta))
        self.scale = float(scale)
        self.patience = patience
        self.failures = 0
        self.evaluations = 1
        self.rng = np.random.default_rng(seed)

    def step(self) -> float:
        """One nudge (one loss evaluation); returns the loss after it."""
        i = int(self.rng.integers(self.theta.size))
        trial = self.theta.copy()
        trial[i] += self.rng.normal(0.0, self.scale)
        loss = float(self.loss_at(trial))
        self.evaluations += 1
        if np.isfinite(loss) and loss < self.loss:
            self.theta, self.loss, self.failures = trial, loss, 0
        else:
            self.failures += 1
            if self.failures >= self.patience:
                self.scale *= 0.5
                self.failures = 0
        return self.loss


@dataclass
class Contender:
    """One runner: its losses after every step, where it is, and when it reached the target."""

    kind: str
    lr: float
    losses: list[float] = field(default_factory=list)
    evaluations: int = 0  # loss evaluations so far (a gradient step costs one, plus its backward)
    theta: np.ndarray | None = None
    steps_to_target: int | None = None
    evaluations_to_target: int | None = None
    diverged: bool = False

    @property
    def name(self) -> str:
        """Display name."""
        return RACE_NAMES[self.kind]


@dataclass(frozen=True)
class RaceSnapshot:
    """A copy of every contender's state, for the GUI (never the lists the race keeps growing)."""

    step: int
    target: float | None
    contenders: tuple[dict, ...]


def sgd_batch_size(batch_size: int | None, n_points: int) -> int:
    """The stochastic contender's batch: ``batch_size`` (at most the points there are), else a tenth of the
    points, from 1 to ``SGD_BATCH``."""
    if batch_size is not None:
        return max(1, min(int(batch_size), n_points))
    return max(1, min(SGD_BATCH, n_points // 10))


class Race:
    """Step several optimisers from the same knobs in lockstep, until all finish or ``stop`` is set."""

    def __init__(
        self,
        problem,
        theta0,
        kinds=RACE_KINDS,
        steps: int = 2000,
        lrs: dict | None = None,
        stop: threading.Event | None = None,
        nudge_scale: float | None = None,
        batch_size: int | None = None,
        seed: int = 0,
    ):
        self.problem = problem
        self.theta0 = np.array(theta0, dtype=np.float64)
        # For the "sgd" contender (mini-batch gradient descent): the user's batch size, else a tenth of the points.
        self.batch_size, self.seed = sgd_batch_size(batch_size, problem.x.size), seed
        self.max_steps = int(steps)
        self.stop_event = stop or threading.Event()
        exact = problem.exact
        start_loss = problem.loss_at(self.theta0)
        self.optimum = exact.loss if exact is not None else landmark_loss(problem, self.theta0)
        self.target = (
            None if self.optimum is None else self.optimum + TARGET_FRACTION * max(self.optimum, 1e-9 * start_loss)
        )
        self.runaway = 1e8 * max(start_loss, np.finfo(float).tiny)  # the training loop's divergence bound
        lrs = lrs or {}
        unknown = [k for k in kinds if k not in ALL_RACE_KINDS]
        if unknown:
            raise ValueError(f"unknown race entry {unknown[0]!r}: choose from {', '.join(ALL_RACE_KINDS)}")
        conditioning = problem.conditioning or local_conditioning(problem, self.theta0)  # formulas: at the start
        self.contenders = [
            Contender(k, lrs.get(k, self._default_lr(k, conditioning)), theta=self.theta0.copy()) for k in kinds
        ]
        self._steppers = [self._stepper(c, nudge_scale) for c in self.contenders]
        self.step = 0

    def _default_lr(self, kind: str, conditioning: Conditioning | None) -> float:
        if kind == "sgd":
            guide = step_size_guide(self.problem, self.theta0, self.batch_size, self.seed)
            return guide.suggested if guide is not None and np.isfinite(guide.suggested) else 0.01
        if kind == "adam":
            return adam_lr(self.problem)
        return curvature_lr(kind, conditioning)

    def _stepper(self, contender: Contender, nudge_scale: float | None):
        if contender.kind == "nudge":
            scale = nudge_scale or 0.1 * max(1.0, float(np.max(np.abs(self.theta0))))
            return RandomNudge(self.problem.loss_at, self.theta0, scale)
        if contender.kind == "sgd":
            return self.problem.trainer("gd", contender.lr, self.theta0, batch_size=self.batch_size, seed=self.seed)
        return self.problem.trainer(contender.kind, contender.lr, self.theta0)

    def advance(self) -> bool:
        """Every contender takes one step; False once the race is over."""
        if self.step >= self.max_steps or self.stop_event.is_set():
            return False
        self.step += 1
        for contender, stepper in zip(self.contenders, self._steppers):
            if contender.diverged:
                continue
            if isinstance(stepper, RandomNudge):
                loss = stepper.step()
                contender.evaluations = stepper.evaluations
                contender.theta = stepper.theta.copy()
            else:
                record = stepper.step()
                loss = record.loss
                contender.evaluations = stepper.evaluations
                contender.theta = record.params.copy()
                if not (np.isfinite(loss) and np.all(np.isfinite(record.params))) or loss > self.runaway:
                    contender.diverged = True
                    contender.theta = stepper.best_params.copy()
            contender.losses.append(loss)
            if (
                self.target is not None
                and contender.steps_to_target is None
                and np.isfinite(loss)
                and loss <= self.target
            ):
                contender.steps_to_target = len(contender.losses)
                contender.evaluations_to_target = contender.evaluations
        return not self._everyone_done()

    def _everyone_done(self) -> bool:
        return all(c.diverged or c.steps_to_target is not None for c in self.contenders)

    def run(self) -> Iterator[int]:
        """Advance until the race is over, yielding the step number after each round."""
        while self.advance():
            yield self.step
        yield self.step

    def snapshot(self, since: dict[str, int] | None = None) -> RaceSnapshot:
        """Copies of each contender's state; ``since`` maps kind → losses already sent (send only new ones)."""
        since = since or {}
        rows = []
        for c in self.contenders:
            start = since.get(c.kind, 0)
            rows.append(
                {
                    "kind": c.kind,
                    "name": c.name,
                    "lr": c.lr,
                    "new_losses": np.array(c.losses[start:]),
                    "n_losses": len(c.losses),
                    "theta": None if c.theta is None else c.theta.copy(),
                    "steps_to_target": c.steps_to_target,
                    "evaluations_to_target": c.evaluations_to_target,
                    "evaluations": c.evaluations,
                    "diverged": c.diverged,
                    "loss": c.losses[-1] if c.losses else float("nan"),
                }
            )
        return RaceSnapshot(self.step, self.target, tuple(rows))


def manual_trail_entry(problem, trail: list[np.ndarray], target: float | None) -> dict:
    """The user's own knob moves as a race entry: each move is a step and one loss evaluation."""
    losses = [problem.loss_at(theta) for theta in trail]
    reached = next((i + 1 for i, loss in enumerate(losses) if target is not None and loss <= target), None)
    return {
        "kind": "manual",
        "name": "Your hand",
        "lr": None,
        "new_losses": np.array(losses),
        "n_losses": len(losses),
        "theta": trail[-1].copy() if trail else None,
        "steps_to_target": reached,
        "evaluations_to_target": reached,
        "evaluations": len(losses),
        "diverged": False,
        "loss": losses[-1] if losses else float("nan"),
    }
