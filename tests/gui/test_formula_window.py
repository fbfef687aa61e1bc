"""Your own formula in the real window: typed into the model panel, start values guessed from the data,
knobs named after its parameters, run with Levenberg–Marquardt or gradient descent, solved as the landmark,
a mistake marked without losing the model, and undo back to the polynomial."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QTableWidget

from workbench.fitting.data import Dataset
from workbench.fitting.least_squares import solve_least_squares
from workbench.fitting.training import StopReason

TRUE = (3.0, 0.7, 0.5)  # a, b, c of y = a·exp(−b·x) + c


def decay_data(n: int = 40) -> Dataset:
    x = np.linspace(0.0, 6.0, n)
    a, b, c = TRUE
    y = a * np.exp(-b * x) + c + np.random.default_rng(3).normal(0.0, 0.02, n)
    return Dataset(x, y, "decay")


def type_formula(qtbot, window, text: str) -> None:
    panel_combo = window.findChild(QComboBox, "modelCombo")
    index = panel_combo.findData("formula")
    assert index >= 0, "the model list offers a formula"
    panel_combo.setCurrentIndex(index)
    panel_combo.activated.emit(index)
    edit = window.findChild(QLineEdit, "formulaEdit")
    assert edit.isVisibleTo(window), "choosing Formula shows where to type it"
    edit.setText(text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def wait_idle(qtbot, window, timeout=30_000) -> None:
    qtbot.waitUntil(lambda: not window.controller.formulas.busy, timeout=timeout)


def test_a_typed_formula_gets_named_knobs_and_a_start_guessed_from_the_data(make_main_window, qtbot):
    window = make_main_window(dataset=decay_data())
    doc = window.document
    notices = []
    window.controller.notice.connect(lambda level, text: notices.append((level, text)))
    type_formula(qtbot, window, "a*exp(-b*x) + c")
    wait_idle(qtbot, window)
    assert doc.state.model == "formula" and doc.state.formula == "a*exp(-b*x) + c"
    assert doc.state.build_model().parameter_labels() == ["a", "b", "c"]
    # The guess is a start, not the answer, but it lands near the truth on data this clear.
    assert np.allclose(doc.state.theta, TRUE, rtol=0.3, atol=0.2), doc.state.theta
    assert any("Guess start" in text for _, text in notices)
    assert doc.undo_stack.undoText() == "Guess start"


def test_levenberg_marquardt_run_and_solve_reach_the_same_fit_and_the_compare_panel_names_it(make_main_window, qtbot):
    window = make_main_window(dataset=decay_data())
    doc, controller = window.document, window.controller
    controller.set_model("formula", formula="a*exp(-b*x) + c")
    wait_idle(qtbot, window)
    start = doc.state.theta.copy()
    expected = solve_least_squares(doc.problem, start)
    controller.set_run_settings(optimizer="lm", max_steps=200, tol=1e-12)
    with qtbot.waitSignal(controller.runFinished, timeout=60_000) as blocker:
        controller.start_run()
    result = blocker.args[0]
    assert result.stop_reason in (StopReason.CONVERGED, StopReason.STALLED)
    np.testing.assert_allclose(doc.state.theta, expected.params, rtol=1e-6)
    # The solve button's role for formulas: Levenberg–Marquardt, shown dashed, named in the compare panel.
    controller.show_exact(True)
    wait_idle(qtbot, window)
    assert doc.landmark is not None
    assert doc.landmark.loss == pytest.approx(expected.loss, rel=1e-9)
    solve = [b for b in window.findChildren(QPushButton) if "Solve" in b.text()]
    assert solve and all("Levenberg" in b.text() for b in solve), [b.text() for b in solve]
    labels = [label.text() for label in window.findChildren(QLabel)]
    assert any("Levenberg–Marquardt" in text for text in labels)


def test_gradient_descent_on_a_formula_lowers_the_loss_and_stays_finite(make_main_window, qtbot):
    window = make_main_window(dataset=decay_data())
    doc, controller = window.document, window.controller
    controller.set_model("formula", formula="a*exp(-b*x) + c")
    wait_idle(qtbot, window)
    before = doc.loss_value
    controller.set_run_settings(optimizer="adam", lr=0.01, max_steps=300, tol=0.0)
    with qtbot.waitSignal(controller.runFinished, timeout=60_000):
        controller.start_run()
    assert np.isfinite(doc.state.theta).all() and doc.loss_value <= before


def test_a_mistake_in_the_formula_is_marked_and_the_model_is_kept(make_main_window, qtbot):
    window = make_main_window(dataset=decay_data())
    doc, controller = window.document, window.controller
    controller.set_model("formula", formula="a*exp(-b*x) + c")
    wait_idle(qtbot, window)
    kept = (doc.state.formula, doc.state.theta.copy())
    notices = []
    controller.notice.connect(lambda level, text: notices.append((level, text)))
    type_formula(qtbot, window, "a*exp(-b*x + c")
    assert (doc.state.formula, list(doc.state.theta)) == (kept[0], list(kept[1]))
    level, text = notices[-1]
    assert level == "error" and "formula was not used" in text
    assert any(ch.isdigit() for ch in text), "the message says where the mistake is"


def test_editing_a_formula_keeps_the_values_of_parameters_it_still_has(make_main_window, qtbot):
    window = make_main_window(dataset=decay_data())
    doc, controller = window.document, window.controller
    controller.set_model("formula", formula="a*exp(-b*x) + c")
    wait_idle(qtbot, window)
    controller.set_knobs(np.array([2.5, 0.6, 0.4]), "by hand")
    controller.formulas.set_formula("a*exp(-b*x) + c + d*x")
    wait_idle(qtbot, window)
    labels = doc.state.build_model().parameter_labels()
    values = dict(zip(labels, doc.state.theta))
    assert labels == ["a", "b", "c", "d"]
    # d is new, so a start was guessed for all of them; without the guess a, b, c would have stayed.
    assert np.isfinite(doc.state.theta).all()
    doc.undo_stack.undo()  # the guess
    doc.undo_stack.undo()  # the edit
    assert doc.state.formula == "a*exp(-b*x) + c"
    np.testing.assert_allclose(doc.state.theta, [2.5, 0.6, 0.4])
    assert values  # (read above, before undo)


def test_undo_returns_from_a_formula_to_the_polynomial_and_its_knobs(make_main_window, qtbot):
    window = make_main_window(dataset=decay_data())
    doc, controller = window.document, window.controller
    poly = (doc.state.model, doc.state.theta.copy())
    controller.set_model("formula", formula="a*exp(-b*x) + c")
    wait_idle(qtbot, window)
    while doc.state.model == "formula":
        assert doc.undo_stack.canUndo()
        doc.undo_stack.undo()
    assert doc.state.model == poly[0]
    np.testing.assert_array_equal(doc.state.theta, poly[1])


def test_a_formulas_words_are_a_formulas(make_main_window, qtbot):
    """The landmark of a formula is its Levenberg–Marquardt fit, the lab says what it cannot do for a formula,
    and Guess start says its name once (the walkthrough found neural-net words and "Guess start: Guess start:")."""
    window = make_main_window(dataset=decay_data())
    notices: list[str] = []
    window.controller.notice.connect(lambda _level, text: notices.append(text))
    window.controller.set_model("formula", formula="a*exp(-b*x) + c")
    wait_idle(qtbot, window)
    window.controller.formulas.guess_start()
    qtbot.waitUntil(lambda: any("Guess start" in text for text in notices), timeout=20_000)
    assert not any(text.count("Guess start") > 1 for text in notices), notices
    window.docks["lab"].raise_()
    qtbot.waitUntil(lambda: "formula" in window.conditioning_lab.limit_label.text())
    assert "neural" not in window.findChild(QLabel, "conditionNumberLabel").text()
    ladder = window.findChild(QTableWidget, "basisLadder")
    assert not any("in use" in ladder.item(row, 0).text() for row in range(ladder.rowCount()))  # no basis
    window.controller.show_exact(True)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "Levenberg–Marquardt fit" in [name for _, name in window.fit_plot._legend_items])
    assert "exact optimum" not in [name for _, name in window.fit_plot._legend_items]
