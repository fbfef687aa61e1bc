"""Engine and solver figures: steps per second, exact-solve time, peak memory, CLI start-up.

Run it directly (it is not a test and pytest does not collect it):

    python tests/benchmarks/bench_engine.py            # full run, about a minute
    python tests/benchmarks/bench_engine.py --quick    # smaller budgets, for a smoke check

Degree 5, MSE, plain gradient descent, scaled basis.  Training throughput is compared with a hand-written
NumPy step (r = X·k − y; g = (2/N)·Xᵀr; k −= lr·g), the fastest a Python loop can go; the targets are
ratios against it.
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from workbench.fitting.exact import solve_exact
from workbench.fitting.problem import FitProblem

DEGREE = 5
SIZES = (20, 1_000, 100_000, 1_000_000)


def fused_target(n: int) -> float | None:
    """Minimum fused/hand ratio for N points (none set between 10³ and 10⁵)."""
    if n <= 20:
        return 0.25
    if n >= 100_000:
        return 0.5
    return None


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.platform()} | {cpu} | {os.cpu_count()} logical CPUs | Python {platform.python_version()} "
        f"| NumPy {np.__version__}"
    )


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    return x, np.sin(3 * x) + 0.1 * rng.normal(size=n)


def steps_per_second(steps, budget_s: float, repeats: int = 5) -> list[float]:
    """Best of ``repeats`` rounds for each function, the functions taking turns within every round.

    Interleaving matters on a shared machine: a burst of load then hits every contender alike, and
    the ratios between them (the targets) stay meaningful even when the absolute figures move.
    """
    for step in steps:
        step()  # warm-up
    best = [0.0] * len(steps)
    for _ in range(repeats):
        for i, step in enumerate(steps):
            count, started = 0, time.perf_counter()
            while True:
                step()
                count += 1
                elapsed = time.perf_counter() - started
                if elapsed >= budget_s:
                    break
            best[i] = max(best[i], count / elapsed)
    return best


def training_table(budget_s: float, sizes=SIZES) -> None:
    print(f"\nTraining throughput: degree {DEGREE}, MSE, plain GD, scaled basis (steps/s, best of 5, interleaved)")
    print("  fused = FitProblem.value_and_grad + GD update; trainer = Trainer.step (the same plus bookkeeping)")
    print(
        f"{'N':>9} {'hand':>10} {'fused':>10} {'trainer':>10} {'expanded':>10} {'fused/hand':>11} {'target':>7} "
        f"{'trainer/hand':>13} {'expanded/hand':>14}"
    )
    for n in sizes:
        x, y = make_data(n)
        problem = FitProblem.polynomial(x, y, DEGREE, "scaled")
        lr = 0.5 * problem.conditioning.max_stable_lr

        X = problem.design_matrix
        k_hand = np.zeros(DEGREE + 1)

        def hand_step():
            nonlocal k_hand
            r = X @ k_hand - y
            g = (2.0 / n) * (X.T @ r)
            k_hand -= lr * g

        trainer = problem.trainer("gd", lr, np.zeros(DEGREE + 1))
        k_fused = np.zeros(DEGREE + 1)

        def fused_step():
            nonlocal k_fused
            _, grad = problem.value_and_grad(k_fused)
            k_fused = trainer.optimizer.update(k_fused, grad)

        expanded = problem.expanded_graph()
        k_expanded = np.zeros(DEGREE + 1)

        def expanded_step():
            nonlocal k_expanded
            _, grad = expanded.value_and_grad(k_expanded)
            k_expanded = k_expanded - lr * grad

        hand, fused, traced, slow = steps_per_second((hand_step, fused_step, trainer.step, expanded_step), budget_s)
        target = fused_target(n)
        verdict = "" if target is None else ("ok" if fused / hand >= target else "MISSED")
        target_text = "-" if target is None else f"≥{target:g}"
        print(
            f"{n:>9,} {hand:>10,.0f} {fused:>10,.0f} {traced:>10,.0f} {slow:>10,.0f} {fused / hand:>11.2f} "
            f"{target_text:>7} {traced / hand:>13.2f} {slow / hand:>14.2f}  {verdict}"
        )


def exact_solve_time(n: int = 1_000_000, runs: int = 5) -> None:
    x, y = make_data(n, seed=1)
    solve_exact(x, y, DEGREE)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        solve_exact(x, y, DEGREE)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    small = make_data(100_000, seed=1)
    solve_exact(*small, DEGREE)
    started = time.perf_counter()
    solve_exact(*small, DEGREE)
    at_1e5 = time.perf_counter() - started
    print(
        f"\nExact solve, degree {DEGREE}, N = {n:,}: median {median * 1000:.0f} ms of {runs} "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); target < 500 ms: "
        f"{'ok' if median < 0.5 else 'MISSED'}   [N = 100,000, extended-precision path: {at_1e5 * 1000:.0f} ms]"
    )


MEMORY_SCRIPT = """
import resource, sys, tracemalloc
import numpy as np
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import StopRules


def peak_and_current_kib():
    # VmHWM belongs to this process image; ru_maxrss of a forked child starts at the parent's peak.
    try:
        fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
        return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return (peak // 1024 if sys.platform == "darwin" else peak), 0


_, baseline_kib = peak_and_current_kib()
tracemalloc.start()
rng = np.random.default_rng(0)
n = 1_000_000
x = np.sort(rng.uniform(0.0, 20.0, n))
y = np.sin(x / 3) + 0.1 * rng.normal(size=n)
problem = FitProblem.polynomial(x, y, 5, "scaled")
exact = problem.exact
lr = 0.9 * problem.conditioning.max_stable_lr
result = problem.trainer("gd", lr, problem.model.initial_params(), StopRules(max_steps=100, tol=0)).run_to_end()
assert result.steps == 100
fitted = problem.predict(result.params)
_, traced_peak = tracemalloc.get_traced_memory()
peak_kib, _ = peak_and_current_kib()
print(baseline_kib, peak_kib, traced_peak)
"""


def peak_memory() -> None:
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        print(f"\nPeak memory: the measuring subprocess failed:\n{result.stderr}")
        return
    baseline_kib, peak_kib, traced = (int(v) for v in result.stdout.split())
    grown = (peak_kib - baseline_kib) / 1024
    print("\nPeak memory, full fit of 1,000,000 points (exact solve + 100 GD steps + predict), degree 5:")
    print(
        f"  peak RSS {peak_kib / 1024:.0f} MiB, {baseline_kib / 1024:.0f} MiB after imports "
        f"-> grew {grown:.0f} MiB; tracemalloc peak {traced / 2**20:.0f} MiB; target < 300 MB: "
        f"{'ok' if max(grown, traced / 2**20) * 2**20 < 300e6 else 'MISSED'}"
    )


def cli_wall_time(runs: int = 5) -> None:
    entry = Path(sys.executable).with_name("workbench")
    command = [str(entry)] if entry.exists() else [sys.executable, "-m", "workbench"]
    name = " ".join(Path(c).name for c in command)
    print(f"\n`{name} fit` wall time on a 20-point file (median of {runs} after a warm-up run); target < 500 ms")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "twenty.csv"
        x, y = make_data(20, seed=2)
        path.write_text("x,y\n" + "".join(f"{a:.17g},{b:.17g}\n" for a, b in zip(x, y)), encoding="utf-8")
        for options in ([], ["--optimizer", "exact"]):
            times, inside, last = [], [], None
            for k in range(runs + 1):  # the first run warms the file cache and .pyc files
                started = time.perf_counter()
                last = subprocess.run(
                    [*command, "fit", str(path), "--json", *options], capture_output=True, text=True, timeout=60
                )
                if k and last.returncode == 0:
                    times.append(time.perf_counter() - started)
                    inside.append(json.loads(last.stdout)["elapsed_s"])
            label = "fit " + (" ".join(options) or "(defaults: gd, degree 5, up to 10000 steps)")
            if last.returncode != 0:
                print(f"  {label}: exit code {last.returncode}: {last.stderr.strip()}")
                continue
            median = statistics.median(times)
            report = json.loads(last.stdout)
            verdict = "ok" if median < 0.5 else "MISSED"
            print(
                f"  {label}: {median * 1000:.0f} ms ({report['steps']} steps, {report['stop_reason']}; the fit "
                f"itself {statistics.median(inside) * 1000:.0f} ms, the rest is start-up)  {verdict}"
            )
        bare = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import numpy"], capture_output=True, timeout=60)
            bare.append(time.perf_counter() - started)
    print(f"  for scale: python -c 'import numpy' alone takes {statistics.median(bare) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short budgets (a smoke run, noisy figures)")
    args = parser.parse_args()
    print("Machine:", machine())
    training_table(budget_s=0.05 if args.quick else 0.25)
    exact_solve_time(runs=3 if args.quick else 5)
    peak_memory()
    cli_wall_time(runs=3 if args.quick else 5)


if __name__ == "__main__":
    main()
