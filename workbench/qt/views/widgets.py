"""Small reusable input widgets: number boxes that show any magnitude, and a log-scaled one."""

from __future__ import annotations

import math

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox


class SciSpinBox(QDoubleSpinBox):
    """A number box that shows 1e-9 and 3e12 alike (``%g`` display, full-precision value)."""

    def __init__(self, parent=None, *, significant: int = 7, **qt_properties):
        super().__init__(parent, **qt_properties)
        self._significant = significant
        self.setDecimals(323)  # keep the value itself unrounded; display is by textFromValue
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt API
        return f"{value:.{self._significant}g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt API
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # noqa: D102 - Qt API
        candidate = text.strip().replace(",", ".")
        if candidate in ("", "-", "+", ".", "-.", "+.") or candidate.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(candidate)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value):
            return QValidator.State.Invalid, text, pos
        if value < self.minimum() or value > self.maximum():
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class LogSpinBox(SciSpinBox):
    """A positive number box whose arrows multiply or divide by a fixed factor (learning rates)."""

    def __init__(self, parent=None, *, factor: float = 10**0.1, significant: int = 3, **qt_properties):
        super().__init__(parent, significant=significant, **qt_properties)
        self._factor = factor

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt API
        value = self.value() * self._factor**steps
        self.setValue(min(max(value, self.minimum()), self.maximum()))
