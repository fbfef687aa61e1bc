"""Presentation mode and the text size: text 1.6× bigger where the back row reads it, thick lines, big
markers, colour-blind-safe colours with direction carried by shape, the Lesson layout; both preferences,
applied live and remembered."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from case_notes import case
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QDockWidget, QSpinBox, QTabBar

from workbench.qt.app_state.preferences import Preferences
from workbench.qt.style.look import COLOUR_BLIND_SAFE, PRESENTATION_MIN_LINE, look_manager
from workbench.qt.views.graph_view import MAX_AUTO_ZOOM, MIN_AUTO_ZOOM
from workbench.qt.views.knob_panel import GradientBar

TEXT = 1.6


def points(font) -> float:
    return font.pointSizeF() if font.pointSizeF() > 0 else font.pixelSize() * 0.75


def text_sizes(window) -> dict[str, float]:
    """The point sizes of the text the back row must read."""
    axis = window.fit_plot.getPlotItem().getAxis("bottom")
    row = window.knob_panel.rows[0]
    return {
        "loss readout": points(window.knob_panel.loss_label.font()),
        "axis ticks": points(axis.style["tickFont"]),
        "axis label": points(axis.label.font()),
        "knob value": points(row.spin.font()),
        "knob gradient": points(row.grad_label.font()),
        "panel title": points(window.docks["knobs"].font()),
        "tab title": min(points(bar.font()) for bar in window.findChildren(QTabBar) if bar.parent() is window),
        "menu": points(window.menuBar().font()),
    }


def data_lines(window) -> dict[str, float]:
    """The widths of the lines of the lesson's plots that carry data."""
    fit = window.fit_plot
    widths = {
        name: pg.mkPen(getattr(fit, name).opts["pen"]).widthF()
        for name in ("curve", "residuals", "exact_curve", "manual_curve", "gd_curve")
    }
    widths["loss history"] = pg.mkPen(window.loss_plot.curves[0].opts["pen"]).widthF()
    widths["surface trail"] = pg.mkPen(window.surface_plot.gd_line.opts["pen"]).widthF()
    return widths


def test_presentation_mode_is_big_colour_blind_safe_and_undone_and_multiplies_the_text_size(make_main_window, qtbot):
    """In one window: presentation mode, switched on, makes text 1.6× bigger, lines thick, markers and the
    graph's boxes big, and the lesson layout; it uses a colour-blind-safe palette with the ghost curves apart
    by line style; switched off, nothing stays big.  Left, it puts back the preset chosen before it.  And it
    multiplies the text size rather than replacing it."""
    window = make_main_window()
    with case("bigger"):
        window.controller.set_run_settings(max_steps=5)
        with qtbot.waitSignal(window.controller.runFinished, timeout=10_000):
            window.controller.start_run()  # a run's curve in the loss history
        before_text, before_points = text_sizes(window), window.fit_plot.points.opts["size"]
        action = window.findChild(type(window.presentation.action), "presentationAction")
        assert action is window.presentation.action and action.isCheckable() and not action.isChecked()

        action.trigger()
        qtbot.wait(10)

        after = text_sizes(window)
        for what, size in after.items():
            assert size >= TEXT * before_text[what] - 0.01, (what, before_text[what], size)
        for what, width in data_lines(window).items():
            assert width >= PRESENTATION_MIN_LINE, (what, width)
        assert window.fit_plot.points.opts["size"] >= 1.5 * before_points
        # The graph's boxes: zoomed 1.6× beyond what the usual look shows in a view of this size.
        canvas = window.graph_view.canvas
        usual = min(MAX_AUTO_ZOOM, max(MIN_AUTO_ZOOM, canvas.fit_scale()))
        assert canvas.transform().m11() >= TEXT * usual - 1e-9
        # Qt draws a dock's title in the dock's own font only when it differs from its class's default.
        assert window.docks["knobs"].font() != QApplication.font("QDockWidget")
        assert window.layout_presets.current == "lesson"
        assert Preferences().presentation

    with case("a colour-blind-safe palette"):
        pen = pg.mkPen(window.fit_plot.curve.opts["pen"])
        assert pen.color().getRgb()[:3] == COLOUR_BLIND_SAFE.curve
        assert pg.mkPen(window.fit_plot.exact_curve.opts["pen"]).color().getRgb()[:3] == COLOUR_BLIND_SAFE.exact
        # The ghost curves differ in line style too, not by colour alone.
        styles = {
            pg.mkPen(getattr(window.fit_plot, n).opts["pen"]).style()
            for n in ("exact_curve", "manual_curve", "gd_curve")
        }
        assert len(styles) == 3

    with case("switched off"):
        action.trigger()  # and back: nothing stays big
        qtbot.wait(10)
        assert text_sizes(window) == pytest.approx(before_text, rel=0.01)
        assert window.fit_plot.points.opts["size"] == before_points
        assert not Preferences().presentation

    with case("the preset before"):
        window.layout_presets.apply("mydata")
        window.presentation.set_on(True)
        assert window.layout_presets.current == "lesson"
        window.presentation.set_on(False)
        assert window.layout_presets.current == "mydata"
        assert window.residual_plot.isVisible()

    with case("times the text size"):
        base = points(look_manager().base_font)
        look_manager().set_text_size(125)
        window.presentation.set_on(True)
        assert points(QApplication.font()) == pytest.approx(base * 1.25 * TEXT)
        for dock in window.findChildren(QDockWidget):
            assert points(dock.font()) == pytest.approx(base * 1.25 * TEXT), dock.objectName()


def render(bar: GradientBar, share: float) -> QImage:
    bar.resize(120, 24)
    bar.set_share(share)
    image = QImage(bar.size(), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    bar.render(image)
    return image


def ink(image: QImage, flip: bool = False) -> set[tuple[int, int]]:
    """The pixels drawn darker than the paper, whatever their colour (``flip``: mirrored left to right)."""
    found = set()
    for y in range(image.height()):
        for x in range(image.width()):
            if QColor(image.pixel(x, y)).lightness() < 200:
                found.add((image.width() - 1 - x if flip else x, y))
    return found


@pytest.mark.parametrize("presentation", [False, True])
def test_the_knob_arrows_two_directions_differ_by_shape_not_only_colour(qtbot, presentation):
    look_manager().set_presentation(presentation)
    bar = GradientBar()
    qtbot.addWidget(bar)
    up, down = render(bar, 1.0), render(bar, -1.0)
    up_ink, down_ink = ink(up), ink(down, flip=True)
    # Mirrored, the two arrows would cover the same pixels if they differed by colour only.
    assert len(up_ink ^ down_ink) > 0.3 * len(up_ink), "the arrows differ by colour alone"
    colour_up = QColor(up.pixel(up.width() - 20, up.height() // 2))
    colour_down = QColor(down.pixel(19, down.height() // 2 - 4))
    assert abs(colour_up.hue() - colour_down.hue()) > 60  # blue and orange, not red and green
    for colour in (colour_up, colour_down):
        assert not (colour.green() > colour.red() + 60 and colour.green() > colour.blue() + 60)  # no green


def test_the_presentation_preference_is_remembered(make_main_window, qtbot):
    first = make_main_window()
    first.presentation.action.trigger()
    first.close()
    second = make_main_window()
    assert second.presentation.on and second.presentation.action.isChecked()
    assert points(second.knob_panel.loss_label.font()) >= TEXT * 22 - 0.01
    assert second.layout_presets.current == "lesson"


def open_preferences(qtbot, window):
    dialog = window.show_preferences()
    qtbot.waitExposed(dialog)
    return dialog, dialog.findChild(QSpinBox, "textSizeSpin")


def test_the_text_size_applies_live_cancel_puts_it_back_and_ok_keeps_it(make_main_window, qtbot):
    """The text size in the Preferences dialog applies at once, while the dialog is open; Cancel puts it back
    and saves nothing; OK saves it, and the next launch opens with it."""
    window = make_main_window()
    with case("cancel"):
        base = points(QApplication.font())
        dialog, spin = open_preferences(qtbot, window)
        spin.setValue(200)
        assert points(QApplication.font()) == pytest.approx(2 * base)
        qtbot.mouseClick(
            dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton
        )
        assert points(QApplication.font()) == pytest.approx(base)
        assert Preferences().text_size == 100

    with case("ok"):
        base = points(look_manager().base_font)
        dialog, spin = open_preferences(qtbot, window)
        assert spin.value() == 100

        spin.setValue(150)  # applies while the dialog is open, before OK

        assert points(QApplication.font()) == pytest.approx(1.5 * base)
        assert points(window.knob_panel.rows[0].spin.font()) == pytest.approx(1.5 * base)
        assert points(window.knob_panel.loss_label.font()) == pytest.approx(1.5 * 22)
        assert points(window.fit_plot.getPlotItem().getAxis("left").style["tickFont"]) == pytest.approx(1.5 * base)
        qtbot.mouseClick(
            dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
        assert Preferences().text_size == 150
        window.close()
        look_manager().set_text_size(100)  # as a fresh start would be, before the preference is read

    with case("the next launch"):
        again = make_main_window()
        assert points(QApplication.font()) == pytest.approx(1.5 * base)
        assert points(again.knob_panel.loss_label.font()) == pytest.approx(1.5 * 22)
