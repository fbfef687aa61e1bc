"""Stress: degenerate data and every learning rate, through every view of the window.

0, 1 and 2 points; every x equal; a degree above points − 1; x or y around 1e300 and 1e-300, and mixed.
On each, everything a user can do runs: step, run, solve exactly, every basis and loss, a split, the
snapshots, the gradient check, the learning-rate sweep, the race, the graph's forward/backward walk, the
View toggles; then every dock is raised and the window painted.  Each gives a clear message or a sane
result (finite knobs): never an exception (pytest-qt fails a test on one raised in a slot or a paint
event), never a Qt warning, never a run that does not end (every wait is bounded).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from case_notes import case
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from stress_helpers import assert_finite_knobs, render_every_view
from window_parts import record_notices

from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.models import MAX_HIDDEN
from workbench.fitting.split import Split
from workbench.qt.views.knob_panel import MAX_KNOB_ROWS
from workbench.qt.views.widgets import LogSpinBox

RUN_BOUND_MS = 15_000  # a run of at most RUN_STEPS steps must end within this (it takes milliseconds)
RUN_STEPS = 300

BIG, TINY = 1e300, 1e-300
CASES = {
    "no points": ([], []),
    "one point": ([2.0], [3.0]),
    "two points": ([1.0, 2.0], [1.0, 4.0]),
    "all x equal": ([3.0] * 6, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    "two points at one x": ([1.0, 1.0], [0.0, 2.0]),
    "x near 1e300": ([BIG, 1.5 * BIG, 2 * BIG, 3 * BIG], [1.0, 2.0, 0.5, 3.0]),
    "y near 1e300": ([0.0, 1.0, 2.0, 3.0], [BIG, -BIG, 2 * BIG, 0.5 * BIG]),
    "x near 1e-300": ([TINY, 2 * TINY, 3 * TINY, 5 * TINY], [1.0, 2.0, 0.5, 3.0]),
    "y near 1e-300": ([0.0, 1.0, 2.0, 3.0], [TINY, -TINY, 2 * TINY, 0.0]),
    "x 1e300, y 1e-300": ([BIG, 2 * BIG, 3 * BIG], [TINY, 2 * TINY, -TINY]),
    "x 1e-300, y 1e300": ([TINY, 2 * TINY, 3 * TINY], [BIG, -BIG, 2 * BIG]),
    "x from 1e-300 to 1e300": ([TINY, 1.0, BIG], [1.0, 2.0, 3.0]),
    "largest doubles": ([-1.7976931348623157e308, 0.0, 1.7976931348623157e308], [1.0, -1.0, 1.0]),
    "x up to 1e307": ([1e306, 5e306, 1e307], [1.0, -1.0, 1.0]),
}


def wait_until_over(qtbot, condition, what: str, stop=None, timeout_ms: int = RUN_BOUND_MS) -> None:
    """Wait (bounded) for background work to end; past the bound, stop it and fail: a frozen window."""
    try:
        qtbot.waitUntil(condition, timeout=timeout_ms)
    except Exception:  # noqa: BLE001 - pytest-qt's TimeoutError, or any failure: stop the work first
        if stop is not None:
            stop()
        pytest.fail(f"{what} did not end within {timeout_ms} ms")


def run_bounded(qtbot, window, steps: int = RUN_STEPS) -> None:
    ctl = window.controller
    ctl.set_run_settings(max_steps=steps)
    ctl.start_run()
    wait_until_over(qtbot, lambda: not ctl.running, "gradient descent", ctl.stop_run)
    assert_finite_knobs(window)


def click(window, name: str) -> None:
    button = window.findChild(QPushButton, name)
    assert button is not None, name
    if button.isEnabled():
        button.click()


def exercise_everything(qtbot, window) -> None:
    """Every action of the window, once, on whatever data it holds."""
    ctl, doc = window.controller, window.document
    for action in (window.forces_action, window.squares_action, window.bands_action):
        action.setChecked(True)
    ctl.show_exact(True)
    ctl.step_once()
    assert_finite_knobs(window)
    run_bounded(qtbot, window)
    for slot in ("my best knobs", "GD result", "exact"):
        ctl.take_snapshot(slot)
    ctl.set_knob(0, 0.5)
    for kind in ("scaled", "legendre", "monomial"):
        ctl.set_basis(kind)
        assert_finite_knobs(window)
    for loss in ("mae", "huber", "sse", "mse"):
        ctl.set_loss(Loss(loss))
        ctl.step_once()
        assert_finite_knobs(window)
    ctl.set_split(Split(0.3, 1))
    run_bounded(qtbot, window, 50)
    ctl.set_split(None)
    for degree in (0, 1, 9, 3):
        ctl.set_degree(degree)
        ctl.step_once()
        assert_finite_knobs(window)
    click(window, "gradCheckButton")
    lab = window.conditioning_lab
    lab.sweep_steps, lab.sweep_points = 30, 4
    lab.start_sweep()
    wait_until_over(qtbot, lambda: not lab.sweep_running, "the learning-rate sweep", lab.stop_sweep)
    race = window.race_panel
    if race.start_race():
        qtbot.wait(30)
        race.stop_race()
        assert not race.running
    graph = window.graph_view
    graph.set_point(0 if doc.dataset.n else None)
    for _ in range(3):
        graph.step_forward()
    graph.step_backward()
    graph.run_pass()
    graph.reset_walk()
    ctl.set_model("mlp", (3,))
    run_bounded(qtbot, window, 50)
    ctl.set_model("polynomial")
    ctl.reset_knobs()
    ctl.restore_manual_fit()
    assert_finite_knobs(window)


# Data no fit can be computed with in double precision: refused with a message, nothing changed.
REFUSED = {"y near 1e300", "x near 1e-300", "x 1e-300, y 1e300", "largest doubles"}
# Data raw powers of x cannot hold, but the Scaled basis can: opened in the Scaled basis, with a note.
RESCALED = {"x near 1e300", "x 1e300, y 1e-300", "x from 1e-300 to 1e300", "x up to 1e307"}


def document_view(window) -> tuple:
    """What a refused change must leave as it was."""
    doc = window.document
    return (doc.dataset, doc.state, doc.undo_stack.count(), doc.undo_stack.index(), window.windowTitle())


# Cases much like another one run in the long version only (each case takes a second or two).  Refused data
# all run by default: refusals change nothing, so they share one window and take a fraction of a second each.
LONG_ONLY = {"two points at one x", "x 1e300, y 1e-300"}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=pytest.mark.slow) if case in LONG_ONLY else case
        for case in CASES
        if case not in REFUSED
    ],
)
def test_degenerate_data_gives_a_message_or_a_sane_result_in_every_view(qtbot, make_main_window, case):
    """Data a fit can be computed with (rescaled where raw powers cannot hold it): every action, every view."""
    x, y = CASES[case]
    window = make_main_window()
    notices = record_notices(window)

    opened = window.controller.replace_data(Dataset(x, y, case), f"Open {case}")

    assert opened and window.document.dataset.name == case
    kind = window.document.state.basis.kind
    assert kind == ("scaled" if case in RESCALED else "monomial"), kind
    if case in RESCALED:
        assert any("Scaled basis is used" in text for _, text in notices), notices
    exercise_everything(qtbot, window)
    render_every_view(window, qtbot)

    assert_finite_knobs(window)
    for level, text in notices:
        assert text.strip() and "Traceback" not in text, (level, text)
    if not x:
        assert any("no data points" in text for _, text in notices), notices
    window.close()


def test_data_beyond_double_precision_is_refused_whole_or_point_by_point_and_nothing_changes(qtbot, make_main_window):
    """Data no fit can be computed with in double precision, opened whole (every such case, one after another
    in one window: each refusal leaves the document as it was, which is checked) or added, moved, typed point
    by point and knob by knob: refused with a message, nothing changed, every view still drawn."""
    window = make_main_window()
    notices = record_notices(window)
    before = document_view(window)

    for name in sorted(REFUSED):
        with case(f"opening {name}"):
            x, y = CASES[name]
            notices.clear()
            opened = window.controller.replace_data(Dataset(x, y, name), f"Open {name}")
            assert not opened and document_view(window) == before
            level, text = notices[-1]
            assert level == "error" and "cannot be computed in double precision" in text and "rescale" in text, text
            render_every_view(window, qtbot)  # the sample is still there, drawn as before

    with case("point by point"):
        notices.clear()
        ctl = window.controller
        ctl.add_point(1.0, 1e300)  # its square overflows the mean squared error
        ctl.move_point(0, 1e300, 1.0)  # x^5 overflows in the monomial basis
        assert not ctl.edit_cell(1, 1, "-1e300")
        knob = window.findChild(QWidget, "knobValue5")
        knob.setValue(1e300)  # typed: a knob that makes the loss overflow
        assert document_view(window) == before
        assert len(notices) == 4 and all("was not done" in text for _, text in notices), notices
        assert knob.value() == window.document.theta[5] == 0.0  # the refused value is not left on show
        render_every_view(window, qtbot)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=() if case in ("y near 1e300", "x near 1e300") else pytest.mark.slow)
        for case in sorted(REFUSED | RESCALED)
    ],
)
def test_extreme_data_at_launch_opens_rescaled_or_falls_back_to_the_sample(qtbot, make_main_window, tmp_path, case):
    path = tmp_path / "extreme.csv"
    path.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(*CASES[case])), encoding="utf-8")
    window = make_main_window(argv=[str(path)])  # (shown: the notice, posted at start, has been shown)
    message = window.statusBar().currentMessage()
    if case in REFUSED:
        assert window.document.dataset.name != "extreme"
        assert "cannot be computed in double precision" in message and "showing the sample" in message, message
    else:
        assert window.document.dataset.name == "extreme" and window.document.state.basis.kind == "scaled"
        assert "The Scaled basis is used for these data" in message, message
    render_every_view(window, qtbot)


def test_degree_above_points_minus_one_warns_and_interpolates(qtbot, make_main_window):
    window = make_main_window(dataset=Dataset([0.0, 1.0, 2.0], [1.0, 3.0, 2.0], "three"))
    notices: list[str] = []
    window.controller.notice.connect(lambda level, text: notices.append(text))
    window.controller.set_degree(8)
    window.controller.show_exact(True)
    assert any("passes through every point" in text for text in notices), notices
    exercise_everything(qtbot, window)
    render_every_view(window, qtbot)


# -- every learning rate from 1e-6 to 10 --------------------------------------------------------------------
LR_DATA = {
    "sample": None,
    "two points": ([1.0, 2.0], [1.0, 4.0]),
    "x near 1e300": CASES["x near 1e300"],
    "y near 1e-300": CASES["y near 1e-300"],
}


LR_CASES = [pytest.param(name, 9, id=f"short-{name}") for name in ("sample", "two points")] + [
    pytest.param(name, 37, id=f"long-{name}", marks=pytest.mark.slow) for name in LR_DATA
]


@pytest.mark.parametrize("data, rates", LR_CASES)
def test_every_learning_rate_ends_with_finite_knobs_or_says_it_diverged(qtbot, make_main_window, data, rates):
    points = LR_DATA[data]
    window = make_main_window() if points is None else make_main_window(dataset=Dataset(*points, data))
    spin = window.findChild(LogSpinBox, "learningRateSpin")
    notices: list[str] = []
    window.controller.notice.connect(lambda level, text: notices.append(text))
    long = rates > 9
    for lr in np.logspace(-6, 1, rates):
        for optimizer in ("gd", "momentum", "adam") if long else ("gd",):
            window.controller.set_run_settings(optimizer=optimizer)
            spin.setValue(float(lr))  # as the user sets it: through the spin box
            assert math.isclose(window.document.settings.lr, lr, rel_tol=1e-6), (window.document.settings.lr, lr)
            notices.clear()
            run_bounded(qtbot, window, 1000 if long else RUN_STEPS)
            assert notices, f"lr {lr:g}: the run ended without a word"
            if "diverged" in notices[-1]:
                assert "Knobs restored to the last finite values" in notices[-1], notices[-1]
    render_every_view(window, qtbot)


def test_the_largest_net_the_window_offers_builds_in_seconds(qtbot, make_main_window):
    # Found by the stress test: 2 × 64 hidden units (4353 weights; the model panel offers them) built five
    # widgets per weight, one by one into a visible grid: the window froze for minutes.  The knob panel
    # now shows the first MAX_KNOB_ROWS knobs, built off screen, and names the rest.
    window = make_main_window()
    started = time.perf_counter()
    window.controller.set_model("mlp", (MAX_HIDDEN, MAX_HIDDEN))
    QApplication.processEvents()
    window.grab()
    assert time.perf_counter() - started < 10
    assert window.document.theta.size == 4353 and len(window.knob_panel.rows) == MAX_KNOB_ROWS
    more = window.findChild(QLabel, "moreKnobsLabel")
    assert more is not None and "4,097 more weights" in more.text() and "trains all 4,353" in more.text()
    window.findChild(QWidget, "knobValue0").setValue(0.5)  # the knobs shown still turn
    assert window.document.theta[0] == 0.5
    run_bounded(qtbot, window, 30)
    render_every_view(window, qtbot)
    assert time.perf_counter() - started < 60
    window.controller.set_model("mlp", (4,))  # and back to a small net
    assert len(window.knob_panel.rows) == 13 and window.findChild(QLabel, "moreKnobsLabel") is None
