"""Run ``workbench fit`` for a test, in this process (``run_fit``) or as a real process (``run_fit_process``).

Both return a ``subprocess.CompletedProcess`` with text ``stdout`` and ``stderr``, so a test reads the same
either way.  In this process is the default: a process costs ~0.25 s, nearly all of it importing NumPy and
the package, and the fit tests are many.  A real process is for what only a process shows: the exit code a
shell sees, pipes and standard input as a pipe, signals, memory limits, the environment, the entry point.

The in-process run is held to what a process would print: any warning the fit emits is written to the
captured stderr as the interpreter writes it (so a test that wants exactly one stderr line still fails),
an exception escaping ``fit_command`` fails the test (a process would print a traceback), and a fit that
changes anything process-wide (the environment, the working directory, NumPy's error state, the warnings
filters, …) fails the test too, after the change has been undone so that it cannot reach the next test.
"""

from __future__ import annotations

import io
import locale
import os
import random
import signal
import subprocess
import sys
import warnings

import numpy as np

from workbench import cli


def fit_command_line(*args) -> list[str]:
    """``python -m workbench fit ARGS``, as a command for ``subprocess``."""
    return [sys.executable, "-m", "workbench", "fit", *map(str, args)]


def run_fit_process(*args, stdin: bytes | None = None, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """``python -m workbench fit ARGS`` in a real process: ``stdin`` bytes in (a pipe), text out;
    ``kwargs`` go to ``subprocess.run`` (``env``, ``preexec_fn``, …)."""
    result = subprocess.run(fit_command_line(*args), input=stdin, capture_output=True, timeout=timeout, **kwargs)
    encoding = locale.getpreferredencoding(False)  # what the child writes with, and what text=True reads
    result.stdout, result.stderr = result.stdout.decode(encoding), result.stderr.decode(encoding)
    return result


def run_fit(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """``workbench fit ARGS`` in this process, captured as ``run_fit_process`` captures a process.

    ``stdin`` is what '-' reads (empty when not given, never the test runner's own input)."""
    argv = [str(a) for a in args]
    stdout, stderr = io.StringIO(), io.StringIO()
    before = _process_state()
    given_stdin = io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8")
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    escaped: Exception | None = None
    try:
        sys.stdin, sys.stdout, sys.stderr = given_stdin, stdout, stderr
        with warnings.catch_warnings():
            # Every warning is shown (the test run's "error" filter would turn it into an exception that
            # fit_command reports as an internal error) and printed to stderr, not recorded by pytest.
            warnings.simplefilter("default")
            warnings.showwarning = _print_warning
            filters = list(warnings.filters)
            try:
                code = cli.fit_command(argv)
            except SystemExit as exc:  # argparse's --help: the interpreter's exit status, no traceback
                code = _exit_status(exc)
            except Exception as exc:  # noqa: BLE001 - reported below, once the streams are back
                escaped = exc
            changed_filters = warnings.filters != filters
        streams_replaced = sys.stdout is not stdout or sys.stderr is not stderr
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        given_stdin.close()
    if escaped is not None:
        raise AssertionError(
            f"fit_command raised {type(escaped).__name__} instead of returning an exit code: "
            f"a process would print a traceback; stderr so far: {stderr.getvalue()!r}"
        ) from escaped
    changed = _restore_process_state(before)
    changed += ["the warnings filters"] if changed_filters else []
    changed += ["sys.stdout or sys.stderr"] if streams_replaced else []
    assert not changed, f"workbench fit {' '.join(argv)} changed {', '.join(changed)} for the whole process"
    return subprocess.CompletedProcess(["workbench", "fit", *argv], code, stdout.getvalue(), stderr.getvalue())


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """What the interpreter does with a warning it shows: its standard text on sys.stderr."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _exit_status(exc: SystemExit) -> int:
    """The status a process exits with for ``exc`` (as the interpreter maps ``SystemExit.code``)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _process_state() -> dict:
    """What a fit must leave as it found it, for the test runner and for a library user alike."""
    return {
        "the environment": dict(os.environ),
        "the working directory": os.getcwd(),
        "NumPy's error state": np.geterr(),
        "NumPy's print options": np.get_printoptions(),
        "NumPy's global random state": np.random.get_state(legacy=False),
        "Python's global random state": random.getstate(),
        "the SIGINT handler": signal.getsignal(signal.SIGINT),
    }


def _restore_process_state(before: dict) -> list[str]:
    """Put back whatever the fit changed; return the names of what it changed."""
    after = _process_state()
    changed = [name for name in before if not _same(before[name], after[name])]
    restore = {
        "the environment": lambda env: (os.environ.clear(), os.environ.update(env)),
        "the working directory": os.chdir,
        "NumPy's error state": lambda state: np.seterr(**state),
        "NumPy's print options": lambda options: np.set_printoptions(**options),
        "NumPy's global random state": np.random.set_state,
        "Python's global random state": random.setstate,
        "the SIGINT handler": lambda handler: signal.signal(signal.SIGINT, handler),
    }
    for name in changed:
        restore[name](before[name])
    return changed


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b
