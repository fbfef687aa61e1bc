"""Memory over repeated big sessions: open 10⁶ points, fit, close, 20 times; the footprint must not grow.

Run it directly (it is not a test and pytest does not collect it):

    python tests/benchmarks/bench_memory.py             # 10⁶ points, 20 repetitions (a few minutes)
    python tests/benchmarks/bench_memory.py --quick     # 10⁵ points, 6 repetitions

Each repetition goes through the window's real paths: File › Open data's ``open_path`` on a CSV file
(read in the background with progress, as a user's big file is), the exact least-squares fit (Run ›
Solve exactly) and a short gradient-descent run in a compute process, then File › New session.

*Closing the data* is File › New session: it empties the undo history.  Replacing the data with other
data is an edit, and undo keeps the old points so that Ctrl+Z can bring them back: memory that is kept
on purpose, not leaked (``--close replace`` shows it: one dataset more per repetition).

Printed after each repetition: the process's resident memory (``VmRSS`` from /proc/self/status, after
glibc's ``malloc_trim`` has returned freed heap pages) and the Python heap as ``tracemalloc`` counts it
(NumPy arrays included), and at the end the growth after the first repetition (which warms up caches,
fonts and thread pools) to the last ones, against "no growth".
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import argparse
import ctypes
import gc
import os
import platform
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from bench_window import facts_ready, start_app, wait_until
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from workbench.fitting.data import Dataset, save_dataset
from workbench.qt.window.main_window import MainWindow
from workbench.qt.window.session_manager import RECOVERY_ENV

MIB = 1024 * 1024
RSS_SLACK_MIB = 16.0  # allocator noise: freed memory the C library keeps for reuse
# Python objects: bounded caches still filling up.  pyqtgraph's symbol atlas keys every symbol by the
# identity of its pen and brush objects, and PlotDataItem makes new ones at each redraw, so the atlas
# gains an entry per redraw (~80 kB a repetition here) until it rebuilds itself (past 4× its points).
TRACED_SLACK_MIB = 2.0


def _trim_heap() -> None:
    """Give freed heap memory back to the system (glibc's malloc_trim), so RSS shows what is held."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # another C library: RSS then includes memory free for reuse (the slack covers it)


def rss_mib() -> float:
    """The process's resident set size (Linux: VmRSS in /proc/self/status), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status (this benchmark reads Linux's /proc)")


def settle(app: QApplication) -> None:
    """Let deferred work finish (0 ms timers, deleteLater, background encoding), then collect."""
    for _ in range(5):
        app.processEvents()
        QTest.qWait(50)
    gc.collect()
    app.processEvents()
    _trim_heap()


def write_csv(folder: Path, n: int) -> Path:
    rng = np.random.default_rng(6)
    x = np.sort(rng.uniform(-3.0, 3.0, n))
    path = folder / f"points-{n}.csv"
    save_dataset(Dataset(x, np.sin(x) + 0.1 * rng.standard_normal(n), "big"), path)
    return path


def repetition(app: QApplication, window: MainWindow, path: Path, n: int, close: str) -> None:
    """Open ``path``, fit it exactly and by a short gradient descent, then close it."""
    ctl, doc = window.controller, window.document
    window.open_path(path)
    wait_until(app, lambda: doc.dataset.n == n and facts_ready(window), 120, "opening the file")
    ctl.show_exact(True)  # (big data: the optimum came with the facts, from a compute process)
    ctl.set_run_settings(optimizer="gd", lr=0.9 * doc.conditioning.max_stable_lr, max_steps=300, tol=0.0)
    finished = []
    ctl.runFinished.connect(finished.append)
    ctl.start_run()
    wait_until(app, lambda: bool(finished), 120, "the gradient-descent run")
    ctl.runFinished.disconnect(finished.append)
    if close == "new-session":
        window.session_manager.new_session()
    else:
        ctl.replace_data(Dataset([0.0, 1.0, 2.0], [0.0, 1.0, 4.0], "small"), "Replace data")
    wait_until(app, lambda: doc.dataset.n != n, 10, "closing the data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10⁵ points, 6 repetitions")
    parser.add_argument("--points", type=int, help="points per file (default 10⁶, or 10⁵ with --quick)")
    parser.add_argument("--repeats", type=int, help="repetitions (default 20, or 6 with --quick)")
    parser.add_argument(
        "--close",
        choices=("new-session", "replace"),
        default="new-session",
        help="how the data is closed: File › New session (clears undo; the default) or "
        "replacing it with 3 points (undoable: undo keeps the old points)",
    )
    args = parser.parse_args()
    n = args.points or (100_000 if args.quick else 1_000_000)
    repeats = args.repeats or (6 if args.quick else 20)
    tracemalloc.start()
    with tempfile.TemporaryDirectory(prefix="workbench-bench-memory-") as tmp:
        os.environ[RECOVERY_ENV] = str(Path(tmp) / "recovery")  # autosave writes here, not the user's folder
        app = start_app()  # (fresh settings; New session never asks about unsaved changes)
        path = write_csv(Path(tmp), n)
        print(
            f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, NumPy {np.__version__}, Qt platform {app.platformName()}, "
            f"{bench_setup.blas_threads()}; {bench_setup.load_average()}"
        )
        print(
            f"# {repeats} × (open {n:,} points from a {path.stat().st_size / MIB:.0f} MiB CSV, exact fit, "
            f"300 GD steps, close by {args.close})"
        )
        window = MainWindow(Dataset([0.0, 1.0, 2.0], [0.0, 1.0, 4.0], "small"))
        window.show()
        QTest.qWaitForWindowExposed(window)
        settle(app)
        print(f"{'':>4} {'RSS MiB':>9} {'traced MiB':>11} {'seconds':>8}")
        print(f"{'base':>4} {rss_mib():9.1f} {tracemalloc.get_traced_memory()[0] / MIB:11.1f}")
        rows = []
        for k in range(1, repeats + 1):
            started = time.perf_counter()
            repetition(app, window, path, n, args.close)
            settle(app)
            rows.append((rss_mib(), tracemalloc.get_traced_memory()[0] / MIB))
            print(f"{k:>4} {rows[-1][0]:9.1f} {rows[-1][1]:11.1f} {time.perf_counter() - started:8.1f}", flush=True)
        window.shutdown()
        window.session_manager.mark_clean()
        window.close()
        window.deleteLater()
        settle(app)
    # RSS moves by tens of MiB from one repetition to the next (which pages the allocator keeps): compare
    # the medians of the first and the last few repetitions after the warm-up one, not two single rows.
    k = max(1, min(5, (len(rows) - 1) // 3))
    early, late = rows[1 : 1 + k] if len(rows) > 1 else rows[:1], rows[-k:]
    rss_growth = statistics.median(r[0] for r in late) - statistics.median(r[0] for r in early)
    traced_growth = rows[-1][1] - rows[min(1, len(rows) - 1)][1]
    verdict = "ok" if rss_growth <= RSS_SLACK_MIB and traced_growth <= TRACED_SLACK_MIB else "MISSED"
    print(
        f"\nGrowth over the repetitions after the first: RSS {rss_growth:+.1f} MiB (median of the last {k} "
        f"against the first {k}), Python heap {traced_growth:+.1f} MiB (target: no growth, i.e. within "
        f"{RSS_SLACK_MIB:g} MiB of allocator noise and {TRACED_SLACK_MIB:g} MiB of Python objects) {verdict}"
    )
    print(f"Peak Python heap: {tracemalloc.get_traced_memory()[1] / MIB:.0f} MiB")


if __name__ == "__main__":
    main()
