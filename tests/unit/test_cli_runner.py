"""The in-process runner of ``workbench fit`` the CLI tests use (tests/cli_runner.py) prints what
`python -m workbench fit` prints, for ordinary fits of every kind (these are also the end-to-end runs of the
real entry point), and it cannot hide what a process would show: a warning, a traceback, a process-wide
change."""

from __future__ import annotations

import json
import os
import sys
import warnings

import numpy as np
import pytest
from cli_runner import run_fit, run_fit_process

from workbench import cli
from workbench.paths import sample_paths

DECAY = "a*exp(-b*x) + c"


def sample(stem: str):
    return next(p for p in sample_paths() if p.stem == stem)


def without_timing(stdout: str) -> dict:
    report = json.loads(stdout)
    assert report.pop("elapsed_s") >= 0
    return report


@pytest.mark.parametrize(
    "args, code",
    [
        (("noisy_cubic",), 0),
        (("noisy_cubic", "--degree", "3", "--optimizer", "exact", "--bands", "0,0.5", "--json"), 0),
        (("co2_like_measurements", "--degree", "4", "--steps", "30", "--basis", "scaled"), 4),
        (("noisy_sine", "--lr", "10", "--basis", "monomial", "--json"), 3),
        (("noisy_cubic", "--model", DECAY), 0),
        (("noisy_cubic", "--model", DECAY, "--optimizer", "adam", "--steps", "200", "--json"), 4),
        (("noisy_cubic", "--degree", "16"), 2),
        (("--help",), 0),
    ],
    ids=["text", "json-exact-bands", "text-step-limit", "json-diverged", "formula", "formula-json-adam", "bad", "help"],
)
def test_in_process_prints_what_the_command_prints(args, code):
    args = (sample(args[0]), *args[1:]) if not args[0].startswith("-") else args
    process, in_process = run_fit_process(*args), run_fit(*args)
    assert process.returncode == code, process.stderr
    assert in_process.returncode == process.returncode
    assert in_process.stderr == process.stderr
    assert len(process.stderr.splitlines()) == (code != 0) and "Traceback" not in process.stderr
    if "--json" in args:
        assert without_timing(in_process.stdout) == without_timing(process.stdout)
    else:
        assert in_process.stdout == process.stdout
    assert bool(process.stdout) is (code != 2)  # bad input prints nothing; every other run its report


def test_a_warning_during_the_fit_is_printed_to_stderr_as_a_process_prints_it(monkeypatch):
    fit = cli._fit

    def fit_that_warns(args):
        np.log(np.array([-1.0]))  # outside the fit's errstate: a RuntimeWarning
        warnings.warn("a word from a library", UserWarning, stacklevel=1)
        return fit(args)

    monkeypatch.setattr(cli, "_fit", fit_that_warns)
    for _ in range(2):  # shown every run, not once per test session
        result = run_fit(sample("noisy_cubic"), "--optimizer", "exact")
        assert result.returncode == 0 and result.stdout
        assert "RuntimeWarning: invalid value encountered in log" in result.stderr
        assert "UserWarning: a word from a library" in result.stderr


def test_an_exception_escaping_the_command_fails_the_test_and_the_streams_come_back(monkeypatch):
    def broken(argv):
        print("half a line", file=sys.stderr)
        raise RuntimeError("the command let this through")

    streams = sys.stdin, sys.stdout, sys.stderr
    monkeypatch.setattr(cli, "fit_command", broken)
    with pytest.raises(AssertionError, match="raised RuntimeError.*traceback.*half a line"):
        run_fit("data.csv")
    assert (sys.stdin, sys.stdout, sys.stderr) == streams


def test_a_process_wide_change_fails_the_test_and_is_undone(monkeypatch, tmp_path):
    def careless(argv):
        os.environ["WORKBENCH_LEFT_BEHIND"] = "1"
        os.chdir(tmp_path)
        np.seterr(all="raise")
        warnings.simplefilter("ignore")
        return 0

    cwd, errors = os.getcwd(), np.geterr()
    monkeypatch.setattr(cli, "fit_command", careless)
    with pytest.raises(AssertionError) as failure:
        run_fit("data.csv")
    for what in ("the environment", "the working directory", "NumPy's error state", "the warnings filters"):
        assert what in str(failure.value)
    assert "WORKBENCH_LEFT_BEHIND" not in os.environ and os.getcwd() == cwd and np.geterr() == errors


def test_standard_input_is_what_the_test_gives_and_never_the_runners_own(tmp_path):
    result = run_fit("-", "--degree", "1", "--optimizer", "exact", "--json", stdin=b"x,y\n0,1\n1,3\n2,5\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["fitted"] == pytest.approx([1.0, 3.0, 5.0])
    empty = run_fit("-")
    assert empty.returncode == 2 and empty.stderr.startswith("error: standard input")
