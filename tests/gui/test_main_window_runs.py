"""Gradient descent in the real main window: run, stop, close mid-run, edits mid-run, divergence.

The run lives on a worker QThread.  These tests check what the user sees (buttons, labels, notices,
plots) and that no thread outlives its run: a QThread destroyed while running aborts the process, so
the close-during-a-run case is also tested in a subprocess, where such an abort is a failed exit code.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from case_notes import case
from PySide6.QtCore import QPointF, Qt, QTimer, QtMsgType
from PySide6.QtWidgets import QApplication, QWidget
from window_parts import find, loss_on_label, numpy_mse

LEFT = Qt.MouseButton.LeftButton
RUN_TEXT = "Run gradient descent"
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"
REPO = Path(__file__).resolve().parents[2]


# -- helpers ------------------------------------------------------------------------------------------
def run_progressed(window) -> bool:
    """The run has reported knobs past its start (its first report is the start itself, at step 1)."""
    history = window.document.loss_history
    return bool(history) and history[-1].size > 1


def start_run(qtbot, window, *, wait_for_progress: bool = True):
    """Click Run; return the run's task handle once the run has reported some steps."""
    button = find(window, "runButton")
    assert button.text() == RUN_TEXT
    qtbot.mouseClick(button, LEFT)
    assert window.controller.running and button.text() == "Stop"
    # The run controller's task handle: the way to check that the task itself has ended (its process
    # answered or was ended), not just the controller's bookkeeping.
    thread = window.controller.runs.handle
    assert thread is not None
    if wait_for_progress:
        qtbot.waitUntil(lambda: run_progressed(window), timeout=5000)
    return thread


def endless(window) -> None:
    """Runs that only end when stopped, as far as a test can tell.

    Not truly endless: should the GUI ever be starved by the run again (a backlog of payloads, or a
    worker hogging the GIL), the run ends within about ten seconds and the test fails instead of hanging.
    """
    window.controller.set_run_settings(max_steps=200_000, tol=0.0)


def assert_thread_gone(qtbot, handle) -> None:
    """The run's task has ended: its process answered the stop (or was ended) and the runner let it go."""
    assert not handle.running
    qtbot.waitUntil(lambda: handle.done, timeout=2000)


def from_zero_knobs(qtbot, window) -> None:
    """Press Reset: every knob at zero, where a window opens (each case of a merged test starts there)."""
    qtbot.mouseClick(find(window, "resetButton"), LEFT)
    np.testing.assert_array_equal(window.document.theta, np.zeros(window.document.theta.size))


def assert_no_qt_warnings(qtlog) -> None:
    bad = [r.message for r in qtlog.records if r.type != QtMsgType.QtDebugMsg and r.message != OFFSCREEN_NOISE]
    assert bad == []


# -- run, stop, undo, type, diverge, close ----------------------------------------------------------------------
def test_runs_in_one_window_lower_the_loss_stop_undo_take_a_typed_rate_diverge_safely_and_end_at_close(
    qtbot, qtlog, make_main_window
):
    """Run after run in one window, each from knobs at zero (Reset), as a user does: a run lowers the loss,
    finishes and is one undo step; the window stays responsive during a full-speed run; Stop stops a run at
    once, at full speed and at the slowest; undo during a run stops it and undoes it, keeping the user's step
    before it; a learning rate typed during a run is not overwritten; a diverging rate is caught and
    explained (finite knobs, a notice, no dialog); closing the window during a run stops it cleanly, without
    a Qt warning."""
    window = make_main_window()
    stack, button = window.document.undo_stack, find(window, "runButton")
    as_launched, speed_as_launched = window.document.settings, find(window, "speedSlider").value()

    with case("a run to the end"):  # first: the loss history holds this run only
        find(window, "stepsSpin").setValue(1500)
        find(window, "knobValue1").setValue(0.5)  # start from the user's own knobs
        start_theta, start_loss = window.document.theta, loss_on_label(window)
        steps = stack.count()

        thread = start_run(qtbot, window, wait_for_progress=False)
        qtbot.waitUntil(lambda: not window.controller.running, timeout=10_000)

        assert_thread_gone(qtbot, thread)
        assert button.text() == RUN_TEXT
        loss = loss_on_label(window)
        assert loss < 0.05 * start_loss
        assert loss == pytest.approx(numpy_mse(window), abs=1e-6)
        assert stack.count() == steps + 1
        assert stack.undoText() == "Gradient descent (1500 steps)"
        assert "step limit" in window.statusBar().currentMessage()
        loss_curves = [
            item
            for item in find(window, "lossPlot").getPlotItem().listDataItems()
            if item.getData()[0] is not None and len(item.getData()[0])
        ]
        assert len(loss_curves) == 1 and len(loss_curves[0].getOriginalDataset()[0]) == 1500

        stack.undo()  # the whole run is one step
        np.testing.assert_array_equal(window.document.theta, start_theta)
        assert loss_on_label(window) == start_loss

    with case("responsive during a full-speed run"):
        # The worker and the GUI share the GIL: a worker that never lets go of it, or payloads queued
        # faster than they are drawn, left timers (and clicks) waiting for seconds, or for ever.
        from_zero_knobs(qtbot, window)
        endless(window)
        ticks: list[float] = []
        timer = QTimer(window)
        timer.setInterval(50)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        start_run(qtbot, window)
        timer.start()
        qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=5000)
        timer.stop()
        assert window.controller.running
        assert max(np.diff(ticks)) < 1.0
        progressed = window.document.loss_history[-1].size
        qtbot.mouseClick(button, LEFT)
        assert not window.controller.running
        assert progressed > 1000  # and the run itself was not starved either

    for speed, name in ((100, "full speed"), (0, "the slowest")):
        with case(f"stop at {name}"):
            from_zero_knobs(qtbot, window)
            find(window, "speedSlider").setValue(speed)
            start_loss, steps = loss_on_label(window), stack.count()
            thread = start_run(qtbot, window)
            assert button.text() == "Stop"

            started = time.perf_counter()
            qtbot.mouseClick(button, LEFT)
            assert not window.controller.running
            assert not thread.running
            assert time.perf_counter() - started < 1.0

            assert button.text() == RUN_TEXT
            assert np.all(np.isfinite(window.document.theta))
            assert loss_on_label(window) < start_loss
            assert stack.count() == steps + 1
            assert "stopped" in window.statusBar().currentMessage().lower()
            assert_thread_gone(qtbot, thread)
    find(window, "speedSlider").setValue(speed_as_launched)

    with case("undo during a run"):
        from_zero_knobs(qtbot, window)
        before_turn = window.document.theta
        find(window, "knobValue0").setValue(0.25)  # a step of the user's own, before the run
        start = window.document.theta
        thread = start_run(qtbot, window)

        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

        assert not window.controller.running and not thread.running
        np.testing.assert_array_equal(window.document.theta, start)  # back where the run started …
        assert stack.undoText() == "Turn k0"  # … and the user's step is kept
        stack.undo()
        np.testing.assert_array_equal(window.document.theta, before_turn)
        stack.redo()
        stack.redo()  # the run can be redone
        assert numpy_mse(window) < numpy_mse(window, start)
        assert_thread_gone(qtbot, thread)

    spin = find(window, "learningRateSpin")
    with case("a rate typed during a run"):
        from_zero_knobs(qtbot, window)
        thread = start_run(qtbot, window)
        spin.setFocus()
        spin.selectAll()
        qtbot.keyClicks(spin, "0.3")
        seen = window.document.loss_history[-1].size
        qtbot.waitUntil(lambda: window.document.loss_history[-1].size > seen)  # the run redraws meanwhile
        assert spin.lineEdit().text() == "0.3"
        qtbot.keyClick(spin, Qt.Key.Key_Return)
        assert window.document.settings.lr == 0.3
        qtbot.mouseClick(button, LEFT)  # (stopped, for the next case)
        assert_thread_gone(qtbot, thread)

    with case("a diverging rate"):
        # The step limit and tolerance the window opened with (the runs before were endless).
        window.controller.set_run_settings(max_steps=as_launched.max_steps, tol=as_launched.tol)
        from_zero_knobs(qtbot, window)
        spin.setFocus()
        spin.selectAll()
        qtbot.keyClicks(spin, "10")
        qtbot.keyClick(spin, Qt.Key.Key_Return)
        assert window.document.settings.lr == 10.0
        assert find(window, "optimizerCombo").currentData() == "gd"
        assert window.document.state.basis.kind == "monomial"
        data = window.document.dataset
        X = np.vander(data.x, 6, increasing=True)
        limit = 2.0 / np.linalg.eigvalsh(2.0 / data.n * X.T @ X)[-1]  # 2/λ_max of the MSE Hessian
        assert 0.1 < limit < 10
        assert "above" in find(window, "stabilityLabel").text()  # warned before the run, too
        start_loss = numpy_mse(window)

        thread = start_run(qtbot, window, wait_for_progress=False)
        qtbot.waitUntil(lambda: not window.controller.running, timeout=10_000)

        theta = window.document.theta
        assert np.all(np.isfinite(theta))
        loss = numpy_mse(window)
        assert math.isfinite(loss) and loss <= start_loss
        assert loss_on_label(window) == pytest.approx(loss, abs=1e-6)
        message = window.statusBar().currentMessage()
        assert "diverged" in message and f"{limit:.3g}" in message, message
        notice = find(window, "noticeLabel")
        assert notice.isVisible() and "diverged" in notice.text() and f"{limit:.3g}" in notice.text()
        assert QApplication.activeModalWidget() is None  # non-modal: nothing to dismiss
        assert_thread_gone(qtbot, thread)

    with case("closing the window during a run"):
        window.controller.set_run_settings(lr=as_launched.lr)  # the rate the window opened with
        from_zero_knobs(qtbot, window)
        endless(window)
        thread = start_run(qtbot, window)

        window.close()

        assert not window.isVisible()
        assert not window.controller.running
        assert not thread.running
        assert np.all(np.isfinite(window.document.theta))
        assert_thread_gone(qtbot, thread)  # late signals of the run are processed here, harmlessly
        assert_no_qt_warnings(qtlog)


CLOSE_DURING_RUN = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QPushButton
    from workbench.qt.app import run_app
    from workbench.qt.window.main_window import MainWindow
    from workbench.qt.window.session_manager import SessionManager

    # The stopped run is an unsaved change: answer the close prompt instead of opening a modal box.
    SessionManager.ask_unsaved_changes = lambda self: "discard"
    app = QApplication([sys.argv[0]])

    def window():
        return next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))

    def start():
        window().controller.set_run_settings(max_steps=200_000, tol=0.0)
        window().findChild(QPushButton, "runButton").click()

    def close():
        w = window()
        steps = w.document.loss_history[-1].size
        if not steps:                                    # a slow machine: wait for the first payload
            QTimer.singleShot(50, close)
            return
        print("running at close:", w.controller.running, "steps:", steps, flush=True)
        w.close()
        print("running after close:", w.controller.running, flush=True)

    QTimer.singleShot(0, start)
    QTimer.singleShot(300, close)
    QTimer.singleShot(20_000, lambda: app.exit(3))       # a safety net: never hang the test suite
    code = run_app([])
    print("event loop ended:", code, flush=True)
    sys.exit(code)
""")


def test_closing_during_a_run_exits_the_process_cleanly():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run(
        [sys.executable, "-c", CLOSE_DURING_RUN], capture_output=True, text=True, timeout=60, env=env, cwd=REPO
    )
    report = f"exit code {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0, report
    assert "running at close: True" in done.stdout, report
    steps = int(done.stdout.split("steps:")[1].split()[0])
    assert steps > 0, report
    assert "running after close: False" in done.stdout, report
    assert "event loop ended: 0" in done.stdout, report
    noise = [line for line in done.stderr.splitlines() if line.strip() and line.strip() != OFFSCREEN_NOISE]
    assert noise == [], report  # no "QThread: Destroyed while thread is still running", no warning


# -- edits during a run ---------------------------------------------------------------------------------
def change_degree(qtbot, window) -> None:
    find(window, "degreeSpin").setValue(3)


def change_basis(qtbot, window) -> None:
    combo = find(window, "basisCombo")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # monomial → scaled, as the keyboard does it


def edit_table(qtbot, window) -> None:
    model = find(window, "dataTable").model()
    assert model.setData(model.index(0, 1), "2.5", Qt.ItemDataRole.EditRole)


def click_plot(qtbot, window) -> None:
    plot = find(window, "fitPlot")
    pos = plot.mapFromScene(plot.getPlotItem().getViewBox().mapViewToScene(QPointF(0.3, 0.5)))
    qtbot.mouseClick(plot.viewport(), LEFT, pos=pos)


EDITS = {"degree": change_degree, "basis": change_basis, "table-edit": edit_table, "plot-click": click_plot}


def test_an_edit_during_a_run_stops_the_run_first(qtbot, make_main_window):
    """Each edit (the degree, the basis, a table cell, a click on the plot) during a run stops the run first:
    the run is one undo step, then the edit; the knobs shown are the document's; the window still runs; and
    three undos go back to the start.  One window: each edit starts where the one before was undone to."""
    window = make_main_window()
    stack, doc = window.document.undo_stack, window.document
    start_theta, start_data = doc.theta, doc.dataset
    for edit, make_edit in EDITS.items():
        with case(edit):
            endless(window)
            thread = start_run(qtbot, window)

            make_edit(qtbot, window)

            assert not window.controller.running and not thread.running
            assert find(window, "runButton").text() == RUN_TEXT
            assert stack.text(stack.count() - 2).startswith("Gradient descent (")  # the run: one step …
            assert not stack.text(stack.count() - 1).startswith("Gradient descent")  # … then the edit
            state = doc.state
            if edit == "degree":
                assert state.degree == 3 and doc.theta.size == 4
                assert find(window, "degreeSpin").value() == 3
            elif edit == "basis":
                assert state.basis.kind == "scaled" and find(window, "basisCombo").currentData() == "scaled"
            elif edit == "table-edit":
                assert doc.dataset.y[0] == 2.5 and doc.dataset.n == start_data.n
            else:
                assert doc.dataset.n == start_data.n + 1
            n = doc.theta.size
            qtbot.waitUntil(lambda n=n: window.findChild(QWidget, f"knob{n}") is None)  # removed knobs are gone
            for i in range(n):
                assert find(window, f"knobValue{i}").value() == doc.theta[i]
            assert np.all(np.isfinite(doc.theta))
            assert_thread_gone(qtbot, thread)

            window.controller.set_run_settings(max_steps=50)  # and the window still runs
            start_run(qtbot, window, wait_for_progress=False)
            qtbot.waitUntil(lambda: not window.controller.running, timeout=5000)
            stack.undo()
            stack.undo()
            stack.undo()  # run, edit, first run: back to the start
            assert doc.dataset == start_data and doc.state.degree == 5 and doc.state.basis.kind == "monomial"
            np.testing.assert_array_equal(doc.theta, start_theta)
