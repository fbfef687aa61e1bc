"""The four buttons of a lesson: Run gradient descent (or Stop), Step, Solve exactly and Reset.

They sit under the knobs, so that the knobs, the loss and what turns them are read together on any
screen.  Like every view they only ask (signals) and show what the document says.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from workbench.qt.app_state.document import FitDocument

RUN_TEXT, STOP_TEXT = "Run gradient descent", "Stop"
SOLVE_TIPS = {
    "polynomial": "Show the least-squares optimum as a ghost curve, with its loss (F9)",
    "formula": "Fit the formula with Levenberg–Marquardt from the current knobs and show it as a ghost curve, "
    "with its loss and statistics (F9)",
    "mlp": "The neural net has no closed-form optimum",
}


class RunControls(QWidget):
    """Run / Stop, Step, Solve exactly and Reset: what turns the knobs, besides the user's hand."""

    runToggled = Signal()  # Run, or Stop while running
    stepRequested = Signal()
    exactToggled = Signal(bool)
    resetRequested = Signal()

    def __init__(self, document: FitDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runControls")
        self.document = document
        self.run_button = QPushButton(RUN_TEXT, objectName="runButton")
        self.run_button.setToolTip(
            "Let gradient descent turn the knobs from where they are now (F5); press again to stop"
        )
        self.run_button.setMinimumHeight(34)
        self.step_button = QPushButton("Step", objectName="stepButton")
        self.step_button.setToolTip("Exactly one forward pass, one backward pass and one update (F10)")
        self.solve_button = QPushButton("Solve exactly", objectName="solveButton", checkable=True)
        self.reset_button = QPushButton("Reset", objectName="resetButton")
        self.reset_button.setToolTip("Put every knob back at 0; undoable (Ctrl+R)")
        names = {
            self.run_button: "Run gradient descent",
            self.step_button: "Step once",
            self.solve_button: "Solve exactly",
            self.reset_button: "Reset knobs",
        }
        for button, name in names.items():
            button.setAccessibleName(name)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 2, 0, 0)
        grid.setSpacing(4)
        grid.addWidget(self.run_button, 0, 0, 1, 3)
        grid.addWidget(self.step_button, 1, 0)
        grid.addWidget(self.solve_button, 1, 1)
        grid.addWidget(self.reset_button, 1, 2)
        self.setTabOrder(self.run_button, self.step_button)
        self.setTabOrder(self.step_button, self.solve_button)
        self.setTabOrder(self.solve_button, self.reset_button)
        self.run_button.clicked.connect(self.runToggled)
        self.step_button.clicked.connect(self.stepRequested)
        self.solve_button.toggled.connect(self.exactToggled)
        self.reset_button.clicked.connect(self.resetRequested)
        document.dataChanged.connect(self.refresh)
        document.modelChanged.connect(self.refresh)
        document.overlaysChanged.connect(self.refresh)
        document.runChanged.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Show the document: Stop while running, Solve for the model shown and whether its ghost curve shows."""
        model = self.document.state.model
        self.run_button.setText(STOP_TEXT if self.document.running else RUN_TEXT)
        self.solve_button.setEnabled(model != "mlp")
        self.solve_button.setText("Solve (Levenberg–Marquardt)" if model == "formula" else "Solve exactly")
        self.solve_button.setToolTip(SOLVE_TIPS.get(model, SOLVE_TIPS["polynomial"]))
        self.solve_button.blockSignals(True)
        self.solve_button.setChecked(self.document.show_exact)
        self.solve_button.blockSignals(False)
