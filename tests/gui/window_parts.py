"""The window's parts found by objectName (the tests' contract with the window), and the numbers it shows
checked by plain NumPy rather than by the engine that produced them."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget


def find(window, name: str) -> QWidget:
    """The widget with this objectName."""
    widget = window.findChild(QWidget, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


def action(window, name: str) -> QAction:
    """The action (menu entry, shortcut) with this objectName."""
    found = window.findChild(QAction, name)
    assert found is not None, f"no action named {name!r}"
    return found


def loss_on_label(window) -> float:
    """The number shown by lossLabel ("loss 0.123456")."""
    text = find(window, "lossLabel").text()
    assert text.startswith("loss "), text
    return float(text.split()[-1])


def numpy_mse(window, theta=None) -> float:
    """MSE of the monomial polynomial ``theta`` (the document's knobs by default) on the window's points."""
    assert window.document.state.basis.kind == "monomial"
    data = window.document.dataset
    theta = window.document.theta if theta is None else theta
    return float(np.mean((np.vander(data.x, len(theta), increasing=True) @ theta - data.y) ** 2))


def record_notices(window) -> list[tuple[str, str]]:
    """A list that collects every notice the window's controller gives from now on, as (level, text)."""
    seen: list[tuple[str, str]] = []
    window.controller.notice.connect(lambda level, text: seen.append((level, text)))
    return seen
