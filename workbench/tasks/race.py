"""The optimiser race as a task: every contender steps in lockstep; snapshots carry what is new since the
last one (losses, thinned path points, the scoreboard), and the final snapshot everything after it."""

from __future__ import annotations

import time
from collections.abc import Generator, Hashable
from dataclasses import dataclass

import numpy as np

from workbench.fitting.problem import FitProblem
from workbench.fitting.race import Race, RaceSnapshot, manual_trail_entry
from workbench.state.race import race_path_stride

from .context import TaskContext
from .problem_cache import reuse
from .stop_flag import StopFlag


@dataclass(frozen=True)
class RaceProgress:
    """One snapshot of a race: what is new since the previous one.

    ``paths`` maps kind → (steps, rows of knobs); ``manual`` is the user's trail as a race entry (first snapshot
    only); ``done`` marks the final one, ``stopped`` a race ended by its stop flag.
    """

    snapshot: RaceSnapshot | None
    optimum: float | None
    paths: dict
    manual: dict | None
    done: bool
    stopped: bool
    elapsed_s: float


@dataclass(frozen=True)
class RaceTask:
    """Race ``kinds`` from ``theta0`` for at most ``steps`` rounds (with the user's trail when given)."""

    problem: FitProblem
    theta0: np.ndarray
    kinds: tuple[str, ...]
    steps: int
    manual_trail: tuple[np.ndarray, ...] | None = None
    problem_key: Hashable | None = None
    batch_size: int | None = None  # of the "sgd" contender's mini-batches
    seed: int = 0

    def run(self, context: TaskContext) -> Generator[RaceProgress, None, RaceProgress]:
        """Step the race to its end, reporting when due; the result is the final snapshot."""
        started = time.perf_counter()
        problem = reuse(self.problem_key, self.problem)
        race = Race(
            problem,
            self.theta0,
            self.kinds,
            self.steps,
            stop=StopFlag(context),
            batch_size=self.batch_size,
            seed=self.seed,
        )
        manual = manual_trail_entry(problem, list(self.manual_trail), race.target) if self.manual_trail else None
        news = _News(race)
        for step in race.run():
            news.record(step)
            if context.due():
                yield news.take(manual, time.perf_counter() - started, done=False, stopped=False)
                manual = None
        return news.take(manual, time.perf_counter() - started, done=True, stopped=context.stopped)


class _News:
    """What happened since the last snapshot: losses (via the race's own ``since``) and path points."""

    def __init__(self, race: Race):
        self.race = race
        self.since: dict[str, int] = {}
        self.pending = {c.kind: ([], []) for c in race.contenders}
        self.recorded = {c.kind: c.theta for c in race.contenders}

    def record(self, step: int) -> None:
        """Note where each contender is now, on the path's thinning grid (``race_path_stride``)."""
        if step % race_path_stride(step):
            return
        for c in self.race.contenders:
            if c.theta is not self.recorded.get(c.kind):  # the race makes a new array each step it moves
                self.recorded[c.kind] = c.theta
                steps, rows = self.pending[c.kind]
                steps.append(step)
                rows.append(c.theta)

    def take(self, manual, elapsed: float, done: bool, stopped: bool) -> RaceProgress:
        """A snapshot of everything since the last one; starts afresh."""
        snapshot = self.race.snapshot(self.since)
        self.since.update({row["kind"]: row["n_losses"] for row in snapshot.contenders})
        paths = {
            k: (np.array(steps, dtype=np.int64), np.array(rows)) for k, (steps, rows) in self.pending.items() if steps
        }
        self.pending = {k: ([], []) for k in self.pending}
        return RaceProgress(snapshot, self.race.optimum, paths, manual, done, stopped, float(elapsed))
