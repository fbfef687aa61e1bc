"""Names for screen readers and other assistive technology, given to the window's panels in one place.

A plot or a table has no text of its own for a screen reader to say, and a box in a grid has no label
beside it: each gets an accessible name here (the knob rows name their own dials and boxes, as they are
rebuilt with the degree).  A control in a form takes its row's label as its name, as a sighted user
reads it.  Descriptions come from the tooltips, which Qt hands on by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractButton, QFormLayout, QLabel, QWidget

if TYPE_CHECKING:
    from .main_window import MainWindow

NAMES = {  # objectName: accessible name
    "fitPlot": "Fit plot: data points and the current curve",
    "residualPlot": "Residual plot: y minus the curve at each point",
    "lossPlot": "Loss history plot: the loss after each step of gradient descent",
    "surfaceGraphics": "Loss surface over two knobs",
    "graphCanvas": "Computational graph of the loss, with each node's value and gradient",
    "sweepPlot": "Learning-rate sweep plot",
    "dataTable": "Data points table",
    "reportTable": "Fit report: coefficients and their standard errors",
    "gradCheckTable": "Gradient check table: backprop against finite differences",
    "raceScoreboard": "Optimiser race scoreboard",
    "historyView": "Undo history",
    "speedSlider": "Run speed",
    "lossLabel": "Loss",
    "bestManualLabel": "Best loss by hand",
    "formulaLabel": "Formula of the current curve",
    "surfaceAxisX": "Knob along the surface's horizontal axis",
    "surfaceAxisY": "Knob along the surface's vertical axis",
    "graphPointCombo": "Data point whose loss the graph shows",
    "batchSeedSpin": "Seed of the batches",
    "splitSeedSpin": "Seed of the hold-out split",
    "raceStepsSpin": "Steps of the race",
    "holdOutSpin": "Points held out for validation",
    "patienceSpin": "Steps without improvement before stopping early",
    "showManualCheck": "Show the best manual fit",
    "showGdCheck": "Show the gradient-descent result",
    "showExactCheck": "Show the exact optimum",
}


def name_for_assistive_technology(window: MainWindow) -> None:
    """Give the window's plots, tables, slider and readouts their names, and form controls their labels."""
    window.surface_plot.graphics.setObjectName("surfaceGraphics")
    name_widgets(window)


def name_widgets(root: QWidget) -> None:
    """Name the plots, tables, slider and readouts in ``root`` (a window, or a panel built later), and give
    its form controls their labels."""
    for name, text in NAMES.items():
        for widget in [*root.findChildren(QWidget, name), *([root] if root.objectName() == name else [])]:
            widget.setAccessibleName(text)
    for form in root.findChildren(QFormLayout):
        name_by_labels(form)


def name_by_labels(form: QFormLayout) -> None:
    """Each field of ``form`` without a name of its own takes its row's label ("Learning rate")."""
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label is None or field is None or not isinstance(label.widget(), QLabel):
            continue
        text = label.widget().text().replace("&", "").rstrip(":").strip()
        if not text:
            continue
        widgets = [field.widget()] if field.widget() is not None else _layout_widgets(field.layout())
        for widget in widgets:
            if widget is not None and not widget.accessibleName() and not isinstance(widget, (QLabel, QAbstractButton)):
                widget.setAccessibleName(text)
                break  # the first control of the row is the one the label names


def _layout_widgets(layout) -> list[QWidget]:
    if layout is None:
        return []
    return [layout.itemAt(i).widget() for i in range(layout.count()) if layout.itemAt(i).widget() is not None]


def focus_knobs(window: MainWindow) -> None:
    """Bring the knobs to the front and put the keyboard on the first one (arrow keys turn it, Tab moves
    on through the knobs and their value boxes to Run, Step, Solve exactly and Reset)."""
    dock = window.docks["knobs"]
    dock.show()
    dock.raise_()
    if window.knob_panel.rows:
        window.knob_panel.rows[0].dial.setFocus()
