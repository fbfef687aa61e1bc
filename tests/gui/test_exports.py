"""Results out, in the real window: the residual plot, File › Export and Edit › Copy formula.

File dialogs are replaced by a stand-in that records what it was asked and answers with a path; every
file written is then read back by an independent reader (QImage, xml.etree, csv, json, load_dataset)
and compared with the document or with a textbook computation.
"""

from __future__ import annotations

import csv
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from case_notes import case
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QSplitter, QToolButton
from window_parts import action

from workbench.fitting import atomic
from workbench.fitting.data import Dataset, load_dataset
from workbench.fitting.export import formula_text
from workbench.fitting.split import Split
from workbench.qt.views.fit_plot import CURVE_SAMPLES
from workbench.qt.views.residual_plot import ResidualPlot
from workbench.qt.window.plot_export import PNG_MIN_WIDTH

CURVE_STROKE = "#143ca0"  # the fit plot's current curve, pg.mkPen(20, 60, 160)
EXPORT_ACTIONS = (
    "exportPngAction",
    "exportSvgAction",
    "exportPdfAction",
    "exportReportCsvAction",
    "exportReportJsonAction",
    "exportReportTextAction",
    "saveDataAction",
    "exportScriptAction",
)
COPY_ACTIONS = ("copyFormulaTextAction", "copyFormulaLatexAction", "copyFormulaNumpyAction")
CURVE_ACTIONS = ("copyFormulaCurveKnobsAction", "copyFormulaCurveGdAction", "copyFormulaCurveLandmarkAction")


# -- helpers ------------------------------------------------------------------------------------------------
class SaveDialog:
    """Stands in for QFileDialog.getSaveFileName: answers ``answer`` and remembers what it was asked."""

    def __init__(self, answer=""):
        self.answer = answer
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, _parent, title, start, pattern, *args, **kwargs):
        self.calls.append((title, start, pattern))
        return str(self.answer), pattern


@pytest.fixture
def out(tmp_path) -> Path:
    """A folder of the test's own for exports (conftest keeps settings and recovery files in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def dialog(monkeypatch):
    stand_in = SaveDialog()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", stand_in)
    return stand_in


def notice_text(window) -> str:
    label = window.findChild(QLabel, "noticeLabel")
    return label.text() if label.isVisible() else ""


def dismiss_notice(qtbot, window) -> None:
    """Click the notice away, as a user does (what a later case finds there is then its own)."""
    label = window.findChild(QLabel, "noticeLabel")
    if label.isVisible():
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton)
    assert notice_text(window) == ""


def textbook(x, y, degree):
    """Ordinary least squares the textbook way: lstsq, σ² = RSS/dof, Cov = σ²·inv(XᵀX)."""
    design = np.vander(x, degree + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    rss = float(np.sum((y - design @ coef) ** 2))
    dof = x.size - degree - 1
    se = np.sqrt(np.diag(rss / dof * np.linalg.inv(design.T @ design)))
    r2 = 1 - rss / float(np.sum((y - y.mean()) ** 2))
    return coef, se, r2, math.sqrt(rss / x.size), dof


def wavy(n: int = 40) -> Dataset:
    x = np.linspace(-2.0, 3.0, n)
    return Dataset(x, 0.5 * x**3 - x + np.cos(4.0 * x), "wavy")


@pytest.fixture
def window(make_main_window, qtbot):
    w = make_main_window(dataset=wavy())
    toggle = action(w, "showResidualsAction")
    if not toggle.isChecked():  # the Lesson preset leaves the residual plot out: View › Residuals shows it
        toggle.trigger()
    qtbot.waitUntil(w.residual_plot.isVisible)
    w.controller.set_degree(3)
    w.controller.show_exact(True)
    w.controller.set_knobs(w.document.exact.coefficients, "exact knobs")
    return w


# -- the residual plot --------------------------------------------------------------------------------------
def test_the_residual_plot_sits_under_the_fit_shows_y_minus_the_curve_and_follows_it(window, qtbot):
    """Under the fit plot with a quarter of the height; y minus the curve, following the knobs; View ›
    Residuals hides it (no redraw meanwhile) and shows it again up to date; held-out points drawn apart; its x
    axis linked to the fit plot's, pixel column for pixel column (last: the narrower view leaves points out).
    One window, each case where the last left it."""
    with case("under the fit plot"):
        splitter = window.findChild(QSplitter, "plotSplitter")
        residual = window.residual_plot
        assert isinstance(residual, ResidualPlot) and residual.parentWidget() is window.lazy_panels["residuals"]
        assert splitter.widget(0) is window.fit_plot and splitter.widget(1) is window.lazy_panels["residuals"]
        assert splitter.orientation() == Qt.Orientation.Vertical
        fit_h, res_h = splitter.sizes()
        assert 0.15 < res_h / (fit_h + res_h) < 0.35
        assert residual.toolTip()

    with case("y minus the curve"):
        residual = window.residual_plot
        data = window.document.dataset
        monomial = window.document.problem.monomial_coefficients(window.document.state.theta)
        x, r = residual.residuals()
        order = np.argsort(data.x)
        np.testing.assert_array_equal(x, data.x[order])
        np.testing.assert_allclose(r, (data.y - np.polynomial.polynomial.polyval(data.x, monomial))[order], atol=1e-9)
        drawn_x, drawn_r = residual.points.getData()
        np.testing.assert_array_equal(drawn_r, r)
        window.controller.set_knob(0, float(window.document.state.theta[0]) + 0.5)  # the curve up by 0.5
        qtbot.waitUntil(lambda: np.allclose(residual.points.getData()[1], r - 0.5, atol=1e-9))  # on the next turn

    with case("View › Residuals"):
        toggle = action(window, "showResidualsAction")
        assert toggle.isChecked() and residual.isVisible()
        assert toggle.shortcut() == QKeySequence("Ctrl+Shift+R") and toggle.toolTip() and toggle.statusTip()
        toggle.trigger()
        assert not residual.isVisible()
        window.controller.set_knob(1, 2.0)  # hidden: no redraw …
        toggle.trigger()
        assert residual.isVisible()
        np.testing.assert_array_equal(residual.points.getData()[1], residual.residuals()[1])  # … until shown

    with case("held-out points"):
        window.controller.set_split(Split(0.25, seed=3))
        train, held_out = window.document.state.split_indices()
        residual.flush()  # (drawn on the next turn of the event loop)
        assert residual.points.getData()[0].size == train.size
        assert residual.held_out_points.getData()[0].size == held_out.size
        np.testing.assert_array_equal(
            np.sort(residual.held_out_points.getData()[0]), np.sort(window.document.dataset.x[held_out])
        )

    with case("the x axis linked"):
        fit_view, residual_view = window.fit_plot.getPlotItem().getViewBox(), residual.getPlotItem().getViewBox()
        fit_view.setXRange(0.25, 1.75, padding=0)
        qtbot.waitUntil(lambda: np.allclose(residual_view.viewRange()[0], [0.25, 1.75]))
        residual_view.setXRange(-1.0, 0.5, padding=0)
        qtbot.waitUntil(lambda: np.allclose(fit_view.viewRange()[0], [-1.0, 0.5]))
        fit_axis = window.fit_plot.getPlotItem().getAxis("left").geometry().width()
        res_axis = residual.getPlotItem().getAxis("left").geometry().width()
        assert res_axis == pytest.approx(fit_axis, abs=1)  # one x, one pixel column in both plots


def test_a_million_points_are_downsampled_and_redrawn_cheaply(make_main_window, qtbot):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 10.0, 1_000_000)
    w = make_main_window(dataset=Dataset(x, np.sin(x) + rng.normal(0, 0.1, x.size), "big"))
    action(w, "showResidualsAction").setChecked(True)
    qtbot.waitUntil(w.residual_plot.isVisible)
    # Big data: the residuals come with the facts a compute process computes; "computing…" meanwhile.
    qtbot.waitUntil(lambda: w.document.fitted() is not None, timeout=30_000)
    w.residual_plot.flush()
    shown_x, _ = w.residual_plot.points.getData()
    assert 0 < shown_x.size < 20_000  # downsampled to the pixels, not a million symbols
    assert np.all(np.diff(shown_x) >= 0)  # sorted, as clip-to-view needs


# -- exports ------------------------------------------------------------------------------------------------
def test_every_export_is_on_its_menus_and_reads_back_as_written(window, dialog, out):
    """File › Export and Edit › Copy formula are complete, every entry described, no shortcut taken twice,
    and the report panel's button offers the same; then, one after another in one window, the PNG decodes at
    print resolution, the SVG parses with the whole curve in it, the report matches a textbook fit, the data
    CSV reimports to the same numbers, and each dialog starts in the last folder used."""
    with case("the menus"):
        export_menu = window.findChild(QMenu, "exportMenu")
        names = [a.objectName() for a in export_menu.actions() if not a.isSeparator()]
        assert names == list(EXPORT_ACTIONS)
        copy_menu = window.findChild(QMenu, "copyFormulaMenu")
        copy_names = [a.objectName() for a in copy_menu.actions() if not a.isSeparator()]
        assert copy_names == [*COPY_ACTIONS, *CURVE_ACTIONS]
        for name in (*EXPORT_ACTIONS, *COPY_ACTIONS, *CURVE_ACTIONS, "showResidualsAction"):
            a = action(window, name)
            assert a.text() and a.toolTip() and a.statusTip(), name

    with case("the shortcuts"):
        ours = {
            name: action(window, name).shortcut()
            for name in (*EXPORT_ACTIONS, *COPY_ACTIONS, *CURVE_ACTIONS, "showResidualsAction")
        }
        ours = {name: key for name, key in ours.items() if not key.isEmpty()}
        assert len(set(k.toString() for k in ours.values())) == len(ours)
        for other in window.findChildren(QAction):
            if other.objectName() in ours:
                continue
            for key in other.shortcuts():
                assert key not in ours.values(), f"{other.objectName()} also uses {key.toString()}"

    with case("the report panel's export button"):
        button = window.report_panel.findChild(QToolButton, "exportReportButton")
        names = [a.objectName() for a in button.menu().actions()]
        assert names == ["exportReportCsvAction", "exportReportJsonAction", "exportReportTextAction", *COPY_ACTIONS]
        assert button.toolTip()

    with case("PNG"):
        folder = out / "png"
        folder.mkdir()
        dialog.answer = folder / "picture"  # no suffix typed: .png is added
        action(window, "exportPngAction").trigger()
        path = folder / "picture.png"
        image = QImage()
        assert image.load(str(path)) and not image.isNull()
        plot = window.fit_plot
        assert image.width() >= PNG_MIN_WIDTH
        assert image.width() / image.height() == pytest.approx(plot.width() / plot.height(), rel=0.03)
        assert dialog.calls[-1][1].endswith("wavy-fit.png")
        assert "Saved the fit plot" in window.statusBar().currentMessage()
        assert [p.name for p in folder.iterdir()] == ["picture.png"]

    with case("SVG"):
        window.fit_plot.reframe()
        dialog.answer = out / "fit.svg"
        action(window, "exportSvgAction").trigger()
        root = ET.parse(out / "fit.svg").getroot()
        ns = {"svg": "http://www.w3.org/2000/svg"}
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        width, height = (float(v) for v in root.get("viewBox").split()[2:])
        parents = {child: parent for parent in root.iter() for child in parent}
        paths = list(root.iter("{http://www.w3.org/2000/svg}path"))
        curves = [p for p in paths if parents[p].get("stroke") == CURVE_STROKE]
        assert curves, "the current curve is not in the SVG"
        pairs = np.array(
            [[float(a), float(b)] for a, b in re.findall(r"(-?[\d.e+-]+),(-?[\d.e+-]+)", curves[0].get("d"))]
        )
        assert len(pairs) >= CURVE_SAMPLES - 2  # every sample of the curve
        assert parents[curves[0]].get("transform") is None  # in document pixels (portable strokes)
        inside = (pairs[:, 0] >= -1) & (pairs[:, 0] <= width + 1)
        assert inside.mean() > 0.9
        assert not [p for p in paths if p.get("d", "x").strip() == ""]
        clipped = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("clip-path")]
        assert any(parents[curves[0]] in list(g) for g in clipped)  # clipped to the plot area
        assert root.find("svg:title", ns).text == "Fit plot — wavy"
        assert height > 0

    with case("the report"):
        data = window.document.dataset
        coef, se, r2, rmse, dof = textbook(np.asarray(data.x), np.asarray(data.y), 3)
        for name, fmt in (
            ("exportReportJsonAction", "json"),
            ("exportReportCsvAction", "csv"),
            ("exportReportTextAction", "txt"),
        ):
            dialog.answer = out / f"report.{fmt}"
            action(window, name).trigger()
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        np.testing.assert_allclose([c["value"] for c in report["coefficients"]], coef, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose([c["std_error"] for c in report["coefficients"]], se, rtol=1e-9)
        assert report["r_squared"] == pytest.approx(r2, rel=1e-12)
        assert report["rmse"] == pytest.approx(rmse, rel=1e-12)
        assert report["dof"] == dof and report["n_points"] == data.n
        with open(out / "report.csv", newline="", encoding="utf-8") as f:
            rows = {row["quantity"]: row for row in csv.DictReader(f)}
        assert [float(rows[f"k{i}"]["value"]) for i in range(4)] == [c["value"] for c in report["coefficients"]]
        assert float(rows["r_squared"]["value"]) == report["r_squared"]
        text = (out / "report.txt").read_text(encoding="utf-8")
        assert "R²:" in text and "k3" in text and "residual degrees of freedom: 36" in text

    with case("the data as CSV"):
        window.controller.add_point(0.1 + 0.2, 1 / 3)  # numbers with long decimal expansions
        dialog.answer = out / "points.csv"
        action(window, "saveDataAction").trigger()
        back = load_dataset(out / "points.csv")
        np.testing.assert_array_equal(back.x, window.document.dataset.x)
        np.testing.assert_array_equal(back.y, window.document.dataset.y)
        assert "Saved 41 points" in window.statusBar().currentMessage()

    with case("the last folder used"):
        folder = out / "exports"
        folder.mkdir()
        dialog.answer = folder / "a.json"
        action(window, "exportReportJsonAction").trigger()
        dialog.answer = ""  # cancelled: nothing written
        action(window, "exportPngAction").trigger()
        assert Path(dialog.calls[-1][1]).parent == folder
        assert sorted(p.name for p in folder.iterdir()) == ["a.json"]


# -- the formula ----------------------------------------------------------------------------------------------
def test_copy_formula_copies_each_form_of_the_curve_chosen_and_names_it_and_the_net_has_none(window, dialog, qtbot):
    """Edit › Copy formula as plain text, LaTeX and NumPy (each checked by evaluating or reading it), the notice
    naming the curve copied and where the other one is; with the knobs at zero (y = 0) the exact optimum is one
    choice away, and with no run yet the GD curve copies nothing and says why.  Last, the neural net has no
    formula and no report, and says so before asking where to save."""
    with case("each form"):
        clipboard = QGuiApplication.clipboard()
        monomial = window.document.problem.monomial_coefficients(window.document.state.theta)
        clipboard.clear()
        QTest.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        plain = clipboard.text()
        assert plain.startswith("y = ") and "·x^3" in plain
        assert repr(float(monomial[3])).rstrip("0").rstrip(".") in plain
        action(window, "copyFormulaLatexAction").trigger()
        latex = clipboard.text()
        assert latex.startswith("y = ") and "x^{3}" in latex and "·" not in latex
        action(window, "copyFormulaNumpyAction").trigger()
        expression = clipboard.text()
        x = np.asarray(window.document.dataset.x)
        value = eval(expression, {"__builtins__": {}, "np": np}, {"x": x})  # noqa: S307 - our own output
        np.testing.assert_array_equal(value, np.polynomial.polynomial.polyval(x, monomial))
        np.testing.assert_allclose(value, window.document.fitted(), rtol=1e-9, atol=1e-9)
        # The exact optimum is shown dashed: the notice names the curve copied and where the other one is.
        message = window.statusBar().currentMessage()
        assert "Copied the knobs' curve" in message and "the exact optimum, shown dashed" in message

    with case("the curve chosen"):
        window.controller.set_knobs(np.zeros(4), "zero knobs")  # (degree 3, the exact optimum shown)
        action(window, "copyFormulaTextAction").trigger()
        assert clipboard.text() == "y = 0"
        assert "Copied the knobs' curve" in window.statusBar().currentMessage()
        action(window, "copyFormulaCurveLandmarkAction").trigger()
        assert action(window, "copyFormulaCurveLandmarkAction").isChecked()
        assert not action(window, "copyFormulaCurveKnobsAction").isChecked()
        action(window, "copyFormulaTextAction").trigger()
        assert clipboard.text() == formula_text(window.document.exact.monomial)
        assert "Copied the exact optimum as plain text" in window.statusBar().currentMessage()
        action(window, "copyFormulaCurveGdAction").trigger()
        clipboard.setText("untouched")
        action(window, "copyFormulaTextAction").trigger()  # no run yet: nothing copied, and why
        assert clipboard.text() == "untouched" and "press Run first" in notice_text(window)

    with case("the neural net"):
        action(window, "copyFormulaCurveKnobsAction").trigger()  # back to the knobs' curve, as at the start
        dismiss_notice(qtbot, window)
        window.controller.set_model("mlp")
        clipboard.setText("untouched")
        action(window, "copyFormulaTextAction").trigger()
        assert clipboard.text() == "untouched"
        assert "neural net has no formula" in notice_text(window)
        action(window, "exportReportJsonAction").trigger()
        assert dialog.calls == []  # said why before asking where
        assert "no statistical report" in notice_text(window)


# -- errors ---------------------------------------------------------------------------------------------------
def test_no_points_no_export_and_no_dialog(make_main_window, dialog):
    w = make_main_window(dataset=Dataset([], []))
    action(w, "saveDataAction").trigger()
    assert "no points to save" in notice_text(w)
    action(w, "exportReportCsvAction").trigger()
    assert "no data points" in notice_text(w)
    assert dialog.calls == []


def test_a_failed_export_says_why_and_keeps_the_old_file_whole(window, dialog, out, monkeypatch, qtbot):
    """An unwritable folder gives a notice naming the file and what to do, and no file; a write that fails
    (a full disk) keeps the old SVG, report or data file whole and says why.  The notice is dismissed (a click)
    before each case, so each one's notice is its own."""
    with case("an unwritable folder"):
        target = out / "no such folder" / "fit.png"
        dialog.answer = target
        action(window, "exportPngAction").trigger()
        message = notice_text(window)
        assert "Could not save the fit plot" in message and str(target) in message and "Choose a folder" in message
        assert not target.parent.exists()

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    for name, suffix in (("exportSvgAction", "svg"), ("exportReportJsonAction", "json"), ("saveDataAction", "csv")):
        with case(f"a full disk under {name}"):
            dismiss_notice(qtbot, window)
            folder = out / suffix
            folder.mkdir()
            target = folder / f"old.{suffix}"
            target.write_text("the previous file", encoding="utf-8")
            dialog.answer = target
            with monkeypatch.context() as patch:  # (not monkeypatch.undo: that undoes conftest's patches too)
                patch.setattr(atomic.os, "replace", full_disk)
                action(window, name).trigger()
            assert target.read_text(encoding="utf-8") == "the previous file"
            assert [p.name for p in folder.iterdir()] == ["old." + suffix]
            assert "No space left on device" in notice_text(window)


def test_report_exports_name_the_columns_and_count_held_out_points(make_main_window, dialog, tmp_path):
    base = wavy()
    named = Dataset(base.x, base.y, "wavy", None, "year", "ppm")
    window = make_main_window(dataset=named)
    window.controller.set_degree(3)
    window.controller.set_split(Split(0.25, 0))
    held = window.document.state.split_indices()[1].size
    assert held == 10
    dialog.answer = tmp_path / "report.json"
    action(window, "exportReportJsonAction").trigger()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["data"]["x_column"] == "year" and report["data"]["y_column"] == "ppm"
    assert report["data"]["held_out"] == held and report["n_points"] == named.n - held
    dialog.answer = tmp_path / "report.txt"
    action(window, "exportReportTextAction").trigger()
    first = (tmp_path / "report.txt").read_text(encoding="utf-8").splitlines()[0]
    assert f"to {named.n - held} points ({held} more held out for validation)" in first
    assert "ppm (y) against year (x)" in first
    panel_text = window.report_panel.as_text()
    assert f"({held} more held out for validation)" in panel_text
    assert f"N: {named.n - held} ({held} more held out for validation)" in window.report_panel.summary.text()
