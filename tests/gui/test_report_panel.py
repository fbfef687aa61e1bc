"""The fit-report panel and the confidence / prediction bands on the fit plot."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton, QTableWidget

from workbench.fitting import stats
from workbench.fitting.data import Dataset
from workbench.fitting.number_text import Numbers
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.views.fit_plot import FitPlot
from workbench.qt.views.report_panel import ReportPanel


def noisy_sine(n: int = 15) -> Dataset:
    x = np.linspace(-1.0, 1.0, n)
    noise = 0.1 * np.sin(7.3 * x + 0.4)  # deterministic "noise"
    return Dataset(x, np.sin(np.pi * x) + noise, "noisy sine")


def textbook(x, y, degree):
    """Ordinary least squares the textbook way: lstsq, σ² = RSS/dof, Cov = σ²·inv(XᵀX)."""
    design = np.vander(x, degree + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    n, p = x.size, degree + 1
    rss = float(resid @ resid)
    dof = n - p
    sigma2 = rss / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    tss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1 - rss / tss
    adj = 1 - (1 - r2) * (n - 1) / dof
    return coef, se, r2, adj, np.sqrt(rss / n), np.sqrt(sigma2), dof


@pytest.fixture
def doc_ctl(qtbot):
    document = FitDocument(noisy_sine())
    controller = Controller(document)
    controller.set_degree(3)
    yield document, controller
    controller.shutdown()


@pytest.fixture
def panel(qtbot, doc_ctl):
    document, _ = doc_ctl
    widget = ReportPanel(document)
    qtbot.addWidget(widget)
    widget.resize(430, 260)
    widget.show()
    return widget


def table_values(panel: ReportPanel) -> np.ndarray:
    table = panel.findChild(QTableWidget, "reportTable")
    return np.array([[table.item(i, j).data(0x0100) for j in range(3)] for i in range(table.rowCount())], dtype=float)


def test_table_matches_textbook_least_squares(panel, doc_ctl):
    document, _ = doc_ctl
    data = document.dataset
    coef, se, r2, adj, rmse, sd, dof = textbook(np.asarray(data.x), np.asarray(data.y), 3)
    values = table_values(panel)
    assert values.shape == (4, 3)
    np.testing.assert_allclose(values[:, 0], coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(values[:, 1], se, rtol=1e-9)
    np.testing.assert_allclose(values[:, 2], coef / se, rtol=1e-8, atol=1e-9)
    report = panel.report
    assert report.r_squared == pytest.approx(r2, rel=1e-12)
    assert report.adjusted_r_squared == pytest.approx(adj, rel=1e-12)
    assert report.rmse == pytest.approx(rmse, rel=1e-12)
    assert report.residual_sd == pytest.approx(sd, rel=1e-12)
    assert report.dof == dof == 11 and report.n_points == 15
    summary = panel.findChild(QLabel, "reportSummary").text()
    assert panel_number(r2) in summary and panel_number(adj) in summary and "N: 15" in summary
    assert "exact least-squares" in panel.findChild(QLabel, "reportHeader").text().lower()
    assert panel.findChild(QLabel, "reportWarnings").isHidden()


def test_interpolating_degree_warns_and_explains(qtbot, doc_ctl):
    document, controller = doc_ctl
    document.apply(dataclasses.replace(document.state, dataset=noisy_sine(6)), "t")
    controller.set_degree(5)  # degree = N − 1
    widget = ReportPanel(document)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.report.standard_errors is None
    warnings = widget.findChild(QLabel, "reportWarnings")
    assert warnings.isVisible() and "degree ≥ points − 1" in warnings.text()
    why = widget.findChild(QLabel, "reportWhy")
    assert why.isVisible() and widget.report.why in why.text()
    table = widget.findChild(QTableWidget, "reportTable")
    assert table.rowCount() == 6 and table.item(0, 1).text() == "—"


def test_updates_after_data_edit_but_not_knob_moves(panel, doc_ctl):
    document, _ = doc_ctl
    before = panel.report
    document.set_theta_live(np.ones(4))
    assert panel.report is before  # knobs move: the exact fit's report is unchanged
    moved = document.dataset.with_point_moved(3, float(document.dataset.x[3]), 2.0)
    document.apply(dataclasses.replace(document.state, dataset=moved), "t")
    assert panel.report is not before
    coef, se, *_ = textbook(np.asarray(moved.x), np.asarray(moved.y), 3)
    np.testing.assert_allclose(table_values(panel)[:, 0], coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(table_values(panel)[:, 1], se, rtol=1e-9)


def test_net_model_says_not_available(panel, doc_ctl):
    document, _ = doc_ctl
    document.apply(dataclasses.replace(document.state, model="mlp", theta=np.zeros(25)), "net")
    assert panel.report is None
    assert "not available" in panel.findChild(QLabel, "reportMessage").text()


def test_copy_puts_text_on_clipboard(panel, qtbot):
    button = panel.findChild(QPushButton, "copyReportButton")
    QGuiApplication.clipboard().clear()
    button.click()
    text = QGuiApplication.clipboard().text()
    assert "R²" in text and "k3" in text and "adjusted R²" in text


def drawn_nothing(item) -> bool:
    x, _ = item.getData()
    return x is None or len(x) == 0


def test_bands_on_fit_plot(qtbot, doc_ctl):
    document, _ = doc_ctl
    plot = FitPlot(document)
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.show()
    assert drawn_nothing(plot.conf_lo) and drawn_nothing(plot.pred_hi)  # off by default
    plot.set_show_bands(True)
    xs, c_lo = plot.conf_lo.getData()
    _, c_hi = plot.conf_hi.getData()
    _, p_lo = plot.pred_lo.getData()
    _, p_hi = plot.pred_hi.getData()
    np.testing.assert_array_equal(xs, plot.visible_x())
    report = stats.fit_report(document.dataset.x, document.dataset.y, 3)
    _, e_c_lo, e_c_hi, e_p_lo, e_p_hi = stats.bands(report, xs, 0.95)
    for got, want in ((c_lo, e_c_lo), (c_hi, e_c_hi), (p_lo, e_p_lo), (p_hi, e_p_hi)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.all(p_lo < c_lo) and np.all(c_lo < c_hi) and np.all(c_hi < p_hi)
    assert not plot.conf_fill.path().isEmpty()
    # pan: the bands follow the visible range
    vb = plot.getPlotItem().getViewBox()
    vb.setXRange(0.0, 3.0, padding=0)
    xs2, _ = plot.conf_lo.getData()
    np.testing.assert_allclose([xs2[0], xs2[-1]], [0.0, 3.0])
    # the net: hidden
    document.apply(dataclasses.replace(document.state, model="mlp", theta=np.zeros(25)), "net")
    assert all(drawn_nothing(it) for it in (plot.conf_lo, plot.conf_hi, plot.pred_lo, plot.pred_hi))
    plot.set_show_bands(False)


def test_bands_hidden_when_unavailable(qtbot, doc_ctl):
    document, controller = doc_ctl
    document.apply(dataclasses.replace(document.state, dataset=noisy_sine(4)), "t")  # degree 3, N 4
    plot = FitPlot(document)
    qtbot.addWidget(plot)
    plot.set_show_bands(True)
    assert drawn_nothing(plot.conf_lo) and drawn_nothing(plot.pred_hi)
    controller.set_degree(2)
    assert not drawn_nothing(plot.conf_lo) and not drawn_nothing(plot.pred_hi)
    document.apply(dataclasses.replace(document.state, dataset=noisy_sine(9)), "t")  # a data edit
    xs, c_hi = plot.conf_hi.getData()
    report = stats.fit_report(document.dataset.x, document.dataset.y, 2)
    np.testing.assert_allclose(c_hi, stats.bands(report, xs)[2], rtol=1e-12, atol=1e-12)


def test_the_window_has_the_report_tab_and_the_bands_toggle(make_main_window):
    window = make_main_window()
    assert window.docks["report"].widget() is window.lazy_panels["report"]
    assert window.report_panel.parentWidget() is window.lazy_panels["report"]
    assert window.report_panel.report is not None
    window.bands_action.setChecked(True)
    assert window.fit_plot.show_bands
    window.bands_action.setChecked(False)
    assert not window.fit_plot.show_bands


# -- formula models ----------------------------------------------------------------------------------------
def decay(sigma: bool = False) -> Dataset:
    x = np.linspace(0.0, 6.0, 30)
    y = 3.0 * np.exp(-0.7 * x) + 0.5 + 0.02 * np.sin(5.3 * x)
    return Dataset(x, y, "decay", np.linspace(0.01, 0.03, x.size) if sigma else None, "time", "signal")


def solve_formula(qtbot, window) -> None:
    controller = window.controller
    controller.set_model("formula", formula="a*exp(-b*x) + c")
    qtbot.waitUntil(lambda: not controller.formulas.busy, timeout=30_000)
    controller.show_exact(True)  # Solve (Levenberg–Marquardt)
    qtbot.waitUntil(lambda: window.document.landmark is not None and not controller.formulas.busy, timeout=30_000)


def test_a_formula_before_solve_says_to_press_solve(make_main_window, qtbot):
    window = make_main_window(dataset=decay())
    window.controller.set_model("formula", formula="a*exp(-b*x) + c")
    qtbot.waitUntil(lambda: not window.controller.formulas.busy, timeout=30_000)
    panel = window.report_panel
    panel.refresh()
    assert panel.report is None
    message = panel.findChild(QLabel, "reportMessage").text()
    assert "Press Solve (Levenberg–Marquardt) for the formula's statistics" in message
    assert not panel.findChild(QPushButton, "copyReportButton").isEnabled()


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted"])
def test_a_solved_formula_is_reported_one_row_per_parameter(make_main_window, qtbot, weighted):
    window = make_main_window(dataset=decay(weighted))
    solve_formula(qtbot, window)
    panel = window.report_panel
    fit = window.document.landmark
    qtbot.waitUntil(lambda: panel.report is fit)  # the landmark arrived: the panel follows at once
    table = panel.findChild(QTableWidget, "reportTable")
    names = [table.verticalHeaderItem(i).text() for i in range(table.rowCount())]
    assert names == ["a", "b", "c"]
    assert table.horizontalHeaderItem(0).text() == "estimate"
    np.testing.assert_array_equal(table_values(panel)[:, 0], fit.params)
    np.testing.assert_array_equal(table_values(panel)[:, 1], fit.standard_errors)
    assert "Levenberg–Marquardt" in panel.findChild(QLabel, "reportHeader").text()
    summary = dict(panel.summary_rows())
    if weighted:
        assert summary["χ²"] == panel_number(fit.chi_squared)
        assert summary["reduced χ² (χ²/dof)"] == panel_number(fit.reduced_chi_squared)
        assert "RMSE (in units of σ)" in summary and "residual SD (in units of σ)" in summary
        assert "units of σ" in summary["weights 1/σ²"]
    else:
        assert "χ²" not in summary and "RMSE" in summary and "weights 1/σ²" not in summary
    text = panel.as_text()
    assert "a*exp(-b*x) + c" in text and repr(float(fit.params[1])) in text
    assert "signal (y) against time (x)" in text
    assert ("reduced χ²" in text) is weighted


def panel_number(value: float) -> str:
    return Numbers().statistic(value)
