"""Sessions: exact round trips, crash-safe saves, and strict loading that only ever raises SessionError."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbench.session import (
    SCHEMA_VERSION,
    RunSettings,
    SavedRun,
    Session,
    SessionError,
    load_session,
    n_params_for,
    save_session,
    session_from_json,
    session_to_json,
)

from workbench import session as session_module
from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.split import Split

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

# -- strategies --------------------------------------------------------------------------------------------
EXTREMES = [
    0.0,
    -0.0,
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    5e-324,
    -5e-324,
    1.7976931348623157e308,
    2.2250738585072014e-308,
    0.1,
    1 / 3,
]
finite = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(EXTREMES)
positive = st.floats(min_value=1e-300, max_value=1e300) | st.sampled_from([1e-300, 1e300, 0.5])
text = st.text(max_size=12)


def vec(n):
    return st.lists(finite, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.float64))


# Uncertainties σ: positive, and within the range whose weights 1/σ² are finite, non-zero doubles.
sigma_value = st.floats(min_value=1e-154, max_value=1e154) | st.sampled_from([1e-154, 1e154, 0.1, 1 / 3, 1.0])


def sigmas(n):
    return st.none() | st.lists(sigma_value, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.float64))


any_vec = st.integers(0, 6).flatmap(vec)
# Within what the window's controls can show (session.MIN_LR…MAX_LR, MAX_STEPS, split 1–90 %).
run_settings = st.builds(
    RunSettings,
    st.sampled_from(["gd", "momentum", "nesterov", "adam"]),
    st.floats(min_value=1e-6, max_value=10.0) | st.sampled_from([1e-6, 10.0]),
    st.integers(1, 10**7),
    st.floats(min_value=0, max_value=1e300),
    st.none() | st.integers(1, 10**7),
)
splits = st.none() | st.builds(
    Split, st.floats(min_value=0.01, max_value=0.9) | st.sampled_from([0.01, 0.9]), st.integers(0, 2**31 - 1)
)


def val_histories(loss_history):
    """One (step, loss) table per run: increasing steps within the run's length."""

    def run(losses):
        steps = st.lists(st.integers(1, max(losses.size, 1)), unique=True, max_size=losses.size).map(sorted)
        return steps.flatmap(lambda ss: vec(len(ss)).map(lambda ls: np.column_stack([np.array(ss, float), ls])))

    return st.tuples(*(run(h) for h in loss_history)).map(list)


plain_json = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | text,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3),
    max_leaves=8,
)


@st.composite
def sessions(draw):
    n_points = draw(st.integers(0, 8))
    dataset = Dataset(draw(vec(n_points)), draw(vec(n_points)), draw(text), draw(sigmas(n_points)))
    model = draw(st.sampled_from(["polynomial", "mlp"]))
    degree = draw(st.integers(0, 15))
    hidden = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    n = n_params_for(model, degree, hidden)
    lo = draw(st.floats(min_value=-1e300, max_value=1e300))
    hi = draw(st.floats(min_value=-1e300, max_value=1e300).filter(lambda h: h > lo))
    basis = Basis(draw(st.sampled_from(["monomial", "scaled", "legendre"])), lo, hi)
    loss = Loss(
        draw(st.sampled_from(["mse", "sse", "mae", "huber"])),
        draw(positive),
        draw(st.floats(min_value=0, max_value=1e300)),
    )
    scored = st.tuples(finite, vec(n))
    m = draw(st.integers(1, 4))
    last_run = draw(
        st.none()
        | st.builds(
            SavedRun,
            vec(m),
            finite,
            st.integers(0, 10**6),
            st.sampled_from(["converged", "max_steps", "diverged", "stopped"]),
            st.floats(min_value=0, max_value=1e9),
            vec(m),
            run_settings,
            text,
        )
    )
    history = draw(st.lists(any_vec, max_size=3))
    return Session(
        dataset=dataset,
        degree=degree,
        basis=basis,
        loss=loss,
        theta=draw(vec(n)),
        model=model,
        hidden=hidden,
        settings=draw(run_settings),
        manual_trail=draw(st.lists(vec(n), max_size=3)),
        manual_moves=draw(st.integers(0, 10**6)),
        best_manual=draw(st.none() | scored),
        gd_trajectory=draw(st.lists(vec(n), max_size=3)),
        loss_history=history,
        last_run=last_run,
        snapshots=draw(st.dictionaries(text.filter(bool), scored, max_size=3)),
        view=draw(st.dictionaries(text, plain_json, max_size=3)),
        split=draw(splits),
        val_history=draw(val_histories(history)),
    )


def same_array(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same(a: Session, b: Session) -> None:
    assert a.dataset.name == b.dataset.name
    assert same_array(a.dataset.x, b.dataset.x) and same_array(a.dataset.y, b.dataset.y)
    assert (a.dataset.sigma is None) == (b.dataset.sigma is None)
    if a.dataset.sigma is not None:
        assert same_array(a.dataset.sigma, b.dataset.sigma)
    assert a.dataset == b.dataset
    assert (a.degree, a.basis, a.loss, a.model, a.hidden, a.settings, a.manual_moves, a.view) == (
        b.degree,
        b.basis,
        b.loss,
        b.model,
        b.hidden,
        b.settings,
        b.manual_moves,
        b.view,
    )
    assert same_array(a.theta, b.theta)
    assert a.split == b.split
    assert len(a.val_history) == len(b.val_history) == len(a.loss_history)
    assert all(same_array(x, y) for x, y in zip(a.val_history, b.val_history))
    for name in ("manual_trail", "gd_trajectory", "loss_history"):
        xs, ys = getattr(a, name), getattr(b, name)
        assert len(xs) == len(ys) and all(same_array(x, y) for x, y in zip(xs, ys))
    assert (a.best_manual is None) == (b.best_manual is None)
    if a.best_manual is not None:
        assert repr(a.best_manual[0]) == repr(b.best_manual[0])
        assert same_array(a.best_manual[1], b.best_manual[1])
    assert a.snapshots.keys() == b.snapshots.keys()
    for k in a.snapshots:
        assert repr(a.snapshots[k][0]) == repr(b.snapshots[k][0])
        assert same_array(a.snapshots[k][1], b.snapshots[k][1])
    assert (a.last_run is None) == (b.last_run is None)
    if a.last_run is not None:
        ra, rb = a.last_run, b.last_run
        assert same_array(ra.params, rb.params) and same_array(ra.start_theta, rb.start_theta)
        assert (repr(ra.loss), ra.steps, ra.stop_reason, repr(ra.elapsed_s), ra.settings, ra.message) == (
            repr(rb.loss),
            rb.steps,
            rb.stop_reason,
            repr(rb.elapsed_s),
            rb.settings,
            rb.message,
        )


def sample_session() -> Session:
    return Session(
        Dataset([0.0, 1.0, 2.0, 3.0], [1.0, -0.0, 1e-300, 4.0], "demo"),
        degree=2,
        theta=[1.0, 2.0, 3.0],
        manual_trail=[np.ones(3), np.zeros(3)],
        manual_moves=2,
        best_manual=(0.25, np.ones(3)),
        gd_trajectory=[np.ones(3)],
        loss_history=[np.array([3.0, 2.0, 1.0]), np.array([])],
        last_run=SavedRun(np.ones(3), 0.5, 10, "converged", 0.01, np.zeros(3), RunSettings()),
        snapshots={"my best knobs": (0.25, np.ones(3)), "exact": (0.125, np.full(3, 0.5))},
        view={"zoom": [1.0, 2.0], "show_gd": True},
        settings=RunSettings(patience=50),
        split=Split(0.375, 7),
        val_history=[np.array([[1.0, 3.5], [3.0, 2.5]]), np.empty((0, 2))],
    )


def valid_dict() -> dict:
    return json.loads(session_to_json(sample_session()))


# -- round trips -------------------------------------------------------------------------------------------
@FUZZ
@given(sessions())
def test_round_trip_through_json_is_bit_exact(s):
    text = session_to_json(s)
    back = session_from_json(text)
    assert_same(s, back)
    assert session_to_json(back) == text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sessions())
def test_round_trip_through_a_file(tmp_path, s):
    path = tmp_path / "s.cfw.json"
    save_session(s, path)
    assert_same(s, load_session(path))


def test_signed_zero_and_extremes_survive():
    s = sample_session()
    back = session_from_json(session_to_json(s))
    assert np.signbit(back.dataset.y[1]) and back.dataset.y[2] == 1e-300
    assert not back.theta.flags.writeable


def test_mlp_parameter_counts():
    assert n_params_for("mlp", 5, (8,)) == 3 * 8 + 1
    assert n_params_for("mlp", 5, (4, 3)) == 4 + 4 + 4 * 3 + 3 + 3 + 1
    assert n_params_for("polynomial", 5, (8,)) == 6


# -- atomic saves ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("broken", ["replace", "fsync"])
def test_interrupted_save_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch, broken):
    path = tmp_path / "s.json"
    save_session(sample_session(), path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, broken, boom)
    changed = Session(Dataset([5.0], [6.0], "other"), degree=0, theta=[1.0])
    with pytest.raises(OSError, match="disk on fire"):
        save_session(changed, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_refused_save_never_touches_the_file(tmp_path):
    path = tmp_path / "s.json"
    save_session(sample_session(), path)
    before = path.read_bytes()
    bad = Session(Dataset([1.0], [2.0]), degree=0, theta=[float("nan")])
    with pytest.raises(SessionError, match=r"theta\[0\].*non-finite"):
        save_session(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


@pytest.mark.parametrize(
    "bad, where",
    [
        (dict(theta=[1.0, np.inf, 3.0]), r"theta\[1\]"),
        (dict(loss_history=[np.array([1.0, np.nan])]), r"loss_history\[0\]\[1\]"),
        (dict(best_manual=(np.inf, np.ones(3))), r"best_manual\.loss"),
        (dict(snapshots={"exact": (1.0, np.array([1.0, 2.0, np.nan]))}), r"snapshots\['exact'\]\.theta\[2\]"),
        (dict(view={"zoom": [float("nan")]}), r"view\.zoom\[0\]"),
        (dict(settings=RunSettings(lr=float("inf"))), r"settings\.lr"),
        (dict(theta=[1.0, 2.0]), r"theta: has 2 values but the model has 3"),
        (dict(view={"x": np.float32(1.0)}), r"view\.x"),
    ],
)
def test_saving_refuses_non_finite_and_invalid_values(bad, where):
    s = sample_session()
    fields = {name: getattr(s, name) for name in s.__dataclass_fields__}
    with pytest.raises(SessionError, match=where):
        session_to_json(Session(**{**fields, **bad}))


def test_saving_refuses_deeply_nested_view_without_recursion_error():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    s = sample_session()
    fields = {name: getattr(s, name) for name in s.__dataclass_fields__}
    with pytest.raises(SessionError, match="view"):
        session_to_json(Session(**{**fields, "view": {"deep": deep}}))


# -- strict loading: every bad case names its field ---------------------------------------------------------
def _set(path, value):
    def mutate(d):
        *parents, last = path
        for p in parents:
            d = d[p]
        d[last] = value

    return mutate


def _delete(path):
    def mutate(d):
        *parents, last = path
        for p in parents:
            d = d[p]
        del d[last]

    return mutate


BAD_CASES = [
    (_set(["dataset", "x", 3], "3"), r"dataset\.x\[3\]: expected a number"),
    (_set(["dataset", "x", 3], 1e400), r"dataset\.x\[3\]: non-finite"),
    (_set(["dataset", "y", 0], True), r"dataset\.y\[0\]: expected a number"),
    (_set(["dataset", "y"], [1.0]), r"dataset\.y: has 1 values but dataset\.x has 4"),
    (_set(["dataset", "name"], 7), r"dataset\.name: expected text"),
    (_set(["theta"], [1.0, 2.0]), r"theta: has 2 values but the model has 3"),
    (_set(["theta", 0], None), r"theta\[0\]"),
    (_set(["degree"], 16), r"degree: 16 is out of range"),
    (_set(["degree"], -1), r"degree: -1 is out of range"),
    (_set(["degree"], 2.0), r"degree: expected a whole number"),
    (_set(["basis", "kind"], "chebyshev"), r"basis\.kind: unknown kind 'chebyshev'.*monomial"),
    (_set(["basis", "lo"], 1.0), r"basis\.hi: interval \[1\.0, 1\.0\] is empty"),
    (_set(["loss", "kind"], "l7"), r"loss\.kind: unknown kind 'l7'.*huber"),
    (_set(["loss", "huber_delta"], 0.0), r"loss\.huber_delta: .*not positive"),
    (_set(["loss", "l2"], -1.0), r"loss\.l2: .*negative"),
    (_set(["settings", "optimizer"], "sgd"), r"settings\.optimizer: unknown kind 'sgd'.*adam"),
    (_set(["settings", "lr"], 0), r"settings\.lr"),
    (_set(["settings", "max_steps"], -5), r"settings\.max_steps"),
    (_set(["model"], "transformer"), r"model: unknown kind 'transformer'.*polynomial, mlp"),
    (_set(["model"], "mlp"), r"theta: has 3 values but the model has 25"),
    (_set(["hidden"], [8, 8, 8]), r"hidden: expected a list of one or two"),
    (_set(["hidden", 0], 0), r"hidden\[0\]: 0 is out of range"),
    (_set(["manual_trail", 1], [1.0]), r"manual_trail\[1\]: has 1 values"),
    (_set(["manual_moves"], -1), r"manual_moves"),
    (_set(["best_manual", "theta"], []), r"best_manual\.theta"),
    (_set(["gd_trajectory"], {}), r"gd_trajectory: expected a list"),
    (_set(["loss_history", 0, 2], "NaN"), r"loss_history\[0\]\[2\]"),
    (_set(["last_run", "stop_reason"], "bored"), r"last_run\.stop_reason: unknown kind"),
    (_set(["last_run", "start_theta"], [1.0]), r"last_run\.start_theta: has 1 values"),
    (_set(["last_run", "settings", "tol"], -1.0), r"last_run\.settings\.tol"),
    (_set(["snapshots", "exact", "theta"], [1.0]), r"snapshots\['exact'\]\.theta"),
    (_set(["snapshots", "exact", "loss"], "low"), r"snapshots\['exact'\]\.loss"),
    (_set(["snapshots", ""], {"loss": 1.0, "theta": [1.0, 2.0, 3.0]}), r"empty snapshot name"),
    (_set(["view"], [1, 2]), r"view: expected an object"),
    (_delete(["dataset", "x"]), r"dataset\.x: missing"),
    (_delete(["theta"]), r"theta: missing"),
    (_delete(["last_run", "params"]), r"last_run\.params: missing"),
    (_set(["colour"], "red"), r"colour: unknown field"),
    (_set(["basis", "extra"], 1), r"basis\.extra: unknown field"),
    (_delete(["schema_version"]), r"schema_version: missing"),
    (_set(["schema_version"], 0), r"schema_version: schema 0 is not supported"),
    (_set(["schema_version"], "1"), r"schema_version: expected a whole number"),
]


@pytest.mark.parametrize("mutate, message", BAD_CASES)
def test_every_bad_field_is_named(tmp_path, mutate, message):
    d = valid_dict()
    mutate(d)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(SessionError, match=message) as info:
        load_session(path)
    assert str(path) in str(info.value)


def test_unknown_keys_inside_view_are_kept_and_view_is_optional():
    d = valid_dict()
    d["view"]["anything"] = {"new": [1, "two", None]}
    assert session_from_json(json.dumps(d)).view["anything"] == {"new": [1, "two", None]}
    del d["view"]
    assert session_from_json(json.dumps(d)).view == {}


def test_newer_schema_asks_for_an_update():
    d = valid_dict()
    d["schema_version"] = SCHEMA_VERSION + 1
    d["some_future_field"] = 1
    with pytest.raises(
        SessionError,
        match=rf"newer version of Curve Fitter Workbench \(schema "
        rf"{SCHEMA_VERSION + 1}\); update the app",
    ):
        session_from_json(json.dumps(d), source="future.json")


def test_not_json_not_utf8_missing_file_and_too_big(tmp_path, monkeypatch):
    with pytest.raises(SessionError, match="x.json: not valid JSON"):
        session_from_json("{", source="x.json")
    with pytest.raises(SessionError, match="not UTF-8"):
        session_from_json(b"\xff\xfe{}")
    with pytest.raises(SessionError, match="cannot read"):
        load_session(tmp_path / "missing.json")
    path = tmp_path / "s.json"
    save_session(sample_session(), path)
    monkeypatch.setattr(session_module, "MAX_BYTES", 100)
    with pytest.raises(SessionError, match="larger than"):
        load_session(path)
    with pytest.raises(SessionError, match="larger than"):
        session_from_json(path.read_text())


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        "[" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
    ],
)
def test_deep_nesting_is_refused_without_recursion_error(text):
    with pytest.raises(SessionError, match="nesting"):
        session_from_json(text)


def test_deep_nesting_inside_view_is_refused():
    text = session_to_json(sample_session())
    text = text.replace('"view":{', '"view":{"deep":' + "[" * 100_000 + "]" * 100_000 + ",", 1)
    with pytest.raises(SessionError, match="nesting"):
        session_from_json(text)


# -- fuzzing: only SessionError, never another exception, never partial data --------------------------------
VALID_TEXT = session_to_json(sample_session())


def load_or_session_error(data):
    """Return the Session or None on SessionError; any other exception fails the test."""
    try:
        result = session_from_json(data, source="fuzz.json")
    except SessionError as exc:
        assert "fuzz.json" in str(exc)
        return None
    assert isinstance(result, Session)
    session_to_json(result)  # a returned session is whole and valid: it saves again
    return result


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_session_error(data):
    load_or_session_error(data)


@FUZZ
@given(st.integers(0, len(VALID_TEXT.rstrip()) - 1))
def test_truncated_files_raise_session_error(n):
    with pytest.raises(SessionError):
        session_from_json(VALID_TEXT[:n], source="fuzz.json")
    with pytest.raises(SessionError):
        session_from_json(VALID_TEXT.encode()[:n], source="fuzz.json")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(json_values)
def test_random_json_values_raise_only_session_error(value):
    assert load_or_session_error(json.dumps(value)) is None


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


VALID_PATHS = list(_paths(json.loads(VALID_TEXT)))[1:]


@FUZZ
@given(st.sampled_from(VALID_PATHS), json_values)
def test_mutated_sessions_raise_only_session_error(path, value):
    d = copy.deepcopy(json.loads(VALID_TEXT))
    _set(list(path), value)(d)
    result = load_or_session_error(json.dumps(d))
    if result is not None:  # the mutation happened to be valid: the load reflects it exactly
        assert json.loads(session_to_json(result)) == d


@FUZZ
@given(sessions(), st.data())
def test_mutated_generated_sessions_raise_only_session_error(s, data):
    d = json.loads(session_to_json(s))
    path = data.draw(st.sampled_from(list(_paths(d))[1:]))
    _set(list(path), data.draw(json_values))(d)
    load_or_session_error(json.dumps(d))


# -- the train/validation split, its histories and early stopping (optional fields) -------------------------
VALIDATION_BAD_CASES = [
    (_set(["split"], None), r"split: null is not a split.*remove split"),
    (_set(["split", "fraction"], 1.0), r"split\.fraction: 1\.0 is not between 0\.01 and 0\.9"),
    (_set(["split", "fraction"], 0), r"split\.fraction: 0 is not between 0\.01 and 0\.9"),
    (_set(["split", "fraction"], "20%"), r"split\.fraction: expected a number"),
    (_set(["split", "seed"], -1), r"split\.seed: -1 is out of range"),
    (_set(["split", "seed"], 1.5), r"split\.seed: expected a whole number"),
    (_set(["split", "seed"], 2**63), r"split\.seed: .* out of range"),
    # The window's seed box holds 2^31 − 1 at most: a larger seed could be loaded but never shown.
    (
        _set(["split", "seed"], 2**31),
        r"split\.seed: 2147483648 is out of range; use a whole number from 0 to 2147483647",
    ),
    (_delete(["split", "seed"]), r"split\.seed: missing"),
    (_set(["split", "shuffle"], True), r"split\.shuffle: unknown field"),
    (_set(["settings", "patience"], 0), r"settings\.patience: 0 is out of range"),
    (_set(["settings", "patience"], None), r"settings\.patience: null.*remove patience"),
    (_set(["settings", "patience"], 2.0), r"settings\.patience: expected a whole number"),
    (_set(["val_history"], {}), r"val_history: expected a list"),
    (_set(["val_history"], []), r"val_history: has 0 runs but loss_history has 2"),
    (_set(["val_history", 0, "steps", 1], 1), r"val_history\[0\]\.steps\[1\]: step 1 does not come after step 1"),
    (_set(["val_history", 0, "steps", 1], 4), r"val_history\[0\]\.steps\[1\]: 4 is out of range.*1 to 3"),
    (_set(["val_history", 0, "steps", 0], 0), r"val_history\[0\]\.steps\[0\]: 0 is out of range"),
    (_set(["val_history", 0, "steps", 0], 1.0), r"val_history\[0\]\.steps\[0\]: expected a whole number"),
    (_set(["val_history", 0, "steps"], "all"), r"val_history\[0\]\.steps: expected a list of step numbers"),
    (_set(["val_history", 0, "losses"], [1.0]), r"val_history\[0\]\.losses: has 1 values but .*steps has 2"),
    (_set(["val_history", 0, "losses", 0], "NaN"), r"val_history\[0\]\.losses\[0\]: expected a number"),
    (_set(["val_history", 1, "steps"], [1]), r"val_history\[1\]\.steps\[0\]: 1 is out of range.*1 to 0"),
    (_delete(["val_history", 0, "losses"]), r"val_history\[0\]\.losses: missing"),
]


@pytest.mark.parametrize("mutate, message", VALIDATION_BAD_CASES)
def test_every_bad_validation_field_is_named(mutate, message):
    d = valid_dict()
    mutate(d)
    with pytest.raises(SessionError, match=message) as info:
        session_from_json(json.dumps(d), source="bad.json")
    assert "bad.json" in str(info.value)


def test_validation_fields_are_saved_exactly():
    d = valid_dict()
    assert d["split"] == {"fraction": 0.375, "seed": 7}
    assert d["settings"]["patience"] == 50 and "patience" not in d["last_run"]["settings"]
    assert d["val_history"] == [{"steps": [1, 3], "losses": [3.5, 2.5]}, {"steps": [], "losses": []}]
    back = session_from_json(json.dumps(d))
    assert back.split == Split(0.375, 7) and back.settings.patience == 50


def test_a_session_without_validation_fields_loads_with_none_and_empty_histories():
    d = valid_dict()
    for key in ("split", "val_history"):
        del d[key]
    del d["settings"]["patience"]
    back = session_from_json(json.dumps(d))
    assert back.split is None and back.settings.patience is None
    assert [h.shape for h in back.val_history] == [(0, 2), (0, 2)]  # one per run, beside loss_history
    again = json.loads(session_to_json(back))
    assert "split" not in again and "patience" not in again["settings"]
    assert again["val_history"] == [{"steps": [], "losses": []}] * 2


def test_saving_refuses_validation_histories_a_load_would_refuse():
    s = sample_session()
    fields = {name: getattr(s, name) for name in s.__dataclass_fields__}
    with pytest.raises(SessionError, match=r"val_history\[0\]: step numbers must be whole numbers"):
        session_to_json(Session(**{**fields, "val_history": [np.array([[1.5, 2.0]]), np.empty((0, 2))]}))
    with pytest.raises(SessionError, match=r"val_history\[0\]\.steps\[0\]: 9 is out of range"):
        session_to_json(Session(**{**fields, "val_history": [np.array([[9.0, 2.0]])]}))
