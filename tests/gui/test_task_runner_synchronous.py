"""The task runner's synchronous mode drives every kind of task the app has, as the window builds them.

Each kind runs inline on a ``TaskRunner(synchronous=True)``: the ones that report progress deliver immutable
snapshots, every one delivers its end exactly once (its result, or why it failed), and a stop, asked mid-way or
before the task began, still delivers an end, promptly and without doing the rest of the work.  A guard test
keeps the list complete: a new task class in ``workbench.tasks`` fails it until it is driven here too.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import workbench.tasks
from workbench.fitting.data import Dataset
from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.models import MLPModel
from workbench.fitting.nonlinear_report import NonlinearFit
from workbench.fitting.problem import FitProblem
from workbench.fitting.sweep import SweepResult
from workbench.fitting.training import StopRules
from workbench.qt.tasks.runner import TaskRunner
from workbench.state.document import Document
from workbench.state.session import LoadedSession, save_session
from workbench.tasks.facts import FactsTask, StateFacts
from workbench.tasks.formula_fit import GuessedStart, GuessStartTask, SolveTask
from workbench.tasks.gradient_descent import GradientDescentTask, RunOutcome
from workbench.tasks.race import RaceProgress, RaceTask
from workbench.tasks.session_io import OpenSessionTask, SaveSessionTask
from workbench.tasks.surface import SurfaceGrid, SurfaceTask
from workbench.tasks.sweep import SweepTask
from workbench.tasks.table_read import ReadTableTask, TableRead

STOPPED_WITHIN_S = 0.5  # a stopped task delivers its end within this (each big case would take seconds more)
FORMULA = "a*exp(-b*x) + c*sin(d*x + 1) + f"


def polynomial(n: int) -> FitProblem:
    x = np.linspace(-1.0, 1.0, n)
    return FitProblem.polynomial(x, np.sin(3 * x) + 0.1 * x**2, 5, "scaled")


def formula(n: int) -> FitProblem:
    x = np.linspace(0.0, 4.0, n)
    return FitProblem(x, 2 * np.exp(-1.3 * x) + 0.5 * np.sin(5 * x + 1) + 0.2, FormulaModel(FORMULA))


def run_task(big: bool, tmp: Path) -> GradientDescentTask:
    p = polynomial(2000)
    rules = StopRules(max_steps=10**9 if big else 2000, tol=0.0)
    return GradientDescentTask(p, "gd", 0.5 * p.conditioning.max_stable_lr, np.zeros(6), rules, problem_key="p")


def sweep_task(big: bool, tmp: Path) -> SweepTask:
    p = polynomial(2000)
    rates = np.logspace(-3, 0.5, 400 if big else 12) * p.conditioning.max_stable_lr
    return SweepTask(p, np.zeros(6), rates, "gd", 5000 if big else 200, problem_key="p")


def race_task(big: bool, tmp: Path) -> RaceTask:
    return RaceTask(polynomial(2000), np.zeros(6), ("gd", "momentum", "adam"), 10**8 if big else 600)


def surface_task(big: bool, tmp: Path) -> SurfaceTask:
    x = np.linspace(-1.0, 1.0, 500 if big else 200)
    net = FitProblem(x, np.tanh(3 * x), MLPModel((16, 16) if big else (8,)))
    n = 300 if big else 25
    return SurfaceTask(net, net.model.initial_params(seed=1), 0, 1, np.linspace(-1, 1, n), np.linspace(-2, 2, n))


def facts_task(big: bool, tmp: Path) -> FactsTask:  # the exact solve and fit report of big data
    return FactsTask(polynomial(1_000_000 if big else 20_000), np.zeros(6), "facts")


def guess_task(big: bool, tmp: Path) -> GuessStartTask:
    p = formula(100_000 if big else 300)
    return GuessStartTask(FORMULA if big else "a*exp(-b*x) + c", p.x, p.y)


def solve_task(big: bool, tmp: Path) -> SolveTask:
    p = formula(100_000 if big else 300)
    return SolveTask(p, np.array([1.5, 1.0, 0.4, 5.0, 0.0]), "formula")


def document(n: int) -> Document:
    x = np.linspace(0.0, 1.0, n)
    return Document(Dataset(x, x**2 + 0.1 * np.sin(40 * x)))


def autosave_task(big: bool, tmp: Path) -> SaveSessionTask:
    return SaveSessionTask(document(1_000_000 if big else 500).frozen_copy(), {}, tmp / "recovery.json")


def open_task(big: bool, tmp: Path) -> OpenSessionTask:  # reading a big file
    path = tmp / "big.json"
    save_session(document(200_000 if big else 20_000).frozen_copy(), {}, path)
    return OpenSessionTask(path)


def read_task(big: bool, tmp: Path) -> ReadTableTask:  # reading a big data file
    path = tmp / "big.csv"
    x = np.linspace(0.0, 1.0, 400_000 if big else 20_000)
    path.write_text("x,y\n" + "".join(f"{a!r},{a * a!r}\n" for a in x.tolist()), encoding="utf-8")
    return ReadTableTask(path)


@dataclass(frozen=True)
class Kind:
    """One kind of task: how to build it, what it returns, and whether it reports progress.

    ``stop`` is how a test stops it mid-way: at its first snapshot (a task that reports), or before it begins
    (a one-shot computation, whose first stop check comes before its work)."""

    make: object
    result: type
    reports: bool

    @property
    def stop(self) -> str:
        return "at first snapshot" if self.reports else "before it begins"


KINDS = {
    "run": Kind(run_task, RunOutcome, True),
    "learning-rate sweep": Kind(sweep_task, SweepResult, True),
    "race": Kind(race_task, RaceProgress, True),
    "loss surface": Kind(surface_task, SurfaceGrid, True),
    "reading a big session": Kind(open_task, LoadedSession, True),
    "reading a big data file": Kind(read_task, TableRead, True),
    "facts of big data": Kind(facts_task, StateFacts, False),
    "formula start guess": Kind(guess_task, GuessedStart, False),
    "formula solve": Kind(solve_task, NonlinearFit, False),
    "autosave": Kind(autosave_task, float, False),
}


@dataclass
class Delivered:
    """What a handle delivered, in order."""

    snapshots: list
    ends: list  # ("finished", result) or ("failed", why)


def drive(handle) -> Delivered:
    got = Delivered([], [])
    handle.progressed.connect(got.snapshots.append)
    handle.finished.connect(lambda result: got.ends.append(("finished", result)))
    handle.failed.connect(lambda why: got.ends.append(("failed", why)))
    return got


@pytest.fixture
def runner(qapp):
    runner = TaskRunner(synchronous=True)
    yield runner
    runner.shutdown()


@pytest.mark.parametrize("name", list(KINDS))
def test_synchronous_mode_runs_the_task_to_its_end_with_snapshots(runner, tmp_path, name):
    kind = KINDS[name]
    handle = runner.create(kind.make(False, tmp_path), "process", name=name)
    assert handle.where == "inline"  # synchronous: wherever the app would run it
    got = drive(handle)
    handle.start()
    # Everything happened inside start(): no thread, no process, no event loop.
    assert len(got.ends) == 1, got.ends
    how, result = got.ends[0]
    assert how == "finished", result
    assert isinstance(result, kind.result)
    assert handle.done and not handle.running and runner.live == []
    if kind.reports:
        assert got.snapshots, "a task that reports progress reported none"
    for snapshot in got.snapshots:
        assert dataclasses.is_dataclass(snapshot) and type(snapshot).__dataclass_params__.frozen
    if name == "run":
        assert result.result.steps == 2000  # the final state: every step, after the last snapshot
        assert result.tail.step == 2000 and all(s.step < 2000 for s in got.snapshots)
    elif name == "learning-rate sweep":
        assert len(result.points) == 12 and not result.stopped
    elif name == "race":
        assert result.done and not result.stopped
    elif name == "reading a big session":
        assert result.document.dataset.n == 20_000
    elif name == "reading a big data file":
        assert result.error is None and result.table.columns[1].values.size == 20_000
    elif name == "facts of big data":
        assert result.trouble is None and result.problem["exact"] is not None and np.isfinite(result.loss)
    elif name == "formula solve":
        assert result.stop_reason != "stopped" and result.steps > 0
    elif name == "autosave":
        assert (tmp_path / "recovery.json").stat().st_size > 0


@pytest.mark.parametrize("name", list(KINDS))
def test_synchronous_mode_stopped_mid_way_delivers_an_end_promptly(runner, tmp_path, name):
    kind = KINDS[name]
    handle = runner.create(kind.make(True, tmp_path), "process", name=name)
    got = drive(handle)
    stopped_at: list[float] = []

    def stop(*_):
        if not stopped_at:
            stopped_at.append(time.perf_counter())
            handle.stop()

    if kind.reports:
        handle.progressed.connect(stop)  # as the window would: the user presses Stop while it reports
    else:
        stop()
    handle.start()
    ended = time.perf_counter()
    assert stopped_at, "it never reported, so it could not be stopped mid-way"
    assert ended - stopped_at[0] < STOPPED_WITHIN_S, f"{name} took {ended - stopped_at[0]:.2f} s to end after stop"
    assert len(got.ends) == 1, got.ends
    assert handle.done and runner.live == []
    how, result = got.ends[0]
    if name == "run":
        assert how == "finished" and result.result.stop_reason.name == "STOPPED"
        assert result.result.steps < 10**9 and np.isfinite(result.result.loss)
    elif name == "learning-rate sweep":
        assert how == "finished" and result.stopped and len(result.points) < 400
    elif name == "race":
        assert how == "finished" and result.done and result.stopped
    elif name in ("loss surface", "reading a big session", "facts of big data"):
        assert (how, result) == ("finished", None)  # stale or unwanted: nothing half-done is delivered
    elif name == "formula solve":
        assert how == "finished" and result.stop_reason == "stopped" and np.all(np.isfinite(result.params))
    elif name == "reading a big data file":
        assert how == "failed" and "TaskStopped" in result  # nothing half-read is delivered
    elif name in ("formula start guess", "autosave"):
        assert how == "failed" and "TaskStopped" in result
        assert not (tmp_path / "recovery.json").exists()  # the file as it was: never half-written
    else:
        pytest.fail(f"no expectation for {name}")


def test_a_stop_from_another_thread_ends_a_synchronous_task_mid_step(runner):
    """The stop flag is read across threads even inline: a run with no receiver waiting still ends."""
    handle = runner.create(run_task(True, Path()), "process")
    got = drive(handle)
    timer = threading.Timer(0.2, handle.context.stop)
    timer.start()
    started = time.perf_counter()
    handle.start()
    timer.join()
    assert 0.15 < time.perf_counter() - started < 0.2 + STOPPED_WITHIN_S
    assert got.ends[0][0] == "finished" and got.ends[0][1].result.stop_reason.name == "STOPPED"


def task_classes() -> set[type]:
    """Every task class in ``workbench.tasks``: defined there, with a ``run(context)`` generator."""
    found = set()
    for info in pkgutil.iter_modules(workbench.tasks.__path__):
        module = importlib.import_module(f"workbench.tasks.{info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and inspect.isgeneratorfunction(getattr(cls, "run", None)):
                found.add(cls)
    return found


def test_every_task_kind_of_the_app_is_driven_here(tmp_path):
    driven = {type(kind.make(False, tmp_path)) for kind in KINDS.values()}
    assert task_classes() == driven
