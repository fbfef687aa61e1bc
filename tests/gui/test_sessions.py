"""Sessions in the real window: save → open restores everything, bad files change nothing, crash-safe
saves, unsaved-changes tracking and prompt, autosave and recovery after a crash, recent files.

Prompts and file dialogs are replaced (monkeypatch) so no modal ever opens; QSettings and the recovery
folder live in the test's tmp_path (tests/gui/conftest.py).
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog
from session_helpers import session_from_window, session_text, show_session
from session_strategies import assert_same, window_sessions
from window_parts import action, record_notices

from workbench.fitting.data import Dataset
from workbench.qt.window import session_manager as manager_module
from workbench.qt.window.session_manager import RECOVERY_ENV, SessionManager
from workbench.state.session import SCHEMA_VERSION, LoadedSession, load_session

TITLE = " — Curve Fitter Workbench"


# -- helpers ----------------------------------------------------------------------------------------------


def edit_a_little(window) -> None:
    """Three undoable steps: a point, a knob, a degree."""
    ctl = window.controller
    ctl.add_point(0.25, 0.5)
    ctl.set_knob(0, 0.75)
    ctl.set_degree(3)


def answer_unsaved(monkeypatch, answer: str) -> list[int]:
    asked: list[int] = []

    def ask(self):
        asked.append(1)
        return answer

    monkeypatch.setattr(SessionManager, "ask_unsaved_changes", ask)
    return asked


def save_dialog_returns(monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "")))


# -- round trip ---------------------------------------------------------------------------------------------
def round_trip_settings(examples: int) -> settings:
    """No shrinking: each example builds two windows, and shrinking would take minutes; a failure prints the
    example as drawn (every field small already)."""
    return settings(
        max_examples=examples,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@round_trip_settings(3)
@given(session=window_sessions())
def test_save_then_open_in_a_fresh_window_restores_everything(make_main_window, tmp_path, session, qtbot):
    save_then_open_in_a_fresh_window(make_main_window, tmp_path, session, qtbot)


@pytest.mark.slow
@round_trip_settings(40)
@given(session=window_sessions())
def test_save_then_open_in_a_fresh_window_restores_everything_long(make_main_window, tmp_path, session, qtbot):
    save_then_open_in_a_fresh_window(make_main_window, tmp_path, session, qtbot)


def save_then_open_in_a_fresh_window(make_main_window, tmp_path, session, qtbot) -> None:
    """The session shown in one window, saved, and opened in a fresh one: everything comes back."""
    source = make_main_window()
    # Offscreen, a window is clamped to the 800×800 screen but no smaller than its minimum size: start
    # there, so that the fresh window gets the same size back (the position moves by the frame offset).
    source.resize(source.minimumSizeHint().width(), 700)
    assert show_session(source, session) == []
    qtbot.wait(20)  # let the resized window lay its docks out before its state is read
    shown = session_from_window(source)
    assert_same(session, shown, view=False)  # the document took every field as given
    for key, value in session.view.items():
        assert shown.view[key] == value, key  # ... and the window every toggle and range
    path = tmp_path / "round.json"
    assert source.session_manager.save_to(path)
    fresh = make_main_window()
    seen = record_notices(fresh)
    assert fresh.session_manager.open_path(path)
    assert [level for level, _ in seen] == ["info"], seen  # opened, layout restored: nothing to warn about
    qtbot.wait(20)  # a restored dock layout settles on the next event-loop turns
    # The fresh window holds exactly what was saved, and its docks sit where the source's do.
    assert_same(load_session(path), session_from_window(fresh), ignore=("layout",))
    # (within a scroll bar's width: offscreen, a tab group's width settles a few turns later)
    for name, dock in source.docks.items():
        twin = fresh.docks[name]
        assert dock.isVisible() == twin.isVisible(), name
        if dock.isVisible():
            assert abs(dock.width() - twin.width()) <= 16 and abs(dock.height() - twin.height()) <= 16, name
    assert fresh.size() == source.size()  # dock layout compared above
    assert fresh.forces_action.isChecked() == session.view["show_forces"]
    assert fresh.document.undo_stack.count() == 0 and not fresh.session_manager.modified
    for window in (source, fresh):
        window.close()


def test_round_trip_keeps_a_changed_dock_layout_and_runs(make_main_window, tmp_path, qtbot):
    window = make_main_window()
    window.resize(window.minimumSizeHint().width(), 700)  # no offscreen clamping (see the test above)
    ctl = window.controller
    ctl.set_knob(1, 0.5)
    ctl.set_run_settings(max_steps=40, lr=0.3)
    with qtbot.waitSignal(ctl.runFinished, timeout=10_000):
        ctl.start_run()
    window.docks["surface"].hide()
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["loss"])
    window.squares_action.setChecked(True)
    ctl.show_exact(True)
    window.fit_plot.getPlotItem().getViewBox().setRange(xRange=(-0.5, 0.25), yRange=(-2, 3), padding=0)
    path = tmp_path / "layout.json"
    assert window.session_manager.save_to(path)

    fresh = make_main_window()
    assert fresh.session_manager.open_path(path)
    qtbot.waitUntil(lambda: fresh.docks["surface"].isHidden())
    assert fresh.dockWidgetArea(fresh.docks["loss"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert fresh.squares_action.isChecked() and fresh.document.show_exact
    (x0, x1), (y0, y1) = fresh.fit_plot.getPlotItem().getViewBox().viewRange()
    assert (x0, x1, y0, y1) == (-0.5, 0.25, -2.0, 3.0)
    run = fresh.document.last_run
    assert run is not None and run.result.steps == window.document.last_run.result.steps
    assert np.array_equal(run.result.params, window.document.theta)
    assert len(fresh.document.loss_history) == 1 and fresh.document.loss_history[0].size == run.result.steps
    assert_same(session_from_window(window), session_from_window(fresh), ignore=("layout",))
    assert fresh.size() == window.size()


def test_a_diverged_run_still_saves(make_main_window, tmp_path, qtbot):
    """Overflowed losses and positions end the saved history where the run blew up (JSON has no inf)."""
    window = make_main_window()
    doc = window.document
    doc.load_records(
        loss_history=[np.array([3.0, 40.0, np.inf, np.nan])], gd_trajectory=[np.ones(6), np.full(6, np.inf)]
    )
    path = tmp_path / "diverged.json"
    assert window.session_manager.save_to(path)
    saved = load_session(path).document
    assert saved.loss_history[-1].tolist() == [3.0, 40.0]
    assert len(saved.gd_trajectory) == 1


def test_opening_clears_the_undo_history(make_main_window, tmp_path):
    """Decision: an opened session is a new starting point, not a step (undo never mixes two files)."""
    window = make_main_window()
    path = tmp_path / "s.json"
    assert window.session_manager.save_to(path)
    edit_a_little(window)
    assert window.document.undo_stack.count() == 3
    assert window.session_manager.open_path(path)
    assert window.document.undo_stack.count() == 0
    assert not action(window, "undoAction").isEnabled()
    assert window.document.state.degree == 5 and not window.session_manager.modified


# -- bad files ------------------------------------------------------------------------------------------------
def _valid(window) -> dict:
    return json.loads(session_text(session_from_window(window)))


def _newer(d):
    d["schema_version"] = SCHEMA_VERSION + 1


def _bad_degree(d):
    d["degree"] = 99


def _bad_view(d):
    d["view"]["show_bands"] = "yes"


def _bad_points(d):
    d["dataset"]["x"] = {"float64": "not base64!"}


def _overflow(d):
    d["theta"] = [1e300] * len(d["theta"])


BAD_SESSIONS = [
    (_newer, "saved by a newer version of Curve Fitter Workbench"),
    (_bad_degree, "degree: 99 is out of range"),
    (_bad_view, "view.show_bands: expected true or false"),
    (_bad_points, "dataset.x.float64: not valid base64 text"),
    (_overflow, "theta and dataset: the loss and its gradient at these knobs cannot be computed"),
    ("truncated", "not valid JSON"),
    ("missing", "cannot read the file"),
]


def test_a_bad_session_changes_nothing(make_main_window, tmp_path, monkeypatch):
    """Every kind of bad session, one after another in one window with unsaved changes: each is refused
    with its own error naming the file and what is wrong, before anything is asked or changed."""
    window = make_main_window()
    asked = answer_unsaved(monkeypatch, "discard")
    good = tmp_path / "good.json"
    window.session_manager.save_to(good)
    text = json.dumps(_valid(window))
    edit_a_little(window)
    doc = window.document
    seen = record_notices(window)
    for damage, message in BAD_SESSIONS:
        case = getattr(damage, "__name__", damage)
        path = tmp_path / f"bad-{case}.json"
        if damage == "truncated":
            path.write_text(text[: len(text) // 2], encoding="utf-8")
        elif damage != "missing":
            d = json.loads(text)
            damage(d)
            path.write_text(json.dumps(d), encoding="utf-8")
        before = (
            doc.dataset,
            doc.theta,
            doc.undo_stack.count(),
            window.windowTitle(),
            doc.state,
            window.session_manager.path,
            window.session_manager.recent_files(),
        )
        said = len(seen)

        assert not window.session_manager.open_path(path), case

        assert len(seen) == said + 1 and seen[-1][0] == "error", (case, seen[said:])
        assert message in seen[-1][1] and str(path) in seen[-1][1], (case, seen[-1][1])
        assert window.notice_label.isVisible() and message in window.notice_label.text(), case
        assert doc.dataset is before[0] and np.array_equal(doc.theta, before[1]), case
        assert (doc.undo_stack.count(), window.windowTitle(), doc.state) == before[2:5], case
        assert (window.session_manager.path, window.session_manager.recent_files()) == before[5:], case
        assert window.session_manager.modified and not asked, case  # refused before asking to save anything


# -- crash-safe saving ----------------------------------------------------------------------------------------
def _half_writes(monkeypatch):
    """Every file write puts out half its bytes, then fails as a full disk would."""
    real_fdopen = os.fdopen

    class HalfFile:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.f, name)

    monkeypatch.setattr(os, "fdopen", lambda fd, mode="r", *a, **k: HalfFile(real_fdopen(fd, mode, *a, **k)))


def _failing_replace(monkeypatch):
    def boom(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", boom)


@pytest.mark.parametrize("break_disk", [_half_writes, _failing_replace])
def test_an_interrupted_save_keeps_the_previous_file(make_main_window, tmp_path, break_disk):
    window = make_main_window()
    path = tmp_path / "work.json"
    assert window.session_manager.save_to(path)
    before = path.read_bytes()
    edit_a_little(window)
    seen = record_notices(window)
    with pytest.MonkeyPatch.context() as disk:  # its own patch: undoing it keeps the conftest's prompts
        break_disk(disk)
        assert not window.session_manager.save()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["work.json"]  # no temp file left
    assert seen[-1][0] == "error" and "Could not save the session" in seen[-1][1]
    assert "unchanged" in seen[-1][1]
    assert window.session_manager.modified and window.windowTitle().startswith("work.json*")


# -- dirty tracking and the title -----------------------------------------------------------------------------
def test_modified_after_each_kind_of_change_and_clean_after_save(make_main_window, tmp_path, qtbot):
    window = make_main_window()
    sessions, ctl, stack = window.session_manager, window.controller, window.document.undo_stack
    name = window.document.dataset.name
    assert not sessions.modified and window.windowTitle() == name + TITLE
    path = tmp_path / "t.json"

    def change_then_save(change):
        change()
        assert sessions.modified
        assert window.windowTitle().startswith("t.json* — " if sessions.path else name + "* — ")
        assert sessions.save_to(path)
        assert not sessions.modified and window.windowTitle() == f"t.json — {window.document.dataset.name}{TITLE}"

    change_then_save(lambda: ctl.set_knob(2, 0.125))  # a knob move
    change_then_save(lambda: ctl.add_point(0.1, 0.2))  # a data edit
    change_then_save(ctl.step_once)  # a gradient-descent step
    change_then_save(lambda: ctl.set_run_settings(lr=0.05))  # run settings
    ctl.set_run_settings(max_steps=30)
    with qtbot.waitSignal(ctl.runFinished, timeout=10_000):  # a whole run
        ctl.start_run()
    assert sessions.modified
    assert sessions.save_to(path)
    change_then_save(lambda: ctl.take_snapshot("exact"))  # a snapshot

    ctl.set_knob(0, 9.0)
    assert sessions.modified
    stack.undo()
    assert not sessions.modified  # back at the saved state: clean again
    ctl.set_run_settings(lr=0.5)
    ctl.set_run_settings(lr=0.05)
    assert not sessions.modified  # settings back as saved


def test_save_without_a_file_asks_where_and_adds_json(make_main_window, tmp_path, monkeypatch):
    window = make_main_window()
    window.controller.set_knob(0, 1.5)
    save_dialog_returns(monkeypatch, tmp_path / "chosen")
    action(window, "saveSessionAction").trigger()
    assert window.session_manager.path == tmp_path / "chosen.json"
    assert load_session(tmp_path / "chosen.json").document.theta[0] == 1.5
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    window.controller.set_knob(0, 2.5)
    action(window, "saveSessionAsAction").trigger()  # cancelled: nothing written, still modified
    assert load_session(tmp_path / "chosen.json").document.theta[0] == 1.5 and window.session_manager.modified


def test_file_menu_shortcuts_do_not_clash(make_main_window):
    window = make_main_window()
    owners: dict[str, str] = {}
    for act in window.findChildren(QAction):
        for seq in act.shortcuts():
            key = seq.toString(QKeySequence.SequenceFormat.PortableText)
            assert key not in owners, f"{key} is used by {owners[key]} and {act.objectName()}"
            owners[key] = act.objectName()
    assert owners["Ctrl+S"] == "saveSessionAction" and owners["Ctrl+Shift+S"] == "saveSessionAsAction"
    assert owners["Ctrl+Shift+O"] == "openSessionAction"
    for name in ("newSessionAction", "openSessionAction", "saveSessionAction", "saveSessionAsAction"):
        act = action(window, name)
        assert act.toolTip() and act.statusTip() and act.shortcut().toString()


def test_ctrl_s_saves(make_main_window, tmp_path, monkeypatch):
    window = make_main_window()
    window.controller.set_knob(0, 0.5)
    save_dialog_returns(monkeypatch, tmp_path / "keys.json")
    QTest.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert (tmp_path / "keys.json").is_file() and not window.session_manager.modified


def test_new_session_starts_blank_after_asking(make_main_window, monkeypatch, tmp_path):
    window = make_main_window()
    window.session_manager.save_to(tmp_path / "old.json")
    window.controller.set_knob(0, 0.5)
    asked = answer_unsaved(monkeypatch, "cancel")
    action(window, "newSessionAction").trigger()
    assert asked and window.document.dataset.n > 0  # cancelled: nothing changed
    answer_unsaved(monkeypatch, "discard")
    action(window, "newSessionAction").trigger()
    assert window.document.dataset.n == 0 and window.session_manager.path is None
    assert not window.session_manager.modified and window.windowTitle() == "untitled" + TITLE


# -- closing ---------------------------------------------------------------------------------------------------
def test_close_prompt_cancel_keeps_the_window_open(make_main_window, monkeypatch):
    window = make_main_window()
    window.controller.set_knob(0, 0.5)
    asked = answer_unsaved(monkeypatch, "cancel")
    assert not window.close()
    assert asked and window.isVisible() and window.session_manager.modified


def test_close_prompt_save_writes_then_closes(make_main_window, monkeypatch, tmp_path):
    window = make_main_window()
    window.controller.set_knob(0, 0.5)
    answer_unsaved(monkeypatch, "save")
    save_dialog_returns(monkeypatch, tmp_path / "on_close.json")
    assert window.close()
    assert load_session(tmp_path / "on_close.json").document.theta[0] == 0.5


def test_close_without_changes_does_not_ask(make_main_window, monkeypatch):
    window = make_main_window()
    asked = answer_unsaved(monkeypatch, "cancel")
    assert window.close() and not asked


# -- autosave and recovery --------------------------------------------------------------------------------------
@pytest.fixture
def fast_autosave(monkeypatch):
    monkeypatch.setattr(manager_module, "AUTOSAVE_DEBOUNCE_MS", 150)
    monkeypatch.setattr(manager_module, "AUTOSAVE_INTERVAL_MS", 400)
    writes: list[int] = []
    real = SessionManager.write_recovery

    def counting(self):
        writes.append(1)
        return real(self)

    monkeypatch.setattr(SessionManager, "write_recovery", counting)
    return writes


def test_autosave_coalesces_changes_into_one_recovery_file(make_main_window, qtbot, fast_autosave):
    window = make_main_window()
    recovery = window.session_manager.recovery_path
    assert not recovery.exists()
    for i in range(40):  # a burst of changes: one write
        window.controller.set_knob(0, 0.01 * i)
    qtbot.waitUntil(recovery.exists, timeout=3000)
    qtbot.wait(300)
    assert len(fast_autosave) == 1
    assert load_session(recovery).document.theta[0] == window.document.theta[0]


def test_autosave_writes_again_after_later_changes(make_main_window, qtbot, fast_autosave):
    window = make_main_window()
    recovery = window.session_manager.recovery_path
    for value in (0.25, 0.5, 0.75):  # three bursts of changes, each followed by a quiet moment
        window.controller.set_knob(0, value)
        qtbot.waitUntil(
            lambda v=value: recovery.exists() and load_session(recovery).document.theta[0] == v, timeout=3000
        )
    assert len(fast_autosave) == 3


def test_autosave_waits_for_a_run_to_end(make_main_window, qtbot, fast_autosave):
    window = make_main_window()
    ctl = window.controller
    ctl.set_knob(0, 0.3)
    ctl.set_run_settings(max_steps=60)
    ctl.set_speed(0.02)  # ~1.2 s of steps
    ctl.start_run()
    qtbot.wait(600)  # the debounce and the deadline fire meanwhile
    assert ctl.running and not fast_autosave
    with qtbot.waitSignal(ctl.runFinished, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: len(fast_autosave) >= 1, timeout=3000)
    saved = load_session(window.session_manager.recovery_path).document
    assert np.array_equal(saved.theta, window.document.theta) and saved.last_run is not None


def test_recovery_file_is_deleted_by_save_and_by_discard(make_main_window, monkeypatch, tmp_path):
    window = make_main_window()
    sessions = window.session_manager
    window.controller.set_knob(0, 0.5)
    assert sessions.write_recovery() and sessions.recovery_path.exists()
    assert sessions.save_to(tmp_path / "s.json")
    assert not sessions.recovery_path.exists()
    window.controller.set_knob(0, 0.7)
    assert sessions.write_recovery()
    answer_unsaved(monkeypatch, "discard")
    assert window.close()
    assert not sessions.recovery_path.exists()


def crash(window, monkeypatch, tmp_path) -> None:
    """The process "dies" with ``window`` open: its recovery file stays and its lock goes with it.

    (One test process cannot lose a lock it holds, so the next launch gets a fresh recovery folder
    holding a copy of the file and no lock: what a relaunch after a real crash finds.)
    """
    after = tmp_path / "after-crash"
    after.mkdir()
    shutil.copy2(window.session_manager.recovery_path, after / "recovery.json")
    monkeypatch.setenv(RECOVERY_ENV, str(after))


def test_recovery_after_a_crash(make_main_window, monkeypatch, tmp_path):
    crashed = make_main_window()
    edit_a_little(crashed)
    crashed.controller.take_snapshot("exact")
    assert crashed.session_manager.write_recovery()
    lost = session_from_window(crashed)
    crash(crashed, monkeypatch, tmp_path)
    monkeypatch.setattr(SessionManager, "ask_restore_recovery", lambda self, path, when: True)

    relaunched = make_main_window()
    assert relaunched.session_manager.offer_recovery()
    assert_same(lost, session_from_window(relaunched), view=False)
    assert relaunched.session_manager.modified and "*" in relaunched.windowTitle()
    assert relaunched.session_manager.recovery_path.exists()  # kept until saved or closed


def test_declined_recovery_is_kept_aside_once(make_main_window, monkeypatch, tmp_path):
    crashed = make_main_window()
    crashed.controller.set_knob(0, 0.5)
    crashed.session_manager.write_recovery()
    crash(crashed, monkeypatch, tmp_path)
    relaunched = make_main_window()
    before = relaunched.document.dataset
    seen = record_notices(relaunched)
    assert not relaunched.session_manager.offer_recovery()  # the conftest answers "no"
    recovery = relaunched.session_manager.recovery_path
    assert not recovery.exists() and recovery.with_name("recovery.declined.json").exists()
    assert relaunched.document.dataset is before and "recovery.declined.json" in seen[-1][1]
    assert not relaunched.session_manager.offer_recovery()  # nothing asked the next time


def test_damaged_recovery_is_moved_aside_with_a_message(make_main_window, monkeypatch):
    window = make_main_window()
    recovery = window.session_manager.recovery_path
    recovery.parent.mkdir(parents=True, exist_ok=True)
    recovery.write_text('{"schema_version": 1, "dataset": ', encoding="utf-8")
    asked = []
    monkeypatch.setattr(SessionManager, "ask_restore_recovery", lambda self, p, w: asked.append(1) or True)
    seen = record_notices(window)
    assert not window.session_manager.offer_recovery()
    assert not asked and recovery.with_name("recovery.damaged.json").exists()
    assert seen[-1][0] == "warning" and "could not be read" in seen[-1][1]


def test_a_second_running_app_leaves_the_first_ones_recovery_alone(make_main_window, monkeypatch):
    first = make_main_window()
    first.controller.set_knob(0, 0.5)
    assert first.session_manager.write_recovery()
    recovery = first.session_manager.recovery_path
    before = recovery.read_bytes()
    asked = []
    monkeypatch.setattr(SessionManager, "ask_restore_recovery", lambda self, p, w: asked.append(1) or True)

    second = make_main_window()  # same user, same folder, first one still running
    seen = record_notices(second)
    assert not second.session_manager.offer_recovery() and not asked
    second.controller.set_knob(0, 0.9)
    assert not second.session_manager.write_recovery()
    assert "Autosave is off in this window" in seen[-1][1]
    assert second.close()
    assert recovery.read_bytes() == before  # neither offered, overwritten nor deleted
    assert first.session_manager.write_recovery()  # the first one still owns it


# -- recent files ----------------------------------------------------------------------------------------------
def recent_entries(window) -> list[str]:
    return [a.data() for a in window.recent_menu.actions() if a.data()]


def test_recent_files_most_recent_first_and_capped(make_main_window, tmp_path):
    window = make_main_window()
    paths = [tmp_path / f"s{i}.json" for i in range(10)]
    for p in paths:
        assert window.session_manager.save_to(p)
    assert window.session_manager.save_to(paths[3])  # again: moves to the top, no duplicate
    expected = [str(paths[3])] + [str(p) for p in reversed(paths) if p != paths[3]][:7]
    assert window.session_manager.recent_files() == expected
    assert recent_entries(window) == expected
    assert window.recent_menu.actions()[0].text().endswith("s3.json")


def test_open_recent_opens_and_drops_missing_files(make_main_window, tmp_path):
    window = make_main_window()
    keep, gone = tmp_path / "keep.json", tmp_path / "gone.json"
    window.controller.set_knob(0, 0.25)
    window.session_manager.save_to(keep)
    window.controller.set_knob(0, 0.5)
    window.session_manager.save_to(gone)
    gone.unlink()
    seen = record_notices(window)
    entries = {a.data(): a for a in window.recent_menu.actions() if a.data()}
    entries[str(gone)].trigger()
    assert seen[-1][0] == "warning" and "no longer exists" in seen[-1][1]
    assert recent_entries(window) == [str(keep)]
    window.recent_menu.actions()[0].trigger()
    assert window.session_manager.path == keep and window.document.theta[0] == 0.25
    action(window, "clearRecentAction").trigger()
    assert recent_entries(window) == [] and not action(window, "clearRecentAction").isEnabled()


def test_session_on_the_command_line_opens(make_main_window, tmp_path):
    window = make_main_window(dataset=Dataset([0.0, 1.0, 2.0], [1.0, 3.0, 2.0], "three"))
    path = tmp_path / "cli.json"
    window.session_manager.save_to(path)
    opened = make_main_window(argv=[str(path)])
    assert opened.document.dataset.name == "three" and opened.session_manager.path == path
    assert isinstance(load_session(path), LoadedSession)
