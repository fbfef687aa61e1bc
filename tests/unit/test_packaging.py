"""The wheel: its name and licence metadata, the samples and resources the app finds at run time through
workbench.paths, the desktop integration files, and a build without setuptools' warnings about them."""

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
    assert "workbench/resources/icons/check.svg" in names
    assert "workbench/paths.py" in names
    # Every module of the source tree ships (a package missing from pyproject's list would install an app
    # that cannot start, while an editable install, and so the tests, would not notice).
    sources = {p.relative_to(REPO).as_posix() for p in (REPO / "workbench").rglob("*.py")}
    assert sources <= names, sorted(sources - names)
    assert "workbench/py.typed" in names

    from workbench import desktop

    for item in desktop.desktop_files():
        shipped = item.source.relative_to(REPO / "resources")
        assert f"workbench/resources/{shipped.as_posix()}" in names, shipped
    # setuptools warns when a folder of data is shipped without being listed as a package (a future
    # release would leave it out): the list in pyproject.toml must name every such folder.
    assert "absent from the `packages` configuration" not in result.stdout + result.stderr

    assert wheel.name.startswith("curve_fitter_workbench-")
    metadata = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/METADATA")
    headers = metadata.decode("utf-8").split("\n\n", 1)[0].splitlines()
    assert "Name: curve-fitter-workbench" in headers
    assert "License-Expression: MIT" in headers
    assert any(line.startswith("Classifier: Programming Language :: Python :: 3.11") for line in headers)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(n.endswith(".dist-info/entry_points.txt") for n in names)
