"""ISO 8601 dates and date-times as decimal years, the x a polynomial is fitted in, and back again.

A decimal year is the year plus the share of that year gone by: 2020-07-02T00:00 (day 183 of the 366
of 2020) is 2020.5.  The share is exact for every year length (leap years included), so the whole of a
day maps onto the same width of x within its year.  Accepted forms (RFC 3339 and the ISO 8601 extended
format): ``2020-07``, ``2020-07-02``, and ``2020-07-02T13:45``, ``…T13:45:30``, ``…T13:45:30.25``, with a
space allowed instead of ``T`` and an optional zone ``Z``, ``+02:00``, ``+0200`` or ``+02``.  A time with
a zone is converted to UTC; a time without one is taken as it is written.  Years 0001 to 9999.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "DateCell",
    "parse_date",
    "looks_like_date",
    "parse_naive_dates",
    "dates_to_decimal_years",
    "decimal_years_to_micros",
    "decimal_years_to_unix_seconds",
    "format_decimal_year",
    "parse_date_text",
]

_ISO = re.compile(
    r"(\d{4})-(\d{2})(?:-(\d{2})"
    r"(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?)?"
)
# The forms NumPy's own parser reads exactly as we do (no zone, '.' fractions of at most 6 digits):
# a whole column of them is checked with one regular expression and parsed in one call.
_TIME = r"[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"
_NAIVE = rf"\d{{4}}-\d{{2}}(?:-\d{{2}}(?:{_TIME})?)?"
_UTC = rf"\d{{4}}-\d{{2}}-\d{{2}}{_TIME}Z"
_ALL_NAIVE = re.compile(rf"{_NAIVE}(?:\n{_NAIVE})*")
_ALL_UTC = re.compile(rf"{_UTC}(?:\n{_UTC})*")
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_US_PER_DAY = 86_400_000_000
MICROSECOND = np.timedelta64(1, "us")


class DateCell:
    """What one cell holds as a date: microseconds since 1970-01-01 (UTC when it had a zone), whether it
    had a zone, or why it is no date (``micros`` None)."""

    __slots__ = ("micros", "zoned", "problem")

    def __init__(self, micros: int | None, zoned: bool = False, problem: str = ""):
        self.micros, self.zoned, self.problem = micros, zoned, problem


def looks_like_date(cell: str) -> bool:
    """True when ``cell`` has the shape of an ISO 8601 date (it may still be an impossible one)."""
    return _ISO.fullmatch(cell) is not None


def parse_date(cell: str) -> DateCell:
    """Parse one stripped cell as an ISO 8601 date or date-time (see the module docstring)."""
    m = _ISO.fullmatch(cell)
    if m is None:
        return DateCell(None, problem="not a date like 2020-07-02 or 2020-07-02T13:45:30")
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        ordinal = _dt.date(int(year), int(month), int(day or 1)).toordinal()
    except ValueError as exc:
        return DateCell(None, problem=f"not a real date ({exc})")
    h, mi, s = int(hour or 0), int(minute or 0), int(second or 0)
    if h > 23 or mi > 59 or s > 59:
        return DateCell(None, problem="not a real time of day (hours 00-23, minutes and seconds 00-59)")
    micros = (ordinal - _EPOCH_ORDINAL) * _US_PER_DAY + ((h * 60 + mi) * 60 + s) * 1_000_000
    if fraction:
        micros += round(int(fraction) * 10 ** (6 - len(fraction))) if len(fraction) <= 6 else int(fraction[:6])
    if zone and zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[-2:]) if len(zone) > 3 else 0
        if zh > 23 or zm > 59:
            return DateCell(None, problem="not a real time zone offset (at most ±23:59)")
        offset = (zh * 60 + zm) * 60_000_000
        micros -= offset if zone[0] == "+" else -offset
    return DateCell(micros, zoned=zone is not None)


def parse_naive_dates(cells: Sequence[str]) -> tuple[np.ndarray, bool] | None:
    """Microseconds since 1970 for a whole column of dates in one call, and whether they had a zone (all
    of them 'Z', UTC), or None when some cell is not of such a simple form or not a real date (then
    parse cell by cell to find out which)."""
    if not cells:
        return None
    joined = "\n".join(cells)
    utc = _ALL_UTC.fullmatch(joined) is not None
    if utc:
        joined = joined.replace("Z", "")
    elif _ALL_NAIVE.fullmatch(joined) is None:
        return None
    try:
        return np.array(joined.split("\n"), dtype="datetime64[us]").astype(np.int64), utc
    except ValueError:
        return None


def dates_to_decimal_years(micros: np.ndarray) -> np.ndarray:
    """Decimal years of instants given in microseconds since 1970-01-01."""
    t = np.asarray(micros, dtype=np.int64).astype("datetime64[us]")
    start = t.astype("datetime64[Y]")
    length = ((start + 1).astype("datetime64[us]") - start.astype("datetime64[us]")) / MICROSECOND
    return start.astype(np.int64) + 1970 + (t - start.astype("datetime64[us]")) / MICROSECOND / length


def decimal_years_to_micros(years: np.ndarray | float) -> np.ndarray:
    """Microseconds since 1970-01-01 of decimal years (the inverse of ``dates_to_decimal_years``)."""
    v = np.asarray(years, dtype=np.float64)
    whole = np.floor(v)
    start = (whole - 1970).astype(np.int64).astype("datetime64[Y]")
    start_us = start.astype("datetime64[us]")
    length = ((start + 1).astype("datetime64[us]") - start_us) / MICROSECOND
    return start_us.astype(np.int64) + np.round((v - whole) * length).astype(np.int64)


def decimal_years_to_unix_seconds(years: np.ndarray | float) -> np.ndarray:
    """Seconds since 1970-01-01 (UTC) of decimal years: the time axis a date plot draws."""
    return decimal_years_to_micros(years) / 1e6


def format_decimal_year(year: float) -> str:
    """A decimal year as the shortest ISO text that shows it to the millisecond: ``2020-07-02`` at
    midnight, else ``2020-07-02 13:45``, ``… 13:45:30`` or ``… 13:45:30.250``."""
    if not (np.isfinite(year) and 1 <= year < 10000):
        return format(year, ".10g")
    micros = int(decimal_years_to_micros(year))
    millis = (micros + 500) // 1000  # a decimal year holds an instant to ~15 µs: milliseconds are exact
    moment = _dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=millis)
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    if millis % 86_400_000:
        text += f" {moment.hour:02d}:{moment.minute:02d}"
        if millis % 60_000:
            text += f":{moment.second:02d}" + (f".{millis % 1000:03d}" if millis % 1000 else "")
    return text


def parse_date_text(text: str) -> float | None:
    """A decimal year from date text a user typed (``2020-07-02``, …), or None when it is no date."""
    cell = parse_date(text.strip())
    if cell.micros is None:
        return None
    return float(dates_to_decimal_years(np.array([cell.micros]))[0])
