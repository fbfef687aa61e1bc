"""Building, drawing and comparing sessions (a document and the window's view state), for the unit and the
window tests.

``make_document`` / ``make_session`` build a document from keyword fields (what a test wants to say, not how
the document stores it).  ``window_sessions`` draws sessions a window can show: every field varied, with
numbers in ranges whose curves and losses stay finite (the reader's own fuzzing, in tests/unit, covers the
extremes).  ``assert_same`` compares two sessions bit for bit.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from workbench.fitting.basis import MAX_DEGREE, Basis
from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.fitting.orthonormal import orthonormal_factor
from workbench.fitting.split import Split
from workbench.fitting.training import StopReason, TrainResult
from workbench.state.document import Document
from workbench.state.fit_state import FitState
from workbench.state.runs import RUN_OPTIMIZERS, RunRecord, RunSettings, aligned_batch_history
from workbench.state.session import LoadedSession
from workbench.state.session_reader import OVERLAYS, n_params_for

SLOTS = ("my best knobs", "GD result", "exact")


# -- building ------------------------------------------------------------------------------------------------
def run_record(params, loss, steps, stop_reason, elapsed_s, start_theta, settings=None, message="") -> RunRecord:
    """A finished run as the document keeps it (the fields in the order the old ``SavedRun`` took them)."""
    return RunRecord(
        TrainResult(np.array(params, dtype=np.float64), loss, steps, StopReason(stop_reason), elapsed_s, message),
        np.array(start_theta, dtype=np.float64),
        settings or RunSettings(),
    )


def make_document(
    dataset: Dataset,
    *,
    degree: int = 5,
    basis: Basis | None = None,
    loss: Loss | None = None,
    theta=None,
    model: str = "polynomial",
    hidden=(8,),
    split: Split | None = None,
    settings: RunSettings | None = None,
    manual_trail=(),
    manual_moves: int = 0,
    best_manual=None,
    gd_trajectory=(),
    loss_history=(),
    val_history=(),
    last_run: RunRecord | None = None,
    snapshots: dict | None = None,
    show_exact: bool = False,
    show_manual: bool = False,
    show_gd: bool = False,
    formula: str = "",
    batch_history=(),
) -> Document:
    """A document holding exactly these fields (nothing is checked: a test may build one a save refuses)."""
    hidden = tuple(int(h) for h in hidden)
    if theta is None:
        theta = np.zeros(n_params_for(model, degree, hidden, formula))
    state = FitState(
        dataset,
        degree,
        basis or Basis(),
        loss or Loss(),
        np.array(theta, dtype=np.float64),
        model,
        hidden,
        split,
        formula,
    )
    document = Document.restored(state, settings or RunSettings())
    document.load_records(
        manual_trail=manual_trail,
        manual_moves=manual_moves,
        best_manual=best_manual,
        gd_trajectory=gd_trajectory,
        loss_history=loss_history,
        val_history=val_history,
        last_run=last_run,
        batch_history=batch_history,
    )
    document.snapshots = {
        name: (float(value), np.array(knobs, dtype=np.float64)) for name, (value, knobs) in (snapshots or {}).items()
    }
    document.show_exact, document.show_manual, document.show_gd = show_exact, show_manual, show_gd
    return document


def make_session(dataset: Dataset, *, view: dict | None = None, **fields) -> LoadedSession:
    """A session: ``make_document(dataset, **fields)`` and the window's ``view`` state."""
    return LoadedSession(make_document(dataset, **fields), dict(view or {}))


def document_fields(document: Document) -> dict:
    """The keyword fields of ``make_document`` that rebuild ``document`` (change one to make a variant)."""
    state = document.state
    return dict(
        degree=state.degree,
        basis=state.basis,
        loss=state.loss,
        theta=state.theta,
        model=state.model,
        hidden=state.hidden,
        split=state.split,
        settings=document.settings,
        manual_trail=document.manual_trail,
        manual_moves=document.manual_moves,
        best_manual=document.best_manual,
        gd_trajectory=document.gd_trajectory,
        loss_history=document.loss_history,
        val_history=document.val_history,
        last_run=document.last_run,
        snapshots=document.snapshots,
        show_exact=document.show_exact,
        show_manual=document.show_manual,
        show_gd=document.show_gd,
        formula=state.formula,
        batch_history=document.batch_history,
    )


def variant(session: LoadedSession, **changes) -> LoadedSession:
    """``session`` with some fields changed (``dataset=`` and ``view=`` too)."""
    fields = document_fields(session.document)
    dataset = changes.pop("dataset", session.document.dataset)
    view = changes.pop("view", session.view)
    return make_session(dataset, view=view, **{**fields, **changes})


# -- comparing ----------------------------------------------------------------------------------------------
def same_array(a, b) -> bool:
    """Same dtype, shape and bits (so -0.0 and 0.0 differ, and NaN equals itself)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def same_arrays(xs, ys) -> bool:
    """Two sequences of arrays, pairwise ``same_array``."""
    return len(xs) == len(ys) and all(same_array(x, y) for x, y in zip(xs, ys))


def saved_view(session: LoadedSession) -> dict:
    """The view state as a save writes it: the window's part with the document's overlays."""
    document = session.document
    return {**session.view, **dict(zip(OVERLAYS, (document.show_exact, document.show_manual, document.show_gd)))}


def assert_same_documents(a: Document, b: Document) -> None:
    """Every field a session keeps of two documents equal, floats bit for bit."""
    da, db = a.dataset, b.dataset
    assert (da.name, da.x_name, da.y_name, da.x_is_date) == (db.name, db.x_name, db.y_name, db.x_is_date)
    assert same_array(da.x, db.x) and same_array(da.y, db.y)
    sa, sb = da.sigma, db.sigma
    assert (sa is None) == (sb is None) and (sa is None or same_array(sa, sb))
    state_a, state_b = a.state, b.state
    fields = ("degree", "basis", "loss", "model", "hidden", "split", "formula")
    assert [getattr(state_a, f) for f in fields] == [getattr(state_b, f) for f in fields]
    fa, fb = state_a.basis.factor, state_b.basis.factor
    assert (fa is None) == (fb is None) and (fa is None or same_array(fa, fb))  # (== takes -0.0 for 0.0)
    assert (a.settings, a.manual_moves) == (b.settings, b.manual_moves)
    assert (a.show_exact, a.show_manual, a.show_gd) == (b.show_exact, b.show_manual, b.show_gd)
    assert same_array(state_a.theta, state_b.theta)
    for name in ("manual_trail", "gd_trajectory", "loss_history", "val_history"):
        assert same_arrays(getattr(a, name), getattr(b, name)), name
    runs = len(a.loss_history)  # (a run without mini-batches may have no entry at all, or an empty one)
    assert same_arrays(aligned_batch_history(a.batch_history, runs), aligned_batch_history(b.batch_history, runs))
    assert (a.best_manual is None) == (b.best_manual is None)
    if a.best_manual is not None:
        assert repr(a.best_manual[0]) == repr(b.best_manual[0])
        assert same_array(a.best_manual[1], b.best_manual[1])
    assert list(a.snapshots) == list(b.snapshots)
    for k in a.snapshots:
        assert repr(a.snapshots[k][0]) == repr(b.snapshots[k][0])
        assert same_array(a.snapshots[k][1], b.snapshots[k][1])
    assert (a.last_run is None) == (b.last_run is None)
    if a.last_run is not None:
        ra, rb = a.last_run, b.last_run
        assert same_array(ra.result.params, rb.result.params) and same_array(ra.start_theta, rb.start_theta)
        assert (
            repr(ra.result.loss),
            ra.result.steps,
            ra.result.stop_reason,
            repr(ra.result.elapsed_s),
            ra.settings,
            ra.result.message,
        ) == (
            repr(rb.result.loss),
            rb.result.steps,
            rb.result.stop_reason,
            repr(rb.result.elapsed_s),
            rb.settings,
            rb.result.message,
        )


def assert_same(a: LoadedSession, b: LoadedSession, *, view: bool = True, ignore: tuple[str, ...] = ()) -> None:
    """Two sessions equal: documents bit for bit, and (``view=False`` skips it, ``ignore`` some keys of it) the
    view state as a save writes it."""
    assert_same_documents(a.document, b.document)
    if view:
        va, vb = saved_view(a), saved_view(b)
        differ = {k: (va.get(k), vb.get(k)) for k in {*va, *vb} - set(ignore) if va.get(k) != vb.get(k)}
        assert not differ, differ


# -- sessions a window can show ------------------------------------------------------------------------------
def _floats(lo: float, hi: float):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def vectors(n: int, elements):
    """Arrays of ``n`` values drawn from ``elements``."""
    return st.lists(elements, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.float64))


@st.composite
def run_settings(draw):
    """Run settings within what the window's controls show (a batch may be larger than the data: all points)."""
    return RunSettings(
        draw(st.sampled_from(RUN_OPTIMIZERS)),
        draw(_floats(1e-6, 10.0)),
        draw(st.integers(1, 10**6)),
        draw(_floats(0.0, 1e-3)),
        draw(st.none() | st.integers(1, 10_000)),
        draw(st.booleans()),
        draw(st.none() | st.integers(1, 64) | st.integers(1, 2**31 - 1)),
        draw(st.integers(0, 8) | st.integers(0, 2**31 - 1)),
    )


# Formulas as a user types them, their parameters named freely (a name may come back: knobs are in order of
# first appearance); every one stays finite for x within ±100 and knobs within ±3.
FORMULA_FORMS = (
    "{0}*x + {1}",
    "{0}*exp(-{1}*x/100) + {2}",
    "{0}*sin({1}*x/10 + {2}) + {3}",
    "{0}*tanh(x/10 - {1})",
    "{0}*x^2/100 + {1}*x + {0}",
    "y = {0} + {1}*cos(x/7)",
)
PARAMETER_NAMES = ("a", "b", "c", "k", "A", "tau", "w", "phi", "b1", "b2", "θ", "amp_2")


@st.composite
def formulas(draw) -> str:
    """A formula with parameters named from ``PARAMETER_NAMES``."""
    form = draw(st.sampled_from(FORMULA_FORMS))
    slots = len({part.split("}")[0] for part in form.split("{")[1:]})
    names = draw(st.lists(st.sampled_from(PARAMETER_NAMES), min_size=slots, max_size=slots, unique=True))
    return form.format(*names)


def orthonormal_basis(lo: float, hi: float, size: int, points: int, seed: int, weighted: bool) -> Basis:
    """An orthonormal basis on [lo, hi] with a factor of ``size`` functions, built (as the app builds it) on
    ``points`` points spread at random over the interval, weighted by random σ or not."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1.0, 1.0, points)
    sigma = rng.uniform(0.5, 2.0, points) if weighted else None
    return Basis("orthonormal", lo, hi, orthonormal_factor(t, size, sigma))


@st.composite
def bases(draw, lo: float, hi: float, degree: int):
    """Any basis kind on [lo, hi]: the orthonormal one with a real factor of at least ``degree`` + 1
    functions (16, as the app builds it, or fewer; up to 5 are saved as a list, more as base64)."""
    kind = draw(st.sampled_from(["monomial", "scaled", "legendre", "orthonormal"]))
    if kind != "orthonormal":
        return Basis(kind, lo, hi)
    size = draw(st.just(MAX_DEGREE + 1) | st.integers(degree + 1, MAX_DEGREE + 1))
    return orthonormal_basis(
        lo,
        hi,
        size,
        draw(st.integers(0, 8) | st.integers(20, 60)),
        draw(st.integers(0, 2**32 - 1)),
        draw(st.booleans()),
    )


def column_names(default: str):
    """A column's name as a dataset keeps it (stripped, never empty)."""
    return st.just(default) | st.text(min_size=1, max_size=12).map(lambda t: t.strip() or default)


def named_dataset(x, y, name: str, sigma, draw) -> Dataset:
    """The points with drawn column names, x maybe dates (decimal years)."""
    return Dataset(x, y, name, sigma, draw(column_names("x")), draw(column_names("y")), draw(st.booleans()))


def batch_histories(draw, histories, elements) -> list[np.ndarray]:
    """Mini-batch losses beside each run of ``histories``: none, or at most one per step."""
    return [draw(st.integers(0, h.size).flatmap(lambda k: vectors(k, elements))) for h in histories]


@st.composite
def window_sessions(draw):
    """A session with every part filled at random (named data with or without σ and dates, any model: a
    polynomial in any basis, the net, a formula; any loss, trails, histories, a last run, snapshots and the
    window's view state); points and histories are short (saved as lists) or long (saved as base64)."""
    n_points = draw(st.integers(0, 8) | st.integers(17, 40))
    coordinate = _floats(-100.0, 100.0)
    sigma = draw(st.none() | vectors(n_points, _floats(0.01, 10.0)))
    x, y = draw(vectors(n_points, coordinate)), draw(vectors(n_points, coordinate))
    dataset = named_dataset(x, y, draw(st.text(max_size=10)), sigma, draw)
    model = draw(st.sampled_from(["polynomial", "mlp", "formula"]))
    formula = draw(formulas()) if model == "formula" or draw(st.booleans()) else ""
    degree = draw(st.integers(0, 6))
    hidden = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    n = n_params_for(model, degree, hidden, formula)
    knobs = vectors(n, _floats(-3.0, 3.0))
    lo = draw(_floats(-50.0, 50.0))
    basis = draw(bases(lo, lo + draw(_floats(0.5, 100.0)), degree))
    loss = Loss(
        draw(st.sampled_from(["mse", "sse", "mae", "huber"])), draw(_floats(0.01, 10.0)), draw(_floats(0.0, 1.0))
    )
    scored = st.tuples(_floats(0.0, 1e6), knobs)
    m = draw(st.integers(1, 4))
    last_run = draw(
        st.none()
        | st.builds(
            run_record,
            vectors(m, _floats(-3.0, 3.0)),
            _floats(0.0, 1e6),
            st.integers(0, 10**6),
            st.sampled_from(["converged", "max_steps", "diverged", "stopped", "early_stop", "stalled"]),
            _floats(0.0, 1e4),
            vectors(m, _floats(-3.0, 3.0)),
            run_settings(),
            st.text(max_size=20),
        )
    )
    x0, y0 = draw(_floats(-100.0, 100.0)), draw(_floats(-100.0, 100.0))
    view = {key: draw(st.booleans()) for key in ("show_forces", "show_squares", "show_bands", "show_residuals")}
    if draw(st.booleans()):
        view["fit_view"] = [x0, x0 + draw(_floats(0.5, 200.0)), y0, y0 + draw(_floats(0.5, 200.0))]
    lengths = st.integers(0, 6) | st.integers(17, 40)
    histories = draw(st.lists(lengths.flatmap(lambda k: vectors(k, _floats(0.0, 1e6))), max_size=3))
    return make_session(
        dataset,
        view=view,
        degree=degree,
        basis=basis,
        loss=loss,
        theta=draw(knobs),
        model=model,
        hidden=hidden,
        formula=formula,
        split=draw(st.none() | st.builds(Split, _floats(0.05, 0.9), st.integers(0, 2**31 - 1))),
        settings=draw(run_settings()),
        manual_trail=draw(st.lists(knobs, max_size=3)),
        manual_moves=draw(st.integers(0, 1000)),
        best_manual=draw(st.none() | scored),
        gd_trajectory=draw(st.lists(knobs, max_size=3)),
        loss_history=histories,
        val_history=[draw(_validation(h.size)) for h in histories],
        batch_history=batch_histories(draw, histories, _floats(0.0, 1e6)),
        last_run=last_run,
        snapshots=draw(st.dictionaries(st.sampled_from(SLOTS) | st.text(min_size=1, max_size=8), scored, max_size=3)),
        show_exact=draw(st.booleans()),
        show_manual=draw(st.booleans()),
        show_gd=draw(st.booleans()),
    )


def _validation(steps: int):
    """(step, validation loss) rows of one run: increasing steps within 1..steps."""
    if steps == 0:
        return st.just(np.empty((0, 2)))
    return st.sets(st.integers(1, steps), max_size=steps).flatmap(
        lambda chosen: vectors(len(chosen), _floats(0.0, 1e6)).map(
            lambda losses: np.column_stack([np.array(sorted(chosen), dtype=np.float64), losses]).reshape(-1, 2)
        )
    )
