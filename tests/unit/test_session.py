"""Sessions: exact round trips of the document, strict loading that only ever raises SessionError, and saving
that refuses what a load would refuse."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from session_strategies import (
    assert_same,
    bases,
    batch_histories,
    formulas,
    make_session,
    named_dataset,
    run_record,
    variant,
)

from workbench.fitting.basis import Basis
from workbench.fitting.computable import numeric_trouble
from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.orthonormal import orthonormal_factor
from workbench.fitting.split import Split
from workbench.state.runs import MAX_BATCH_SEED, MAX_BATCH_SIZE, RUN_OPTIMIZERS, RunSettings
from workbench.state.session import (
    SCHEMA_VERSION,
    LoadedSession,
    SessionError,
    load_session,
    save_session,
    session_from_json,
    session_to_json,
)
from workbench.state.session_reader import OVERLAYS, n_params_for

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


# Short arrays are written as lists, long ones (more than 16 values) as base64: draw both.
any_vec = (st.integers(0, 6) | st.integers(17, 40)).flatmap(vec)
# Within what the window's controls can show (runs.MIN_LR…MAX_LR, MAX_STEPS, split 1–90 %).
run_settings = st.builds(
    RunSettings,
    st.sampled_from(RUN_OPTIMIZERS),
    st.floats(min_value=1e-6, max_value=10.0) | st.sampled_from([1e-6, 10.0]),
    st.integers(1, 10**7),
    st.floats(min_value=0, max_value=1e300),
    st.none() | st.integers(1, 10**7),
    st.booleans(),
    st.none() | st.integers(1, MAX_BATCH_SIZE),
    st.integers(0, MAX_BATCH_SEED),
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


# Data and knobs a window can compute with (tiny numbers and signed zeros included): half the drawn sessions
# have them, so most round trips go all the way; the other half may hold numbers no window can compute with,
# which the reader refuses (naming them).
TINY = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 0.1, 1 / 3]
moderate = st.floats(min_value=-1e3, max_value=1e3) | st.sampled_from(TINY)


def moderate_vec(n):
    return st.lists(moderate, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.float64))


@st.composite
def sessions(draw):
    """Any session the format can hold: every float of the doubles' range, short and long arrays."""
    computable = draw(st.booleans())
    points = moderate_vec if computable else vec
    n_points = draw(st.integers(0, 8) | st.integers(17, 30))
    dataset = named_dataset(draw(points(n_points)), draw(points(n_points)), draw(text), draw(sigmas(n_points)), draw)
    model = draw(st.sampled_from(["polynomial", "mlp", "formula"]))
    formula = draw(formulas()) if model == "formula" or draw(st.booleans()) else ""
    degree = draw(st.integers(0, 15))
    hidden = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    n = n_params_for(model, degree, hidden, formula)
    bound = 1e3 if computable else 1e300
    lo = draw(st.floats(min_value=-bound, max_value=bound))
    hi = draw(st.floats(min_value=-bound, max_value=bound).filter(lambda h: h > lo))
    basis = draw(bases(lo, hi, degree))
    loss = Loss(
        draw(st.sampled_from(["mse", "sse", "mae", "huber"])),
        draw(positive),
        draw(st.floats(min_value=0, max_value=1e3 if computable else 1e300)),
    )
    scored = st.tuples(finite, vec(n))
    m = draw(st.integers(1, 4) | st.integers(17, 20))
    last_run = draw(
        st.none()
        | st.builds(
            run_record,
            vec(m),
            finite,
            st.integers(0, 10**6),
            st.sampled_from(["converged", "max_steps", "diverged", "stopped", "early_stop", "stalled"]),
            st.floats(min_value=0, max_value=1e9),
            vec(m),
            run_settings,
            text,
        )
    )
    history = draw(st.lists(any_vec, max_size=3))
    return make_session(
        dataset,
        degree=degree,
        basis=basis,
        loss=loss,
        theta=draw(points(n)),
        model=model,
        hidden=hidden,
        formula=formula,
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
        batch_history=batch_histories(draw, history, finite),
        show_exact=draw(st.booleans()),
        show_manual=draw(st.booleans()),
        show_gd=draw(st.booleans()),
    )


# A factor of three orthonormal functions (6 numbers: saved as a list) on the sample's points.
SAMPLE_BASIS = Basis("orthonormal", 0.0, 3.0, orthonormal_factor(np.array([-1.0, -1 / 3, 1 / 3, 1.0]), 3))


def sample_session() -> LoadedSession:
    """A session with every field, short arrays (saved as lists): an orthonormal basis with its factor, a
    formula kept for going back to it, named columns, mini-batch settings and losses."""
    return make_session(
        Dataset([0.0, 1.0, 2.0, 3.0], [1.0, -0.0, 1e-300, 4.0], "demo", None, "time (s)", "signal"),
        degree=2,
        basis=SAMPLE_BASIS,
        formula="a*exp(-b*x)",
        theta=[1.0, 2.0, 3.0],
        manual_trail=[np.ones(3), np.zeros(3)],
        manual_moves=2,
        best_manual=(0.25, np.ones(3)),
        gd_trajectory=[np.ones(3)],
        loss_history=[np.array([3.0, 2.0, 1.0]), np.array([])],
        last_run=run_record(np.ones(3), 0.5, 10, "converged", 0.01, np.zeros(3), RunSettings()),
        snapshots={"my best knobs": (0.25, np.ones(3)), "exact": (0.125, np.full(3, 0.5))},
        view={"zoom": [1.0, 2.0]},
        show_gd=True,
        settings=RunSettings(patience=50, lr_chosen=True, batch_size=2, seed=11),
        split=Split(0.375, 7),
        val_history=[np.array([[1.0, 3.5], [3.0, 2.5]]), np.empty((0, 2))],
        batch_history=[np.array([3.5, 2.5]), np.array([])],
    )


def formula_sample_session() -> LoadedSession:
    """``sample_session`` with its formula as the model: every knob list counted by the formula's parameters."""
    return variant(
        sample_session(),
        model="formula",
        theta=[1.0, 0.5],
        manual_trail=[np.ones(2), np.array([1.0, 0.5])],
        best_manual=(0.25, np.ones(2)),
        gd_trajectory=[np.full(2, 0.5)],
        snapshots={"exact": (0.125, np.array([1.5, -0.0]))},
        show_exact=True,
    )


def packed_session() -> LoadedSession:
    """A session whose points, σ, histories and validation steps are long enough to be saved as base64."""
    x = np.linspace(-1.0, 1.0, 40)
    x[3] = -0.0
    y = np.cos(3 * x) + x**3
    y[5] = 5e-324
    losses = np.geomspace(3.0, 1e-3, 30)
    steps = np.arange(1.0, 21.0)
    sigma = np.full(40, 0.25)
    return make_session(
        Dataset(x, y, "long", sigma, "year", "level", True),
        degree=3,
        basis=Basis.for_data("orthonormal", x, sigma),  # as the app builds it: 136 numbers, saved as base64
        theta=[0.5, -0.25, 1e-300, 2.0],
        loss_history=[losses, np.array([2.0, 1.0])],
        val_history=[np.column_stack([steps, losses[:20] * 1.5]), np.empty((0, 2))],
        batch_history=[losses[:25] * 1.25, np.array([2.5])],
        settings=RunSettings("lm", batch_size=10**6),
        gd_trajectory=[np.ones(4), np.full(4, 0.5)],
        last_run=run_record(np.full(4, 0.5), 0.01, 30, "max_steps", 0.125, np.zeros(4)),
        view={"fit_view": [-1.0, 1.0, -2.0, 2.0]},
    )


def to_json(s: LoadedSession) -> str:
    return session_to_json(s.document, s.view)


def valid_dict() -> dict:
    return json.loads(to_json(sample_session()))


def refused_as_not_computable(s: LoadedSession, error: SessionError) -> bool:
    """A session the reader refused because its numbers cannot be computed with (no window could show it):
    the refusal names that, and the document is indeed beyond double precision."""
    state = s.document.state
    return "theta and dataset:" in str(error) and numeric_trouble(state.build_problem(), state.theta) is not None


# -- round trips -------------------------------------------------------------------------------------------
@FUZZ
@given(sessions())
def test_round_trip_through_json_is_bit_exact(s):
    text = to_json(s)
    try:
        back = session_from_json(text)
    except SessionError as exc:
        assert refused_as_not_computable(s, exc), exc
        return
    assert_same(s, back)
    assert to_json(back) == text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sessions())
def test_round_trip_through_a_file(tmp_path, s):
    path = tmp_path / "s.cfw.json"
    save_session(s.document, s.view, path)
    try:
        back = load_session(path)
    except SessionError as exc:
        assert refused_as_not_computable(s, exc), exc
        return
    assert_same(s, back)


def test_extremes_round_trip_where_the_window_can_compute():
    """Every edge of the doubles in every kind of array, in a session whose data and knobs can be computed."""
    edges = np.array(EXTREMES + [-1.7976931348623157e308, 4e-320], dtype=np.float64)
    s = variant(
        sample_session(),
        manual_trail=[edges[:3], edges[3:6]],
        gd_trajectory=[edges[6:9], edges[9:12], edges[11:14]],
        loss_history=[edges, np.tile(edges, 3)],
        val_history=[np.column_stack([np.arange(1.0, 15.0), edges]), np.empty((0, 2))],
        best_manual=(5e-324, edges[:3]),
        snapshots={"edges": (-0.0, edges[-3:])},
        last_run=run_record(np.tile(edges, 2), 1.7976931348623157e308, 7, "diverged", 0.0, -np.tile(edges, 2)),
    )
    text = to_json(s)
    assert json.loads(text)["loss_history"][1].keys() == {"float64"}  # 42 values: base64
    back = session_from_json(text)
    assert_same(s, back)
    assert to_json(back) == text


def test_signed_zero_and_extremes_survive():
    s = sample_session()
    back = session_from_json(to_json(s))
    assert np.signbit(back.document.dataset.y[1]) and back.document.dataset.y[2] == 1e-300
    assert not back.document.dataset.x.flags.writeable


def test_mlp_parameter_counts():
    assert n_params_for("mlp", 5, (8,)) == 3 * 8 + 1
    assert n_params_for("mlp", 5, (4, 3)) == 4 + 4 + 4 * 3 + 3 + 3 + 1
    assert n_params_for("polynomial", 5, (8,)) == 6


def test_the_overlays_live_in_the_document_and_are_written_into_the_view():
    s = sample_session()
    d = json.loads(to_json(s))
    assert d["view"] == {"zoom": [1.0, 2.0], "show_exact": False, "show_manual": False, "show_gd": True}
    back = session_from_json(json.dumps(d))
    assert (back.document.show_exact, back.document.show_manual, back.document.show_gd) == (False, False, True)
    assert back.view["zoom"] == [1.0, 2.0]


# -- the format: long arrays as base64 doubles, short ones as lists ------------------------------------------
def test_long_arrays_are_base64_doubles_and_short_ones_lists():
    s = packed_session()
    d = json.loads(to_json(s))
    for packed in (d["dataset"]["x"], d["dataset"]["y"], d["dataset"]["sigma"], d["loss_history"][0]):
        assert packed.keys() == {"float64"} and isinstance(packed["float64"], str)
    assert d["val_history"][0]["steps"].keys() == {"float64"}  # 20 step numbers: whole doubles in base64
    assert d["theta"] == [0.5, -0.25, 1e-300, 2.0] and d["loss_history"][1] == [2.0, 1.0]
    assert d["val_history"][1] == {"steps": [], "losses": []}
    import base64

    raw = base64.b64decode(d["dataset"]["x"]["float64"])
    assert raw == s.document.dataset.x.astype("<f8").tobytes()  # little-endian doubles, nothing else
    assert d["schema_version"] == SCHEMA_VERSION == 3
    assert d["app"]["name"] == "Curve Fitter Workbench"
    back = session_from_json(json.dumps(d))
    assert_same(s, back)


def test_a_list_may_stand_where_the_app_writes_base64_and_the_other_way_round():
    """A hand-edited or script-written session may use either form for any array."""
    s = packed_session()
    d = json.loads(to_json(s))
    d["dataset"]["x"] = s.document.dataset.x.tolist()
    d["val_history"][0]["steps"] = list(range(1, 21))
    import base64

    d["theta"] = {"float64": base64.b64encode(np.array([0.5, -0.25, 1e-300, 2.0]).tobytes()).decode()}
    assert_same(s, session_from_json(json.dumps(d)))


def test_a_packed_session_is_a_fraction_of_the_size_of_decimal_text():
    x = np.random.default_rng(1).standard_normal(10_000)
    s = make_session(Dataset(x, x**2, "big"), degree=2, theta=[0.0, 0.0, 1.0])
    size = len(to_json(s).encode("utf-8"))
    base64_of_the_points = 2 * 10_000 * 8 * 4 // 3
    assert base64_of_the_points < size < base64_of_the_points + 1000  # the points and a few fields


# -- refused saves --------------------------------------------------------------------------------------------
def test_refused_save_never_touches_the_file(tmp_path):
    path = tmp_path / "s.json"
    s = sample_session()
    save_session(s.document, s.view, path)
    before = path.read_bytes()
    bad = make_session(Dataset([1.0], [2.0]), degree=0, theta=[float("nan")])
    with pytest.raises(SessionError, match=r"theta\[0\].*non-finite"):
        save_session(bad.document, bad.view, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


@pytest.mark.parametrize(
    "bad, where",
    [
        (dict(theta=[1.0, np.inf, 3.0]), r"theta\[1\]"),
        (dict(best_manual=(np.inf, np.ones(3))), r"best_manual\.loss"),
        (dict(snapshots={"exact": (1.0, np.array([1.0, 2.0, np.nan]))}), r"snapshots\['exact'\]\.theta\[2\]"),
        (dict(view={"zoom": [float("nan")]}), r"view\.zoom\[0\]"),
        (dict(settings=RunSettings(lr=float("inf"))), r"settings\.lr"),
        (dict(settings=RunSettings(lr=100.0)), r"settings\.lr: 100\.0 is out of range"),
        (dict(theta=[1.0, 2.0]), r"theta: has 2 values but the model has 3"),
        (dict(view={"x": np.float32(1.0)}), r"view\.x"),
        (dict(manual_trail=[np.ones(2)]), r"manual_trail\[0\]: has 2 values"),
        (dict(snapshots={"": (1.0, np.ones(3))}), r"empty snapshot name"),
        (dict(degree=99, theta=np.zeros(100)), r"degree: 99 is out of range"),
        (
            dict(last_run=run_record(np.ones(3), np.nan, 3, "stopped", 0.1, np.zeros(3))),
            r"last_run\.loss: non-finite number nan",
        ),
        (
            dict(last_run=run_record(np.ones(3), 0.5, 3, "stopped", 0.1, np.zeros(2))),
            r"last_run\.start_theta: has 2 values but last_run\.params has 3",
        ),
        (dict(model="mlp", theta=np.r_[np.zeros(24), np.nan]), r"theta\[24\]: non-finite number nan"),
    ],
)
def test_saving_refuses_non_finite_and_invalid_values(bad, where):
    s = variant(sample_session(), **bad)
    with pytest.raises(SessionError, match=where) as info:
        to_json(s)
    assert str(info.value).startswith("the session being saved: ")


def test_saving_refuses_a_non_finite_value_in_a_long_array_naming_its_place():
    knobs = np.zeros(25)  # a 1 → 8 → 1 net: 25 knobs, saved as base64
    knobs[20] = np.inf
    net = dict(model="mlp", theta=np.zeros(25), gd_trajectory=[], manual_trail=[], last_run=None)
    s = variant(packed_session(), **net, snapshots={"s": (1.0, knobs)})
    with pytest.raises(SessionError, match=r"snapshots\['s'\]\.theta\[20\]: non-finite number inf"):
        to_json(s)
    s = variant(packed_session(), **net, best_manual=(1.0, knobs * np.nan))
    with pytest.raises(SessionError, match=r"best_manual\.theta\[0\]: non-finite number nan"):
        to_json(s)


def test_a_diverged_run_saves_up_to_where_it_blew_up():
    """Overflowed losses and positions end the saved history where the run blew up (JSON has no inf)."""
    losses = np.r_[np.linspace(3.0, 1.0, 20), 40.0, np.inf, np.nan]
    s = variant(
        sample_session(),
        loss_history=[losses, np.array([1.0, np.nan])],
        gd_trajectory=[np.ones(3), np.full(3, np.inf), np.zeros(3)],
        manual_trail=[np.full(3, np.nan), np.ones(3)],
        val_history=[np.array([[1.0, 2.0], [21.0, 3.0], [22.0, 4.0]]), np.array([[1.0, np.nan]])],
    )
    back = session_from_json(to_json(s)).document
    assert back.loss_history[0].tolist() == losses[:21].tolist() and back.loss_history[1].tolist() == [1.0]
    assert [t.tolist() for t in back.gd_trajectory] == [[1.0] * 3, [0.0] * 3]
    assert [t.tolist() for t in back.manual_trail] == [[1.0] * 3]
    # validation rows stay beside their run: within its saved steps, and before a non-finite loss
    assert back.val_history[0].tolist() == [[1.0, 2.0], [21.0, 3.0]] and back.val_history[1].shape == (0, 2)


def test_saving_refuses_deeply_nested_view_without_recursion_error():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    s = variant(sample_session(), view={"deep": deep})
    with pytest.raises(SessionError, match="view"):
        to_json(s)


def test_a_view_that_looks_like_the_writers_own_placeholders_is_saved_as_it_is():
    """Free-form view state holding text the writer uses inside (a NUL-framed marker) stays text: the file
    opens, and the arrays are where they belong."""
    s = packed_session()
    markers = {f"m{i}": {"float64": f"\u0000workbench-array-{i}\u0000"} for i in range(12)}
    s = variant(s, view={**s.view, **markers})
    back = session_from_json(to_json(s))
    assert_same(s, back)
    assert back.view["m5"] == {"float64": "\u0000workbench-array-5\u0000"}


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


def _both(first, second):
    def mutate(d):
        first(d)
        second(d)

    return mutate


def _packed(path, values):
    """Write an array at ``path`` as the app writes long ones."""
    import base64

    return _set(path, {"float64": base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")})


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
    (_set(["basis", "lo"], 3.0), r"basis\.hi: interval \[3\.0, 3\.0\] is empty"),
    (_set(["loss", "kind"], "l7"), r"loss\.kind: unknown kind 'l7'.*huber"),
    (_set(["loss", "huber_delta"], 0.0), r"loss\.huber_delta: .*not positive"),
    (_set(["loss", "l2"], -1.0), r"loss\.l2: .*negative"),
    (_set(["settings", "optimizer"], "bfgs"), r"settings\.optimizer: unknown kind 'bfgs'.*adam"),
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
    # the columns' names and dates
    (_set(["dataset", "x_name"], 7), r"dataset\.x_name: expected text, found the number 7; write it as a quoted"),
    (_set(["dataset", "y_name"], " "), r"dataset\.y_name: empty column name; write a name such as \"y\", or remove"),
    (_set(["dataset", "x_name"], " t "), r"dataset\.x_name: ' t ' has spaces around it; write the name without"),
    (_set(["dataset", "x_is_date"], "yes"), r"dataset\.x_is_date: expected true or false, found text; write true"),
    (_set(["dataset", "x_is_date"], 1), r"dataset\.x_is_date: expected true or false, found the number 1"),
    (_set(["dataset", "x_names"], "t"), r"dataset\.x_names: unknown field; expected only .*x_is_date"),
    # the orthonormal basis's factor
    (_set(["basis", "factor"], [1.0, 2.0]), r"basis\.factor: has 2 values, not the m\(m\+1\)/2 .*; restore it"),
    (_set(["basis", "factor"], [1.0]), r"basis\.factor: holds functions up to degree 0, not 2; lower the degree"),
    (_set(["basis", "factor"], [1.0, 0.0, 0.0, -1.0, 0.0, 1.0]), r"basis\.factor: .*positive diagonal; restore"),
    (_set(["basis", "factor"], [5e-324, 0.0, 0.0, 1.0, 0.0, 1.0]), r"basis\.factor: its inverse is beyond double"),
    (_set(["basis", "factor", 2], "0"), r"basis\.factor\[2\]: expected a number"),
    (_set(["basis", "factor", 5], 1e999), r"basis\.factor\[5\]: non-finite number inf"),
    (_set(["basis", "factor"], None), r"basis\.factor: expected a list of numbers, found null"),
    (_delete(["basis", "factor"]), r"basis\.factor: missing; the orthonormal basis is defined by its factor"),
    (_set(["basis", "kind"], "legendre"), r"basis\.factor: the legendre basis has no factor; remove factor"),
    # the formula (kept while the polynomial is shown; the knobs of model "formula")
    (_set(["formula"], "a*exp(-b*"), r"formula: line 1, col 10: .*; correct the formula in the file"),
    (_set(["formula"], 3), r"formula: expected text, found the number 3"),
    (_set(["formula"], "x"), r"formula: the formula has no parameter to fit"),
    (_set(["formula"], ""), r"formula: the formula is empty"),
    (_set(["model"], "formula"), r"theta: has 3 values but the model has 2 parameters; save the knobs"),
    (_both(_set(["model"], "formula"), _delete(["formula"])), r"formula: missing; the model is a formula"),
    # mini-batches, Levenberg–Marquardt, a typed learning rate
    (_set(["settings", "optimizer"], "LM"), r"settings\.optimizer: unknown kind 'LM'; choose one of .*lbfgs, lm"),
    (_set(["settings", "batch_size"], 0), r"settings\.batch_size: 0 is out of range; use a whole number from 1 to"),
    (_set(["settings", "batch_size"], 2**31), r"settings\.batch_size: 2147483648 is out of range"),
    (_set(["settings", "batch_size"], None), r"settings\.batch_size: null .*remove batch_size to use every point"),
    (_set(["settings", "batch_size"], 2.5), r"settings\.batch_size: expected a whole number"),
    (_set(["settings", "seed"], -1), r"settings\.seed: -1 is out of range; use a whole number from 0 to 2147483647"),
    (_set(["settings", "seed"], "7"), r"settings\.seed: expected a whole number, found text"),
    (_set(["settings", "lr_chosen"], "true"), r"settings\.lr_chosen: expected true or false, found text"),
    (_set(["last_run", "settings", "batch_size"], -3), r"last_run\.settings\.batch_size: -3 is out of range"),
    (_set(["last_run", "settings", "lr_chosen"], None), r"last_run\.settings\.lr_chosen: expected true or false"),
    # mini-batch losses, one list per run
    (_set(["batch_history"], {}), r"batch_history: expected a list, found an object; write it as \[\[\.\.\.\]"),
    (_set(["batch_history"], [[]]), r"batch_history: has 1 runs but loss_history has 2; give one entry per run"),
    (_set(["batch_history", 0], [1.0, 2.0, 3.0, 4.0]), r"batch_history\[0\]: has 4 values but loss_history\[0\] has 3"),
    (_set(["batch_history", 0, 1], "NaN"), r"batch_history\[0\]\[1\]: expected a number"),
    (_set(["batch_history", 1], [1.0]), r"batch_history\[1\]: has 1 values but loss_history\[1\] has 0; give at"),
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


PACKED_BAD_CASES = [
    (_set(["dataset", "x"], {"float64": "not base64!"}), r"dataset\.x\.float64: not valid base64 text"),
    (_set(["dataset", "x"], {"float64": "AAAA"}), r"dataset\.x\.float64: 3 bytes is not a whole number of 8-byte"),
    (_set(["dataset", "x"], {"float64": 17}), r"dataset\.x\.float64: expected base64 text, found the number 17"),
    (_set(["dataset", "x"], {"float64": "", "shape": [0]}), r"dataset\.x\.shape: unknown field"),
    (_set(["dataset", "x"], {"float32": ""}), r"dataset\.x\.float64: missing"),
    (_set(["dataset", "x"], {"float64": "é"}), r"dataset\.x\.float64: not valid base64 text"),
    (_set(["dataset", "y"], {"float64": ""}), r"dataset\.y: has 0 values but dataset\.x has 40"),
    (_packed(["dataset", "y"], np.r_[np.zeros(39), np.nan]), r"dataset\.y\[39\]: non-finite number nan"),
    (_packed(["dataset", "sigma"], np.r_[np.ones(20), 0.0, np.ones(19)]), r"dataset\.sigma\[20\]: 0\.0 is not greater"),
    (_packed(["loss_history", 0], np.r_[np.ones(7), -np.inf]), r"loss_history\[0\]\[7\]: non-finite number -inf"),
    (_packed(["theta"], np.zeros(17)), r"theta: has 17 values but the model has 4"),
    (_packed(["val_history", 0, "steps"], np.arange(1.0, 21.0) + 0.5), r"val_history\[0\]\.steps: step numbers must"),
    (
        _packed(["val_history", 0, "steps"], np.r_[np.arange(1.0, 20.0), 2.0**40]),
        r"val_history\[0\]\.steps\[19\]: 1099511627776 is out",
    ),
    (_packed(["val_history", 0, "steps"], np.arange(20.0, 0.0, -1.0)), r"val_history\[0\]\.steps\[1\]: step 19 does"),
    (_packed(["val_history", 0, "steps"], np.r_[np.arange(1.0, 20.0), np.nan]), r"val_history\[0\]\.steps: step"),
    (_packed(["val_history", 0, "losses"], np.ones(3)), r"val_history\[0\]\.losses: has 3 values but .*steps has 20"),
    (_packed(["basis", "factor"], np.ones(135)), r"basis\.factor: has 135 values, not the m\(m\+1\)/2"),
    (_packed(["basis", "factor"], np.r_[np.nan, np.ones(135)]), r"basis\.factor\[0\]: non-finite number nan"),
    (_set(["basis", "factor"], {"float64": "AAAA"}), r"basis\.factor\.float64: 3 bytes is not a whole number"),
    (_packed(["batch_history", 0], np.ones(31)), r"batch_history\[0\]: has 31 values but loss_history\[0\] has 30"),
    (_packed(["batch_history", 0], np.r_[np.ones(20), np.inf]), r"batch_history\[0\]\[20\]: non-finite number inf"),
]


@pytest.mark.parametrize("mutate, message", PACKED_BAD_CASES)
def test_every_bad_packed_array_is_named(mutate, message):
    d = json.loads(to_json(packed_session()))
    mutate(d)
    with pytest.raises(SessionError, match=message) as info:
        session_from_json(json.dumps(d), source="packed.json")
    assert str(info.value).startswith("packed.json: ")


def test_unknown_keys_inside_view_are_kept_and_view_is_optional():
    d = valid_dict()
    d["view"]["anything"] = {"new": [1, "two", None]}
    assert session_from_json(json.dumps(d)).view["anything"] == {"new": [1, "two", None]}
    del d["view"]
    back = session_from_json(json.dumps(d))
    assert back.view == {} and not (back.document.show_exact or back.document.show_manual or back.document.show_gd)


@pytest.mark.parametrize("key", OVERLAYS)
def test_an_overlay_that_is_not_true_or_false_is_named(key):
    d = valid_dict()
    d["view"][key] = 1
    with pytest.raises(SessionError, match=rf"view\.{key}: expected true or false, found 1"):
        session_from_json(json.dumps(d))


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


def test_not_json_not_utf8_and_missing_file(tmp_path):
    with pytest.raises(SessionError, match="x.json: not valid JSON"):
        session_from_json("{", source="x.json")
    with pytest.raises(SessionError, match="not UTF-8"):
        session_from_json(b"\xff\xfe{}")
    with pytest.raises(SessionError, match="cannot read"):
        load_session(tmp_path / "missing.json")


def test_numbers_no_window_can_compute_with_are_refused_naming_them():
    d = valid_dict()
    d["theta"] = [1e300, 1e300, 1e300]
    with pytest.raises(SessionError, match=r"s\.json: theta and dataset: the loss and its gradient at these knobs"):
        session_from_json(json.dumps(d), source="s.json")


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
    text = to_json(sample_session())
    text = text.replace('"view":{', '"view":{"deep":' + "[" * 100_000 + "]" * 100_000 + ",", 1)
    with pytest.raises(SessionError, match="nesting"):
        session_from_json(text)


def test_brackets_inside_strings_and_base64_do_not_count_as_nesting():
    d = json.loads(to_json(packed_session()))
    d["dataset"]["name"] = "[" * 200 + '\\"{' * 100
    d["view"]["note"] = "{" * 500
    back = session_from_json(json.dumps(d))
    assert back.document.dataset.name == d["dataset"]["name"] and back.view["note"] == "{" * 500


# -- sessions written by earlier versions -------------------------------------------------------------------
def schema_1_text() -> str:
    """A session as version 1 of the format wrote it (by hand: lists only, no "app", the layout unsealed)."""
    return json.dumps(
        {
            "schema_version": 1,
            "dataset": {"name": "old", "x": [float(v) for v in range(20)], "y": [v * 0.5 - 3 for v in range(20)]},
            "degree": 1,
            "basis": {"kind": "scaled", "lo": 0.0, "hi": 19.0},
            "loss": {"kind": "mse", "huber_delta": 1.0, "l2": 0.0},
            "model": "polynomial",
            "hidden": [8],
            "theta": [0.1, -0.0],
            "settings": {"optimizer": "adam", "lr": 0.01, "max_steps": 500, "tol": 1e-12},
            "manual_trail": [[0.0, 0.0], [0.1, -0.0]],
            "manual_moves": 1,
            "best_manual": {"loss": 9.5, "theta": [0.1, -0.0]},
            "gd_trajectory": [],
            "loss_history": [[float(v) for v in range(30, 0, -1)]],
            "last_run": {
                "params": [0.5, 0.25],
                "loss": 0.001,
                "steps": 30,
                "stop_reason": "max_steps",
                "elapsed_s": 0.5,
                "message": "",
                "start_theta": [0.0, 0.0],
                "settings": {"optimizer": "gd", "lr": 0.5, "max_steps": 30, "tol": 0.0},
            },
            "snapshots": {"exact": {"loss": 0.0, "theta": [-3.0, 0.5]}},
            "view": {"window_state": "AAAA/wAAAAH9", "window_geometry": "AdnQywAD", "show_gd": True},
            "val_history": [{"steps": list(range(1, 21)), "losses": [1.0] * 20}],
        }
    )


def test_a_schema_1_session_opens_exactly():
    back = session_from_json(schema_1_text(), source="old.json")
    doc = back.document
    assert doc.dataset.name == "old" and doc.dataset.x.tolist() == [float(v) for v in range(20)]
    assert doc.state.degree == 1 and doc.state.basis == Basis("scaled", 0.0, 19.0)
    assert doc.theta.tolist() == [0.1, 0.0] and np.signbit(doc.theta[1])
    assert doc.settings == RunSettings("adam", 0.01, 500, 1e-12, lr_chosen=True)  # the rate as saved
    assert doc.loss_history[0].tolist() == [float(v) for v in range(30, 0, -1)]
    assert doc.val_history[0][:, 0].tolist() == list(range(1, 21))
    assert doc.last_run.result.params.tolist() == [0.5, 0.25] and doc.last_run.result.stop_reason == "max_steps"
    assert doc.snapshots["exact"][1].tolist() == [-3.0, 0.5] and doc.show_gd and not doc.show_exact
    assert back.view["window_state"] == "AAAA/wAAAAH9"  # kept as view state: the window decides (and ignores it)
    again = json.loads(to_json(back))  # saved again: the current schema, long arrays packed
    assert again["schema_version"] == SCHEMA_VERSION and again["dataset"]["x"].keys() == {"float64"}
    assert_same(back, session_from_json(json.dumps(again)))


# -- fuzzing: only SessionError, never another exception, never partial data --------------------------------
VALID_TEXT = to_json(sample_session())
PACKED_TEXT = to_json(packed_session())


def load_or_session_error(data):
    """Return the LoadedSession or None on SessionError; any other exception fails the test."""
    try:
        result = session_from_json(data, source="fuzz.json")
    except SessionError as exc:
        assert "fuzz.json" in str(exc)
        return None
    assert isinstance(result, LoadedSession)
    to_json(result)  # a returned session is whole and valid: it saves again
    return result


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_session_error(data):
    load_or_session_error(data)


@FUZZ
@given(st.sampled_from([VALID_TEXT, PACKED_TEXT]), st.data())
def test_truncated_files_raise_session_error(valid, data):
    n = data.draw(st.integers(0, len(valid.rstrip()) - 1))
    with pytest.raises(SessionError):
        session_from_json(valid[:n], source="fuzz.json")
    with pytest.raises(SessionError):
        session_from_json(valid.encode()[:n], source="fuzz.json")


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
PACKED_PATHS = list(_paths(json.loads(PACKED_TEXT)))[1:]


def as_written(d: dict) -> dict:
    """What a save of the session ``d`` describes writes: the current schema and app, the overlays in the view,
    whole numbers as the doubles they stand for."""
    d = copy.deepcopy(d)
    d["schema_version"] = SCHEMA_VERSION
    d["app"] = json.loads(VALID_TEXT)["app"]
    view = d.get("view", {})
    d["view"] = {**view, **{key: view.get(key, False) for key in OVERLAYS}}
    return json.loads(json.dumps(d), parse_int=float)


@FUZZ
@given(st.sampled_from(VALID_PATHS), json_values)
def test_mutated_sessions_raise_only_session_error(path, value):
    d = copy.deepcopy(json.loads(VALID_TEXT))
    _set(list(path), value)(d)
    result = load_or_session_error(json.dumps(d))
    if result is not None:  # the mutation happened to be valid: the load reflects it exactly
        assert json.loads(to_json(result), parse_int=float) == as_written(d)


@FUZZ
@given(st.sampled_from(PACKED_PATHS), json_values)
def test_mutated_packed_sessions_raise_only_session_error(path, value):
    d = copy.deepcopy(json.loads(PACKED_TEXT))
    _set(list(path), value)(d)
    load_or_session_error(json.dumps(d))


def _base64_spans(text: str) -> list[tuple[int, int]]:
    import re

    return [m.span(1) for m in re.finditer(r'"float64":"([^"]*)"', text)]


@FUZZ
@given(st.data())
def test_damaged_base64_raises_only_session_error(data):
    """Any character of a packed array changed, dropped or added, or the array cut short: refused with the
    array named, or (the bytes still decode to finite doubles of the right count) opened as written."""
    spans = _base64_spans(PACKED_TEXT)
    start, end = data.draw(st.sampled_from(spans))
    at = data.draw(st.integers(start, end - 1))
    alphabet = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \\n\u00e9")
    damage = data.draw(st.sampled_from(["change", "drop", "insert", "cut"]))
    if damage == "change":
        text = PACKED_TEXT[:at] + data.draw(alphabet) + PACKED_TEXT[at + 1 :]
    elif damage == "drop":
        text = PACKED_TEXT[:at] + PACKED_TEXT[at + data.draw(st.integers(1, 12)) :]
    elif damage == "insert":
        text = PACKED_TEXT[:at] + data.draw(st.text(alphabet, min_size=1, max_size=8)) + PACKED_TEXT[at:]
    else:
        text = PACKED_TEXT[:at] + PACKED_TEXT[end:]
    load_or_session_error(text)


@FUZZ
@given(sessions(), st.data())
def test_mutated_generated_sessions_raise_only_session_error(s, data):
    d = json.loads(to_json(s))
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
    assert back.document.state.split == Split(0.375, 7) and back.document.settings.patience == 50


def test_a_session_without_validation_fields_loads_with_none_and_empty_histories():
    d = valid_dict()
    for key in ("split", "val_history"):
        del d[key]
    del d["settings"]["patience"]
    back = session_from_json(json.dumps(d))
    assert back.document.state.split is None and back.document.settings.patience is None
    assert [h.shape for h in back.document.val_history] == [(0, 2), (0, 2)]  # one per run, beside loss_history
    again = json.loads(to_json(back))
    assert "split" not in again and "patience" not in again["settings"]
    assert again["val_history"] == [{"steps": [], "losses": []}] * 2


def test_saving_refuses_validation_steps_a_load_would_refuse():
    s = variant(sample_session(), val_history=[np.array([[1.5, 2.0]]), np.empty((0, 2))])
    with pytest.raises(SessionError, match=r"val_history\[0\]: step numbers must be whole numbers"):
        to_json(s)
    long_run = variant(sample_session(), loss_history=[np.ones(40)], val_history=[np.array([[1.5, 2.0]] * 20)])
    with pytest.raises(SessionError, match=r"val_history\[0\]: step numbers must be whole numbers"):
        to_json(long_run)


def test_validation_rows_beyond_their_run_are_not_saved():
    """A (step, loss) row after its run's last saved step has no loss beside it: it is left out (the same
    rule that ends a diverged run's history where it blew up)."""
    s = variant(sample_session(), val_history=[np.array([[1.0, 2.0], [9.0, 2.0]]), np.empty((0, 2))])
    assert json.loads(to_json(s))["val_history"][0] == {"steps": [1], "losses": [2.0]}
