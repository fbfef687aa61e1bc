"""File › Export › Fit plot as PDF and Fit as Python script, in the real window.

The PDF is read back by an independent reader where one is installed (poppler's pdfinfo and pdftoppm);
the script is run and must reproduce the window's curve to ≥ 10 digits.
"""

from __future__ import annotations

import re
import runpy
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QLabel
from window_parts import action

from workbench.fitting.data import Dataset


class SaveDialog:
    """Stands in for QFileDialog.getSaveFileName: answers ``answer`` and remembers what it was asked."""

    def __init__(self, answer=""):
        self.answer = answer
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, _parent, title, start, pattern, *args, **kwargs):
        self.calls.append((title, start, pattern))
        return str(self.answer), pattern


@pytest.fixture
def dialog(monkeypatch):
    stand_in = SaveDialog()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", stand_in)
    return stand_in


@pytest.fixture
def window(make_main_window):
    """Years on the x axis at degree 7, at the exact fit: far from 0, where summed powers lose the curve."""
    x = np.linspace(1958.0, 2020.0, 50)
    w = make_main_window(dataset=Dataset(x, 315 + 0.01 * (x - 1958) ** 2 + np.sin(x), "co2 years"))
    w.controller.set_basis("scaled")
    w.controller.set_degree(7)
    w.controller.set_knobs(w.document.exact.coefficients, "exact knobs")
    return w


def notice_text(window) -> str:
    label = window.findChild(QLabel, "noticeLabel")
    return label.text() if label.isVisible() else ""


def test_pdf_export_is_one_vector_page_the_size_of_the_plot(window, dialog, tmp_path):
    window.fit_plot.reframe()
    dialog.answer = tmp_path / "figure"  # no suffix typed: .pdf is added
    action(window, "exportPdfAction").trigger()
    path = tmp_path / "figure.pdf"
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert dialog.calls[0][1].endswith("co2 years-fit.pdf") and dialog.calls[0][2] == "PDF documents (*.pdf)"
    assert "Saved the fit plot (PDF)" in window.statusBar().currentMessage()
    if shutil.which("pdfinfo") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed: the PDF is not read back")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, timeout=60)
    assert info.returncode == 0 and info.stderr == "", info.stderr
    assert re.search(r"^Pages:\s+1$", info.stdout, re.MULTILINE)
    assert re.search(r"^Title:\s+Fit plot — co2 years$", info.stdout, re.MULTILINE)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout).groups())
    plot = window.fit_plot
    assert width / height == pytest.approx(plot.width() / plot.height(), rel=0.03)
    rendered = subprocess.run(
        ["pdftoppm", "-png", "-r", "96", "-singlefile", str(path), str(tmp_path / "page")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr  # no complaint about the content
    image = QImage(str(tmp_path / "page.png"))
    assert not image.isNull()
    curve = sum(  # the current curve's dark blue is drawn, not just the background
        1
        for px in range(0, image.width(), 2)
        for py in range(0, image.height(), 2)
        if (c := image.pixelColor(px, py)).blue() > 120 and c.red() < 60 and c.green() < 90
    )
    assert curve > 50


def test_script_export_reproduces_the_windows_curve(window, dialog, tmp_path):
    dialog.answer = tmp_path / "fit"  # .py is added
    action(window, "exportScriptAction").trigger()
    path = tmp_path / "fit.py"
    assert "Saved the fit as a Python script" in window.statusBar().currentMessage()
    script = runpy.run_path(str(path))
    doc = window.document
    x = doc.dataset.x
    want = doc.problem.predict(doc.state.theta)
    assert np.max(np.abs(script["curve"](x) - want)) / np.max(np.abs(want)) < 1e-10
    assert np.array_equal(script["X"], x) and np.array_equal(script["Y"], doc.dataset.y)
    assert script["TITLE"] == "co2 years"
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.startswith("y = "), run.stderr


def test_the_neural_net_has_no_script_and_writes_nothing(window, dialog, tmp_path):
    window.controller.set_model("mlp")
    assert not window.exports.export_script(tmp_path / "net.py")
    assert "neural net has no script" in notice_text(window)
    assert not (tmp_path / "net.py").exists()
