"""Desktop integration for one user: the menu entry, the icons and the AppStream data, at XDG paths.

``workbench --install-desktop`` copies the files shipped in ``workbench.resources.desktop`` under
``$XDG_DATA_HOME`` (default ``~/.local/share``): ``applications/APP_ID.desktop``, the hicolor icons
(``icons/hicolor/NxN/apps/APP_ID.png`` and ``scalable/apps/APP_ID.svg``) and
``metainfo/APP_ID.metainfo.xml``.  The entry's ``Exec`` line names the Python that ran the install
(``python -m workbench``), so the menu starts this very installation even when its ``workbench``
command is not on the desktop session's PATH (a virtual environment, say).  ``--uninstall-desktop``
removes exactly those files again.  No Qt here: this runs before, and without, any window.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from workbench.fitting.atomic import atomic_write_bytes
from workbench.paths import resources_dir

APP_ID = "io.github.curvefitter.Workbench"
"""Reverse-DNS application id: the desktop file's name, the icon's name, Qt's desktopFileName."""

ORGANIZATION_DOMAIN = "curvefitter.github.io"
"""The domain APP_ID is derived from (Qt's organizationDomain)."""

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
"""The PNG sizes shipped (``resources/desktop/icon-N.png``, made by ``resources/desktop/make_icons.py``)."""

_EXEC_LINE = re.compile(r"^Exec=.*$", re.MULTILINE)
_EXEC_RESERVED = re.compile(r'(["`$\\])')


@dataclass(frozen=True)
class DesktopFile:
    """One file of the integration: where it comes from in the package and where it goes for the user."""

    source: Path
    target: Path


def data_home() -> Path:
    """``$XDG_DATA_HOME`` if set to an absolute path (the spec ignores a relative one), else ~/.local/share."""
    value = os.environ.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def desktop_files(home: Path | None = None) -> list[DesktopFile]:
    """Every file the integration installs, with its target under ``home`` (default ``data_home()``)."""
    home = data_home() if home is None else Path(home)
    shipped = resources_dir() / "desktop"
    hicolor = home / "icons" / "hicolor"
    files = [
        DesktopFile(shipped / f"{APP_ID}.desktop", home / "applications" / f"{APP_ID}.desktop"),
        DesktopFile(shipped / f"{APP_ID}.metainfo.xml", home / "metainfo" / f"{APP_ID}.metainfo.xml"),
        DesktopFile(resources_dir() / "app_icon.svg", hicolor / "scalable" / "apps" / f"{APP_ID}.svg"),
    ]
    files += [
        DesktopFile(shipped / f"icon-{size}.png", hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png")
        for size in ICON_SIZES
    ]
    return files


def exec_command(python: str | None = None) -> str:
    """The desktop entry's command: this Python running ``-m workbench`` on the file it is given (%f)."""
    return f"{_quoted(python or sys.executable)} -m workbench %f"


def _quoted(argument: str) -> str:
    """One Exec argument, quoted as the Desktop Entry spec asks when it holds a space or a reserved character.

    Inside double quotes ``"``, backquote, ``$`` and backslash take a backslash; a ``%`` is doubled either
    way.  The desktop file itself then escapes each backslash once more (it is a string value).
    """
    argument = argument.replace("%", "%%")
    if re.search(r"""[\s"'\\><~|&;$*?#()`]""", argument):
        argument = '"' + _EXEC_RESERVED.sub(r"\\\1", argument) + '"'
    return argument.replace("\\", "\\\\")


def install(home: Path | None = None, python: str | None = None) -> list[Path]:
    """Copy the entry, the icons and the AppStream data for the user; returns the files written.

    The entry's Exec line is rewritten to ``exec_command(python)``.  Existing files of ours are
    replaced atomically: none is ever left half-written.
    """
    written = []
    for item in desktop_files(home):
        data = item.source.read_bytes()
        if item.target.suffix == ".desktop":
            text = data.decode("utf-8")
            text = _EXEC_LINE.sub(lambda _m: "Exec=" + exec_command(python), text, count=1)
            data = text.encode("utf-8")
        item.target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(item.target, data)
        written.append(item.target)
    return written


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove the files ``install`` writes (only those); returns the ones that were there."""
    removed = []
    for item in desktop_files(home):
        try:
            item.target.unlink()
        except FileNotFoundError:
            continue
        removed.append(item.target)
    return removed
