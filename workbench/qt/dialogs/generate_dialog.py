"""The Generate dialog: pick a known curve, a range, a point count and noise, and preview the points."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.fitting.data import Dataset
from workbench.fitting.generate import CURVES, MAX_POINTS, MIN_POINTS, GenerateSettings

_PREVIEW_POINTS = 2000  # the preview thins larger sets: it only has to show the shape
_X_LIMIT = 1e6


class GenerateDialog(QDialog):
    """Modal dialog that describes a synthetic dataset; ``generated_dataset()`` makes it."""

    def __init__(self, settings: GenerateSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("generateDialog")
        self.setWindowTitle("Generate points")
        settings = settings or GenerateSettings()

        self._kind = QComboBox(objectName="generateKindCombo")
        for key, curve in CURVES.items():
            self._kind.addItem(curve.label, key)
        self._kind.setToolTip("The curve the points are sampled from.")
        self._formula = QLabel(objectName="generateFormulaLabel")
        self._formula.setToolTip("The noise-free curve, drawn as a line in the preview.")
        self._formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._n = QSpinBox(objectName="generatePointsSpin")
        self._n.setRange(MIN_POINTS, MAX_POINTS)
        self._n.setGroupSeparatorShown(True)
        self._n.setToolTip(f"How many points, evenly spaced in x ({MIN_POINTS} to {MAX_POINTS:,}).")

        self._lo = self._number_spin("generateFromSpin", -_X_LIMIT, _X_LIMIT, "Smallest x (must be below 'to').")
        self._hi = self._number_spin("generateToSpin", -_X_LIMIT, _X_LIMIT, "Largest x (must be above 'from').")
        self._noise = self._number_spin(
            "generateNoiseSpin", 0.0, _X_LIMIT, "Standard deviation of the Gaussian noise added to each y (0: none)."
        )
        self._noise.setSingleStep(0.05)

        self._seed = QSpinBox(objectName="generateSeedSpin")
        self._seed.setRange(0, 2**31 - 1)
        self._seed.setToolTip("Random seed: the same seed and settings always give the same points.")

        self._preview = pg.PlotWidget(objectName="generatePreview")
        self._preview.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self._preview.setMinimumHeight(130)
        self._preview.setMenuEnabled(False)
        self._preview.setMouseEnabled(x=False, y=False)
        self._preview.hideButtons()
        self._preview.setToolTip("Preview of the points (large sets are thinned here, not in the data).")
        text_pen = pg.mkPen(self.palette().color(QPalette.ColorRole.Text))
        for axis in ("left", "bottom"):
            self._preview.getAxis(axis).setTextPen(text_pen)
        self._truth = self._preview.plot(pen=pg.mkPen((120, 120, 120), width=1))
        self._points = self._preview.plot(
            pen=None, symbol="o", symbolSize=4, symbolPen=None, symbolBrush=(31, 119, 180)
        )

        self._error = QLabel(objectName="generateErrorLabel")
        self._error.setWordWrap(True)
        error_palette = self._error.palette()
        error_palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.red)
        self._error.setPalette(error_palette)
        self._error.hide()

        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, objectName="generateButtons"
        )
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Generate")
        ok.setToolTip("Replace the data with these points (undo restores the old data).")
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)

        self._build_layout()
        self.resize(380, 460)
        self.set_settings(settings)
        self._kind.currentIndexChanged.connect(self._on_setting_changed)
        for spin in (self._n, self._lo, self._hi, self._noise, self._seed):
            spin.valueChanged.connect(self._on_setting_changed)

    def _number_spin(self, name: str, lo: float, hi: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(objectName=name)
        spin.setRange(lo, hi)
        spin.setDecimals(4)
        spin.setSingleStep(0.1)
        spin.setToolTip(tip)
        return spin

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Curve:", self._kind)
        form.addRow("", self._formula)
        form.addRow("Points:", self._n)
        span = QHBoxLayout()
        span.addWidget(self._lo, 1)
        span.addWidget(QLabel("to"))
        span.addWidget(self._hi, 1)
        form.addRow("x from:", span)
        form.addRow("Noise σ:", self._noise)
        form.addRow("Seed:", self._seed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._preview, 1)
        layout.addWidget(self._error)
        layout.addWidget(self._buttons)

    # -- settings ----------------------------------------------------------------------------------
    def settings(self) -> GenerateSettings:
        """The settings as the dialog shows them now (possibly invalid: see ``error()``)."""
        return GenerateSettings(
            self._kind.currentData(),
            self._n.value(),
            self._lo.value(),
            self._hi.value(),
            self._noise.value(),
            self._seed.value(),
        )

    def set_settings(self, settings: GenerateSettings) -> None:
        """Show ``settings`` in the controls (and refresh the preview)."""
        index = self._kind.findData(settings.kind)
        self._kind.setCurrentIndex(max(index, 0))
        self._n.setValue(settings.n)
        self._lo.setValue(settings.lo)
        self._hi.setValue(settings.hi)
        self._noise.setValue(settings.noise)
        self._seed.setValue(settings.seed)
        self._refresh()

    def error(self) -> str:
        """Why the current settings cannot generate points ('' when they can)."""
        return self._error.text() if not self._error.isHidden() else ""

    def generated_dataset(self) -> Dataset:
        """The dataset the current settings describe; raises ``ValueError`` when they are invalid."""
        return self.settings().generate()

    def accept(self) -> None:
        """Close with OK only when the settings are valid; otherwise keep the dialog open with the reason."""
        if self._refresh():
            super().accept()

    # -- preview -----------------------------------------------------------------------------------
    @Slot()
    def _on_setting_changed(self) -> None:
        self._refresh()

    def _refresh(self) -> bool:
        settings = self.settings()
        self._formula.setText(CURVES[settings.kind].formula)
        try:
            dataset = settings.generate()
        except ValueError as exc:
            self._error.setText(str(exc))
            self._error.show()
            self._buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            self._points.setData([], [])
            self._truth.setData([], [])
            return False
        self._error.hide()
        self._error.clear()
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        step = max(1, dataset.n // _PREVIEW_POINTS)
        self._points.setData(dataset.x[::step], dataset.y[::step])
        xs = np.linspace(settings.lo, settings.hi, 400)
        with np.errstate(over="ignore", invalid="ignore"):
            self._truth.setData(xs, CURVES[settings.kind].function(xs))
        return True
