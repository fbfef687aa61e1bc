"""A million points keep the window fluid: every edit returns at once and the numbers arrive later.

A probe timer fires every 10 ms on the window's thread; the longest gap between its ticks is the longest the
window could not answer the user.  The bound here is generous (a shared 2-core machine under load, drawing
under the offscreen platform); the strict figures (≤ 100 ms) are measured by
``tests/benchmarks/bench_big_data.py`` and shown in the README.  Before the work moved off the window's
thread one degree change here blocked it for 0.5–1.6 s on a fast, idle machine.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QTimer

from workbench.fitting.data import Dataset

N = 1_000_000
GENEROUS_S = 1.0  # twice the 0.5 s the slowest edit took on a fast idle machine when it blocked this thread


class Probe:
    """Records the longest gap between ticks of a 10 ms timer on the window's thread."""

    def __init__(self):
        self.longest = 0.0
        self.worst = ""
        self.doing = ""
        self._last = time.perf_counter()
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if now - self._last > self.longest:
            self.longest, self.worst = now - self._last, self.doing
        self._last = now


def test_a_million_points_never_stall_the_window_on_edits(make_main_window, qtbot):
    rng = np.random.default_rng(11)
    x = np.sort(rng.uniform(1950.0, 2020.0, N))
    y = 0.02 * (x - 1985.0) ** 2 + np.sin(x) + rng.normal(0.0, 0.3, N)
    window = make_main_window(dataset=Dataset(x, y, "a million points"))
    doc, controller = window.document, window.controller
    qtbot.waitUntil(lambda: not doc.pending, timeout=120_000)  # the first facts, before the probe starts
    qtbot.wait(200)

    probe = Probe()
    edits = [
        ("degree 3", lambda: controller.set_degree(3)),
        ("legendre basis", lambda: controller.set_basis("legendre")),
        ("degree 6", lambda: controller.set_degree(6)),
        ("a knob", lambda: controller.set_knob(0, float(doc.theta[0]) + 1.0)),
        ("a point moved", lambda: controller.move_point(5, 1960.0, 40.0)),
        ("undo", doc.undo_stack.undo),
        ("run started", controller.start_run),
        ("run stopped", controller.stop_run),
    ]
    for name, edit in edits:
        probe.doing = name
        edit()
        qtbot.wait(300)  # the probe ticks meanwhile: results arriving and redraws count too
        if name == "run started":
            qtbot.waitUntil(lambda: doc.running, timeout=30_000)
            qtbot.wait(1000)
    probe.doing = "the last results"
    qtbot.waitUntil(lambda: not doc.pending and not controller.running, timeout=120_000)
    qtbot.wait(300)
    probe.timer.stop()
    assert probe.longest < GENEROUS_S, f"the window stalled {probe.longest:.3f} s after: {probe.worst}"
    assert doc.dataset.n == N and doc.state.degree == 6
