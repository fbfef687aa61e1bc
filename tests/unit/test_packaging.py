"""The wheel carries the samples and resources the app finds at run time through workbench.paths."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Build from a clean copy: a stale build/ folder in the checkout would otherwise leak old files into
# the wheel (setuptools reuses build/lib), and the checkout stays free of build/ and *.egg-info.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", ".venv", "*.pyc"
)


def test_wheel_contains_samples_and_resources(tmp_path):
    source, out = tmp_path / "src", tmp_path / "dist"
    shutil.copytree(REPO, source, ignore=_NOT_SOURCES)
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "-o", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"wheel build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    (wheel,) = out.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    assert "workbench/samples/noisy_sine.csv" in names
    shipped = {
        n.removeprefix("workbench/samples/") for n in names if n.startswith("workbench/samples/") and n.endswith(".csv")
    }
    assert shipped == {p.name for p in (REPO / "samples").glob("*.csv")}
    assert "workbench/resources/app_icon.svg" in names
    assert "workbench/resources/style.qss" in names
    assert "workbench/paths.py" in names
