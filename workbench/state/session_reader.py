"""Reading a session: the parsed JSON checked field by field and turned into a ``Document``.

Strict: every field is validated (``session_fields``, ``session_records``), so a bad file is refused with a
``SessionError`` naming the file, the field path, what is wrong and how to fix it, and a failed read never
returns part of a document.  Arrays may be JSON lists of numbers or ``{"float64": "<base64>"}`` (little-endian
doubles), which is how the app writes long ones.

Sessions written by earlier versions read too.  Schema 1 had lists only; schemas 1 and 2 did not keep the
orthonormal basis's factor, so it is rebuilt from the saved data as the app builds it when the basis is
chosen, with a notice (``SessionReader.notices``) when the knobs of a polynomial depend on it.  Those
versions did not keep a formula's text either: such a session is refused, saying what to add.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from workbench.fitting.basis import BASIS_KINDS, MAX_DEGREE, Basis
from workbench.fitting.computable import numeric_trouble
from workbench.fitting.data import Dataset, first_bad_sigma
from workbench.fitting.formula import FormulaError
from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.losses import LOSS_KINDS, Loss
from workbench.fitting.models import MAX_HIDDEN, MLPModel
from workbench.fitting.orthonormal import orthonormal_factor, packed_size
from workbench.fitting.split import MAX_FRACTION, MAX_SEED, MIN_FRACTION, Split

from .document import Document
from .fit_state import MODEL_KINDS, FitState
from .session_fields import MAX_DEPTH, SessionError, kind_of
from .session_records import RecordsReader

__all__ = ["APP", "MAX_DEPTH", "OVERLAYS", "SCHEMA_VERSION", "SessionError", "SessionReader", "n_params_for"]

APP = "Curve Fitter Workbench"
# 3: the orthonormal basis's factor, formulas, mini-batches, column names.  An older app refuses these fields
# as unknown, as if the file were damaged: a newer schema makes it ask for an update instead; and here a
# missing factor means damage in schema 3, an earlier writer's omission before.  2: arrays may be base64;
# 1: lists only.  All three are read.
SCHEMA_VERSION = 3
FACTOR_KEPT = 3  # the first schema that keeps the orthonormal basis's factor and a formula's text
OVERLAYS = ("show_exact", "show_manual", "show_gd")  # view keys the document keeps (ghost curves shown)
REQUIRED = (
    "schema_version",
    "dataset",
    "degree",
    "basis",
    "loss",
    "model",
    "hidden",
    "theta",
    "settings",
    "manual_trail",
    "manual_moves",
    "best_manual",
    "gd_trajectory",
    "loss_history",
    "last_run",
    "snapshots",
)
OPTIONAL = ("view", "split", "val_history", "batch_history", "formula", "app")


def n_params_for(model: str, degree: int, hidden: tuple[int, ...], formula: str = "") -> int:
    """Knob count: degree + 1 for a polynomial, every weight and bias for the net, the formula's parameters
    (FormulaError for a formula that cannot be read)."""
    if model == "mlp":
        return MLPModel(tuple(hidden)).n_params
    if model == "formula":
        return FormulaModel(formula).n_params
    return int(degree) + 1


class SessionReader(RecordsReader):
    """Validates the parsed JSON of one session, raising SessionError at the first problem; ``notices`` says
    what was made of a session an earlier version wrote (after ``document``)."""

    def __init__(self, source: str):
        super().__init__(source)
        self.notices: list[str] = []

    # -- the parts of a session
    def split(self, v, path: str) -> Split:
        if v is None:
            self.fail(
                path, "null is not a split", 'write {"fraction": 0.2, "seed": 0}, or remove split to fit every point'
            )
        d = self.obj(v, path, ("fraction", "seed"))
        fraction = self.number(d["fraction"], f"{path}.fraction")
        if not MIN_FRACTION <= fraction <= MAX_FRACTION:
            self.fail(
                f"{path}.fraction",
                f"{d['fraction']!r} is not between {MIN_FRACTION:g} and {MAX_FRACTION:g}",
                "write the held-out share as a fraction such as 0.2, or remove split to fit every point",
            )
        return Split(fraction, self.integer(d["seed"], f"{path}.seed", 0, MAX_SEED))

    def schema(self, v) -> int:
        """The file's schema version (SessionError for one this version cannot read)."""
        if not isinstance(v, dict):
            self.fail("(top level)", f"expected an object, found {kind_of(v)}", f"this is not a {APP} session")
        if "schema_version" not in v:
            self.fail("schema_version", "missing", f"this is not a {APP} session (or it is damaged)")
        found = v["schema_version"]
        if type(found) is not int:
            self.fail(
                "schema_version",
                f"expected a whole number, found {kind_of(found)}",
                f"this is not a {APP} session (or it is damaged)",
            )
        if found > SCHEMA_VERSION:
            raise SessionError(
                f"{self.source}: this session was saved by a newer version of {APP} "
                f"(schema {found}); update the app to open it"
            )
        if found < 1:
            self.fail(
                "schema_version",
                f"schema {found} is not supported (this version reads schemas 1 to {SCHEMA_VERSION})",
                "open it with the version of the app that saved it",
            )
        return found

    def document(self, v) -> tuple[Document, dict]:
        """The whole session: (a document holding it, its view state)."""
        version = self.schema(v)
        d = self.obj(v, "", REQUIRED, OPTIONAL)
        if "app" in d:
            self.plain(d["app"], "app")  # who wrote it (informative only)
        dataset = self.dataset(d["dataset"], "dataset")
        degree = self.integer(d["degree"], "degree", 0, MAX_DEGREE)
        basis = self.basis(d["basis"], "basis", degree, version)
        lo_d = self.obj(d["loss"], "loss", ("kind", "huber_delta", "l2"))
        loss = Loss(
            self.choice(lo_d["kind"], "loss.kind", LOSS_KINDS),
            self.number(lo_d["huber_delta"], "loss.huber_delta", positive=True),
            self.number(lo_d["l2"], "loss.l2", nonneg=True),
        )
        model = self.choice(d["model"], "model", MODEL_KINDS)
        hidden_v = d["hidden"]
        if not isinstance(hidden_v, list) or not 1 <= len(hidden_v) <= 2:
            self.fail(
                "hidden",
                f"expected a list of one or two layer widths, found {kind_of(hidden_v)}",
                "write it as [8] or [8, 8]",
            )
        hidden = tuple(self.integer(h, f"hidden[{i}]", 1, MAX_HIDDEN) for i, h in enumerate(hidden_v))
        formula = self.formula(d, model, version)
        n = n_params_for(model, degree, hidden, formula)
        theta = self.vector(d["theta"], "theta", n)
        settings = self.settings(d["settings"], "settings")
        trail = self.vectors(d["manual_trail"], "manual_trail", n)
        moves = self.integer(d["manual_moves"], "manual_moves", 0)
        best = None if d["best_manual"] is None else self.scored(d["best_manual"], "best_manual", n)
        gd = self.vectors(d["gd_trajectory"], "gd_trajectory", n)
        history = self.vectors(d["loss_history"], "loss_history", None)
        last_run = None if d["last_run"] is None else self.run(d["last_run"], "last_run")
        snapshots = self.snapshots(d["snapshots"], n)
        view = self.plain(d.get("view", {}), "view")
        if not isinstance(view, dict):
            self.fail("view", f"expected an object, found {kind_of(view)}", "write it as {} or remove it")
        overlays = []
        for key in OVERLAYS:
            if key in view and type(view[key]) is not bool:
                self.fail(f"view.{key}", f"expected true or false, found {view[key]!r}", "write true or false")
            overlays.append(bool(view.get(key, False)))
        split = self.split(d["split"], "split") if "split" in d else None
        val_history = self.val_history(d["val_history"], "val_history", history) if "val_history" in d else ()
        batches = self.batch_history(d["batch_history"], "batch_history", history) if "batch_history" in d else ()
        state = FitState(dataset, degree, basis, loss, theta.copy(), model, hidden, split, formula)
        if basis.kind == "orthonormal" and version < FACTOR_KEPT and "factor" not in d["basis"]:
            state = self.rebuilt_factor(state)
        self.usable(state)
        document = Document.restored(state, settings, snapshots=snapshots, overlays=tuple(overlays))
        document.load_records(
            manual_trail=trail,
            manual_moves=moves,
            best_manual=best,
            gd_trajectory=gd,
            loss_history=history,
            val_history=val_history,
            last_run=last_run,
            batch_history=batches,
        )
        return document, view

    def usable(self, state: FitState) -> None:
        """Refuse data and knobs whose numbers cannot be computed with (the loss overflows at the knobs, say):
        valid JSON, but nothing a window can draw (the same rule as every edit: ``numeric_trouble``)."""
        if state.dataset.n == 0:
            return
        why = numeric_trouble(state.build_problem(), state.theta)
        if why is not None:
            raise SessionError(f"{self.source}: theta and dataset: {why}; correct the knobs or the data in the file")

    def dataset(self, v, path: str) -> Dataset:
        """The points: name, x, y, optionally one uncertainty σ > 0 per point, the columns' names, and whether
        x holds dates (as decimal years)."""
        ds = self.obj(v, path, ("name", "x", "y"), ("sigma", "x_name", "y_name", "x_is_date"))
        name = self.text(ds["name"], f"{path}.name")
        x = self.vector(ds["x"], f"{path}.x")
        y = self.vector(ds["y"], f"{path}.y")
        if x.size != y.size:
            self.fail(
                f"{path}.y", f"has {y.size} values but {path}.x has {x.size}", "every point needs both an x and a y"
            )
        sigma = None
        if "sigma" in ds:
            sigma = self.vector(ds["sigma"], f"{path}.sigma")
            if sigma.size != x.size:
                self.fail(
                    f"{path}.sigma",
                    f"has {sigma.size} values but {path}.x has {x.size}",
                    "give one uncertainty per point, or remove sigma to fit without weights",
                )
            problem = first_bad_sigma(sigma)
            if problem is not None:
                self.fail(
                    f"{path}.sigma[{problem[0]}]", problem[1], "fix the value, or remove sigma to fit without weights"
                )
        x_name = self.column_name(ds.get("x_name", "x"), f"{path}.x_name", "x")
        y_name = self.column_name(ds.get("y_name", "y"), f"{path}.y_name", "y")
        x_is_date = self.boolean(ds.get("x_is_date", False), f"{path}.x_is_date")
        return Dataset(x, y, name, sigma, x_name, y_name, x_is_date)

    def column_name(self, v, path: str, default: str) -> str:
        """A column's name as the dataset keeps it: text, not empty, without spaces around it."""
        name = self.text(v, path)
        if not name.strip():
            self.fail(path, "empty column name", f'write a name such as "{default}", or remove it for "{default}"')
        if name != name.strip():
            self.fail(path, f"{name!r} has spaces around it", "write the name without leading or trailing spaces")
        return name

    def basis(self, v, path: str, degree: int, version: int) -> Basis:
        """The basis: kind, interval, and for the orthonormal kind its factor (packed upper triangle of R)."""
        b = self.obj(v, path, ("kind", "lo", "hi"), ("factor",))
        kind = self.choice(b["kind"], f"{path}.kind", BASIS_KINDS)
        lo, hi = self.number(b["lo"], f"{path}.lo"), self.number(b["hi"], f"{path}.hi")
        if not lo < hi:
            self.fail(f"{path}.hi", f"interval [{lo!r}, {hi!r}] is empty", "lo must be smaller than hi")
        at = f"{path}.factor"
        if "factor" not in b:
            if kind == "orthonormal" and version >= FACTOR_KEPT:
                self.fail(
                    at, "missing", "the orthonormal basis is defined by its factor: restore it from a saved session"
                )
            return Basis(kind, lo, hi)  # (an earlier version's orthonormal basis: its factor is rebuilt)
        if kind != "orthonormal":
            self.fail(at, f"the {kind} basis has no factor", "remove factor (only the orthonormal basis has one)")
        values = self.vector(b["factor"], at)
        size = packed_size(values.size)
        if not 1 <= size <= MAX_DEGREE + 1:
            self.fail(
                at,
                f"has {values.size} values, not the m(m+1)/2 of a triangle of size m from 1 to {MAX_DEGREE + 1}",
                "restore it from a saved session, or choose the basis again in the app",
            )
        if size < degree + 1:
            self.fail(
                at,
                f"holds functions up to degree {size - 1}, not {degree}",
                "lower the degree, or choose the basis again in the app for this degree",
            )
        try:
            basis = Basis(kind, lo, hi, tuple(values.tolist()))
        except ValueError as exc:
            self.fail(at, str(exc), "restore it from a saved session, or choose the basis again in the app")
        with np.errstate(all="ignore"):
            invertible = np.all(np.isfinite(basis.inverse_factor(size - 1)))
        if not invertible:
            self.fail(
                at,
                "its inverse is beyond double precision",
                "restore it from a saved session, or choose the basis again in the app",
            )
        return basis

    def rebuilt_factor(self, state: FitState) -> FitState:
        """``state`` (of an earlier version's session, which did not keep the orthonormal basis's factor) with
        the factor the app builds for its interval: orthonormal on the training points, weighted by their σ."""
        data, split = state.dataset, state.split_indices()
        index = slice(None) if split is None else split[0]
        x, sigma = data.x[index], None if data.sigma is None else data.sigma[index]
        if x.size == 0:  # (no training points: every point, unweighted, as the app does)
            x, sigma = data.x, None
        basis = state.basis
        try:
            with np.errstate(all="ignore"):
                factor = orthonormal_factor(Basis("legendre", basis.lo, basis.hi).to_t(x), MAX_DEGREE + 1, sigma)
            rebuilt = Basis(basis.kind, basis.lo, basis.hi, factor)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            self.fail(
                "basis",
                "this session was saved by an earlier version, which did not keep the orthonormal basis, and it "
                "cannot be built again on these points",
                'choose another basis in the file (for example "kind": "legendre")',
            )
        if state.model == "polynomial":
            self.notices.append(
                "this session was saved by an earlier version, which did not keep the orthonormal basis; it was "
                "built again on the saved points. If points were changed after the basis was chosen, the knobs "
                "may now draw a slightly different curve: compare it with Solve exactly"
            )
        return replace(state, basis=rebuilt)

    def formula(self, d: dict, model: str, version: int) -> str:
        """The formula's text ("" when there is none): one the model panel would take."""
        if "formula" not in d:
            if model != "formula":
                return ""
            if version < FACTOR_KEPT:
                self.fail(
                    "formula",
                    "missing (this session was saved by an earlier version, which did not keep a formula's text)",
                    'add "formula": "<the formula, e.g. a*exp(-b*x) + c>" to the file (its parameters in the '
                    "order of theta), or save the session again with this version",
                )
            self.fail("formula", "missing", "the model is a formula: restore its text from a saved session")
        text = self.text(d["formula"], "formula")
        try:
            FormulaModel(text)
        except FormulaError as exc:
            self.fail("formula", str(exc), "correct the formula in the file (as you would type it in the model panel)")
        return text
