"""The Preferences dialog (Edit › Preferences…): theme, the defaults of new documents, the dock layout."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from workbench.fitting.basis import MAX_DEGREE
from workbench.fitting.optimizers import OPTIMIZER_KINDS, OPTIMIZER_NAMES
from workbench.qt.app_state.preferences import PREFERENCES, Preferences
from workbench.qt.style.themes import THEMES, theme_manager
from workbench.qt.window.layout import reset_window_layout

THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


class PreferencesDialog(QDialog):
    """Edit the preferences: theme, the degree and optimiser new documents start with, the dock layout.

    Non-modal (``show()``), so the window stays usable beside it; OK saves and applies, Cancel forgets.
    """

    def __init__(self, window: QMainWindow, prefs: Preferences | None = None):
        super().__init__(window)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self._window = window
        self._prefs = prefs or Preferences()
        self.theme_combo = QComboBox(objectName="themeCombo")
        for theme in THEMES:
            self.theme_combo.addItem(THEME_LABELS[theme], theme)
        self.theme_combo.setToolTip("Light or dark; “Follow the system” switches when the operating system does")
        self.degree_spin = QSpinBox(objectName="defaultDegreeSpin", minimum=0, maximum=MAX_DEGREE)
        self.degree_spin.setToolTip("The polynomial degree a new window or session starts with")
        self.optimizer_combo = QComboBox(objectName="defaultOptimizerCombo")
        for kind in OPTIMIZER_KINDS:
            self.optimizer_combo.addItem(OPTIMIZER_NAMES.get(kind, kind), kind)
        self.optimizer_combo.setToolTip("The optimiser a new window or session starts with")
        note = QLabel("The degree and optimiser apply to new windows and sessions; the open fit keeps its own.")
        note.setWordWrap(True)
        self.reset_layout_button = QPushButton("Reset window layout", objectName="resetLayoutButton")
        self.reset_layout_button.setToolTip("Put every panel back where it was when the app was first started")
        self.reset_layout_button.clicked.connect(self._on_reset_layout_clicked)
        form = QFormLayout()
        form.addRow("Theme", self.theme_combo)
        form.addRow("Default degree", self.degree_spin)
        form.addRow("Default optimiser", self.optimizer_combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            objectName="preferencesButtons",
        )
        tips = {
            QDialogButtonBox.StandardButton.Ok: "Save and apply these preferences",
            QDialogButtonBox.StandardButton.Cancel: "Close without changing anything",
            QDialogButtonBox.StandardButton.RestoreDefaults: "Fill in the original preferences (OK saves them)",
        }
        for which, tip in tips.items():
            buttons.button(which).setToolTip(tip)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.reset_layout_button)
        layout.addWidget(buttons)
        self.load()

    def load(self) -> None:
        """Show the saved preferences."""
        self._show(self._prefs.theme, self._prefs.default_degree, self._prefs.default_optimizer)

    def restore_defaults(self) -> None:
        """Show the original preferences (saved only on OK)."""
        self._show(*(PREFERENCES[k].default for k in ("theme", "defaultDegree", "defaultOptimizer")))

    def _show(self, theme: str, degree: int, optimizer: str) -> None:
        self.theme_combo.setCurrentIndex(self.theme_combo.findData(theme))
        self.degree_spin.setValue(degree)
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(optimizer))

    def accept(self) -> None:  # noqa: D102 - Qt API
        self._prefs.set("defaultDegree", self.degree_spin.value())
        self._prefs.set("defaultOptimizer", self.optimizer_combo.currentData())
        theme = self.theme_combo.currentData()
        self._prefs.set("theme", theme)
        if theme != theme_manager().preference:
            theme_manager().set_preference(theme)
        super().accept()

    def _on_reset_layout_clicked(self) -> None:
        reset_window_layout(self._window, self._prefs)
        self._window.statusBar().showMessage("Every panel is back in its original place.", 8000)
