"""Files as users bring them, in the app: the import dialog's Numbers choice and Skip bad rows, its preview
of text, dates and unreadable cells, its notices (encoding, skipped lines); dates on the plots' x axes and
in the data table, column names on axes and headers; paste of decimal commas and dates; drag and drop
and the background loader through the same reader.

Expected numbers are computed here from the text written, never through the reader under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QFileDialog, QPushButton, QWidget

from workbench.qt.tasks.load_worker import BACKGROUND_LOAD_BYTES
from workbench.qt.views.data_panel import DATE_ROLE, VALUE_ROLE, X_COLUMN, Y_COLUMN
from workbench.qt.window.main_window import MainWindow


def find(parent, name: str, kind=QWidget):
    widget = parent.findChild(kind, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def choose(combo: QComboBox, value) -> None:
    index = combo.findData(value)
    assert index >= 0, f"{combo.objectName()} has no item {value!r}"
    combo.setCurrentIndex(index)


def decimal_year(moment: dt.datetime) -> float:
    start, end = dt.datetime(moment.year, 1, 1), dt.datetime(moment.year + 1, 1, 1)
    return moment.year + (moment - start) / (end - start)


@pytest.fixture
def open_dialog(make_main_window, monkeypatch):
    """File › Open data with the file dialog answering ``path``; returns (window, import dialog)."""

    def opener(path: Path, window: MainWindow | None = None):
        window = window or make_main_window()
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
        window.findChild(type(window.undo_action), "openDataAction").trigger()
        return window, window.import_dialog

    return opener


def click_check_box(qtbot, box: QCheckBox) -> None:
    """Click a check box on its box, as a user does (its middle may be empty space in a wide layout)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(box.height() // 2, box.height() // 2))


def open_with_button(qtbot, window, dialog) -> None:
    button = find(dialog, "importOpenButton", QPushButton)
    assert button.isEnabled(), find(dialog, "importErrorLabel").text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.import_dialog is None)


# -- Skip bad rows ------------------------------------------------------------------------------------
BAD_ROWS = "t,signal,comment\n1,2.5,ok\n2,,sensor off\n3,7.5,\n4,n/a,\n5,12.5,ok\n"


def test_skip_bad_rows_is_a_check_box_that_names_the_rows_it_leaves_out(qtbot, open_dialog, tmp_path):
    window, dialog = open_dialog(write(tmp_path, "bad.csv", BAD_ROWS))
    before = window.document.dataset
    error, notice = find(dialog, "importErrorLabel"), find(dialog, "importNoticeLabel")
    assert error.isVisible() and "line 3, column 2: empty cell" in error.text() and "Skip bad rows" in error.text()
    assert not find(dialog, "importOpenButton", QPushButton).isEnabled()
    skip = find(dialog, "importSkipBadRowsCheck", QCheckBox)
    click_check_box(qtbot, skip)
    assert skip.isChecked() and not error.isVisible()
    assert notice.isVisible() and "Skipped 2 rows" in notice.text() and "lines 3, 5" in notice.text()
    assert "3 points" in find(dialog, "importSummaryLabel").text()
    assert window.document.dataset is before  # nothing changes before Open
    open_with_button(qtbot, window, dialog)
    data = window.document.dataset
    assert data.x.tolist() == [1.0, 3.0, 5.0] and data.y.tolist() == [2.5, 7.5, 12.5]
    assert (data.x_name, data.y_name) == ("t", "signal")


# -- Numbers ------------------------------------------------------------------------------------------
UNCLEAR = "Jahr;Menge\n1.260;2.500\n1.270;2.750\n1.280;3.125\n"


def test_numbers_that_do_not_tell_are_read_as_the_user_chooses(qtbot, open_dialog, tmp_path):
    window, dialog = open_dialog(write(tmp_path, "unclear.csv", UNCLEAR))
    error = find(dialog, "importErrorLabel")
    assert "line 2, column 1" in error.text() and "'1.260'" in error.text() and "Numbers" in error.text()
    numbers = find(dialog, "importDecimalCombo", QComboBox)
    preview = find(dialog, "importPreviewTable").model()
    choose(numbers, "comma")
    assert not error.isVisible()
    assert preview.data(preview.index(0, 0)) == "1260" and preview.data(preview.index(2, 1)) == "3125"
    notice = find(dialog, "importNoticeLabel")
    assert notice.isVisible() and "'1.260' on line 2 is 1260" in notice.text()
    choose(numbers, "point")
    assert preview.data(preview.index(0, 0)) == "1.26" and preview.data(preview.index(2, 1)) == "3.125"
    choose(numbers, "comma")
    open_with_button(qtbot, window, dialog)
    assert window.document.dataset.x.tolist() == [1260.0, 1270.0, 1280.0]
    assert window.document.dataset.y.tolist() == [2500.0, 2750.0, 3125.0]


def test_a_decimal_comma_file_reads_its_thousands_dots_without_asking(qtbot, open_dialog, tmp_path):
    window, dialog = open_dialog(write(tmp_path, "de.csv", "Jahr;Menge\n1.260;255,84\n980;12,5\n"))
    assert find(dialog, "importDecimalCombo", QComboBox).currentData() == "auto"
    preview = find(dialog, "importPreviewTable").model()
    assert preview.data(preview.index(0, 0)) == "1260" and preview.data(preview.index(0, 1)) == "255.84"
    open_with_button(qtbot, window, dialog)
    assert window.document.dataset.x.tolist() == [1260.0, 980.0]


def test_a_chosen_convention_marks_the_cells_it_cannot_read(qtbot, open_dialog, tmp_path):
    _, dialog = open_dialog(write(tmp_path, "mixed.csv", "x;y\n1;2,5\n2;3.5\n3;4,25\n"))
    error = find(dialog, "importErrorLabel")
    assert "line 3, column 2" in error.text() and "one way" in error.text()
    choose(find(dialog, "importDecimalCombo", QComboBox), "comma")
    assert "line 3, column 2: '3.5' has a decimal point" in error.text()
    preview = find(dialog, "importPreviewTable").model()
    assert preview.data(preview.index(1, 1)) == "3.5"  # shown as written
    assert preview.data(preview.index(1, 1), Qt.ItemDataRole.ForegroundRole) is not None  # in red
    click_check_box(qtbot, find(dialog, "importSkipBadRowsCheck", QCheckBox))
    assert dialog.dataset().y.tolist() == [2.5, 4.25]


# -- preview, text and dates, encodings ---------------------------------------------------------------
DAYS = [dt.datetime(2020, 1, 1) + dt.timedelta(days=45 * k) for k in range(8)]
CO2 = "date,co2 (ppm),site\n" + "".join(
    f"{d:%Y-%m-%d},{410 + 0.25 * k!r},{'MLO' if k % 2 else 'BRW'}\n" for k, d in enumerate(DAYS)
)


def test_the_preview_shows_text_and_dates_and_the_dialog_picks_the_date_for_x(qtbot, open_dialog, tmp_path):
    window, dialog = open_dialog(write(tmp_path, "co2.csv", CO2))
    preview = find(dialog, "importPreviewTable").model()
    assert preview.data(preview.index(0, 0)) == "2020-01-01" and preview.data(preview.index(0, 2)) == "BRW"
    x_combo = find(dialog, "importXCombo", QComboBox)
    assert x_combo.itemText(0).endswith("(dates)") and x_combo.itemText(2).endswith("(text)")
    assert dialog.choice() == (0, 1, None)
    assert "x from 2020-01-01 to 2020-11-11" in find(dialog, "importSummaryLabel").text()
    assert find(dialog, "importPlot").getPlotItem().getAxis("bottom").dates
    choose(find(dialog, "importYCombo", QComboBox), 2)
    assert "line 2, column 3: column 'site' holds text such as 'BRW'" in find(dialog, "importErrorLabel").text()
    choose(find(dialog, "importYCombo", QComboBox), 1)
    open_with_button(qtbot, window, dialog)
    data = window.document.dataset
    assert data.x.tolist() == [decimal_year(d) for d in DAYS] and data.x_is_date
    assert (data.x_name, data.y_name) == ("date", "co2 (ppm)")


def test_a_windows_1252_file_says_which_encoding_was_used(open_dialog, tmp_path):
    _, dialog = open_dialog(write(tmp_path, "w.csv", "Temperatur °C;Länge µm\n1,5;2\n3;4,25\n".encode("cp1252")))
    notice = find(dialog, "importNoticeLabel")
    assert notice.isVisible() and "Windows-1252" in notice.text()
    assert "Windows-1252 text" in find(dialog, "importFormatLabel").text()
    assert dialog.dataset().x_name == "Temperatur °C" and dialog.dataset().y.tolist() == [2.0, 4.25]


def test_a_big_file_with_a_late_bad_row_can_be_opened_skipping_it(qtbot, open_dialog, tmp_path):
    rows = [f"{k},{k % 7}.25,station {k % 3}" for k in range(60_000)]
    rows[45_000] = "45000,,station 0"
    path = write(tmp_path, "big.csv", "x,y,where\n" + "\n".join(rows) + "\n")
    assert path.stat().st_size >= BACKGROUND_LOAD_BYTES
    window, dialog = open_dialog(path)
    open_button = find(dialog, "importOpenButton", QPushButton)
    error = find(dialog, "importErrorLabel")
    qtbot.waitUntil(lambda: error.isVisible(), timeout=60_000)
    assert "line 45002, column 2: empty cell" in error.text() and not open_button.isEnabled()
    click_check_box(qtbot, find(dialog, "importSkipBadRowsCheck", QCheckBox))
    assert (
        "Skipped 1 row" in find(dialog, "importNoticeLabel").text()
        and "line 45002" in find(dialog, "importNoticeLabel").text()
    )
    open_with_button(qtbot, window, dialog)
    assert window.document.dataset.n == 59_999


# -- dates and names in the window ----------------------------------------------------------------------
def test_dates_label_both_plots_and_the_table_and_names_head_them(qtbot, make_main_window, tmp_path):
    path = write(tmp_path, "co2.csv", CO2)
    window = make_main_window()
    assert window.open_path(path)
    fit_axis = window.fit_plot.getPlotItem().getAxis("bottom")
    residual_item = window.residual_plot.getPlotItem()
    assert fit_axis.dates and residual_item.getAxis("bottom").dates
    assert fit_axis.labelText == "date" and window.fit_plot.getPlotItem().getAxis("left").labelText == "co2 (ppm)"
    assert residual_item.getAxis("left").labelText == "co2 (ppm) − ŷ"
    window.fit_plot.grab()  # painted as on screen
    low, high = fit_axis.range
    ticks = fit_axis.tickValues(low, high, 600)
    labels = fit_axis.tickStrings(ticks[0][1], 1.0, ticks[0][0])
    assert labels and all(text in ("2020", "2021") or text[:3].isalpha() for text in labels), labels
    model = find(window, "dataTable").model()
    assert model.headerData(X_COLUMN, Qt.Orientation.Horizontal) == "date\n(x)"
    assert model.headerData(Y_COLUMN, Qt.Orientation.Horizontal) == "co2 (ppm)\n(y)"
    assert model.data(model.index(2, X_COLUMN)) == "2020-03-31" and model.data(model.index(2, X_COLUMN), DATE_ROLE)
    assert model.data(model.index(2, X_COLUMN), VALUE_ROLE) == decimal_year(DAYS[2])
    assert model.setData(model.index(2, X_COLUMN), "2020-04-15 12:00")  # a date typed into a date cell
    assert window.document.dataset.x[2] == decimal_year(dt.datetime(2020, 4, 15, 12))
    assert model.data(model.index(2, X_COLUMN)) == "2020-04-15 12:00"
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()  # back to the sample: numbers again, named x and y
    assert not fit_axis.dates and fit_axis.labelText == "x"
    assert model.headerData(X_COLUMN, Qt.Orientation.Horizontal) == "x"
    assert residual_item.getAxis("left").labelText == "y − ŷ"


def test_a_dropped_windows_1252_file_opens_with_a_notice(make_main_window, tmp_path):
    window = make_main_window()
    path = write(tmp_path, "dropped.csv", "Zeit;Wert in °C\n0,5;1\n1,5;2,25\n".encode("cp1252"))
    from PySide6.QtCore import QMimeData, QUrl

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    data = window.document.dataset
    assert data.x.tolist() == [0.5, 1.5] and data.y.tolist() == [1.0, 2.25] and data.y_name == "Wert in °C"
    notice = find(window, "noticeLabel")
    assert notice.isVisible() and "Windows-1252" in notice.text()


# -- paste ----------------------------------------------------------------------------------------------
def test_ctrl_v_reads_tab_separated_decimal_commas_as_a_spreadsheet_copies_them(qtbot, make_main_window):
    window = make_main_window()
    before = window.document.dataset
    QApplication.clipboard().setText("Zeit\tWert\r\n0,5\t1,25\r\n1\t-2,5\r\n1,5\t3\r\n")
    table = find(window, "dataTable")
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    QTest.keyClick(table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    data = window.document.dataset
    assert data.x.tolist() == [*before.x.tolist(), 0.5, 1.0, 1.5]
    assert data.y.tolist() == [*before.y.tolist(), 1.25, -2.5, 3.0]
    assert window.document.undo_stack.undoText() == "Paste 3 points"


def test_pasting_dates_in_place_of_the_data_shows_them_as_dates(make_main_window):
    window = make_main_window()
    QApplication.clipboard().setText("Datum\tMenge\n2021-03-01\t1.234,5\n2021-03-02\t1.250\n")
    window.findChild(type(window.undo_action), "pasteReplacePointsAction").trigger()
    data = window.document.dataset
    assert data.x_is_date and (data.x_name, data.y_name) == ("Datum", "Menge")
    assert data.x.tolist() == [decimal_year(dt.datetime(2021, 3, d)) for d in (1, 2)]
    assert data.y.tolist() == [1234.5, 1250.0]  # '1.234,5' says how '1.250' is written
    assert window.fit_plot.getPlotItem().getAxis("bottom").dates


def test_pasting_dates_after_numbers_is_refused_and_changes_nothing(make_main_window):
    window = make_main_window()
    before, steps = window.document.dataset, window.document.undo_stack.count()
    QApplication.clipboard().setText("2021-03-01\t1\n2021-03-02\t2\n")
    window.findChild(type(window.undo_action), "pastePointsAction").trigger()
    notice = find(window, "noticeLabel")
    assert notice.isVisible() and "pasted x are dates but the data's x are numbers" in notice.text()
    assert window.document.dataset is before and window.document.undo_stack.count() == steps


def test_dragging_the_date_plot_still_adds_points_in_decimal_years(qtbot, make_main_window, tmp_path):
    window = make_main_window()
    assert window.open_path(write(tmp_path, "co2.csv", CO2))
    n = window.document.dataset.n
    view = window.fit_plot.getPlotItem().getViewBox()
    x = decimal_year(dt.datetime(2020, 6, 1))
    point = window.fit_plot.mapFromScene(view.mapViewToScene(QPointF(x, 410.5)))
    qtbot.mouseClick(window.fit_plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(), point.y()))
    data = window.document.dataset
    assert data.n == n + 1 and data.x_is_date and abs(data.x[-1] - x) < 0.01
