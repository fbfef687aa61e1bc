"""A gradient-descent run computes in a process of its own: the window stays in charge of it.

Stop works even when the run's process cannot answer (frozen here with SIGSTOP: the stand-in for a step
that takes minutes), a process that dies ends the run with a message and the best knobs it reported,
the pace the user sets reaches the process mid-run, and closing the window leaves no process behind.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np
import pytest

from workbench.qt.tasks.worker import STOP_GRACE_S

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals freeze and kill the run")


def start(qtbot, window, **settings):
    ctl = window.controller
    ctl.set_run_settings(**{"max_steps": 10**9, "tol": 0.0, **settings})
    notices = []
    ctl.notice.connect(lambda level, text: notices.append((level, text)))
    ctl.start_run()
    qtbot.waitUntil(
        lambda: (
            ctl._run is not None and ctl._run.worker.process is not None and ctl._run.worker.process.pid is not None
        ),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: window.document.loss_history[-1].size > 0, timeout=10_000)  # reports arrive
    return ctl._run.worker.process, notices


def test_stop_ends_a_run_whose_process_cannot_answer(make_main_window, qtbot):
    window = make_main_window()
    process, notices = start(qtbot, window)
    os.kill(process.pid, signal.SIGSTOP)  # frozen mid-step: it will never read the stop flag
    try:
        started = time.perf_counter()
        window.controller.stop_run()
        assert time.perf_counter() - started < STOP_GRACE_S + 3.0
    finally:
        if process.is_alive():
            os.kill(process.pid, signal.SIGCONT)
    assert not window.controller.running and not process.is_alive()
    assert np.all(np.isfinite(window.document.theta))
    assert not [n for n in notices if n[0] in ("warning", "error")]  # the user stopped it: no alarm


def test_a_run_whose_process_dies_ends_with_a_message_and_its_last_knobs(make_main_window, qtbot):
    window = make_main_window()
    ctl = window.controller
    process, notices = start(qtbot, window)
    finished = []
    ctl.runFinished.connect(finished.append)
    os.kill(process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    result = finished[0]
    assert "ended unexpectedly" in result.message
    assert any(level == "warning" and "ended unexpectedly" in text for level, text in notices)
    assert np.all(np.isfinite(window.document.theta))
    np.testing.assert_array_equal(window.document.theta, result.params)
    assert not ctl.running
    ctl.set_run_settings(max_steps=50)  # and the next run works
    with qtbot.waitSignal(ctl.runFinished, timeout=20_000) as done:
        ctl.start_run()
    assert done.args[0].steps == 50


def test_the_pace_set_mid_run_reaches_the_process(make_main_window, qtbot):
    window = make_main_window()
    ctl = window.controller
    ctl.set_speed(30.0)  # a step every 30 s …
    start(qtbot, window)
    qtbot.wait(500)
    assert window.document.loss_history[-1].size <= 2
    ctl.set_speed(0.0)  # … then full speed, without restarting the run
    qtbot.waitUntil(lambda: window.document.loss_history[-1].size > 100, timeout=10_000)
    ctl.stop_run()


def test_closing_the_window_during_a_run_leaves_no_process(make_main_window, qtbot):
    window = make_main_window()
    process, _ = start(qtbot, window)
    window.shutdown()
    assert not window.controller.running
    process.join(5)
    assert not process.is_alive() and process.exitcode == 0  # it ended by itself, told to stop
