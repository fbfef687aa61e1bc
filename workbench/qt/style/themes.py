"""Light and dark themes: the Qt palette, the style sheet, and every pyqtgraph plot, restyled generically.

The preference is "system", "light" or "dark".  With "system" the scheme follows
``QStyleHints.colorScheme`` and its ``colorSchemeChanged`` signal (an unknown scheme counts as light).
Plots are restyled by walking each window's ``pg.GraphicsView``s, so a plot module needs no theme code:
background, axis lines, tick and label text, grid (drawn with the axis pen), legends and titles.  A curve
whose colour would vanish on the dark background (the fit's dark blue) gets a light halo as its shadow
pen, which survives the plot later calling ``setPen`` with its own colours.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from workbench.paths import resources_dir

THEMES = ("system", "light", "dark")  # the preference; "system" follows the platform
SCHEMES = ("light", "dark")  # what is actually drawn
MIN_LINE_CONTRAST = 2.0  # a curve below this contrast with the plot background gets a halo
HALO_MIN_ALPHA = 128  # deliberately faint lines (bands, old runs) are left faint


@dataclass(frozen=True)
class PlotColours:
    """How a plot looks in one scheme (RGB tuples)."""

    background: tuple[int, int, int]
    text: tuple[int, int, int]  # tick labels, axis labels, legend, titles
    axis: tuple[int, int, int]  # axis line and ticks; the grid is this colour, made transparent
    halo: tuple[int, int, int, int] | None


PLOT_COLOURS = {
    "light": PlotColours((255, 255, 255), (0, 0, 0), (0, 0, 0), None),
    "dark": PlotColours((30, 31, 34), (222, 224, 228), (165, 170, 178), (235, 238, 242, 150)),
}

_DARK_PALETTE = {
    "Window": "#2b2d30",
    "WindowText": "#e3e5e8",
    "Base": "#1e1f22",
    "AlternateBase": "#26282b",
    "ToolTipBase": "#3b3e43",
    "ToolTipText": "#f0f2f5",
    "PlaceholderText": "#8b9099",
    "Text": "#e3e5e8",
    "Button": "#36383c",
    "ButtonText": "#e3e5e8",
    "BrightText": "#ff6b6b",
    "Light": "#4a4d52",
    "Midlight": "#3f4246",
    "Mid": "#2f3134",
    "Dark": "#1a1b1d",
    "Shadow": "#0d0d0e",
    "Highlight": "#3d7edb",
    "HighlightedText": "#ffffff",
    "Link": "#6ea8ff",
    "LinkVisited": "#b48cff",
}
_LIGHT_PALETTE = {
    "Window": "#efefef",
    "WindowText": "#000000",
    "Base": "#ffffff",
    "AlternateBase": "#f5f5f5",
    "ToolTipBase": "#ffffdc",
    "ToolTipText": "#000000",
    "PlaceholderText": "#7f7f7f",
    "Text": "#000000",
    "Button": "#efefef",
    "ButtonText": "#000000",
    "BrightText": "#ffffff",
    "Light": "#ffffff",
    "Midlight": "#cacaca",
    "Mid": "#b8b8b8",
    "Dark": "#9f9f9f",
    "Shadow": "#767676",
    "Highlight": "#308cc6",
    "HighlightedText": "#ffffff",
    "Link": "#0000ff",
    "LinkVisited": "#ff00ff",
}
_DISABLED = {"light": "#8a8a8a", "dark": "#6f747b"}


def relative_luminance(colour) -> float:
    """WCAG 2 relative luminance of an RGB colour (a QColor or a tuple of 0–255 values)."""
    c = QColor(colour) if isinstance(colour, (QColor, str)) else QColor(*colour[:3])

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(c.redF()) + 0.7152 * linear(c.greenF()) + 0.0722 * linear(c.blueF())


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (same) to 21 (black on white); text wants ≥ 4.5."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def build_palette(scheme: str) -> QPalette:
    """The application palette of ``scheme`` ("light" or "dark")."""
    palette = QPalette()
    for role, colour in (_DARK_PALETTE if scheme == "dark" else _LIGHT_PALETTE).items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    for role in ("WindowText", "Text", "ButtonText", "PlaceholderText"):
        palette.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor(_DISABLED[scheme]))
    return palette


def style_sheet(scheme: str) -> str:
    """``resources/style.qss``, plus ``style-dark.qss`` in the dark scheme (a missing file adds nothing).

    ``@RESOURCES@`` in a sheet becomes the resources folder: Qt resolves a relative ``url()`` against the
    working directory, not against the sheet.
    """
    folder = resources_dir()
    parts = [folder / "style.qss"] + ([folder / "style-dark.qss"] if scheme == "dark" else [])
    sheet = "\n".join(p.read_text(encoding="utf-8") for p in parts if p.is_file())
    return sheet.replace("@RESOURCES@", folder.as_posix())


def restyle_plots(root: QWidget, scheme: str) -> int:
    """Restyle every pyqtgraph view in ``root`` (and ``root`` itself) for ``scheme``; returns how many."""
    colours = PLOT_COLOURS[scheme]
    views = root.findChildren(pg.GraphicsView)
    if isinstance(root, pg.GraphicsView):
        views.append(root)
    for view in views:
        view.setBackground(colours.background)
        for item in view.scene().items():
            _restyle_item(item, colours)
    return len(views)


def _restyle_item(item, colours: PlotColours) -> None:
    text = QColor(*colours.text)
    if isinstance(item, pg.AxisItem):
        # (Only when they differ: each set re-renders the axis label, and a window has dozens of axes.)
        if item.pen().color() != QColor(*colours.axis):
            item.setPen(pg.mkPen(colours.axis))
        if item.textPen().color() != text:
            item.setTextPen(pg.mkPen(text))
    elif isinstance(item, pg.LegendItem):
        item.setLabelTextColor(text)
        for _sample, label in item.items:
            label.setText(label.text)
    elif isinstance(item, pg.LabelItem) and _is_theme_colour(item.opts.get("color")):
        item.setText(item.text, color=text)
    elif isinstance(item, pg.PlotDataItem):
        _set_halo(item, colours)


def _is_theme_colour(colour) -> bool:
    """True for a label colour that came from a theme (or the default), not one a plot chose."""
    if colour is None:
        return True
    rgb = pg.mkColor(colour).getRgb()[:3]
    return any(rgb == c.text for c in PLOT_COLOURS.values())


def _set_halo(item: pg.PlotDataItem, colours: PlotColours) -> None:
    """Give a curve that would vanish on the background a halo; take it away again when it would not."""
    pen = item.opts.get("pen")
    needs = False
    if colours.halo is not None and pen is not None:
        qpen = pg.mkPen(pen)
        colour = qpen.color()
        needs = (
            qpen.style() != Qt.PenStyle.NoPen
            and colour.alpha() >= HALO_MIN_ALPHA
            and contrast_ratio(colour, colours.background) < MIN_LINE_CONTRAST
        )
    if needs:
        if not hasattr(item, "_theme_shadow_pen"):
            item._theme_shadow_pen = item.opts.get("shadowPen")
        item.opts["shadowPen"] = pg.mkPen(colours.halo, width=qpen.widthF() + 3)
        item.updateItems(styleUpdate=True)
    elif hasattr(item, "_theme_shadow_pen"):
        item.opts["shadowPen"] = item.__dict__.pop("_theme_shadow_pen")
        item.updateItems(styleUpdate=True)


class ThemeManager(QObject):
    """Applies the theme preference to the whole application, and follows the system when asked to."""

    themeChanged = Signal(str)  # the scheme now in effect changed: "light" or "dark"
    preferenceChanged = Signal(str)  # the preference was set: "system", "light" or "dark"

    def __init__(self, app: QApplication):
        super().__init__(app)
        self.setObjectName("themeManager")
        self._app = app
        self._preference = "system"
        self._scheme: str | None = None
        # The windows whose plots follow the theme (``restyle`` adds each), not every top-level widget: a
        # walk over QApplication.topLevelWidgets() wraps menus, tooltips and dialogs on their way out too,
        # and crashed once in the test suite doing so.
        self._windows: weakref.WeakSet[QWidget] = weakref.WeakSet()
        hints = QGuiApplication.styleHints()
        self._system = hints.colorScheme()
        hints.colorSchemeChanged.connect(self._on_system_scheme_changed)

    @property
    def preference(self) -> str:
        """ "system", "light" or "dark"."""
        return self._preference

    @property
    def scheme(self) -> str:
        """The scheme in effect: the chosen one, or the system's (unknown counts as light)."""
        if self._preference != "system":
            return self._preference
        return "dark" if self._system == Qt.ColorScheme.Dark else "light"

    def set_preference(self, theme: str) -> None:
        """Use ``theme`` from now on (not saved: see ``set_theme``)."""
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}: choose one of {', '.join(THEMES)}")
        self._preference = theme
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "setColorScheme"):  # Qt ≥ 6.8: native styles (Windows 11, macOS) follow too
            if theme == "system":
                hints.unsetColorScheme()
            else:
                hints.setColorScheme(Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light)
        if theme == "system":
            self._system = hints.colorScheme()
        self.apply()
        self.preferenceChanged.emit(theme)

    def apply(self) -> None:
        """Palette, style sheet, pyqtgraph defaults and every open window's plots, for ``scheme``."""
        scheme = self.scheme
        colours = PLOT_COLOURS[scheme]
        pg.setConfigOptions(background=colours.background, foreground=colours.text)
        palette = build_palette(scheme)
        if self._app.palette() != palette:  # (setting it again would send every widget a palette change)
            self._app.setPalette(palette)
        sheet = style_sheet(scheme)
        if self._app.styleSheet() != sheet:
            self._app.setStyleSheet(sheet)
        for widget in list(self._windows):
            if shiboken6.isValid(widget):
                restyle_plots(widget, scheme)
        changed = scheme != self._scheme
        self._scheme = scheme
        if changed:
            self.themeChanged.emit(scheme)

    def restyle(self, widget: QWidget) -> None:
        """Restyle the plots of a window built after the theme was applied (halos need the items), and
        keep them in the theme from now on."""
        self._windows.add(widget)
        restyle_plots(widget, self.scheme)

    @Slot(Qt.ColorScheme)
    def _on_system_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        # While a scheme is chosen explicitly the signal may be our own setColorScheme echoing back.
        if self._preference == "system":
            self._system = scheme
            self.apply()


_MANAGER: ThemeManager | None = None


def theme_manager(app: QApplication | None = None) -> ThemeManager:
    """The application's one ThemeManager (created on first use)."""
    global _MANAGER
    app = app or QApplication.instance()
    if _MANAGER is None or not shiboken6.isValid(_MANAGER) or _MANAGER.parent() is not app:
        _MANAGER = ThemeManager(app)
    return _MANAGER


THEME_ACTIONS = (  # (theme, menu text, shortcut, tip, objectName)
    (
        "system",
        "Follow the &system",
        "Ctrl+T, S",
        "Light or dark as the operating system is set, switching when it does",
        "themeSystemAction",
    ),
    ("light", "&Light", "Ctrl+T, L", "Light theme: dark text and plots on white", "themeLightAction"),
    ("dark", "&Dark", "Ctrl+T, D", "Dark theme: light text and plots on a dark background", "themeDarkAction"),
)


class ThemeActionGroup(QActionGroup):
    """The three exclusive theme choices; their ticks follow the ThemeManager's preference."""

    @Slot(str)
    def sync(self, preference: str) -> None:
        """Tick the action of ``preference``."""
        for action in self.actions():
            action.setChecked(action.data() == preference)


def build_theme_menu(menu: QMenu, parent: QObject, choose) -> ThemeActionGroup:
    """A View › Theme submenu of three exclusive choices; ``choose(theme)`` is called with the one picked.

    The ticks follow the ThemeManager, so a change made in the Preferences dialog shows here too.
    """
    submenu = menu.addMenu("&Theme")
    submenu.setObjectName("themeMenu")
    group = ThemeActionGroup(parent)
    group.setExclusive(True)
    for theme, text, shortcut, tip, name in THEME_ACTIONS:
        action = QAction(text, parent, checkable=True)
        action.setObjectName(name)
        action.setData(theme)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False, t=theme: choose(t))
        group.addAction(action)
        submenu.addAction(action)
    manager = theme_manager()
    manager.preferenceChanged.connect(group.sync)  # dropped with the group when the window goes
    group.sync(manager.preference)
    return group
