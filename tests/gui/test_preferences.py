"""Preferences: typed and validated over QSettings, remembered between windows, and the layout they keep.

Every test runs with its own empty settings folder (``isolated_settings`` in conftest.py); a "new launch"
is a second window built while the first one's settings are still on disk.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from case_notes import case
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDialogButtonBox, QDockWidget, QPushButton, QSpinBox, QTabBar
from session_helpers import LAYOUT_SPOILS, spoiled_layout

from workbench.fitting.basis import MAX_DEGREE
from workbench.fitting.optimizers import OPTIMIZER_KINDS
from workbench.qt.app_state.preferences import PREFERENCES, Preferences
from workbench.qt.dialogs.preferences_dialog import PreferencesDialog
from workbench.qt.window.layout import KEY_SETTING, LAYOUT_VERSION, PREFERENCE, dock_names

# Offscreen-platform noise (tests/gui/conftest.py ignores the first one in every test that sets no list).
OFFSCREEN_NOISE = (
    r"^This plugin does not support propagateSizeHints\(\)$",
    r"^This plugin does not support raise\(\)$",
)


def raw_settings() -> QSettings:
    """The settings file the app uses, for writing values the way a hand edit or an old version would."""
    return QSettings()


# -- the typed wrapper ----------------------------------------------------------------------------------
def test_settings_are_isolated_in_the_tests_folder(isolated_settings):
    assert Path(QSettings().fileName()).is_relative_to(isolated_settings)


def test_missing_preferences_give_their_defaults():
    prefs = Preferences()
    assert prefs.theme == "system"
    assert prefs.default_degree == 5
    assert prefs.default_optimizer == "gd"
    assert prefs.last_directory == Path.home()
    assert prefs.get(PREFERENCE) == ""


@pytest.mark.parametrize(
    "key, value",
    [
        ("theme", "dark"),
        ("theme", "light"),
        ("defaultDegree", 0),
        ("defaultDegree", MAX_DEGREE),
        *[("defaultOptimizer", kind) for kind in OPTIMIZER_KINDS],
    ],
)
def test_valid_values_round_trip_through_a_fresh_settings_object(key, value):
    Preferences().set(key, value)
    Preferences().sync()
    assert Preferences(QSettings()).get(key) == value


@pytest.mark.parametrize(
    "key, stored",
    [
        ("theme", "purple"),
        ("theme", 3),
        ("theme", ""),
        ("defaultDegree", "abc"),
        ("defaultDegree", str(MAX_DEGREE + 1)),
        ("defaultDegree", "-1"),
        ("defaultDegree", "2.5"),
        ("defaultDegree", True),
        ("defaultOptimizer", "sgd"),
        ("defaultOptimizer", "GD; rm -rf /"),
        ("lastDirectory", "/no/such/folder/anywhere"),
        ("lastDirectory", 42),
        ("window/layout", 17),
        ("window/layout", ["a", "b"]),
        ("window/layout", QByteArray(b"\x00\xff")),
    ],
)
def test_a_corrupt_stored_value_falls_back_to_the_default(key, stored):
    raw_settings().setValue(key, stored)
    assert Preferences().get(key) == PREFERENCES[key].default


def test_values_written_as_text_by_a_hand_edited_file_are_read(isolated_settings):
    path = Path(QSettings().fileName())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"[General]\ntheme= Dark\ndefaultDegree=3\ndefaultOptimizer=adam\nlastDirectory={path.parent}\n"
        "this line is = garbage = \n[[[broken section\ntheme=light\n"
    )
    prefs = Preferences(QSettings())
    assert (prefs.theme, prefs.default_degree, prefs.default_optimizer) == ("dark", 3, "adam")
    assert prefs.last_directory == path.parent


def test_an_unreadable_settings_file_gives_defaults_and_no_crash(isolated_settings):
    path = Path(QSettings().fileName())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\xff\xfe[General\ntheme=\x00\x81dark\ndefaultDegree=\xff\n" * 50)
    prefs = Preferences(QSettings())
    assert (prefs.theme, prefs.default_degree, prefs.default_optimizer) == ("system", 5, "gd")


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("theme", "purple", ["Theme", "system, light, dark", "Nothing was changed"]),
        ("defaultDegree", MAX_DEGREE + 1, ["Default degree", f"0–{MAX_DEGREE}"]),
        ("defaultDegree", 2.0, ["Default degree", "whole number"]),
        ("defaultOptimizer", "sgd", ["Default optimiser", ", ".join(OPTIMIZER_KINDS)]),
        ("lastDirectory", "/no/such/folder", ["Last folder", "not an existing folder"]),
    ],
)
def test_setting_a_bad_value_says_what_is_allowed_and_changes_nothing(key, value, words):
    prefs = Preferences()
    before = prefs.get(key)
    with pytest.raises(ValueError) as excinfo:
        prefs.set(key, value)
    for word in words:
        assert word in str(excinfo.value)
    assert prefs.get(key) == before
    assert raw_settings().value(key) is None


def test_an_unknown_key_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown preference 'colour'.*theme"):
        Preferences().set("colour", "red")


def test_the_last_folder_is_remembered_from_a_file_path(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    Preferences().remember_directory_of(folder / "points.csv")
    assert Preferences().last_directory == folder


# -- defaults of new documents ---------------------------------------------------------------------------
def test_a_new_window_starts_with_the_default_degree_and_optimiser(make_main_window):
    Preferences().set("defaultDegree", 3)
    Preferences().set("defaultOptimizer", "adam")
    window = make_main_window()
    assert window.document.state.degree == 3
    assert window.document.theta.size == 4
    assert window.document.settings.optimizer == "adam"
    assert window.findChild(QSpinBox, "degreeSpin").value() == 3
    assert window.findChild(QComboBox, "optimizerCombo").currentData() == "adam"
    assert window.findChild(QAbstractSpinBox, "knobValue3") is not None
    assert window.findChild(QAbstractSpinBox, "knobValue4") is None


def test_a_corrupt_default_degree_still_gives_a_working_window(make_main_window):
    raw_settings().setValue("defaultDegree", "99")
    raw_settings().setValue("defaultOptimizer", "newton")
    window = make_main_window()
    assert window.document.state.degree == 5
    assert window.document.settings.optimizer == "gd"


# -- window layout -----------------------------------------------------------------------------------------
def rearrange(window) -> None:
    """Close the loss dock, move the knobs to the left, and make a second tab group."""
    window.docks["loss"].close()
    window.removeDockWidget(window.docks["knobs"])
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["knobs"])
    window.docks["knobs"].show()
    window.tabifyDockWidget(window.docks["surface"], window.docks["report"])


def tab_bars_on_screen(window) -> list[int]:
    """Tab counts of the dock tab bars the user can see (Qt parks unused ones off-screen)."""
    return sorted(
        bar.count()
        for bar in window.findChildren(QTabBar)
        if bar.isVisible() and window.rect().intersects(bar.geometry())
    )


def stored_layout() -> dict:
    return json.loads(Preferences().get(PREFERENCE))


def store_layout(sealed) -> None:
    raw_settings().setValue(PREFERENCE, sealed if isinstance(sealed, str) else json.dumps(sealed))
    raw_settings().sync()


# -- the dialog --------------------------------------------------------------------------------------------
def open_dialog(qtbot, window) -> PreferencesDialog:
    """Edit › Preferences… by its keyboard shortcut (Ctrl+,), as a user opens it."""
    QTest.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(PreferencesDialog, "preferencesDialog")
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def dialog_button(dialog, which) -> QPushButton:
    return dialog.findChild(QDialogButtonBox, "preferencesButtons").button(which)


# A floating dock is a window of its own, and the offscreen platform says it cannot raise windows.
@pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE)
def test_the_dialog_cancels_saves_restores_defaults_and_resets_the_window_layout(qtbot, make_main_window):
    """Edit › Preferences…, opened again and again in one window as a user does: it offers every degree and
    optimiser the model accepts; Cancel changes nothing; OK saves its choices and applies the theme (the open
    fit keeps its degree); Restore defaults fills in the originals, saved only by OK; Reset window layout
    puts every dock back and leaves no stale tab bar."""
    window = make_main_window()
    tabs_as_built = tab_bars_on_screen(window)
    with case("the choices offered"):
        dialog = open_dialog(qtbot, window)
        spin = dialog.findChild(QSpinBox, "defaultDegreeSpin")
        assert (spin.minimum(), spin.maximum()) == (0, MAX_DEGREE)
        combo = dialog.findChild(QComboBox, "defaultOptimizerCombo")
        assert [combo.itemData(i) for i in range(combo.count())] == list(OPTIMIZER_KINDS)
    with case("cancel"):
        dialog.findChild(QComboBox, "themeCombo").setCurrentIndex(2)
        dialog.findChild(QSpinBox, "defaultDegreeSpin").setValue(1)
        qtbot.mouseClick(dialog_button(dialog, QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        assert raw_settings().value("theme") is None and raw_settings().value("defaultDegree") is None
        assert window.palette().color(QPalette.ColorRole.Window).lightness() > 180
    with case("ok"):
        dialog = open_dialog(qtbot, window)
        assert not dialog.isModal()  # the window stays usable beside it
        dialog.findChild(QComboBox, "themeCombo").setCurrentIndex(2)
        dialog.findChild(QSpinBox, "defaultDegreeSpin").setValue(2)
        combo = dialog.findChild(QComboBox, "defaultOptimizerCombo")
        combo.setCurrentIndex(combo.findData("nesterov"))
        qtbot.mouseClick(dialog_button(dialog, QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        assert not dialog.isVisible()
        prefs = Preferences()
        assert (prefs.theme, prefs.default_degree, prefs.default_optimizer) == ("dark", 2, "nesterov")
        assert window.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert window.document.state.degree == 5  # the open fit keeps its own degree
    with case("restore defaults"):
        dialog = open_dialog(qtbot, window)
        assert dialog.findChild(QSpinBox, "defaultDegreeSpin").value() == 2  # the saved choice
        qtbot.mouseClick(
            dialog_button(dialog, QDialogButtonBox.StandardButton.RestoreDefaults), Qt.MouseButton.LeftButton
        )
        assert dialog.findChild(QSpinBox, "defaultDegreeSpin").value() == 5
        assert dialog.findChild(QComboBox, "themeCombo").currentData() == "system"
        assert Preferences().default_degree == 2  # not saved yet
        dialog.accept()
        assert (Preferences().default_degree, Preferences().theme) == (5, "system")
    with case("reset window layout"):
        rearrange(window)
        window.docks["gradcheck"].setFloating(True)
        dialog = open_dialog(qtbot, window)
        qtbot.mouseClick(dialog.findChild(QPushButton, "resetLayoutButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.docks["loss"].isVisible())
        assert window.dockWidgetArea(window.docks["knobs"]) == Qt.DockWidgetArea.RightDockWidgetArea
        assert not window.docks["gradcheck"].isFloating()
        assert window.docks["report"] in window.tabifiedDockWidgets(window.docks["compare"])
        qtbot.waitUntil(lambda: tab_bars_on_screen(window) == tabs_as_built)  # no stale tab bar left behind
        assert Preferences().get(PREFERENCE) == ""


def all_settings() -> dict:
    """Every stored setting, to be written again as it was (``restore_settings``)."""
    settings = raw_settings()
    return {key: settings.value(key) for key in settings.allKeys()}


def restore_settings(stored: dict) -> None:
    """The settings file back to exactly ``stored``: nothing a later window wrote is left."""
    settings = raw_settings()
    settings.clear()
    for key, value in stored.items():
        settings.setValue(key, value)
    settings.sync()


def test_the_dock_layout_survives_a_new_launch_unless_it_is_old_or_broken(qtbot, make_main_window):
    """A layout rearranged and saved at close is sealed; the next launch restores it and keeps the sealing key.
    Spoiled in any way (every damage we know, another user's key, the unsealed layout of an earlier version),
    it is ignored: the window opens as built, every dock with its widget.  Each launch starts from the
    settings the first window left, restored exactly."""
    first = make_main_window()
    rearrange(first)
    first.close()
    sealed = stored_layout()
    assert sealed["layout_version"] == LAYOUT_VERSION and sealed["docks"] == dock_names(first)
    assert set(sealed) == {"state", "geometry", "hmac_sha256", "qt", "layout_version", "docks"}
    key = raw_settings().value(KEY_SETTING)
    assert isinstance(key, str) and len(key) == 64 and int(key, 16) >= 0
    as_left = all_settings()

    with case("the layout intact"):
        second = make_main_window()
        assert not second.docks["loss"].isVisible()
        assert second.dockWidgetArea(second.docks["knobs"]) == Qt.DockWidgetArea.LeftDockWidgetArea
        assert second.docks["report"] in second.tabifiedDockWidgets(second.docks["surface"])
        second.close()
        assert raw_settings().value(KEY_SETTING) == key  # the sealing key is made once and kept

    for spoil in [*LAYOUT_SPOILS, "another-users-key", "unsealed-from-an-earlier-version"]:
        with case(f"the layout spoiled: {spoil}"):
            restore_settings(as_left)
            if spoil == "another-users-key":  # the same file read by another user (or on another computer)
                raw_settings().setValue(KEY_SETTING, "0" * 64)
            elif spoil == "unsealed-from-an-earlier-version":
                raw_settings().remove(PREFERENCE)
                state = base64.b64decode(sealed["state"])
                for setting, value in [("window/state", QByteArray(state)), ("window/layoutVersion", 1)]:
                    raw_settings().setValue(setting, value)
            else:
                store_layout(spoiled_layout(sealed, spoil))
            window = make_main_window()
            assert window.docks["loss"].isVisible()  # the layout as built
            assert window.dockWidgetArea(window.docks["knobs"]) == Qt.DockWidgetArea.RightDockWidgetArea
            assert all(dock.widget() is not None for dock in window.findChildren(QDockWidget))
            window.close()


def test_a_window_never_shown_names_every_dock_and_saves_no_layout(make_main_window):
    window = make_main_window(show=False)
    names = dock_names(window).split(",")
    assert {"dataDock", "knobDock", "modelDock", "compareDock"} <= set(names)
    assert names == sorted(names)
    window.close()
    assert Preferences().get(PREFERENCE) == ""
