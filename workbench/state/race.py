"""The optimiser race as the document keeps it: one ``RaceTrack`` per contender and the race's outcome.

The race itself runs as a task (``workbench.tasks.race``); its snapshots are taken in here by the document
(``Document.absorb_race``), which the loss history, the loss surface and the scoreboard draw from.
"""

from __future__ import annotations

import math

import numpy as np

# -- the optimiser race, as the views see it -------------------------------------------------------------
DEFAULT_RACE_STEPS = 2000  # a race's step limit unless the user sets another
RACE_PATH_POINTS = 1000  # at most this many (+1) knob positions kept per contender's path


def race_path_stride(step: int, limit: int = RACE_PATH_POINTS) -> int:
    """Keep the path's points at steps that are multiples of this: a power of two that grows with the
    race so that at most ``limit`` + 1 points are kept (the worker thins with the same rule)."""
    if step <= limit:
        return 1
    return 1 << math.ceil(math.log2(step / limit))


class RaceTrack:
    """One contender's race so far: its losses (a growing buffer), a thinned path and its scoreboard."""

    def __init__(self, kind: str, name: str, lr: float | None, theta0: np.ndarray | None):
        self.kind, self.name, self.lr = kind, name, lr
        self._losses = np.empty(256)
        self._n = 0
        self._trajectory: np.ndarray | None = None  # built on demand, dropped when the path grows
        self._theta = None if theta0 is None else np.array(theta0, dtype=np.float64)
        self._path_steps: list[int] = []
        self._path: list[np.ndarray] = []
        if self.theta is not None:
            self._path_steps.append(0)
            self._path.append(self.theta.copy())
        self.steps_to_target: int | None = None
        self.evaluations_to_target: int | None = None
        self.evaluations = 0
        self.diverged = False
        self.loss = float("nan")
        self.status = "running"

    @property
    def theta(self) -> np.ndarray | None:
        """Where the contender is now."""
        return self._theta

    @theta.setter
    def theta(self, value) -> None:
        self._theta = None if value is None else np.array(value, dtype=np.float64)
        self._trajectory = None

    @property
    def losses(self) -> np.ndarray:
        """The loss after every step so far (a read-only view of the buffer)."""
        view = self._losses[: self._n]
        view.flags.writeable = False
        return view

    @property
    def steps(self) -> int:
        """Steps taken so far."""
        return self._n

    @property
    def reached(self) -> bool:
        """True once the contender got within 1% of the optimum."""
        return self.steps_to_target is not None

    def trajectory(self) -> np.ndarray:
        """The thinned path (rows of knobs), always ending at the latest position (read-only)."""
        if self._trajectory is None:
            rows = list(self._path)
            if self.theta is not None and (not rows or not np.array_equal(rows[-1], self.theta)):
                rows.append(self.theta)
            self._trajectory = np.array(rows) if rows else np.empty((0, 0))
            self._trajectory.flags.writeable = False
        return self._trajectory

    def add_losses(self, losses: np.ndarray) -> None:
        """Append losses; the buffer doubles when full, so a long race is not copied every payload."""
        losses = np.asarray(losses, dtype=np.float64).ravel()
        end = self._n + losses.size
        if end > self._losses.size:
            grown = np.empty(max(end, 2 * self._losses.size))
            grown[: self._n] = self._losses[: self._n]
            self._losses = grown
        self._losses[self._n : end] = losses
        self._n = end

    def add_path(self, steps: np.ndarray, rows: np.ndarray, current_step: int) -> None:
        """Append path points (knobs after ``steps``), then thin the path to ``race_path_stride``."""
        self._trajectory = None
        self._path_steps.extend(int(s) for s in steps)
        self._path.extend(np.array(r, dtype=np.float64) for r in rows)
        stride = race_path_stride(current_step)
        if stride > 1 and len(self._path) > RACE_PATH_POINTS + 1:
            keep = [k for k, s in enumerate(self._path_steps) if s % stride == 0]
            self._path_steps = [self._path_steps[k] for k in keep]
            self._path = [self._path[k] for k in keep]

    def update(self, row: dict) -> None:
        """Take in one contender's row of a race snapshot (``Race.snapshot``'s dicts)."""
        if row.get("new_losses") is not None and len(row["new_losses"]):
            self.add_losses(row["new_losses"])
        if row.get("theta") is not None:
            self.theta = row["theta"]
        self.lr = row.get("lr", self.lr)
        self.steps_to_target = row.get("steps_to_target")
        self.evaluations_to_target = row.get("evaluations_to_target")
        self.evaluations = int(row.get("evaluations", self.evaluations))
        self.diverged = bool(row.get("diverged", False))
        self.loss = float(row.get("loss", self.loss))
        if self.diverged:
            self.status = "diverged"
        elif self.reached:
            self.status = "reached"


class RaceView:
    """The latest optimiser race: one ``RaceTrack`` per contender, the target, and how the race ended.

    ``outcome`` is "running", "finished" (everyone reached the target or diverged), "step limit",
    "stopped" (by the user) or "failed".
    """

    def __init__(self, race_id: int, kinds, names: dict[str, str], theta0: np.ndarray, max_steps: int):
        self.race_id = race_id
        self.theta0 = np.array(theta0, dtype=np.float64)
        self.max_steps = int(max_steps)
        self.tracks: dict[str, RaceTrack] = {k: RaceTrack(k, names[k], None, self.theta0) for k in kinds}
        self.target: float | None = None
        self.optimum: float | None = None
        self.has_target = True  # False once the race knows there is no exact optimum (the net)
        self.step = 0
        self.outcome = "running"
        self.message = ""
        self.elapsed_s = 0.0

    @property
    def running(self) -> bool:
        """True until the race has ended (or been stopped)."""
        return self.outcome == "running"

    @property
    def contenders(self) -> list[RaceTrack]:
        """The racing optimisers (not the manual trail), in start order."""
        return [t for k, t in self.tracks.items() if k != "manual"]

    def add_manual(self, entry: dict, name: str) -> None:
        """The user's trail as a race entry (``manual_trail_entry``'s dict)."""
        track = RaceTrack("manual", name, None, None)
        track.update(entry)
        track.status = "reached" if track.reached else "not reached"
        self.tracks["manual"] = track

    def absorb(self, step: int, target: float | None, optimum: float | None, rows, paths: dict) -> None:
        """Take in a snapshot: new losses and positions of every contender."""
        self.step = int(step)
        self.target, self.optimum = target, optimum
        self.has_target = target is not None
        for row in rows:
            track = self.tracks.get(row["kind"])
            if track is not None:
                track.update(row)
        for kind, (steps, points) in paths.items():
            if kind in self.tracks and len(steps):
                self.tracks[kind].add_path(steps, points, self.step)

    def finish(self, outcome: str, message: str = "") -> None:
        """The race is over: settle every contender's status."""
        self.outcome, self.message = outcome, message
        for track in self.contenders:
            if track.diverged or track.reached:
                continue
            if outcome == "stopped":
                track.status = "stopped"
            elif outcome == "failed":
                track.status = "failed"
            else:
                track.status = "step limit" if self.has_target else "finished"

    def scoreboard(self) -> list[RaceTrack]:
        """Every entry; once the race is over, the fewest loss evaluations to the target first
        (then the lowest final loss; diverged last)."""
        tracks = list(self.tracks.values())
        if self.running:
            return tracks

        def key(t: RaceTrack):
            loss = t.loss if math.isfinite(t.loss) else math.inf
            if t.evaluations_to_target is not None:
                return (0, t.evaluations_to_target, loss)
            return (2 if t.diverged else 1, 0, loss)

        return sorted(tracks, key=key)
