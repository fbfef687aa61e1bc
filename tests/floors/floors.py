"""Print a pip constraints file that pins every dependency of pyproject.toml to its lower bound.

Each ``name>=X`` of ``[project] dependencies``, of the ``test`` extra and of ``[build-system] requires``
becomes ``name==X`` (environment markers kept), so that ``pip install -c`` this file installs the
oldest versions the project says it supports.  A requirement without a lower bound is an error: a
floor that is not written down cannot be tested.  Used by run.sh.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*)(?:;(?P<marker>.*))?$"
)
LOWER_BOUND = re.compile(r">=\s*(?P<version>[0-9][0-9A-Za-z.+!-]*)")


def floors(pyproject: Path) -> list[str]:
    """``name==floor[; marker]`` lines for every requirement of the project, its test extra and its build."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    requirements = [
        *data["build-system"]["requires"],
        *data["project"]["dependencies"],
        *data["project"].get("optional-dependencies", {}).get("test", []),
    ]
    lines = []
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        bound = LOWER_BOUND.search(match.group("spec")) if match else None
        if bound is None:
            raise SystemExit(f"no lower bound (>=) in {requirement!r}: write the oldest version the project supports")
        marker = (match.group("marker") or "").strip()
        lines.append(f"{match.group('name')}=={bound.group('version')}" + (f"; {marker}" if marker else ""))
    return lines


if __name__ == "__main__":
    print("\n".join(floors(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("pyproject.toml"))))
