"""Print how long load_dataset takes on a 10^6-row CSV: `python tests/benchmarks/bench_data_load.py`."""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: one BLAS thread, as the app has, before anything loads NumPy

# isort: split
import tempfile
import time
from pathlib import Path

import numpy as np

from workbench.fitting.data import Dataset, load_dataset, save_dataset


def main(rows: int = 1_000_000, repeats: int = 3) -> None:
    """Save random points with full 17-digit precision, then time loading them back."""
    rng = np.random.default_rng(0)
    data = Dataset(rng.normal(size=rows), rng.normal(scale=1e3, size=rows), name="bench")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        start = time.perf_counter()
        save_dataset(data, path)
        print(f"save {rows:,} rows: {time.perf_counter() - start:.2f} s ({path.stat().st_size / 1e6:.0f} MB)")
        for _ in range(repeats):
            start = time.perf_counter()
            again = load_dataset(path)
            print(f"load {rows:,} rows: {time.perf_counter() - start:.2f} s")
        assert again == data


if __name__ == "__main__":
    main()
