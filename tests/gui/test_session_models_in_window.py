"""Sessions of a formula and of the orthonormal basis in the real window: what the window made (a formula typed
in, its knobs run with Levenberg–Marquardt or mini-batches, its landmark solved; a basis orthonormal on the
data) is saved, opened in a fresh window, and draws the same curve there, bit for bit.  A session of an earlier
version, which did not keep the orthonormal basis, opens with a warning that says so."""

from __future__ import annotations

import json

import numpy as np
from session_helpers import session_from_window
from session_strategies import assert_same
from window_parts import record_notices

from workbench.fitting.data import Dataset
from workbench.state.session import load_session

XS = np.linspace(-2.0, 12.0, 141)


def decay_data(n: int = 60) -> Dataset:
    x = np.linspace(0.0, 10.0, n)
    y = 3.0 * np.exp(-0.4 * x) + 0.5 + 0.02 * np.random.default_rng(1).standard_normal(n)
    return Dataset(x, y, "decay", None, "time (s)", "level")


def idle(window) -> bool:
    return not window.controller.formulas.busy


def test_a_formula_session_reopens_with_the_same_curve_and_its_landmark(make_main_window, tmp_path, qtbot):
    window = make_main_window(dataset=decay_data())
    ctl, doc = window.controller, window.document
    ctl.set_model("formula", formula="amp*exp(-k*x) + c")
    qtbot.waitUntil(lambda: idle(window), timeout=30_000)
    ctl.set_run_settings(optimizer="gd", lr=0.05, max_steps=60, batch_size=8, seed=3)
    with qtbot.waitSignal(ctl.runFinished, timeout=30_000):
        ctl.start_run()
    assert doc.batch_history and doc.batch_history[-1].size == doc.loss_history[-1].size > 0
    ctl.show_exact(True)  # Levenberg–Marquardt from these knobs: the landmark, drawn dashed
    qtbot.waitUntil(lambda: doc.landmark is not None, timeout=30_000)
    path = tmp_path / "formula.json"
    assert window.session_manager.save_to(path)

    fresh = make_main_window()
    seen = record_notices(fresh)
    assert fresh.session_manager.open_path(path)
    assert [level for level, _ in seen] == ["info"], seen
    opened = fresh.document
    assert opened.state.formula == "amp*exp(-k*x) + c" and opened.state.model == "formula"
    assert opened.curve(XS).tobytes() == doc.curve(XS).tobytes()
    assert opened.settings == doc.settings and opened.settings.batch_size == 8 and opened.settings.seed == 3
    assert_same(session_from_window(window), session_from_window(fresh), ignore=("layout",))
    # The landmark is not kept in the file: it is solved again from the saved knobs, and it is the same fit.
    qtbot.waitUntil(lambda: opened.landmark is not None, timeout=30_000)
    np.testing.assert_allclose(opened.landmark.params, doc.landmark.params, rtol=1e-9)
    assert any(level == "info" and "Levenberg–Marquardt" in text for level, text in seen), seen
    assert opened.dataset == doc.dataset and opened.dataset.x_name == "time (s)"


def test_an_orthonormal_session_reopens_with_the_same_curve(make_main_window, tmp_path, qtbot):
    data = decay_data()
    window = make_main_window(dataset=data)
    ctl, doc = window.controller, window.document
    ctl.set_degree(4)
    ctl.set_basis("orthonormal")
    ctl.set_run_settings(max_steps=30, batch_size=16, seed=5)
    with qtbot.waitSignal(ctl.runFinished, timeout=30_000):
        ctl.start_run()
    assert doc.state.basis.kind == "orthonormal" and np.any(doc.theta)
    path = tmp_path / "orthonormal.json"
    assert window.session_manager.save_to(path)

    fresh = make_main_window()
    seen = record_notices(fresh)
    assert fresh.session_manager.open_path(path)
    assert [level for level, _ in seen] == ["info"], seen
    assert fresh.document.state.basis == doc.state.basis
    assert fresh.document.curve(XS).tobytes() == doc.curve(XS).tobytes()
    assert_same(session_from_window(window), session_from_window(fresh), ignore=("layout",))

    # The same session as the previous version wrote it (no factor): rebuilt from the points, with a warning.
    old = json.loads(path.read_text(encoding="utf-8"))
    old["schema_version"] = 2
    del old["basis"]["factor"]
    old_path = tmp_path / "orthonormal-v2.json"
    old_path.write_text(json.dumps(old), encoding="utf-8")
    again = make_main_window()
    seen = record_notices(again)
    assert again.session_manager.open_path(old_path)
    warnings = [text for level, text in seen if level == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith(f"{old_path}: this session was saved by an earlier version")
    assert again.document.curve(XS).tobytes() == doc.curve(XS).tobytes()  # (the points are those it was built on)
    assert load_session(old_path).document.state.basis == doc.state.basis


def test_a_date_session_of_numbers_that_are_no_years_opens_and_zooms(make_main_window, tmp_path, qtbot):
    """x marked as dates may hold any number (a plain number typed into a date column is a decimal year).
    Opened in a window whose axes never showed a date, a zoom to where every tick is a year but the range is
    not used to end the paint with an AttributeError inside pyqtgraph, and then a crash."""
    data = Dataset([-50.0, 0.0, 60.0], [1.0, 2.0, 3.0], "typed", None, "when", "y", True)
    source = make_main_window(dataset=data)
    path = tmp_path / "dates.json"
    assert source.session_manager.save_to(path)
    window = make_main_window()
    assert window.session_manager.open_path(path)
    assert window.document.dataset == data
    box = window.fit_plot.getPlotItem().getViewBox()
    for x_range in ((0.9, 5.0), (1.5, 3.0), (-60.0, 70.0)):
        box.setRange(xRange=x_range, yRange=(0.0, 4.0), padding=0)
        window.grab()  # paints every axis (an exception in a paint fails the test)
        qtbot.wait(10)
