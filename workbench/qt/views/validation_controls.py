"""The model panel's validation row: hold out a share of the points, with a seed, and stop early.

"Validation: hold out [20 %] seed [0] · [x] stop early after [200] steps without improvement".  Every
change is a request (``splitRequested``, ``settingsRequested``: a split is an undoable step, patience a run
setting); the row itself only shows what the document says, and how many points train and how many are held out.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from workbench.fitting.split import MAX_FRACTION, MAX_SEED, Split
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.colours import VALIDATION_COLOUR, rgb_css
from workbench.qt.style.number_style import app_numbers
from workbench.state.runs import MAX_STEPS

DEFAULT_PATIENCE = 200


class ValidationControls(QWidget):
    """Hold-out share and seed of the train/validation split, and the early-stopping patience."""

    splitRequested = Signal(object)  # a Split, or None to fit every point
    settingsRequested = Signal(dict)  # run settings to change (patience)

    def __init__(self, document: FitDocument, parent=None):
        super().__init__(parent)
        self.setObjectName("validationControls")
        self.document = document

        self.hold_out_spin = QSpinBox(objectName="holdOutSpin", minimum=0, maximum=round(MAX_FRACTION * 100))
        self.hold_out_spin.setSuffix(" %")
        self.hold_out_spin.setSingleStep(5)
        self.hold_out_spin.setSpecialValueText("off")
        self.hold_out_spin.setKeyboardTracking(False)  # one undo step per value, not per keystroke
        self.hold_out_spin.setToolTip(
            "Hold out this share of the points for validation (chosen at random with the seed): gradient "
            "descent and the exact fit use the rest,\nand the loss history shows the held-out loss beside the "
            "training loss. Held-out points are drawn hollow. 'off' fits every point."
        )
        self.seed_spin = QSpinBox(objectName="splitSeedSpin", minimum=0, maximum=MAX_SEED)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip(
            "Seed of the random choice of held-out points: the same seed always holds out "
            "the same points; another seed, another choice"
        )
        self.early_check = QCheckBox("stop early after", objectName="earlyStopCheck")
        self.early_check.setToolTip(
            "End a run once the validation loss has not improved for this many steps, "
            "and go back to the knobs where it was lowest"
        )
        self.patience_spin = QSpinBox(objectName="patienceSpin", minimum=1, maximum=MAX_STEPS)
        self.patience_spin.setValue(DEFAULT_PATIENCE)
        self.patience_spin.setSingleStep(50)
        self.patience_spin.setKeyboardTracking(False)
        self.patience_spin.setToolTip("Patience: how many steps without a better validation loss end the run")
        self.summary_label = QLabel(objectName="splitSummaryLabel")
        # Wrapped, never wider than the dock: a long validation loss would otherwise widen the whole
        # model panel and give its dock a horizontal scroll bar.
        self.summary_label.setWordWrap(True)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary_label.setToolTip(
            "How many points train the knobs and how many are held out, and the "
            "held-out (validation) loss at the current knobs"
        )

        # Room for a 10-digit seed or patience only when the dock has it: at their full width (~120 px) the
        # rows made the model panel wider than its dock at 1366 px, and the whole panel scrolled sideways.
        for spin in (self.seed_spin, self.patience_spin):
            spin.setMinimumWidth(spin.fontMetrics().horizontalAdvance("0000000") + 24)
        split_row = QHBoxLayout()
        split_row.addWidget(QLabel("hold out"))
        split_row.addWidget(self.hold_out_spin)
        split_row.addWidget(QLabel("seed"))
        split_row.addWidget(self.seed_spin, 1)
        early_row = QHBoxLayout()
        early_row.addWidget(self.early_check)
        early_row.addWidget(self.patience_spin)
        early_row.addWidget(QLabel("steps"), 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(split_row)
        layout.addLayout(early_row)
        layout.addWidget(self.summary_label)

        self.hold_out_spin.valueChanged.connect(self._on_split_edited)
        self.seed_spin.valueChanged.connect(self._on_split_edited)
        self.early_check.toggled.connect(self._on_patience_edited)
        self.patience_spin.valueChanged.connect(self._on_patience_edited)
        document.dataChanged.connect(self.refresh)
        document.modelChanged.connect(self.refresh)  # a split change is a problem change
        document.settingsChanged.connect(self.refresh)
        document.knobsChanged.connect(self._show_summary)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Show the document's split and patience without emitting user edits."""
        split, patience = self.document.state.split, self.document.settings.patience
        widgets = (self.hold_out_spin, self.seed_spin, self.early_check, self.patience_spin)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.hold_out_spin.setValue(0 if split is None else round(split.fraction * 100))
            if split is not None:
                self.seed_spin.setValue(split.seed)
            self.seed_spin.setEnabled(split is not None)
            self.early_check.setChecked(patience is not None)
            if patience is not None:
                self.patience_spin.setValue(patience)
            self.early_check.setEnabled(split is not None or patience is not None)
            self.patience_spin.setEnabled(patience is not None)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._show_summary()

    @Slot()
    def _show_summary(self) -> None:
        doc = self.document
        split = doc.state.split
        if split is None:
            self.summary_label.setText("every point trains the knobs")
            return
        n = doc.dataset.n
        held = split.validation_size(n)
        numbers = app_numbers()
        text = f"{numbers.count(n - held)} train · {numbers.count(held)} held out"
        loss = doc.validation_loss()
        if loss is not None:
            value = app_numbers().loss(loss)
            text += f" · validation loss <span style='color:{rgb_css(VALIDATION_COLOUR)}'>{value}</span>"
        self.summary_label.setText(text)

    @Slot()
    def _on_split_edited(self, *_):
        percent = self.hold_out_spin.value()
        current = self.document.state.split
        # A share the spin box cannot show exactly (say 37.5 % from a session) survives a seed change.
        fraction = (
            current.fraction if current is not None and round(current.fraction * 100) == percent else percent / 100.0
        )
        self.splitRequested.emit(Split(fraction, self.seed_spin.value()) if percent else None)

    @Slot()
    def _on_patience_edited(self, *_):
        patience = self.patience_spin.value() if self.early_check.isChecked() else None
        self.settingsRequested.emit({"patience": patience})
