"""Preferences remembered between launches: a typed wrapper over QSettings, and the window's layout.

QSettings hands back whatever the file holds (a hand-edited INI file gives strings, a file from another
version may give anything), so every read goes through a parser and a value that does not parse falls
back to its default: a corrupt preference costs a setting, never the launch.  Writes are validated the
same way and refuse a bad value with a message that says what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QApplication

from workbench.fitting.basis import MAX_DEGREE
from workbench.fitting.optimizers import OPTIMIZER_KINDS
from workbench.qt.style.look import MAX_TEXT_SIZE, MIN_TEXT_SIZE, LookManager, look_manager
from workbench.qt.style.themes import THEMES, ThemeManager, theme_manager

LAYOUT_PRESETS = ("lesson", "backprop", "mydata", "everything")  # View › Layout (window/presets.py)


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text not in options:
            raise ValueError(f"{value!r} is not one of {', '.join(options)}")
        return text

    return parse


def _whole_number(lo: int, hi: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"{value!r} is not a whole number")
        number = int(value.strip()) if isinstance(value, str) else value  # int("x") raises ValueError
        if not lo <= number <= hi:
            raise ValueError(f"{number} is outside {lo}–{hi}")
        return number

    return parse


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in ("true", "false"):
        raise ValueError(f"{value!r} is not true or false")
    return text == "true"


def _directory(value: Any) -> str:
    if not isinstance(value, str) or not value or not Path(value).is_dir():
        raise ValueError(f"{value!r} is not an existing folder")
    return value


def _bytes(value: Any) -> QByteArray:
    if isinstance(value, (bytes, bytearray)):
        value = QByteArray(bytes(value))
    if not isinstance(value, QByteArray) or value.isEmpty():
        raise ValueError("not saved window data")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


@dataclass(frozen=True)
class Preference:
    """One key: its default, and the parser that turns a stored value into a valid one (or raises)."""

    key: str
    default: Any
    parse: Callable[[Any], Any]
    label: str


PREFERENCES = {
    p.key: p
    for p in (
        Preference("theme", "system", _choice(THEMES), "Theme"),
        Preference("defaultDegree", 5, _whole_number(0, MAX_DEGREE), "Default degree"),
        Preference("defaultOptimizer", "gd", _choice(OPTIMIZER_KINDS), "Default optimiser"),
        Preference("lastDirectory", "", _directory, "Last folder"),
        Preference("window/layout", "", _text, "Window geometry and dock layout (sealed)"),
        Preference("window/preset", "lesson", _choice(LAYOUT_PRESETS), "Layout preset"),
        Preference("presentation", False, _flag, "Presentation mode"),
        Preference("textSize", 100, _whole_number(MIN_TEXT_SIZE, MAX_TEXT_SIZE), "Text size (%)"),
    )
}


class Preferences:
    """Typed, validated access to the app's QSettings (``QSettings()`` unless one is given)."""

    def __init__(self, settings: QSettings | None = None):
        self._settings = settings if settings is not None else QSettings()

    def get(self, key: str) -> Any:
        """The stored value of ``key``, or its default when it is missing or not valid."""
        pref = PREFERENCES[key]
        raw = self._settings.value(key)
        if raw is None:
            return pref.default
        try:
            return pref.parse(raw)
        except (ValueError, TypeError, OverflowError):
            return pref.default

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``; a value that is not valid raises ValueError and stores nothing."""
        pref = PREFERENCES.get(key)
        if pref is None:
            raise ValueError(f"unknown preference {key!r}: known ones are {', '.join(PREFERENCES)}")
        try:
            valid = pref.parse(value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(f"{pref.label} ({key}): {exc}. Nothing was changed.") from None
        self._settings.setValue(key, valid)

    def remove(self, key: str) -> None:
        """Forget ``key``: the next ``get`` gives its default."""
        self._settings.remove(key)

    def sync(self) -> None:
        """Write pending changes to disk now (QSettings would do it later)."""
        self._settings.sync()

    @property
    def theme(self) -> str:
        """ "system", "light" or "dark"."""
        return self.get("theme")

    @property
    def default_degree(self) -> int:
        """The polynomial degree a new document starts with."""
        return self.get("defaultDegree")

    @property
    def default_optimizer(self) -> str:
        """The optimiser a new document starts with (one of OPTIMIZER_KINDS)."""
        return self.get("defaultOptimizer")

    @property
    def last_directory(self) -> Path:
        """The folder of the last file opened or saved (home when unknown or gone)."""
        saved = self.get("lastDirectory")
        return Path(saved) if saved else Path.home()

    def remember_directory_of(self, path) -> None:
        """Remember the folder holding ``path`` for the next file dialog."""
        folder = Path(path).parent
        if folder.is_dir():
            self.set("lastDirectory", str(folder))

    @property
    def text_size(self) -> int:
        """Text size in percent of the system's font (independent of the screen's DPI)."""
        return self.get("textSize")

    @property
    def presentation(self) -> bool:
        """Presentation mode: bigger text, lines and markers, a colour-blind-safe palette."""
        return self.get("presentation")

    def document_defaults(self) -> dict[str, Any]:
        """Keyword arguments for a new ``FitDocument``: its degree and optimiser."""
        return {"degree": self.default_degree, "optimizer": self.default_optimizer}


# -- the theme, saved and applied --------------------------------------------------------------------------
def apply_saved_theme(app: QApplication | None = None) -> ThemeManager:
    """Apply the theme stored in the preferences (at start-up)."""
    manager = theme_manager(app)
    manager.set_preference(Preferences().theme)
    return manager


def set_theme(theme: str) -> None:
    """Save ``theme`` as the preference and apply it at once (ValueError, and no change, for an unknown one)."""
    Preferences().set("theme", theme)
    theme_manager().set_preference(theme)


# -- the look (text size and presentation mode), saved and applied ------------------------------------------
def apply_saved_look(app: QApplication | None = None) -> LookManager:
    """Apply the text size and presentation mode stored in the preferences (at start-up)."""
    manager = look_manager(app)
    prefs = Preferences()
    manager.set_text_size(prefs.text_size)
    manager.set_presentation(prefs.presentation)
    return manager
