"""The real main window, driven as a user drives it: the plot, the table, the knobs, the buttons, launch.

Widgets are found by objectName (the testing contract), never through private attributes.  Every
number the window shows is checked against an independent computation (plain NumPy), not against the
code that produced it.  Runs of gradient descent are in ``test_main_window_runs.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from case_notes import case
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from window_parts import find, loss_on_label, numpy_mse

from workbench.fitting.data import load_dataset
from workbench.fitting.problem import FitProblem
from workbench.paths import default_sample

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
NO_MOD = Qt.KeyboardModifier.NoModifier
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
EDIT = Qt.ItemDataRole.EditRole


# -- helpers ------------------------------------------------------------------------------------------
def view_box(plot):
    return plot.getPlotItem().getViewBox()


def to_pixel(plot, x: float, y: float) -> QPoint:
    """Where the data coordinate (x, y) is drawn, in the plot's (= its viewport's) pixels."""
    return plot.mapFromScene(view_box(plot).mapViewToScene(QPointF(x, y)))


def path_between(start: QPoint, end: QPoint, steps: int = 8) -> list[QPoint]:
    """``steps`` + 1 pixel positions from start to end (a drag is many small moves, not a jump)."""
    return [
        QPoint(round(start.x() + t * (end.x() - start.x())), round(start.y() + t * (end.y() - start.y())))
        for t in np.linspace(0.0, 1.0, steps + 1)
    ]


def drag(viewport: QWidget, path: list[QPoint]) -> None:
    """Press the left button at path[0], move through the path with it held (Qt 6's QTest carries the
    pressed buttons in move events), release at the end."""
    QTest.mousePress(viewport, LEFT, NO_MOD, path[0])
    for pos in path[1:]:
        QTest.mouseMove(viewport, pos)
    QTest.mouseRelease(viewport, LEFT, NO_MOD, path[-1])


def monomial_design(window) -> np.ndarray:
    assert window.document.state.basis.kind == "monomial"
    data = window.document.dataset
    return np.vander(data.x, window.document.state.theta.size, increasing=True)


def engine(window) -> FitProblem:
    """A fresh engine problem for the window's data and degree (not the window's own instance)."""
    data = window.document.dataset
    return FitProblem.polynomial(data.x, data.y, window.document.state.degree, "monomial")


def drawn_points(item) -> int:
    """How many points a curve draws (pyqtgraph says None for an empty curve)."""
    x, _ = item.getData()
    return 0 if x is None else len(x)


def data_items(plot) -> dict:
    """The plot's curves by their legend names."""
    return {item.name(): item for item in plot.getPlotItem().listDataItems() if item.name()}


# -- the fit plot and the table: add, drag, remove, pan, edit ------------------------------------------------
def test_points_are_added_dragged_removed_and_edited_on_the_plot_and_the_table_as_a_user_does(qtbot, make_main_window):
    """One window, each edit undone before the next (so each starts from the sample): a click on empty space
    adds a point where clicked, among the points and beyond the data, without moving the view; dragging a
    point moves it as one undo step; a right click removes one (no context menu), and undo/redo follow; a
    click selects a point (the table follows) and Delete or Backspace removes it; dragging empty space pans
    and adds nothing; a table edit shows on the plot with its residual and the engine's loss."""
    window = make_main_window()
    plot, table = find(window, "fitPlot"), find(window, "dataTable")
    stack = window.document.undo_stack
    sample = window.document.dataset

    for name, (x, y) in {"among the points": (0.3, 0.5), "beyond the data": (1.1, -1.3)}.items():
        with case(f"a click adds a point {name}"):
            before = window.document.dataset
            view_before = view_box(plot).viewRange()

            qtbot.mouseClick(plot.viewport(), LEFT, pos=to_pixel(plot, x, y))

            data = window.document.dataset
            assert data.n == before.n + 1
            np.testing.assert_array_equal(data.x[:-1], before.x)
            pixel_w, pixel_h = view_box(plot).viewPixelSize()
            assert abs(data.x[-1] - x) <= pixel_w and abs(data.y[-1] - y) <= pixel_h
            np.testing.assert_allclose(view_box(plot).viewRange(), view_before, rtol=0, atol=1e-12)  # no jump
            shown_x, shown_y = plot.points.getData()
            assert (shown_x[-1], shown_y[-1]) == (data.x[-1], data.y[-1])
            assert table.model().rowCount() == data.n
            assert stack.undoText() == "Add point"
            stack.undo()
            assert window.document.dataset == sample

    with case("dragging a point"):
        before = window.document.dataset
        i, target = 10, (0.5, -0.8)
        view_before = view_box(plot).viewRange()
        steps = stack.index()  # (the undone edits before wait to be redone: the stack's count is more)

        drag(plot.viewport(), path_between(to_pixel(plot, before.x[i], before.y[i]), to_pixel(plot, *target)))

        data = window.document.dataset
        assert data.n == before.n
        pixel_w, pixel_h = view_box(plot).viewPixelSize()
        assert abs(data.x[i] - target[0]) <= 1.5 * pixel_w and abs(data.y[i] - target[1]) <= 1.5 * pixel_h
        others = np.arange(data.n) != i
        np.testing.assert_array_equal(data.x[others], before.x[others])
        np.testing.assert_array_equal(data.y[others], before.y[others])
        np.testing.assert_allclose(view_box(plot).viewRange(), view_before, rtol=0, atol=1e-12)  # no pan
        assert stack.index() == stack.count() == steps + 1 and stack.undoText() == "Move point"  # one step
        assert plot.points.getData()[0][i] == data.x[i]

        stack.undo()  # one step takes the whole drag back
        assert window.document.dataset == before

    with case("a right click on a point"):
        before = window.document.dataset
        i = 17
        point = (before.x[i], before.y[i])

        qtbot.mouseClick(plot.viewport(), RIGHT, pos=to_pixel(plot, *point))

        assert window.document.dataset.n == before.n - 1
        assert point not in zip(window.document.dataset.x, window.document.dataset.y)
        assert QApplication.activePopupWidget() is None  # the click removed; no context menu opened
        assert len(plot.points.getData()[0]) == before.n - 1

        qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
        assert window.document.dataset == before
        qtbot.keyClick(window, Qt.Key.Key_Z, CTRL | SHIFT)
        assert window.document.dataset.n == before.n - 1
        assert point not in zip(window.document.dataset.x, window.document.dataset.y)
        qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
        assert window.document.dataset == sample

    for key, key_name in ((Qt.Key.Key_Delete, "Delete"), (Qt.Key.Key_Backspace, "Backspace")):
        with case(f"a point selected, then {key_name}"):
            before = window.document.dataset
            i = 4
            point = (before.x[i], before.y[i])

            qtbot.mouseClick(plot.viewport(), LEFT, pos=to_pixel(plot, *point))
            assert window.document.dataset is before  # a click on a point selects; it adds nothing
            assert plot.selected == i
            assert [index.row() for index in table.selectionModel().selectedRows()] == [i]  # the table follows
            assert plot.hasFocus()

            qtbot.keyClick(plot, key)
            assert window.document.dataset.n == before.n - 1
            assert point not in zip(window.document.dataset.x, window.document.dataset.y)

            qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
            assert window.document.dataset == before
            qtbot.keyClick(window, Qt.Key.Key_Z, CTRL | SHIFT)
            assert window.document.dataset.n == before.n - 1
            qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
            assert window.document.dataset == sample

    with case("dragging empty space"):
        before, steps = window.document.dataset, (stack.count(), stack.index())
        (x0, x1), (y0, y1) = view_box(plot).viewRange()
        empty = (0.55, -0.9)  # among the points (so the points item is under the mouse), on none
        assert before.x.min() < empty[0] < before.x.max() and before.y.min() < empty[1] < before.y.max()
        start = to_pixel(plot, *empty)
        nearest = min(
            np.hypot(p.x() - start.x(), p.y() - start.y())
            for p in (to_pixel(plot, x, y) for x, y in zip(before.x, before.y))
        )
        assert nearest > 40
        end = start + QPoint(120, -60)

        drag(plot.viewport(), path_between(start, end))

        assert window.document.dataset is before
        assert (stack.count(), stack.index()) == steps  # no step pushed (a push would drop the redo steps)
        (u0, u1), (v0, v1) = view_box(plot).viewRange()
        pixel_w, pixel_h = view_box(plot).viewPixelSize()
        assert (u1 - u0, v1 - v0) == pytest.approx((x1 - x0, y1 - y0))  # a pan, not a zoom
        assert u0 - x0 == pytest.approx(-120 * pixel_w, abs=3 * pixel_w)  # the content followed the mouse
        assert v0 - y0 == pytest.approx(-60 * pixel_h, abs=3 * pixel_h)  # (up on screen = up in y)

    with case("a table edit"):
        spin = find(window, "knobValue1")
        spin.setValue(0.75)  # a sloped line, so that ŷ differs per point
        theta = window.document.theta
        assert theta[1] == 0.75
        row, new_y = 3, 1.25
        index = table.model().index(row, 1)
        table.setFocus()
        table.setCurrentIndex(index)
        table.edit(index)
        editor = table.indexWidget(index)
        assert isinstance(editor, QLineEdit)
        editor.selectAll()
        qtbot.keyClicks(editor, str(new_y))
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.document.dataset.y[row] == new_y)

        data = window.document.dataset
        shown_x, shown_y = plot.points.getData()
        assert (shown_x[row], shown_y[row]) == (data.x[row], new_y)
        fitted = monomial_design(window)[row] @ theta
        seg_x, seg_y = data_items(plot)["residuals"].getData()
        assert seg_x[2 * row] == seg_x[2 * row + 1] == data.x[row]  # a vertical segment at the point's x
        assert seg_y[2 * row] == new_y
        assert seg_y[2 * row + 1] == pytest.approx(fitted, rel=1e-12)  # … down (or up) to the curve
        assert loss_on_label(window) == pytest.approx(numpy_mse(window), rel=5e-6)  # six significant digits


# -- the knobs ----------------------------------------------------------------------------------------
def assert_shows_the_engine_loss_and_gradient(window) -> None:
    """lossLabel = NumPy MSE; every knob's gradient label = the engine's ∂L/∂k_i = finite differences."""
    theta = window.document.theta
    mse = numpy_mse(window)
    assert loss_on_label(window) == pytest.approx(mse, rel=5e-6)  # six significant digits
    loss, grad = engine(window).value_and_grad(theta)
    assert loss == pytest.approx(mse, rel=1e-12)
    h = 1e-6
    numeric = np.array(
        [(numpy_mse(window, theta + h * e) - numpy_mse(window, theta - h * e)) / (2 * h) for e in np.eye(theta.size)]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    for i, g in enumerate(grad):
        shown = float(find(window, f"knobGradient{i}").text())
        assert shown == pytest.approx(g, rel=1e-3, abs=1e-12), f"k{i}"  # shown with 4 significant digits
        assert shown == pytest.approx(numeric[i], rel=1e-3, abs=1e-9), f"k{i}"
        assert find(window, f"knobValue{i}").value() == theta[i]


def test_the_knobs_and_the_solve_step_and_reset_buttons_show_what_the_engine_computes(qtbot, make_main_window):
    """One window, each case where the last left it: a knob turned with the keyboard (a nudge, then a coarse
    one) and with the wheel shows the engine's loss and gradients (checked by NumPy and finite differences);
    Solve exactly shows the ghost curve and its loss and leaves the knobs alone, a second press hides it;
    Step does exactly one gradient-descent update, one undo step; Reset sets every knob to zero and undo
    brings them back."""
    window = make_main_window()
    stack = window.document.undo_stack

    with case("a knob turned with the keyboard"):
        assert_shows_the_engine_loss_and_gradient(window)
        start_loss = loss_on_label(window)
        knob = find(window, "knob0")
        knob.setFocus()
        assert knob.hasFocus()

        qtbot.keyClick(knob, Qt.Key.Key_Up)  # one nudge: 1% of the knob's ±1 range
        assert window.document.theta[0] == pytest.approx(0.01)
        assert stack.count() == 1 and stack.undoText() == "Turn k0"
        assert loss_on_label(window) != start_loss
        assert_shows_the_engine_loss_and_gradient(window)

        qtbot.keyClick(knob, Qt.Key.Key_Down, SHIFT)  # coarse: 10%
        assert window.document.theta[0] == pytest.approx(-0.09)
        assert_shows_the_engine_loss_and_gradient(window)

    with case("a knob turned with the wheel"):
        knob = find(window, "knob1")
        centre = QPointF(knob.width() / 2, knob.height() / 2)
        steps = stack.count()
        for notches, expected in ((1, 0.01), (3, 0.04), (-1, 0.03)):
            event = QWheelEvent(
                centre,
                QPointF(knob.mapToGlobal(centre)),
                QPoint(0, 0),
                QPoint(0, 120 * notches),
                Qt.MouseButton.NoButton,
                NO_MOD,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            )
            QApplication.sendEvent(knob, event)
            assert window.document.theta[1] == pytest.approx(expected)
            assert_shows_the_engine_loss_and_gradient(window)
        assert stack.count() == steps + 3

    with case("solve exactly"):
        plot, solve = find(window, "fitPlot"), find(window, "solveButton")
        exact_curve = data_items(plot)["exact optimum"]
        assert drawn_points(exact_curve) == 0
        theta, steps = window.document.theta, stack.count()

        qtbot.mouseClick(solve, LEFT)

        assert drawn_points(exact_curve) > 100
        xs, ys = exact_curve.getData()
        X = monomial_design(window)
        coefficients, *_ = np.linalg.lstsq(X, window.document.dataset.y, rcond=None)
        np.testing.assert_allclose(ys, np.vander(xs, X.shape[1], increasing=True) @ coefficients, rtol=1e-7, atol=1e-9)
        optimum_loss = numpy_mse(window, coefficients)
        assert f"{optimum_loss:.6g}" in window.statusBar().currentMessage()
        assert "exact optimum" in [label.text for _, label in plot.legend.items]
        np.testing.assert_array_equal(window.document.theta, theta)  # a ghost: the knobs stay put
        assert stack.count() == steps

        qtbot.mouseClick(solve, LEFT)  # again: hidden
        assert not solve.isChecked()
        assert drawn_points(exact_curve) == 0

    with case("step"):
        find(window, "knobValue2").setValue(-0.4)
        assert find(window, "optimizerCombo").currentData() == "gd"
        lr = find(window, "learningRateSpin").value()
        before = window.document.theta
        _, grad = engine(window).value_and_grad(before)
        steps = stack.count()

        qtbot.mouseClick(find(window, "stepButton"), LEFT)

        np.testing.assert_allclose(window.document.theta, before - lr * grad, rtol=1e-13, atol=1e-15)
        assert stack.count() == steps + 1 and stack.undoText() == "Gradient descent step"
        assert numpy_mse(window) < numpy_mse(window, before)
        assert_shows_the_engine_loss_and_gradient(window)
        stack.undo()
        np.testing.assert_array_equal(window.document.theta, before)

    with case("reset"):
        for i, value in enumerate((0.2, -0.5, 0.25)):
            find(window, f"knobValue{i}").setValue(value)
        before = window.document.theta

        qtbot.mouseClick(find(window, "resetButton"), LEFT)

        np.testing.assert_array_equal(window.document.theta, np.zeros(6))
        assert [find(window, f"knobValue{i}").value() for i in range(6)] == [0.0] * 6
        assert find(window, "knob1").value() == 0
        assert loss_on_label(window) == pytest.approx(
            np.mean(window.document.dataset.y**2), rel=5e-6
        )  # six significant digits
        qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(window.document.theta, before)
        assert find(window, "knobValue1").value() == -0.5


# -- launch -------------------------------------------------------------------------------------------
def test_launch_opens_the_default_sample_with_degree_5_and_knobs_at_zero_in_a_window_a_laptop_fits(
    make_main_window,
):
    window = make_main_window([])
    assert window.document.dataset == load_dataset(default_sample())
    assert find(window, "degreeSpin").value() == 5
    np.testing.assert_array_equal(window.document.theta, np.zeros(6))
    for i in range(6):
        assert find(window, f"knob{i}").value() == 0
        assert find(window, f"knobValue{i}").value() == 0.0
    assert window.findChild(QWidget, "knob6") is None
    assert len(find(window, "fitPlot").points.getData()[0]) == window.document.dataset.n
    assert not find(window, "noticeLabel").isVisible()
    assert window.document.undo_stack.count() == 0
    hint = window.minimumSizeHint()  # (the same shown as before it is first shown)
    assert hint.width() <= 1366 and hint.height() <= 740, hint  # a 1366×768 screen


def write_bad_csv(tmp_path):
    path = tmp_path / "bad_cell.csv"
    path.write_text("x,y\n1,2\n2,abc\n3,4\n", encoding="utf-8")
    return path, "line 3, column 2"


@pytest.mark.parametrize("case", ["missing", "bad-cell"])
def test_launch_with_a_bad_file_opens_the_sample_and_names_the_file(qtbot, make_main_window, tmp_path, case):
    if case == "missing":
        path, detail = tmp_path / "nonexistent.csv", "No such file"
    else:
        path, detail = write_bad_csv(tmp_path)
    window = make_main_window([str(path)])
    notice = find(window, "noticeLabel")
    qtbot.waitUntil(notice.isVisible)
    assert path.name in notice.text() and detail in notice.text()
    assert "sample" in notice.text()
    assert QApplication.activeModalWidget() is None  # a notice, not a dialog
    assert window.document.dataset == load_dataset(default_sample())
    assert find(window, "degreeSpin").value() == 5
