"""The environment every benchmark runs in, set before anything imports NumPy or Qt: import it first.

* One BLAS thread (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` set to 1 unless the
  caller set them), as the app's and the CLI's entry points do: OpenBLAS reads them once, when NumPy loads,
  so a benchmark that imported NumPy first would measure (and compare with) a multi-threaded BLAS the app
  never has.  The compute processes inherit the same values (``worker_process.worker_environment``).
* Qt renders offscreen unless a display is set (``DISPLAY=:99`` under Xvfb measures real painting).

Set here explicitly rather than relied on from ``workbench``'s import: where the app sets them is its own
business (an entry point, not the package), and a benchmark must not change with it.
"""

from __future__ import annotations

import os
import sys

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

if "numpy" in sys.modules:  # too late: BLAS has read its thread count already
    raise RuntimeError("import bench_setup before NumPy (and before anything that imports NumPy)")
for _name in BLAS_THREAD_VARIABLES:
    os.environ.setdefault(_name, "1")
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def blas_threads() -> str:
    """What the benchmark runs with, for its header line (e.g. "BLAS threads 1")."""
    return "BLAS threads " + "/".join(sorted({os.environ.get(name, "?") for name in BLAS_THREAD_VARIABLES}))


def load_average() -> str:
    """The machine's 1-, 5- and 15-minute load averages (the benchmarks share the machine)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"
