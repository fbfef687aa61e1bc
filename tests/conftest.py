"""Test-wide setup: Qt renders offscreen when there is no display, so tests run on headless CI."""

import os

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
