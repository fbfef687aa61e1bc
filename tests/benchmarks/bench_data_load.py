"""Print how long reading a 10^6-row CSV takes, and how much memory it needs beside its target:
`python tests/benchmarks/bench_data_load.py` (`--rows N` for another size).

Memory is measured twice: the Python heap's peak as ``tracemalloc`` counts it (NumPy arrays included),
and the growth of the peak resident set (``VmHWM``) of a fresh process that does nothing but read the
file (allocator slack included).  Target: at most 3× the float64 numbers read (the old reader held the
whole text, its lines and every cell at once: ~9.5× the file's size).
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import argparse
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from workbench.fitting.data import Dataset, load_dataset, read_dataset, save_dataset

TARGET = 3.0
_CHILD = """
import sys
from workbench.fitting.data import read_dataset

def high_water():  # VmHWM: this process's peak resident set (ru_maxrss would include the parent's past)
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    return int(status.split()[0]) * 1024

before = high_water()
data = read_dataset(sys.argv[1]).dataset
print(high_water() - before, data.n)
"""


def main(rows: int = 1_000_000, repeats: int = 3) -> None:
    """Save random points with full 17-digit precision, then time and measure loading them back."""
    rng = np.random.default_rng(0)
    data = Dataset(rng.normal(size=rows), rng.normal(scale=1e3, size=rows), name="bench")
    numbers = rows * 2 * 8
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        start = time.perf_counter()
        save_dataset(data, path)
        size = path.stat().st_size
        print(f"save {rows:,} rows: {time.perf_counter() - start:.2f} s ({size / 1e6:.0f} MB)")
        for _ in range(repeats):
            start = time.perf_counter()
            again = load_dataset(path)
            print(f"load {rows:,} rows: {time.perf_counter() - start:.2f} s")
        assert again == data
        tracemalloc.start()
        read_dataset(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"heap peak while reading: {peak / 1e6:.1f} MB = {peak / numbers:.2f}× the {numbers / 1e6:.0f} MB of "
            f"numbers read ({peak / size:.2f}× the file)  target ≤ {TARGET:.0f}×"
        )
        if sys.platform.startswith("linux"):
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True)
            grown, n = map(int, out.stdout.split())
            assert n == rows
            print(f"resident set grown while reading: {grown / 1e6:.1f} MB = {grown / numbers:.2f}× the numbers")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    main(parser.parse_args().rows)
