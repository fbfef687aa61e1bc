"""Test-wide setup: Qt renders offscreen when there is no display, so tests run on headless CI; the long
stress variants run only when asked for."""

import os

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# What the `workbench` command does for itself before NumPy loads (workbench.cli.limit_blas_threads):
# the tests run the core as the app runs it, and parallel test workers do not fight over BLAS threads.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

STRESS_ENV = "WORKBENCH_STRESS"


def pytest_collection_modifyitems(config, items):
    """Leave out tests marked ``slow`` (the long stress variants) unless ``-m`` names the marker or
    ``WORKBENCH_STRESS=long``: plain ``python -m pytest`` (CI) runs the short variants only."""
    if os.environ.get(STRESS_ENV, "").lower() == "long" or "slow" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("slow") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("slow")])
        items[:] = kept
