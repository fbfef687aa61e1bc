"""Model and run settings: degree, basis, loss, optimiser, learning rate, step limit, speed, validation."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.fitting.basis import MAX_DEGREE
from workbench.fitting.least_squares import LM_KIND, LM_NAME
from workbench.fitting.losses import LOSS_NAMES, Loss
from workbench.fitting.models import MAX_HIDDEN
from workbench.fitting.optimizers import OPTIMIZER_NAMES
from workbench.qt.app_state.document import FitDocument
from workbench.qt.style.number_style import app_numbers
from workbench.qt.views.validation_controls import ValidationControls
from workbench.qt.views.widgets import LogSpinBox
from workbench.state.rate_advice import rate_advice
from workbench.state.runs import MAX_LR, MAX_STEPS, MIN_LR

BASIS_LABELS = {
    "monomial": "Monomial (raw x)",
    "scaled": "Scaled x ∈ [−1, 1]",
    "legendre": "Legendre",
    "orthonormal": "Orthonormal on the data",
}
OPTIMIZER_LABELS = {**OPTIMIZER_NAMES, LM_KIND: LM_NAME}
SLOWEST_STEPS_PER_S = 2.0


def speed_to_delay(position: int) -> float:
    """Slider 0..100 → pause after each step: 0 → 2 steps/s, 100 → full speed (no pause)."""
    if position >= 100:
        return 0.0
    steps_per_s = SLOWEST_STEPS_PER_S * (1000.0 / SLOWEST_STEPS_PER_S) ** (position / 100.0)
    return 1.0 / steps_per_s


class ModelPanel(QWidget):
    """The controls that define the model and how gradient descent runs (the run buttons: ``RunControls``).

    Every control only asks (the signals below); what the document then says is what the controls show.
    """

    modelRequested = Signal(str, object)  # "polynomial", "mlp" or "formula", and the hidden sizes (None: keep)
    formulaRequested = Signal(str)  # a formula typed in
    guessStartRequested = Signal()
    stableRateRequested = Signal()  # "Use a stable rate": the suggested rate, following the data again
    degreeRequested = Signal(int)
    basisRequested = Signal(str)
    lossRequested = Signal(object)  # a Loss
    settingsRequested = Signal(dict)  # run settings to change: optimizer, lr, max_steps
    speedRequested = Signal(float)  # pause after each step, seconds (0: full speed)

    def __init__(self, document: FitDocument, parent=None):
        super().__init__(parent)
        self.setObjectName("modelPanel")
        self.document = document
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setVerticalSpacing(3)

        self.model_combo = QComboBox(objectName="modelCombo")
        self.model_combo.addItem("Polynomial", "polynomial")
        self.model_combo.addItem("Neural net 1 → H → 1", "mlp1")
        self.model_combo.addItem("Neural net 1 → H → H → 1", "mlp2")
        self.model_combo.addItem("Formula", "formula")
        self.model_combo.setToolTip(
            "What the knobs define: a polynomial's coefficients, the weights of a small neural net with tanh "
            "hidden units, or the parameters of a formula you write; all trained by the same engine and loop"
        )
        self.formula_edit = QLineEdit(objectName="formulaEdit")
        self.formula_edit.setPlaceholderText("e.g. a*exp(-b*x) + c")
        self.formula_edit.setToolTip(
            "y as a formula of x and parameters you name (they become the knobs), e.g. a*exp(-b*x) + c, "
            "A*sin(w*x + phi), b1*(1 - exp(-b2*x)).\nNumbers, + - * / ^ (or **), parentheses, exp log sqrt "
            "sin cos tan arctan tanh abs, pi, e.  Press Enter to use it."
        )
        self.guess_button = QPushButton("Guess start", objectName="guessStartButton")
        self.guess_button.setToolTip(
            "Set the formula's knobs to start values guessed from the data (the parameters it is linear in "
            "are solved, the others searched over the data's scales)"
        )
        self.hidden_spin = QSpinBox(objectName="hiddenSpin", minimum=1, maximum=MAX_HIDDEN)
        self.hidden_spin.setToolTip("Hidden units H per layer of the neural net")
        self.degree_spin = QSpinBox(objectName="degreeSpin", minimum=0, maximum=MAX_DEGREE)
        self.degree_spin.setToolTip("Polynomial degree D: the curve has knobs k0..kD")
        self.basis_combo = QComboBox(objectName="basisCombo")
        for kind, label in BASIS_LABELS.items():
            self.basis_combo.addItem(label, kind)
        self.basis_combo.setToolTip(
            "What the knobs multiply: raw powers of x, powers of x scaled to [−1, 1], "
            "or Legendre polynomials.\nScaled and Legendre make gradient descent far "
            "faster on wide x ranges; the curve's formula is always shown in your x."
        )
        self.loss_combo = QComboBox(objectName="lossCombo")
        for kind, label in LOSS_NAMES.items():
            self.loss_combo.addItem(label, kind)
        self.loss_combo.setToolTip(
            "How misses are scored: squared errors (MSE, SSE) punish big misses hard; "
            "MAE and Huber are gentler on outliers"
        )
        self.optimizer_combo = QComboBox(objectName="optimizerCombo")
        for kind, label in OPTIMIZER_LABELS.items():
            self.optimizer_combo.addItem(label, kind)
        self.optimizer_combo.setToolTip(
            "How a gradient becomes a knob update.  Conjugate gradient and L-BFGS choose their step along a "
            "line; Levenberg–Marquardt uses the Jacobian (squared-error losses)"
        )
        self.batch_spin = QSpinBox(objectName="batchSizeSpin", minimum=0, maximum=10**9)
        self.batch_spin.setSpecialValueText("all points")
        self.batch_spin.setKeyboardTracking(False)
        self.batch_spin.setToolTip(
            "Stochastic gradient descent: each step uses this many points, drawn without replacement within "
            "each pass over the data (seeded); 'all points' is ordinary gradient descent"
        )
        self.seed_spin = QSpinBox(objectName="batchSeedSpin", minimum=0, maximum=2**31 - 1)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("Seed of the batches' draws: the same seed gives the same run")
        self.lr_spin = LogSpinBox(objectName="learningRateSpin")
        self.lr_spin.setRange(MIN_LR, MAX_LR)  # (what a session may hold, too)
        self.lr_spin.setToolTip(
            "Learning rate: how far each step moves the knobs against the gradient.\n"
            "Arrows multiply or divide by 10^0.1; too large and gradient descent diverges."
        )
        self.lr_limit_label = QLabel(objectName="stabilityLabel")
        self.lr_limit_label.setToolTip(
            "Plain gradient descent is stable only below 2/λ_max, where λ_max is the "
            "largest curvature (Hessian eigenvalue) of the loss"
        )
        self.lr_limit_label.setWordWrap(True)
        self.stable_rate_button = QPushButton("Use a stable rate", objectName="stableRateButton")
        self.stable_rate_button.setToolTip(
            "Set the learning rate the data call for, below the stability limit, and let it follow the "
            "data again (Run › Use a stable learning rate)"
        )
        self.stable_rate_button.setVisible(False)
        self.stable_rate_button.clicked.connect(self.stableRateRequested)
        self.steps_spin = QSpinBox(objectName="stepsSpin", minimum=1, maximum=MAX_STEPS)
        self.steps_spin.setSingleStep(1000)
        self.steps_spin.setToolTip("Stop after this many steps (a run also stops when the loss stops changing)")
        self.speed_slider = QSlider(Qt.Orientation.Horizontal, objectName="speedSlider", minimum=0, maximum=100)
        self.speed_slider.setValue(100)
        self.speed_slider.setToolTip("Watch slowly (left: 2 steps a second) or run at full speed (right)")
        self.speed_label = QLabel()

        form.addRow("Model", self.model_combo)
        formula_row = QHBoxLayout()
        formula_row.addWidget(self.formula_edit, 1)
        formula_row.addWidget(self.guess_button)
        form.addRow("y =", formula_row)
        self._formula_row = formula_row
        form.addRow("Hidden units", self.hidden_spin)
        form.addRow("Degree", self.degree_spin)
        form.addRow("Basis", self.basis_combo)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Optimizer", self.optimizer_combo)
        batch_row = QHBoxLayout()
        batch_row.addWidget(self.batch_spin, 1)
        batch_row.addWidget(QLabel("seed"))
        batch_row.addWidget(self.seed_spin)
        form.addRow("Batch", batch_row)
        form.addRow("Learning rate", self.lr_spin)
        limit_row = QHBoxLayout()
        limit_row.addWidget(self.lr_limit_label, 1)
        limit_row.addWidget(self.stable_rate_button)
        form.addRow("", limit_row)
        form.addRow("Step limit", self.steps_spin)
        speed_row = QHBoxLayout()
        speed_row.addWidget(self.speed_slider, 1)
        speed_row.addWidget(self.speed_label)
        form.addRow("Speed", speed_row)
        self.validation = ValidationControls(document)
        form.addRow("Validation", self.validation)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addStretch(1)  # the form at the top, however tall the dock
        self._form = form

        self.degree_spin.valueChanged.connect(self._on_degree_changed)
        self.model_combo.activated.connect(self._on_model_activated)
        self.hidden_spin.valueChanged.connect(self._on_hidden_changed)
        self.basis_combo.activated.connect(self._on_basis_activated)
        self.loss_combo.activated.connect(self._on_loss_activated)
        self.optimizer_combo.activated.connect(self._on_optimizer_activated)
        self.lr_spin.valueChanged.connect(self._on_lr_changed)
        self.steps_spin.valueChanged.connect(self._on_steps_changed)
        self.speed_slider.valueChanged.connect(self._on_speed_changed)
        self.formula_edit.returnPressed.connect(self._on_formula_entered)
        self.guess_button.clicked.connect(self.guessStartRequested)
        self.batch_spin.valueChanged.connect(self._on_batch_changed)
        self.seed_spin.valueChanged.connect(self._on_seed_changed)
        # Not stateChanged: it fires on every knob move (~30 times a second during a run), and each
        # refresh would reset the text of a box the user is typing in.  Knobs show nowhere here.
        document.dataChanged.connect(self.refresh)
        document.modelChanged.connect(self.refresh)
        document.settingsChanged.connect(self.refresh)
        document.overlaysChanged.connect(self.refresh)
        document.factsChanged.connect(self._show_stability)
        document.knobsChanged.connect(self._on_knobs_changed)
        self._on_speed_changed(self.speed_slider.value())
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Show the document's model and settings without emitting user edits."""
        state, settings = self.document.state, self.document.settings
        widgets = (
            self.degree_spin,
            self.basis_combo,
            self.loss_combo,
            self.optimizer_combo,
            self.lr_spin,
            self.steps_spin,
            self.model_combo,
            self.hidden_spin,
            self.batch_spin,
            self.seed_spin,
        )
        for w in widgets:
            w.blockSignals(True)
        try:
            self.degree_spin.setValue(state.degree)
            net, formula = state.model == "mlp", state.model == "formula"
            choice = f"mlp{len(state.hidden)}" if net else state.model
            self.model_combo.setCurrentIndex(self.model_combo.findData(choice))
            self.hidden_spin.setValue(state.hidden[0])
            if formula and not self.formula_edit.hasFocus():
                self.formula_edit.setText(state.formula)
            for row, shown in (
                (self._formula_row, formula),
                (self.hidden_spin, net),
                (self.degree_spin, state.model == "polynomial"),
                (self.basis_combo, state.model == "polynomial"),
            ):
                self._form.setRowVisible(row, shown)
                row.setEnabled(shown)
            self.batch_spin.setMaximum(max(self.document.dataset.n, 1))
            self.batch_spin.setValue(settings.batch_size or 0)
            self.seed_spin.setValue(settings.seed)
            self.basis_combo.setCurrentIndex(self.basis_combo.findData(state.basis.kind))
            self.loss_combo.setCurrentIndex(self.loss_combo.findData(state.loss.kind))
            self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(settings.optimizer))
            self.lr_spin.setValue(settings.lr)
            self.steps_spin.setValue(settings.max_steps)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._show_stability()

    def _show_stability(self) -> None:
        doc = self.document
        settings = doc.settings
        advice = rate_advice(doc)
        limit = advice.limit
        if limit is None or not math.isfinite(limit):
            self.lr_limit_label.setText("")
            self.lr_limit_label.setToolTip("")
            self.lr_spin.setStyleSheet("")
            self.stable_rate_button.setVisible(False)
            return
        above = settings.lr > limit and settings.optimizer == "gd"
        numbers = app_numbers()
        shown = numbers.learning_rate(limit)
        self.lr_limit_label.setText(f"stable below {shown} {advice.words}" + ("  ⚠ above!" if above else ""))
        self.lr_limit_label.setToolTip(advice.tip)
        self.lr_spin.setStyleSheet("QDoubleSpinBox { background: #f7c6c0; color: black; }" if above else "")
        self.stable_rate_button.setVisible(above and advice.suggested is not None)
        if advice.suggested is not None:
            self.stable_rate_button.setText(f"Use {numbers.learning_rate(advice.suggested)}")

    @Slot(int)
    def _on_model_activated(self, index: int):
        choice = self.model_combo.itemData(index)
        if choice in ("polynomial", "formula"):
            self.modelRequested.emit(choice, None)
        else:
            self.modelRequested.emit("mlp", (self.hidden_spin.value(),) * int(choice[-1]))

    @Slot()
    def _on_formula_entered(self):
        self.formulaRequested.emit(self.formula_edit.text())

    @Slot(int)
    def _on_batch_changed(self, value: int):
        self.settingsRequested.emit({"batch_size": int(value) or None})

    @Slot(int)
    def _on_seed_changed(self, value: int):
        self.settingsRequested.emit({"seed": int(value)})

    @Slot(int)
    def _on_hidden_changed(self, value: int):
        state = self.document.state
        if state.model == "mlp":
            self.modelRequested.emit("mlp", (value,) * len(state.hidden))

    @Slot(int)
    def _on_degree_changed(self, value: int):
        self.degreeRequested.emit(value)

    @Slot(int)
    def _on_basis_activated(self, index: int):
        self.basisRequested.emit(self.basis_combo.itemData(index))

    @Slot(int)
    def _on_loss_activated(self, index: int):
        current = self.document.state.loss
        self.lossRequested.emit(Loss(self.loss_combo.itemData(index), current.huber_delta, current.l2))

    @Slot(int)
    def _on_optimizer_activated(self, index: int):
        self.settingsRequested.emit({"optimizer": self.optimizer_combo.itemData(index)})

    @Slot(float)
    def _on_lr_changed(self, value: float):
        if value > 0 and math.isfinite(value):
            self.settingsRequested.emit({"lr": float(value)})

    @Slot(int)
    def _on_steps_changed(self, value: int):
        self.settingsRequested.emit({"max_steps": int(value)})

    @Slot(int)
    def _on_speed_changed(self, position: int):
        delay = speed_to_delay(position)
        self.speedRequested.emit(delay)
        self.speed_label.setText("full speed" if delay == 0 else f"{1 / delay:.0f} steps/s")

    @Slot()
    def _on_knobs_changed(self):
        # A formula's guide is local (its curvature moves with the knobs): follow it, but not during a run.
        if self.document.state.model == "formula" and not self.document.running:
            self._show_stability()
