"""One convention everywhere: the residual is y − ŷ and the gradient is ∂L/∂k, with the same sign and the same
words in the data table, the residual plot, the knob panel, the computational graph, the gradient check and
the report; points are numbered from 1; no number box cuts a digit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from workbench.fitting.data import Dataset
from workbench.fitting.number_text import Numbers
from workbench.qt.views.data_panel import RESIDUAL_COLUMN, VALUE_ROLE
from workbench.qt.views.widgets import SciSpinBox

NUMBERS = Numbers()  # the tests run in the C locale: the app's style is the plain one


def bumpy(n: int = 31) -> Dataset:
    x = np.linspace(-1.0, 2.0, n)
    return Dataset(x, 1.0 + x - 0.8 * x**2 + 0.3 * np.sin(6.0 * x), "bumpy", None, "time", "level")


def spaced(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def window(make_main_window):
    w = make_main_window(dataset=bumpy())
    w.controller.set_degree(2)
    return w


def test_a_residual_has_one_sign_and_one_name_in_table_plot_graph_and_report(window, qtbot):
    doc, controller = window.document, window.controller
    controller.set_knobs(doc.exact.coefficients, "exact knobs")  # the report describes these knobs' curve
    data, row = doc.dataset, 30  # the table's row 31
    fitted = doc.fitted()
    expected = float(data.y[row] - fitted[row])  # y − ŷ
    assert expected != 0

    table = window.data_panel.model
    assert table.data(table.index(row, RESIDUAL_COLUMN), VALUE_ROLE) == pytest.approx(expected, rel=1e-12)
    assert "y−ŷ" in spaced(table.headerData(RESIDUAL_COLUMN, Qt.Orientation.Horizontal))

    window.residual_plot.flush()
    x, r = window.residual_plot.residuals()
    assert r[np.flatnonzero(x == data.x[row])[0]] == pytest.approx(expected, rel=1e-12)
    axis_label = window.residual_plot.getPlotItem().getAxis("left").labelText
    assert "level−ŷ" in spaced(axis_label)

    graph = window.graph_view
    graph.set_point(row)
    assert graph.point() == row  # (brings the view, a tab behind others, up to date)
    assert graph.point_box.text() == "point 31"  # numbered as the table numbers it
    r_node = next(n for n in graph.loss_graph().graph.nodes if n.label == "r")
    assert np.asarray(r_node.value).item() == pytest.approx(expected, rel=1e-12)
    while graph.current_event() is None or graph.current_event().node is not r_node:
        graph.step_forward()
    assert "r = y − ŷ" in graph.rule_label.text()
    graph.reset_walk()
    assert "for point 31" in graph.rule_label.text()

    report = doc.report
    assert report.residuals[row] == pytest.approx(expected, rel=1e-9)
    assert "Residuals are y − ŷ" in window.report_panel.as_text()


def test_a_gradient_has_one_sign_and_one_text_in_knobs_graph_and_gradient_check(window, qtbot):
    doc, controller = window.document, window.controller
    controller.set_knobs(np.array([0.5, -2.0, 1.5]), "off the optimum")
    _, grad = doc.evaluation()
    assert np.all(grad != 0) and np.any(grad > 0) and np.any(grad < 0)
    header = window.knob_panel.header.text()
    assert "∂L/∂k" in header and "−∂L/∂k" not in header  # the number is what the header says

    graph = window.graph_view
    graph.set_point(None)
    knob_nodes = graph.loss_graph().params
    check = window.gradcheck_panel.check()
    assert "∂L/∂k" in window.gradcheck_panel.table.horizontalHeaderItem(1).text()
    for i, g in enumerate(grad):
        shown = window.knob_panel.rows[i].grad_label.text()
        assert shown == NUMBERS.gradient(g)  # the number beside the arrow is ∂L/∂k itself …
        assert shown[0] == ("+" if g > 0 else "-")
        assert np.sign(window.knob_panel.rows[i].bar.share()) == -np.sign(g)  # … the arrow points downhill
        assert graph.node_text(knob_nodes[i])[2] == f"∂ {shown}"  # the graph writes it the same way
        cell = window.gradcheck_panel.table.item(i, 1).text()
        assert cell == NUMBERS.gradient(check.backprop[i], 10) and cell[0] == shown[0]
        assert check.backprop[i] == pytest.approx(g, rel=1e-12)


def test_knob_boxes_never_cut_a_digit_or_an_exponent(window, qtbot):
    controller = window.controller
    value = 8.891722123456789e13
    controller.set_knobs(np.array([value, -1.234567e-120, 0.5]), "huge knobs")
    for i in range(3):
        box = window.findChild(SciSpinBox, f"knobValue{i}")
        text, doc_value = box.lineEdit().text(), float(window.document.theta[i])
        assert repr(doc_value) in box.toolTip()  # every digit, one hover away
        assert "e+" not in text or text[text.index("e+") + 2 :].isdigit()  # an exponent is written whole
        assert box.lineEdit().fontMetrics().horizontalAdvance(text) <= box.lineEdit().width()
        assert float(text) == pytest.approx(doc_value, rel=10 ** (1 - box.digits_for(doc_value)))
    box = window.findChild(SciSpinBox, "knobValue0")
    assert box.lineEdit().text() == "8.891722e+13"  # room for all seven digits in the default layout
    box.resize(max(box.minimumWidth(), box.minimumSizeHint().width()), box.height())  # squeezed to its least
    qtbot.wait(50)
    text = box.lineEdit().text()
    assert text.endswith("e+13") and float(text) == pytest.approx(value, rel=1e-2)  # rounded, never cut
    assert box.lineEdit().fontMetrics().horizontalAdvance(text) <= box.lineEdit().width()


def test_the_model_panel_fits_its_dock_when_the_hold_out_text_grows(window, qtbot):
    from workbench.fitting.split import Split

    panel = window.findChild(QLabel, "splitSummaryLabel")
    window.docks["model"].raise_()  # its tab in front, as a click on it brings it (behind, it is off screen)
    window.controller.set_split(Split(0.25, 0))
    window.controller.set_knobs(np.array([1e12, -3e11, 7e10]), "a wild curve")  # a long validation loss
    qtbot.waitUntil(lambda: "validation loss" in panel.text())
    scroll = panel.parentWidget()
    while scroll is not None and not hasattr(scroll, "horizontalScrollBar"):
        scroll = scroll.parentWidget()
    if scroll is not None:  # (once the raised tab has been laid out)
        qtbot.waitUntil(lambda: not scroll.horizontalScrollBar().isVisible(), timeout=3000)
    assert panel.wordWrap() and panel.width() <= panel.parentWidget().width()


@pytest.fixture
def german():
    """The application's locale set to German (decimal comma, thousands dot) for one test."""
    from PySide6.QtCore import QLocale

    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(before)


def test_the_window_writes_numbers_in_the_users_locale(make_main_window, german):
    from workbench.qt.style.number_style import app_number_style, app_numbers

    style = app_number_style()
    assert (style.decimal, style.group) == (",", ".")
    window = make_main_window(dataset=bumpy())
    window.controller.set_degree(2)
    window.controller.set_knobs(np.array([0.5, -2.0, 1234.5]), "knobs")
    assert window.findChild(SciSpinBox, "knobValue2").lineEdit().text() == "1234,5"
    assert window.knob_panel.rows[0].grad_label.text() == app_numbers().gradient(window.document.evaluation()[1][0])
    assert "," in window.knob_panel.loss_label.text() and "." not in window.knob_panel.loss_label.text()
    axes = [window.fit_plot.getPlotItem().getAxis(side) for side in ("left", "bottom")]
    axes += [window.residual_plot.getPlotItem().getAxis(side) for side in ("left", "bottom")]
    axes += [window.surface_plot.plot.getAxis(side) for side in ("left", "bottom")]
    axes += [window.loss_plot.getPlotItem().getAxis("bottom")]  # (its loss axis is logarithmic: powers of ten)
    for axis in axes:  # every axis of the fit, residual and surface plots writes ticks the one way
        assert axis.tickStrings([0.5, 1.0], 1.0, 0.5) == ["0,5", "1,0"]
    assert window.data_panel.count_label.text() == "31 points"
    box = window.findChild(SciSpinBox, "knobValue0")
    box.lineEdit().setText("2,25")  # typed the German way
    box.interpretText()
    assert window.document.theta[0] == 2.25


def test_the_knob_panels_formula_spaces_its_signs_as_operators(window, qtbot):
    """'y = 3.1 − 0.68·x + 0.25·x²', never '+2.757·x -0.6789·x²' (found in the walkthrough)."""
    import re

    window.controller.set_basis("monomial")
    window.controller.set_knobs(np.array([3.1, -0.68, 0.25]), "signs")
    text = window.findChild(QLabel, "formulaLabel").text()
    assert text.startswith("y = 3.1 − 0.68·x + 0.25·x²"), text
    assert not re.search(r"\s[-−+]\d", text), text
    window.controller.set_knobs(np.array([-3.1, 0.0, 0.25]), "leading minus")
    assert window.findChild(QLabel, "formulaLabel").text().startswith("y = −3.1 + 0.25·x²")
