"""Snapshot slots in the real window: taken from the right source, drawn with their losses, restored as
one undo step, re-scored or emptied as the problem changes, and kept by save → open.

Losses are checked against plain NumPy (a monomial design matrix and its MSE), not the engine.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtTest import QTest
from session_helpers import session_from_window

from workbench.fitting.data import Dataset
from workbench.fitting.number_text import Numbers
from workbench.qt.app_state.document import SNAPSHOT_SLOTS

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier


def numpy_mse(window, theta) -> float:
    """MSE of the monomial polynomial ``theta`` on the window's points, by plain NumPy."""
    data = window.document.dataset
    assert window.document.state.basis.kind == "monomial"
    design = np.vander(data.x, len(theta), increasing=True)
    return float(np.mean((design @ theta - data.y) ** 2))


def action(window, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, f"no action named {name!r}"
    return found


def legend_texts(window) -> list[str]:
    return [label.text for _sample, label in window.fit_plot.legend.items]


@pytest.fixture
def window(make_main_window):
    """Six points, a cubic on raw x (so NumPy can check every loss)."""
    x = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    w = make_main_window(dataset=Dataset(x, np.sin(x) + 0.1 * x, "six"))
    w.controller.set_degree(3)
    return w


def test_each_slot_is_taken_from_its_source(window, qtbot):
    ctl, doc = window.controller, window.document
    ctl.set_knob(0, 0.25)
    ctl.set_knob(1, 0.5)  # the better of the two hand positions
    ctl.set_knob(1, 3.0)
    assert ctl.take_snapshot("my best knobs")
    loss, theta = doc.snapshots["my best knobs"]
    assert np.array_equal(theta, [0.25, 0.5, 0, 0]) and loss == pytest.approx(numpy_mse(window, theta), rel=1e-12)

    assert ctl.take_snapshot("exact")
    loss, theta = doc.snapshots["exact"]
    data = doc.dataset
    expected = np.polynomial.polynomial.polyfit(data.x, data.y, 3)
    assert np.allclose(theta, expected, rtol=1e-9, atol=1e-12)
    assert loss == pytest.approx(numpy_mse(window, expected), rel=1e-7)

    ctl.set_run_settings(max_steps=25, lr=0.01)
    with qtbot.waitSignal(ctl.runFinished, timeout=10_000):
        ctl.start_run()
    assert ctl.take_snapshot("GD result")
    loss, theta = doc.snapshots["GD result"]
    assert np.array_equal(theta, doc.last_run.result.params)
    assert loss == pytest.approx(numpy_mse(window, theta), rel=1e-12)


@pytest.mark.parametrize(
    "slot, why", [("my best knobs", "no manual fit yet"), ("GD result", "run gradient descent first")]
)
def test_an_empty_source_takes_nothing_and_says_why(window, slot, why):
    seen = []
    window.controller.notice.connect(lambda level, text: seen.append(text))
    assert not window.controller.take_snapshot(slot)
    assert slot not in window.document.snapshots and why in seen[-1]


def test_the_net_has_no_exact_snapshot(window):
    seen = []
    window.controller.notice.connect(lambda level, text: seen.append(text))
    window.controller.set_model("mlp", (3,))
    assert not window.controller.take_snapshot("exact") and "neural net" in seen[-1]


def test_snapshots_are_drawn_dashed_in_their_own_colours_with_losses(window):
    ctl, plot = window.controller, window.fit_plot
    ctl.set_knob(0, 0.5)
    for slot in ("my best knobs", "exact"):
        ctl.take_snapshot(slot)
    curves = plot.snapshot_curves
    pens = {name: curves[name].opts["pen"] for name in ("my best knobs", "exact")}
    assert pens["my best knobs"].color() != pens["exact"].color()
    assert all(p.style() == Qt.PenStyle.CustomDashLine for p in pens.values())
    xs, ys = curves["exact"].getData()
    theta = window.document.snapshots["exact"][1]
    assert np.allclose(ys, np.polynomial.polynomial.polyval(xs, theta), rtol=1e-9, atol=1e-9)
    for name, (loss, _theta) in window.document.snapshots.items():
        assert f"{name} — loss {Numbers().loss(loss)}" in legend_texts(window)
    ctl.clear_snapshots()
    assert all(len(c.getData()[0] if c.getData()[0] is not None else []) == 0 for c in curves.values())
    assert not any("— loss" in text for text in legend_texts(window))


def test_restoring_a_snapshot_is_one_undoable_step(window):
    ctl, doc = window.controller, window.document
    ctl.take_snapshot("exact")
    ctl.set_knob(2, 1.0)
    before, steps = doc.theta, doc.undo_stack.count()
    action(window, "restoreSnapshotExactAction").trigger()
    assert np.array_equal(doc.theta, doc.snapshots["exact"][1])
    assert doc.undo_stack.count() == steps + 1
    doc.undo_stack.undo()
    assert np.array_equal(doc.theta, before)


def test_new_data_rescores_and_a_new_model_empties(window):
    ctl, doc = window.controller, window.document
    ctl.take_snapshot("exact")
    old_loss, theta = doc.snapshots["exact"]
    ctl.add_point(3.0, -2.0)
    new_loss, same_theta = doc.snapshots["exact"]
    assert np.array_equal(same_theta, theta) and new_loss != old_loss
    assert new_loss == pytest.approx(numpy_mse(window, theta), rel=1e-12)
    assert f"exact — loss {Numbers().loss(new_loss)}" in legend_texts(window)  # the legend follows
    ctl.set_degree(4)
    assert doc.snapshots == {}


def test_menu_entries_follow_the_slots_and_keys_work(window):
    restore = {
        slot: action(window, name)
        for slot, name in zip(
            SNAPSHOT_SLOTS,
            ("restoreSnapshotMyBestKnobsAction", "restoreSnapshotGdResultAction", "restoreSnapshotExactAction"),
        )
    }
    assert not any(a.isEnabled() for a in restore.values())
    assert not action(window, "clearSnapshotsAction").isEnabled()
    QTest.keyClick(window, Qt.Key.Key_3, CTRL)  # Ctrl+3: take "exact"
    assert "exact" in window.document.snapshots
    loss = window.document.snapshots["exact"][0]
    assert restore["exact"].isEnabled() and f"{loss:.6g}" in restore["exact"].text()
    window.controller.set_knob(0, 5.0)
    QTest.keyClick(window, Qt.Key.Key_3, ALT)  # Alt+3: restore it
    assert np.array_equal(window.document.theta, window.document.snapshots["exact"][1])
    for act in [*restore.values(), action(window, "takeSnapshotExactAction")]:
        assert act.toolTip() and act.statusTip()
    action(window, "clearSnapshotsAction").trigger()
    assert window.document.snapshots == {} and not restore["exact"].isEnabled()


def test_snapshots_survive_save_and_open(window, make_main_window, tmp_path, qtbot):
    ctl = window.controller
    ctl.set_knob(0, 0.5)
    ctl.set_run_settings(max_steps=10, lr=0.01)
    with qtbot.waitSignal(ctl.runFinished, timeout=10_000):
        ctl.start_run()
    for slot in SNAPSHOT_SLOTS:
        assert ctl.take_snapshot(slot)
    path = tmp_path / "snaps.json"
    assert window.session_manager.save_to(path)
    fresh = make_main_window()
    assert fresh.session_manager.open_path(path)
    assert list(fresh.document.snapshots) == list(window.document.snapshots)
    for name, (loss, theta) in window.document.snapshots.items():
        got_loss, got_theta = fresh.document.snapshots[name]
        assert repr(got_loss) == repr(loss) and np.array_equal(got_theta, theta)
        assert f"{name} — loss {Numbers().loss(loss)}" in legend_texts(fresh)
    assert session_from_window(fresh).document.snapshots.keys() == set(SNAPSHOT_SLOTS)


def test_a_snapshot_named_elsewhere_gets_a_restore_entry(window):
    doc = window.document
    doc.set_snapshot("before class", np.array([0.1, 0.2, 0.3, 0.4]))
    entries = [
        a
        for a in window.findChild(QAction, "restoreSnapshotExactAction").parent().findChildren(QAction)
        if a.objectName() == "restoreSnapshotOtherAction"
    ]
    assert [a.text().split("  ")[0] for a in entries] == ["before class"]
    entries[0].trigger()
    assert np.array_equal(doc.theta, [0.1, 0.2, 0.3, 0.4])
    assert QColor(window.fit_plot.snapshot_curves["before class"].opts["pen"].color()).isValid()
