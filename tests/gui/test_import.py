"""Data in: File › Open data's import dialog, drag and drop, paste, and big files read in the background.

Every case that must fail checks that nothing changed (the very same dataset object, the same number of
undo steps) and that the message names the file and the line.  Expected numbers are parsed here from
the text that was written (plain ``float``), never through the reader under test.  Dialogs are opened
window-modal without blocking (``QDialog.open``), so no test ever waits on a modal event loop.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QPushButton, QWidget
from window_parts import record_notices

from workbench.qt.tasks.load_worker import BACKGROUND_LOAD_BYTES
from workbench.qt.window.main_window import MainWindow
from workbench.tasks import table_read

CTRL = Qt.KeyboardModifier.ControlModifier
FOUR_COLUMNS = "time,signal,x,sigma\n" + "".join(
    f"{0.5 * k!r},{np.sin(k) + 2:.15g},{k * k - 3:.6g},{0.1 + 0.01 * k:.4g}\n" for k in range(12)
)


def find(window, name: str, kind=QWidget):
    widget = window.findChild(kind, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


def columns_of(text: str) -> np.ndarray:
    """The numbers in a header + comma-separated text, parsed independently of the reader under test."""
    return np.array([[float(c) for c in line.split(",")] for line in text.strip().splitlines()[1:]])


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def choose(combo: QComboBox, column: int | None) -> None:
    """Pick a column in a combo box the way a user does (the item whose data is that column)."""
    index = combo.findData(column)
    assert index >= 0, f"{combo.objectName()} has no column {column}"
    combo.setCurrentIndex(index)


def unchanged(window, dataset, steps: int) -> bool:
    return window.document.dataset is dataset and window.document.undo_stack.count() == steps


@pytest.fixture
def open_dialog(make_main_window, monkeypatch):
    """File › Open data with the file dialog answering ``path``; returns (window, import dialog)."""

    def opener(path: Path, window: MainWindow | None = None):
        window = window or make_main_window()
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
        window.findChild(type(window.undo_action), "openDataAction").trigger()
        return window, window.import_dialog

    return opener


# -- the import dialog ----------------------------------------------------------------------------
def test_open_data_with_a_column_choice_gives_exactly_those_numbers(qtbot, open_dialog, tmp_path):
    path = write(tmp_path, "four.csv", FOUR_COLUMNS)
    window, dialog = open_dialog(path)
    assert dialog is not None and dialog.isVisible() and dialog.isModal()
    before, steps = window.document.dataset, window.document.undo_stack.count()
    preview = find(dialog, "importPreviewTable")
    assert preview.model().rowCount() == 12 and preview.model().columnCount() == 4
    assert preview.model().headerData(3, Qt.Orientation.Horizontal).startswith("sigma")
    assert "12 rows" in find(dialog, "importFormatLabel").text()
    choose(find(dialog, "importXCombo"), 2)
    choose(find(dialog, "importYCombo"), 0)
    choose(find(dialog, "importSigmaCombo"), 3)
    values = columns_of(FOUR_COLUMNS)
    summary = find(dialog, "importSummaryLabel").text()
    assert "12 points" in summary and f"x from {values[:, 2].min():.6g} to {values[:, 2].max():.6g}" in summary
    assert window.document.dataset is before  # choosing changes nothing yet
    qtbot.mouseClick(find(dialog, "importOpenButton", QPushButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.import_dialog is None)
    data = window.document.dataset
    assert np.array_equal(data.x, values[:, 2]) and np.array_equal(data.y, values[:, 0])
    assert np.array_equal(data.sigma, values[:, 3])
    assert data.name == "four"
    stack = window.document.undo_stack
    assert stack.count() == steps + 1 and stack.undoText() == "Open four.csv"  # one undo step
    stack.undo()
    assert window.document.dataset is before


def test_the_dialog_preselects_columns_named_x_y_and_sigma(open_dialog, tmp_path):
    path = write(tmp_path, "named.csv", "sigma,y,x\n0.5,1,2\n0.5,3,4\n")
    _, dialog = open_dialog(path)
    assert dialog.choice() == (2, 1, 0)
    assert find(dialog, "importOpenButton", QPushButton).isEnabled()


def test_cancel_changes_nothing(qtbot, open_dialog, tmp_path):
    window, dialog = open_dialog(write(tmp_path, "four.csv", FOUR_COLUMNS))
    before, steps = window.document.dataset, window.document.undo_stack.count()
    qtbot.mouseClick(find(dialog, "importCancelButton", QPushButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.import_dialog is None)
    assert unchanged(window, before, steps)


BAD_FILES = {
    # name: (content, σ column to choose or None, what the message must name besides the file)
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", None, "line 3: a NUL byte"),
    "ragged": ("x,y\n1,2\n3,4,5\n6,7\n", None, "line 3"),
    "non_number": ("x,y\n1,2\n3,4\n5,five\n", None, "line 4, column 2"),
    "one_column": ("y\n1\n2\n3\n", None, "only 1 column"),
    "empty": ("", None, "no data rows"),
    "bad_sigma": ("x,y,s\n1,2,0.5\n2,3,0.5\n3,4,-1\n", 2, "line 4, column 3"),
    "tiny_sigma": ("x,y,s\n1,2,0.5\n# σ so small its weight 1/σ² overflows\n2,3,1e-200\n", 2, "line 4, column 3"),
}


def test_a_bad_file_shows_where_in_the_dialog_and_changes_nothing(qtbot, open_dialog, make_main_window, tmp_path):
    """Every kind of bad file, one after another in one window: each is refused in the dialog with the
    file and the place named, and the window's data and undo history stay as they were."""
    window = make_main_window()
    for case in [*BAD_FILES, "missing"]:
        if case == "missing":
            path, sigma, detail = tmp_path / "missing.csv", None, "cannot read the file"
        else:
            content, sigma, detail = BAD_FILES[case]
            path = write(tmp_path, f"{case}.csv", content)
        before, steps = window.document.dataset, window.document.undo_stack.count()
        _, dialog = open_dialog(path, window)
        if sigma is not None:
            choose(find(dialog, "importSigmaCombo"), sigma)
        error = find(dialog, "importErrorLabel")
        assert error.isVisible(), case
        assert str(path) in error.text() and detail in error.text(), (case, error.text())
        assert not find(dialog, "importOpenButton", QPushButton).isEnabled(), case
        assert dialog.dataset() is None, case
        dialog.accept()  # Return key / a stray accept: still refused
        assert dialog.isVisible(), case
        qtbot.mouseClick(find(dialog, "importCancelButton", QPushButton), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.import_dialog is None)
        assert unchanged(window, before, steps), case


def test_a_bad_sigma_is_fixed_by_choosing_no_sigma(open_dialog, tmp_path):
    _, dialog = open_dialog(write(tmp_path, "s.csv", BAD_FILES["bad_sigma"][0]))
    choose(find(dialog, "importSigmaCombo"), 2)
    assert not find(dialog, "importOpenButton", QPushButton).isEnabled()
    choose(find(dialog, "importSigmaCombo"), None)
    assert find(dialog, "importOpenButton", QPushButton).isEnabled()
    assert not find(dialog, "importErrorLabel").isVisible()
    assert dialog.dataset().sigma is None


def test_choosing_one_column_twice_is_refused_until_changed(open_dialog, tmp_path):
    _, dialog = open_dialog(write(tmp_path, "four.csv", FOUR_COLUMNS))
    choose(find(dialog, "importYCombo"), dialog.choice()[0])
    assert "both column" in find(dialog, "importErrorLabel").text()
    assert not find(dialog, "importOpenButton", QPushButton).isEnabled()


def test_opening_a_bad_file_directly_names_file_and_line_and_changes_nothing(make_main_window, tmp_path):
    window = make_main_window()
    write(tmp_path, "ragged.csv", BAD_FILES["ragged"][0])
    notices = record_notices(window)
    for name in ("missing.csv", "ragged.csv"):
        before, steps, said = window.document.dataset, window.document.undo_stack.count(), len(notices)
        assert window.open_path(tmp_path / name) is False, name
        assert len(notices) == said + 1, (name, notices[said:])
        notice = find(window, "noticeLabel")
        assert notice.text().endswith(notices[-1][1]), (name, notice.text())
        assert notice.isVisible() and name in notice.text(), (name, notice.text())
        assert ("line 3" in notice.text()) == (name == "ragged.csv"), (name, notice.text())
        assert unchanged(window, before, steps), name


# -- drag and drop --------------------------------------------------------------------------------
def drag_event(kind, paths: list[Path] | None = None, text: str | None = None):
    mime = QMimeData()
    if paths is not None:
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    if text is not None:
        mime.setText(text)
    action = Qt.DropAction.CopyAction
    if kind is QDropEvent:
        return QDropEvent(
            QPointF(50, 50), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        ), mime
    return kind(QPoint(50, 50), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier), mime


def test_dragging_one_file_is_accepted_and_anything_else_refused(make_main_window, tmp_path):
    window = make_main_window()
    path = write(tmp_path, "two.csv", "1,2\n3,4\n")
    for paths, text, accepted in (([path], None, True), ([path, path], None, False), (None, "1,2", False)):
        event, _mime = drag_event(QDragEnterEvent, paths, text)
        event.ignore()
        QApplication.sendEvent(window, event)
        assert event.isAccepted() is accepted, (paths, text)


def test_dragging_a_file_over_the_plot_reaches_the_window(make_main_window, tmp_path):
    window = make_main_window()
    event, _mime = drag_event(QDragEnterEvent, [write(tmp_path, "two.csv", "1,2\n3,4\n")])
    event.ignore()
    QApplication.sendEvent(window.fit_plot.viewport(), event)
    assert event.isAccepted()


def test_dropping_a_two_column_file_opens_it_at_once(make_main_window, tmp_path):
    window = make_main_window()
    text = "x,y\n0.25,1.5\n0.5,-2\n0.75,3e-3\n"
    path = write(tmp_path, "dropped.csv", text)
    steps = window.document.undo_stack.count()
    event, _mime = drag_event(QDropEvent, [path])
    window.dropEvent(event)  # as Qt delivers it (a Drop outside a real drag is not dispatched)
    assert event.isAccepted() and window.import_dialog is None
    values = columns_of(text)
    assert np.array_equal(window.document.dataset.x, values[:, 0])
    assert np.array_equal(window.document.dataset.y, values[:, 1])
    assert window.document.undo_stack.count() == steps + 1
    assert window.document.undo_stack.undoText() == "Open dropped.csv"


def test_dropping_a_wider_file_shows_the_import_dialog(make_main_window, tmp_path):
    window = make_main_window()
    before = window.document.dataset
    event, _mime = drag_event(QDropEvent, [write(tmp_path, "four.csv", FOUR_COLUMNS)])
    window.dropEvent(event)
    dialog = window.import_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.choice() == (2, 1, 3)  # "x" and "sigma" by name; y the first other column
    assert window.document.dataset is before
    dialog.reject()


def test_dropping_a_bad_file_names_file_and_line_and_changes_nothing(make_main_window, tmp_path):
    window = make_main_window()
    before, steps = window.document.dataset, window.document.undo_stack.count()
    path = write(tmp_path, "bad.csv", BAD_FILES["non_number"][0])
    event, _mime = drag_event(QDropEvent, [path])
    window.dropEvent(event)
    notice = find(window, "noticeLabel")
    assert notice.isVisible() and "bad.csv" in notice.text() and "line 4, column 2" in notice.text()
    assert window.import_dialog is None and unchanged(window, before, steps)


def test_dropping_a_session_file_opens_the_session(make_main_window, tmp_path):
    source = make_main_window()
    source.controller.set_degree(3)
    source.controller.set_knob(1, 0.75)
    path = tmp_path / "lesson.json"
    assert source.session_manager.save_to(path)
    window = make_main_window()
    event, _mime = drag_event(QDropEvent, [path])
    window.dropEvent(event)
    assert event.isAccepted() and window.import_dialog is None
    assert window.session_manager.path == path and window.document.state.degree == 3
    np.testing.assert_array_equal(window.document.theta, source.document.theta)


def test_dropping_a_damaged_session_says_why_and_changes_nothing(make_main_window, tmp_path):
    window = make_main_window()
    before, steps = window.document.dataset, window.document.undo_stack.count()
    path = write(tmp_path, "broken.json", '{"format": "curve-fitter-workbench-session", "version": 1, "data": [')
    event, _mime = drag_event(QDropEvent, [path])
    window.dropEvent(event)
    notice = find(window, "noticeLabel")
    assert notice.isVisible() and "broken.json" in notice.text()
    assert window.import_dialog is None and unchanged(window, before, steps)


# -- paste ----------------------------------------------------------------------------------------
def test_ctrl_v_in_the_table_appends_the_pasted_points_as_one_undo_step(qtbot, make_main_window):
    window = make_main_window()
    before, steps = window.document.dataset, window.document.undo_stack.count()
    QApplication.clipboard().setText("x\ty\r\n10\t-1.25\r\n11\t2e-3\r\n12.5\t7\r\n")  # as a spreadsheet copies
    table = find(window, "dataTable")
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    QTest.keyClick(table, Qt.Key.Key_V, CTRL)
    data = window.document.dataset
    assert data.n == before.n + 3
    assert np.array_equal(data.x, np.concatenate([before.x, [10.0, 11.0, 12.5]]))
    assert np.array_equal(data.y, np.concatenate([before.y, [-1.25, 2e-3, 7.0]]))
    stack = window.document.undo_stack
    assert stack.count() == steps + 1 and stack.undoText() == "Paste 3 points"
    stack.undo()
    assert window.document.dataset is before


def test_paste_button_reads_comma_space_and_semicolon_text(qtbot, make_main_window):
    window = make_main_window()
    for text in ("1,2\n3,4\n", "1 2\n3   4\n", "a;b\n1;2\n3;4\n"):
        before = window.document.dataset
        QApplication.clipboard().setText(text)
        qtbot.mouseClick(find(window, "pastePointsButton", QPushButton), Qt.MouseButton.LeftButton)
        assert window.document.dataset.n == before.n + 2, text
        assert np.array_equal(window.document.dataset.x[before.n :], [1.0, 3.0]), text
        assert np.array_equal(window.document.dataset.y[before.n :], [2.0, 4.0]), text


def test_paste_replacing_all_points_from_the_edit_menu(make_main_window):
    window = make_main_window()
    QApplication.clipboard().setText("5,6\n7,8\n")
    window.findChild(type(window.undo_action), "pasteReplacePointsAction").trigger()
    assert np.array_equal(window.document.dataset.x, [5.0, 7.0])
    assert window.document.undo_stack.undoText() == "Paste 2 points, replacing all"


BAD_PASTES = [
    ("1\t2\n3\tabc\n", "line 2, column 2"),
    ("1,2,3\n4,5,6\n", "3 columns"),
    ("   \n", "no text"),
    ("1,2\n3\n", "line 2"),
]


def test_bad_pasted_text_changes_nothing_and_says_where(make_main_window):
    """Every kind of bad text pasted, one after another in one window: each gives its own notice naming
    what is wrong, and the data and undo history stay as they were."""
    window = make_main_window()
    notices = record_notices(window)
    for text, detail in BAD_PASTES:
        before, steps, said = window.document.dataset, window.document.undo_stack.count(), len(notices)
        QApplication.clipboard().setText(text)
        window.findChild(type(window.undo_action), "pastePointsAction").trigger()
        assert len(notices) == said + 1, (text, notices[said:])
        notice = find(window, "noticeLabel")
        assert notice.isVisible() and notice.text().endswith(notices[-1][1]), (text, notice.text())
        assert "Nothing pasted" in notice.text() and detail in notice.text(), (text, notice.text())
        assert unchanged(window, before, steps), text


# -- big files --------------------------------------------------------------------------------------
BIG_ROWS = 200_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """2·10⁵ rows (~7 MB, well above the background threshold) and the numbers written to it."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=BIG_ROWS), rng.normal(scale=100, size=BIG_ROWS)
    path = tmp_path_factory.mktemp("big") / "big.csv"
    path.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(x.tolist(), y.tolist())), encoding="utf-8")
    return path, x, y


def test_a_big_file_loads_in_the_background_with_progress_as_one_undo_step(
    qtbot, make_main_window, big_csv, monkeypatch
):
    path, x, y = big_csv
    window = make_main_window()
    steps = window.document.undo_stack.count()
    # Hold the reader after the first fraction it reports (the task's first progress report, sent at once)
    # until the GUI thread has shown it: proof that the window handles events while the file is being read,
    # however busy the machine is.  (The wait is bounded; a gate that is never opened would fail below.)
    gate, real_read = threading.Event(), table_read.read_table_steps
    held: list[bool] = []

    def gated_read(file, *, progress):
        steps = real_read(file, progress=progress)
        yield next(steps)
        held.append(gate.wait(10))
        return (yield from steps)

    monkeypatch.setattr(table_read, "read_table_steps", gated_read)
    fractions: list[float] = []
    seen_mid_load: list[bool] = []

    def on_progress(fraction: float) -> None:
        fractions.append(fraction)
        if not gate.is_set():
            reads = window.file_loader.handles()
            seen_mid_load.append(
                window.file_loader.loading
                and bool(reads)
                and reads[0].thread.is_alive()
                and find(window, "loadProgressBar").isVisible()
            )
            gate.set()

    window.file_loader.progressed.connect(on_progress)
    with qtbot.waitSignal(window.file_loader.loaded, timeout=60_000):
        assert window.open_path(path) is True
        assert window.file_loader.loading and window.document.dataset.n != BIG_ROWS
    assert seen_mid_load == [True] and held == [True]
    assert all(0 <= f <= 1 for f in fractions) and fractions == sorted(fractions)
    data = window.document.dataset
    assert np.array_equal(data.x, x) and np.array_equal(data.y, y)
    assert window.document.undo_stack.count() == steps + 1
    assert window.document.undo_stack.undoText() == "Open big.csv"
    assert not find(window, "loadProgressBar").isVisible()
    assert window.fit_plot.cloud.isVisible() and len(window.fit_plot.points.data) == 0  # drawn as a cloud


def test_a_big_file_named_at_launch_is_read_after_the_window_appears(qtbot, make_main_window, big_csv):
    path, x, y = big_csv
    window = make_main_window(argv=[str(path)])  # as `workbench big.csv`
    assert window.isVisible() and window.document.dataset.n != BIG_ROWS  # up at once, the sample meanwhile
    qtbot.waitUntil(lambda: window.document.dataset.n == BIG_ROWS, timeout=60_000)
    assert np.array_equal(window.document.dataset.x, x) and np.array_equal(window.document.dataset.y, y)
    assert window.document.undo_stack.count() == 0  # the starting point, as a small file would be
    assert not window.session_manager.modified


def test_a_bad_big_file_named_at_launch_leaves_the_sample_and_says_why(qtbot, make_main_window, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("x,y\n" + "1.5,2.25\n" * 150_000 + "3,oops\n", encoding="utf-8")
    assert path.stat().st_size >= BACKGROUND_LOAD_BYTES
    window = make_main_window(argv=[str(path)])
    before = window.document.dataset
    notice = find(window, "noticeLabel")
    qtbot.waitUntil(lambda: notice.isVisible() and "broken.csv" in notice.text(), timeout=60_000)
    assert "line 150002, column 2" in notice.text() and "'oops'" in notice.text()
    assert window.document.dataset is before and window.document.undo_stack.count() == 0


def test_cancelling_a_big_load_changes_nothing(qtbot, make_main_window, big_csv):
    path, _x, _y = big_csv
    window = make_main_window()
    before, steps = window.document.dataset, window.document.undo_stack.count()
    loader = window.file_loader
    with qtbot.waitSignal(loader.cancelled, timeout=10_000):
        window.open_path(path)
        qtbot.mouseClick(find(window, "cancelLoadButton", QPushButton), Qt.MouseButton.LeftButton)
    assert not loader.loading
    loader.shutdown()  # the abandoned thread ends promptly
    qtbot.wait(50)
    assert unchanged(window, before, steps)
    assert not find(window, "loadProgressBar").isVisible()


def test_the_dialog_reads_a_big_file_in_the_background_then_opens_it(qtbot, open_dialog, big_csv):
    path, x, y = big_csv
    window, dialog = open_dialog(path)
    open_button = find(dialog, "importOpenButton", QPushButton)
    assert not open_button.isEnabled() and "reading" in find(dialog, "importFormatLabel").text()
    assert find(dialog, "importPreviewTable").model().rowCount() == 200  # the first rows at once
    qtbot.waitUntil(open_button.isEnabled, timeout=60_000)
    assert f"{BIG_ROWS:,} rows" in find(dialog, "importFormatLabel").text()
    open_button.click()
    qtbot.waitUntil(lambda: window.import_dialog is None)
    assert np.array_equal(window.document.dataset.x, x) and np.array_equal(window.document.dataset.y, y)


def test_closing_the_window_while_reading_stops_the_reader(qtbot, make_main_window, big_csv):
    window = make_main_window()
    window.open_path(big_csv[0])
    reads = window.file_loader.handles()
    assert window.file_loader.loading and len(reads) == 1 and reads[0].thread.is_alive()
    window.close()
    assert not reads[0].thread.is_alive() and not window.file_loader.handles()


# -- many points on the plot ------------------------------------------------------------------------
def large_dataset(n: int = 6_000):
    from workbench.fitting.data import Dataset

    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, n)  # unsorted, as files often are
    return Dataset(x, np.sin(x) + rng.normal(0, 0.2, n), "many")


def to_pixel(plot, x: float, y: float) -> QPoint:
    view = plot.getPlotItem().getViewBox()
    return plot.mapFromScene(view.mapViewToScene(QPointF(x, y)))


def test_many_points_are_drawn_as_a_downsampled_clipped_cloud(make_main_window):
    from workbench.qt.views.fit_plot import LARGE_N

    data = large_dataset()
    assert data.n > LARGE_N
    window = make_main_window(dataset=data)
    plot = window.fit_plot
    assert len(plot.points.data) == 0  # no per-point interactive symbols
    x, y = plot.cloud.getOriginalDataset()
    order = np.argsort(data.x, kind="stable")  # sorted by x, as clip-to-view needs
    assert np.array_equal(x, data.x[order]) and np.array_equal(y, data.y[order])
    assert plot.cloud.opts["autoDownsample"] and plot.cloud.opts["clipToView"]
    shown = plot.cloud.scatter.data["x"]
    assert 0 < len(shown) < data.n  # fewer drawn than there are, at this zoom
    view = plot.getPlotItem().getViewBox()
    view.setXRange(4.0, 4.5, padding=0)
    shown = plot.cloud.scatter.data["x"]
    inside = np.count_nonzero((data.x >= 4.0) & (data.x <= 4.5))
    assert len(shown) <= inside + 4 and shown.min() >= 3.9 and shown.max() <= 4.6  # clipped to the view


def test_with_many_points_a_click_still_adds_one_and_the_selection_shows(qtbot, make_main_window):
    window = make_main_window(dataset=large_dataset())
    plot = window.fit_plot
    before = window.document.dataset
    target = (float(before.x[10]), float(before.y[10]))  # right on a drawn point
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=to_pixel(plot, *target))
    data = window.document.dataset
    assert data.n == before.n + 1 and window.document.undo_stack.undoText() == "Add point"
    pixel_w, pixel_h = plot.getPlotItem().getViewBox().viewPixelSize()
    assert abs(data.x[-1] - target[0]) <= pixel_w and abs(data.y[-1] - target[1]) <= pixel_h
    assert data.x[-1] in plot.cloud.getOriginalDataset()[0]
    window.data_panel.select_row(42)
    marker_x, marker_y = plot.selected_marker.getData()
    assert (marker_x.tolist(), marker_y.tolist()) == ([data.x[42]], [data.y[42]])


def test_held_out_points_get_their_own_cloud(make_main_window):
    from workbench.fitting.split import Split

    window = make_main_window(dataset=large_dataset())
    window.controller.set_split(Split(0.25, seed=3))
    train, held_out = window.document.state.split_indices()
    data = window.document.dataset
    assert sorted(window.fit_plot.held_out_cloud.getOriginalDataset()[0].tolist()) == sorted(data.x[held_out].tolist())
    assert sorted(window.fit_plot.cloud.getOriginalDataset()[0].tolist()) == sorted(data.x[train].tolist())


def test_back_below_the_limit_the_points_are_interactive_again(make_main_window):
    window = make_main_window(dataset=large_dataset())
    window.controller.replace_data(large_dataset(50), "Few points")
    assert len(window.fit_plot.points.data) == 50
    shown = window.fit_plot.cloud.getOriginalDataset()[0]
    assert shown is None or len(shown) == 0
