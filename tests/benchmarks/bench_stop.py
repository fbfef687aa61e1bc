"""Stop and run start in the real window: how long Stop takes to give the knobs and the Run button back, how
soon a run whose step does not end is abandoned, and how soon a run's first report arrives.

Run it directly (it is not a test and pytest does not collect it):

    python tests/benchmarks/bench_stop.py             # about 3 minutes
    python tests/benchmarks/bench_stop.py --quick     # 4 runs a case, smaller nets
    python tests/benchmarks/bench_stop.py --profile   # also: cProfile of the slowest Stop and start over target

It opens the real window (``MainWindow``, configured as the app configures it; offscreen unless a display is
set) with one BLAS thread, as the app has (``bench_setup``, imported before NumPy).  What it measures,
beside the targets of issue 11:

* **Stop** at N = 2,000, 10⁵ and 10⁶ (degree 5, scaled basis, plain GD) and for a 1 → 64 → 64 → 1 tanh net
  on as many points as make its step take about 50 ms here and now (timed headless first): ≥ 12 runs each,
  started with the Run button and stopped with it 0.1–0.4 s after their first report; from the click until
  the document holds the last report's knobs and the Run button has repainted saying Run: median ≤ 50 ms,
  p95 ≤ 150 ms.  It also counts the runs whose process Stop ended (their step outlasted ``ABANDON_MS``).
* **Abandon**: the net's compute process frozen (SIGSTOP: a step that never ends), and the same net on
  200,000 points (steps of seconds), then Stop: the process must be ended and reaped within 200 ms, the last
  reported knobs kept.
* **Run start** (the same runs): from the click until the first report is in the document; the second and
  later runs (a warm compute process that remembers the problem, unless Stop ended it): ≤ 50 ms, judged on
  the p95 (the maximum is printed beside it).
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import argparse
import os
import random
import signal
import statistics
import time

import numpy as np
from bench_gui import header, prepared_window
from bench_probes import PROFILES, WorstProfile
from bench_window import (
    PaintCounter,
    close_window,
    facts_ready,
    make_dataset,
    open_window,
    run_button_idle,
    spin,
    start_app,
    summary_ms,
    verdict,
    wait_until,
)
from PySide6.QtWidgets import QApplication

from workbench.qt.window.main_window import MainWindow

STOP_MEDIAN_MS, STOP_P95_MS, ABANDON_MS_TARGET, START_MS = 50.0, 150.0, 200.0, 50.0
NET = (64, 64)


# -- a run, clicked as a user clicks ---------------------------------------------------------------------------
class RunClock:
    """Clicks the Run button and times the run's first report in the document, and Stop until the Run button
    has repainted saying Run with the last report's knobs in the document."""

    def __init__(self, window: MainWindow):
        self.window = window
        self.button = window.run_controls.run_button
        self._paints = PaintCounter(self.button)
        self._clicked = 0.0
        self.first_report_at: float | None = None
        self.worker = None  # the compute process of the run last stopped
        window.document.trailChanged.connect(self._on_trail)

    def _on_trail(self) -> None:
        run = self.window.document.run
        if self.first_report_at is None and run is not None and run.theta is not None:
            self.first_report_at = time.perf_counter()

    def start(self, app: QApplication) -> float:
        """Click Run; returns the seconds until the first report was in the document."""
        self.first_report_at = None
        self._clicked = time.perf_counter()
        self.button.click()
        wait_until(app, lambda: self.first_report_at is not None, 60, "the run's first report")
        return self.first_report_at - self._clicked

    def stop(self, app: QApplication) -> float:
        """Click Stop; returns the seconds until the Run button was repainted saying Run, after checking that
        the document holds the knobs of the run's last report."""
        doc = self.window.document
        last = np.array(doc.run.theta)  # no event is handled between here and the click: the last report
        self.worker = self.window.controller.runs.handle.worker
        clicked = time.perf_counter()
        self.button.click()
        wait_until(app, lambda: run_button_idle(self.window) and self._paints.last_at > clicked, 30, "Stop")
        took = self._paints.last_at - clicked
        if not np.array_equal(doc.theta, last):
            raise AssertionError("after Stop the document does not hold the knobs of the run's last report")
        return took


def settle_after_run(app: QApplication, window: MainWindow, worker) -> None:
    """Until the stopped run's compute process (``worker``) has finished its step and the facts of the final
    knobs are known.  (Other tasks, a net's numeric loss surface say, may still be computing.)"""
    wait_until(app, lambda: worker.task is None or not worker.alive, 30, "the run's process to finish its step")
    wait_until(app, lambda: facts_ready(window), 120, "the facts of the final knobs")
    spin(app, 0.1)


def stop_and_start_latency(
    app: QApplication, window: MainWindow, runs: int, profile: bool = False, label: str = ""
) -> tuple[list[float], list[float], int]:
    """``runs`` runs, each stopped 0.1–0.4 s after its first report: (start latencies, stop latencies, how many
    of the runs' processes were ended because their step outlasted ``ABANDON_MS``).
    With ``profile``, prints the profile of the slowest stop and of the slowest later start over target."""
    clock = RunClock(window)
    rng = random.Random(11)
    starts, stops, abandoned = [], [], 0
    start_profile = WorstProfile(profile, f"run start, {label}")
    stop_profile = WorstProfile(profile, f"Stop, {label}")
    for k in range(runs):
        starts.append(start_profile.call(lambda: clock.start(app)) if k else clock.start(app))
        spin(app, rng.uniform(0.1, 0.4))  # Stop lands anywhere in a step
        stops.append(stop_profile.call(lambda: clock.stop(app)))
        settle_after_run(app, window, clock.worker)
        abandoned += not clock.worker.alive
    window.document.trailChanged.disconnect(clock._on_trail)
    for text in (stop_profile.report(STOP_MEDIAN_MS / 1000), start_profile.report(START_MS / 1000)):
        if text:
            PROFILES.append(text)
    return starts, stops, abandoned


def net_window(app: QApplication, n: int) -> MainWindow:
    """The window on ``n`` points with a 1 → 64 → 64 → 1 tanh net, its facts known."""
    window = open_window(make_dataset(n))
    window.controller.set_model("mlp", NET)
    window.controller.set_run_settings(optimizer="gd", lr=0.05, max_steps=10**9, tol=0.0)
    wait_until(app, lambda: facts_ready(window), 300, "the facts of the net")
    return window


def net_points_for(step_ms_wanted: float) -> int:
    """How many points make a step of the 1 → 64 → 64 → 1 net take about ``step_ms_wanted`` here and now
    (its cost is linear in the points: timed headless at 10⁴ points, best of 3)."""
    from dataclasses import replace

    from workbench.fitting.models import MLPModel
    from workbench.fitting.training import StopRules
    from workbench.state.document import Document

    n = 10_000
    state = Document(make_dataset(n)).state
    state = replace(state, model="mlp", hidden=NET, theta=MLPModel(NET).initial_params(seed=0))
    trainer = state.build_problem().trainer("gd", 0.05, state.theta, StopRules(max_steps=10**9, tol=0.0))
    trainer.step()
    times = []
    for _ in range(3):
        started = time.perf_counter()
        trainer.step()
        times.append(time.perf_counter() - started)
    per_point_ms = 1000.0 * min(times) / n
    return int(min(1_000_000, max(1_000, round(step_ms_wanted / per_point_ms, -3))))


def step_ms(window: MainWindow) -> float:
    """The last run's time per step (ms)."""
    result = window.document.last_run.result
    return 1000.0 * result.elapsed_s / max(1, result.steps)


def abandon_latency(
    app: QApplication, window: MainWindow, repeats: int, freeze: bool
) -> tuple[list[float], list[float], bool]:
    """Click Stop while the run's process is inside a step that does not end in time (``freeze``: the process
    is frozen with SIGSTOP, a step that never ends; otherwise the model's own step is that long), and time
    until the process has been ended and reaped.  Returns (seconds to the process's end, Stop's own latency,
    the last reported knobs kept every time)."""
    clock = RunClock(window)
    ended, stopped, kept = [], [], True
    for _ in range(repeats):
        clock.start(app)
        spin(app, 0.2)
        worker = window.controller.runs.handle.worker
        doc = window.document
        last = np.array(doc.run.theta)
        if freeze:
            os.kill(worker.pid, signal.SIGSTOP)
        clicked = time.perf_counter()
        stopped.append(clock.stop(app))
        wait_until(app, lambda: worker.process.poll() is not None, 10, "the process to be ended")
        ended.append(time.perf_counter() - clicked)
        kept = kept and np.array_equal(doc.theta, last)
        settle_after_run(app, window, worker)
        spin(app, 0.5)  # the pool's spare process starts
    window.document.trailChanged.disconnect(clock._on_trail)
    return ended, stopped, kept


def section_stop_and_start(app: QApplication, runs: int, quick: bool, profile: bool) -> None:
    print(
        f"\nStop: click → last report's knobs in the document and the Run button repainted saying Run ({runs} runs "
        f"each, stopped 0.1–0.4 s into the run); run start: click → first report in the document",
        flush=True,
    )
    print(
        f"{'case':>34} {'step':>8} {'stop median (≤50)':>19} {'p95 (≤150)':>12} {'max':>7}   "
        f"{'start: 1st':>10} {'later median':>13} {'p95 (≤50)':>11} {'max':>7}"
    )
    net = f"net 1→{'→'.join(map(str, NET))}→1"
    net_points = net_points_for(50.0)
    cases = [("polynomial, N = 2,000", 2_000), ("polynomial, N = 100,000", 100_000)]
    cases.append(("polynomial, N = 1,000,000", 1_000_000))
    cases.append((f"{net}, N = {net_points:,}", net_points))
    for label, n in cases:
        window = prepared_window(app, n) if label.startswith("poly") else net_window(app, n)
        load = os.getloadavg()[0]
        starts, stops, abandoned = stop_and_start_latency(app, window, runs, profile, label)
        median, p95 = summary_ms(stops)
        later_median, later_p95 = summary_ms(starts[1:])
        print(
            f"{label:>34} {step_ms(window):>5.1f} ms {median:>9.1f} ms {verdict(median <= STOP_MEDIAN_MS):>6} "
            f"{p95:>6.1f} ms {verdict(p95 <= STOP_P95_MS):>3} {1000 * max(stops):>4.0f} ms   "
            f"{1000 * starts[0]:>7.0f} ms {later_median:>10.1f} ms {later_p95:>6.1f} ms "
            f"{verdict(later_p95 <= START_MS):>3} {1000 * max(starts[1:]):>4.0f} ms   (load {load:.2f})",
            flush=True,
        )
        if abandoned:
            print(f"{'':>34} ({abandoned} of {runs} runs' processes were ended by Stop: a step outlasted it)")
        if label.startswith("net"):
            abandon(app, window, f"the {net}'s compute process frozen with SIGSTOP", 3 if quick else 6, True)
        close_window(app, window)
    long_points = 20_000 if quick else 200_000
    window = net_window(app, long_points)
    abandon(app, window, f"the {net} on {long_points:,} points, whose step is long", 2 if quick else 4, False)
    close_window(app, window)


def abandon(app: QApplication, window: MainWindow, what: str, repeats: int, freeze: bool) -> None:
    """Print how soon a run whose step does not end is abandoned (its process ended)."""
    ended, stopped, kept = abandon_latency(app, window, repeats, freeze)
    median, _ = summary_ms(ended)
    worst = 1000 * max(ended)
    print(
        f"Abandon ({what}; Stop {len(ended)} times; step {step_ms(window):.0f} ms): process ended and reaped after "
        f"median {median:.0f} ms, at most {worst:.0f} ms (target ≤ 200 ms) {verdict(worst <= ABANDON_MS_TARGET)}; "
        f"Stop itself {1000 * statistics.median(stopped):.1f} ms (median); last reported knobs kept: "
        f"{'yes' if kept else 'NO'}; {bench_setup.load_average()}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 runs a case, smaller nets")
    parser.add_argument("--runs", type=int, default=12, help="runs per case (at least 12 unless --quick)")
    parser.add_argument("--profile", action="store_true", help="profile the slowest Stop and start over target")
    args = parser.parse_args()
    app = start_app()
    print(header(app))
    section_stop_and_start(app, 4 if args.quick else max(12, args.runs), args.quick, args.profile)
    print(f"# at the end: {bench_setup.load_average()}")
    for text in PROFILES:
        print(text)


if __name__ == "__main__":
    main()
