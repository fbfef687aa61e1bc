"""The compute process (workbench.tasks.worker_process) and what crosses to it (workbench.tasks.wire):
big arrays shared, not copied; it never runs the caller's script; it dies with its parent, however the
parent ends; it stops a task the moment it is asked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from workbench.fitting.problem import FitProblem
from workbench.fitting.training import StopReason, StopRules
from workbench.tasks import wire
from workbench.tasks.gradient_descent import GradientDescentTask
from workbench.tasks.wire import Channel
from workbench.tasks.worker_process import spawn

pytestmark = pytest.mark.skipif(not wire.CAN_SHARE, reason="compute processes need Unix sockets")


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_gone(pid: int, timeout_s: float) -> float:
    """Seconds until ``pid`` is gone (fails the test past ``timeout_s``)."""
    started = time.perf_counter()
    while alive(pid):
        if time.perf_counter() - started > timeout_s:
            pytest.fail(f"process {pid} still alive after {timeout_s} s")
        time.sleep(0.01)
    return time.perf_counter() - started


def long_task(n: int = 2000, steps: int = 10**9) -> GradientDescentTask:
    x = np.linspace(-1, 1, n)
    p = FitProblem.polynomial(x, np.sin(3 * x), 5, "scaled")
    return GradientDescentTask(
        p, "gd", 0.5 * p.conditioning.max_stable_lr, np.zeros(6), StopRules(max_steps=steps, tol=0)
    )


# -- the wire ------------------------------------------------------------------------------------------------
def test_big_arrays_cross_as_shared_memory_and_small_ones_as_bytes():
    ours, theirs = socket.socketpair()
    a, b = Channel(ours), Channel(theirs)
    big = np.linspace(0.0, 1.0, 200_000)
    small = np.arange(5.0)
    a.send(("hello", 1), {"big": big, "small": small})
    frame = b.receive()
    assert frame.header == ("hello", 1)
    body = frame.body()
    np.testing.assert_array_equal(body["big"], big)
    np.testing.assert_array_equal(body["small"], small)
    assert not body["big"].flags.writeable  # a read-only mapping of the sender's copy
    assert body["small"].flags.writeable  # an ordinary unpickled array
    fd = wire._shared[id(big)]
    a.send(("again", 2), big)  # the same array again: the same shared copy, not a new one
    np.testing.assert_array_equal(b.receive().body(), big)
    assert wire._shared[id(big)] == fd
    del big
    assert fd not in wire._shared.values()  # the array is gone: so is its shared copy
    a.close()
    with pytest.raises(wire.ChannelClosed):
        b.receive()
    b.close()


def test_frames_arriving_together_are_told_apart_without_waiting():
    ours, theirs = socket.socketpair()
    a, b = Channel(ours), Channel(theirs)
    for i in range(5):
        a.send(("n", i), np.full(40_000, float(i)))
    time.sleep(0.1)
    frames, open_ = b.receive_ready()
    assert open_ and [f.header for f in frames] == [("n", i) for i in range(5)]
    assert [float(f.body()[0]) for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0]
    a.close()
    time.sleep(0.05)
    frames, open_ = b.receive_ready()
    assert frames == [] and not open_
    b.close()


# -- the process ----------------------------------------------------------------------------------------------
def test_a_task_runs_reports_and_stops_at_once_when_asked():
    spawned = spawn()
    channel = Channel(spawned.sock)
    try:
        channel.send(("start", 1, 0.0), long_task())
        reports = 0
        while reports < 5:
            frame = channel.receive()
            assert frame.header[0] == "progress"
            frame.body()
            reports += 1
            channel.send(("ack", 1))
        asked = time.perf_counter()
        channel.send(("stop", 1))
        while (frame := channel.receive()).header[0] == "progress":
            frame.body()
        answered = time.perf_counter() - asked
        outcome = frame.body()
        assert frame.header == ("finished", 1) and outcome.result.stop_reason is StopReason.STOPPED
        assert answered < 0.5
        # The process serves on: a second task, and a failing one that does not end it.
        channel.send(("start", 2, 0.0), long_task(steps=50))
        while (frame := channel.receive()).header[0] == "progress":
            channel.send(("ack", 2))
        assert frame.header == ("finished", 2) and frame.body().result.steps == 50
        channel.send(("start", 3, 0.0), object())  # not a task: it fails, the process lives
        frame = channel.receive()
        assert frame.header[:2] == ("failed", 3) and "run" in frame.header[2]
        assert spawned.process.poll() is None
    finally:
        spawned.process.kill()
        spawned.process.wait()
        channel.close()


def test_the_process_ends_when_the_window_end_of_its_socket_closes_even_mid_step():
    spawned = spawn()
    channel = Channel(spawned.sock)
    channel.send(("start", 1, 0.0), long_task(n=300_000))
    channel.receive().body()  # it is computing
    channel.close()  # what the window's death does to the socket
    assert wait_gone(spawned.process.pid, 1.0) < 1.0
    spawned.process.wait()


PARENT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_compute_process import long_task
    from workbench.tasks.wire import Channel
    from workbench.tasks.worker_process import spawn
    spawned = spawn()
    channel = Channel(spawned.sock)
    channel.send(("start", 1, 0.0), long_task(n=100_000))
    channel.receive().body()
    print(spawned.process.pid, flush=True)
    time.sleep(600)
    """
)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_the_process_dies_with_its_parent_however_the_parent_ends(how):
    script = PARENT.format(tests=str(Path(__file__).parent))
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert alive(child)
        os.kill(parent.pid, how)
        parent.wait(10)
        assert wait_gone(child, 1.0) < 1.0
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()


UNGUARDED = textwrap.dedent(
    """
    # A launcher without `if __name__ == "__main__":` (a teacher's two-line script): a compute process
    # must never run it again.
    import sys
    with open({marker!r}, "a") as f:
        f.write("ran\\n")
    sys.path.insert(0, {tests!r})
    from test_compute_process import long_task
    from workbench.tasks.wire import Channel
    from workbench.tasks.worker_process import spawn
    spawned = spawn()
    channel = Channel(spawned.sock)
    channel.send(("start", 1, 0.0), long_task(steps=200))
    while (frame := channel.receive()).header[0] == "progress":
        channel.send(("ack", 1))
    print(frame.header[0], frame.body().result.steps)
    spawned.process.kill()
    """
)


def test_an_unguarded_launcher_script_runs_once(tmp_path):
    marker = tmp_path / "runs.txt"
    script = tmp_path / "lesson.py"
    script.write_text(UNGUARDED.format(marker=str(marker), tests=str(Path(__file__).parent)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["finished", "200"]
    assert marker.read_text() == "ran\n"  # once: the compute process did not run the script again


def test_a_frozen_app_started_with_the_worker_flag_serves_tasks_instead_of_opening_a_window(monkeypatch):
    # A bundle's executable is the app itself: `app --compute-worker PARENT FD` must be a compute process.
    import workbench.tasks.worker_process as worker_process

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", sys.executable)
    command = worker_process.worker_command(7)
    assert command[1:3] == [worker_process.WORKER_FLAG, str(os.getpid())]
    # What the bundle would run: the app's entry point with those arguments.
    ours, theirs = socket.socketpair()
    script = (
        "import sys; from workbench.cli import main; "
        f"sys.exit(main(['--compute-worker', '{os.getpid()}', '{theirs.fileno()}']))"
    )
    child = subprocess.Popen([sys.executable, "-c", script], pass_fds=(theirs.fileno(),))
    theirs.close()
    channel = Channel(ours)
    try:
        channel.send(("start", 1, 0.0), long_task(steps=20))
        while (frame := channel.receive()).header[0] == "progress":
            channel.send(("ack", 1))
        assert frame.header == ("finished", 1) and frame.body().result.steps == 20
    finally:
        channel.close()
        child.wait(5)
