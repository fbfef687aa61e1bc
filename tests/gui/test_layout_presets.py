"""The window on small screens and its layout presets: the lesson fits 1366×768 and 1280×720 without
scrolling (in presentation mode too), tab titles are never cut, each preset shows what it promises, the
last one is remembered, Reset layout always works, and a session reopens in its preset."""

from __future__ import annotations

import json

import pytest
from case_notes import case
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QDockWidget, QPushButton, QScrollArea, QTabBar, QWidget
from window_parts import record_notices

from workbench.qt.app_state.preferences import LAYOUT_PRESETS, Preferences
from workbench.qt.window.layout import PREFERENCE as LAYOUT_PREFERENCE
from workbench.qt.window.presets import PRESET_PREFERENCE, PRESETS

KNOB_PARTS = ("knob", "knobValue", "knobGradient", "knobGradientBar")
# What a lesson needs on screen at once: the fit, every knob of a degree-5 polynomial with its value and
# gradient, the loss, the four run buttons, the loss history and the loss surface.
PRIMARY = (
    "fitPlot",
    "lossLabel",
    "runButton",
    "stepButton",
    "solveButton",
    "resetButton",
    "lossPlot",
    "surfaceGraphics",
    *(f"{part}{i}" for i in range(6) for part in KNOB_PARTS),
)
SMALL_SCREENS = [(1366, 768), (1280, 720)]


def visible_part(widget: QWidget) -> QRegion:
    """Where ``widget`` can paint, its children's parts included (a plot or a table is all viewport: its own
    visible region leaves out what the viewport covers)."""
    region = QRegion(widget.visibleRegion())
    for child in widget.findChildren(QWidget):
        if child.isVisible() and not child.isWindow():
            region += child.visibleRegion().translated(child.mapTo(widget, QPoint(0, 0)))
    return region


def why_not_shown_whole(window, widget: QWidget) -> str:
    """Empty when ``widget`` is on screen whole: visible, unclipped, inside the window; else what is wrong."""
    if not widget.isVisible():
        return "hidden"
    hidden = QRegion(widget.rect()).subtracted(visible_part(widget))
    if not hidden.isEmpty():
        return f"{hidden.boundingRect()} of {widget.rect()} cannot be seen"
    placed = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    if not window.rect().contains(placed):
        return f"at {placed}, outside the window {window.rect()}"
    return ""


def problems_with_primary_controls(window) -> list[str]:
    problems = []
    for name in PRIMARY:
        widget = window.findChild(QWidget, name)
        why = "missing" if widget is None else why_not_shown_whole(window, widget)
        if why:
            problems.append(f"{name}: {why}")
    return problems


def tab_bars_on_screen(window) -> list[QTabBar]:
    """The dock tab bars the user sees (Qt parks unused ones off-screen)."""
    return [
        bar
        for bar in window.findChildren(QTabBar)
        if bar.isVisible() and bar.count() and window.rect().intersects(QRect(bar.mapTo(window, QPoint()), bar.size()))
    ]


def elided_tabs(window) -> list[str]:
    """Tabs whose title does not show whole: elided, too narrow for its text, or scrolled out of the bar."""
    cut = []
    for bar in tab_bars_on_screen(window):
        for i in range(bar.count()):
            text, rect = bar.tabText(i), bar.tabRect(i)
            if bar.elideMode() != Qt.TextElideMode.ElideNone:
                cut.append(f"{text!r}: the bar elides")
            if rect.width() < bar.fontMetrics().horizontalAdvance(text):
                cut.append(f"{text!r}: {rect.width()} px for {bar.fontMetrics().horizontalAdvance(text)} px of text")
            if not bar.rect().contains(rect):
                cut.append(f"{text!r}: outside its bar ({rect} in {bar.rect()})")
    return cut


def settle(qtbot, window) -> None:
    """Let the tab bars, the dials' size and the window's frame settle (each waits for the event loop)."""
    qtbot.wait(30)
    qtbot.waitUntil(lambda: all(bar.elideMode() == Qt.TextElideMode.ElideNone for bar in tab_bars_on_screen(window)))


def in_front(window) -> set[str]:
    """The docks on screen (a tab behind another is not)."""
    return {key for key, dock in window.docks.items() if dock.isVisible() and not dock.visibleRegion().isEmpty()}


def one_click_away(window, fronts: set[str]) -> list[str]:
    """The docks that are neither in front nor a tab behind one that is."""
    behind = {
        other
        for key in fronts
        for other, dock in window.docks.items()
        if dock in window.tabifiedDockWidgets(window.docks[key])
    }
    return sorted(set(window.docks) - fronts - behind)


# -- fitting small screens -------------------------------------------------------------------------------
# Knobs as a fit leaves them: the formula over the knobs is long enough to wrap onto a second line.
FIT_KNOBS = (0.02757063, 3.259477, -0.1978306, -4.917934, 0.2410708, 1.582232)


def turn_to_a_fits_knobs(qtbot, window) -> None:
    """Set the knobs to ``FIT_KNOBS`` and give the knob panel time to redraw its (now two-line) formula."""
    for i, value in enumerate(FIT_KNOBS):
        window.controller.set_knob(i, value)
    qtbot.wait(800)  # the knob panel redraws its formula a few times a second


@pytest.mark.parametrize("presentation", [False, True], ids=["usual", "presentation"])
@pytest.mark.parametrize("screen", SMALL_SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_lesson_shows_whole_without_scrolling_and_a_wrapped_formula_shrinks_the_dials(
    make_main_window, laptop_screen, qtbot, screen, presentation
):
    """The lesson fits the small screen as the window opens; then a fit's knobs wrap the formula onto a second
    line, the knob panel cannot grow, and the dials give up height rather than scroll (a scroll bar there hid
    part of k5 at 1366×768 in presentation mode and squeezed the gradient column)."""
    laptop_screen(*screen)
    Preferences().set("presentation", presentation)  # the window opens as the preference says
    window = make_main_window()
    settle(qtbot, window)
    assert window.layout_presets.current == "lesson" and window.presentation.on == presentation
    assert QRect(0, 0, *screen).contains(window.frameGeometry()), window.frameGeometry()
    assert not problems_with_primary_controls(window), problems_with_primary_controls(window)
    assert not window.knob_panel._scroll.verticalScrollBar().isVisible()  # six knobs, no scrolling
    assert not elided_tabs(window), elided_tabs(window)

    turn_to_a_fits_knobs(qtbot, window)
    bar = window.knob_panel._scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=3000)
    assert not problems_with_primary_controls(window), problems_with_primary_controls(window)


def test_presentation_mode_switched_on_in_a_running_window_still_fits(make_main_window, laptop_screen, qtbot):
    laptop_screen(1280, 720)
    window = make_main_window()
    window.layout_presets.apply("mydata")
    window.presentation.action.trigger()
    settle(qtbot, window)
    assert window.layout_presets.current == "lesson"
    assert not problems_with_primary_controls(window), problems_with_primary_controls(window)
    assert not elided_tabs(window), elided_tabs(window)


def cut_buttons(panel: QWidget) -> list[str]:
    """The buttons of ``panel`` narrower than their text asks for (their text is cut)."""
    return [
        f"{button.text()!r}: {button.width()} px for {button.sizeHint().width()}"
        for button in panel.findChildren(QPushButton)
        if button.isVisible() and button.width() < button.sizeHint().width()
    ]


@pytest.mark.parametrize("presentation", [False, True], ids=["usual", "presentation"])
def test_on_a_projector_no_preset_cuts_a_tab_title_a_button_or_the_loss_history_note(
    make_main_window, laptop_screen, qtbot, presentation
):
    """A 1280×720 projector, presentation mode on at launch or not, every preset but Everything chosen in turn
    (as a teacher switches them while presentation mode stays on; each is applied from scratch): every tab
    title shows whole; the graph and the lab, raised, cut no button and never scroll sideways, and the lab's
    basis ladder shows every rung; the empty loss history's note wraps inside its narrow plot beside the
    graph."""
    laptop_screen(1280, 720)
    Preferences().set("presentation", presentation)
    window = make_main_window()
    panels = {"graph": window.graph_view, "lab": window.conditioning_lab}
    for key, dock in (("lesson", "lab"), ("backprop", "graph"), ("mydata", "lab")):
        with case(f"the {key} preset's tab titles"):
            window.layout_presets.apply(key)
            settle(qtbot, window)
            assert window.presentation.on == presentation
            assert tab_bars_on_screen(window)
            assert not elided_tabs(window), elided_tabs(window)
        with case(f"the {key} preset's {dock} panel, raised"):
            panel = panels[dock]
            window.docks[dock].raise_()
            settle(qtbot, window)
            qtbot.waitUntil(panel.isVisible)
            assert not cut_buttons(panel), cut_buttons(panel)
            area = window.docks[dock].findChild(QScrollArea)  # (the lab's: inside the panel built when shown)
            assert area is not None and area.widget() is panel
            assert not area.horizontalScrollBar().isVisible(), (panel.minimumSizeHint(), area.viewport().size())
    with case("the basis ladder"):  # every rung of the basis ladder in view, at any text size
        ladder = window.conditioning_lab.ladder
        assert ladder.viewport().height() >= ladder.verticalHeader().length() > 0
        assert not ladder.horizontalScrollBar().isVisible()
    with case("the empty loss history's note"):
        window.layout_presets.apply("backprop")  # the loss history beside the graph: narrow
        window.docks["loss"].raise_()
        settle(qtbot, window)
        plot = window.loss_plot
        note, view_box = plot.empty_note, plot.getPlotItem().getViewBox()
        assert note.isVisible()
        qtbot.waitUntil(lambda: view_box.width() > 0)
        shown = note.mapRectToItem(view_box, note.boundingRect())
        assert view_box.boundingRect().contains(shown), (shown, view_box.boundingRect())


def assert_the_knobs_grow_for_a_two_line_formula(qtbot, window) -> None:
    """On a tall screen the knob panel is sized to what it asks for: a fit's formula on two lines makes it
    grow, every primary control stays whole, and nothing scrolls."""
    assert not problems_with_primary_controls(window), problems_with_primary_controls(window)
    turn_to_a_fits_knobs(qtbot, window)
    panel = window.docks["knobs"].widget()
    qtbot.waitUntil(lambda: panel.height() >= panel.sizeHint().height(), timeout=3000)  # all it asks for
    assert not problems_with_primary_controls(window), problems_with_primary_controls(window)
    assert not window.knob_panel._scroll.verticalScrollBar().isVisible()


def test_a_tall_screen_gives_the_comparison_room_the_knobs_growth_and_everything_every_panel(
    make_main_window, laptop_screen, qtbot
):
    """1920×1080: the lesson puts the comparison under the knobs; the knobs grow when their formula takes a
    second line; and the Everything preset shows every panel at once."""
    laptop_screen(1920, 1080)
    window = make_main_window()
    settle(qtbot, window)
    with case("the lesson on a tall screen"):
        assert {"knobs", "loss", "surface", "compare"} <= in_front(window)
        knobs, compare = window.docks["knobs"].geometry(), window.docks["compare"].geometry()
        assert compare.top() > knobs.bottom() and compare.left() == knobs.left()
        assert not problems_with_primary_controls(window)
    with case("a formula on two lines"):
        assert_the_knobs_grow_for_a_two_line_formula(qtbot, window)
    with case("everything"):
        window.layout_presets.apply("everything")
        settle(qtbot, window)
        assert in_front(window) == set(window.docks)
        assert window.residual_plot.isVisible()


def test_in_presentation_mode_on_a_tall_screen_the_knobs_grow_for_a_two_line_formula(
    make_main_window, laptop_screen, qtbot
):
    laptop_screen(1920, 1080)
    Preferences().set("presentation", True)
    window = make_main_window()
    settle(qtbot, window)
    assert window.presentation.on
    assert_the_knobs_grow_for_a_two_line_formula(qtbot, window)


def test_the_window_opens_at_the_screens_available_size(make_main_window, laptop_screen):
    laptop_screen(1600, 1000)
    window = make_main_window()
    assert window.frameGeometry().width() >= 1580 and window.frameGeometry().height() >= 980


# -- what each preset shows ----------------------------------------------------------------------------
def test_each_preset_shows_what_it_promises_and_leaves_no_stale_tab_bar(make_main_window, qtbot):
    """Lesson: the story in front and the rest a tab away; Backprop: the graph large beside the knobs; My data:
    the table, the report, the residuals and the fit.  Each is chosen after the other, as a user does (a
    preset is applied from scratch); then presets applied over and over leave no stale tab bar."""
    window = make_main_window()
    with case("lesson"):
        window.layout_presets.apply("lesson")
        settle(qtbot, window)
        assert in_front(window) == {"knobs", "loss", "surface"}
        assert not window.residual_plot.isVisible()
        assert one_click_away(window, in_front(window)) == []
    with case("backprop"):
        window.layout_presets.apply("backprop")
        settle(qtbot, window)
        graph, knobs = window.docks["graph"], window.docks["knobs"]
        assert {"graph", "knobs"} <= in_front(window)
        assert graph.width() * graph.height() >= 0.25 * window.width() * window.height()
        assert graph.geometry().right() < knobs.geometry().left()  # to the left of the knobs …
        assert graph.geometry().bottom() > knobs.geometry().top()  # … beside them, not above
        assert one_click_away(window, in_front(window)) == []
    with case("mydata"):
        window.layout_presets.apply("mydata")
        settle(qtbot, window)
        assert {"data", "report"} <= in_front(window)
        for widget in (window.data_panel.table, window.report_panel.table, window.residual_plot, window.fit_plot):
            assert not why_not_shown_whole(window, widget), widget.objectName()
        assert one_click_away(window, in_front(window)) == []
    with case("presets over and over"):
        for key in ("mydata", "backprop", "everything", "lesson", "lesson"):
            window.layout_presets.apply(key)
        settle(qtbot, window)
        assert sorted(bar.count() for bar in tab_bars_on_screen(window)) == [4, 4, 4]
        assert all(dock.widget() is not None for dock in window.findChildren(QDockWidget))


def test_every_preset_places_every_dock_once():
    for preset in PRESETS.values():
        placed = preset.placed()
        assert sorted(placed) == sorted(set(placed)), preset.key
        assert set(placed) == set(PRESETS["lesson"].placed()), preset.key
    assert tuple(PRESETS) == LAYOUT_PRESETS  # the names the preference accepts


# -- remembered, reset, sessions ---------------------------------------------------------------------------
# A floating dock is a window of its own, and the offscreen platform says it cannot raise windows.
@pytest.mark.qt_log_ignore(
    r"^This plugin does not support propagateSizeHints\(\)$", r"^This plugin does not support raise\(\)$"
)
@pytest.mark.parametrize("damage", ["not json", '{"state": "AAAA"}', "[]"])
def test_reset_layout_works_after_a_damaged_stored_layout(make_main_window, qtbot, damage):
    Preferences().set(LAYOUT_PREFERENCE, damage)
    window = make_main_window()
    settle(qtbot, window)
    assert in_front(window) == {"knobs", "loss", "surface"}  # the damaged layout was ignored
    window.docks["knobs"].close()
    window.docks["graph"].setFloating(True)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["surface"])
    window.layout_presets.reset_action.trigger()
    settle(qtbot, window)
    assert in_front(window) == {"knobs", "loss", "surface"}
    assert not window.docks["graph"].isFloating()
    assert Preferences().get(LAYOUT_PREFERENCE) == ""
    assert sorted(bar.count() for bar in tab_bars_on_screen(window)) == [4, 4, 4]  # no stale tab bar left
    assert not problems_with_primary_controls(window)


def save_with_view(source, path, change) -> None:
    """Save ``source``'s session to ``path`` with its view changed by ``change`` (as a hand edit or damage would)."""
    assert source.session_manager.save_to(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    change(saved["view"])
    path.write_text(json.dumps(saved), encoding="utf-8")


def test_the_preset_is_remembered_between_launches_and_kept_by_sessions(make_main_window, tmp_path, qtbot):
    """The last preset used opens the next launch.  A session reopens in the preset it was saved in, even when
    its layout is lost (damaged: never handed to Qt; a warning says so), and a session whose preset is not a
    name is refused with a message naming ``view.preset``.  (One window saves the sessions, a second one,
    the next launch, opens them.)"""
    first = make_main_window()
    first.layout_presets.apply("mydata")
    lost = tmp_path / "mydata.json"
    save_with_view(first, lost, lambda view: view["layout"].update(hmac_sha256="0" * 64))
    odd = {}  # a preset that is not a name: a number, a list, null
    for i, preset in enumerate((1, ["lesson"], None)):
        odd[repr(preset)] = tmp_path / f"odd-{i}.json"
        save_with_view(first, odd[repr(preset)], lambda view, preset=preset: view.update(preset=preset))
    first.layout_presets.actions["backprop"].trigger()
    assert Preferences().get(PRESET_PREFERENCE) == "backprop"
    backprop = tmp_path / "backprop.json"
    assert first.session_manager.save_to(backprop)
    assert json.loads(backprop.read_text(encoding="utf-8"))["view"]["preset"] == "backprop"
    first.close()
    Preferences().remove(LAYOUT_PREFERENCE)  # the preset itself, not the window's remembered layout

    second = make_main_window()
    settle(qtbot, second)
    with case("the next launch"):
        assert second.layout_presets.current == "backprop" and second.layout_presets.actions["backprop"].isChecked()
        assert {"graph", "knobs"} <= in_front(second)
    notices = record_notices(second)
    for preset, path in odd.items():
        with case(f"a session whose preset is {preset}"):
            notices.clear()
            assert not second.session_manager.open_path(path)
            assert any("view.preset" in text for _level, text in notices), notices
    with case("a session whose layout is lost"):
        notices.clear()
        assert second.session_manager.open_path(lost)
        settle(qtbot, second)
        assert second.layout_presets.current == "mydata"
        assert {"data", "report"} <= in_front(second)
        warnings = [text for level, text in notices if level == "warning"]
        assert any("its layout preset puts them" in text for text in warnings), notices
    with case("a session saved in Backprop, opened in Lesson"):
        second.layout_presets.apply("lesson")
        assert second.session_manager.open_path(backprop)
        settle(qtbot, second)
        assert second.layout_presets.current == "backprop"
        assert {"graph", "knobs"} <= in_front(second)
