"""Sessions keep what gives the knobs their meaning: the orthonormal basis's factor, a formula's text, how runs
run (Levenberg–Marquardt, mini-batches, their seed), the columns' names and dates, and the mini-batch losses.
A reopened session draws the same curve, bit for bit; sessions of earlier versions open, and say what was
made of a part they did not keep."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from session_strategies import assert_same, make_session, orthonormal_basis, variant
from test_session import packed_session, sample_session, to_json

from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.fitting.split import Split
from workbench.state.runs import RunSettings
from workbench.state.session import SCHEMA_VERSION, SessionError, session_from_json, session_to_json
from workbench.state.session_reader import n_params_for

XS = np.linspace(-5.0, 15.0, 101)  # where curves are compared: the data's range and beyond


def decay_data(n: int = 30, sigma: bool = False) -> Dataset:
    x = np.linspace(0.0, 10.0, n)
    y = 3.0 * np.exp(-0.4 * x) + 0.5 + 0.01 * np.sin(7 * x)
    return Dataset(x, y, "decay", np.linspace(0.5, 2.0, n) if sigma else None)


def reopened(session):
    return session_from_json(to_json(session), source="s.json")


# -- formulas --------------------------------------------------------------------------------------------------
def formula_session(**changes):
    fields = dict(
        model="formula",
        formula="amp*exp(-k*x) + c",
        theta=[2.9, 0.41, 0.52],
        show_exact=True,
        settings=RunSettings("lm", max_steps=200),
    )
    return make_session(decay_data(), **{**fields, **changes})


def test_a_formula_session_keeps_its_text_and_draws_the_same_curve():
    s = formula_session()
    back = reopened(s)
    assert_same(s, back)
    assert json.loads(to_json(s))["formula"] == "amp*exp(-k*x) + c"
    assert back.document.state.build_model().parameter_labels() == ["amp", "k", "c"]
    assert back.document.curve(XS).tobytes() == s.document.curve(XS).tobytes()
    assert back.notices == ()


def test_a_formula_is_kept_while_another_model_is_shown():
    s = variant(formula_session(), model="polynomial", degree=2, theta=[1.0, 0.0, 0.0])
    back = reopened(s)
    assert back.document.state.formula == "amp*exp(-k*x) + c" and back.document.state.model == "polynomial"
    no_formula = variant(s, formula="")
    assert "formula" not in json.loads(to_json(no_formula))


def test_theta_must_match_the_formulas_parameters():
    assert n_params_for("formula", 5, (8,), "a*x + b*x^2 + a") == 2  # (in order of first appearance, once each)
    d = json.loads(to_json(formula_session()))
    d["formula"] = "a*x + b"
    with pytest.raises(SessionError, match=r"s\.json: theta: has 3 values but the model has 2 parameters"):
        session_from_json(json.dumps(d), source="s.json")


def test_a_formula_the_parser_refuses_is_named_with_the_parsers_words():
    d = json.loads(to_json(formula_session()))
    d["formula"] = "amp*exp(-k*x)) + c"
    with pytest.raises(SessionError) as info:
        session_from_json(json.dumps(d), source="s.json")
    text = str(info.value)
    assert text.startswith("s.json: formula: line 1, col 14: ") and text.endswith(
        "; correct the formula in the file (as you would type it in the model panel)"
    )


def test_a_formula_whose_numbers_cannot_be_computed_is_refused_naming_them():
    d = json.loads(to_json(formula_session()))
    d["theta"] = [1.0, -200.0, 0.0]  # exp(2000): the loss overflows
    with pytest.raises(SessionError, match=r"theta and dataset: the loss and its gradient at these knobs"):
        session_from_json(json.dumps(d), source="s.json")


# -- the orthonormal basis ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("split", [None, Split(0.3, 5)])
def test_an_orthonormal_session_keeps_its_factor_and_draws_the_same_curve(weighted, split):
    data = decay_data(sigma=weighted)
    train = np.arange(data.n) if split is None else split.indices(data.n)[0]
    basis = Basis.for_data("orthonormal", data.x[train], None if data.sigma is None else data.sigma[train])
    s = make_session(data, degree=4, basis=basis, theta=[1.0, -0.5, 0.25, 0.125, -0.0625], split=split)
    text = to_json(s)
    assert json.loads(text)["basis"]["factor"].keys() == {"float64"}  # 136 numbers: base64 doubles
    back = session_from_json(text)
    assert back.document.state.basis.factor == basis.factor
    assert back.document.curve(XS).tobytes() == s.document.curve(XS).tobytes()
    assert back.notices == ()
    # The knobs mean what they meant: not the curve of the default (interval) factor.
    default = variant(s, basis=Basis("orthonormal", basis.lo, basis.hi))
    assert not np.allclose(default.document.curve(XS), s.document.curve(XS))


def test_a_short_factor_is_a_list_and_reads_back_exactly():
    s = make_session(decay_data(), degree=1, basis=orthonormal_basis(0.0, 10.0, 2, 12, 3, True), theta=[1.0, 2.0])
    d = json.loads(to_json(s))
    assert d["basis"]["factor"] == list(s.document.state.basis.factor) and len(d["basis"]["factor"]) == 3
    assert_same(s, session_from_json(json.dumps(d)))


def test_only_the_orthonormal_basis_has_a_factor_and_it_must_reach_the_degree():
    d = json.loads(to_json(make_session(decay_data(), degree=2, basis=orthonormal_basis(0.0, 10.0, 3, 9, 1, False))))
    d["degree"], d["theta"] = 3, [0.0] * 4
    with pytest.raises(SessionError, match=r"basis\.factor: holds functions up to degree 2, not 3; lower the degree"):
        session_from_json(json.dumps(d), source="s.json")


# -- sessions of earlier versions --------------------------------------------------------------------------------
def as_schema_2(session) -> dict:
    """``session`` as the schema-2 writer saved it: no factor, formula, batches, seeds or column names."""
    d = json.loads(to_json(session))
    d["schema_version"] = 2
    d["basis"].pop("factor", None)
    for key in ("formula", "batch_history"):
        d.pop(key, None)
    for settings in (d["settings"], (d["last_run"] or {}).get("settings", {})):
        for key in ("lr_chosen", "batch_size", "seed"):
            settings.pop(key, None)
    for key in ("x_name", "y_name", "x_is_date"):
        d["dataset"].pop(key)
    return d


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("split", [None, Split(0.3, 5)])
def test_an_earlier_orthonormal_session_gets_its_factor_back_as_the_app_built_it(weighted, split):
    """The factor is built again on the training points (weighted by their σ), exactly as choosing the basis
    built it: the same curve, bit for bit, when the points are the ones the basis was chosen on."""
    data = decay_data(sigma=weighted)
    train = np.arange(data.n) if split is None else split.indices(data.n)[0]
    basis = Basis.for_data("orthonormal", data.x[train], None if data.sigma is None else data.sigma[train])
    s = make_session(data, degree=5, basis=basis, theta=[1.0, -0.5, 0.25, 0.125, -0.0625, 1e-3], split=split)
    back = session_from_json(json.dumps(as_schema_2(s)), source="old.json")
    assert back.document.state.basis == basis
    assert back.document.curve(XS).tobytes() == s.document.curve(XS).tobytes()
    (notice,) = back.notices
    assert "earlier version" in notice and "orthonormal basis" in notice and "Solve exactly" in notice
    again = json.loads(to_json(back))  # saved again: the factor is in the file from now on
    assert again["schema_version"] == SCHEMA_VERSION and "factor" in again["basis"]


def test_an_earlier_orthonormal_session_of_edited_points_opens_with_a_warning():
    """Points changed after the basis was chosen: the factor cannot be known; the rebuilt one is on the saved
    points, and the notice says the curve may differ."""
    data = decay_data()
    basis = Basis.for_data("orthonormal", data.x[:20])
    s = make_session(data, degree=3, basis=basis, theta=[1.0, 0.5, 0.25, 0.125])
    back = session_from_json(json.dumps(as_schema_2(s)), source="old.json")
    assert back.document.state.basis.factor != basis.factor
    assert "may now draw a slightly different curve" in back.notices[0]


def test_an_earlier_orthonormal_session_of_the_net_needs_no_notice():
    s = make_session(decay_data(), model="mlp", hidden=(2,), basis=Basis.for_data("orthonormal", decay_data().x))
    back = session_from_json(json.dumps(as_schema_2(s)))
    assert back.notices == () and back.document.state.basis == s.document.state.basis


def test_an_earlier_session_without_data_gets_the_intervals_factor():
    s = make_session(Dataset([], []), degree=2, basis=Basis("orthonormal", -1.0, 1.0))
    assert session_from_json(json.dumps(as_schema_2(s))).document.state.basis == Basis("orthonormal", -1.0, 1.0)


def test_an_earlier_formula_session_is_refused_saying_what_to_add():
    d = as_schema_2(formula_session())
    with pytest.raises(SessionError) as info:
        session_from_json(json.dumps(d), source="old.json")
    assert str(info.value).startswith("old.json: formula: missing (this session was saved by an earlier version")
    assert 'add "formula": ' in str(info.value)
    d["formula"] = "amp*exp(-k*x) + c"  # what the message asks for
    expected = formula_session()
    # an earlier version's rate is kept as chosen: it does not follow the data
    expected.document.set_settings(replace(expected.document.settings, lr_chosen=True))
    assert_same(expected, session_from_json(json.dumps(d)))


def test_an_earlier_session_reads_the_defaults_of_every_new_field():
    s = sample_session()
    back = session_from_json(json.dumps(as_schema_2(variant(s, basis=Basis("scaled", 0.0, 3.0)))))
    doc = back.document
    assert (doc.dataset.x_name, doc.dataset.y_name, doc.dataset.x_is_date) == ("x", "y", False)
    # the saved rate is kept as the user had it (an earlier version had no rate that follows the data)
    assert doc.settings == RunSettings(patience=50, lr_chosen=True)  # all points, seed 0
    assert doc.state.formula == "" and [b.size for b in doc.batch_history] == [0, 0]


# -- run settings --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "settings",
    [
        RunSettings("lm", max_steps=50),
        RunSettings("adam", 0.01, lr_chosen=True, batch_size=1, seed=2**31 - 1),
        RunSettings("gd", batch_size=10**6),  # more than the points: all of them, kept as the user chose
        RunSettings("lbfgs", patience=3, seed=4),
    ],
)
def test_run_settings_round_trip(settings):
    s = variant(sample_session(), settings=settings)
    back = reopened(s)
    assert back.document.settings == settings
    written = json.loads(to_json(s))["settings"]
    assert ("batch_size" in written) == (settings.batch_size is not None)
    assert written["seed"] == settings.seed and written["lr_chosen"] is settings.lr_chosen


# -- the columns' names and dates ----------------------------------------------------------------------------------
def test_named_and_dated_data_round_trip_equal():
    data = Dataset([2020.5, 2021.25], [1.0, 2.0], "sales", None, "month", "units sold", True)
    s = make_session(data, degree=1)
    back = reopened(s)
    assert back.document.dataset == data
    assert json.loads(to_json(s))["dataset"] | {"x": None, "y": None} == {
        "name": "sales",
        "x": None,
        "y": None,
        "x_name": "month",
        "y_name": "units sold",
        "x_is_date": True,
    }


# -- mini-batch losses --------------------------------------------------------------------------------------------
def test_mini_batch_losses_round_trip_one_per_run():
    s = packed_session()
    d = json.loads(to_json(s))
    assert d["batch_history"][0].keys() == {"float64"} and d["batch_history"][1] == [2.5]
    back = session_from_json(json.dumps(d))
    assert_same(s, back)
    assert [b.size for b in back.document.batch_history] == [25, 1]


def test_mini_batch_losses_are_saved_up_to_where_they_blow_up_and_within_their_run():
    s = variant(
        sample_session(),
        batch_history=[np.array([3.0, np.inf, 1.0]), np.array([2.0])],  # (the second run has no saved loss)
    )
    assert json.loads(to_json(s))["batch_history"] == [[3.0], []]


def test_runs_without_mini_batches_get_empty_entries():
    """A step taken by hand leaves no mini-batch entry: the file still has one per run, and reads back so."""
    s = variant(
        sample_session(), loss_history=[np.ones(3), np.ones(2), np.ones(1)], batch_history=[np.ones(2)], val_history=[]
    )
    d = json.loads(to_json(s))
    assert d["batch_history"] == [[1.0, 1.0], [], []]
    assert [b.tolist() for b in session_from_json(json.dumps(d)).document.batch_history] == [[1.0, 1.0], [], []]


def test_a_frozen_copy_keeps_the_mini_batch_losses():
    s = sample_session()
    copy = s.document.frozen_copy()
    assert [b.tolist() for b in copy.batch_history] == [[3.5, 2.5], []]
    assert session_to_json(copy, s.view) == to_json(s)
