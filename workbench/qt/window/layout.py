"""The window's dock layout and geometry: remembered between launches and in sessions, and never able to
crash the window.

``QMainWindow.restoreState`` trusts its bytes: one changed byte in a saved layout can crash the process inside
Qt.  So a layout is *sealed* when saved (its bytes with a keyed hash, the Qt version, our layout version and
the set of docks) and restored only when the seal holds: the bytes are exactly the ones Qt wrote, on a Qt and
a window that lay docks out the same way.  The hash is an HMAC-SHA-256 with a secret kept in this user's
settings (``KEY_SETTING``), not a plain hash: anyone can recompute a plain hash over damaged bytes (a forged
or carelessly "repaired" file), and Qt would then be handed them.  Anything else (damaged, hand-edited, from
another version, another user or computer, or from before layouts were sealed) is ignored, and the caller
says so: a layout is a convenience, never a reason to refuse a session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import struct

from PySide6.QtCore import QByteArray, QSettings, qVersion
from PySide6.QtWidgets import QDockWidget, QMainWindow

from workbench.qt.app_state.preferences import Preferences

LAYOUT_VERSION = 3  # bump when the docks change their meaning (a saved layout then no longer applies)
_STATE_MARKER = 0xFF  # QMainWindow::saveState begins with this marker, then the version it was given
_GEOMETRY_MAGIC = 0x1D9D0CB  # QWidget::saveGeometry begins with this magic number
PREFERENCE = "window/layout"  # where the layout of the last window closed is remembered (sealed JSON)
KEY_SETTING = "window/layoutKey"  # this user's secret that seals layouts (64 hex digits)


def dock_names(window: QMainWindow) -> str:
    """The sorted objectNames of the window's docks: a saved layout only fits the same set."""
    return ",".join(sorted(d.objectName() for d in window.findChildren(QDockWidget)))


def _qt_version() -> str:
    return ".".join(qVersion().split(".")[:2])


def seal(window: QMainWindow) -> dict:
    """The window's layout and geometry, sealed (plain JSON values)."""
    state = bytes(window.saveState(LAYOUT_VERSION).data())
    geometry = bytes(window.saveGeometry().data())
    return {
        "state": base64.b64encode(state).decode("ascii"),
        "geometry": base64.b64encode(geometry).decode("ascii"),
        "hmac_sha256": _digest(state, geometry),
        "qt": _qt_version(),
        "layout_version": LAYOUT_VERSION,
        "docks": dock_names(window),
    }


def unseal(sealed: object, window: QMainWindow) -> tuple[QByteArray | None, QByteArray | None, str]:
    """(state, geometry, why not) of a sealed layout: both None and the reason when it must not be restored."""
    if not isinstance(sealed, dict):
        return None, None, "the saved window layout is not in a form this version reads"
    try:
        state = base64.b64decode(str(sealed["state"]).encode("ascii"), validate=True)
        geometry = base64.b64decode(str(sealed["geometry"]).encode("ascii"), validate=True)
    except (KeyError, binascii.Error, UnicodeEncodeError, ValueError):
        return None, None, "the saved window layout is damaged"
    mac = sealed.get("hmac_sha256")
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _digest(state, geometry)):
        return None, None, "the saved window layout is damaged, or was saved by another user or computer"
    if not _well_formed(state, geometry):
        return None, None, "the saved window layout is damaged"
    if sealed.get("qt") != _qt_version() or sealed.get("layout_version") != LAYOUT_VERSION:
        return None, None, "the saved window layout comes from another version of the app or of Qt"
    if sealed.get("docks") != dock_names(window):
        return None, None, "the saved window layout has other panels than this window"
    return QByteArray(state), QByteArray(geometry), ""


def restore(sealed: object, window: QMainWindow) -> str:
    """Restore a sealed layout; returns why it was not (empty when it was)."""
    state, geometry, why = unseal(sealed, window)
    if state is None:
        return why
    window.restoreGeometry(geometry)
    if not window.restoreState(state, LAYOUT_VERSION):
        return "Qt did not accept the saved window layout"
    return ""


def _digest(state: bytes, geometry: bytes) -> str:
    return hmac.new(_key(), struct.pack(">I", len(state)) + state + geometry, hashlib.sha256).hexdigest()


def _key() -> bytes:
    """This user's secret for sealing layouts, made on first use (read each time: a test or a second app may
    have its own settings)."""
    settings = QSettings()
    stored = settings.value(KEY_SETTING)
    if isinstance(stored, str) and re.fullmatch(r"[0-9a-f]{64}", stored):
        return bytes.fromhex(stored)
    key = secrets.token_hex(32)
    settings.setValue(KEY_SETTING, key)
    settings.sync()
    return bytes.fromhex(key)


def _well_formed(state: bytes, geometry: bytes) -> bool:
    """The headers Qt writes: the state's marker and our version, the geometry's magic number."""
    if len(state) < 8 or len(geometry) < 4:
        return False
    marker, version = struct.unpack(">ii", state[:8])
    (magic,) = struct.unpack(">I", geometry[:4])
    return marker == _STATE_MARKER and version == LAYOUT_VERSION and magic == _GEOMETRY_MAGIC


# -- between launches ---------------------------------------------------------------------------------------
def restore_window_layout(window: QMainWindow, prefs: Preferences | None = None) -> bool:
    """Put the window back as it was left; True when a saved dock layout was applied.

    Call once, after the docks exist and a layout preset has placed them (what stays when nothing applies).
    """
    prefs = prefs or Preferences()
    text = prefs.get(PREFERENCE)
    if not text:
        return False
    try:
        sealed = json.loads(text)
    except (ValueError, RecursionError):  # a damaged settings file: the layout as built
        return False
    return not restore(sealed, window)


def save_window_layout(window: QMainWindow, prefs: Preferences | None = None) -> None:
    """Remember the window's geometry and dock layout (only for a window that is on screen)."""
    if not window.isVisible():
        return
    prefs = prefs or Preferences()
    prefs.set(PREFERENCE, json.dumps(seal(window)))
    prefs.sync()
