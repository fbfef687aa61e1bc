"""The data table and the Generate dialog: edits go through the controller, undo restores them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from wired_views import data_panel

from workbench.fitting.data import Dataset
from workbench.fitting.generate import GenerateSettings, generate_points
from workbench.qt.app_state.controller import Controller
from workbench.qt.app_state.document import FitDocument
from workbench.qt.dialogs.generate_dialog import GenerateDialog
from workbench.qt.views.data_panel import RESIDUAL_COLUMN, VALUE_ROLE

X = [0.0, 1.0, 2.0, 3.0, 4.0]
Y = [1.0, 0.5, -0.25, 2.0, 1.0 / 3.0]
EDIT = Qt.ItemDataRole.EditRole
DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
def document():
    return FitDocument(Dataset(X, Y, "five"))


@pytest.fixture
def controller(document):
    controller = Controller(document)
    yield controller
    controller.shutdown()


@pytest.fixture
def panel(qtbot, document, controller):
    panel = data_panel(document, controller)
    qtbot.addWidget(panel)
    panel.resize(260, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def click(qtbot, button):
    assert button.isEnabled(), f"{button.objectName()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def select_rows(panel, rows):
    selection = panel.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            panel.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        )


# -- the table ----------------------------------------------------------------------------------------
def test_table_shows_the_points_and_the_residuals(panel, document, controller):
    model = panel.table.model()
    assert panel.table.objectName() == "dataTable"
    assert (model.rowCount(), model.columnCount()) == (5, 3)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)][:2] == ["x", "y"]
    assert "residual" in model.headerData(2, Qt.Orientation.Horizontal)
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
    assert model.data(model.index(1, 0)) == "1"
    assert model.data(model.index(4, 1)) == format(1 / 3, ".10g")
    assert model.data(model.index(4, 1), EDIT) == repr(1 / 3)  # editing starts from every digit
    controller.set_knob(0, 1.0)  # ŷ = 1 everywhere
    residuals = [model.data(model.index(r, RESIDUAL_COLUMN), VALUE_ROLE) for r in range(5)]
    np.testing.assert_allclose(residuals, np.array(Y) - 1.0)  # y − ŷ, as the residual plot
    assert "y−ŷ" in model.headerData(2, Qt.Orientation.Horizontal)
    assert not model.flags(model.index(0, RESIDUAL_COLUMN)) & Qt.ItemFlag.ItemIsEditable
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable
    assert panel.count_label.text() == "5 points"


def test_turning_a_knob_updates_only_the_residual_column(qtbot, panel, controller):
    model = panel.model
    with qtbot.waitSignal(model.dataChanged) as blocker:
        controller.set_knob(1, 2.0)
    top_left, bottom_right = blocker.args[:2]
    assert (top_left.row(), top_left.column()) == (0, RESIDUAL_COLUMN)
    assert (bottom_right.row(), bottom_right.column()) == (4, RESIDUAL_COLUMN)
    assert model.data(model.index(3, RESIDUAL_COLUMN), VALUE_ROLE) == pytest.approx(Y[3] - 2.0 * 3.0)


def test_editing_a_cell_goes_through_the_controller_and_undoes(panel, document):
    model = panel.model
    original = document.dataset
    assert model.setData(model.index(1, 1), "2.5", EDIT) is True
    assert document.dataset.y[1] == 2.5
    assert document.dataset.x.tolist() == X
    assert model.data(model.index(1, 1)) == "2.5"
    assert model.setData(model.index(2, 0), " -7,25 ", EDIT) is True  # decimal comma accepted
    assert document.dataset.x[2] == -7.25
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.dataset == original
    assert model.data(model.index(1, 1)) == "0.5"


@pytest.mark.parametrize("text", ["abc", "nan", "inf", ""])
def test_bad_text_is_refused_with_a_notice_naming_the_row(qtbot, panel, document, controller, text):
    before, steps = document.dataset, document.undo_stack.count()
    with qtbot.waitSignal(controller.notice) as blocker:
        assert panel.model.setData(panel.model.index(2, 0), text, EDIT) is False
    level, message = blocker.args
    assert level == "warning"
    assert "Row 3" in message
    assert document.dataset is before
    assert document.undo_stack.count() == steps


def test_the_residual_column_refuses_edits(panel, document):
    before = document.dataset
    assert panel.model.setData(panel.model.index(0, RESIDUAL_COLUMN), "1", EDIT) is False
    assert document.dataset is before


def test_typing_in_the_cell_editor_edits_the_point_and_keeps_the_selection(qtbot, panel, document):
    index = panel.model.index(3, 0)
    panel.select_row(3)
    panel.table.edit(index)
    editor = panel.table.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    assert editor.text() == "3.0"
    editor.setText("3.5")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on a queued call
    qtbot.waitUntil(lambda: document.dataset.x[3] == 3.5)
    assert panel.table.indexWidget(index) is None  # the editor closed without complaint
    assert panel.selected_rows() == [3]  # an edit of the same number of points does not reset the table


# -- buttons ------------------------------------------------------------------------------------------
def test_add_puts_a_point_past_the_last_one_on_the_curve(qtbot, panel, document, controller):
    controller.set_knob(1, 2.0)
    rows = []
    panel.rowSelected.connect(rows.append)
    click(qtbot, panel.findChild(type(panel.add_button), "addRowButton"))
    assert document.dataset.n == 6
    assert document.dataset.x[-1] == 5.0  # 4 + mean spacing 1
    assert document.dataset.y[-1] == pytest.approx(10.0)  # on the curve y = 2x: the loss does not jump
    assert rows[-1] == 5  # the new row is selected (after the reset's −1)
    assert panel.selected_rows() == [5]
    assert panel.count_label.text() == "6 points"
    document.undo_stack.undo()
    assert document.dataset.n == 5


def test_add_to_empty_data_starts_at_zero(qtbot, panel, document, controller):
    controller.clear_data()
    click(qtbot, panel.add_button)
    assert document.dataset.x.tolist() == [0.0]
    assert panel.count_label.text() == "1 point"
    click(qtbot, panel.add_button)
    assert document.dataset.x.tolist() == [0.0, 1.0]


def test_remove_deletes_the_selected_rows(qtbot, panel, document):
    assert not panel.remove_button.isEnabled()
    select_rows(panel, [1, 3])
    assert panel.remove_button.isEnabled()
    click(qtbot, panel.remove_button)
    assert document.dataset.x.tolist() == [0.0, 2.0, 4.0]
    assert document.undo_stack.undoText() == "Remove 2 points"
    document.undo_stack.undo()
    assert document.dataset.x.tolist() == X


def test_delete_key_removes_the_selected_rows(qtbot, panel, document):
    select_rows(panel, [0])
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert document.dataset.x.tolist() == X[1:]


def test_clear_removes_everything_and_undo_brings_it_back(qtbot, panel, document):
    click(qtbot, panel.clear_button)
    assert document.dataset.n == 0
    assert panel.model.rowCount() == 0
    assert panel.count_label.text() == "No points"
    assert not panel.clear_button.isEnabled()
    document.undo_stack.undo()
    assert document.dataset.x.tolist() == X
    assert panel.model.rowCount() == 5
    assert panel.clear_button.isEnabled()


def test_every_control_explains_itself_and_mentions_undo(panel):
    for button in (panel.add_button, panel.remove_button, panel.clear_button, panel.generate_button):
        assert "undo" in button.toolTip().lower(), button.objectName()
    assert panel.table.toolTip()


# -- selection ----------------------------------------------------------------------------------------
def test_clicking_a_row_emits_row_selected(qtbot, panel):
    rect = panel.table.visualRect(panel.model.index(2, 1))
    with qtbot.waitSignal(panel.rowSelected) as blocker:
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [2]
    assert panel.selected_rows() == [2]


def test_select_row_from_outside_selects_and_reports(qtbot, panel):
    with qtbot.waitSignal(panel.rowSelected) as blocker:
        panel.select_row(4)
    assert blocker.args == [4]
    assert panel.selected_rows() == [4]
    with qtbot.waitSignal(panel.rowSelected) as blocker:
        panel.select_row(-1)
    assert blocker.args == [-1]
    assert panel.selected_rows() == []
    assert not panel.remove_button.isEnabled()


def test_a_reset_of_the_table_reports_no_current_row(qtbot, panel, controller):
    panel.select_row(1)
    with qtbot.waitSignal(panel.rowSelected) as blocker:
        controller.add_point(9.0, 9.0)  # the row count changes: the table resets
    assert blocker.args == [-1]


def test_ten_thousand_points_load_and_scroll(qtbot, panel, document, controller):
    controller.replace_data(generate_points("sine", 10_000, -1, 1, 0.1, 0), "Generate points")
    assert panel.model.rowCount() == 10_000
    assert panel.count_label.text() == "10,000 points"
    panel.select_row(9_999)
    assert panel.model.data(panel.model.index(9_999, 0)) == "1"
    controller.set_knob(0, 0.5)
    assert panel.model.data(panel.model.index(9_999, RESIDUAL_COLUMN), VALUE_ROLE) == pytest.approx(
        document.dataset.y[-1] - 0.5
    )


# -- the Generate dialog ------------------------------------------------------------------------------
def set_dialog(dialog, **values):
    names = {
        "n": "generatePointsSpin",
        "lo": "generateFromSpin",
        "hi": "generateToSpin",
        "noise": "generateNoiseSpin",
        "seed": "generateSeedSpin",
    }
    for key, value in values.items():
        if key == "kind":
            combo = dialog.findChild(object, "generateKindCombo")
            combo.setCurrentIndex(combo.findData(value))
        else:
            dialog.findChild(object, names[key]).setValue(value)


def test_dialog_generates_the_requested_points_reproducibly(qtbot):
    dialog = GenerateDialog()
    qtbot.addWidget(dialog)
    assert dialog.objectName() == "generateDialog"
    assert dialog.settings() == GenerateSettings()
    set_dialog(dialog, kind="cubic", n=123, lo=-2.0, hi=3.0, noise=0.2, seed=5)
    data = dialog.generated_dataset()
    assert data.n == 123
    assert data.x.min() == -2.0 and data.x.max() == 3.0
    assert data == dialog.generated_dataset() == generate_points("cubic", 123, -2.0, 3.0, 0.2, 5)
    assert dialog.findChild(object, "generateFormulaLabel").text() == "y = x³ − x"
    set_dialog(dialog, seed=6)
    assert not np.array_equal(dialog.generated_dataset().y, data.y)


def test_dialog_refuses_an_empty_range(qtbot):
    dialog = GenerateDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    set_dialog(dialog, lo=1.0, hi=1.0)
    ok = dialog.findChild(QDialogButtonBox, "generateButtons").button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    error = dialog.findChild(object, "generateErrorLabel")
    assert error.isVisible() and "less than" in error.text()
    assert "less than" in dialog.error()
    with pytest.raises(ValueError):
        dialog.generated_dataset()
    dialog.accept()
    assert dialog.isVisible()  # refused: the dialog stays open
    set_dialog(dialog, hi=2.0)
    assert ok.isEnabled() and not error.isVisible() and dialog.error() == ""


def _answer_dialog(panel, accept: bool, **values):
    def answer():
        dialog = panel.findChild(GenerateDialog)
        assert dialog is not None and dialog.isModal()
        set_dialog(dialog, **values)
        dialog.accept() if accept else dialog.reject()

    QTimer.singleShot(0, answer)


def test_generate_button_replaces_the_data_undoably(qtbot, panel, document):
    original = document.dataset
    _answer_dialog(panel, True, n=50, lo=0.0, hi=10.0, seed=3)
    click(qtbot, panel.generate_button)
    assert document.dataset == generate_points("sine", 50, 0.0, 10.0, 0.1, 3)
    assert document.undo_stack.undoText() == "Generate points"
    assert panel.model.rowCount() == 50
    assert panel.generate_settings.n == 50  # the next dialog opens with these settings
    document.undo_stack.undo()
    assert document.dataset == original


def test_cancelling_the_generate_dialog_changes_nothing(qtbot, panel, document):
    before, steps = document.dataset, document.undo_stack.count()
    _answer_dialog(panel, False, n=77)
    click(qtbot, panel.generate_button)
    assert document.dataset is before
    assert document.undo_stack.count() == steps
    assert panel.generate_settings == GenerateSettings()
