"""Small reusable input widgets: number boxes that show any magnitude, and a log-scaled one."""

from __future__ import annotations

import math

from PySide6.QtCore import QSize
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QStyle, QStyleOptionSpinBox

from workbench.fitting import number_text
from workbench.qt.style.number_style import app_number_style

MIN_DIGITS = 3  # a squeezed box rounds to fewer digits, never fewer than this


class SciSpinBox(QDoubleSpinBox):
    """A number box that shows 1e-9 and 3e12 alike, written by the one number formatter.

    The value itself is kept unrounded.  The box asks for room for the widest text the formatter can
    write (``8.888888e-308``); squeezed narrower by its layout it rounds to the digits that fit (never
    cutting a digit or an exponent), and its tooltip always carries the full value.
    """

    def __init__(self, parent=None, *, significant: int = number_text.KNOB_DIGITS, **qt_properties):
        self._significant = significant
        self._room = 0  # pixels for the text (0: not laid out yet, every digit)
        self._style = app_number_style()
        self._base_tip = ""
        super().__init__(parent, **qt_properties)
        self.setDecimals(323)  # keep the value itself unrounded; display is by textFromValue
        self.setKeyboardTracking(False)
        self.valueChanged.connect(self._show_full_value)
        self._show_full_value(self.value())

    # -- display -----------------------------------------------------------------------------------
    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt API
        return number_text.significant(value, self.digits_for(value), self._style)

    def digits_for(self, value: float) -> int:
        """The significant digits ``value`` is shown with: all asked for, fewer only when the box is too
        narrow for them (rounded, never cut; the tooltip has every digit)."""
        digits = self._significant
        if self._room > 0:
            while digits > MIN_DIGITS and self._text_width(self._text(value, digits)) > self._room:
                digits -= 1
        return digits

    def _text(self, value: float, digits: int) -> str:
        return self.prefix() + number_text.significant(value, digits, self._style) + self.suffix()

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt API
        """The box's own tooltip; the full value is added under it."""
        self._base_tip = text
        self._show_full_value(self.value())

    def _show_full_value(self, value: float) -> None:
        full = f"value: {value!r}"
        super().setToolTip(f"{self._base_tip}\n{full}" if self._base_tip else full)

    def _text_width(self, text: str) -> int:
        return self.fontMetrics().horizontalAdvance(text + " ")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Room for the widest text the formatter writes with every digit (Qt would measure min and max)."""
        return self._widened(super().sizeHint(), number_text.widest(self._significant))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self._widened(super().minimumSizeHint(), number_text.widest(min(MIN_DIGITS, self._significant)))

    def _widened(self, hint: QSize, widest: str) -> QSize:
        """``hint`` (Qt's, measured on the texts of minimum and maximum) widened to hold ``widest``."""
        measured = max(self._text_width(self.textFromValue(v)) for v in (self.minimum(), self.maximum()))
        extra = self._text_width(self.prefix() + widest + self.suffix()) - measured
        return QSize(hint.width() + max(0, extra), hint.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        option = QStyleOptionSpinBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_SpinBox, option, QStyle.SubControl.SC_SpinBoxEditField, self
        )
        room = max(1, field.width() - 4)
        if room != self._room:
            self._room = room
            if not self.lineEdit().hasFocus():  # never rewrite what the user is typing
                self.lineEdit().setText(self.textFromValue(self.value()))

    # -- reading what is typed ------------------------------------------------------------------------
    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt API
        body = self._body(text)
        if body == number_text.significant(self.value(), self.digits_for(self.value()), self._style):
            return self.value()  # the text shown, untouched: Enter must not round the value to it
        try:
            return number_text.parse(body, self._style)
        except ValueError:
            return self.value()

    def _body(self, text: str) -> str:
        body = text.strip()
        if self.prefix() and body.startswith(self.prefix().strip()):
            body = body[len(self.prefix().strip()) :]
        if self.suffix() and body.endswith(self.suffix().strip()):
            body = body[: -len(self.suffix().strip())]
        return body.strip()

    def validate(self, text: str, pos: int):  # noqa: D102 - Qt API
        candidate = self._body(text)
        decimal = self._style.decimal
        starts = ("", "-", "+", "\u2212", ".", "-.", "+.", decimal, "-" + decimal, "+" + decimal)
        if candidate in starts or candidate.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = number_text.parse(candidate, self._style)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value):
            return QValidator.State.Invalid, text, pos
        if value < self.minimum() or value > self.maximum():
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class LogSpinBox(SciSpinBox):
    """A positive number box whose arrows multiply or divide by a fixed factor (learning rates)."""

    def __init__(
        self,
        parent=None,
        *,
        factor: float = 10**0.1,
        significant: int = number_text.LEARNING_RATE_DIGITS,
        **qt_properties,
    ):
        super().__init__(parent, significant=significant, **qt_properties)
        self._factor = factor

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt API
        value = self.value() * self._factor**steps
        self.setValue(min(max(value, self.minimum()), self.maximum()))
