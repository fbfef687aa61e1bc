"""Writing a session: the document (and the window's view state) as JSON, every float exact.

Short arrays are JSON lists (a hand-edited session stays readable); long ones are little-endian doubles in
base64 (``{"float64": "..."}``): compact, exact, and fast to write and read even at millions of points.  The
big arrays' text is produced piece by piece (``session_chunks``), so a 10⁷-point session is never held as
one string.  What a load would refuse (a setting out of range, say) is refused when saving, with the same
message.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator

import numpy as np

from workbench import __version__

from .document import Document
from .runs import RunSettings, aligned_batch_history, aligned_val_history
from .session_reader import APP, OVERLAYS, SCHEMA_VERSION, SessionError, SessionReader

PACK_ABOVE = 16  # arrays with more values than this are written as base64 doubles


class _Arrays:
    """The long arrays of one save, each standing in the JSON as a placeholder its base64 text replaces.

    A placeholder holds a marker drawn afresh for every save, so no text in the free-form view state can be
    taken for one (the view of a session read from a file may hold any text)."""

    def __init__(self):
        self.marker = secrets.token_hex(16)
        self.values: dict[str, np.ndarray] = {}

    def slot(self, array: np.ndarray) -> str:
        slot = f"\u0000{self.marker}-{len(self.values)}\u0000"
        self.values[slot] = array
        return slot


def session_chunks(document: Document, view: dict) -> Iterator[bytes]:
    """The session's UTF-8 text, piece by piece; checked first as a load would check it (SessionError)."""
    arrays = _Arrays()
    data = _session_dict(document, view, arrays)
    _check(data, arrays)
    text = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"
    for slot, array in arrays.values.items():
        head, text = text.split(json.dumps(slot, ensure_ascii=False), 1)
        yield head.encode("utf-8")
        yield b'"' + base64.b64encode(np.ascontiguousarray(array, dtype="<f8").tobytes()) + b'"'
    yield text.encode("utf-8")


def session_to_json(document: Document, view: dict | None = None) -> str:
    """The session as one JSON text (``session_chunks`` joined)."""
    return b"".join(session_chunks(document, view or {})).decode("utf-8")


def _check(data: dict, arrays: _Arrays) -> None:
    """Refuse anything a load would refuse: the dict is read back, long arrays as the values they hold."""

    def unpacked(value):
        if isinstance(value, dict):
            if set(value) == {"float64"} and isinstance(value["float64"], str) and value["float64"] in arrays.values:
                return arrays.values[value["float64"]]
            return {k: unpacked(v) for k, v in value.items()}
        if isinstance(value, list):
            return [unpacked(v) for v in value]
        return value

    # The view is free-form (any depth: the reader refuses deep nesting) and holds no arrays of the writer's.
    probe = unpacked({k: v for k, v in data.items() if k not in ("dataset", "view")})
    probe["view"] = data["view"]
    # The points are valid by construction (their names may still hold text no file can).
    probe["dataset"] = {**{k: v for k, v in data["dataset"].items() if k not in ("x", "y", "sigma")}, "x": [], "y": []}
    SessionReader("the session being saved").document(probe)


def _array(values, arrays: _Arrays) -> list | dict:
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size <= PACK_ABOVE:
        return [float(v) for v in flat]
    return {"float64": arrays.slot(flat)}


def _steps(steps: np.ndarray, arrays: _Arrays) -> list | dict:
    """Step numbers: whole numbers in a short list, or doubles (exact below 2⁵³) in base64."""
    return [int(s) for s in steps] if steps.size <= PACK_ABOVE else _array(steps, arrays)


def _settings(s: RunSettings) -> dict:
    out = {"optimizer": s.optimizer, "lr": float(s.lr), "max_steps": int(s.max_steps), "tol": float(s.tol)}
    if s.patience is not None:  # optional: omitted when early stopping is off
        out["patience"] = int(s.patience)
    out["lr_chosen"] = bool(s.lr_chosen)
    if s.batch_size is not None:  # optional: omitted when every step uses every point
        out["batch_size"] = int(s.batch_size)
    out["seed"] = int(s.seed)
    return out


def _dataset(dataset, vec) -> dict:
    points = {"name": dataset.name, "x": vec(dataset.x), "y": vec(dataset.y)}
    if dataset.sigma is not None:
        points["sigma"] = vec(dataset.sigma)
    points.update(x_name=dataset.x_name, y_name=dataset.y_name, x_is_date=bool(dataset.x_is_date))
    return points


def _basis(basis, vec) -> dict:
    out = {"kind": basis.kind, "lo": float(basis.lo), "hi": float(basis.hi)}
    if basis.factor is not None:  # the orthonormal basis: R's upper triangle (it defines the basis)
        out["factor"] = vec(basis.factor)
    return out


def _session_dict(document: Document, view: dict, arrays: _Arrays) -> dict:
    state = document.state
    dataset = state.dataset
    records = document.records
    vec = lambda values: _array(values, arrays)  # noqa: E731
    histories = [_finite_prefix(h) for h in records.loss_history]
    validation = [
        _finite_steps(v, h.size) for v, h in zip(aligned_val_history(records.val_history, len(histories)), histories)
    ]
    for i, rows in enumerate(validation):
        if not np.all((rows[:, 0] == np.round(rows[:, 0])) & (np.abs(rows[:, 0]) < 2**53)):
            raise SessionError(f"the session being saved: val_history[{i}]: step numbers must be whole numbers")
    batches = [
        _finite_prefix(b)[: h.size]
        for b, h in zip(aligned_batch_history(records.batch_history, len(histories)), histories)
    ]
    run = records.last_run
    best = records.best_manual
    out = {
        "schema_version": SCHEMA_VERSION,
        "app": {"name": APP, "version": __version__},
        "dataset": _dataset(dataset, vec),
        "degree": int(state.degree),
        "basis": _basis(state.basis, vec),
        "loss": {"kind": state.loss.kind, "huber_delta": float(state.loss.huber_delta), "l2": float(state.loss.l2)},
        "model": state.model,
        "hidden": [int(h) for h in state.hidden],
        "theta": vec(state.theta),
        "settings": _settings(document.settings),
        "manual_trail": [vec(t) for t in _finite_rows(records.manual_trail)],
        "manual_moves": int(records.manual_moves),
        "best_manual": None if best is None else {"loss": float(best[0]), "theta": vec(best[1])},
        "gd_trajectory": [vec(t) for t in _finite_rows(records.gd_trajectory)],
        "loss_history": [vec(h) for h in histories],
        "last_run": None
        if run is None
        else {
            "params": vec(run.result.params),
            "loss": float(run.result.loss),
            "steps": int(run.result.steps),
            "stop_reason": run.result.stop_reason.value,
            "elapsed_s": float(run.result.elapsed_s),
            "message": run.result.message,
            "start_theta": vec(run.start_theta),
            "settings": _settings(run.settings),
        },
        "snapshots": {
            name: {"loss": float(loss), "theta": vec(theta)} for name, (loss, theta) in document.snapshots.items()
        },
        "view": {**view, **dict(zip(OVERLAYS, (document.show_exact, document.show_manual, document.show_gd)))},
        "val_history": [{"steps": _steps(rows[:, 0], arrays), "losses": vec(rows[:, 1])} for rows in validation],
        "batch_history": [vec(b) for b in batches],
    }
    if state.formula:  # the formula's text (kept while another model is chosen, for going back to it)
        out["formula"] = state.formula
    if state.split is not None:
        out["split"] = {"fraction": float(state.split.fraction), "seed": int(state.split.seed)}
    return out


def _finite_rows(rows) -> list[np.ndarray]:
    """Knob positions that can be saved (a diverging run may have left overflowed ones behind)."""
    return [r for r in rows if np.all(np.isfinite(r))]


def _finite_prefix(history) -> np.ndarray:
    """A run's losses up to its first non-finite one (a diverged run ends in inf or NaN: where it blew up)."""
    history = np.asarray(history, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(history))
    return history[: bad[0]] if bad.size else history


def _finite_steps(rows, steps: int) -> np.ndarray:
    """A run's (step, validation loss) rows within its saved ``steps`` and before a non-finite loss."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
    rows = rows[rows[:, 0] <= steps]
    bad = np.flatnonzero(~np.isfinite(rows[:, 1]))
    return rows[: bad[0]] if bad.size else rows
