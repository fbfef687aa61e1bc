"""Gradient descent computes in a compute process; the window stays in charge of it.

Stop is immediate whatever the process does (frozen here with SIGSTOP: the stand-in for a step that takes
minutes, which is then ended); a process that dies or cannot start ends the run with a message and finite
knobs and loss, and saving works afterwards; the pace reaches the process mid-run; closing or killing the
window leaves no process behind; an unguarded launcher script is never run twice.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from workbench.qt.tasks import process_pool
from workbench.qt.tasks.runner import ABANDON_MS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals freeze and kill the run")
TAG = "WORKBENCH_TEST_LAUNCH"  # marks every process a launched app starts (they inherit its environment)


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` in the process tree (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def start(qtbot, window, **settings):
    """Start a long run and wait for its first reports; returns (its compute process, notices)."""
    ctl = window.controller
    ctl.set_run_settings(**{"max_steps": 10**7, "tol": 0.0, **settings})
    notices = []
    ctl.notice.connect(lambda level, text: notices.append((level, text)))
    ctl.start_run()
    qtbot.waitUntil(lambda: window.document.run is not None and window.document.run.step > 0, timeout=15_000)
    return ctl.runs.handle.worker.process, notices


def test_stop_is_immediate_even_when_the_process_cannot_answer_and_the_process_is_ended(make_main_window, qtbot):
    window = make_main_window()
    process, notices = start(qtbot, window)
    shown = window.document.theta
    os.kill(process.pid, signal.SIGSTOP)  # frozen mid-step: it will never read the stop
    try:
        started = time.perf_counter()
        window.controller.stop_run()
        took = time.perf_counter() - started
        assert not window.controller.running and window.run_controls.run_button.text() == "Run gradient descent"
        assert took < 0.05
        np.testing.assert_array_equal(window.document.theta, shown)  # the knobs on screen are the result
        qtbot.waitUntil(lambda: not alive(process.pid), timeout=ABANDON_MS + 1000)  # abandoned: ended
    finally:
        if alive(process.pid):
            os.kill(process.pid, signal.SIGCONT)
    assert not [n for n in notices if n[0] in ("warning", "error")]  # the user stopped it: no alarm
    with qtbot.waitSignal(window.controller.runFinished, timeout=20_000) as done:  # and the next run works
        window.controller.set_run_settings(max_steps=30)
        window.controller.start_run()
    assert done.args[0].steps == 30


def test_stop_takes_milliseconds_run_after_run(make_main_window, qtbot):
    window = make_main_window()
    ctl = window.controller
    latencies, starts = [], []
    for _ in range(12):
        ctl.set_run_settings(max_steps=10**7, tol=0.0)
        asked = time.perf_counter()
        ctl.start_run()
        qtbot.waitUntil(lambda: window.document.run.step > 0, timeout=15_000)
        starts.append(time.perf_counter() - asked)
        qtbot.wait(30)
        asked = time.perf_counter()
        ctl.stop_run()
        latencies.append(time.perf_counter() - asked)
        assert not ctl.running
    assert statistics.median(latencies) <= 0.05 and max(latencies) <= 0.15
    assert statistics.median(starts[1:]) <= 0.5  # a warm process: no interpreter to start (bound is generous)


def test_a_run_whose_process_dies_ends_with_a_message_and_its_last_knobs(make_main_window, qtbot):
    window = make_main_window()
    ctl = window.controller
    process, notices = start(qtbot, window)
    finished = []
    ctl.runFinished.connect(finished.append)
    os.kill(process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    result = finished[0]
    assert "ended unexpectedly" in result.message and "SIGKILL" in result.message
    assert any(level == "warning" and "ended unexpectedly" in text for level, text in notices)
    assert np.all(np.isfinite(window.document.theta)) and np.isfinite(result.loss)
    np.testing.assert_array_equal(window.document.theta, result.params)
    assert not ctl.running
    ctl.set_run_settings(max_steps=50)  # and the next run works
    with qtbot.waitSignal(ctl.runFinished, timeout=20_000) as done:
        ctl.start_run()
    assert done.args[0].steps == 50


def test_stopped_before_its_first_report_a_run_leaves_a_finite_record_and_saving_works(
    make_main_window, qtbot, tmp_path
):
    window = make_main_window()
    ctl, doc = window.controller, window.document
    start_theta, start_loss = doc.theta, doc.loss_value
    ctl.set_run_settings(max_steps=10**7, tol=0.0)
    ctl.start_run()
    ctl.stop_run()  # before any report could arrive
    record = doc.last_run.result
    assert record.steps == 0 and record.loss == start_loss and np.isfinite(record.loss)
    np.testing.assert_array_equal(record.params, start_theta)
    path = tmp_path / "after-stop.json"
    assert window.session_manager.save_to(path) and path.stat().st_size > 0
    assert window.session_manager.write_recovery()


def test_a_run_whose_process_cannot_start_says_why_and_saving_works(make_main_window, qtbot, monkeypatch, tmp_path):
    window = make_main_window()
    ctl, doc = window.controller, window.document
    window.runner.pool.shutdown()  # no warm process to fall back on …
    window.runner.pool._closed = False

    def refuse():
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(process_pool, "spawn", refuse)  # … and none can start
    notices = []
    ctl.notice.connect(lambda level, text: notices.append((level, text)))
    start_theta = doc.theta
    with qtbot.waitSignal(ctl.runFinished, timeout=5000) as done:
        ctl.start_run()
    result = done.args[0]
    assert result.steps == 0 and np.isfinite(result.loss) and "could not start" in result.message
    np.testing.assert_array_equal(doc.theta, start_theta)
    assert any(level == "warning" and "Too many open files" in text for level, text in notices)
    assert window.session_manager.save_to(tmp_path / "s.json")


def test_the_pace_set_mid_run_reaches_the_process(make_main_window, qtbot):
    window = make_main_window()
    ctl = window.controller
    ctl.set_speed(30.0)  # a step every 30 s …
    start(qtbot, window)
    qtbot.wait(500)
    assert window.document.run.step <= 2
    ctl.set_speed(0.0)  # … then full speed, without restarting the run
    qtbot.waitUntil(lambda: window.document.run.step > 100, timeout=10_000)
    ctl.stop_run()


def test_closing_the_window_during_a_run_leaves_no_process(make_main_window, qtbot):
    window = make_main_window()
    process, _ = start(qtbot, window)
    others = [w.process for w in window.runner.pool.processes]
    window.shutdown()
    assert not window.controller.running
    for p in [process, *others]:
        qtbot.waitUntil(lambda p=p: not alive(p.pid), timeout=2000)


APP = textwrap.dedent(
    """
    # A launcher script as a teacher writes it: no `if __name__ == "__main__":` guard.
    import os, sys
    with open({marker!r}, "a") as f:
        f.write("ran\\n")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from workbench.qt.app import configure_application, create_main_window
    app = QApplication([])
    configure_application(app)
    window = create_main_window([])
    window.show()
    ctl = window.controller

    def go():
        ctl.set_run_settings(max_steps={steps}, tol=0.0)
        ctl.start_run()
        computing.start()

    def first_report():  # the run computes in its process: say which one
        run = window.document.run
        if run is not None and run.step > 0 and ctl.runs.handle is not None:
            computing.stop()
            print("running", ctl.runs.handle.worker.pid, flush=True)

    computing = QTimer(interval=10)
    computing.timeout.connect(first_report)

    def finished(result):
        print("finished", result.steps, flush=True)
        window.session_manager.mark_clean()
        app.quit()

    ctl.runFinished.connect(finished)
    QTimer.singleShot(200, go)
    app.exec()
    window.shutdown()
    """
)


def launch(tmp_path, steps: int, tag: str = "") -> tuple[subprocess.Popen, Path]:
    """Start the app script; ``tag`` goes into its environment, which every process it starts inherits."""
    marker = tmp_path / "launches.txt"
    script = tmp_path / "lesson.py"
    script.write_text(APP.format(marker=str(marker), steps=steps))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env[TAG] = tag
    env["WORKBENCH_RECOVERY_DIR"] = str(tmp_path / "recovery")
    app = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    return app, marker


def test_an_unguarded_launcher_script_opens_one_window_and_the_run_completes(tmp_path):
    app, marker = launch(tmp_path, steps=300)
    try:
        out, _ = app.communicate(timeout=60)
    finally:
        app.kill()
        app.stdout.close()
    assert app.returncode == 0
    assert out.split()[-2:] == ["finished", "300"]
    assert marker.read_text() == "ran\n"  # the script ran once: no second window in a compute process


def tagged(tag: str) -> set[int]:
    """Every live process whose environment holds ``TAG=tag``: whatever the app started, at any depth, even once
    it has been re-parented (the tree no longer leads to it from the app once the app has died)."""
    wanted = f"{TAG}={tag}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if wanted in env.split(b"\0") and alive(int(entry.name)):
            found.add(int(entry.name))
    return found


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_the_app_mid_run_leaves_no_descendant_behind(tmp_path, how):
    tag = uuid.uuid4().hex
    app, _ = launch(tmp_path, steps=10**9, tag=tag)
    try:
        line = app.stdout.readline().split()
        assert line[0] == "running", line
        worker = int(line[1])  # the run's process, which has reported a step: it is computing
        below = descendants(app.pid)
        assert worker in below, "the run computes in a process of the app's"
        started = tagged(tag) - {app.pid}
        assert below <= started  # the tag finds every descendant the tree shows (the spare process too)
        os.kill(app.pid, how)
        app.wait(10)
        deadline = time.perf_counter() + 1.0  # the bound: within 1 s of the app's end
        while (left := tagged(tag)) and time.perf_counter() < deadline:
            time.sleep(0.01)
        assert not left, f"processes outlived the app: {sorted(left)} (started: {sorted(started)})"
    finally:
        app.kill()
        app.wait()
        app.stdout.close()
        for pid in tagged(tag):  # never leave a stray computing on the machine, even when the test fails
            os.kill(pid, signal.SIGKILL)
