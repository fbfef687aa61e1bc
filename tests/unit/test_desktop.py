"""Desktop integration files: what is shipped is valid, and what is installed starts this installation."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import workbench
from workbench import desktop
from workbench.paths import resources_dir

REPO = Path(__file__).resolve().parents[2]
SHIPPED = resources_dir() / "desktop"
ENTRY = SHIPPED / f"{desktop.APP_ID}.desktop"
METAINFO = SHIPPED / f"{desktop.APP_ID}.metainfo.xml"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def entry_values(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def test_every_shipped_file_exists_and_every_icon_has_its_size():
    for item in desktop.desktop_files(Path("/nonexistent")):
        assert item.source.is_file(), item.source
    for size in desktop.ICON_SIZES:
        assert png_size(SHIPPED / f"icon-{size}.png") == (size, size)


def test_the_entry_names_the_app_id_everywhere():
    values = entry_values(ENTRY.read_text(encoding="utf-8"))
    assert values["Icon"] == desktop.APP_ID
    assert values["Type"] == "Application" and values["Exec"].startswith("workbench ")
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == desktop.APP_ID
    assert root.find("launchable").text == ENTRY.name
    assert root.findtext("project_license") == "MIT"
    assert desktop.APP_ID.split(".")[:3] == list(reversed(desktop.ORGANIZATION_DOMAIN.split(".")))


def test_the_newest_release_everywhere_is_the_packages_version():
    newest = ET.parse(METAINFO).getroot().find("releases/release").get("version")
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    first_heading = re.search(r"^## \[([^\]]+)\]", changelog, re.MULTILINE).group(1)
    assert newest == first_heading == workbench.__version__


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is not installed")
def test_the_shipped_and_the_installed_entry_pass_desktop_file_validate(tmp_path):
    python = str(tmp_path / "my env" / 'with "quotes" and $dollar' / "python3")
    (installed,) = [p for p in desktop.install(tmp_path / "share", python=python) if p.suffix == ".desktop"]
    for path in (ENTRY, installed):
        result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and result.stdout == "", f"{path}:\n{result.stdout}{result.stderr}"


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream is not installed")
def test_the_metainfo_passes_appstreamcli_validate():
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "python, expected",
    [
        ("/usr/bin/python3", "/usr/bin/python3 -m workbench %f"),
        ("/home/a b/.venv/bin/python", '"/home/a b/.venv/bin/python" -m workbench %f'),
        ('/x/"q"/python', '"/x/\\\\"q\\\\"/python" -m workbench %f'),
        ("/x/$HOME/python", '"/x/\\\\$HOME/python" -m workbench %f'),
        ("/x/100%/python", "/x/100%%/python -m workbench %f"),
    ],
)
def test_the_exec_line_quotes_the_interpreter_as_the_desktop_entry_spec_asks(python, expected):
    assert desktop.exec_command(python) == expected


def test_install_rewrites_only_the_exec_line_and_uninstall_removes_only_ours(tmp_path):
    home = tmp_path / "share"
    written = desktop.install(home, python="/opt/wb/bin/python")
    assert sorted(written) == sorted(item.target for item in desktop.desktop_files(home))
    entry = (home / "applications" / ENTRY.name).read_text(encoding="utf-8")
    original = ENTRY.read_text(encoding="utf-8")
    assert entry_values(entry) == {**entry_values(original), "Exec": "/opt/wb/bin/python -m workbench %f"}
    assert (home / "icons/hicolor/scalable/apps" / f"{desktop.APP_ID}.svg").read_bytes() == (
        resources_dir() / "app_icon.svg"
    ).read_bytes()
    assert png_size(home / "icons/hicolor/256x256/apps" / f"{desktop.APP_ID}.png") == (256, 256)
    assert desktop.install(home, python="/opt/wb/bin/python") == written  # again: replaced, same files
    other = home / "icons/hicolor/48x48/apps/other.png"
    other.write_bytes(b"not ours")
    assert sorted(desktop.uninstall(home)) == sorted(written)
    assert other.exists() and not any(path.exists() for path in written)
    assert desktop.uninstall(home) == []


def test_data_home_honours_an_absolute_xdg_data_home_only(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert desktop.data_home() == tmp_path
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for ignored in ("relative/share", ""):
        monkeypatch.setenv("XDG_DATA_HOME", ignored)
        assert desktop.data_home() == tmp_path / "home" / ".local" / "share"
