"""Light and dark themes: palette, plots (background, axes, text, grid), halos, following the system, icon.

Colours are read back from the widgets and from rendered pixels, and text contrast is the WCAG ratio
computed here, independently of the module under test.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QImage, QPainter, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from workbench.qt.app_state.preferences import Preferences, set_theme
from workbench.qt.style.icons import ICON_SIZES
from workbench.qt.style.themes import PLOT_COLOURS, theme_manager
from workbench.qt.views.graph_scene import GRAPH_COLOURS, EdgeItem, GraphCanvas, NodeItem


def wcag_contrast(a, b) -> float:
    """The WCAG 2 contrast ratio of two QColors, written out here rather than imported."""

    def luminance(c):
        def lin(v):
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def plots(window) -> list[pg.GraphicsView]:
    """Every plot of the window, the panels behind tabs built now (after any theme change: they are
    styled as they are built)."""
    for panel in window.lazy_panels.values():
        panel.content()
    views = window.findChildren(pg.GraphicsView)
    assert len(views) >= 4, "the fit, residual, loss and surface plots at least"
    return views


def axes(view) -> list[pg.AxisItem]:
    return [item for item in view.scene().items() if isinstance(item, pg.AxisItem)]


def menu_action(window, name: str) -> QAction:
    action = window.findChild(QAction, name)
    assert action is not None, name
    return action


def background_pixel(view):
    """The colour actually painted in the view box's top-left corner (inside the plot, off any curve)."""
    item = view.getPlotItem() if hasattr(view, "getPlotItem") else None
    box = item.getViewBox() if item is not None else None
    image: QImage = view.grab().toImage()
    corner = view.mapFromScene(box.mapToScene(QPointF(4, 4))) if box is not None else view.rect().topLeft()
    return image.pixelColor(corner.x() + 2, corner.y() + 2)


def test_dark_changes_palette_plot_backgrounds_and_axis_colours(make_main_window):
    window = make_main_window()
    light_window = window.palette().color(QPalette.ColorRole.Window)
    light_axis = axes(window.fit_plot)[0].textPen().color()
    menu_action(window, "themeDarkAction").trigger()
    dark_window = window.palette().color(QPalette.ColorRole.Window)
    assert light_window.lightness() > 180 > 80 > dark_window.lightness()
    assert window.palette().color(QPalette.ColorRole.Text).lightness() > 180
    for view in plots(window):
        assert view.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["dark"].background
        for axis in axes(view):
            assert axis.textPen().color() != light_axis
            assert axis.pen().color().lightness() > 120  # the grid is drawn with this pen
    assert background_pixel(window.fit_plot).lightness() < 60
    menu_action(window, "themeLightAction").trigger()
    assert window.fit_plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["light"].background
    assert background_pixel(window.fit_plot).lightness() > 240


def test_the_computational_graph_follows_the_theme(make_main_window, qtbot):
    window = make_main_window()
    canvas = window.findChild(GraphCanvas, "graphCanvas")
    scene = canvas.scene()
    window.docks["graph"].raise_()
    qtbot.waitUntil(lambda: any(isinstance(item, NodeItem) for item in scene.items()))  # drawn when shown
    assert canvas.backgroundBrush().color().lightness() > 240 and scene.colours is GRAPH_COLOURS["light"]
    menu_action(window, "themeDarkAction").trigger()
    assert canvas.backgroundBrush().color().lightness() < 60 and scene.colours is GRAPH_COLOURS["dark"]
    edge = next(item for item in scene.items() if isinstance(item, EdgeItem))
    assert edge.pen().color() == QColor(GRAPH_COLOURS["dark"].edge)  # edges restyled, not only new ones
    node = next(item for item in scene.items() if isinstance(item, NodeItem))
    image = QImage(int(node.boundingRect().width()), int(node.boundingRect().height()), QImage.Format.Format_RGB32)
    image.fill(QColor(GRAPH_COLOURS["dark"].background))
    painter = QPainter(image)
    node.paint(painter, None)
    painter.end()
    # A dark box (sampled right of the gradient line's text, which starts with a sign now) …
    assert image.pixelColor(image.width() - 12, 40).lightness() < 80
    text = [image.pixelColor(x, y).lightness() for x in range(6, 120) for y in range(4, 16)]
    assert max(text) > 170  # … with light text on it
    menu_action(window, "themeLightAction").trigger()
    assert canvas.backgroundBrush().color().lightness() > 240 and scene.colours is GRAPH_COLOURS["light"]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axis_text_is_readable_on_every_plot(make_main_window, theme):
    window = make_main_window()
    set_theme(theme)
    for view in plots(window):
        background = view.backgroundBrush().color()
        for axis in axes(view):
            assert wcag_contrast(axis.textPen().color(), background) > 4.5, (view.objectName(), axis.orientation)
    legend = window.fit_plot.getPlotItem().legend
    for _sample, label in legend.items:
        assert wcag_contrast(pg.mkColor(label.opts["color"]), window.fit_plot.backgroundBrush().color()) > 4.5
    text = window.palette().color(QPalette.ColorRole.WindowText)
    assert wcag_contrast(text, window.palette().color(QPalette.ColorRole.Window)) > 4.5
    tip = window.palette().color(QPalette.ColorRole.ToolTipText)
    assert wcag_contrast(tip, window.palette().color(QPalette.ColorRole.ToolTipBase)) > 4.5


def test_a_dark_curve_gets_a_halo_in_the_dark_theme_that_survives_set_pen(make_main_window):
    window = make_main_window()
    curve = window.fit_plot.curve
    assert curve.opts["shadowPen"] is None
    set_theme("dark")
    halo = pg.mkPen(curve.opts["shadowPen"])
    assert halo.color().lightness() > 200 and halo.widthF() > pg.mkPen(curve.opts["pen"]).widthF()
    curve.setPen(pg.mkPen(20, 60, 160, width=3))  # a plot re-setting its own colour keeps the halo
    assert curve.opts["shadowPen"] is not None
    set_theme("light")
    assert curve.opts["shadowPen"] is None


def test_the_theme_survives_a_new_window(make_main_window):
    first = make_main_window()
    menu_action(first, "themeDarkAction").trigger()
    assert Preferences().theme == "dark"
    first.close()
    QApplication.instance().setPalette(QPalette())  # as a fresh launch would start
    second = make_main_window()
    assert second.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert second.fit_plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["dark"].background
    assert menu_action(second, "themeDarkAction").isChecked()


def test_system_follows_a_change_of_the_systems_colour_scheme(make_main_window):
    window = make_main_window()
    assert theme_manager().preference == "system"
    assert menu_action(window, "themeSystemAction").isChecked()
    hints = QGuiApplication.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme_manager().scheme == "dark"
    assert window.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert window.fit_plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["dark"].background
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert window.palette().color(QPalette.ColorRole.Window).lightness() > 180
    assert window.fit_plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["light"].background


def test_a_chosen_theme_ignores_the_system(make_main_window):
    window = make_main_window()
    menu_action(window, "themeLightAction").trigger()
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert window.palette().color(QPalette.ColorRole.Window).lightness() > 180
    assert theme_manager().scheme == "light"


def test_the_theme_menu_ticks_follow_the_preference(make_main_window):
    window = make_main_window()
    set_theme("dark")
    checked = [a.objectName() for a in window.theme_actions.actions() if a.isChecked()]
    assert checked == ["themeDarkAction"]
    with pytest.raises(ValueError, match="unknown theme"):
        theme_manager().set_preference("sepia")
    with pytest.raises(ValueError, match="system, light, dark"):
        set_theme("sepia")
    assert Preferences().theme == "dark"


def test_screenshots_of_both_themes_differ_where_the_plots_are(make_main_window, tmp_path):
    window = make_main_window()
    shots = {}
    for theme in ("light", "dark"):
        set_theme(theme)
        path = tmp_path / f"{theme}.png"
        assert window.grab().save(str(path))
        shots[theme] = QImage(str(path))
        assert not shots[theme].isNull()
    rect = window.fit_plot.rect()
    grid = [
        window.fit_plot.mapTo(window, rect.topLeft()) + QPoint(rect.width() * i // 21, rect.height() * j // 11)
        for i in range(1, 21)
        for j in range(1, 11)
    ]

    def median_lightness(image: QImage) -> float:
        return float(np.median([image.pixelColor(p).lightness() for p in grid]))

    assert median_lightness(shots["light"]) > 230  # the plot is mostly background: white...
    assert median_lightness(shots["dark"]) < 60  # ...and dark


def test_the_app_icon_has_every_size_and_is_used_by_app_and_window(make_main_window):
    window = make_main_window()
    for icon in (QApplication.instance().windowIcon(), window.windowIcon()):
        assert not icon.isNull()
        sizes = {s.width() for s in icon.availableSizes()}
        assert set(ICON_SIZES) <= sizes
        for size in (16, 32, 256):
            image = icon.pixmap(size, size).toImage()
            assert image.width() == size
            assert image.pixelColor(size // 2, size // 2).alpha() == 255  # drawn, not blank
            assert image.pixelColor(0, 0).alpha() < 255  # rounded corner: transparent


def test_the_theme_chords_switch_the_theme_from_the_keyboard(make_main_window):
    window = make_main_window()
    QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window, Qt.Key.Key_D)
    assert theme_manager().preference == "dark" and Preferences().theme == "dark"
    QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window, Qt.Key.Key_L)
    assert theme_manager().scheme == "light"
    QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window, Qt.Key.Key_S)
    assert Preferences().theme == "system"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_pressed_toggle_looks_pressed_in_every_theme(make_main_window, qtbot, theme):
    """Solve exactly is a toggle: a second press hides the landmark, so its pressed state must show (in the
    dark theme Fusion's sunken shade was the button's own colour)."""
    window = make_main_window()
    menu_action(window, f"theme{theme.title()}Action").trigger()
    button = window.run_controls.solve_button

    def mean_lightness() -> float:
        qtbot.wait(20)
        image = button.grab().toImage()
        colours = [image.pixelColor(x, y) for x in range(4, image.width() - 4, 3) for y in (image.height() // 2,)]
        return sum(c.lightnessF() for c in colours) / len(colours)

    up = mean_lightness()
    button.setChecked(True)
    down = mean_lightness()
    assert abs(up - down) > 0.06, (up, down)
