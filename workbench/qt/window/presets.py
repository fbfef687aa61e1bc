"""Layout presets (View › Layout): where the docks go for a lesson, for backprop, for the user's data, or all.

A preset places every dock: the ones it is about in front, the others as tabs behind them, one click away.
Tab groups are kept small so that their titles fit whole on a 1280×720 projector, in presentation mode
too.  Applying a preset is done from scratch (every dock taken out and put back), so it always works,
whatever state the window was in: ``reset`` is the current preset applied again, with the remembered
layout forgotten.  The last preset used is a preference, and a session keeps the one it was saved in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QScrollArea, QTabBar

from workbench.qt.app_state.preferences import Preferences
from workbench.qt.window.layout import PREFERENCE as LAYOUT_PREFERENCE

if TYPE_CHECKING:
    from .main_window import MainWindow

LEFT, RIGHT, BOTTOM = (
    Qt.DockWidgetArea.LeftDockWidgetArea,
    Qt.DockWidgetArea.RightDockWidgetArea,
    Qt.DockWidgetArea.BottomDockWidgetArea,
)
PRESET_PREFERENCE = "window/preset"
TALL_WINDOW = 900  # from this height the Lesson has room for the comparison under the knobs
REGROW_DELAY_MS = 200


@dataclass(frozen=True)
class Group:
    """Docks tabbed together, the first in front; ``share``: its part of the area's length (0: what its
    front panel asks for, the rest going to the others)."""

    docks: tuple[str, ...]
    share: float = 1.0
    below: tuple[str, ...] = ()  # docks stacked under this group (across a row: a second row), tabbed together

    def all_docks(self) -> tuple[str, ...]:
        """Every dock of the group, those stacked below included."""
        return self.docks + self.below


@dataclass(frozen=True)
class Preset:
    """Where every dock goes, how big the areas are (fractions of the window) and what the plot shows."""

    key: str
    text: str
    tip: str
    shortcut: str
    left: tuple[Group, ...] = ()
    right: tuple[Group, ...] = ()
    bottom: tuple[Group, ...] = ()
    left_width: float = 0.0
    right_width: float = 0.0
    bottom_height: float = 0.0
    bottom_spans_left: bool = True  # the bottom row runs under the left area too (else the left runs down)
    residuals: bool = False  # the residual plot under the fit plot
    tall_right: tuple[Group, ...] = ()  # in a window at least TALL_WINDOW high: the right area …
    tall_bottom: tuple[Group, ...] = ()  # … and the bottom row, using the room a short window lacks

    def fitted(self, height: int) -> Preset:
        """This preset as laid out in a window ``height`` pixels high."""
        if self.tall_right and height >= TALL_WINDOW:
            return replace(self, right=self.tall_right, bottom=self.tall_bottom or self.bottom)
        return self

    def groups(self):
        """(area, orientation of the area's groups, groups) for each area."""
        vertical, horizontal = Qt.Orientation.Vertical, Qt.Orientation.Horizontal
        return ((LEFT, vertical, self.left), (RIGHT, vertical, self.right), (BOTTOM, horizontal, self.bottom))

    def placed(self) -> list[str]:
        """Every dock this preset places."""
        return [key for _area, _o, groups in self.groups() for group in groups for key in group.all_docks()]


# Chords on Ctrl+D (the docks): Ctrl+L alone is Run › Use a stable learning rate.
PRESETS = {
    p.key: p
    for p in (
        Preset(
            "lesson",
            "&Lesson",
            "The story of a lesson: the fit, the knobs with their gradients and the run buttons, the loss "
            "history and the loss surface; every other panel a tab behind them",
            "Ctrl+D, L",
            right=(Group(("knobs", "model", "data", "history")),),
            bottom=(
                Group(("loss", "compare", "race", "report"), 0.5),
                Group(("surface", "graph", "lab", "gradcheck"), 0.5),
            ),
            right_width=0.29,
            bottom_height=0.42,
            tall_right=(Group(("knobs", "model", "data", "history"), 0.0), Group(("compare", "race", "report"))),
            tall_bottom=(Group(("loss",), 0.5), Group(("surface", "graph", "lab", "gradcheck"), 0.5)),
        ),
        Preset(
            "backprop",
            "&Backprop",
            "The computational graph large, beside the knobs, with the gradient check and the fit above",
            "Ctrl+D, B",
            right=(Group(("knobs", "model", "data", "history")),),
            bottom=(
                Group(("graph", "gradcheck", "lab", "race", "report"), 0.68),
                Group(("loss", "surface", "compare"), 0.32),
            ),
            right_width=0.29,
            bottom_height=0.56,
        ),
        Preset(
            "mydata",
            "&My data",
            "Your data: the table, the fit report, the fit with its residuals; the knobs and model a tab away",
            "Ctrl+D, M",
            left=(Group(("data", "history", "compare")),),
            # The bottom row is only as wide as the fit: four short tab titles, even at presentation size.
            right=(Group(("report", "knobs", "model", "race", "gradcheck")),),
            bottom=(Group(("loss", "surface", "graph", "lab")),),
            left_width=0.24,
            right_width=0.3,
            bottom_height=0.26,
            bottom_spans_left=False,
            residuals=True,
        ),
        Preset(
            "everything",
            "&Everything",
            "Every panel in view at once, for a big screen (1920×1080 and up): data and history, model and "
            "knobs, and two rows of plots and tools under the fit",
            "Ctrl+D, E",
            left=(Group(("data",), 0.7), Group(("history",), 0.3)),
            right=(Group(("model",), 0.0), Group(("knobs",))),
            bottom=(
                Group(("loss",), 0.25, below=("graph",)),
                Group(("surface",), 0.25, below=("lab",)),
                Group(("compare",), 0.25, below=("race",)),
                Group(("report",), 0.25, below=("gradcheck",)),
            ),
            left_width=0.16,
            right_width=0.22,
            bottom_height=0.46,
            residuals=True,
        ),
    )
}
DEFAULT_PRESET = "lesson"


def saved_preset(prefs: Preferences | None = None) -> str:
    """The preset used last (the Lesson when none was, or the stored name is not one)."""
    return (prefs or Preferences()).get(PRESET_PREFERENCE)


def arrange(window: MainWindow, preset: Preset) -> None:
    """Put every dock of ``window`` where ``preset`` says, from scratch, and size the areas."""
    preset = preset.fitted(window.height())
    docks = window.docks
    for dock in docks.values():
        dock.setFloating(False)
        window.removeDockWidget(dock)
    window.setCorner(Qt.Corner.BottomLeftCorner, BOTTOM if preset.bottom_spans_left else LEFT)
    window.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
    for area, orientation, groups in preset.groups():
        for group in groups:
            front = docks[group.docks[0]]
            window.addDockWidget(area, front, orientation)
            front.show()
            for key in group.docks[1:]:
                window.tabifyDockWidget(front, docks[key])
                docks[key].show()
        across = Qt.Orientation.Vertical if orientation == Qt.Orientation.Horizontal else Qt.Orientation.Horizontal
        for group in (g for g in groups if g.below):  # once the row is whole: each group's slot splits in two
            under = docks[group.below[0]]
            window.splitDockWidget(docks[group.docks[0]], under, across)
            under.show()
            for key in group.below[1:]:
                window.tabifyDockWidget(under, docks[key])
                docks[key].show()
    for key in [key for key in docks if key not in preset.placed()]:  # (none today: every preset places all)
        docks[key].hide()
    for _area, _o, groups in preset.groups():
        for group in groups:
            for front in (group.docks[0], *group.below[:1]):
                docks[front].raise_()
    window.residuals_action.setChecked(preset.residuals)
    size_areas(window, preset)


def size_areas(window: MainWindow, preset: Preset) -> None:
    """Give the areas of ``preset`` their share of the window (never less than their content asks)."""
    preset = preset.fitted(window.height())
    docks, width, height = window.docks, window.width(), window.height()
    horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
    for groups, share in ((preset.left, preset.left_width), (preset.right, preset.right_width)):
        if groups:
            fronts = [docks[g.docks[0]] for g in groups]
            wanted = max([round(share * width)] + [_hint(docks, g).width() for g in groups])
            window.resizeDocks(fronts, [wanted] * len(fronts), horizontal)
            if len(groups) > 1:
                window.resizeDocks(fronts, _lengths(docks, groups, height, vertical), vertical)
    if preset.bottom:
        fronts = [docks[g.docks[0]] for g in preset.bottom]
        bottom = round(preset.bottom_height * height)
        window.resizeDocks(fronts, [bottom] * len(fronts), vertical)
        for group in (g for g in preset.bottom if g.below):  # two rows: half each
            window.resizeDocks([docks[group.docks[0]], docks[group.below[0]]], [bottom // 2] * 2, vertical)
        room = width - sum(
            round(s * width) for gs, s in ((preset.left, preset.left_width), (preset.right, preset.right_width)) if gs
        )
        window.resizeDocks(fronts, _lengths(docks, preset.bottom, room, horizontal), horizontal)


def _lengths(docks: dict[str, QDockWidget], groups: tuple[Group, ...], room: int, orientation) -> list[int]:
    """Each group's length along ``orientation``: its share of ``room``, or (share 0) what it asks for."""
    asked = {
        g: (_hint(docks, g).height() if orientation == Qt.Orientation.Vertical else _hint(docks, g).width())
        for g in groups
        if g.share == 0
    }
    rest = max(0, room - sum(asked.values()))
    total = sum(g.share for g in groups) or 1.0
    return [asked[g] if g in asked else round(g.share / total * rest) for g in groups]


def _hint(docks: dict[str, QDockWidget], group: Group) -> QSize:
    """What the front dock of ``group`` asks for: its panel's size hint (the whole panel, when it scrolls)."""
    dock = docks[group.docks[0]]
    widget = dock.widget()
    if isinstance(widget, QScrollArea) and widget.widget() is not None:
        frame = 2 * widget.frameWidth()
        return widget.widget().sizeHint() + QSize(frame, frame)
    return widget.sizeHint() if widget is not None else dock.sizeHint()


class LayoutPresets(QObject):
    """View › Layout: one checkable action per preset, and Reset layout; knows which preset is in effect."""

    presetChanged = Signal(str)  # the preset now in effect

    def __init__(self, window: MainWindow, prefs: Preferences | None = None):
        super().__init__(window)
        self.setObjectName("layoutPresets")
        self._window = window
        self._prefs = prefs or Preferences()
        self._current = saved_preset(self._prefs)
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        for preset in PRESETS.values():
            action = QAction(preset.text, self, checkable=True)
            action.setObjectName(f"{preset.key}PresetAction")
            action.setData(preset.key)
            action.setShortcut(QKeySequence(preset.shortcut))
            action.setToolTip(f"{preset.tip} ({preset.shortcut})")
            action.setStatusTip(preset.tip)
            action.triggered.connect(lambda _checked=False, key=preset.key: self.apply(key))
            self.group.addAction(action)
            self.actions[preset.key] = action
        self.reset_action = QAction("&Reset layout", self)
        self.reset_action.setObjectName("resetLayoutAction")
        self.reset_action.setShortcut(QKeySequence("Ctrl+D, R"))
        tip = "Put every panel back where the current layout preset places it, and forget the remembered layout"
        self.reset_action.setToolTip(f"{tip} (Ctrl+D, R)")
        self.reset_action.setStatusTip(tip)
        self.reset_action.triggered.connect(lambda _checked=False: self.reset())
        self._show_current()
        # A group sized to what its panel asks (share 0) grows again when the panel asks for more: the knobs'
        # formula wrapping onto a second line after a run, bigger text.  Checked a few times a second at most.
        self._regrow_timer = QTimer(self, singleShot=True, interval=REGROW_DELAY_MS)
        self._regrow_timer.timeout.connect(self.regrow)
        self._regrown: dict[tuple[Group, ...], dict[str, int]] = {}
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LayoutRequest and not self._regrow_timer.isActive():
            self._regrow_timer.start()
        return False

    def regrow(self) -> None:
        """Give each share-0 group of a side area the height its panel asks for, where it has less."""
        window = self._window
        if not window.isVisible():
            return
        docks, preset = window.docks, PRESETS[self._current].fitted(window.height())
        for groups in (preset.left, preset.right):  # (stacked groups: the bottom row's are side by side)
            short = {
                g.docks[0]: _hint(docks, g).height()
                for g in groups
                if g.share == 0
                and docks[g.docks[0]].isVisible()
                and _hint(docks, g).height() > docks[g.docks[0]].widget().height()
            }
            if short and short != self._regrown.get(groups):  # (once per new ask: the room may be too small)
                self._regrown[groups] = short
                fronts = [docks[g.docks[0]] for g in groups]
                # The area keeps its height: what the short groups gain, the others give, in proportion.
                now = [dock.height() for dock in fronts]
                title = [dock.height() - dock.widget().height() for dock in fronts]
                wanted = [short[g.docks[0]] + t if g.docks[0] in short else h for g, h, t in zip(groups, now, title)]
                give = sum(wanted) - sum(now)
                others = sum(h for g, h in zip(groups, now) if g.docks[0] not in short) or 1
                lengths = [w if g.docks[0] in short else round(w - give * w / others) for g, w in zip(groups, wanted)]
                window.resizeDocks(fronts, lengths, Qt.Orientation.Vertical)

    @property
    def current(self) -> str:
        """The key of the preset in effect (or last applied)."""
        return self._current

    def add_menu(self, menu: QMenu) -> QMenu:
        """A Layout submenu of ``menu``: the presets, then Reset layout."""
        submenu = menu.addMenu("&Layout")
        submenu.setObjectName("layoutMenu")
        submenu.setToolTipsVisible(True)
        submenu.addActions(self.group.actions())
        submenu.addSeparator()
        submenu.addAction(self.reset_action)
        return submenu

    def apply(self, key: str) -> None:
        """Lay the window out as preset ``key`` says, and remember it as the last one used."""
        preset = PRESETS[key]
        arrange(self._window, preset)
        if not self._window.isVisible():  # sized again once shown: the areas' shares need the real size
            QTimer.singleShot(0, self._window, lambda: size_areas(self._window, preset))
        self.mark(key)

    def mark(self, key: str) -> None:
        """Say that preset ``key`` is in effect (a layout restored from a session that used it)."""
        if key not in PRESETS:
            return
        changed = key != self._current
        self._current = key
        self._prefs.set(PRESET_PREFERENCE, key)
        self._show_current()
        if changed:
            self.presetChanged.emit(key)

    def reset(self) -> None:
        """The current preset from scratch, and the remembered layout forgotten (works from any state)."""
        self._prefs.remove(LAYOUT_PREFERENCE)
        self.apply(self._current)

    def _show_current(self) -> None:
        for key, action in self.actions.items():
            action.setChecked(key == self._current)


class _TabTitleKeeper(QObject):
    """Sets every dock tab bar of a window, including the ones Qt makes later, never to elide a title."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self._window = window
        # Qt adds a tab bar half-built (not yet a QTabBar when the event comes) and sets its elide mode
        # right after: look on the next turn of the event loop, once per burst of new children.
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(lambda: keep_tab_titles_whole(self._window))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.ChildAdded and not self._timer.isActive():
            self._timer.start()
        return False


def keep_tab_titles_whole(window: QMainWindow) -> None:
    """No dock tab bar of ``window`` elides a title: where tabs do not fit it scrolls, with arrows."""
    for bar in window.findChildren(QTabBar):
        if bar.parent() is window:
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)


def never_elide_tab_titles(window: QMainWindow) -> None:
    """``keep_tab_titles_whole`` now and for every tab bar Qt adds to ``window`` later."""
    keeper = _TabTitleKeeper(window)
    keeper.setObjectName("tabTitleKeeper")
    window.installEventFilter(keeper)
    window.tab_title_keeper = keeper  # its Python side must live as long as the window
    keep_tab_titles_whole(window)
