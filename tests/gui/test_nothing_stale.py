"""Nothing stale (issue: "old results stay after new data"): when data, model or degree change, every
derived view updates or clears, and the learning rate follows the data until the user chooses one."""

from __future__ import annotations

import numpy as np
import pytest
from case_notes import case
from PySide6.QtWidgets import QPushButton

from workbench.fitting.data import Dataset
from workbench.fitting.training import StopReason
from workbench.qt.style.number_style import app_numbers
from workbench.state.rate_advice import rate_advice, readable_rate


def sine(n=30, name="sine") -> Dataset:
    x = np.linspace(-1.0, 1.0, n)
    return Dataset(x, np.sin(np.pi * x) + 0.05 * np.random.default_rng(2).normal(size=n), name)


def years(n=40) -> Dataset:
    """A user's file: x in calendar years, y in the hundreds (raw powers make the stability limit tiny)."""
    x = np.linspace(1990.0, 2020.0, n)
    return Dataset(x, 350 + 1.8 * (x - 1990) + np.random.default_rng(4).normal(0, 0.5, n), "co2")


def run(qtbot, window, **settings):
    window.controller.set_run_settings(**settings)
    with qtbot.waitSignal(window.controller.runFinished, timeout=60_000) as blocker:
        window.controller.start_run()
    return blocker.args[0]


def test_new_data_clears_the_best_by_hand_keeps_pasted_points_knobs_and_bands_and_curve_belong_to_it(
    make_main_window, qtbot
):
    """Edits without a run, in one window, each case's data change undone before the next: new data clears the
    best by hand and undo brings it back; points pasted after the data keep the knobs; the bands belong to the
    model shown and to the data shown; new data starts from a flat line at its level, not the old curve."""
    window = make_main_window(dataset=sine())
    plot, ctl, doc = window.fit_plot, window.controller, window.document
    sine_data = doc.dataset

    with case("the best by hand"):
        ctl.set_knob(1, 1.0)
        best = doc.best_manual
        assert best is not None
        ctl.replace_data(sine(20, "other"), "Open other")
        assert doc.best_manual is None
        doc.undo_stack.undo()
        assert doc.best_manual is not None and doc.best_manual[0] == best[0]

    with case("pasted points"):
        ctl.set_knobs(np.arange(1.0, 7.0) / 10, "by hand")
        theta = doc.theta.copy()
        assert window.data_panel.paste_text("0.5\t0.1\n0.6\t0.2")
        assert doc.dataset.n == 32 and np.array_equal(doc.theta, theta)
        doc.undo_stack.undo()
        assert doc.dataset == sine_data

    with case("the bands"):
        plot.set_show_bands(True)
        drawn = lambda: plot.conf_hi.getData()[0] is not None and len(plot.conf_hi.getData()[0]) > 0  # noqa: E731
        assert drawn()
        ctl.set_model("mlp", (6,))
        assert not drawn(), "the net has no least-squares bands"
        doc.undo_stack.undo()
        assert drawn()
        ctl.replace_data(years(), "Open co2")
        assert drawn() and plot.band_report().n_points == 40  # the new data's, not the old
        doc.undo_stack.undo()
        assert doc.dataset == sine_data

    with case("a flat line at the new data's level"):
        ctl.show_exact(True)
        ctl.set_knobs(doc.exact.coefficients, "fit the sine")
        data = years()
        ctl.replace_data(data, "Open co2")
        xs = np.linspace(1990, 2020, 7)
        np.testing.assert_allclose(doc.curve(xs), np.full(7, data.y.mean()), rtol=1e-9)
        # The loss is the data's variance about their mean: a sane start, not the sine's curve in year units.
        assert doc.loss_value == pytest.approx(np.mean((data.y - data.y.mean()) ** 2), rel=1e-6)


def test_new_data_starts_a_clean_history_and_a_rate_that_follows_it_until_the_user_types_one(make_main_window, qtbot):
    """A run, then new data: a clean loss history with a note, and undo brings the runs back.  Then the
    learning rate follows the data, the model and the optimiser until the user types one.  (One window: the
    first case leaves the rate to follow the data, as a window opens.)"""
    window = make_main_window(dataset=sine())
    ctl, doc, plot = window.controller, window.document, window.loss_plot

    with case("a clean history"):
        run(qtbot, window, max_steps=50, tol=0.0)
        assert len(doc.loss_history) == 1 and not plot.empty_note.isVisible()
        ctl.replace_data(sine(25, "other"), "Open other")
        assert doc.loss_history == [] and plot.empty_note.isVisible()
        assert "starts afresh" in plot.empty_note.toPlainText() and "Undo" in plot.empty_note.toPlainText()
        assert all(curve.getData()[0] is None or len(curve.getData()[0]) == 0 for curve in plot.curves)
        doc.undo_stack.undo()
        assert len(doc.loss_history) == 1 and not plot.empty_note.isVisible()

    with case("the rate follows"):
        assert not doc.settings.lr_chosen
        ctl.replace_data(years(), "Open co2")
        advice = rate_advice(doc)
        assert doc.settings.lr == advice.suggested <= 0.9 * advice.limit
        assert doc.settings.lr == readable_rate(doc.settings.lr)  # two significant digits
        result = run(qtbot, window, max_steps=200, tol=0.0)  # (max_steps only: the rate stays the data's)
        assert result.stop_reason is not StopReason.DIVERGED
        ctl.set_degree(2)
        assert doc.settings.lr == rate_advice(doc).suggested
        ctl.set_run_settings(optimizer="momentum")
        assert doc.settings.lr == rate_advice(doc).suggested
        ctl.set_run_settings(lr=1e-3)  # typed by the user: it stays
        ctl.set_degree(3)
        assert doc.settings.lr == 1e-3 and doc.settings.lr_chosen


def test_a_diverged_run_never_stretches_the_loss_axis_and_its_notice_offers_the_fix(make_main_window, qtbot):
    """Two diverging runs in one window: the first leaves the loss axis at most the ceiling above its start;
    the second's notice names the stability limit and offers a stable rate, which one click sets."""
    window = make_main_window(dataset=sine())
    doc = window.document
    limit = rate_advice(doc).limit

    with case("the loss axis"):
        result = run(qtbot, window, lr=50 * limit, max_steps=400, tol=0.0)
        assert result.stop_reason is StopReason.DIVERGED
        start = doc.loss_history[-1][0]
        (_, _), (y0, y1) = window.loss_plot.getPlotItem().getViewBox().viewRange()
        assert y1 <= np.log10(start) + 2.6  # at most the ceiling (100× the start) and its half-decade snap

    with case("the notice's fix"):
        result = run(qtbot, window, optimizer="gd", lr=30 * limit, max_steps=400, tol=0.0)
        assert result.stop_reason is StopReason.DIVERGED
        fix = window.findChild(QPushButton, "noticeFixButton")
        assert window.notice_label.isVisibleTo(window) and fix.isVisibleTo(window)
        assert "Use a stable learning rate" in window.notice_label.text()
        numbers = app_numbers()
        assert f"stability limit {numbers.learning_rate(limit)} " in window.notice_label.text()
        assert f"sets {numbers.learning_rate(rate_advice(doc).suggested)}." in window.notice_label.text()
        fix.click()
        assert doc.settings.lr == rate_advice(doc).suggested < limit
        assert not fix.isVisibleTo(window)


def test_step_is_recorded_in_the_loss_history(make_main_window, qtbot):
    window = make_main_window(dataset=sine())
    doc = window.document
    before = len(doc.loss_history)
    window.controller.step_once()
    assert len(doc.loss_history) == before + 1 and doc.loss_history[-1].size == 1
    curve = window.loss_plot.curves[0]
    assert len(curve.getData()[0]) == 1 and curve.opts["symbol"] == "o"  # one step: a dot, not an empty line
    losses = [doc.loss_history[-1][0]]
    for _ in range(6):  # presses one after another: one line that grows (five presses once blanked the plot)
        losses.append(doc.problem.loss_at(doc.theta))
        window.controller.step_once()
    assert len(doc.loss_history) == before + 1
    np.testing.assert_allclose(doc.loss_history[-1], losses, rtol=1e-12)
    assert len(curve.getOriginalDataset()[0]) == 7 and curve.opts["symbol"] is None
    window.controller.set_knob(0, float(doc.theta[0]) + 1.0)  # turned by hand in between: a new entry
    window.controller.step_once()
    assert len(doc.loss_history) == before + 2 and doc.loss_history[-1].size == 1


# -- the learning rate follows the data -----------------------------------------------------------------
def test_a_rate_above_the_limit_turns_red_and_one_click_fixes_it(make_main_window, qtbot):
    window = make_main_window(dataset=years())
    ctl, doc = window.controller, window.document
    ctl.set_run_settings(optimizer="gd")
    limit = rate_advice(doc).limit
    ctl.set_run_settings(lr=readable_rate(5 * limit))
    spin = window.findChild(type(window.model_panel.lr_spin), "learningRateSpin")
    button = window.findChild(QPushButton, "stableRateButton")
    assert "background" in spin.styleSheet() and button.isVisibleTo(window)
    numbers = app_numbers()  # the label and the button write their rates with the one formatter
    assert f"stable below {numbers.learning_rate(limit)} " in window.model_panel.lr_limit_label.text()
    assert button.text() == f"Use {numbers.learning_rate(rate_advice(doc).suggested)}"
    button.click()
    assert doc.settings.lr == rate_advice(doc).suggested < limit and not doc.settings.lr_chosen
    assert spin.styleSheet() == "" and not button.isVisibleTo(window)
