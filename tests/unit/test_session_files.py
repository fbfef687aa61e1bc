"""Session files on disk: crash-safe saves, saving through symbolic links, temp files of interrupted saves,
one size limit for saving and opening, big sessions (10⁶ points always, 6·10⁶ in the slow run), and reading
piece by piece with progress and an early stop (what the window's background open does)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from session_strategies import assert_same, make_session
from stress_sizes import sizes
from test_session import packed_session, sample_session, to_json

from workbench.fitting import atomic
from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.state import session as session_module
from workbench.state.runs import RunSettings
from workbench.state.session import SessionError, load_session, read_steps, save_session, session_from_json
from workbench.tasks.context import TaskContext, TaskStopped
from workbench.tasks.session_io import OpenSessionTask, SaveSessionTask


def save(s, path) -> None:
    save_session(s.document, s.view, path)


def drive(task, context: TaskContext | None = None):
    """Run a task to its end as the runner's inline mode does; its result."""
    run = task.run(context or TaskContext())
    try:
        while True:
            next(run)
    except StopIteration as end:
        return end.value


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def aged(path: Path, seconds: float) -> Path:
    """Make ``path`` look ``seconds`` old (its modification time in the past)."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


# -- crash-safe saves ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("broken", ["replace", "fsync"])
def test_interrupted_save_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch, broken):
    path = tmp_path / "s.json"
    save(sample_session(), path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, broken, boom)
    changed = make_session(Dataset([5.0], [6.0], "other"), degree=0, theta=[1.0])
    with pytest.raises(OSError, match="disk on fire"):
        save(changed, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert names_in(tmp_path) == ["s.json"]


def test_a_save_that_fails_while_writing_the_long_arrays_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    save(sample_session(), path)
    before = path.read_bytes()
    written = []
    real = session_module.session_chunks

    def failing_midway(document, view):
        for i, chunk in enumerate(real(document, view)):
            if i == 3:
                raise OSError(28, "No space left on device")
            written.append(chunk)
            yield chunk

    monkeypatch.setattr(session_module, "session_chunks", failing_midway)
    with pytest.raises(OSError, match="No space left"):
        save(packed_session(), path)
    assert len(written) == 3 and path.read_bytes() == before and names_in(tmp_path) == ["s.json"]


# -- symbolic links --------------------------------------------------------------------------------------------
needs_symlinks = pytest.mark.skipif(os.name != "posix", reason="symbolic links as POSIX makes them")


@needs_symlinks
@pytest.mark.parametrize("relative", [False, True])
def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path, relative):
    real_dir = tmp_path / "projects"
    real_dir.mkdir()
    target = real_dir / "work.json"
    save(sample_session(), target)
    target.chmod(0o600)
    link = tmp_path / "shortcut.json"
    link.symlink_to(os.path.relpath(target, tmp_path) if relative else target)
    pointed = os.readlink(link)

    changed = packed_session()
    save(changed, link)

    assert link.is_symlink() and os.readlink(link) == pointed  # still the same link
    assert_same(changed, load_session(target))  # the target holds the new session
    assert target.stat().st_mode & 0o777 == 0o600  # with its permissions
    assert names_in(tmp_path) == ["projects", "shortcut.json"]  # no temp file beside the link
    assert names_in(real_dir) == ["work.json"]  # nor beside the target


@needs_symlinks
def test_a_chain_of_links_and_a_link_to_nothing_yet(tmp_path):
    target = tmp_path / "real.json"
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    second.symlink_to(target)  # b → real.json (not there yet)
    first.symlink_to(second)  # a → b
    save(sample_session(), first)
    assert first.is_symlink() and second.is_symlink() and target.is_file()
    assert_same(sample_session(), load_session(first))


@needs_symlinks
def test_a_loop_of_links_is_refused_and_left_alone(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(OSError):
        save(sample_session(), a)
    assert a.is_symlink() and b.is_symlink() and names_in(tmp_path) == ["a.json", "b.json"]


# -- temp files of interrupted saves ---------------------------------------------------------------------------
def test_a_stale_temp_file_is_removed_by_the_next_save_and_a_fresh_one_is_left(tmp_path):
    path = tmp_path / "s.json"
    stale = tmp_path / ".s.json.0123456789ab.tmp"
    fresh = tmp_path / ".s.json.ba9876543210.tmp"  # a save in progress (another window): just written to
    for temp in (stale, fresh):
        temp.write_bytes(b'{"schema_version":2,"data')  # half a session
    aged(stale, atomic.STALE_AFTER_S + 5)
    save(sample_session(), path)
    assert not stale.exists()
    assert fresh.exists()
    assert names_in(tmp_path) == [".s.json.ba9876543210.tmp", "s.json"]


def test_only_the_apps_own_temp_files_of_this_file_are_removed(tmp_path):
    path = tmp_path / "run[1].json"  # a name with pattern characters
    ours = tmp_path / ".run[1].json.00ff00ff00ff.tmp"
    others = [
        tmp_path / ".run[1].json.backup.tmp",  # the user's own file, named alike
        tmp_path / ".run1.json.00ff00ff00ff.tmp",  # a temp file of another file ("[1]" as a pattern matches it)
        tmp_path / ".other.json.00ff00ff00ff.tmp",
        tmp_path / ".run[1].json.00FF00FF00FF.tmp",
    ]
    for temp in [ours, *others]:
        temp.write_text("left over")
        aged(temp, 3600)
    save(sample_session(), path)
    assert not ours.exists()
    assert all(temp.exists() for temp in others)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_save_killed_mid_write_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "s.json"
    save(sample_session(), path)
    before = path.read_bytes()
    # A process starts saving a big session and is killed (SIGKILL: no clean-up runs) while it writes.
    script = textwrap.dedent(f"""
        import os, signal
        from workbench.fitting.atomic import atomic_write_chunks
        def chunks():
            yield b'{{"schema_version": 2, "dataset": ' + b"1" * 1_000_000
            os.kill(os.getpid(), signal.SIGKILL)
        atomic_write_chunks({str(path)!r}, chunks())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == -signal.SIGKILL
    left = [p for p in tmp_path.iterdir() if p.name != "s.json"]
    assert len(left) == 1 and left[0].name.startswith(".s.json.") and left[0].stat().st_size > 1_000_000
    assert path.read_bytes() == before  # the killed save changed nothing
    save(sample_session(), path)  # soon after: the temp file might still be a save in progress
    assert left[0].exists()
    aged(left[0], atomic.STALE_AFTER_S + 1)
    save(sample_session(), path)  # later: it is the leftover of a save that never finished
    assert names_in(tmp_path) == ["s.json"]


# -- one size limit ----------------------------------------------------------------------------------------
def test_the_size_limit_is_the_same_for_saving_and_opening(tmp_path, monkeypatch):
    s = packed_session()
    path = tmp_path / "s.json"
    save(s, path)
    size = path.stat().st_size
    monkeypatch.setattr(session_module, "MAX_BYTES", size)  # exactly this session's size: it fits both ways
    save(s, path)
    assert_same(s, load_session(path))
    assert_same(s, session_from_json(path.read_bytes()))
    assert_same(s, session_from_json(path.read_text(encoding="utf-8")))

    monkeypatch.setattr(session_module, "MAX_BYTES", size - 1)  # one byte less: refused both ways
    with pytest.raises(SessionError, match="larger than .* MB, the most a session may be") as saving:
        save(s, tmp_path / "new.json")
    assert "the session being saved" in str(saving.value)
    with pytest.raises(SessionError, match="larger than") as opening:
        load_session(path)
    assert str(path) in str(opening.value)
    with pytest.raises(SessionError, match="larger than"):
        session_from_json(path.read_bytes())
    assert names_in(tmp_path) == ["s.json"]  # the refused save left nothing behind


def test_the_limit_counts_bytes_not_characters(monkeypatch):
    s = make_session(Dataset([0.0, 1.0], [1.0, 2.0], "ü" * 4000), degree=1, theta=[1.0, 1.0])
    text = to_json(s)
    monkeypatch.setattr(session_module, "MAX_BYTES", len(text.encode("utf-8")) - 1)
    assert len(text) * 4 > session_module.MAX_BYTES > len(text)
    with pytest.raises(SessionError, match="larger than"):
        session_from_json(text)


def test_the_limit_is_two_gibibytes_enough_for_ten_million_points():
    assert session_module.MAX_BYTES == 2 * 1024**3
    # base64 of three arrays of 10⁷ doubles (x, y, σ), with room for the rest
    assert session_module.MAX_BYTES / 4 > 3 * 10**7 * 8 * 4 / 3


# -- big sessions ------------------------------------------------------------------------------------------
def big_session(n: int):
    """A CO₂-like series of ``n`` points after a run of 10⁴ steps, as a window would save it."""
    rng = np.random.default_rng(n)
    x = np.sort(rng.uniform(1958.0, 2024.0, n))
    y = 315.0 + 1.5 * (x - 1958.0) + 3.0 * np.sin(2 * np.pi * x) + rng.standard_normal(n)
    losses = np.geomspace(1e3, 1.0, 10_000)
    return make_session(
        Dataset(x, y, "co2-like"),
        degree=3,
        basis=Basis("scaled", 1958.0, 2024.0),
        theta=[350.0, 50.0, 1.0, 0.1],
        settings=RunSettings("adam", 0.01, 10_000, 0.0),
        loss_history=[losses],
        val_history=[np.column_stack([np.arange(1.0, 10_001.0), losses * 1.1])],
        gd_trajectory=[np.full(4, v) for v in np.linspace(0.0, 1.0, 50)],
        view={"fit_view": [1958.0, 2024.0, 300.0, 430.0]},
    )


@sizes(1_000_000, 6_000_000, "n")
def test_a_big_session_saves_and_opens_bit_for_bit(tmp_path, n):
    s = big_session(n)
    path = tmp_path / "big.json"
    save(s, path)
    size = path.stat().st_size
    assert size < 16 * n * 4 / 3 + 500_000  # the points as base64 doubles, and little else
    assert size < session_module.MAX_BYTES
    assert_same(s, load_session(path))
    recovery = tmp_path / "recovery.json"  # the same session written as autosave writes it
    drive(SaveSessionTask(s.document, s.view, recovery))
    assert recovery.read_bytes() == path.read_bytes()


# -- reading piece by piece ------------------------------------------------------------------------------------
def test_reading_reports_progress_in_order_and_gives_the_session(tmp_path, monkeypatch):
    s = big_session(30_000)
    path = tmp_path / "s.json"
    save(s, path)
    monkeypatch.setattr(session_module, "READ_CHUNK", 64 * 1024)
    steps = read_steps(path)
    seen = []
    try:
        while True:
            seen.append(next(steps))
    except StopIteration as end:
        loaded = end.value
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] > 0 and fractions[-1] < 1
    assert [what for _, what in seen].count("reading") >= path.stat().st_size // (64 * 1024)
    assert [what for _, what in seen][-2:] == ["parsing", "checking"]
    assert_same(s, loaded)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_a_read_stopped_early_closes_the_file(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    save(big_session(30_000), path)
    monkeypatch.setattr(session_module, "READ_CHUNK", 4096)
    open_files = len(os.listdir("/proc/self/fd"))
    steps = read_steps(path)
    next(steps)
    next(steps)
    assert len(os.listdir("/proc/self/fd")) == open_files + 1
    steps.close()
    assert len(os.listdir("/proc/self/fd")) == open_files


def test_the_open_task_stops_between_pieces_and_gives_nothing(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    save(big_session(30_000), path)
    monkeypatch.setattr(session_module, "READ_CHUNK", 4096)
    context = TaskContext(interval=0.0)
    run = OpenSessionTask(path).run(context)
    first = next(run)
    assert 0 < first.fraction < 0.6 and first.what == "reading"
    context.sent()
    context.stop()
    with pytest.raises(StopIteration) as end:
        next(run)
    assert end.value.value is None


def test_the_open_task_reads_the_whole_session(tmp_path):
    s = packed_session()
    path = tmp_path / "s.json"
    save(s, path)
    assert_same(s, drive(OpenSessionTask(path)))


def test_the_open_task_says_why_a_file_is_refused(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"schema_version": 99}), encoding="utf-8")
    with pytest.raises(SessionError, match="newer version"):
        drive(OpenSessionTask(path))


def test_the_save_task_writes_the_session_and_reports_its_time(tmp_path):
    s = packed_session()
    path = tmp_path / "s.json"
    assert drive(SaveSessionTask(s.document, s.view, path)) >= 0
    assert_same(s, load_session(path))


def test_a_save_task_stopped_while_writing_leaves_the_old_file(tmp_path):
    path = tmp_path / "recovery.json"
    save(sample_session(), path)
    before = path.read_bytes()
    s = big_session(50_000)
    context = TaskContext()
    context.stop()  # (as a closing window does to the autosave it no longer wants)
    with pytest.raises(TaskStopped, match="stopped before"):
        drive(SaveSessionTask(s.document, s.view, path), context)
    assert path.read_bytes() == before and names_in(tmp_path) == ["recovery.json"]


def test_between_is_called_before_every_piece_and_may_abandon_the_save(tmp_path):
    path = tmp_path / "s.json"
    s = packed_session()
    calls = []
    save_session(s.document, s.view, path, between=lambda: calls.append(1))
    assert len(calls) == 2 * 8 + 1  # text before each of the 8 long arrays (x, y, σ, the basis's factor, a
    # history, steps and losses of its validation, its mini-batch losses), each array, and the text after the last

    def give_up():
        if len(calls) > 17 + 5:
            raise RuntimeError("enough")
        calls.append(1)

    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="enough"):
        save_session(packed_session().document, {"other": True}, path, between=give_up)
    assert path.read_bytes() == before and names_in(tmp_path) == ["s.json"]
