"""Light and dark themes: palette, plots (background, axes, text, grid), halos, following the system, icon.

Colours are read back from the widgets and from rendered pixels, and text contrast is the WCAG ratio
computed here, independently of the module under test.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from case_notes import case
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from window_parts import action

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


def background_pixel(view):
    """The colour actually painted in the view box's top-left corner (inside the plot, off any curve)."""
    item = view.getPlotItem() if hasattr(view, "getPlotItem") else None
    box = item.getViewBox() if item is not None else None
    image: QImage = view.grab().toImage()
    corner = view.mapFromScene(box.mapToScene(QPointF(4, 4))) if box is not None else view.rect().topLeft()
    return image.pixelColor(corner.x() + 2, corner.y() + 2)


def test_switching_the_theme_restyles_the_palette_the_plots_the_graph_and_the_curves_halo(make_main_window, qtbot):
    """Dark and back to light, in one window: the palette, every plot's background, axes and grid; the
    computational graph's canvas, edges and boxes (those drawn already too); a halo behind a dark curve that
    survives the plot setting its own pen.  And the app icon, which no theme changes, has every size and is
    the app's and the window's."""
    window = make_main_window()
    with case("palette, plot backgrounds and axes"):
        light_window = window.palette().color(QPalette.ColorRole.Window)
        light_axis = axes(window.fit_plot)[0].textPen().color()
        action(window, "themeDarkAction").trigger()
        dark_window = window.palette().color(QPalette.ColorRole.Window)
        assert light_window.lightness() > 180 > 80 > dark_window.lightness()
        assert window.palette().color(QPalette.ColorRole.Text).lightness() > 180
        for view in plots(window):
            assert view.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["dark"].background
            for axis in axes(view):
                assert axis.textPen().color() != light_axis
                assert axis.pen().color().lightness() > 120  # the grid is drawn with this pen
        assert background_pixel(window.fit_plot).lightness() < 60
        action(window, "themeLightAction").trigger()
        assert window.fit_plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["light"].background
        assert background_pixel(window.fit_plot).lightness() > 240

    with case("the computational graph"):
        canvas = window.findChild(GraphCanvas, "graphCanvas")
        scene = canvas.scene()
        window.docks["graph"].raise_()
        qtbot.waitUntil(lambda: any(isinstance(item, NodeItem) for item in scene.items()))  # drawn when shown
        assert canvas.backgroundBrush().color().lightness() > 240 and scene.colours is GRAPH_COLOURS["light"]
        action(window, "themeDarkAction").trigger()
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
        action(window, "themeLightAction").trigger()
        assert canvas.backgroundBrush().color().lightness() > 240 and scene.colours is GRAPH_COLOURS["light"]

    with case("a dark curve's halo"):
        curve = window.fit_plot.curve
        assert curve.opts["shadowPen"] is None
        set_theme("dark")
        halo = pg.mkPen(curve.opts["shadowPen"])
        assert halo.color().lightness() > 200 and halo.widthF() > pg.mkPen(curve.opts["pen"]).widthF()
        curve.setPen(pg.mkPen(20, 60, 160, width=3))  # a plot re-setting its own colour keeps the halo
        assert curve.opts["shadowPen"] is not None
        set_theme("light")
        assert curve.opts["shadowPen"] is None

    with case("the app icon"):
        for icon in (QApplication.instance().windowIcon(), window.windowIcon()):
            assert not icon.isNull()
            sizes = {s.width() for s in icon.availableSizes()}
            assert set(ICON_SIZES) <= sizes
            for size in (16, 32, 256):
                image = icon.pixmap(size, size).toImage()
                assert image.width() == size
                assert image.pixelColor(size // 2, size // 2).alpha() == 255  # drawn, not blank
                assert image.pixelColor(0, 0).alpha() < 255  # rounded corner: transparent


def test_in_both_themes_text_is_readable_the_plots_take_the_themes_colours_and_a_toggle_looks_pressed(
    make_main_window, qtbot, tmp_path
):
    """Light, then dark, in one window: every plot's axis text, the legend, the window's text and tooltips
    keep a WCAG contrast above 4.5; screenshots of the two differ where the plots are (white, then dark); and
    Solve exactly, a toggle, looks pressed when pressed (a second press hides the landmark, so its pressed
    state must show; in the dark theme Fusion's sunken shade was the button's own colour)."""
    window = make_main_window()
    button = window.run_controls.solve_button

    def mean_lightness() -> float:
        qtbot.wait(20)
        image = button.grab().toImage()
        colours = [image.pixelColor(x, y) for x in range(4, image.width() - 4, 3) for y in (image.height() // 2,)]
        return sum(c.lightnessF() for c in colours) / len(colours)

    shots = {}
    for theme in ("light", "dark"):
        with case(f"{theme}: readable text"):
            set_theme(theme)
            for view in plots(window):
                background = view.backgroundBrush().color()
                for axis in axes(view):
                    contrast = wcag_contrast(axis.textPen().color(), background)
                    assert contrast > 4.5, (view.objectName(), axis.orientation)
            legend = window.fit_plot.getPlotItem().legend
            for _sample, label in legend.items:
                colour = pg.mkColor(label.opts["color"])
                assert wcag_contrast(colour, window.fit_plot.backgroundBrush().color()) > 4.5
            text = window.palette().color(QPalette.ColorRole.WindowText)
            assert wcag_contrast(text, window.palette().color(QPalette.ColorRole.Window)) > 4.5
            tip = window.palette().color(QPalette.ColorRole.ToolTipText)
            assert wcag_contrast(tip, window.palette().color(QPalette.ColorRole.ToolTipBase)) > 4.5
        with case(f"{theme}: a screenshot"):
            path = tmp_path / f"{theme}.png"
            assert window.grab().save(str(path))
            shots[theme] = QImage(str(path))
            assert not shots[theme].isNull()
        with case(f"{theme}: a pressed toggle"):
            action(window, f"theme{theme.title()}Action").trigger()
            up = mean_lightness()
            button.setChecked(True)
            down = mean_lightness()
            assert abs(up - down) > 0.06, (up, down)
            button.setChecked(False)  # pressed again: up, as the next theme starts

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


def test_the_theme_survives_a_new_window(make_main_window):
    first = make_main_window()
    action(first, "themeDarkAction").trigger()
    assert Preferences().theme == "dark"
    first.close()
    QApplication.instance().setPalette(QPalette())  # as a fresh launch would start
    second = make_main_window()
    assert second.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert second.fit_plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["dark"].background
    assert action(second, "themeDarkAction").isChecked()


def test_the_theme_follows_the_keyboard_the_system_when_asked_and_the_menus_ticks(make_main_window):
    """From the keyboard (Ctrl+T, then D, L or S); System follows a change of the system's colour scheme, a
    chosen theme ignores it; the menu's tick follows the preference, and an unknown theme is refused with the
    known ones, changing nothing.  In one window, each case starting where the one before left it."""
    window = make_main_window()
    with case("the theme chords"):
        QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(window, Qt.Key.Key_D)
        assert theme_manager().preference == "dark" and Preferences().theme == "dark"
        QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(window, Qt.Key.Key_L)
        assert theme_manager().scheme == "light"
        QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(window, Qt.Key.Key_S)
        assert Preferences().theme == "system"
    hints = QGuiApplication.styleHints()
    with case("system follows the system's colour scheme"):
        assert theme_manager().preference == "system"
        assert action(window, "themeSystemAction").isChecked()
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert theme_manager().scheme == "dark"
        assert window.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert window.fit_plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["dark"].background
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert window.palette().color(QPalette.ColorRole.Window).lightness() > 180
        assert window.fit_plot.backgroundBrush().color().getRgb()[:3] == PLOT_COLOURS["light"].background
    with case("a chosen theme ignores the system"):
        action(window, "themeLightAction").trigger()
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert window.palette().color(QPalette.ColorRole.Window).lightness() > 180
        assert theme_manager().scheme == "light"
    with case("the menu's ticks"):
        set_theme("dark")
        checked = [a.objectName() for a in window.theme_actions.actions() if a.isChecked()]
        assert checked == ["themeDarkAction"]
        with pytest.raises(ValueError, match="unknown theme"):
            theme_manager().set_preference("sepia")
        with pytest.raises(ValueError, match="system, light, dark"):
            set_theme("sepia")
        assert Preferences().theme == "dark"
