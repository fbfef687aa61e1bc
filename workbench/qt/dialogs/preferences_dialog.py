"""The Preferences dialog (Edit › Preferences…): theme, text size, the defaults of new documents, the layout."""

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
from workbench.qt.style.look import MAX_TEXT_SIZE, MIN_TEXT_SIZE, look_manager
from workbench.qt.style.themes import THEMES, theme_manager

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
        self.text_size_spin = QSpinBox(
            objectName="textSizeSpin", minimum=MIN_TEXT_SIZE, maximum=MAX_TEXT_SIZE, singleStep=10, suffix=" %"
        )
        self.text_size_spin.setKeyboardTracking(False)  # typing "150" must not try 1 and 15 on the way
        self.text_size_spin.setToolTip(
            "The size of all text, in percent of the system's font, whatever the screen's DPI; it applies at "
            "once (OK keeps it).  Presentation mode (View menu, Ctrl+Shift+P) makes it 1.6 times bigger still"
        )
        self.text_size_spin.valueChanged.connect(self._on_text_size_changed)
        note = QLabel("The degree and optimiser apply to new windows and sessions; the open fit keeps its own.")
        note.setWordWrap(True)
        self.reset_layout_button = QPushButton("Reset window layout", objectName="resetLayoutButton")
        self.reset_layout_button.setToolTip(
            "Put every panel back where the current layout preset places it (View › Layout › Reset layout, Ctrl+D, R)"
        )
        self.reset_layout_button.clicked.connect(self._on_reset_layout_clicked)
        form = QFormLayout()
        form.addRow("Theme", self.theme_combo)
        form.addRow("Text size", self.text_size_spin)
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
        prefs = self._prefs
        self._show(prefs.theme, prefs.default_degree, prefs.default_optimizer, prefs.text_size)

    def restore_defaults(self) -> None:
        """Show the original preferences (saved only on OK; the text size shows at once)."""
        self._show(*(PREFERENCES[k].default for k in ("theme", "defaultDegree", "defaultOptimizer", "textSize")))

    def _show(self, theme: str, degree: int, optimizer: str, text_size: int) -> None:
        self.theme_combo.setCurrentIndex(self.theme_combo.findData(theme))
        self.degree_spin.setValue(degree)
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(optimizer))
        self.text_size_spin.setValue(text_size)

    def _on_text_size_changed(self, percent: int) -> None:
        look_manager().set_text_size(percent)  # live: the window shows it while the dialog is open

    def reject(self) -> None:  # noqa: D102 - Qt API
        look_manager().set_text_size(self._prefs.text_size)  # Cancel: the text size as it was saved
        super().reject()

    def accept(self) -> None:  # noqa: D102 - Qt API
        self._prefs.set("defaultDegree", self.degree_spin.value())
        self._prefs.set("defaultOptimizer", self.optimizer_combo.currentData())
        self._prefs.set("textSize", self.text_size_spin.value())
        theme = self.theme_combo.currentData()
        self._prefs.set("theme", theme)
        if theme != theme_manager().preference:
            theme_manager().set_preference(theme)
        super().accept()

    def _on_reset_layout_clicked(self) -> None:
        self._window.layout_presets.reset()
        self._window.statusBar().showMessage("Every panel is back where the layout preset puts it.", 8000)
