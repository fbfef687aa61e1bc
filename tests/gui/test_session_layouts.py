"""Sessions in the real window, as files: a damaged or foreign window layout is ignored (the session opens,
a warning says so), sessions written by earlier versions open, saving through a symbolic link writes its
target, and a save cleans up what a killed save left."""

from __future__ import annotations

import base64
import json
import os
import time

import pytest
from case_notes import case
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from session_helpers import LAYOUT_SPOILS, session_from_window, spoiled_layout
from session_strategies import assert_same
from window_parts import record_notices

from workbench.fitting.basis import Basis
from workbench.qt.window.layout import KEY_SETTING
from workbench.state.runs import RunSettings
from workbench.state.session import SCHEMA_VERSION, load_session

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea


def as_built(window) -> tuple:
    """Where the loss dock is and whether the surface dock shows: what the test sessions change."""
    return window.dockWidgetArea(window.docks["loss"]), window.docks["surface"].isVisible()


def rearranged_session(make_main_window, tmp_path):
    """A session saved from a window whose docks were moved: the loss plot to the left, the surface hidden."""
    window = make_main_window()
    window.docks["surface"].hide()
    window.addDockWidget(LEFT, window.docks["loss"])
    window.controller.set_knob(1, 0.5)
    path = tmp_path / "moved.json"
    assert window.session_manager.save_to(path)
    return path


def rewrite(path, change) -> None:
    d = json.loads(path.read_text(encoding="utf-8"))
    change(d)
    path.write_text(json.dumps(d), encoding="utf-8")


def aged(path, seconds: float):
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


# -- layouts ---------------------------------------------------------------------------------------------------
def test_a_session_opens_with_its_layout_only_when_the_layout_is_intact(make_main_window, tmp_path, qtbot):
    """One window saves a session with its docks moved; a second, as built, opens copies of it in turn (as a
    user opens one file after another).  A damaged or foreign layout is ignored with one warning and the
    session opens exactly; a session without a layout opens without a warning; an intact layout is restored
    (last: it moves the docks)."""
    path = rearranged_session(make_main_window, tmp_path)
    fresh = make_main_window()
    built = as_built(fresh)
    assert built[0] != LEFT and built[1]
    seen = record_notices(fresh)

    for spoil in [*LAYOUT_SPOILS, "another-users-key"]:
        with case(f"the layout spoiled: {spoil}"):
            spoiled = tmp_path / f"{spoil}.json"
            spoiled.write_bytes(path.read_bytes())
            key = QSettings().value(KEY_SETTING)
            if spoil == "another-users-key":  # the file opened by another user, or on another computer
                QSettings().setValue(KEY_SETTING, "f" * 64)
            else:
                rewrite(
                    spoiled, lambda d, spoil=spoil: d["view"].update(layout=spoiled_layout(d["view"]["layout"], spoil))
                )
            seen.clear()

            assert fresh.session_manager.open_path(spoiled)

            QSettings().setValue(KEY_SETTING, key)  # (the next cases are this user's again)
            assert_same(load_session(spoiled), session_from_window(fresh), ignore=("layout",))  # the document
            warnings = [text for level, text in seen if level == "warning"]
            assert len(warnings) == 1, seen
            assert (
                warnings[0].startswith(f"{spoiled}: the saved window layout")
                and "so it was not restored" in warnings[0]
            )
            qtbot.wait(20)
            assert as_built(fresh) == built
            assert not fresh.session_manager.modified and fresh.session_manager.path == spoiled

    with case("no layout"):
        bare = tmp_path / "no-layout.json"
        bare.write_bytes(path.read_bytes())
        rewrite(bare, lambda d: d["view"].pop("layout"))
        seen.clear()
        assert fresh.session_manager.open_path(bare)
        assert [level for level, _ in seen] == ["info"]
        assert as_built(fresh) == built

    with case("the layout intact"):
        seen.clear()
        assert fresh.session_manager.open_path(path)
        qtbot.waitUntil(lambda: fresh.docks["surface"].isHidden())
        assert fresh.dockWidgetArea(fresh.docks["loss"]) == LEFT
        assert [level for level, _ in seen] == ["info"]


# -- sessions written by earlier versions -----------------------------------------------------------------------
def test_a_session_written_by_the_first_version_opens_exactly_without_its_layout(make_main_window, tmp_path, qtbot):
    """Schema 1, as the first version wrote it: every array a list, the layout as Qt's bytes, unsealed."""
    old = make_main_window()
    old.docks["surface"].hide()
    old.addDockWidget(LEFT, old.docks["loss"])
    qtbot.wait(20)
    x = [1958.0 + 0.25 * i for i in range(40)]
    d = {
        "schema_version": 1,
        "dataset": {"name": "co2 (old file)", "x": x, "y": [315.0 + 0.4 * (v - 1958.0) for v in x]},
        "degree": 1,
        "basis": {"kind": "scaled", "lo": 1958.0, "hi": 1967.75},
        "loss": {"kind": "mse", "huber_delta": 1.0, "l2": 0.0},
        "model": "polynomial",
        "hidden": [8],
        "theta": [317.0, 1.75],
        "settings": {"optimizer": "momentum", "lr": 0.125, "max_steps": 300, "tol": 1e-9, "patience": 20},
        "manual_trail": [[0.0, 0.0], [317.0, 1.75]],
        "manual_moves": 1,
        "best_manual": {"loss": 2.5, "theta": [317.0, 1.75]},
        "gd_trajectory": [[317.0, 1.75], [317.5, 1.8]],
        "loss_history": [[5.0, 4.0, 3.0, 2.5]],
        "last_run": {
            "params": [317.5, 1.8],
            "loss": 2.5,
            "steps": 4,
            "stop_reason": "converged",
            "elapsed_s": 0.01,
            "message": "",
            "start_theta": [317.0, 1.75],
            "settings": {"optimizer": "momentum", "lr": 0.125, "max_steps": 300, "tol": 1e-9},
        },
        "snapshots": {"my best knobs": {"loss": 2.5, "theta": [317.0, 1.75]}},
        "view": {
            "window_state": base64.b64encode(bytes(old.saveState().data())).decode("ascii"),
            "window_geometry": base64.b64encode(bytes(old.saveGeometry().data())).decode("ascii"),
            "show_squares": True,
            "show_gd": True,
            "fit_view": [1950.0, 1970.0, 300.0, 330.0],
        },
        "split": {"fraction": 0.25, "seed": 4},
        "val_history": [{"steps": [2, 4], "losses": [4.5, 3.0]}],
    }
    path = tmp_path / "first-version.json"
    path.write_text(json.dumps(d, indent=1), encoding="utf-8")
    window = make_main_window()
    built = as_built(window)
    seen = record_notices(window)

    assert window.session_manager.open_path(path)

    doc = window.document
    assert doc.dataset.name == "co2 (old file)" and doc.dataset.x.tolist() == x
    assert doc.state.basis == Basis("scaled", 1958.0, 1967.75) and doc.theta.tolist() == [317.0, 1.75]
    assert doc.settings == RunSettings("momentum", 0.125, 300, 1e-9, 20, lr_chosen=True)  # the rate as saved
    assert doc.state.split.fraction == 0.25 and doc.val_history[0].tolist() == [[2.0, 4.5], [4.0, 3.0]]
    assert [t.tolist() for t in doc.gd_trajectory] == [[317.0, 1.75], [317.5, 1.8]]
    assert doc.last_run.result.steps == 4 and doc.snapshots["my best knobs"][0] == 2.5
    assert doc.show_gd and window.squares_action.isChecked()
    (x0, x1), (y0, y1) = window.fit_plot.getPlotItem().getViewBox().viewRange()
    assert (x0, x1, y0, y1) == (1950.0, 1970.0, 300.0, 330.0)
    warnings = [text for level, text in seen if level == "warning"]
    assert warnings == [f"{path}: the window layout in the file comes from an earlier version and was not restored."]
    assert as_built(window) == built
    assert not window.session_manager.modified

    again = tmp_path / "saved-again.json"  # saved again: the current format, which opens as it was
    assert window.session_manager.save_to(again)
    saved = json.loads(again.read_text(encoding="utf-8"))
    assert (
        saved["schema_version"] == SCHEMA_VERSION and "window_state" not in saved["view"] and "layout" in saved["view"]
    )
    assert_same(load_session(again), session_from_window(window), ignore=("layout",))


# -- symbolic links and temp files --------------------------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="symbolic links as POSIX makes them")
def test_ctrl_s_on_a_session_opened_through_a_symlink_writes_the_target_and_keeps_the_link(make_main_window, tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    target = folder / "lesson.json"
    window = make_main_window()
    assert window.session_manager.save_to(target)
    link = tmp_path / "today.json"
    link.symlink_to(target)
    assert window.session_manager.open_path(link)
    window.controller.set_knob(0, 0.625)

    QTest.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load_session(target).document.theta[0] == 0.625
    assert window.session_manager.path == link and not window.session_manager.modified
    assert sorted(p.name for p in folder.iterdir()) == ["lesson.json"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_dir()) == ["today.json"]


def test_saves_and_autosaves_remove_what_a_killed_one_left_and_leave_a_save_in_progress(make_main_window, tmp_path):
    window = make_main_window()
    with case("a save"):
        path = tmp_path / "work.json"
        assert window.session_manager.save_to(path)
        stale = tmp_path / ".work.json.0123456789ab.tmp"
        stale.write_bytes(b'{"schema_version":2,' + b"A" * 1_000_000)  # the first MB of a killed save
        aged(stale, 3600)
        in_progress = tmp_path / ".work.json.fedcba987654.tmp"
        in_progress.write_bytes(b'{"schema_version":2,')
        window.controller.set_knob(0, 0.25)
        assert window.session_manager.save()
        assert not stale.exists() and in_progress.exists()
        assert load_session(path).document.theta[0] == 0.25
    with case("an autosave"):
        recovery = window.session_manager.recovery_path
        recovery.parent.mkdir(parents=True, exist_ok=True)
        stale = recovery.parent / ".recovery.json.00aa00aa00aa.tmp"
        stale.write_bytes(b"{" * 1000)
        aged(stale, 3600)
        window.controller.set_knob(0, 0.5)
        assert window.session_manager.write_recovery()
        assert recovery.is_file() and not stale.exists()
