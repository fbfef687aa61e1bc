"""Shared set-up for the pytest-qt tests of the real windows (``qtbot`` comes from pytest-qt)."""

from __future__ import annotations

import pytest

# Qt's offscreen platform plugin (headless CI) warns whenever a top-level window with size limits is
# shown; it says nothing about our code, and qt_log_level_fail would otherwise fail every such test.
OFFSCREEN_NOISE = r"^This plugin does not support propagateSizeHints\(\)$"


def pytest_collection_modifyitems(items):
    """Ignore the offscreen plugin's noise in every GUI test that does not set its own qt_log_ignore."""
    for item in items:
        if "tests/gui/" in item.nodeid.replace("\\", "/") and item.get_closest_marker("qt_log_ignore") is None:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
