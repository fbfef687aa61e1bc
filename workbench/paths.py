"""Where the shipped data lives: samples/ and resources/ travel inside the wheel as sub-packages."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _package_dir(name: str) -> Path:
    """Return the directory of a data sub-package, whether installed as a wheel or in editable mode."""
    return Path(str(resources.files(f"workbench.{name}")))


def samples_dir() -> Path:
    """Directory holding the sample CSV datasets listed in File > Samples."""
    return _package_dir("samples")


def resources_dir() -> Path:
    """Directory holding icons and style sheets."""
    return _package_dir("resources")


def sample_paths() -> list[Path]:
    """All shipped sample datasets, sorted by file name (the menu order)."""
    return sorted(samples_dir().glob("*.csv"))


def default_sample() -> Path:
    """The dataset the app opens with when no file is given."""
    return samples_dir() / "noisy_sine.csv"
