"""A start-up check for a Qt binding that drops references to None, the fault of PySide6 6.12.0.

PySide6 6.12.0 hands back None from ``QPainter.drawLine`` without taking a reference to it (and drops
references to True and False elsewhere).  From Python 3.12 on these objects are immortal and nothing
happens; on Python 3.11 their reference counts fall with every redraw, and the interpreter aborts
("Fatal Python error: none_dealloc: deallocating None", or bool_dealloc) once one reaches zero: a
live pyqtgraph plot with grid lines gets there after about 90 redraws.  No upstream report of it was
found.  pyproject.toml leaves that release out on Python 3.11; this check catches any other build with
the same fault (a later release, a distribution's or conda's own build) before the window opens, and
says what to install instead of letting the window abort a minute later.  Giving None more references
would not do: the references to True and False go too, and not through one call a probe could count.
``tests/gui/test_redraw_stability.py`` redraws a live plot hundreds of times to notice such a release.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import PySide6
from PySide6.QtGui import QImage, QPainter

PROBE_CALLS = 64
"""drawLine calls made by the probe; the faulty binding loses one reference to None per call."""


def none_references_lost() -> int:
    """How many references to None ``PROBE_CALLS`` calls of ``QPainter.drawLine`` lose (0 in a sound binding)."""
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        before = sys.getrefcount(None)
        for _ in range(PROBE_CALLS):
            painter.drawLine(0, 0, 3, 3)
        after = sys.getrefcount(None)
    finally:
        painter.end()
    return before - after


def binding_fault(probe: Callable[[], int] | None = None) -> str | None:
    """Why this Qt binding cannot run the window on this Python (a message for the user), or None.

    ``probe`` (default ``none_references_lost``) counts the references lost.  Other code taking or
    releasing None meanwhile moves the count by a few, so only a loss of at least half the probe's calls
    counts as the fault.
    """
    if sys.version_info >= (3, 12):
        return None
    lost = (probe or none_references_lost)()
    if lost < PROBE_CALLS // 2:
        return None
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (
        f"PySide6 {PySide6.__version__} on Python {python} drops a reference to None in every "
        f"QPainter.drawLine ({lost} of {PROBE_CALLS} calls), and the window would abort after a few dozen "
        "redraws (Fatal Python error: none_dealloc). Install a release without the fault, e.g. "
        "pip install 'PySide6-Essentials<6.12', or use Python 3.12 or later"
    )
