"""Big sessions in the real window: opened on a thread behind a progress dialog with Cancel, saved on a thread
behind a progress dialog, and autosaved as a task on a thread, so the window never stops turning its event
loop.

The files are kept small (``BACKGROUND_BYTES`` and ``BACKGROUND_POINTS`` lowered) and the reads and writes
slowed down, as a slow disk would: what is tested is the window's behaviour, not the disk's speed.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QProgressDialog, QPushButton
from session_helpers import session_from_window
from session_strategies import assert_same
from window_parts import record_notices

from workbench.fitting.data import Dataset
from workbench.qt.window import session_manager as manager_module
from workbench.qt.window import task_progress
from workbench.state import session as session_module
from workbench.state.session import load_session
from workbench.tasks import session_io

PACE_S = 0.03  # a slow disk: each piece of a read (or a whole write) waits this long


# -- helpers -----------------------------------------------------------------------------------------------


def fingerprint(window) -> tuple:
    """What an open that did not happen must leave as it was (the dataset and state by identity)."""
    doc, sessions = window.document, window.session_manager
    return (
        id(doc.dataset),
        id(doc.state),
        doc.theta.tobytes(),
        doc.settings,
        tuple(doc.snapshots),
        doc.undo_stack.count(),
        window.windowTitle(),
        sessions.modified,
        sessions.path,
        sessions.recent_files(),
    )


def progress_dialog(window) -> QProgressDialog | None:
    dialog = window.findChild(QProgressDialog, "taskProgressDialog")
    return dialog if dialog is not None and dialog.isVisible() else None


class Watcher:
    """Looks at the window every 10 ms while a blocking call runs its own event loop: what the progress dialog
    showed, how often the event loop turned, and (``cancel``) clicks Cancel once the dialog has been seen a few
    times."""

    def __init__(self, window, cancel: bool = False):
        self.window = window
        self.cancel = cancel
        self.ticks = 0
        self.values: list[int] = []
        self.labels: list[str] = []
        self.cancel_buttons: list[bool] = []
        self.clicked = False
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.look)

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.stop()

    def look(self) -> None:
        self.ticks += 1
        dialog = progress_dialog(self.window)
        if dialog is None:
            return
        self.values.append(dialog.value())
        self.labels.append(dialog.labelText())
        button = dialog.findChild(QPushButton)
        self.cancel_buttons.append(button is not None and button.isVisible())
        if self.cancel and not self.clicked and button is not None and len(self.values) >= 5:
            self.clicked = True
            QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def threads_named(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]


@pytest.fixture
def slow_disk(monkeypatch):
    """Every session file counts as big (read on a thread), read in 8 KiB pieces each taking ``PACE_S``; every
    background save waits ``PACE_S`` × 10 before writing.  Yields a list of the saves started."""
    monkeypatch.setattr(manager_module, "BACKGROUND_BYTES", 1)
    monkeypatch.setattr(manager_module, "BACKGROUND_POINTS", 1)
    monkeypatch.setattr(session_module, "READ_CHUNK", 8 * 1024)
    real_read, real_save = session_io.read_steps, session_io.save_session

    def slow_read(path):
        steps = real_read(path)
        try:
            while True:
                try:
                    item = next(steps)
                except StopIteration as end:
                    return end.value
                time.sleep(PACE_S)
                yield item
        finally:
            steps.close()

    saves: list[str] = []

    def slow_save(document, view, path, **kwargs):
        saves.append(threading.current_thread().name)
        time.sleep(10 * PACE_S)
        return real_save(document, view, path, **kwargs)

    monkeypatch.setattr(session_io, "read_steps", slow_read)
    monkeypatch.setattr(session_io, "save_session", slow_save)
    return saves


def big_file(make_main_window, tmp_path, n: int = 20_000):
    """A session of ``n`` points (a few hundred KiB: dozens of 8 KiB pieces) saved by a window."""
    x = np.linspace(-2.0, 2.0, n)
    window = make_main_window(dataset=Dataset(x, np.sin(x) + 0.01 * np.cos(40 * x), "big"))
    window.controller.set_degree(3)
    window.controller.set_knob(1, 0.75)
    path = tmp_path / "big.json"
    assert window.session_manager.save_to(path)
    return path


# -- opening in the background ---------------------------------------------------------------------------------
def test_cancel_while_opening_a_big_session_leaves_the_window_as_it_was(make_main_window, tmp_path, slow_disk, qtbot):
    path = big_file(make_main_window, tmp_path)
    window = make_main_window()
    window.controller.set_knob(0, 0.25)  # unsaved work: Cancel must not even ask about it
    before = fingerprint(window)
    seen = record_notices(window)

    with Watcher(window, cancel=True) as watcher:
        opened = window.session_manager.open_path(path)

    assert not opened and watcher.clicked
    assert watcher.cancel_buttons and all(watcher.cancel_buttons)  # the dialog offered Cancel throughout
    assert any("Opening big.json" in label for label in watcher.labels)
    assert fingerprint(window) == before
    assert not seen  # no error: the user chose to stop
    assert "Stopped opening big.json; nothing changed." in window.statusBar().currentMessage()
    assert progress_dialog(window) is None
    assert watcher.ticks >= 5  # the window's event loop kept turning while the file was read
    # The reader stops at its next piece, and the runner lets go of it when its end reaches the window.
    qtbot.waitUntil(lambda: not threads_named("Opening") and not window.runner.live, timeout=10_000)


def test_a_big_session_opens_with_progress_and_is_applied_whole(make_main_window, tmp_path, slow_disk, qtbot):
    path = big_file(make_main_window, tmp_path)
    window = make_main_window()
    seen = record_notices(window)

    with Watcher(window) as watcher:
        started = time.perf_counter()
        assert window.session_manager.open_path(path)
        took = time.perf_counter() - started

    assert took > task_progress.SHOW_AFTER_MS / 1000  # (long enough for the dialog to show)
    assert watcher.values, "the progress dialog never appeared"
    assert watcher.values == sorted(watcher.values) and 0 < max(watcher.values) <= 1000
    assert any("reading" in label for label in watcher.labels)
    assert watcher.ticks >= 0.5 * took / 0.01  # the event loop turned throughout (a 10 ms timer)
    assert_same(load_session(path), session_from_window(window), ignore=("layout",))
    assert window.session_manager.path == path and not window.session_manager.modified
    assert [level for level, _ in seen] == ["info"]
    qtbot.waitUntil(lambda: window.findChild(QProgressDialog, "taskProgressDialog") is None)


def test_a_big_damaged_session_is_refused_after_reading_it_in_the_background(make_main_window, tmp_path, slow_disk):
    path = big_file(make_main_window, tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"degree":3', '"degree":99', 1), encoding="utf-8")
    window = make_main_window()
    before = fingerprint(window)
    seen = record_notices(window)
    with Watcher(window):
        assert not window.session_manager.open_path(path)
    assert fingerprint(window) == before
    assert seen[-1][0] == "error"
    assert (
        seen[-1][1]
        == f"Could not open the session: {path}: degree: 99 is out of range; use a whole number from 0 to 15"
    )


def test_a_small_session_opens_at_once_without_a_thread(make_main_window, tmp_path, monkeypatch):
    path = tmp_path / "small.json"
    assert make_main_window().session_manager.save_to(path)
    window = make_main_window()
    started: list = []
    window.runner.started_task = started.append
    assert path.stat().st_size < manager_module.BACKGROUND_BYTES
    assert window.session_manager.open_path(path)
    assert not started


# -- saving in the background ------------------------------------------------------------------------------
def test_a_big_session_is_saved_on_a_thread_while_the_window_stays_painted(make_main_window, tmp_path, slow_disk):
    window = make_main_window()
    window.controller.set_knob(0, 0.375)
    path = tmp_path / "saved.json"
    with Watcher(window) as watcher:
        assert window.session_manager.save_to(path)
    assert slow_disk and slow_disk[0].startswith("Saving saved.json")  # written on the task's thread
    assert watcher.ticks >= 10  # the event loop kept turning while it was written
    assert_same(load_session(path), session_from_window(window), ignore=("layout",))
    assert not window.session_manager.modified


def test_a_big_save_that_fails_says_why_and_keeps_the_work_unsaved(make_main_window, tmp_path, slow_disk):
    window = make_main_window()
    window.controller.set_knob(0, 0.375)
    seen = record_notices(window)
    missing = tmp_path / "no such folder" / "saved.json"
    assert not window.session_manager.save_to(missing)
    assert seen[-1][0] == "error" and f"Could not save the session to {missing}" in seen[-1][1]
    assert "No such file or directory" in seen[-1][1] and "OSError" not in seen[-1][1]
    assert window.session_manager.modified


# -- autosave ---------------------------------------------------------------------------------------------------
def test_autosave_of_a_big_session_runs_on_a_thread_and_the_window_goes_on(make_main_window, slow_disk, qtbot):
    window = make_main_window()
    sessions = window.session_manager
    window.controller.set_knob(0, 0.5)
    saved_knobs = window.document.theta
    started: list = []
    window.runner.started_task = started.append

    began = time.perf_counter()
    assert sessions.write_recovery()
    returned_after = time.perf_counter() - began

    assert returned_after < 5 * PACE_S  # the write itself takes 10 × PACE_S, on the thread
    assert [(h.name, h.where) for h in started] == [("autosave", "thread")]
    window.controller.set_knob(0, 0.875)  # the window goes on while the copy is written
    assert window.document.theta[0] == 0.875
    with Watcher(window) as watcher:
        qtbot.waitUntil(lambda: not started[0].running, timeout=10_000)
    assert watcher.ticks >= 5
    saved = load_session(sessions.recovery_path).document
    assert saved.theta.tobytes() == saved_knobs.tobytes()  # what there was when autosave began
    assert sessions.modified  # (the later knob is unsaved: the next autosave writes it)


def test_autosave_of_a_really_big_document_goes_to_a_thread(make_main_window, qtbot):
    n = manager_module.BACKGROUND_POINTS
    x = np.linspace(0.0, 1.0, n)
    window = make_main_window(dataset=Dataset(x, x * x, "hundred thousand"))
    window.controller.set_knob(0, 0.5)
    started: list = []
    window.runner.started_task = started.append
    assert window.session_manager.write_recovery()
    assert [(h.name, h.where) for h in started] == [("autosave", "thread")]
    qtbot.waitUntil(lambda: not started[0].running, timeout=30_000)
    assert_same(load_session(window.session_manager.recovery_path), session_from_window(window), view=False)


def test_closing_the_window_while_autosave_writes_leaves_no_recovery_file(make_main_window, slow_disk, qtbot):
    window = make_main_window()
    sessions = window.session_manager
    recovery = sessions.recovery_path
    window.controller.set_knob(0, 0.5)
    started: list = []
    window.runner.started_task = started.append
    assert sessions.write_recovery()
    assert started and started[0].running
    assert window.close()  # "discard" (the tests' answer): the unsaved work is not wanted
    deadline = time.perf_counter() + 10
    while threads_named("autosave") and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert not threads_named("autosave")
    assert not recovery.exists()  # a normal close: nothing to offer at the next launch
    assert not any(p.name.endswith(".tmp") for p in recovery.parent.iterdir())
