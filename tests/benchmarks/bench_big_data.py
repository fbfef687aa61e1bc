"""Big data in the real window: the longest stall of the window's thread on every edit at 10⁶ and 10⁷ points,
a full-speed run at 10⁶, and the memory of the window's process and of the run's compute process at 10⁷.

Run it directly (it is not a test and pytest does not collect it):

    python tests/benchmarks/bench_big_data.py                     # both sections (about 8 minutes)
    python tests/benchmarks/bench_big_data.py --quick             # fewer repetitions, 10⁶ for the biggest case
    python tests/benchmarks/bench_big_data.py --only ten-million  # one section: million or ten-million
    python tests/benchmarks/bench_big_data.py --profile           # also: where the window's thread was during
                                                                  # the longest stall of each miss

Each section opens the real window (``MainWindow``, configured as the app configures it; offscreen unless a
display is set) with one BLAS thread, as the app has (``bench_setup``, imported before NumPy).  What it
measures, beside the targets of issue 11 (Stop and run start are ``bench_stop.py``'s):

* **10⁶ points**: the longest stall of the window's thread (a 5 ms precise QTimer probe: gap − 5 ms) from
  each action until its effects have settled (the facts of the new state arrived, the views redrawn,
  +0.3 s): adding and moving a point, degree, basis and model changes, run start and stop, Save and
  autosave: ≤ 100 ms each.  A full-speed run: p99 event-loop latency ≤ 50 ms and ≥ 20 redraws/s.
* **10⁷ points**: opening them (a CSV file read in the background, or with ``--open dataset`` a dataset
  handed to the window), Solve exactly, a 3 s run (start, running, stop) and Save: no stall over 250 ms; the
  peak resident memory (``VmHWM``) of the window's process ≤ 2.5 GiB and of the run's compute process
  ≤ 1.5 GiB (its peak counted from the run's start: /proc/PID/clear_refs).  The CSV is written by a
  separate process, so that writing it weighs nothing here.
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_gui import header, prepared_window, run_under_load
from bench_probes import PROBE_MS, PROFILES, LatencyProbe, Stalls, StallSampler
from bench_stop import settle_after_run
from bench_window import (
    GIB,
    MIB,
    PaintCounter,
    close_window,
    compute_pids,
    facts_ready,
    make_dataset,
    memory_mib,
    open_window,
    reset_peak_memory,
    run_button_idle,
    spin,
    start_app,
    verdict,
    wait_until,
)
from PySide6.QtWidgets import QApplication

from workbench.qt.window.main_window import MainWindow

STOP_MEDIAN_MS, STOP_P95_MS, ABANDON_MS_TARGET, START_MS = 50.0, 150.0, 200.0, 50.0
STALL_1E6_MS, STALL_1E7_MS = 100.0, 250.0
WINDOW_GIB, RUN_GIB = 2.5, 1.5
NET = (64, 64)


# -- stalls ----------------------------------------------------------------------------------------------------
def idle_and_known(window: MainWindow) -> Callable[[], bool]:
    return lambda: run_button_idle(window) and facts_ready(window)


def section_million(app: QApplication, repeats: int, seconds: float, profile: bool, tmp: Path) -> None:
    n = 1_000_000
    print(f"\n10⁶ points: the longest stall of the window's thread per action ({PROBE_MS} ms probe; target ≤ 100 ms)")
    window = prepared_window(app, n)
    stalls = Stalls(app, window, STALL_1E6_MS, profile)
    ctl, doc = window.controller, window.document
    known = idle_and_known(window)
    rng = np.random.default_rng(3)
    stalls.row(
        "add a point", [stalls.measure(lambda: ctl.add_point(*rng.uniform(-2, 2, 2)), known) for _ in range(repeats)]
    )
    stalls.row(
        "move a point",
        [
            stalls.measure(lambda: ctl.move_point(int(rng.integers(n)), *rng.uniform(-2, 2, 2)), known)
            for _ in range(repeats)
        ],
    )
    values = []
    for _ in range(repeats):
        values.append(stalls.measure(lambda: ctl.set_degree(4), known))
        values.append(stalls.measure(lambda: ctl.set_degree(5), known))
    stalls.row("degree 5 → 4 → 5", values)
    values = []
    for _ in range(repeats):
        values.append(stalls.measure(lambda: ctl.set_basis("legendre"), known))
        values.append(stalls.measure(lambda: ctl.set_basis("scaled"), known))
    stalls.row("basis scaled → Legendre → scaled", values)
    values = []
    for _ in range(repeats):
        values.append(stalls.measure(lambda: ctl.set_model("mlp"), known))
        values.append(stalls.measure(lambda: ctl.set_model("polynomial"), known))
    stalls.row("model polynomial → net → polynomial", values)
    ctl.set_run_settings(optimizer="gd", lr=0.9 * doc.conditioning.max_stable_lr, max_steps=10**9, tol=0.0)
    wait_until(app, known, 120, "the facts")
    button = window.run_controls.run_button
    starts, stops = [], []
    for _ in range(repeats):
        started = lambda: doc.run is not None and doc.run.theta is not None  # noqa: E731
        starts.append(stalls.measure(button.click, started))
        spin(app, 0.5)
        worker = ctl.runs.handle.worker
        stops.append(stalls.measure(button.click, known))
        settle_after_run(app, window, worker)
    stalls.row("run start (until its first report)", starts)
    stalls.row("run stop (until the facts are back)", stops)
    sessions = tmp / "million.json"
    values = []
    for k in range(repeats):
        ctl.set_knob(0, 0.01 * (k + 1))  # something to save
        wait_until(app, known, 60, "the facts")
        values.append(stalls.measure(lambda: window.session_manager.save_to(sessions), known))
    stalls.row("Save (session file)", values)
    manager = window.session_manager
    values = []
    for k in range(repeats):
        ctl.set_knob(0, -0.01 * (k + 1))  # unsaved work for autosave to write
        wait_until(app, known, 60, "the facts")
        values.append(stalls.measure(manager.write_recovery, lambda: manager._autosaving is None and known()))
    stalls.row("autosave (recovery file)", values)
    stalls.print_profiles()
    close_window(app, window)
    r = run_under_load(app, n, seconds, profile=profile)
    share = r["run_steps_per_s"] / r["headless_steps_per_s"]
    print(
        f"\nA full-speed run at 10⁶ points for {seconds:g} s: event-loop latency median "
        f"{r['latency_median_ms']:.1f} ms, p99 {r['latency_p99_ms']:.1f} ms (target ≤ 50 ms) "
        f"{verdict(r['latency_p99_ms'] <= 50)}, "
        f"longest {r['latency_max_ms']:.0f} ms; {r['redraws_per_s']:.1f} redraws/s (target ≥ 20) "
        f"{verdict(r['redraws_per_s'] >= 20)}; the run {r['run_steps_per_s']:.1f} steps/s against "
        f"{r['headless_steps_per_s']:.1f} headless ({share:.0%}); {bench_setup.load_average()}",
        flush=True,
    )
    if r["stall"] and r["latency_p99_ms"] > 50:
        title = "the window's thread during the longest stall of a full-speed run at 10⁶"
        PROFILES.append(f"\n--- {title} ---\n{r['stall']}")


# -- 10⁷ points ----------------------------------------------------------------------------------------------
WRITE_CSV = r"""
import os, sys
for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")
import numpy as np
from workbench.fitting.data import Dataset, save_dataset
n, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(7)
x = rng.uniform(-3.0, 3.0, n)
x.sort()
y = np.sin(x)
y += 0.1 * rng.standard_normal(n)
save_dataset(Dataset(x, y, "big"), path)
"""


def write_csv(n: int, path: Path) -> float:
    """Write ``n`` points to ``path`` in a process of its own; returns the seconds it took."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", WRITE_CSV, str(n), str(path)], check=True)
    return time.perf_counter() - started


def section_ten_million(app: QApplication, n: int, how: str, profile: bool, tmp: Path) -> None:
    print(
        f"\n{n:,} points: the longest stall of the window's thread per action ({PROBE_MS} ms probe; target ≤ 250 ms)"
        f", and the memory of both processes",
        flush=True,
    )
    window = open_window()
    wait_until(app, lambda: facts_ready(window), 60, "the sample's facts")
    ctl, doc = window.controller, window.document
    stalls = Stalls(app, window, STALL_1E7_MS, profile)
    known = idle_and_known(window)
    base = memory_mib()
    if how == "file":
        path = tmp / "ten-million.csv"
        took = write_csv(n, path)
        print(f"  (wrote {path.stat().st_size / MIB:.0f} MiB of CSV in {took:.1f} s, in another process)")
        started = time.perf_counter()
        stall = stalls.measure(lambda: window.open_path(path), lambda: doc.dataset.n == n and known(), 600)
        stalls.row(f"open a {path.stat().st_size / MIB:.0f} MiB CSV file", [stall])
    else:
        dataset = make_dataset(n, seed=7)
        started = time.perf_counter()
        stall = stalls.measure(lambda: ctl.open_dataset(dataset, "bench"), lambda: doc.dataset.n == n and known(), 600)
        del dataset
        stalls.row("open a dataset handed to the window", [stall])
    print(f"  (open until every fact was known: {time.perf_counter() - started:.1f} s)")
    opened = memory_mib()
    facts_memory = {pid: memory_mib(pid) for pid in compute_pids(window)}
    reset_peak_memory()
    stalls.row("Solve exactly (show the optimum)", [stalls.measure(lambda: ctl.show_exact(True), known)])
    ctl.set_run_settings(optimizer="gd", lr=0.9 * doc.conditioning.max_stable_lr, max_steps=10**9, tol=0.0)
    wait_until(app, known, 120, "the facts")
    button = window.run_controls.run_button
    run_pids: list[int] = []
    before_run = {pid: memory_mib(pid) for pid in compute_pids(window)}
    for pid in before_run:
        reset_peak_memory(pid)  # the run's peak, not that of the facts its process may have computed before

    def started() -> bool:
        if doc.run is not None and doc.run.theta is not None:
            run_pids[:] = [window.controller.runs.handle.worker.pid]
            return True
        return False

    stalls.row("run start (until its first report)", [stalls.measure(button.click, started)])
    probe = LatencyProbe(PROBE_MS)
    paints = PaintCounter(window.fit_plot.viewport())
    probe.start()
    sampler = StallSampler(probe) if profile else None
    if sampler is not None:
        sampler.start()
    spin(app, 3.0)
    probe.stop()
    if sampler is not None:
        sampler.stop()
        if probe.longest_ms() > STALL_1E7_MS:
            stalls.profiles.append(("", probe.longest_ms(), sampler.longest()))
    redraws = paints.count / 3.0
    gaps = probe.latencies_ms()
    run_memory = memory_mib(run_pids[0])
    stalls.row("a run, running (3 s)", [float(gaps.max())])
    worker = ctl.runs.handle.worker
    stalls.row("run stop (until the facts are back)", [stalls.measure(button.click, known)])
    print(
        f"  (during the run: event-loop latency p99 {np.percentile(gaps, 99):.1f} ms, {redraws:.1f} redraws/s, "
        f"{doc.last_run.result.steps / doc.last_run.result.elapsed_s:.2f} steps/s)"
    )
    settle_after_run(app, window, worker)
    stalls.row("Save (session file)", [stalls.measure(lambda: window.session_manager.save_to(tmp / "ten.json"), known)])
    stalls.print_profiles()
    mine = memory_mib()
    run_pid = run_pids[0]
    run_peak = run_memory["VmHWM"]
    window_peak = max(opened["VmHWM"], mine["VmHWM"])
    facts_peak = max((m["VmHWM"] for m in facts_memory.values()), default=0.0)
    print(
        f"\nMemory at {n:,} points (peak resident, VmHWM): the window's process {window_peak / 1024:.2f} GiB "
        f"(target ≤ {WINDOW_GIB} GiB) {verdict(window_peak * MIB <= WINDOW_GIB * GIB)}: opening "
        f"{opened['VmHWM'] / 1024:.2f} GiB, then Solve, the run and Save {mine['VmHWM'] / 1024:.2f} GiB, resident "
        f"now {mine['VmRSS'] / 1024:.2f} GiB (before opening {base['VmRSS'] / 1024:.2f} GiB)"
    )
    print(
        f"  the run's compute process, during the run: {run_peak / 1024:.2f} GiB (target ≤ {RUN_GIB} GiB) "
        f"{verdict(run_peak * MIB <= RUN_GIB * GIB)} (resident when the run began: "
        f"{before_run.get(run_pid, {}).get('VmRSS', float('nan')) / 1024:.2f} GiB; a new process: "
        f"{'no' if run_pid in before_run else 'yes'})"
    )
    print(f"  the compute process(es) of the facts while opening: peak {facts_peak / 1024:.2f} GiB (no target)")
    print(f"  {bench_setup.load_average()}", flush=True)
    close_window(app, window)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions; 10⁶ points for the biggest case")
    parser.add_argument("--only", default="million,ten-million", help="sections: million, ten-million")
    parser.add_argument("--open", choices=("file", "dataset"), default="file", help="how the 10⁷ points arrive")
    parser.add_argument("--points", type=int, default=10_000_000, help="points of the biggest case")
    parser.add_argument("--profile", action="store_true", help="profile the window's thread around stalls")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    app = start_app()
    print(header(app))
    with tempfile.TemporaryDirectory(prefix="workbench-bench-big-") as folder:
        tmp = Path(folder)
        if "million" in sections:
            section_million(app, 2 if args.quick else 3, 2.0 if args.quick else 5.0, args.profile, tmp)
        if "ten-million" in sections:
            n = 1_000_000 if args.quick else args.points
            section_ten_million(app, n, args.open, args.profile, tmp)
    print(f"# at the end: {bench_setup.load_average()}")
    for text in PROFILES:
        print(text)


if __name__ == "__main__":
    main()
