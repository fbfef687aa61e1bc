"""`workbench fit`: the complete --json (standard errors, covariance, t values, adjusted R², dof, RMSE, χ²,
--bands) checked against independent NumPy computations on x near 0, and the faults a command meets — a
full disk, a closed pipe, Ctrl+C, too little memory — each one line and an exit code, never a traceback.
The --json cases run the command in this process (``cli_runner.run_fit``); the faults run it as a real
process, the only place they happen."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_runner import fit_command_line, run_fit

T_975_20 = 2.0859634472658364  # Student t, 97.5 %, 20 degrees of freedom
T_95_20 = 1.7247182429207868  # 95 %, 20 degrees of freedom


def child_defaults() -> None:
    """Ctrl+C as a terminal delivers it, whatever the test runner did with SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def sample(tmp_path) -> tuple[Path, np.ndarray, np.ndarray]:
    """25 points on [−1, 1] (monomials are fine there): degree 4 leaves 20 degrees of freedom."""
    rng = np.random.default_rng(21)
    x = np.sort(rng.uniform(-1.0, 1.0, 25))
    y = 2.0 - x + 0.5 * x**2 + 0.3 * x**3 + rng.normal(0, 0.1, x.size)
    path = tmp_path / "sample.csv"
    path.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(x.tolist(), y.tolist())))
    return path, x, y


def fit_json(*args) -> dict:
    result = run_fit(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def classic(x, y, degree):
    """The textbook least squares on raw powers: coefficients, covariance s²(XᵀX)⁻¹, s, dof, h(x)."""
    X = np.vander(x, degree + 1, increasing=True)
    inverse = np.linalg.inv(X.T @ X)
    coefficients = inverse @ X.T @ y
    residuals = X @ coefficients - y
    dof = x.size - degree - 1
    s2 = float(residuals @ residuals) / dof
    return coefficients, s2 * inverse, np.sqrt(s2), dof, inverse, residuals


# -- --json ------------------------------------------------------------------------------------------------
def test_json_has_the_statistics_in_coefficient_order(sample):
    path, x, y = sample
    out = fit_json(path, "--degree", "4")
    coefficients, covariance, s, dof, _, residuals = classic(x, y, 4)
    np.testing.assert_allclose(out["exact_coefficients"], coefficients, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["standard_errors"], np.sqrt(np.diag(covariance)), rtol=1e-9)
    np.testing.assert_allclose(out["covariance"], covariance, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(out["t_values"], coefficients / np.sqrt(np.diag(covariance)), rtol=1e-9)
    rss = float(residuals @ residuals)
    r2 = 1 - rss / float(np.sum((y - y.mean()) ** 2))
    assert out["dof"] == dof == 20
    assert out["rmse"] == pytest.approx(np.sqrt(rss / x.size), rel=1e-9)
    assert out["residual_sd"] == pytest.approx(s, rel=1e-9)
    assert out["adjusted_r_squared"] == pytest.approx(1 - (1 - r2) * (x.size - 1) / dof, rel=1e-9)
    assert out["residual_units"] == "y" and "chi_squared" not in out and "reduced_chi_squared" not in out
    assert len(out["standard_errors"]) == len(out["coefficients"]) == 5


def test_json_has_chi_squared_when_sigma_is_given(tmp_path, sample):
    _, x, y = sample
    sigma = 0.05 + 0.1 * np.abs(x)
    path = tmp_path / "weighted.csv"
    rows = zip(x.tolist(), y.tolist(), sigma.tolist())
    path.write_text("x,y,s\n" + "".join(f"{a!r},{b!r},{c!r}\n" for a, b, c in rows))
    out = fit_json(path, "--degree", "4", "--sigma-column", "2")
    w = 1 / sigma**2
    X = np.vander(x, 5, increasing=True)
    coefficients = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))
    chi2 = float(np.sum(w * (X @ coefficients - y) ** 2))
    assert out["chi_squared"] == pytest.approx(chi2, rel=1e-9)
    assert out["reduced_chi_squared"] == pytest.approx(chi2 / 20, rel=1e-9)
    assert out["residual_sd"] == pytest.approx(np.sqrt(chi2 / 20), rel=1e-9) and out["residual_units"] == "sigma"


@pytest.mark.parametrize("level, t", [(0.95, T_975_20), (0.9, T_95_20)])
def test_bands_are_the_textbook_intervals(sample, level, t):
    path, x, y = sample
    x_new = np.array([-1.2, -0.5, 0.0, 0.33, 1.0])
    out = fit_json(path, "--degree", "4", "--bands=" + ",".join(map(repr, x_new.tolist())), "--level", level)
    coefficients, _, s, _, inverse, _ = classic(x, y, 4)
    phi = np.vander(x_new, 5, increasing=True)
    h = np.einsum("ij,jk,ik->i", phi, inverse, phi)
    fitted = phi @ coefficients
    band = out["bands"]
    assert band["x"] == x_new.tolist() and band["level"] == level
    np.testing.assert_allclose(band["fitted"], fitted, rtol=1e-10)
    np.testing.assert_allclose(band["confidence_high"], fitted + t * s * np.sqrt(h), rtol=1e-9)
    np.testing.assert_allclose(band["confidence_low"], fitted - t * s * np.sqrt(h), rtol=1e-9)
    np.testing.assert_allclose(band["prediction_high"], fitted + t * s * np.sqrt(1 + h), rtol=1e-9)
    np.testing.assert_allclose(band["prediction_low"], fitted - t * s * np.sqrt(1 + h), rtol=1e-9)
    assert "prediction_sigma" not in band


def test_a_negative_first_band_value_and_bad_band_values(sample):
    path, _, _ = sample
    assert fit_json(path, "--degree", "2", "--bands=-0.5,0.5")["bands"]["x"] == [-0.5, 0.5]
    for bad, word in (("1,abc", "abc"), ("1,,2", "''"), ("inf", "finite")):
        result = run_fit(path, "--bands", bad)
        assert result.returncode == 2 and result.stdout == "" and word in result.stderr
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: --bands")
    result = run_fit(path, "--level", "95")
    assert result.returncode == 2 and "--level" in result.stderr


def test_statistics_of_a_non_least_squares_loss_say_why_they_are_missing(sample):
    path, _, _ = sample
    result = run_fit(path, "--loss", "mae", "--bands", "0", "--json")
    out = json.loads(result.stdout)
    assert out["standard_errors"] is None and out["covariance"] is None and out["t_values"] is None
    assert "MAE" in out["standard_errors_unavailable"] and "MAE" in out["bands"]["unavailable"]


def test_plain_output_prints_the_coefficient_table_with_standard_errors(sample):
    path, _, _ = sample
    result = run_fit(path, "--degree", "2")
    out = fit_json(path, "--degree", "2")
    rows = re.findall(r"^\s*k(\d)\s+(\S+)\s+(\S+)\s+(\S+)$", result.stdout, re.M)
    assert [int(r[0]) for r in rows] == [0, 1, 2]
    np.testing.assert_allclose([float(r[2]) for r in rows], out["standard_errors"], rtol=1e-3)
    assert "std. error" in result.stdout and "t value" in result.stdout


# -- faults ------------------------------------------------------------------------------------------------
def assert_one_error_line(result_stderr: str, *words: str) -> None:
    assert "Traceback" not in result_stderr
    lines = result_stderr.splitlines()
    assert len(lines) == 1, result_stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("json_output", [False, True])
def test_a_full_disk_is_one_error_line_and_exit_1(sample, json_output):
    path, _, _ = sample
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            fit_command_line(path, *(["--json"] if json_output else [])), stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "cannot write the output", "No space left on device")


def test_a_closed_pipe_is_one_error_line_and_exit_1(sample):
    path, _, _ = sample
    process = subprocess.Popen(
        fit_command_line(path, "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # the reader is gone before the command writes anything
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    assert_one_error_line(stderr, "cannot write the output", "pipe")


def wait_for_library(pid: int, name: str, timeout_s: float = 60.0) -> None:
    """Wait until the process has loaded a shared library whose path contains ``name`` (Linux)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if name in Path(f"/proc/{pid}/maps").read_text():
                return
        except OSError:
            pass
        time.sleep(0.005)
    raise AssertionError(f"the command never loaded {name}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches /proc to time the interrupt")
@pytest.mark.parametrize(
    "library, settle_s",
    [("_multiarray_umath", 0.0), ("_umath_linalg", 0.5)],
    ids=["while-importing", "while-running"],
)
def test_ctrl_c_says_interrupted_and_exits_130(sample, library, settle_s):
    """Interrupted as NumPy loads (the command's own start-up) and in the middle of a long run."""
    path, _, _ = sample
    process = subprocess.Popen(
        fit_command_line(path, "--basis", "monomial", "--tol", "0", "--steps", "1000000000"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=child_defaults,
    )
    wait_for_library(process.pid, library)
    time.sleep(settle_s)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr == "interrupted\n" and stdout == ""


def test_out_of_memory_is_one_line_and_exit_1(tmp_path):
    """A million points at degree 15 under an address-space limit a little above what the imports need."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 100, 1_000_000))
    path = tmp_path / "big.csv"
    np.savetxt(path, np.column_stack([x, np.sin(x)]), delimiter=",", fmt="%.10g")
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import workbench.fitting.problem, workbench.cli; print(open('/proc/self/status').read())",
        ],
        capture_output=True,
        text=True,
    )
    peak_kib = int(re.search(r"VmPeak:\s+(\d+) kB", probe.stdout).group(1))
    limit = (peak_kib + 150 * 1024) * 1024

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = subprocess.run(
        fit_command_line(path, "--degree", "15"), capture_output=True, text=True, preexec_fn=limited, timeout=300
    )
    assert result.returncode == 1 and result.stdout == ""
    assert_one_error_line(result.stderr, "out of memory")
