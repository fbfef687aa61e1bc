"""The saved document: data, model, knobs, run settings and history, as strict and exact JSON.

Plain dataclasses mirror what the window must save (the Qt layer maps its document to and from them;
this module never imports Qt).  Floats are written with ``repr`` (shortest exact form), so a load gives
back every array bit for bit.  Loading is strict: ``json.loads`` only, a size and nesting limit, and
every field validated, so a bad file is refused with a ``SessionError`` naming the file, the field path,
what is wrong and how to fix it.  A failed load never returns partial data.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.fitting.atomic import atomic_write_text
from workbench.fitting.basis import BASIS_KINDS, MAX_DEGREE, Basis
from workbench.fitting.data import Dataset, first_bad_sigma
from workbench.fitting.losses import LOSS_KINDS, Loss
from workbench.fitting.models import MAX_HIDDEN, MLPModel
from workbench.fitting.optimizers import OPTIMIZER_KINDS
from workbench.fitting.split import MAX_FRACTION, MAX_SEED, MIN_FRACTION, Split
from workbench.fitting.table import not_a_regular_file
from workbench.fitting.training import StopReason
from workbench.state.runs import MAX_LR, MAX_STEPS, MIN_LR, RunSettings

__all__ = [
    "SCHEMA_VERSION",
    "MODEL_KINDS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MIN_LR",
    "MAX_LR",
    "MAX_STEPS",
    "SessionError",
    "RunSettings",
    "SavedRun",
    "Session",
    "n_params_for",
    "session_to_json",
    "session_from_json",
    "save_session",
    "load_session",
]

SCHEMA_VERSION = 1
MODEL_KINDS = ("polynomial", "mlp")
STOP_REASONS = tuple(r.value for r in StopReason)
MAX_BYTES = 200 * 1024 * 1024  # a session bigger than this is refused before parsing
MAX_DEPTH = 64  # deepest JSON nesting accepted (the format itself needs 4)
APP = "Curve Fitter Workbench"
# Run settings a session may hold: what the window's controls can show and set (they import these).


class SessionError(ValueError):
    """A session file (or a session being saved) is not valid; the message says where and why."""


# -- the saved document ------------------------------------------------------------------------------------
def _frozen(values, dtype=np.float64) -> np.ndarray:
    arr = np.array(values, dtype=dtype)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class SavedRun:
    """A finished gradient-descent run: where it started, where it ended, and why it stopped."""

    params: np.ndarray
    loss: float
    steps: int
    stop_reason: str
    elapsed_s: float
    start_theta: np.ndarray
    settings: RunSettings = field(default_factory=RunSettings)
    message: str = ""

    def __post_init__(self):
        object.__setattr__(self, "params", _frozen(self.params))
        object.__setattr__(self, "start_theta", _frozen(self.start_theta))
        reason = self.stop_reason
        object.__setattr__(self, "stop_reason", reason.value if isinstance(reason, StopReason) else reason)


@dataclass(frozen=True, eq=False)
class Session:
    """Everything a saved session holds (arrays are read-only copies; sequences become tuples).

    ``snapshots`` maps a name ("my best knobs", "GD result", "exact") to (loss, knobs); ``view`` is
    free-form view state made of plain JSON values.  Trails, ``best_manual`` and snapshots hold knobs of
    the current model; ``last_run`` may come from an earlier model (only its two vectors must agree).
    ``split`` holds points out for validation (None: none); ``val_history`` has one (m, 2) array of
    (step, validation loss) rows per run of ``loss_history`` (padded with empty ones when shorter).
    """

    dataset: Dataset
    degree: int = 5
    basis: Basis = field(default_factory=Basis)
    loss: Loss = field(default_factory=Loss)
    theta: np.ndarray = field(default_factory=lambda: np.zeros(6))
    model: str = "polynomial"
    hidden: tuple[int, ...] = (8,)
    settings: RunSettings = field(default_factory=RunSettings)
    manual_trail: tuple[np.ndarray, ...] = ()
    manual_moves: int = 0
    best_manual: tuple[float, np.ndarray] | None = None
    gd_trajectory: tuple[np.ndarray, ...] = ()
    loss_history: tuple[np.ndarray, ...] = ()
    last_run: SavedRun | None = None
    snapshots: dict[str, tuple[float, np.ndarray]] = field(default_factory=dict)
    view: dict = field(default_factory=dict)
    split: Split | None = None
    val_history: tuple[np.ndarray, ...] = ()

    def __post_init__(self):
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        put("theta", _frozen(self.theta))
        put("hidden", tuple(int(h) for h in self.hidden))
        for name in ("manual_trail", "gd_trajectory", "loss_history"):
            put(name, tuple(_frozen(a) for a in getattr(self, name)))
        if self.best_manual is not None:
            put("best_manual", (float(self.best_manual[0]), _frozen(self.best_manual[1])))
        put("snapshots", {k: (float(v[0]), _frozen(v[1])) for k, v in self.snapshots.items()})
        put("view", dict(self.view))
        runs = [_frozen(np.reshape(np.asarray(h, dtype=np.float64), (-1, 2))) for h in self.val_history]
        put("val_history", tuple(runs + [_frozen(np.empty((0, 2)))] * (len(self.loss_history) - len(runs))))

    @property
    def n_params(self) -> int:
        """How many knobs the session's model has."""
        return n_params_for(self.model, self.degree, self.hidden)


def n_params_for(model: str, degree: int, hidden: tuple[int, ...]) -> int:
    """Knob count: degree + 1 for a polynomial, every weight and bias for the net."""
    if model == "mlp":
        return MLPModel(tuple(hidden)).n_params
    return int(degree) + 1


# -- writing -----------------------------------------------------------------------------------------------
def _vec(a: np.ndarray) -> list:
    return np.asarray(a, dtype=np.float64).ravel().tolist()


def _settings_dict(s: RunSettings) -> dict:
    out = {"optimizer": s.optimizer, "lr": _num(s.lr), "max_steps": _int(s.max_steps), "tol": _num(s.tol)}
    if s.patience is not None:  # optional: omitted when early stopping is off
        out["patience"] = _int(s.patience)
    return out


def _validation_dict(s: Session) -> dict:
    """The optional validation fields: "split" only when there is one; "val_history" always."""
    out: dict = {}
    if s.split is not None:
        out["split"] = {"fraction": _num(s.split.fraction), "seed": _int(s.split.seed)}
    for i, h in enumerate(s.val_history):
        steps = h[:, 0]
        if not np.all(np.isfinite(steps) & (steps == np.round(steps)) & (np.abs(steps) < 2**62)):
            raise SessionError(f"the session being saved: val_history[{i}]: step numbers must be whole numbers")
    out["val_history"] = [{"steps": h[:, 0].astype(np.int64).tolist(), "losses": _vec(h[:, 1])} for h in s.val_history]
    return out


def _num(v):
    return float(v) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) else v


def _int(v):
    return int(v) if isinstance(v, np.integer) else v


def _dataset_dict(d: Dataset) -> dict:
    """The points as JSON; "sigma" only when the dataset has uncertainties (the field is optional)."""
    out = {"name": d.name, "x": _vec(d.x), "y": _vec(d.y)}
    if d.sigma is not None:
        out["sigma"] = _vec(d.sigma)
    return out


def _session_dict(s: Session) -> dict:
    run = s.last_run
    return {
        "schema_version": SCHEMA_VERSION,
        "dataset": _dataset_dict(s.dataset),
        "degree": _int(s.degree),
        "basis": {"kind": s.basis.kind, "lo": _num(s.basis.lo), "hi": _num(s.basis.hi)},
        "loss": {"kind": s.loss.kind, "huber_delta": _num(s.loss.huber_delta), "l2": _num(s.loss.l2)},
        "model": s.model,
        "hidden": list(s.hidden),
        "theta": _vec(s.theta),
        "settings": _settings_dict(s.settings),
        "manual_trail": [_vec(t) for t in s.manual_trail],
        "manual_moves": _int(s.manual_moves),
        "best_manual": None
        if s.best_manual is None
        else {"loss": _num(s.best_manual[0]), "theta": _vec(s.best_manual[1])},
        "gd_trajectory": [_vec(t) for t in s.gd_trajectory],
        "loss_history": [_vec(h) for h in s.loss_history],
        "last_run": None
        if run is None
        else {
            "params": _vec(run.params),
            "loss": _num(run.loss),
            "steps": _int(run.steps),
            "stop_reason": run.stop_reason,
            "elapsed_s": _num(run.elapsed_s),
            "message": run.message,
            "start_theta": _vec(run.start_theta),
            "settings": _settings_dict(run.settings),
        },
        "snapshots": {name: {"loss": _num(loss), "theta": _vec(theta)} for name, (loss, theta) in s.snapshots.items()},
        "view": s.view,
        **_validation_dict(s),
    }


def session_to_json(session: Session) -> str:
    """The session as JSON text, floats exact; refuses (SessionError) anything a load would refuse.

    The points are most of a big session and change least often (autosave writes after every knob
    move): their text comes from ``dataset_json``, which encodes each dataset once.
    """
    data = _session_dict(session)
    data["dataset"] = {"name": _DATASET_SLOT, "x": [], "y": []}  # spliced in below
    _Reader("the session being saved").session(data)  # same rules as loading: NaN/inf, lengths, kinds
    text = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"
    slot = json.dumps(data["dataset"], ensure_ascii=False, separators=(",", ":"))
    return text.replace(slot, dataset_json(session.dataset), 1)


# A name no dataset has (a NUL and a marker): where the dataset's own text is spliced into a session's.
_DATASET_SLOT = "\u0000workbench-dataset-slot\u0000"
_ENCODE_CHUNK = 16_384  # values per json.dumps call: each holds the GIL for a few ms at most
_dataset_text: tuple[weakref.ref, str] | None = None  # the last dataset encoded, and its text
_dataset_lock = threading.Lock()


def dataset_json(dataset: Dataset) -> str:
    """The dataset's JSON text (validated as a load would validate it), cached for the last dataset.

    Datasets never change (an edit makes a new one), so a session's points are encoded once however
    often it is saved.  Thread-safe, and friendly to other threads: values are encoded in chunks, so a
    background thread warming the cache (``warm_dataset_json``) lets the GUI thread run in between.
    """
    global _dataset_text
    with _dataset_lock:
        cached = _dataset_text
        if cached is not None and cached[0]() is dataset:
            return cached[1]
        _Reader("the session being saved").dataset(_dataset_dict(dataset), "dataset")
        parts = [
            f'{{"name":{json.dumps(dataset.name, ensure_ascii=False)}',
            f',"x":{_json_numbers(dataset.x)}',
            f',"y":{_json_numbers(dataset.y)}',
        ]
        if dataset.sigma is not None:
            parts.append(f',"sigma":{_json_numbers(dataset.sigma)}')
        text = "".join(parts) + "}"
        _dataset_text = (weakref.ref(dataset, _forget_dataset_text), text)
        return text


def _forget_dataset_text(ref: weakref.ref) -> None:
    """The dataset is gone: so is its text (tens of MB for 10⁶ points, kept by nothing else)."""
    global _dataset_text
    cached = _dataset_text
    if cached is not None and cached[0] is ref:
        _dataset_text = None


def warm_dataset_json(dataset: Dataset) -> threading.Thread:
    """Encode ``dataset`` for ``dataset_json`` on a background (daemon) thread, so that the next save
    of a big session does not pay for it on the caller's thread; returns the thread."""
    thread = threading.Thread(target=_warm, args=(weakref.ref(dataset),), name="encode-dataset", daemon=True)
    thread.start()
    return thread


def _warm(ref: weakref.ref) -> None:
    dataset = ref()
    if dataset is not None:
        try:
            dataset_json(dataset)
        except SessionError:
            pass  # reported by the save that needs it, on the thread that can show it
    del dataset


def _json_numbers(values: np.ndarray) -> str:
    """A float array as a JSON list, exactly as json.dumps writes it (shortest repr), chunk by chunk."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    chunks = (
        json.dumps(flat[i : i + _ENCODE_CHUNK].tolist(), allow_nan=False, separators=(",", ":"))[1:-1]
        for i in range(0, flat.size, _ENCODE_CHUNK)
    )
    return "[" + ",".join(c for c in chunks if c) + "]"


def save_session(session: Session, path: str | os.PathLike[str]) -> None:
    """Write the session to `path` atomically (a failed save leaves the previous file as it was)."""
    atomic_write_text(path, session_to_json(session))


# -- reading -----------------------------------------------------------------------------------------------
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _check_depth(text: str, source: str) -> None:
    """Refuse deep nesting before json.loads sees it (it would hit Python's recursion limit)."""
    depth = 0
    for m in _TOKENS.finditer(text):
        c = m.group()[0]
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise SessionError(
                    f"{source}: nesting deeper than {MAX_DEPTH} levels: this is not a "
                    f"{APP} session (or it is damaged); open a session saved by the app"
                )
        elif c in "]}":
            depth -= 1


def _too_big(source: str):
    raise SessionError(
        f"{source}: the file is larger than {MAX_BYTES // 2**20} MB, the most a session "
        "may be; it is not a session, or its histories should be cleared before saving"
    )


def session_from_json(text: str | bytes, source: str = "<session>") -> Session:
    """Parse and validate session JSON; anything wrong raises SessionError naming field and fix."""
    if len(text) > MAX_BYTES:
        _too_big(source)
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SessionError(
                f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start}): this is not a "
                f"{APP} session (or it is damaged)"
            ) from None
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write: not part of the JSON
    _check_depth(text, source)
    try:
        data = json.loads(text)
    except RecursionError:
        raise SessionError(f"{source}: nesting too deep: this is not a {APP} session") from None
    except ValueError as exc:  # JSONDecodeError, and over-long integers
        raise SessionError(f"{source}: not valid JSON ({exc}): the file is damaged or is not a {APP} session") from None
    return _Reader(source).session(data)


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read and validate the session at `path` (SessionError if it cannot be opened or is invalid)."""
    source = str(path)
    problem = not_a_regular_file(path)
    if problem is not None:
        raise SessionError(f"{source}: {problem}")
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_BYTES:
                _too_big(source)
            data = f.read(MAX_BYTES + 1)  # one byte more than allowed: a file that grew is refused too
    except OSError as exc:
        raise SessionError(
            f"{source}: cannot read the file ({exc.strerror or exc}); check the path and its permissions"
        ) from exc
    return session_from_json(data, source=source)


# -- validation --------------------------------------------------------------------------------------------
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


class _Reader:
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
        if not isinstance(v, list):
            self.fail(path, f"expected a list of numbers, found {_kind_of(v)}", "write it as [1.0, 2.0, ...]")
        if not all(type(e) is float for e in v):  # the slow path only when something is unusual
            for i, e in enumerate(v):
                self.number(e, f"{path}[{i}]")
        arr = np.array(v, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            self.number(v[int(bad[0])], f"{path}[{int(bad[0])}]")
        if length is not None and arr.size != length:
            self.fail(
                path,
                f"has {arr.size} values but the model has {length} parameters",
                "save the knobs of the current model (degree / hidden sizes must match)",
            )
        return _frozen(arr)

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

    def steps(self, v: list, path: str, last: int) -> np.ndarray:
        """Step numbers 1..last in increasing order (checked one by one only when something is wrong)."""
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
            if not isinstance(steps_v, list):
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
        if found < SCHEMA_VERSION:
            self.fail(
                "schema_version",
                f"schema {found} is not supported (this version reads schema {SCHEMA_VERSION})",
                "open it with the version of the app that saved it",
            )

    def session(self, v) -> Session:
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
            ("view", "split", "val_history"),
        )
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
        split = self.split(d["split"], "split") if "split" in d else None
        val_history = self.val_history(d["val_history"], "val_history", history) if "val_history" in d else ()
        return Session(
            dataset,
            degree,
            Basis(basis_kind, lo, hi),
            loss,
            theta,
            model,
            hidden,
            settings,
            trail,
            moves,
            best,
            gd,
            history,
            last_run,
            snapshots,
            view,
            split,
            val_history,
        )

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

    def run(self, v, path: str) -> SavedRun:
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
        return SavedRun(
            params,
            self.number(d["loss"], f"{path}.loss"),
            self.integer(d["steps"], f"{path}.steps", 0),
            self.choice(d["stop_reason"], f"{path}.stop_reason", STOP_REASONS),
            self.number(d["elapsed_s"], f"{path}.elapsed_s", nonneg=True),
            start,
            self.settings(d["settings"], f"{path}.settings"),
            self.text(d["message"], f"{path}.message"),
        )
