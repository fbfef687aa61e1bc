"""The window's way of writing numbers: the core's formatter (``workbench.fitting.number_text``) with the
decimal and thousands separators of the user's locale (Qt's ``QLocale``), so that the core stays Qt-free."""

from __future__ import annotations

from PySide6.QtCore import QLocale

from workbench.fitting.number_text import Numbers, NumberStyle

__all__ = ["app_number_style", "app_numbers"]


def app_number_style(locale: QLocale | None = None) -> NumberStyle:
    """The separators of ``locale`` (default: the application's) as a ``NumberStyle``.

    Counts are always grouped (``10,000``), even in the C locale, whose default omits the separator:
    a count of points or steps is read at a glance, and one way of writing counts is the convention.
    """
    locale = QLocale() if locale is None else locale
    decimal = locale.decimalPoint() or "."
    group = locale.groupSeparator() or ","
    if group == decimal:  # no locale does this, but a count must never read as a decimal
        group = "." if decimal == "," else ","
    return NumberStyle(decimal=decimal, group=group, minus=locale.negativeSign() or "-")


def app_numbers() -> Numbers:
    """The one number formatter with the application locale's separators: ``app_numbers().loss(x)``."""
    return Numbers(app_number_style())
