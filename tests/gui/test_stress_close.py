"""Stress: close the window during a run, again and again, each time in a fresh process.

A QThread destroyed while it runs aborts the process, and a late signal into a deleted widget prints a
warning: so every process must exit 0 with nothing on stderr but the offscreen plugin's own noise.
The script is the single-run one of test_main_window_runs.py (it answers the "save changes?" prompt);
here it closes at a different moment of the run each time, from the first payload to a few seconds in.
"""

from __future__ import annotations

import os
import subprocess
import sys

from stress_helpers import sizes
from test_main_window_runs import CLOSE_DURING_RUN, OFFSCREEN_NOISE, REPO

PARALLEL = 2  # processes at once (the CI machine has two cores)


def _script(close_after_ms: int) -> str:
    """The close-during-a-run script, closing ``close_after_ms`` after the start."""
    timer = "QTimer.singleShot(300, close)"
    assert timer in CLOSE_DURING_RUN, "the script's close timer moved: update this test"
    return CLOSE_DURING_RUN.replace(timer, f"QTimer.singleShot({close_after_ms}, close)")


def _check(done: subprocess.CompletedProcess, close_after_ms: int) -> None:
    report = (
        f"closing after {close_after_ms} ms: exit code {done.returncode}\nstdout:\n{done.stdout}\n"
        f"stderr:\n{done.stderr}"
    )
    assert done.returncode == 0, report
    assert "running at close: True" in done.stdout, report
    assert "running after close: False" in done.stdout, report
    assert "event loop ended: 0" in done.stdout, report
    noise = [line for line in done.stderr.splitlines() if line.strip() and line.strip() != OFFSCREEN_NOISE]
    assert noise == [], report


@sizes(3, 20, "closes")
def test_closing_during_a_run_always_exits_cleanly(closes):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    delays = [0, 300, 1500] + [int(ms) for ms in (37 * k % 2000 for k in range(1, closes))]
    delays = delays[:closes]
    for start in range(0, closes, PARALLEL):
        batch = delays[start : start + PARALLEL]
        scripts = [_script(ms) for ms in batch]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=REPO,
            )
            for script in scripts
        ]
        results = []
        for proc in procs:
            try:
                out, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                err += "\n(killed after 60 s: the process hung)"
            results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
        for done, ms in zip(results, batch):
            _check(done, ms)
