"""The window ↔ ``Session``: what a saved session holds of the document and of the window around it.

``session_from_window`` reads; ``apply_session`` writes, all or nothing: everything that could refuse a
session (its view state, knobs the window cannot evaluate) is checked before the first change, so a
refused session leaves the window exactly as it was.  Opening a session is a new starting point: the
document's undo history is emptied (``FitDocument.reset``), not extended by one step.

The document's part is exact (every float bit for bit).  The window's part lives in ``Session.view``:
the dock layout and window geometry (``saveState``/``saveGeometry`` as base64), the View toggles, the
ghost-curve overlays and the fit plot's visible range.  Keys a view leaves out keep the window's
current setting (overlays: off), so a session written by hand or by the command line opens fine.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QByteArray

from workbench.fitting.computable import numeric_trouble
from workbench.fitting.training import StopReason, TrainResult
from workbench.session import SavedRun, Session, SessionError
from workbench.state.document import Document
from workbench.state.fit_state import FitState
from workbench.state.runs import RunRecord, aligned_val_history

if TYPE_CHECKING:
    from workbench.qt.window.main_window import MainWindow

TOGGLES = {
    "show_forces": "forces_action",
    "show_squares": "squares_action",
    "show_bands": "bands_action",
    "show_residuals": "residuals_action",
}  # View menu toggles: session key -> MainWindow attribute
OVERLAYS = ("show_exact", "show_manual", "show_gd")
LAYOUT = ("window_state", "window_geometry")


# -- window -> session -------------------------------------------------------------------------------------
def session_from_window(window: MainWindow, extra_view: dict | None = None) -> Session:
    """Everything the window would need to come back exactly as it is now (``extra_view`` is added to
    the view state, e.g. which file a recovery copy belongs to)."""
    doc = window.document
    state = doc.state
    run = doc.last_run
    last_run = (
        None
        if run is None
        else SavedRun(
            run.result.params,
            run.result.loss,
            run.result.steps,
            run.result.stop_reason,
            run.result.elapsed_s,
            run.start_theta,
            run.settings,
            run.result.message,
        )
    )
    histories = [_finite_prefix(h) for h in doc.loss_history]
    validation = [
        _finite_steps(v, h.size) for v, h in zip(aligned_val_history(doc.val_history, len(histories)), histories)
    ]
    return Session(
        dataset=state.dataset,
        degree=state.degree,
        basis=state.basis,
        loss=state.loss,
        theta=state.theta,
        model=state.model,
        hidden=state.hidden,
        settings=doc.settings,
        manual_trail=_finite_rows(doc.manual_trail),
        manual_moves=doc.manual_moves,
        best_manual=doc.best_manual,
        gd_trajectory=_finite_rows(doc.gd_trajectory),
        loss_history=tuple(histories),
        last_run=last_run,
        snapshots=dict(doc.snapshots),
        view={**view_state(window), **(extra_view or {})},
        split=state.split,
        val_history=tuple(validation),
    )


def view_state(window: MainWindow) -> dict:
    """The window's part of a session, as plain JSON values."""
    doc = window.document
    (x0, x1), (y0, y1) = window.fit_plot.getPlotItem().getViewBox().viewRange()
    view = {
        "window_state": _b64(window.saveState()),
        "window_geometry": _b64(window.saveGeometry()),
        **{key: getattr(window, action).isChecked() for key, action in TOGGLES.items()},
        "show_exact": doc.show_exact,
        "show_manual": doc.show_manual,
        "show_gd": doc.show_gd,
    }
    if all(math.isfinite(v) for v in (x0, x1, y0, y1)):
        view["fit_view"] = [float(x0), float(x1), float(y0), float(y1)]
    return view


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _finite_rows(rows) -> tuple[np.ndarray, ...]:
    """Knob positions that can be saved (a diverging run may have left overflowed ones behind)."""
    return tuple(r for r in rows if np.all(np.isfinite(r)))


def _finite_prefix(history: np.ndarray) -> np.ndarray:
    """A run's losses up to its first non-finite one (a diverged run ends in inf or NaN: where it blew up)."""
    history = np.asarray(history, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(history))
    return history[: bad[0]] if bad.size else history


def _finite_steps(rows: np.ndarray, steps: int) -> np.ndarray:
    """A run's (step, validation loss) rows within its saved ``steps`` and before a non-finite loss."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
    rows = rows[rows[:, 0] <= steps]
    bad = np.flatnonzero(~np.isfinite(rows[:, 1]))
    return rows[: bad[0]] if bad.size else rows


# -- session -> window -------------------------------------------------------------------------------------
def apply_session(window: MainWindow, session: Session, source: str = "the session") -> list[str]:
    """Make the window show ``session``; raises SessionError (and changes nothing) if it cannot.

    Returns warnings about parts of the window's layout Qt could not restore (the document is open
    regardless; the layout stays as it was).
    """
    view, state = check_session(session, source)
    window.controller.stop_run()
    window.race_controller.stop()
    window.sweep_controller.stop()
    run = session.last_run
    last_run = (
        None
        if run is None
        else RunRecord(
            TrainResult(
                np.array(run.params), run.loss, run.steps, StopReason(run.stop_reason), run.elapsed_s, run.message
            ),
            np.array(run.start_theta),
            run.settings,
        )
    )
    loaded = Document.restored(state, session.settings)
    loaded.load_records(
        manual_trail=session.manual_trail,
        manual_moves=session.manual_moves,
        best_manual=session.best_manual,
        gd_trajectory=session.gd_trajectory,
        loss_history=session.loss_history,
        val_history=session.val_history,
        last_run=last_run,
    )
    loaded.snapshots = {name: (float(loss), np.array(theta)) for name, (loss, theta) in session.snapshots.items()}
    loaded.show_exact, loaded.show_manual, loaded.show_gd = (bool(view.get(key, False)) for key in OVERLAYS)
    window.document.replace_with(loaded)
    return apply_view(window, view)


def check_session(session: Session, source: str = "the session") -> tuple[dict, FitState]:
    """What a window would refuse in a session the loader accepted (SessionError); else its checked view
    state and its ``FitState``.  ``apply_session`` calls it first; callers may call it before asking
    anything of the user."""
    view = read_view(session.view, source)
    state = FitState(
        session.dataset,
        session.degree,
        session.basis,
        session.loss,
        np.array(session.theta, dtype=np.float64),
        session.model,
        session.hidden,
        session.split,
    )
    check_usable(state, source)
    return view, state


def check_usable(state: FitState, source: str) -> None:
    """Refuse data and knobs whose numbers cannot be computed with (the loss overflows at the knobs, say):
    valid JSON, but nothing the window can draw (the same rule as every edit: ``numeric_trouble``)."""
    if state.dataset.n == 0:
        return
    why = numeric_trouble(state.build_problem(), state.theta)
    if why is not None:
        raise SessionError(f"{source}: theta and dataset: {why}; correct the knobs or the data in the file")


def read_view(view: dict, source: str) -> dict:
    """The view keys this window understands, checked (unknown keys are ignored: a newer app's extras)."""

    def fail(key: str, reason: str, fix: str):
        raise SessionError(f"{source}: view.{key}: {reason}; {fix}")

    out: dict = {}
    for key in (*TOGGLES, *OVERLAYS):
        if key in view:
            if type(view[key]) is not bool:
                fail(key, f"expected true or false, found {view[key]!r}", "write true or false, or remove it")
            out[key] = view[key]
    for key in LAYOUT:
        if key in view:
            if type(view[key]) is not str:
                fail(key, f"expected base64 text, found {view[key]!r}", "remove it to keep the current layout")
            try:
                out[key] = base64.b64decode(view[key].encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                fail(key, "not valid base64 text", "remove it to keep the window's current layout")
    if "fit_view" in view:
        box = view["fit_view"]
        if (
            not isinstance(box, list)
            or len(box) != 4
            or not all(type(v) in (int, float) and math.isfinite(v) for v in box)
        ):
            fail(
                "fit_view",
                f"expected [x0, x1, y0, y1] (four finite numbers), found {box!r}",
                "correct it or remove it to fit the view to the data",
            )
        x0, x1, y0, y1 = (float(v) for v in box)
        if not (x0 < x1 and y0 < y1):
            fail(
                "fit_view", f"[{x0!r}, {x1!r}, {y0!r}, {y1!r}] is an empty range", "x0 must be below x1 and y0 below y1"
            )
        out["fit_view"] = (x0, x1, y0, y1)
    return out


def apply_view(window: MainWindow, view: dict) -> list[str]:
    """Restore layout, toggles and the fit plot's range from a checked view (``read_view``'s)."""
    warnings = []
    if "window_geometry" in view and not window.restoreGeometry(QByteArray(view["window_geometry"])):
        warnings.append("the window geometry in the file could not be restored; the window keeps its size")
    if "window_state" in view and not window.restoreState(QByteArray(view["window_state"])):
        warnings.append(
            "the panel layout in the file could not be restored (saved by another version?); "
            "the panels stay where they are"
        )
    for key, action in TOGGLES.items():
        if key in view:
            getattr(window, action).setChecked(view[key])
    if "fit_view" in view:
        x0, x1, y0, y1 = view["fit_view"]
        box = window.fit_plot.getPlotItem().getViewBox()
        box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        box.disableAutoRange()
    else:
        window.fit_plot.reframe()
    return warnings
