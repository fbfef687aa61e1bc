"""Snapshot slots in the real window: taken from the right source, drawn with their losses, restored as
one undo step, re-scored or emptied as the problem changes, and kept by save → open.

Losses are checked against plain NumPy (a monomial design matrix and its MSE), not the engine.
"""

from __future__ import annotations

import numpy as np
import pytest
from case_notes import case
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtTest import QTest
from session_helpers import session_from_window
from window_parts import action, numpy_mse

from workbench.fitting.data import Dataset
from workbench.fitting.number_text import Numbers
from workbench.qt.app_state.document import SNAPSHOT_SLOTS

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier


def legend_texts(window) -> list[str]:
    return [label.text for _sample, label in window.fit_plot.legend.items]


@pytest.fixture
def window(make_main_window):
    """Six points, a cubic on raw x (so NumPy can check every loss)."""
    x = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    w = make_main_window(dataset=Dataset(x, np.sin(x) + 0.1 * x, "six"))
    w.controller.set_degree(3)
    return w


def test_snapshot_slots_through_a_lesson(window, make_main_window, tmp_path, qtbot):
    """The snapshot slots in one window, each case where the last left it (as in a lesson): an empty source
    takes nothing and says why; each slot is taken from its source (losses checked by NumPy); the three
    survive save → open in a fresh window; they are drawn dashed in their own colours with their losses and
    cleared; the menu entries follow the slots and Ctrl/Alt+number take and restore; a restore is one undo
    step; a snapshot named elsewhere gets a restore entry; new data re-scores them and a new model empties
    them; the net has no exact snapshot."""
    ctl, doc, plot = window.controller, window.document, window.fit_plot
    seen = []
    ctl.notice.connect(lambda level, text: seen.append(text))

    for slot, why in (("my best knobs", "no manual fit yet"), ("GD result", "run gradient descent first")):
        with case(f"an empty source: {slot}"):
            assert not ctl.take_snapshot(slot)
            assert slot not in doc.snapshots and why in seen[-1]

    with case("each slot from its source"):
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

    with case("save and open"):
        path = tmp_path / "snaps.json"
        assert window.session_manager.save_to(path)
        fresh = make_main_window()
        assert fresh.session_manager.open_path(path)
        assert list(fresh.document.snapshots) == list(doc.snapshots)
        for name, (loss, theta) in doc.snapshots.items():
            got_loss, got_theta = fresh.document.snapshots[name]
            assert repr(got_loss) == repr(loss) and np.array_equal(got_theta, theta)
            assert f"{name} — loss {Numbers().loss(loss)}" in legend_texts(fresh)
        assert session_from_window(fresh).document.snapshots.keys() == set(SNAPSHOT_SLOTS)
        fresh.close()
        window.activateWindow()  # back to the first window (its keyboard shortcuts need it active)
        qtbot.waitUntil(window.isActiveWindow)

    with case("drawn dashed with their losses"):
        ctl.set_knob(0, 0.5)
        for slot in ("my best knobs", "exact"):
            ctl.take_snapshot(slot)
        curves = plot.snapshot_curves
        pens = {name: curves[name].opts["pen"] for name in ("my best knobs", "exact")}
        assert pens["my best knobs"].color() != pens["exact"].color()
        assert all(p.style() == Qt.PenStyle.CustomDashLine for p in pens.values())
        xs, ys = curves["exact"].getData()
        theta = doc.snapshots["exact"][1]
        assert np.allclose(ys, np.polynomial.polynomial.polyval(xs, theta), rtol=1e-9, atol=1e-9)
        for name, (loss, _theta) in doc.snapshots.items():
            assert f"{name} — loss {Numbers().loss(loss)}" in legend_texts(window)
        ctl.clear_snapshots()
        assert all(len(c.getData()[0] if c.getData()[0] is not None else []) == 0 for c in curves.values())
        assert not any("— loss" in text for text in legend_texts(window))

    with case("the menu entries and keys"):
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
        assert "exact" in doc.snapshots
        loss = doc.snapshots["exact"][0]
        assert restore["exact"].isEnabled() and f"{loss:.6g}" in restore["exact"].text()
        ctl.set_knob(0, 5.0)
        QTest.keyClick(window, Qt.Key.Key_3, ALT)  # Alt+3: restore it
        assert np.array_equal(doc.theta, doc.snapshots["exact"][1])
        for act in [*restore.values(), action(window, "takeSnapshotExactAction")]:
            assert act.toolTip() and act.statusTip()
        action(window, "clearSnapshotsAction").trigger()
        assert doc.snapshots == {} and not restore["exact"].isEnabled()

    with case("a restore is one undo step"):
        ctl.take_snapshot("exact")
        ctl.set_knob(2, 1.0)
        before, steps = doc.theta, doc.undo_stack.count()
        action(window, "restoreSnapshotExactAction").trigger()
        assert np.array_equal(doc.theta, doc.snapshots["exact"][1])
        assert doc.undo_stack.count() == steps + 1
        doc.undo_stack.undo()
        assert np.array_equal(doc.theta, before)

    with case("a snapshot named elsewhere"):
        doc.set_snapshot("before class", np.array([0.1, 0.2, 0.3, 0.4]))
        entries = [
            a
            for a in window.findChild(QAction, "restoreSnapshotExactAction").parent().findChildren(QAction)
            if a.objectName() == "restoreSnapshotOtherAction"
        ]
        assert [a.text().split("  ")[0] for a in entries] == ["before class"]
        entries[0].trigger()
        assert np.array_equal(doc.theta, [0.1, 0.2, 0.3, 0.4])
        assert QColor(plot.snapshot_curves["before class"].opts["pen"].color()).isValid()

    with case("new data re-scores, a new model empties"):
        ctl.take_snapshot("exact")
        old_loss, theta = doc.snapshots["exact"]
        ctl.add_point(3.0, -2.0)
        new_loss, same_theta = doc.snapshots["exact"]
        assert np.array_equal(same_theta, theta) and new_loss != old_loss
        assert new_loss == pytest.approx(numpy_mse(window, theta), rel=1e-12)
        assert f"exact — loss {Numbers().loss(new_loss)}" in legend_texts(window)  # the legend follows
        ctl.set_degree(4)
        assert doc.snapshots == {}

    with case("the net"):
        ctl.set_model("mlp", (3,))
        assert not ctl.take_snapshot("exact") and "neural net" in seen[-1]
