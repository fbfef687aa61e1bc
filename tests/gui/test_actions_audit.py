"""The polish audit: every menu action has a tip and a shortcut (no two alike), every control a tooltip, and
every control, plot and table a name a screen reader can say; a lesson needs no mouse.

Walks the real window as built, so an action or control added later is audited without touching this
file.  Exemptions are few, explicit and say why.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QGraphicsView,
    QLineEdit,
    QMenu,
    QSlider,
    QTabBar,
    QWidget,
)

# Menus whose entries are generated from data (one per sample file, per recent file, per snapshot slot…):
# their tips are written by the code that lists them, and they cannot all have shortcuts.
DYNAMIC_MENUS = {"samplesMenu", "recentFilesMenu", "recentMenu"}

# Actions that need no keyboard shortcut.
NO_SHORTCUT = {
    "aboutAction",  # About: opened once, from the menu; no platform gives it a shortcut
}

CONTROL_TYPES = (QAbstractButton, QAbstractSpinBox, QComboBox, QSlider, QLineEdit, QCheckBox)


def menu_actions(menu: QMenu, dock_toggles: set[QAction]) -> list[QAction]:
    """Every action reachable from ``menu``, through submenus, without separators, dock toggles and the
    entries of dynamic menus."""
    found = []
    for action in menu.actions():
        if action.isSeparator() or action in dock_toggles:
            continue
        submenu = action.menu()
        if submenu is not None:
            if submenu.objectName() not in DYNAMIC_MENUS:
                found += menu_actions(submenu, dock_toggles)
            continue
        found.append(action)
    return found


def all_menu_actions(window) -> list[QAction]:
    dock_toggles = {dock.toggleViewAction() for dock in window.findChildren(QDockWidget)}
    actions = []
    for top in window.menuBar().actions():
        if top.menu() is not None:
            actions += menu_actions(top.menu(), dock_toggles)
    return actions


def plain_text(action: QAction) -> str:
    return action.text().replace("&", "").rstrip(".…").strip()


def describe(action: QAction) -> str:
    return f"{plain_text(action)!r} ({action.objectName() or 'no objectName'})"


def test_every_menu_action_has_an_object_name_and_tips(make_main_window):
    window = make_main_window()
    actions = all_menu_actions(window)
    assert len(actions) >= 20
    problems = []
    for action in actions:
        if not action.objectName():
            problems.append(f"{describe(action)}: no objectName")
        if not action.statusTip().strip():
            problems.append(f"{describe(action)}: no status tip")
        # Qt falls back to the action's text when no tooltip was set: that is no tip.
        if not action.toolTip().strip() or action.toolTip().replace("&", "").rstrip(".…").strip() == plain_text(action):
            problems.append(f"{describe(action)}: no tooltip")
    assert not problems, "\n".join(problems)


def test_every_menu_action_has_a_shortcut_and_no_two_share_one(make_main_window):
    window = make_main_window()
    owners: dict[str, list[str]] = {}
    missing = []
    for action in all_menu_actions(window):
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys and action.objectName() not in NO_SHORTCUT:
            missing.append(describe(action))
        for key in keys:
            owners.setdefault(key.toString(QKeySequence.SequenceFormat.PortableText), []).append(describe(action))
    assert not missing, "actions without a shortcut:\n" + "\n".join(missing)
    shared = {key: names for key, names in owners.items() if len(names) > 1}
    assert not shared, f"shortcuts used twice: {shared}"
    # A chord (e.g. "Ctrl+T, D") must not start with a key that is a shortcut of its own: Qt would wait
    # for the second key, or never see the chord.
    singles = {key for key in owners if "," not in key}
    clashes = {key: key.split(",")[0] for key in owners if "," in key and key.split(",")[0].strip() in singles}
    assert not clashes, f"chords starting with another action's shortcut: {clashes}"
    # Ctrl+Alt is AltGr on many keyboard layouts (AltGr+S types ś in Polish): such a shortcut would
    # swallow a letter the user meant to type.
    altgr = {key: names for key, names in owners.items() if "Ctrl+Alt+" in key}
    assert not altgr, f"Ctrl+Alt shortcuts (AltGr on many layouts): {altgr}"


def is_internal(widget: QWidget) -> bool:
    """Parts Qt builds inside other controls (a spin box's line edit, a tab bar's scroll arrows, a dock's
    float and close buttons, a table's corner button): the outer control carries the tooltip."""
    if widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QTabBar, QAbstractItemView)):
            return True
        if isinstance(parent, QDockWidget) and widget.parentWidget() is parent:
            return True
        parent = parent.parentWidget()
    return False


def test_every_control_has_a_tooltip(qtbot, make_main_window):
    window = make_main_window()
    window.show_preferences()  # its controls count too
    window.show_tour()
    controls = [w for w in window.findChildren(QWidget) if isinstance(w, CONTROL_TYPES) and not is_internal(w)]
    assert len(controls) >= 30
    missing = [
        f"{type(w).__name__} {w.objectName() or '(no objectName)'}"
        f" {getattr(w, 'text', lambda: '')()!r} in {w.parentWidget().objectName() or type(w.parentWidget()).__name__}"
        for w in controls
        if not w.toolTip().strip()
    ]
    assert not missing, "controls without a tooltip:\n" + "\n".join(missing)


# -- accessibility -------------------------------------------------------------------------------------------
NAMED_TYPES = (*CONTROL_TYPES, QAbstractItemView, QGraphicsView)  # controls, tables and lists, plots
EXPLICITLY_NAMED = (
    *(f"knob{i}" for i in range(6)),
    *(f"knobValue{i}" for i in range(6)),
    "fitPlot",
    "residualPlot",
    "lossPlot",
    "surfaceGraphics",
    "graphCanvas",
    "dataTable",
    "reportTable",
    "speedSlider",
    "lossLabel",
)


def accessible_name(widget: QWidget) -> str:
    """What a screen reader says for ``widget``: Qt's own answer (an explicit name, a button's text, a
    label's buddy)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def build_every_panel(window) -> None:
    """The panels a preset keeps behind tabs are built when first shown: build them all, as a user who
    opened every tab would."""
    for panel in window.lazy_panels.values():
        panel.content()


def test_every_control_plot_and_table_has_an_accessible_name(make_main_window):
    window = make_main_window()
    build_every_panel(window)
    dialog = window.show_preferences()
    window.show_tour()
    tops = {window, dialog}
    widgets = [
        w
        for w in window.findChildren(QWidget)
        if isinstance(w, NAMED_TYPES) and not is_internal(w) and w.window() in tops
    ]
    assert sum(isinstance(w, QGraphicsView) for w in widgets) >= 5
    assert sum(isinstance(w, QAbstractItemView) for w in widgets) >= 4
    missing = [f"{type(w).__name__} {w.objectName() or '(no objectName)'}" for w in widgets if not accessible_name(w)]
    assert not missing, "no accessible name:\n" + "\n".join(missing)


def test_knobs_value_boxes_plots_tables_and_the_slider_are_named_for_what_they_are(make_main_window):
    window = make_main_window()
    build_every_panel(window)
    names = {}
    for object_name in EXPLICITLY_NAMED:
        widget = window.findChild(QWidget, object_name)
        assert widget is not None, object_name
        names[object_name] = widget.accessibleName()
        assert names[object_name], f"{object_name}: no accessible name of its own"
    assert len(set(names.values())) == len(names)  # no two alike: k0's dial is not k1's
    assert names["knob3"] == "Knob k3" and names["knobValue3"] == "Value of k3"
    window.controller.set_degree(2)  # rebuilt rows are named too
    assert window.findChild(QWidget, "knob2").accessibleName() == "Knob k2"


def test_the_run_buttons_tooltips_give_the_shortcuts_of_their_menu_actions(make_main_window):
    window = make_main_window()
    for button, action in [
        ("runButton", "runAction"),
        ("stepButton", "stepAction"),
        ("solveButton", "solveAction"),
        ("resetButton", "resetAction"),
    ]:
        key = window.findChild(QAction, action).shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert key and key in window.findChild(QWidget, button).toolTip(), (button, key)


def test_a_lesson_can_be_given_from_the_keyboard_alone(qtbot, make_main_window):
    window = make_main_window()
    doc = window.document
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)  # Go to the knobs
    assert QApplication.focusWidget() is window.findChild(QWidget, "knob0")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)  # turn k0 up
    assert doc.state.theta[0] > 0
    order = [QApplication.focusWidget().objectName()]
    for _ in range(13):  # Tab walks the knobs and their boxes, then the run buttons
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget().objectName())
    knobs = [name for i in range(6) for name in (f"knob{i}", f"knobValue{i}")]
    assert order[:12] == knobs and order[12:] == ["runButton", "stepButton"], order
    steps = doc.undo_stack.count()
    qtbot.keyClick(window, Qt.Key.Key_F10)  # Step
    assert doc.undo_stack.count() == steps + 1
    qtbot.keyClick(window, Qt.Key.Key_F9)  # Solve exactly
    assert doc.show_exact
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Reset
    assert not doc.state.theta.any()
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.presentation.on  # presentation mode
