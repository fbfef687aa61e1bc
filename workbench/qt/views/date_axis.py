"""An x axis that shows numbers, or dates when x holds decimal years read from a column of dates.

pyqtgraph's ``DateAxisItem`` places and labels ticks in seconds since 1970; our x is in decimal years
(what the polynomial is fitted in).  This axis converts the visible range to seconds, lets
``DateAxisItem`` choose the ticks (years, months, days, hours… as the zoom asks), and converts the ticks
back to decimal years, so that every tick sits exactly on its date.  Times are shown as written in the
file (UTC when the file gave zones).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from workbench.fitting.dates import dates_to_decimal_years, decimal_years_to_unix_seconds

__all__ = ["XAxis", "label_axes", "residual_label"]

_FIRST_YEAR, _LAST_YEAR = 1.0, 9999.0  # beyond these a decimal year is no date


class XAxis(pg.DateAxisItem):
    """A bottom axis showing plain numbers, or dates after ``show_dates(True)``."""

    def __init__(self, orientation: str = "bottom", **kwargs):
        super().__init__(orientation, utcOffset=0, **kwargs)
        self.dates = False
        self.enableAutoSIPrefix(True)
        self.fontMetrics = QFontMetrics(self.font())  # DateAxisItem measures labels with it (set again on paint)

    def show_dates(self, dates: bool) -> None:
        """Label the axis with dates (x in decimal years) or with numbers."""
        if dates == self.dates:
            return
        self.dates = dates
        self.enableAutoSIPrefix(not dates)
        self.picture = None
        self.update()

    def linkToView(self, view):  # noqa: N802 - pyqtgraph API
        """Link to the view without DateAxisItem's range limits (they are in seconds, and x may be numbers)."""
        self._linkToView_internal(view)

    def tickValues(self, min_val, max_val, size):  # noqa: N802 - pyqtgraph API
        """Ticks in decimal years: chosen in seconds by ``DateAxisItem`` (numbers: ``AxisItem``'s)."""
        # (tickStrings follows this choice: ``DateAxisItem`` labels only the ticks it chose itself)
        self._date_ticks = self.dates and _FIRST_YEAR <= min_val < max_val <= _LAST_YEAR
        if not self._date_ticks:
            return pg.AxisItem.tickValues(self, min_val, max_val, size)
        start, stop = decimal_years_to_unix_seconds(np.array([min_val, max_val])).tolist()
        levels = super().tickValues(start, stop, size)
        return [(spacing, _seconds_to_years(values)) for spacing, values in levels]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph API
        """Dates for date ticks (``spacing`` is then in seconds, as ``DateAxisItem`` chose it)."""
        date_ticks = getattr(self, "_date_ticks", False)
        if not date_ticks or not values or not all(_FIRST_YEAR <= v <= _LAST_YEAR for v in values):
            return pg.AxisItem.tickStrings(self, values, scale, spacing)
        if not any(spec.spacing == spacing for spec in self.zoomLevel.tickSpecs):
            return pg.AxisItem.tickStrings(self, values, scale, spacing)
        return super().tickStrings(decimal_years_to_unix_seconds(np.asarray(values)).tolist(), scale, spacing)

    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph API
        if self.dates:
            return super().generateDrawSpecs(p)  # measures its labels with the painter's font
        return pg.AxisItem.generateDrawSpecs(self, p)


def _seconds_to_years(seconds) -> list[float]:
    """Decimal years of Unix times (exact to the microsecond, as the ticks need)."""
    if not len(seconds):
        return []
    micros = np.round(np.asarray(seconds, dtype=np.float64) * 1e6).astype(np.int64)
    return dates_to_decimal_years(micros).tolist()


def label_axes(plot_item: pg.PlotItem, dataset, *, left: str | None = None, name_x: bool = True) -> None:
    """Name the axes after the dataset's columns (``left`` overrides the y label; ``name_x`` False leaves
    x unnamed, for a plot under another) and show dates on an ``XAxis`` when x holds dates."""
    axis = plot_item.getAxis("bottom")
    if isinstance(axis, XAxis):
        axis.show_dates(dataset.x_is_date)
    if name_x:
        plot_item.setLabel("bottom", dataset.x_name)
    plot_item.setLabel("left", dataset.y_name if left is None else left)


def residual_label(dataset) -> str:
    """The residual axis label: y − ŷ, with y named after its column."""
    return "y − ŷ" if dataset.y_name == "y" else f"{dataset.y_name} − ŷ"
