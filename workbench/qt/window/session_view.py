"""The window's part of a session (its view state) and opening a read session in the window.

The document is saved and read by ``workbench.state.session``; around it a session keeps the window's view
state, as plain JSON values: the dock layout and window geometry (sealed: ``layout_blob``), the layout
preset it was in (applied afresh when the sealed layout cannot be), the View toggles and the fit plot's
visible range.  Keys a view leaves out keep the window's current setting, so a session
written by hand or by the command line opens fine.  Opening replaces the document whole (``replace_with``:
the undo history starts afresh) after every check has passed, so a refused session changes nothing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from workbench.state.session import LoadedSession, SessionError

from .layout import restore, seal
from .presets import PRESETS

if TYPE_CHECKING:
    from .main_window import MainWindow

TOGGLES = {
    "show_forces": "forces_action",
    "show_squares": "squares_action",
    "show_bands": "bands_action",
    "show_residuals": "residuals_action",
}  # View menu toggles: session key -> MainWindow attribute
LEGACY_LAYOUT = ("window_state", "window_geometry")  # unsealed layouts of sessions before schema 2


def view_state(window: MainWindow, extra: dict | None = None) -> dict:
    """The window's part of a session, as plain JSON values (``extra`` is added, e.g. what file a recovery
    copy belongs to)."""
    (x0, x1), (y0, y1) = window.fit_plot.getPlotItem().getViewBox().viewRange()
    view = {
        "layout": seal(window),
        "preset": window.layout_presets.current,
        **{key: getattr(window, action).isChecked() for key, action in TOGGLES.items()},
    }
    if all(math.isfinite(v) for v in (x0, x1, y0, y1)):
        view["fit_view"] = [float(x0), float(x1), float(y0), float(y1)]
    return {**view, **(extra or {})}


def read_view(view: dict, source: str) -> dict:
    """The view keys this window understands, checked (unknown keys are ignored: a newer app's extras)."""

    def fail(key: str, reason: str, fix: str):
        raise SessionError(f"{source}: view.{key}: {reason}; {fix}")

    out: dict = {}
    for key in TOGGLES:
        if key in view:
            if type(view[key]) is not bool:
                fail(key, f"expected true or false, found {view[key]!r}", "write true or false, or remove it")
            out[key] = view[key]
    if "preset" in view:
        if not isinstance(view["preset"], str):
            fail("preset", f"expected the name of a layout preset, found {view['preset']!r}", "remove it")
        if view["preset"] in PRESETS:  # (a newer app's preset is ignored: the window keeps its own)
            out["preset"] = view["preset"]
    if "layout" in view:
        out["layout"] = view["layout"]  # checked when applied: a bad one is ignored, never refused
    elif any(key in view for key in LEGACY_LAYOUT):
        out["legacy_layout"] = True
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


def open_in_window(window: MainWindow, loaded: LoadedSession, source: str = "the session") -> list[str]:
    """Make the window show a read session; raises SessionError (and changes nothing) if its view state is
    invalid.  Returns what the user should know: how the reader took a session of an earlier version, and
    what of the window's layout was not restored, and why (the document opens anyway)."""
    view = read_view(loaded.view, source)
    window.controller.stop_run()
    window.race_controller.stop()
    window.sweep_controller.stop()
    window.controller.formulas.shutdown()  # a guess or a solve of the old document must not land on the new one
    window.document.replace_with(loaded.document)
    warnings = [*loaded.notices, *apply_view(window, view)]
    solve_landmark_again(window)
    return warnings


def solve_landmark_again(window: MainWindow) -> None:
    """A formula's landmark (its Levenberg–Marquardt fit) is not kept in a session: when the session showed it,
    solve it again from the saved knobs, so that the ghost curve comes back (its notice says when it has)."""
    document = window.document
    if document.state.model == "formula" and document.show_exact and document.dataset.n:
        window.controller.show_exact(True)


def apply_view(window: MainWindow, view: dict) -> list[str]:
    """Restore layout, toggles and the fit plot's range from a checked view (``read_view``'s)."""
    warnings = []
    why = restore(view["layout"], window) if "layout" in view else "no layout"
    if "layout" in view and why:
        where = "they are" if "preset" not in view else "its layout preset puts them"
        warnings.append(f"{why}, so it was not restored; the panels stay where {where}")
    elif view.get("legacy_layout"):
        warnings.append("the window layout in the file comes from an earlier version and was not restored")
    if "preset" in view:  # the session's preset: its layout as saved, or the preset itself when that is lost
        if why:
            window.layout_presets.apply(view["preset"])
        else:
            window.layout_presets.mark(view["preset"])
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
