"""Hypothesis strategies and comparisons for sessions, shared by the unit and the window tests.

``window_sessions`` draws sessions a window can show: every field of ``Session`` varied, with numbers in
ranges whose curves and losses stay finite (the loader's own fuzzing, in tests/unit/test_session.py, covers
the extremes).  ``assert_same`` compares two sessions bit for bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import strategies as st

from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.fitting.losses import Loss
from workbench.session import RunSettings, SavedRun, Session, n_params_for

try:  # the train/validation split (sessions without it still load)
    from workbench.fitting.split import Split
except ImportError:  # pragma: no cover - an older tree
    Split = None

SLOTS = ("my best knobs", "GD result", "exact")


def same_array(a, b) -> bool:
    """Same dtype, shape and bits (so -0.0 and 0.0 differ, and NaN equals itself)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def same_arrays(xs, ys) -> bool:
    return len(xs) == len(ys) and all(same_array(np.asarray(x), np.asarray(y)) for x, y in zip(xs, ys))


def assert_same(a: Session, b: Session, *, view: bool = True, ignore: tuple[str, ...] = ()) -> None:
    """Every field of two sessions equal, floats bit for bit (``view=False`` skips the window's part,
    ``ignore`` some keys of it)."""
    assert a.dataset.name == b.dataset.name
    assert same_array(a.dataset.x, b.dataset.x) and same_array(a.dataset.y, b.dataset.y)
    sa, sb = getattr(a.dataset, "sigma", None), getattr(b.dataset, "sigma", None)
    assert (sa is None) == (sb is None) and (sa is None or same_array(sa, sb))
    assert (a.degree, a.basis, a.loss, a.model, a.hidden, a.settings, a.manual_moves) == (
        b.degree,
        b.basis,
        b.loss,
        b.model,
        b.hidden,
        b.settings,
        b.manual_moves,
    )
    if view:
        differ = {
            k: (a.view.get(k), b.view.get(k))
            for k in {*a.view, *b.view} - set(ignore)
            if a.view.get(k) != b.view.get(k)
        }
        assert not differ, differ
    assert getattr(a, "split", None) == getattr(b, "split", None)
    assert same_arrays(getattr(a, "val_history", ()), getattr(b, "val_history", ())), "val_history"
    assert same_array(a.theta, b.theta)
    for name in ("manual_trail", "gd_trajectory", "loss_history"):
        assert same_arrays(getattr(a, name), getattr(b, name)), name
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
        assert same_array(ra.params, rb.params) and same_array(ra.start_theta, rb.start_theta)
        assert (repr(ra.loss), ra.steps, ra.stop_reason, repr(ra.elapsed_s), ra.settings, ra.message) == (
            repr(rb.loss),
            rb.steps,
            rb.stop_reason,
            repr(rb.elapsed_s),
            rb.settings,
            rb.message,
        )


# -- sessions a window can show ------------------------------------------------------------------------------
def _floats(lo: float, hi: float):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def vectors(n: int, elements):
    return st.lists(elements, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.float64))


def _supports(cls, name: str) -> bool:
    return name in {f.name for f in dataclasses.fields(cls)}


@st.composite
def run_settings(draw):
    extra = {}
    if _supports(RunSettings, "patience"):
        extra["patience"] = draw(st.none() | st.integers(1, 10_000))
    return RunSettings(
        draw(st.sampled_from(["gd", "momentum", "nesterov", "adam"])),
        draw(_floats(1e-6, 10.0)),
        draw(st.integers(1, 10**6)),
        draw(_floats(0.0, 1e-3)),
        **extra,
    )


@st.composite
def window_sessions(draw):
    """A session with every part filled at random (data with or without σ, either model, any basis and
    loss, trails, histories, a last run, snapshots and the window's view state)."""
    n_points = draw(st.integers(0, 8))
    coordinate = _floats(-100.0, 100.0)
    sigma = None
    if _supports(Dataset, "sigma"):
        sigma = draw(st.none() | vectors(n_points, _floats(0.01, 10.0)))
    extra = {"sigma": sigma} if sigma is not None else {}
    dataset = Dataset(
        draw(vectors(n_points, coordinate)), draw(vectors(n_points, coordinate)), draw(st.text(max_size=10)), **extra
    )
    model = draw(st.sampled_from(["polynomial", "mlp"]))
    degree = draw(st.integers(0, 6))
    hidden = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    n = n_params_for(model, degree, hidden)
    knobs = vectors(n, _floats(-3.0, 3.0))
    lo = draw(_floats(-50.0, 50.0))
    basis = Basis(draw(st.sampled_from(["monomial", "scaled", "legendre"])), lo, lo + draw(_floats(0.5, 100.0)))
    loss = Loss(
        draw(st.sampled_from(["mse", "sse", "mae", "huber"])), draw(_floats(0.01, 10.0)), draw(_floats(0.0, 1.0))
    )
    scored = st.tuples(_floats(0.0, 1e6), knobs)
    m = draw(st.integers(1, 4))
    last_run = draw(
        st.none()
        | st.builds(
            SavedRun,
            vectors(m, _floats(-3.0, 3.0)),
            _floats(0.0, 1e6),
            st.integers(0, 10**6),
            st.sampled_from(["converged", "max_steps", "diverged", "stopped"]),
            _floats(0.0, 1e4),
            vectors(m, _floats(-3.0, 3.0)),
            run_settings(),
            st.text(max_size=20),
        )
    )
    x0, y0 = draw(_floats(-100.0, 100.0)), draw(_floats(-100.0, 100.0))
    view = {
        key: draw(st.booleans())
        for key in (
            "show_forces",
            "show_squares",
            "show_bands",
            "show_residuals",
            "show_exact",
            "show_manual",
            "show_gd",
        )
    }
    if draw(st.booleans()):
        view["fit_view"] = [x0, x0 + draw(_floats(0.5, 200.0)), y0, y0 + draw(_floats(0.5, 200.0))]
    histories = draw(st.lists(st.integers(0, 6).flatmap(lambda k: vectors(k, _floats(0.0, 1e6))), max_size=3))
    extra = {}
    if _supports(Session, "split"):
        extra["split"] = draw(st.none() | st.builds(Split, _floats(0.05, 0.9), st.integers(0, 2**31 - 1)))
        extra["val_history"] = tuple(draw(_validation(h.size)) for h in histories)
    return Session(
        dataset=dataset,
        degree=degree,
        basis=basis,
        loss=loss,
        theta=draw(knobs),
        model=model,
        hidden=hidden,
        settings=draw(run_settings()),
        manual_trail=draw(st.lists(knobs, max_size=3)),
        manual_moves=draw(st.integers(0, 1000)),
        best_manual=draw(st.none() | scored),
        gd_trajectory=draw(st.lists(knobs, max_size=3)),
        loss_history=histories,
        last_run=last_run,
        snapshots=draw(st.dictionaries(st.sampled_from(SLOTS) | st.text(min_size=1, max_size=8), scored, max_size=3)),
        view=view,
        **extra,
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
