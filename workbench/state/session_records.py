"""The records of a session checked field by field: run settings, the last run, snapshots and the histories
(losses, validation losses, mini-batch losses) that sit one per run beside ``loss_history``."""

from __future__ import annotations

import numpy as np

from workbench.fitting.training import StopReason, TrainResult

from .runs import MAX_BATCH_SEED, MAX_BATCH_SIZE, MAX_LR, MAX_STEPS, MIN_LR, RUN_OPTIMIZERS, RunRecord, RunSettings
from .session_fields import FieldReader, kind_of

STOP_REASONS = tuple(r.value for r in StopReason)


class RecordsReader(FieldReader):
    """Checks run settings and the records of runs and hand moves (SessionError at the first problem)."""

    def settings(self, v, path: str) -> RunSettings:
        d = self.obj(v, path, ("optimizer", "lr", "max_steps", "tol"), ("patience", "lr_chosen", "batch_size", "seed"))
        patience = None
        if "patience" in d:
            if d["patience"] is None:
                self.fail(
                    f"{path}.patience",
                    "null is not a number of steps",
                    "write a whole number of 1 or more, or remove patience for no early stopping",
                )
            patience = self.integer(d["patience"], f"{path}.patience", 1, MAX_STEPS)
        batch_size = None
        if "batch_size" in d:
            if d["batch_size"] is None:
                self.fail(
                    f"{path}.batch_size",
                    "null is not a number of points",
                    "write a whole number of 1 or more, or remove batch_size to use every point in each step",
                )
            batch_size = self.integer(d["batch_size"], f"{path}.batch_size", 1, MAX_BATCH_SIZE)
        return RunSettings(
            self.choice(d["optimizer"], f"{path}.optimizer", RUN_OPTIMIZERS),
            self.learning_rate(d["lr"], f"{path}.lr"),
            self.integer(d["max_steps"], f"{path}.max_steps", 1, MAX_STEPS),
            self.number(d["tol"], f"{path}.tol", nonneg=True),
            patience,
            self.boolean(d.get("lr_chosen", True), f"{path}.lr_chosen"),
            batch_size,
            self.integer(d.get("seed", 0), f"{path}.seed", 0, MAX_BATCH_SEED),
        )

    def learning_rate(self, v, path: str) -> float:
        lr = self.number(v, path, positive=True)
        if not MIN_LR <= lr <= MAX_LR:
            self.fail(path, f"{v!r} is out of range", f"use a learning rate from {MIN_LR:g} to {MAX_LR:g}")
        return lr

    def steps(self, v, path: str, last: int) -> np.ndarray:
        """Step numbers 1..last in increasing order (checked one by one only when something is wrong)."""
        if isinstance(v, (dict, np.ndarray)):  # packed as doubles: whole numbers, exactly
            values = self.packed(v, path) if isinstance(v, dict) else np.asarray(v, dtype=np.float64)
            if not np.all(np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**53)):
                self.fail(path, "step numbers must be whole numbers", "restore it from a saved session")
            v = values.astype(np.int64).tolist()
        arr = np.array(v, dtype=np.int64) if all(type(e) is int and abs(e) < 2**62 for e in v) else None
        if arr is None or (arr.size and (arr[0] < 1 or arr.max() > last or np.any(np.diff(arr) <= 0))):
            for k, e in enumerate(v):
                self.integer(e, f"{path}[{k}]", 1, last)
                if k and e <= v[k - 1]:
                    self.fail(
                        f"{path}[{k}]",
                        f"step {e} does not come after step {v[k - 1]}",
                        "list the steps in increasing order, each once",
                    )
        return arr.astype(np.float64)

    def val_history(self, v, path: str, history: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """One {"steps", "losses"} per run of ``history``: steps 1-based, increasing, within the run."""
        self.one_per_run(v, path, history, '[{"steps": [...], "losses": [...]}]', "empty steps and losses")
        runs = []
        for i, run in enumerate(v):
            at = f"{path}[{i}]"
            d = self.obj(run, at, ("steps", "losses"))
            steps_v = d["steps"]
            if not isinstance(steps_v, (list, dict, np.ndarray)):
                self.fail(
                    f"{at}.steps",
                    f"expected a list of step numbers, found {kind_of(steps_v)}",
                    "write it as [1, 2, 3]",
                )
            steps = self.steps(steps_v, f"{at}.steps", int(history[i].size))
            losses = self.vector(d["losses"], f"{at}.losses", None)
            if losses.size != steps.size:
                self.fail(
                    f"{at}.losses",
                    f"has {losses.size} values but {at}.steps has {steps.size}",
                    "give one validation loss per step",
                )
            runs.append(np.column_stack([steps, losses]))
        return tuple(runs)

    def batch_history(self, v, path: str, history: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """One list of mini-batch losses per run of ``history``: one per step at most (empty: no batches)."""
        self.one_per_run(v, path, history, "[[...], [...]]", "an empty list")
        runs = self.vectors(v, path, None)
        for i, (batch, losses) in enumerate(zip(runs, history)):
            if batch.size > losses.size:
                self.fail(
                    f"{path}[{i}]",
                    f"has {batch.size} values but loss_history[{i}] has {losses.size}",
                    "give at most one mini-batch loss per step of the run",
                )
        return runs

    def one_per_run(self, v, path: str, history: tuple[np.ndarray, ...], form: str, empty: str) -> None:
        if not isinstance(v, list):
            self.fail(path, f"expected a list, found {kind_of(v)}", f"write it as {form}")
        if len(v) != len(history):
            self.fail(
                path,
                f"has {len(v)} runs but loss_history has {len(history)}",
                f"give one entry per run ({empty} for a run without any)",
            )

    def scored(self, v, path: str, n: int) -> tuple[float, np.ndarray]:
        d = self.obj(v, path, ("loss", "theta"))
        return self.number(d["loss"], f"{path}.loss"), self.vector(d["theta"], f"{path}.theta", n)

    def snapshots(self, v, n: int) -> dict[str, tuple[float, np.ndarray]]:
        if not isinstance(v, dict):
            self.fail(
                "snapshots",
                f"expected an object, found {kind_of(v)}",
                'write it as {"name": {"loss": ..., "theta": [...]}}',
            )
        snapshots = {}
        for key, snap in v.items():
            path = f"snapshots[{key!r}]"
            if not self.text(key, path):
                self.fail(path, "empty snapshot name", "give every snapshot a name")
            snapshots[key] = self.scored(snap, path, n)
        return snapshots

    def run(self, v, path: str) -> RunRecord:
        """The last gradient-descent run: where it started, where it ended, and why it stopped."""
        d = self.obj(
            v, path, ("params", "loss", "steps", "stop_reason", "elapsed_s", "message", "start_theta", "settings")
        )
        params = self.vector(d["params"], f"{path}.params")
        start = self.vector(d["start_theta"], f"{path}.start_theta")
        if start.size != params.size:
            self.fail(
                f"{path}.start_theta",
                f"has {start.size} values but {path}.params has {params.size}",
                "both must be knobs of the same model",
            )
        result = TrainResult(
            np.array(params),
            self.number(d["loss"], f"{path}.loss"),
            self.integer(d["steps"], f"{path}.steps", 0),
            StopReason(self.choice(d["stop_reason"], f"{path}.stop_reason", STOP_REASONS)),
            self.number(d["elapsed_s"], f"{path}.elapsed_s", nonneg=True),
            self.text(d["message"], f"{path}.message"),
        )
        return RunRecord(result, np.array(start), self.settings(d["settings"], f"{path}.settings"))
