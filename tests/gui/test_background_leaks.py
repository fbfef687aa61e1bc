"""Nothing leaks across many runs: open file descriptors, threads and child processes come back to where they
were after dozens of runs started and stopped (or run to their end) in one window."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from workbench.qt.tasks.process_pool import MAX_IDLE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts descriptors in /proc")

RUNS = 30
# The event loop and the libraries below it create a few descriptors and threads lazily, on first use, and reuse
# them afterwards (an eventfd for a queued-connection wake-up, a font file kept open by the font cache, the
# thread of a one-off timer).  They are counted in the baseline after two warm-up runs; this slack covers any
# still created later.  A leak of one per run would show as RUNS.
SLACK_FDS = 3
SLACK_THREADS = 2


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def children(pid: int | None = None) -> dict[int, str]:
    """Every process whose parent is ``pid`` (this one by default), with its state letter (Z: a zombie)."""
    pid = os.getpid() if pid is None else pid
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found[int(entry.name)] = fields[0]
    return found


def settle(qtbot, window) -> None:
    """Wait until no task is live, no compute process busy and the pool holds its idle processes."""
    pool = window.runner.pool
    qtbot.waitUntil(
        lambda: (
            not window.runner.live and not pool.busy and len(pool.idle) == MAX_IDLE and not window.controller.running
        ),
        timeout=15_000,
    )
    qtbot.wait(100)  # the deleteLater of processes quit on the way, and any reaping, happen here
    qtbot.waitUntil(lambda: len(children()) == len(pool.processes), timeout=5000)


def one_run(qtbot, window, cycle: int) -> None:
    """Odd cycles: stopped mid-run; even ones: a few steps run to their end."""
    ctl, doc = window.controller, window.document
    if cycle % 2:
        ctl.set_run_settings(max_steps=10**7, tol=0.0)
        ctl.start_run()
        qtbot.waitUntil(lambda: doc.run is not None and doc.run.step > 0, timeout=15_000)
        ctl.stop_run()
    else:
        ctl.set_run_settings(max_steps=40, tol=0.0)
        with qtbot.waitSignal(ctl.runFinished, timeout=15_000):
            ctl.start_run()
    assert not ctl.running


def test_many_runs_leave_no_descriptor_thread_or_process_behind(make_main_window, qtbot):
    window = make_main_window()
    assert window.document.dataset.n < 1000  # small data: the runs are quick and nothing is shared memory
    for cycle in range(2):  # warm-up: the pool's processes and whatever Qt creates on first use
        one_run(qtbot, window, cycle)
    settle(qtbot, window)
    fds, n_threads, before = open_fds(), threads(), children()
    assert len(before) == MAX_IDLE
    for cycle in range(RUNS):
        one_run(qtbot, window, cycle)
    settle(qtbot, window)
    after = children()
    assert len(after) == len(before) == MAX_IDLE, (before, after)  # the idle processes, no more
    assert "Z" not in after.values(), f"unreaped compute processes: {after}"
    assert open_fds() <= fds + SLACK_FDS, f"{open_fds() - fds} more descriptors open after {RUNS} runs"
    assert threads() <= n_threads + SLACK_THREADS, f"{threads() - n_threads} more threads after {RUNS} runs"
    window.shutdown()  # and closing ends every one of them
    qtbot.waitUntil(lambda: not children(), timeout=5000)
