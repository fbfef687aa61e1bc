"""The version, kept in one place: ``[project] version`` in pyproject.toml, read back from the metadata
the installer wrote (or from pyproject.toml itself when the package runs from a source tree)."""

from __future__ import annotations

DISTRIBUTION = "curve-fitter-workbench"
"""The name on the package index (the import package is ``workbench``)."""

UNKNOWN = "0+unknown"
"""What a copy with neither metadata nor pyproject.toml beside it reports (a valid PEP 440 version)."""


def read_version() -> str:
    """The installed distribution's version, else the version in the source tree's pyproject.toml."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return source_tree_version()


def source_tree_version() -> str:
    """``[project] version`` of the pyproject.toml beside the package, if it is ours; else ``UNKNOWN``."""
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        if project["name"] == DISTRIBUTION:
            return str(project["version"])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        pass
    return UNKNOWN
