"""Reading a session: the parsed JSON checked field by field and turned into a ``Document``.

Strict: every field is validated, so a bad file is refused with a ``SessionError`` naming the file, the field
path, what is wrong and how to fix it, and a failed read never returns part of a document.  Arrays may be JSON
lists of numbers or ``{"float64": "<base64>"}`` (little-endian doubles), which is how the app writes long
ones.  Sessions written by earlier versions (schema 1: lists only) read the same way.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import numpy as np

from workbench.fitting.basis import BASIS_KINDS, MAX_DEGREE, Basis
from workbench.fitting.computable import numeric_trouble
from workbench.fitting.data import Dataset, first_bad_sigma
from workbench.fitting.losses import LOSS_KINDS, Loss
from workbench.fitting.models import MAX_HIDDEN, MLPModel
from workbench.fitting.optimizers import OPTIMIZER_KINDS
from workbench.fitting.split import MAX_FRACTION, MAX_SEED, MIN_FRACTION, Split
from workbench.fitting.training import StopReason, TrainResult

from .document import Document
from .fit_state import MODEL_KINDS, FitState
from .runs import MAX_LR, MAX_STEPS, MIN_LR, RunRecord, RunSettings

APP = "Curve Fitter Workbench"
SCHEMA_VERSION = 2  # 2: arrays may be base64; 1: lists only (still read)
MAX_DEPTH = 64  # deepest JSON nesting accepted (the format itself needs 4)
STOP_REASONS = tuple(r.value for r in StopReason)
OVERLAYS = ("show_exact", "show_manual", "show_gd")  # view keys the document keeps (ghost curves shown)


class SessionError(ValueError):
    """A session file (or a session being saved) is not valid; the message says where and why."""


def _frozen(values, dtype=np.float64) -> np.ndarray:
    arr = np.array(values, dtype=dtype)
    arr.flags.writeable = False
    return arr


def n_params_for(model: str, degree: int, hidden: tuple[int, ...]) -> int:
    """Knob count: degree + 1 for a polynomial, every weight and bias for the net."""
    if model == "mlp":
        return MLPModel(tuple(hidden)).n_params
    return int(degree) + 1


def _kind_of(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return f"the number {v!r}"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


class SessionReader:
    """Validates the parsed JSON of one session, raising SessionError at the first problem."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, reason: str, fix: str):
        raise SessionError(f"{self.source}: {path}: {reason}; {fix}")

    # -- scalars
    def obj(self, v, path: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(v, dict):
            self.fail(path, f"expected an object, found {_kind_of(v)}", "restore it from a saved session")
        for k in keys:
            if k not in v:
                self.fail(f"{path}.{k}" if path else k, "missing", "the file is incomplete or damaged")
        for k in v:
            if k not in keys and k not in optional:
                where = f"{path}.{k}" if path else str(k)
                self.fail(where, "unknown field", f"expected only {', '.join(keys + optional)} here")
        return v

    def integer(self, v, path: str, lo: int, hi: int | None = None) -> int:
        if type(v) is not int:
            self.fail(path, f"expected a whole number, found {_kind_of(v)}", "write it without a decimal point")
        if v < lo or (hi is not None and v > hi):
            rng = f"from {lo} to {hi}" if hi is not None else f"of {lo} or more"
            self.fail(path, f"{v} is out of range", f"use a whole number {rng}")
        return v

    def number(self, v, path: str, *, positive: bool = False, nonneg: bool = False) -> float:
        if type(v) not in (int, float):
            self.fail(path, f"expected a number, found {_kind_of(v)}", "write a finite decimal number")
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            self.fail(
                path,
                f"non-finite number {v!r}" if type(v) is float else "number too large",
                "NaN and infinity cannot be saved: use a finite number",
            )
        if positive and not f > 0:
            self.fail(path, f"{v!r} is not positive", "use a number greater than 0")
        if nonneg and not f >= 0:
            self.fail(path, f"{v!r} is negative", "use 0 or a positive number")
        return f

    def text(self, v, path: str) -> str:
        if type(v) is not str:
            self.fail(path, f"expected text, found {_kind_of(v)}", "write it as a quoted string")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(path, "text contains an unpaired surrogate", "remove the invalid character")
        return v

    def choice(self, v, path: str, kinds: tuple[str, ...]) -> str:
        self.text(v, path)
        if v not in kinds:
            self.fail(path, f"unknown kind {v!r}", f"choose one of {', '.join(kinds)}")
        return v

    # -- arrays
    def vector(self, v, path: str, length: int | None = None) -> np.ndarray:
        if isinstance(v, np.ndarray):  # a session being saved, checked before it is written
            arr = np.asarray(v, dtype=np.float64)
        elif isinstance(v, dict):
            arr = self.packed(v, path)
        else:
            if not isinstance(v, list):
                self.fail(path, f"expected a list of numbers, found {_kind_of(v)}", "write it as [1.0, 2.0, ...]")
            if not all(type(e) is float for e in v):  # the slow path only when something is unusual
                for i, e in enumerate(v):
                    self.number(e, f"{path}[{i}]")
            arr = np.array(v, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            self.fail(
                f"{path}[{int(bad[0])}]",
                f"non-finite number {float(arr[int(bad[0])])!r}",
                "NaN and infinity cannot be saved: use a finite number",
            )
        if length is not None and arr.size != length:
            self.fail(
                path,
                f"has {arr.size} values but the model has {length} parameters",
                "save the knobs of the current model (degree / hidden sizes must match)",
            )
        return _frozen(arr)

    def packed(self, v: dict, path: str) -> np.ndarray:
        """``{"float64": "<base64 of little-endian doubles>"}``: how the app writes long arrays."""
        d = self.obj(v, path, ("float64",))
        text = d["float64"]
        if type(text) is not str:
            self.fail(
                f"{path}.float64", f"expected base64 text, found {_kind_of(text)}", "restore it from a saved session"
            )
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            self.fail(
                f"{path}.float64", "not valid base64 text", "the file is damaged: restore it from a saved session"
            )
        if len(raw) % 8:
            self.fail(
                f"{path}.float64",
                f"{len(raw)} bytes is not a whole number of 8-byte values",
                "the file is damaged: restore it from a saved session",
            )
        return np.frombuffer(raw, dtype="<f8").astype(np.float64)

    def vectors(self, v, path: str, length: int | None) -> tuple[np.ndarray, ...]:
        if not isinstance(v, list):
            self.fail(path, f"expected a list of lists, found {_kind_of(v)}", "write it as [[...], [...]]")
        return tuple(self.vector(e, f"{path}[{i}]", length) for i, e in enumerate(v))

    def plain(self, v, path: str, depth: int = 0) -> Any:
        """A free-form JSON value (view state): finite numbers, text, true/false, null, lists, objects."""
        if depth > MAX_DEPTH:
            self.fail(path, f"nested deeper than {MAX_DEPTH} levels", "keep view state shallow")
        if v is None or type(v) in (bool, int):
            return v
        if type(v) is float:
            return self.number(v, path)
        if type(v) is str:
            return self.text(v, path)
        if type(v) is list:
            return [self.plain(e, f"{path}[{i}]", depth + 1) for i, e in enumerate(v)]
        if type(v) is dict:
            out = {}
            for k, e in v.items():
                if type(k) is not str:
                    self.fail(path, f"key {k!r} is not text", "use text keys only")
                out[self.text(k, f"{path} key")] = self.plain(e, f"{path}.{k}", depth + 1)
            return out
        return self.fail(
            path,
            f"{type(v).__name__} is not a plain JSON value",
            "use numbers, text, true/false, null, lists and objects only",
        )

    # -- the parts of a session
    def settings(self, v, path: str) -> RunSettings:
        d = self.obj(v, path, ("optimizer", "lr", "max_steps", "tol"), ("patience",))
        patience = None
        if "patience" in d:
            if d["patience"] is None:
                self.fail(
                    f"{path}.patience",
                    "null is not a number of steps",
                    "write a whole number of 1 or more, or remove patience for no early stopping",
                )
            patience = self.integer(d["patience"], f"{path}.patience", 1, MAX_STEPS)
        return RunSettings(
            self.choice(d["optimizer"], f"{path}.optimizer", OPTIMIZER_KINDS),
            self.learning_rate(d["lr"], f"{path}.lr"),
            self.integer(d["max_steps"], f"{path}.max_steps", 1, MAX_STEPS),
            self.number(d["tol"], f"{path}.tol", nonneg=True),
            patience,
        )

    def learning_rate(self, v, path: str) -> float:
        lr = self.number(v, path, positive=True)
        if not MIN_LR <= lr <= MAX_LR:
            self.fail(path, f"{v!r} is out of range", f"use a learning rate from {MIN_LR:g} to {MAX_LR:g}")
        return lr

    def split(self, v, path: str) -> Split:
        if v is None:
            self.fail(
                path, "null is not a split", 'write {"fraction": 0.2, "seed": 0}, or remove split to fit every point'
            )
        d = self.obj(v, path, ("fraction", "seed"))
        fraction = self.number(d["fraction"], f"{path}.fraction")
        if not MIN_FRACTION <= fraction <= MAX_FRACTION:
            self.fail(
                f"{path}.fraction",
                f"{d['fraction']!r} is not between {MIN_FRACTION:g} and {MAX_FRACTION:g}",
                "write the held-out share as a fraction such as 0.2, or remove split to fit every point",
            )
        return Split(fraction, self.integer(d["seed"], f"{path}.seed", 0, MAX_SEED))

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
        if not isinstance(v, list):
            self.fail(path, f"expected a list, found {_kind_of(v)}", 'write it as [{"steps": [...], "losses": [...]}]')
        if len(v) != len(history):
            self.fail(
                path,
                f"has {len(v)} runs but loss_history has {len(history)}",
                "give one entry per run (empty steps and losses for a run without validation)",
            )
        runs = []
        for i, run in enumerate(v):
            at = f"{path}[{i}]"
            d = self.obj(run, at, ("steps", "losses"))
            steps_v = d["steps"]
            if not isinstance(steps_v, (list, dict, np.ndarray)):
                self.fail(
                    f"{at}.steps",
                    f"expected a list of step numbers, found {_kind_of(steps_v)}",
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

    def scored(self, v, path: str, n: int) -> tuple[float, np.ndarray]:
        d = self.obj(v, path, ("loss", "theta"))
        return self.number(d["loss"], f"{path}.loss"), self.vector(d["theta"], f"{path}.theta", n)

    def schema(self, v) -> None:
        if not isinstance(v, dict):
            self.fail("(top level)", f"expected an object, found {_kind_of(v)}", f"this is not a {APP} session")
        if "schema_version" not in v:
            self.fail("schema_version", "missing", f"this is not a {APP} session (or it is damaged)")
        found = v["schema_version"]
        if type(found) is not int:
            self.fail(
                "schema_version",
                f"expected a whole number, found {_kind_of(found)}",
                f"this is not a {APP} session (or it is damaged)",
            )
        if found > SCHEMA_VERSION:
            raise SessionError(
                f"{self.source}: this session was saved by a newer version of {APP} "
                f"(schema {found}); update the app to open it"
            )
        if found < 1:
            self.fail(
                "schema_version",
                f"schema {found} is not supported (this version reads schemas 1 to {SCHEMA_VERSION})",
                "open it with the version of the app that saved it",
            )

    def document(self, v) -> tuple[Document, dict]:
        """The whole session: (a document holding it, its view state)."""
        self.schema(v)
        d = self.obj(
            v,
            "",
            (
                "schema_version",
                "dataset",
                "degree",
                "basis",
                "loss",
                "model",
                "hidden",
                "theta",
                "settings",
                "manual_trail",
                "manual_moves",
                "best_manual",
                "gd_trajectory",
                "loss_history",
                "last_run",
                "snapshots",
            ),
            ("view", "split", "val_history", "app"),
        )
        if "app" in d:
            self.plain(d["app"], "app")  # who wrote it (informative only)
        dataset = self.dataset(d["dataset"], "dataset")
        degree = self.integer(d["degree"], "degree", 0, MAX_DEGREE)
        b = self.obj(d["basis"], "basis", ("kind", "lo", "hi"))
        basis_kind = self.choice(b["kind"], "basis.kind", BASIS_KINDS)
        lo, hi = self.number(b["lo"], "basis.lo"), self.number(b["hi"], "basis.hi")
        if not lo < hi:
            self.fail("basis.hi", f"interval [{lo!r}, {hi!r}] is empty", "lo must be smaller than hi")
        lo_d = self.obj(d["loss"], "loss", ("kind", "huber_delta", "l2"))
        loss = Loss(
            self.choice(lo_d["kind"], "loss.kind", LOSS_KINDS),
            self.number(lo_d["huber_delta"], "loss.huber_delta", positive=True),
            self.number(lo_d["l2"], "loss.l2", nonneg=True),
        )
        model = self.choice(d["model"], "model", MODEL_KINDS)
        hidden_v = d["hidden"]
        if not isinstance(hidden_v, list) or not 1 <= len(hidden_v) <= 2:
            self.fail(
                "hidden",
                f"expected a list of one or two layer widths, found {_kind_of(hidden_v)}",
                "write it as [8] or [8, 8]",
            )
        hidden = tuple(self.integer(h, f"hidden[{i}]", 1, MAX_HIDDEN) for i, h in enumerate(hidden_v))
        n = n_params_for(model, degree, hidden)
        theta = self.vector(d["theta"], "theta", n)
        settings = self.settings(d["settings"], "settings")
        trail = self.vectors(d["manual_trail"], "manual_trail", n)
        moves = self.integer(d["manual_moves"], "manual_moves", 0)
        best = None if d["best_manual"] is None else self.scored(d["best_manual"], "best_manual", n)
        gd = self.vectors(d["gd_trajectory"], "gd_trajectory", n)
        history = self.vectors(d["loss_history"], "loss_history", None)
        last_run = None if d["last_run"] is None else self.run(d["last_run"], "last_run")
        snaps_v = d["snapshots"]
        if not isinstance(snaps_v, dict):
            self.fail(
                "snapshots",
                f"expected an object, found {_kind_of(snaps_v)}",
                'write it as {"name": {"loss": ..., "theta": [...]}}',
            )
        snapshots = {}
        for key, snap in snaps_v.items():
            path = f"snapshots[{key!r}]"
            if not self.text(key, path):
                self.fail(path, "empty snapshot name", "give every snapshot a name")
            snapshots[key] = self.scored(snap, path, n)
        view = self.plain(d.get("view", {}), "view")
        if not isinstance(view, dict):
            self.fail("view", f"expected an object, found {_kind_of(view)}", "write it as {} or remove it")
        overlays = []
        for key in OVERLAYS:
            if key in view and type(view[key]) is not bool:
                self.fail(f"view.{key}", f"expected true or false, found {view[key]!r}", "write true or false")
            overlays.append(bool(view.get(key, False)))
        split = self.split(d["split"], "split") if "split" in d else None
        val_history = self.val_history(d["val_history"], "val_history", history) if "val_history" in d else ()
        state = FitState(dataset, degree, Basis(basis_kind, lo, hi), loss, theta.copy(), model, hidden, split)
        self.usable(state)
        document = Document.restored(state, settings, snapshots=snapshots, overlays=tuple(overlays))
        document.load_records(
            manual_trail=trail,
            manual_moves=moves,
            best_manual=best,
            gd_trajectory=gd,
            loss_history=history,
            val_history=val_history,
            last_run=last_run,
        )
        return document, view

    def usable(self, state: FitState) -> None:
        """Refuse data and knobs whose numbers cannot be computed with (the loss overflows at the knobs, say):
        valid JSON, but nothing a window can draw (the same rule as every edit: ``numeric_trouble``)."""
        if state.dataset.n == 0:
            return
        why = numeric_trouble(state.build_problem(), state.theta)
        if why is not None:
            raise SessionError(f"{self.source}: theta and dataset: {why}; correct the knobs or the data in the file")

    def dataset(self, v, path: str) -> Dataset:
        """The points: name, x, y and, optionally, one uncertainty σ > 0 per point."""
        ds = self.obj(v, path, ("name", "x", "y"), ("sigma",))
        name = self.text(ds["name"], f"{path}.name")
        x = self.vector(ds["x"], f"{path}.x")
        y = self.vector(ds["y"], f"{path}.y")
        if x.size != y.size:
            self.fail(
                f"{path}.y", f"has {y.size} values but {path}.x has {x.size}", "every point needs both an x and a y"
            )
        sigma = None
        if "sigma" in ds:
            sigma = self.vector(ds["sigma"], f"{path}.sigma")
            if sigma.size != x.size:
                self.fail(
                    f"{path}.sigma",
                    f"has {sigma.size} values but {path}.x has {x.size}",
                    "give one uncertainty per point, or remove sigma to fit without weights",
                )
            problem = first_bad_sigma(sigma)
            if problem is not None:
                self.fail(
                    f"{path}.sigma[{problem[0]}]", problem[1], "fix the value, or remove sigma to fit without weights"
                )
        return Dataset(x, y, name, sigma)

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
