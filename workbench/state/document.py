"""The document: the one place the workbench's state lives, changed only through its own methods.

The undoable part is an immutable ``FitState`` (data, degree, basis, loss, knobs, split); ``apply`` replaces
it (the Qt adapter makes each call an undo step).  Around it: run settings, snapshots, the ghost-curve
overlays, and per problem the records of what the hand and gradient descent did (``ProblemRecords``: a new
problem starts a clean set, undo back to an earlier one brings its set back).  Derived facts (the engine's
loss and gradient at the knobs, the exact optimum, conditioning, the report) come from the ``FitProblem`` of
the training points, built when first asked for and kept with the state it belongs to.

Every change calls ``_notify`` with the aspects that changed: "data", "split", "model", "knobs", "state",
"settings", "trail", "overlays", "race", "sweep", "snapshots", "run", "facts" (big data's derived facts
arrived: ``take_facts``).  The Qt adapter emits them as signals; a plain
listener (``listeners``) works without Qt.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from workbench.fitting.basis import Basis
from workbench.fitting.computable import numeric_trouble, range_trouble
from workbench.fitting.data import Dataset
from workbench.fitting.exact import ExactFit
from workbench.fitting.losses import Loss
from workbench.fitting.problem import FitProblem
from workbench.fitting.training import TrainResult

from .fit_state import FitState
from .race import RaceView
from .runs import (
    MAX_TRAJECTORY_KEPT,
    LiveRun,
    ProblemRecords,
    RunRecord,
    RunSettings,
    SweepRecord,
    aligned_batch_history,
    aligned_val_history,
)
from .start import starting_basis

# Named copies of knobs the user keeps to compare with and go back to.
SNAPSHOT_SLOTS = ("my best knobs", "GD result", "exact")
RECORDS_KEPT = 16  # problems whose records undo can bring back
BIG_POINTS = 100_000  # from this many points, derived facts are computed in a compute process


class Document:
    """Data + model + knobs under undo, run settings, snapshots, overlays, and per-problem records."""

    def __init__(self, dataset: Dataset, *, degree: int = 5, optimizer: str = "gd"):
        """``degree`` and ``optimizer`` are where a new document starts (the user's preferences)."""
        self._init_fields()
        state, self.start_note = self._start_state(dataset, degree)
        self._state = replace(state, problem_id=next(self._problem_ids))
        self.settings = RunSettings(optimizer=optimizer)

    @classmethod
    def restored(
        cls,
        state: FitState,
        settings: RunSettings,
        *,
        snapshots: dict | None = None,
        overlays: tuple[bool, bool, bool] = (False, False, False),
    ) -> Document:
        """A plain document holding ``state``, ``settings``, ``snapshots`` (name → (loss, knobs)) and the ghost
        curves shown (``overlays``: exact, manual, GD) as they are: a session being read (its records are
        set next, ``load_records``)."""
        document = cls.__new__(cls)
        document._init_fields()
        document._state = replace(state, problem_id=next(document._problem_ids))
        document.settings = settings
        document.snapshots = {name: (float(loss), np.array(knobs)) for name, (loss, knobs) in (snapshots or {}).items()}
        document.show_exact, document.show_manual, document.show_gd = (bool(v) for v in overlays)
        return document

    def _init_fields(self) -> None:
        self.token = uuid.uuid4().hex[:12]  # this document, among others a runner serves (see ``problem_key``)
        self.listeners: list[Callable[[tuple[str, ...]], None]] = []
        self._problem_ids = itertools.count(1)
        self._records: OrderedDict[int, ProblemRecords] = OrderedDict()
        self._problem: FitProblem | None = None
        self._prepared: tuple[FitState, FitProblem] | None = None  # checked by ``trouble``, not yet current
        self._validation: tuple[FitProblem, FitProblem | None] | None = None
        self._val_evaluated: tuple[FitState, float | None] | None = None
        self._fitted: tuple[FitState, np.ndarray] | None = None
        self.start_note = None  # a str when new data open in another basis than raw powers (see ``__init__``)
        self.live = False  # True while a running gradient descent's knobs are being shown
        self.run: LiveRun | None = None
        self.show_exact = False
        self.show_manual = False
        self.show_gd = False
        self.snapshots: dict[str, tuple[float, np.ndarray]] = {}  # slot name -> (loss, knobs)
        # The last StateFacts taken in (big data); Any: state may not import workbench.tasks, not even for types.
        self._facts: Any = None
        self._column_scales: np.ndarray | None = None
        self._manual_best_due = False  # a hand move of big data whose loss is still being computed

    # -- notifying ------------------------------------------------------------------------------------------
    def _notify(self, *aspects: str) -> None:
        """Tell every listener what changed (the Qt adapter emits signals instead)."""
        for listener in list(self.listeners):
            listener(aspects)

    # -- reading --------------------------------------------------------------------------------------------
    @property
    def state(self) -> FitState:
        """The current undoable state."""
        return self._state

    @property
    def dataset(self) -> Dataset:
        """The data points."""
        return self._state.dataset

    @property
    def theta(self) -> np.ndarray:
        """The knobs: coefficients in the current basis (a copy)."""
        return self._state.theta.copy()

    @property
    def problem_id(self) -> int:
        """Names the current problem (data + model + loss): the key of its records, and of what a compute
        process built for it."""
        return self._state.problem_id

    @property
    def problem_key(self) -> tuple[str, int]:
        """The current problem, named uniquely for compute processes that keep what they built for it."""
        return (self.token, self.problem_id)

    @property
    def records(self) -> ProblemRecords:
        """What happened on the current problem (trails, runs, race): read it; the methods below change it.
        (Reading never stores anything: a problem that nothing happened on has empty records.)"""
        records = self._records.get(self.problem_id)
        return records if records is not None else ProblemRecords()

    def _records_to_write(self) -> ProblemRecords:
        """The current problem's records, kept from now on (the least recently written beyond
        ``RECORDS_KEPT`` problems are let go)."""
        records = self._records.get(self.problem_id)
        if records is None:
            records = self._records[self.problem_id] = ProblemRecords()
            while len(self._records) > RECORDS_KEPT:
                self._records.popitem(last=False)
        self._records.move_to_end(self.problem_id)
        return records

    # The current problem's records, as attributes (read them; change them through the methods below).
    manual_trail = property(lambda self: self.records.manual_trail)
    manual_moves = property(lambda self: self.records.manual_moves)
    best_manual = property(lambda self: self.records.best_manual)
    gd_trajectory = property(lambda self: self.records.gd_trajectory)
    loss_history = property(lambda self: self.records.loss_history)
    val_history = property(lambda self: self.records.val_history)
    last_run = property(lambda self: self.records.last_run)
    race = property(lambda self: self.records.race)
    sweep = property(lambda self: self.records.sweep)
    batch_history = property(lambda self: self.records.batch_history)

    @property
    def has_earlier_runs(self) -> bool:
        """True when another problem kept here (earlier data or model, back by undo) has runs."""
        return any(pid != self.problem_id and r.loss_history for pid, r in self._records.items())

    @property
    def problem(self) -> FitProblem:
        """Data + model + loss of the training points, built when first asked for after a change."""
        if self._problem is None:
            prepared, self._prepared = self._prepared, None
            if prepared is not None and prepared[0].same_problem(self._state):
                self._problem = prepared[1]
            else:
                self._problem = self._state.build_problem()
        return self._problem

    def trouble(self, state: FitState) -> str | None:
        """Why ``state`` could not be computed with (numbers beyond double precision: see
        ``workbench.fitting.computable``), or None.  The controller asks before every change of data, model
        or knobs; the problem checked is kept, so the views do not build it again.

        Big data are checked only for what costs nothing (their ranges): the rest is checked where their facts
        are computed, in a compute process, and a change found wanting then is taken back (``take_facts``).
        """
        if state.dataset.n == 0:
            return None
        if state.dataset.n >= BIG_POINTS:
            return range_trouble(state.dataset.x, state.dataset.y)
        same = state.same_problem(self._state)
        prepared = self._prepared
        if same:
            problem = self.problem
        elif prepared is not None and prepared[0].same_problem(state):
            problem = prepared[1]
        else:
            problem = state.build_problem()
        why = numeric_trouble(problem, state.theta)
        if why is None and not same:
            self._prepared = (state, problem)
        return why

    def _start_state(self, dataset: Dataset, degree: int) -> tuple[FitState, str | None]:
        """The first state: raw powers of x, or the Scaled basis (with a note saying why) when raw powers
        cannot hold the data or leave plain gradient descent hopeless; raises DataError when no basis can."""
        state = FitState(dataset, degree, Basis.for_data("monomial", dataset.x), Loss(), np.zeros(degree + 1))
        self._state = state
        basis, note = starting_basis(dataset, degree)
        if basis.kind != "monomial":
            state = replace(state, basis=basis)
        return state, note

    # -- derived facts ----------------------------------------------------------------------------------------
    @property
    def big(self) -> bool:
        """True for data big enough that derived facts are computed in a compute process (``take_facts``)."""
        return self.dataset.n >= BIG_POINTS

    @property
    def pending(self) -> bool:
        """True while the facts of the current state are being computed (big data only): views that show
        them say "computing…" meanwhile."""
        return self.big and not self._facts_current()

    def _facts_current(self) -> bool:
        facts = self._facts
        return (
            facts is not None
            and facts.problem_id == self.problem_key
            and facts.trouble is None
            and np.array_equal(facts.theta, self._state.theta)
        )

    @property
    def facts_trouble(self) -> str | None:
        """Why the current big problem's numbers cannot be computed with, once its facts said so."""
        facts = self._facts
        if facts is None or facts.problem_id != self.problem_key:
            return None
        return facts.trouble

    def take_facts(self, facts) -> bool:
        """Take the facts of a state computed elsewhere (``workbench.tasks.facts.StateFacts``); True when
        they are the current state's.  Facts of another problem are dropped; those of other knobs of this
        problem still bring the problem's own facts (optimum, Hessian, report)."""
        if facts.problem_id != self.problem_key:
            return False
        problem = self.problem
        if facts.problem:
            problem.adopt(facts.problem)
            self._column_scales = facts.column_scales
        current = np.array_equal(facts.theta, self._state.theta)
        if current:
            self._facts = facts
            if facts.trouble is None:
                problem.remember(facts.theta, facts.loss, facts.grad)
                self._note_manual_best()
        self._notify("facts")
        return current

    def evaluation(self) -> tuple[float, np.ndarray] | None:
        """The engine's loss and gradient ∂L/∂k at the current knobs (one forward + backward pass, which the
        problem remembers for the knobs last asked about); None while big data's are being computed."""
        if self.dataset.n == 0:
            return 0.0, np.zeros(self._state.theta.size)
        if self.big:
            return self.problem.remembered(self._state.theta)  # (a run's report or the facts brought it)
        return self.problem.evaluate(self._state.theta)

    @property
    def loss_value(self) -> float | None:
        """Current loss (NaN-free by construction: knobs are always finite); None while being computed."""
        evaluation = self.evaluation()
        return None if evaluation is None else evaluation[0]

    def curve(self, xs, theta=None) -> np.ndarray:
        """The model's values at ``xs`` for the current knobs (or ``theta``), in a stable basis (cheap at any
        size of data: it costs the points ``xs``, not the data's)."""
        theta = self._state.theta if theta is None else theta
        return self.problem.predict(theta, np.asarray(xs, dtype=np.float64))

    def fitted(self) -> np.ndarray | None:
        """ŷ at every data x for the current knobs (read-only; once per state: the fit plot, the residual plot
        and the table all ask for it after every change); None while big data's are being computed."""
        if self.big:
            return self._facts.fitted if self._facts_current() else None
        if self._state.split is None:  # the problem's points are all the points: its memo serves
            return self.problem.predict(self._state.theta)
        cached = self._fitted
        if cached is None or cached[0] is not self._state:
            values = self.curve(self.dataset.x)
            values.flags.writeable = False
            cached = self._fitted = (self._state, values)
        return cached[1]

    @property
    def validation_problem(self) -> FitProblem | None:
        """The held-out points' problem (None without a split), rebuilt whenever ``problem`` is."""
        problem = self.problem
        if self._validation is None or self._validation[0] is not problem:
            self._validation = (problem, self._state.build_validation_problem())
        return self._validation[1]

    def validation_loss(self) -> float | None:
        """The loss on the held-out points at the current knobs (a forward pass), or None without any (or
        while big data's is being computed)."""
        if self.big:
            return self._facts.validation_loss if self._facts_current() else None
        cached = self._val_evaluated
        if cached is None or cached[0] is not self._state:
            problem = self.validation_problem
            with np.errstate(all="ignore"):  # an overflow shows as inf, as the training loss does
                value = None if problem is None else float(problem.loss_at(self._state.theta))
            cached = self._val_evaluated = (self._state, value)
        return cached[1]

    def _problem_fact(self, name: str):
        """A fact of the problem (its cached property ``name``): computed here for small data, or None while
        big data's are being computed."""
        if self.dataset.n == 0:
            return None
        problem = self.problem
        if self.big and not problem.knows(name):
            return None
        return getattr(problem, name)

    @property
    def exact(self) -> ExactFit | None:
        """The least-squares optimum for the current data and model (None without data, or while computed)."""
        return self._problem_fact("exact")

    @property
    def landmark(self):
        """What every run is compared with: the exact least-squares optimum of a polynomial, or the
        Levenberg–Marquardt fit of a formula once solved (``set_solution``); None otherwise.  Both have
        ``coefficients``, ``loss`` and ``evaluate(x)``."""
        if self._state.model == "formula":
            return self.records.solution
        return self.exact

    def set_solution(self, fit) -> None:
        """A formula's Levenberg–Marquardt fit from the current knobs: the landmark from now on."""
        self._records_to_write().solution = fit
        self._notify("overlays")

    @property
    def conditioning(self):
        """The loss Hessian's spectrum and 2/λ_max (polynomials; None without data, or while computed)."""
        return self._problem_fact("conditioning")

    @property
    def report(self):
        """The least-squares fit's statistical report (None for the net, without data, or while computed)."""
        return self._problem_fact("report")

    @property
    def column_scales(self) -> np.ndarray | None:
        """RMS of each design-matrix column: how far a knob moves the curve (polynomials)."""
        if self.dataset.n == 0 or not self.problem.is_polynomial:
            return None
        if self.big:
            return self._column_scales if self.problem.knows("exact") else None
        design = self.problem.design_matrix
        return np.sqrt(np.mean(design * design, axis=0))

    @property
    def running(self) -> bool:
        """True while a gradient-descent run is in progress."""
        return self.run is not None

    # -- the undoable state ---------------------------------------------------------------------------------
    def apply(
        self, new_state: FitState, text: str = "", merge_key: object = None, before: FitState | None = None
    ) -> None:
        """Make ``new_state`` current.  (The Qt adapter makes this one undoable step named ``text``;
        consecutive steps with the same ``merge_key`` become one, and ``before`` is what undo returns to.)"""
        new_state = self.identified(new_state)
        if not new_state.equals(self._state):
            self._set_state(new_state)

    def identified(self, state: FitState) -> FitState:
        """``state`` with its problem id: the current one if only the knobs differ, else a new one."""
        if state.same_problem(self._state):
            return state if state.problem_id == self.problem_id else replace(state, problem_id=self.problem_id)
        return replace(state, problem_id=next(self._problem_ids))

    def redisplay(self, model: bool = False) -> None:
        """Ask the views to show the document again: after a refused edit, a control that already shows the
        user's input (a knob, the degree) goes back to the document's value.  Nothing changes."""
        self._notify(*(("model", "knobs") if model else ("knobs",)))

    def set_theta_live(self, theta: np.ndarray, evaluation: tuple[float, np.ndarray] | None = None) -> None:
        """Move the knobs without an undo step (gradient descent in progress: one step per run).

        ``evaluation`` is (loss, ∂L/∂k) at ``theta`` when the run computed them already (the run's engine
        graph is of the same problem): the problem remembers them, so no view needs a pass of its own.
        ``live`` is True while this change is being shown: a view that is costly to redraw may show a run's
        reports at a lower rate (its final state always arrives as an ordinary change).
        """
        theta = np.array(theta, dtype=np.float64)
        if evaluation is not None and self.dataset.n:
            loss, grad = float(evaluation[0]), np.array(evaluation[1], dtype=np.float64)
            if grad.shape == theta.shape and math.isfinite(loss):
                self.problem.remember(theta, loss, grad)
        self.live = True
        try:
            self._set_state(replace(self._state, theta=theta))
        finally:
            self.live = False

    def _set_state(self, state: FitState) -> None:
        old, self._state = self._state, state
        self._fitted = self._val_evaluated = None
        data_changed = old.dataset is not state.dataset
        split_changed = old.split != state.split
        model_changed = split_changed or not old.same_model(state) or old.loss != state.loss
        aspects: list[str] = []
        if data_changed or model_changed:
            self._problem = None
            self._validation = None
            self._revise_snapshots(old, state)
            aspects += ["trail", "race", "sweep", "snapshots"]
        if data_changed:
            aspects.append("data")
        if split_changed:
            aspects.append("split")
        if model_changed:
            aspects.append("model")
        self._notify(*aspects, "knobs", "state")

    # -- settings, overlays ---------------------------------------------------------------------------------
    def set_settings(self, settings: RunSettings) -> None:
        """Change how gradient descent runs."""
        if settings != self.settings:
            self.settings = settings
            self._notify("settings")

    def set_overlays(self, *, exact: bool | None = None, manual: bool | None = None, gd: bool | None = None) -> None:
        """Show or hide the ghost curves on the fit plot."""
        if exact is not None:
            self.show_exact = exact
        if manual is not None:
            self.show_manual = manual
        if gd is not None:
            self.show_gd = gd
        self._notify("overlays")

    # -- the hand -------------------------------------------------------------------------------------------
    def record_manual_move(self, new_move: bool = True) -> None:
        """Remember where the user's hand put the knobs (trail, best manual loss, and the move count: a drag is
        one move however many pixels it passes, so ``new_move`` is False within a drag)."""
        records = self._records_to_write()
        theta = self.theta
        records.manual_trail.append(theta)
        records.manual_moves += 1 if new_move else 0
        self._manual_best_due = True
        self._note_manual_best()
        self._notify("trail")

    def _note_manual_best(self) -> None:
        """A hand move's loss, once known (at once for small data, with the facts for big data), may be the
        best by hand."""
        if not self._manual_best_due:
            return
        loss = self.loss_value
        if loss is None:
            return
        self._manual_best_due = False
        records = self._records_to_write()
        trail = records.manual_trail
        is_latest = bool(trail) and np.array_equal(trail[-1], self._state.theta)
        if is_latest and (records.best_manual is None or loss < records.best_manual[0]):
            records.best_manual = (loss, self.theta)

    # -- gradient descent -------------------------------------------------------------------------------------
    def begin_run(self) -> LiveRun:
        """A run starts from the current state with the current settings: its history begins."""
        records = self._records_to_write()
        run = self.run = LiveRun(self._state, self.settings)
        records.gd_trajectory[:] = [self._state.theta.copy()]
        records.loss_history.append(run.losses.view())
        records.val_history.append(run.validation.view())
        records.batch_history.extend([np.empty(0)] * (len(records.loss_history) - 1 - len(records.batch_history)))
        records.batch_history.append(run.batch_losses.view())
        self._notify("trail", "run")
        return run

    def absorb_run(self, progress) -> None:
        """Take in a run's report (``workbench.tasks.gradient_descent.RunProgress``): knobs, losses, path."""
        run = self.run
        if run is None:
            return
        run.step, run.loss, run.theta, run.elapsed_s = progress.step, progress.loss, progress.theta, progress.elapsed_s
        self.set_theta_live(progress.theta, None if progress.grad is None else (progress.loss, progress.grad))
        records = self._records_to_write()
        if progress.losses.size:
            records.loss_history[-1] = run.losses.extend(progress.losses)
        if progress.val_losses.size:
            rows = np.column_stack([progress.val_steps, progress.val_losses])
            records.val_history[-1] = run.validation.extend(rows)
        if progress.batch_losses is not None and progress.batch_losses.size:
            records.batch_history[-1] = run.batch_losses.extend(progress.batch_losses)
        if len(progress.trajectory):
            trail = records.gd_trajectory
            trail.extend(progress.trajectory)
            if len(trail) > MAX_TRAJECTORY_KEPT:  # drawn decimated anyway: thin it, keeping both ends
                records.gd_trajectory[:] = trail[:-1:2] + [trail[-1]]
        self._notify("trail")

    def run_so_far(self, why: str = "") -> TrainResult:
        """How the run in progress would end now: at its last report's knobs (or where it started, with the
        loss there, before its first report)."""
        run = self.run
        assert run is not None, "no run in progress"
        if run.theta is not None and math.isfinite(run.loss):
            params, loss = np.array(run.theta), float(run.loss)
        else:
            params = run.start.theta.copy()
            loss = float(self.evaluation_at(run.start))
        return TrainResult(params, loss, run.step, _stopped(), run.elapsed_s, why)

    def evaluation_at(self, state: FitState) -> float:
        """The loss of ``state``'s knobs on the current problem (a forward pass; 0 without points)."""
        if self.dataset.n == 0:
            return 0.0
        return self._loss_at(state.theta)

    def end_run(self, result: TrainResult) -> FitState:
        """The run is over: the knobs end at its result (one undo step from where it started), and it becomes
        the last run.  Returns the state the run started from."""
        run, self.run = self.run, None
        assert run is not None, "no run in progress"
        start = run.start
        if result.params.shape == start.theta.shape and np.all(np.isfinite(result.params)):
            self.apply(
                replace(start, theta=np.array(result.params)), f"Gradient descent ({result.steps} steps)", before=start
            )
        self._records_to_write().last_run = RunRecord(result, start.theta.copy(), run.settings)
        self._notify("trail", "overlays", "run")
        return start

    def record_step(self, before: FitState, record) -> None:
        """One step of gradient descent taken by hand (Step): an undo step, on the history and the path."""
        records = self._records_to_write()
        self.apply(replace(before, theta=np.array(record.params)), "Gradient descent step", before=before)
        history, entry = records.loss_history, records.stepping_entry
        go_on = (
            entry is not None
            and entry == len(history) - 1
            and bool(records.gd_trajectory)
            and np.array_equal(records.gd_trajectory[-1], record.params_before)
        )
        if go_on:  # presses of Step one after another are one line on the loss history, as a run is
            assert entry is not None
            history[entry] = np.append(history[entry], record.loss)
            records.gd_trajectory.append(record.params)
        else:
            records.gd_trajectory.extend([record.params_before, record.params])
            history.append(np.array([record.loss]))
            records.val_history.append(np.empty((0, 2)))
            records.stepping_entry = len(history) - 1
        self._notify("trail")

    # -- the race -------------------------------------------------------------------------------------------
    def begin_race(self, kinds, names: dict[str, str], theta0, max_steps: int) -> RaceView:
        """A race of ``kinds`` from ``theta0`` starts on the current problem (replacing the last one)."""
        race = self._records_to_write().race = RaceView(0, kinds, names, theta0, max_steps)
        self._notify("race")
        return race

    def absorb_race(self, race: RaceView, snapshot, optimum, paths, manual, manual_name: str, elapsed_s: float) -> None:
        """Take in a race's snapshot (ignored when that race is no longer the document's)."""
        if self.records.race is not race or snapshot is None:
            return
        if manual is not None:
            race.add_manual(manual, manual_name)
        race.absorb(snapshot.step, snapshot.target, optimum, snapshot.contenders, paths)
        race.elapsed_s = elapsed_s
        self._notify("race")

    def end_race(self, race: RaceView, outcome: str, message: str = "") -> None:
        """The race is over: settle every contender's status."""
        race.finish(outcome, message)
        if self.records.race is race:
            self._notify("race")

    # -- the learning-rate sweep -----------------------------------------------------------------------------
    def begin_sweep(self, rates, optimizer: str, steps: int) -> SweepRecord:
        """A sweep starts on the current problem (replacing the last one)."""
        sweep = self._records_to_write().sweep = SweepRecord(np.array(rates, dtype=np.float64), optimizer, int(steps))
        self._notify("sweep")
        return sweep

    def absorb_sweep(self, sweep: SweepRecord, points) -> None:
        """Take in points a sweep has finished."""
        sweep.points.extend(points)
        if self.records.sweep is sweep:
            self._notify("sweep")

    def end_sweep(self, sweep: SweepRecord, result, outcome: str, error: str = "") -> None:
        """The sweep is over (``result``: a SweepResult, or None when it failed)."""
        if result is not None:
            sweep.points[:] = list(result.points)
            sweep.result = result
        sweep.outcome, sweep.error = outcome, error
        if self.records.sweep is sweep:
            self._notify("sweep")

    # -- snapshots ----------------------------------------------------------------------------------------------
    def set_snapshot(self, name: str, theta) -> float | None:
        """Keep a copy of ``theta`` in slot ``name`` with its loss now; returns that loss, or None (and keeps
        nothing) when the knobs do not fit the model or their loss is not a finite number."""
        theta = np.array(theta, dtype=np.float64)
        if not name or theta.shape != self._state.theta.shape or not np.all(np.isfinite(theta)):
            return None
        loss = self._loss_at(theta)
        if not math.isfinite(loss):
            return None
        self.snapshots[name] = (loss, theta)
        self._notify("snapshots")
        return loss

    def clear_snapshots(self) -> None:
        """Empty every snapshot slot."""
        if self.snapshots:
            self.snapshots = {}
            self._notify("snapshots")

    def _loss_at(self, theta: np.ndarray) -> float:
        if self.dataset.n == 0:
            return 0.0  # as ``evaluation``: no points, nothing to miss
        with np.errstate(all="ignore"):  # an overflow is reported as a non-finite loss, not a warning
            return float(self.problem.loss_at(theta))

    def _revise_snapshots(self, old: FitState, new: FitState) -> None:
        """Snapshots keep their knobs while the knobs mean the same curve (same model, degree, basis): new data
        or another loss re-scores them; any other change empties the slots."""
        if not self.snapshots:
            return
        if not old.same_model(new):
            self.snapshots = {}
        else:
            rescored = {name: (self._loss_at(theta), theta) for name, (_, theta) in self.snapshots.items()}
            self.snapshots = {name: v for name, v in rescored.items() if math.isfinite(v[0])}

    # -- a whole document at once (an opened session) ---------------------------------------------------------
    def replace_with(self, other: Document) -> None:
        """Become ``other`` (an opened session): its state, settings, records, snapshots and overlays.
        Every view redraws once."""
        self._state = replace(other._state, problem_id=next(self._problem_ids))
        self._problem, self._prepared, self._validation = None, None, None
        self._fitted = self._val_evaluated = None
        self.start_note = None
        self.settings = other.settings
        self.run = None
        self._records = OrderedDict([(self.problem_id, other.records)])
        self.snapshots = dict(other.snapshots)
        self.show_exact, self.show_manual, self.show_gd = other.show_exact, other.show_manual, other.show_gd
        self._notify(
            "data",
            "split",
            "model",
            "knobs",
            "state",
            "settings",
            "trail",
            "overlays",
            "snapshots",
            "race",
            "sweep",
            "run",
        )

    def frozen_copy(self) -> Document:
        """A copy of what a session saves (state, settings, this problem's records, snapshots, overlays) that
        later changes of this document do not touch: it can be written on another thread."""
        copy = Document.restored(
            self._state,
            self.settings,
            snapshots=self.snapshots,
            overlays=(self.show_exact, self.show_manual, self.show_gd),
        )
        records = self.records
        copy.load_records(
            manual_trail=list(records.manual_trail),
            manual_moves=records.manual_moves,
            best_manual=records.best_manual,
            gd_trajectory=list(records.gd_trajectory),
            loss_history=[np.array(h) for h in records.loss_history],
            val_history=[np.array(h) for h in records.val_history],
            last_run=records.last_run,
            batch_history=[np.array(h) for h in records.batch_history],
        )
        return copy

    def load_records(
        self,
        *,
        manual_trail=(),
        manual_moves: int = 0,
        best_manual=None,
        gd_trajectory=(),
        loss_history=(),
        val_history=(),
        last_run: RunRecord | None = None,
        batch_history=(),
    ) -> None:
        """Set the current problem's records (a session being read: no listener is told).  The validation and
        mini-batch histories are aligned with ``loss_history``: one per run, empty for a run without any."""
        records = self._records_to_write()
        records.manual_trail[:] = [np.array(t, dtype=np.float64) for t in manual_trail]
        records.manual_moves = int(manual_moves)
        records.best_manual = (
            None if best_manual is None else (float(best_manual[0]), np.array(best_manual[1], dtype=np.float64))
        )
        records.gd_trajectory[:] = [np.array(t, dtype=np.float64) for t in gd_trajectory]
        records.loss_history[:] = [np.array(h, dtype=np.float64) for h in loss_history]
        records.val_history[:] = aligned_val_history(val_history, len(records.loss_history))
        records.batch_history[:] = aligned_batch_history(batch_history, len(records.loss_history))
        records.last_run = last_run


def _stopped():
    from workbench.fitting.training import StopReason

    return StopReason.STOPPED
