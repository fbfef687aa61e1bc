"""The repository's text files carry no leftovers of a merge (conflict markers), which no linter sees in
Markdown, TOML or data files."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".json", ".csv", ".desktop", ".xml", ".sh", ".qss"}


def test_no_file_holds_a_merge_conflict_marker():
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in {"build", "dist", "__pycache__"} for part in parts):
            continue
        if not (path.is_file() and path.suffix in TEXT_SUFFIXES and path.stat().st_size < 5_000_000):
            continue
        if MARKER.search(path.read_text(encoding="utf-8", errors="replace")):
            found.append(str(path.relative_to(ROOT)))
    assert found == []
