"""The window under load: event-loop latency, redraws and the run's speed while gradient descent runs.

Run it directly (it is not a test and pytest does not collect it):

    python tests/benchmarks/bench_gui.py            # full run, about a minute
    python tests/benchmarks/bench_gui.py --quick    # 2 s runs, for a smoke check

It runs with one BLAS thread, as the app does (``bench_setup``, imported before NumPy), and prints the load
average with its figures: the machine is shared.  What it measures, beside the targets of issue 6:

* a run at full speed for 5 s (degree 5, scaled basis, plain GD at 0.9 × the stability limit, no step
  limit) at N = 10³ and 10⁵, from its first report on: the gaps of a 5 ms precise QTimer probe (latency =
  gap − 5 ms: median and 99th percentile), fit-plot repaints per second, and the run's steps/s (in its
  compute process) as a share of the same trainer running headless (this process, nothing else running,
  same problem, same BLAS threads) for the same time;
* a knob turn at N = 10⁴: ``controller.set_knob`` until the fit plot and the knob panel's loss have
  repainted: within a drag (median of 50 turns back to back) and as single turns (median of 30);
* the loss surface: a 200×200 closed-form grid (``FitProblem.surface``), the surface view's recompute
  (that grid, its colours and contours), and a knob change until the new surface is on screen (the
  whole turn: every view follows; median of 20 separate changes);
* start-up: ``workbench`` launched as a new process until its window is exposed (median of 3).

Big data (10⁶ and 10⁷ points), Stop and run start are ``bench_big_data.py``'s.
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import argparse
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
from bench_probes import PROBE_MS, LatencyProbe, StallSampler
from bench_window import (
    PaintCounter,
    close_window,
    facts_ready,
    make_dataset,
    open_window,
    spin,
    start_app,
    verdict,
    wait_until,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from workbench.fitting.training import StopRules
from workbench.qt.views.redraw import FOLLOW_MS
from workbench.qt.views.surface_plot import RECOMPUTE_DELAY_MS
from workbench.qt.window.main_window import MainWindow

DEGREE = 5


def prepared_window(app: QApplication, n: int) -> MainWindow:
    """The window on ``n`` points, degree 5 in the scaled basis, plain GD at 0.9 × the stability limit with no
    step limit, its facts known (big data's come from a compute process)."""
    window = open_window(make_dataset(n))
    ctl = window.controller
    ctl.set_basis("scaled")
    ctl.set_degree(DEGREE)
    wait_until(app, lambda: facts_ready(window), 120, "the facts of the data")
    limit = window.document.conditioning.max_stable_lr
    ctl.set_run_settings(optimizer="gd", lr=0.9 * limit, max_steps=10**9, tol=0.0)
    wait_until(app, lambda: facts_ready(window), 120, "the facts of the data")
    app.processEvents()
    return window


def headless_steps_per_second(window: MainWindow, seconds: float) -> float:
    """The trainer a run drives, in this process and thread with nothing else to do (one BLAS thread, as in
    the compute process)."""
    s = window.document.settings
    problem = window.document.state.build_problem()
    stop = threading.Event()
    trainer = problem.trainer(s.optimizer, s.lr, window.document.theta, StopRules(max_steps=10**9, tol=0.0), stop)
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    started = time.perf_counter()
    for _ in trainer.run():
        pass
    return trainer.steps / (time.perf_counter() - started)


def run_under_load(app: QApplication, n: int, seconds: float, headless: bool = True, profile: bool = False) -> dict:
    """A full-speed run of ``seconds`` on ``n`` points in the window: event-loop latency (a ``PROBE_MS``
    probe), fit-plot repaints per second, and the run's steps/s (against the same trainer headless); with
    ``profile``, the window thread's stacks during the longest stall ("stall")."""
    window = prepared_window(app, n)
    baseline = headless_steps_per_second(window, seconds) if headless else float("nan")
    painted = PaintCounter(window.fit_plot.viewport())
    probe = LatencyProbe(PROBE_MS)
    results = []
    window.controller.runFinished.connect(results.append)
    window.controller.start_run()
    wait_until(app, lambda: window.document.run is None or window.document.run.theta is not None, 30, "a first report")
    painted.count = 0
    probe.start()
    sampler = StallSampler(probe) if profile else None
    if sampler is not None:
        sampler.start()
    started = time.perf_counter()
    spin(app, seconds)
    probe.stop()
    if sampler is not None:
        sampler.stop()
    elapsed = time.perf_counter() - started
    redraws = painted.count
    window.controller.stop_run()
    result = results[-1]
    gaps_ms = probe.latencies_ms()
    close_window(app, window)
    return {
        "n": n,
        "latency_median_ms": float(np.median(gaps_ms)),
        "latency_p99_ms": float(np.percentile(gaps_ms, 99)),
        "latency_max_ms": float(gaps_ms.max()),
        "redraws_per_s": redraws / elapsed,
        "run_steps_per_s": result.steps / result.elapsed_s,
        "headless_steps_per_s": baseline,
        "stall": sampler.longest() if sampler is not None else "",
    }


def knob_turn_ms(app: QApplication, n: int, turns: int, gap_ms: int = 0) -> float:
    """Median time from ``controller.set_knob`` until the curve and the loss have repainted.

    ``gap_ms = 0``: one drag, each turn as soon as the last one is on screen (the residuals, the
    comparison table and the surface's trails then follow at most every ``FOLLOW_MS``); otherwise
    separate turns, ``gap_ms`` apart, each also redrawing every other view on the same pass or the next.
    """
    window = prepared_window(app, n)
    ctl = window.controller
    # The curve (the fit plot) and the loss (the knob panel's number): Qt repaints every changed view of
    # the window in the same pass.  (The loss history has nothing new to show after a knob turn.)
    views = [window.fit_plot.viewport(), window.knob_panel.loss_label]
    counters = [PaintCounter(v) for v in views]
    times = []
    drag = ctl.new_drag_id()
    for k in range(turns):
        if gap_ms:
            QTest.qWait(gap_ms)
            drag = ctl.new_drag_id()
        before = [c.count for c in counters]
        t0 = time.perf_counter()
        ctl.set_knob(1, 0.5 + 0.01 * k, drag)
        while any(c.count == b for c, b in zip(counters, before)):
            app.processEvents()
            if time.perf_counter() - t0 > 2.0:
                break
        times.append(time.perf_counter() - t0)
    close_window(app, window)
    return 1000.0 * statistics.median(times)


def surface_ms(app: QApplication, repeats: int) -> tuple[float, float]:
    window = prepared_window(app, 10_000)
    problem = window.document.problem
    theta = window.document.theta
    a = np.linspace(-2, 2, 200)
    core = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        problem.surface(theta, 0, 1, a, a)
        core.append(time.perf_counter() - t0)
    view, work = [], []
    surface = window.surface_plot
    painted = PaintCounter(surface.graphics.viewport())
    recompute = surface._recompute_now

    def timed_recompute():  # the view's own work: grid, colours, contours (not the rest of the turn)
        t = time.perf_counter()
        recompute()
        work.append(time.perf_counter() - t)

    surface._recompute_now = timed_recompute
    for k in range(repeats):
        # Separate changes (a drag is paced: at most one recompute per RECOMPUTE_DELAY_MS): let the pace
        # run out, then time one change of a knob off the picture's axes until the new grid is on screen.
        QTest.qWait(int(2 * RECOMPUTE_DELAY_MS))
        before, paints = surface.recompute_count, painted.count
        t0 = time.perf_counter()
        window.controller.set_knob(3, 0.1 * (k + 1), window.controller.new_drag_id())
        while (surface.recompute_count == before or painted.count == paints) and time.perf_counter() - t0 < 2.0:
            app.processEvents()
        view.append(time.perf_counter() - t0)
    close_window(app, window)
    return 1000.0 * statistics.median(core), 1000.0 * statistics.median(work), 1000.0 * statistics.median(view)


STARTUP_PROBE = r"""
import sys, time
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from workbench.qt.app import configure_application, create_main_window
app = QApplication(sys.argv[:1])
configure_application(app)
w = create_main_window([])
w.show()
QTest.qWaitForWindowExposed(w)
print(time.time(), flush=True)
w.close()               # as the app ends: a window left open at interpreter exit may crash Qt's teardown
app.processEvents()
"""


def startup_s(repeats: int) -> float:
    times = []
    env = dict(os.environ, WORKBENCH_NO_RECOVERY="1")  # (BLAS threads and the offscreen platform as here)
    for _ in range(repeats):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_PROBE], capture_output=True, text=True, env=env, check=True
        ).stdout
        times.append(float(out.strip().splitlines()[-1]) - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s runs and fewer repeats")
    args = parser.parse_args()
    seconds = 2.0 if args.quick else 5.0
    app = start_app()
    print(header(app))
    print(f"\nGradient descent at full speed for {seconds:g} s (degree {DEGREE}; {PROBE_MS} ms probe):")
    print(
        f"{'N':>8} {'latency median':>15} {'p99 (≤50 ms)':>14} {'redraws/s (≥25)':>16} "
        f"{'run steps/s':>12} {'headless':>10} {'share (≥70%)':>13}"
    )
    for n in (1_000, 100_000):
        r = run_under_load(app, n, seconds)
        share = r["run_steps_per_s"] / r["headless_steps_per_s"]
        print(
            f"{n:>8} {r['latency_median_ms']:>12.1f} ms {r['latency_p99_ms']:>8.1f} ms "
            f"{verdict(r['latency_p99_ms'] <= 50):>3} {r['redraws_per_s']:>10.1f} "
            f"{verdict(r['redraws_per_s'] >= 25):>5} {r['run_steps_per_s']:>12.0f} "
            f"{r['headless_steps_per_s']:>10.0f} {share:>8.0%} {verdict(share >= 0.7):>4}",
            flush=True,
        )
    turn = knob_turn_ms(app, 10_000, 20 if args.quick else 50)
    single = knob_turn_ms(app, 10_000, 10 if args.quick else 30, gap_ms=3 * FOLLOW_MS)
    print(
        f"\nKnob turn → curve and loss repainted, N = 10⁴, within a drag: {turn:.1f} ms (target ≤ 16 ms) "
        f"{verdict(turn <= 16)}; a single turn (every view follows at once): {single:.1f} ms"
    )
    core, work, view = surface_ms(app, 5 if args.quick else 20)
    print(
        f"Loss surface 200×200 recompute (target ≤ 20 ms): closed form {core:.1f} ms {verdict(core <= 20)}, "
        f"in the view with colours and contours {work:.1f} ms {verdict(work <= 20)}; "
        f"knob change → new surface on screen: {view:.1f} ms"
    )
    start = startup_s(1 if args.quick else 3)
    print(f"Start-up, new process until the window is exposed: {start:.2f} s (target ≤ 1.5 s) {verdict(start <= 1.5)}")
    print(f"# at the end: {bench_setup.load_average()}")


def header(app: QApplication) -> str:
    """The machine, the versions, the BLAS threads and the load, for the first line of a benchmark."""
    return (
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, NumPy {np.__version__}, Qt platform {app.platformName()}, "
        f"{bench_setup.blas_threads()}; {bench_setup.load_average()}"
    )


if __name__ == "__main__":
    main()
