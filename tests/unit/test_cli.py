"""`workbench fit FILE`: each test runs the command in this process through ``cli_runner.run_fit``, which
captures it as a process would be (test_cli_runner.py holds that to what `python -m workbench fit` prints).

Results are checked against independent NumPy computations (polyval, polyfit, lstsq), never against the
fitting code the command itself uses.  That the headless fit imports no Qt is checked in test_layering.py.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_fit

OPTIMIZERS = ("gd", "momentum", "nesterov", "adam", "cg", "lbfgs", "exact")
BASES = ("monomial", "scaled", "legendre", "orthonormal")
LOSSES = ("mse", "sse", "mae", "huber")
REQUIRED_KEYS = {
    "coefficients": list,
    "fitted": list,
    "loss": float,
    "exact_loss": float,
    "residual_sd": (float, type(None)),
    "r_squared": (float, type(None)),
    "steps": int,
    "stop_reason": str,
    "elapsed_s": float,
    "degree": int,
    "basis": str,
    "optimizer": str,
    "lr": (float, type(None)),
    "n_points": int,
}


# --- helpers ------------------------------------------------------------------------------------------


def run_json(*args, expect: int | tuple[int, ...] = 0) -> dict:
    """Run with --json, check the exit code (one, or one of several) and that stdout is exactly one JSON
    object; return it.  Exit 4 (stopped short of the optimum) must agree with ``reached_optimum``."""
    result = run_fit(*args, "--json")
    expected = expect if isinstance(expect, tuple) else (expect,)
    assert result.returncode in expected, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    report = json.loads(lines[0])
    if result.returncode in (0, 4):
        assert report["reached_optimum"] is (result.returncode == 0)
    return report


def write_csv(tmp_path: Path, x, y, name: str = "data.csv") -> Path:
    """An 'x,y' CSV holding repr() of every value (so the file round-trips to the same floats)."""
    path = tmp_path / name
    xs, ys = np.asarray(x, float).tolist(), np.asarray(y, float).tolist()
    rows = "".join(f"{a!r},{b!r}\n" for a, b in zip(xs, ys))
    path.write_text("x,y\n" + rows, encoding="utf-8")
    return path


def assert_bad_input(result: subprocess.CompletedProcess) -> str:
    """Exit 2, nothing on stdout, exactly one 'error: ' line on stderr and no traceback; returns that line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and len(lines[0]) > len("error: ") + 10
    return lines[0]


def x_near_zero() -> np.ndarray:
    """25 x values in [−1, 1] in a shuffled (not sorted) file order, so 'file order' means something."""
    return np.random.default_rng(7).permutation(np.linspace(-1.0, 1.0, 25))


def wavy_cubic(x: np.ndarray) -> np.ndarray:
    """A cubic plus a deterministic wiggle: no polynomial of low degree fits it exactly."""
    return 0.5 * x**3 - x**2 - 1.2 * x + 1.0 + 0.1 * np.sin(7.0 * x)


@pytest.fixture
def near_zero_file(tmp_path) -> tuple[Path, np.ndarray, np.ndarray]:
    x = x_near_zero()
    y = wavy_cubic(x)
    return write_csv(tmp_path, x, y), x, y


@pytest.fixture
def offset_file(tmp_path) -> tuple[Path, np.ndarray, np.ndarray]:
    """x in [10, 30], shuffled: harmless for a degree-3 fit by numpy.polyfit, but not centred on 0."""
    x = np.random.default_rng(3).permutation(np.linspace(10.0, 30.0, 21))
    y = 0.002 * x**3 - 0.1 * x**2 + 1.5 * x - 4.0 + 0.3 * np.cos(3.0 * x)
    return write_csv(tmp_path, x, y, "offset.csv"), x, y


def lstsq_fit(x: np.ndarray, y: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares monomial coefficients and fitted values by plain np.linalg.lstsq (small |x| only)."""
    design = np.vander(x, degree + 1, increasing=True)
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coefficients, design @ coefficients


def loss_of(kind: str, residuals: np.ndarray) -> float:
    """The four losses, written out independently (Huber with δ = 1, the CLI's default)."""
    r = np.asarray(residuals, dtype=float)
    a = np.abs(r)
    return float(
        {
            "mse": np.mean(r**2),
            "sse": np.sum(r**2),
            "mae": np.mean(a),
            "huber": np.mean(np.where(a <= 1.0, 0.5 * r**2, a - 0.5)),
        }[kind]
    )


# --- plain output ---------------------------------------------------------------------------------------


COEFFICIENT_ROW = r"^\s*k(\d+)\s+(\S+)\s+(\S+)\s+(\S+)$"


def test_plain_output_shows_every_coefficient_the_losses_the_gap_and_why_it_stopped(near_zero_file):
    path, _, _ = near_zero_file
    args = ("--degree", "4", "--steps", "300", "--basis", "scaled")
    result = run_fit(path, *args)
    assert result.returncode == 4, result.stderr  # 300 steps of plain GD in the scaled basis fall short
    assert result.stderr.startswith("warning: Reached the step limit") and len(result.stderr.splitlines()) == 1
    out = result.stdout
    rows = re.findall(COEFFICIENT_ROW, out, re.M)
    assert [int(r[0]) for r in rows] == list(range(5))
    coefficients = [float(r[1]) for r in rows]
    loss = float(re.search(r"^loss\s+(\S+)$", out, re.M).group(1))
    exact_loss, gap = map(float, re.search(r"^exact loss\s+(\S+)\s+\(gap (\S+)\)$", out, re.M).groups())
    steps, reason = re.search(r"^steps\s+(\d+)\s+\(stopped: (\w+)", out, re.M).groups()

    # The text says what --json says (to the digits it prints).
    report = run_json(path, *args, expect=4)
    np.testing.assert_allclose(coefficients, report["coefficients"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose([float(r[2]) for r in rows], report["standard_errors"], rtol=1e-3)
    np.testing.assert_allclose([float(r[3]) for r in rows], report["t_values"], rtol=1e-3)
    assert loss == pytest.approx(report["loss"], rel=1e-9)
    assert exact_loss == pytest.approx(report["exact_loss"], rel=1e-9)
    assert gap == pytest.approx(report["loss"] - report["exact_loss"], rel=1e-2)
    assert (int(steps), reason) == (report["steps"], report["stop_reason"])
    assert int(steps) == 300 and reason == "max_steps"
    assert "least-squares optimum's, not these coefficients" in out


def test_plain_output_of_the_exact_solve_has_zero_steps_and_zero_gap(near_zero_file):
    path, _, _ = near_zero_file
    result = run_fit(path, "--optimizer", "exact")
    assert result.returncode == 0 and result.stderr == ""
    assert len(re.findall(COEFFICIENT_ROW, result.stdout, re.M)) == 6  # default degree 5
    assert re.search(r"^exact loss\s+\S+\s+\(gap 0\)$", result.stdout, re.M)
    assert re.search(r"^steps\s+0\s+\(stopped: converged", result.stdout, re.M)


def test_default_run_reaches_the_optimum_and_says_so(near_zero_file):
    path, _, _ = near_zero_file
    result = run_fit(path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert re.search(
        r"^steps\s+\d\s+\(stopped: converged, the loss is within 1e-10 of the optimum\)$", result.stdout, re.M
    )
    assert "orthonormal basis" in result.stdout.splitlines()[0]


def test_help_lists_every_option():
    result = run_fit("--help")
    assert result.returncode == 0
    for option in ("--degree", "--optimizer", "--lr", "--steps", "--tol", "--basis", "--loss", "--json"):
        assert option in result.stdout


# --- --json: shape and independent checks of the numbers ------------------------------------------------


def test_json_has_every_required_key_with_the_right_type(near_zero_file):
    path, x, _ = near_zero_file
    report = run_json(
        path, "--degree", "3", "--steps", "200", "--optimizer", "momentum", "--basis", "legendre", expect=(0, 4)
    )
    for key, kind in REQUIRED_KEYS.items():
        assert key in report, key
        assert isinstance(report[key], kind) and not isinstance(report[key], bool), (key, report[key])
    assert len(report["coefficients"]) == 4 and len(report["fitted"]) == report["n_points"] == x.size
    assert all(isinstance(v, float) and math.isfinite(v) for v in report["coefficients"] + report["fitted"])
    assert (report["degree"], report["basis"], report["optimizer"]) == (3, "legendre", "momentum")
    assert report["lr"] > 0 and report["elapsed_s"] >= 0 and report["steps"] <= 200
    assert report["stop_reason"] in ("converged", "stalled", "max_steps")


@pytest.mark.parametrize("degree", [0, 1, 5, 15])
def test_coefficients_have_degree_plus_one_entries(near_zero_file, degree):
    path, x, _ = near_zero_file
    report = run_json(path, "--degree", degree, "--optimizer", "exact")
    assert report["degree"] == degree and len(report["coefficients"]) == degree + 1
    assert len(report["fitted"]) == x.size


@pytest.mark.parametrize("basis", BASES)
def test_fitted_are_the_coefficients_evaluated_at_the_data_x_in_file_order(near_zero_file, basis):
    path, x, _ = near_zero_file
    report = run_json(path, "--degree", "4", "--steps", "500", "--basis", basis, expect=(0, 4))
    independent = np.polynomial.polynomial.polyval(x, report["coefficients"])  # |x| ≤ 1: polyval is fine
    np.testing.assert_allclose(report["fitted"], independent, rtol=1e-12, atol=1e-12)


def test_exact_optimizer_matches_numpy_polyfit_away_from_zero(offset_file):
    path, x, y = offset_file
    report = run_json(path, "--degree", "3", "--optimizer", "exact")
    reference = np.polyfit(x, y, 3)
    np.testing.assert_allclose(report["coefficients"], reference[::-1], rtol=1e-7)
    np.testing.assert_allclose(report["fitted"], np.polyval(reference, x), rtol=1e-10, atol=1e-10)
    mse = float(np.mean((np.polyval(reference, x) - y) ** 2))
    assert report["exact_loss"] == pytest.approx(mse, rel=1e-8)
    assert report["loss"] == report["exact_loss"]
    assert (report["steps"], report["stop_reason"], report["lr"]) == (0, "converged", None)


def test_exact_loss_is_the_lstsq_mse(near_zero_file):
    path, x, y = near_zero_file
    report = run_json(path, "--degree", "5", "--steps", "20")
    _, fitted = lstsq_fit(x, y, 5)
    assert report["exact_loss"] == pytest.approx(float(np.mean((fitted - y) ** 2)), rel=1e-10)
    assert report["loss"] >= report["exact_loss"] * (1 - 1e-12)  # 20 steps cannot beat the optimum


@pytest.mark.parametrize("optimizer", ["gd", "exact"])
def test_r_squared_and_residual_sd_are_the_textbook_formulas(near_zero_file, optimizer):
    path, x, y = near_zero_file
    report = run_json(path, "--degree", "3", "--steps", "400", "--optimizer", optimizer, expect=(0, 4))
    residuals = np.asarray(report["fitted"]) - y
    rss = float(np.sum(residuals**2))
    assert report["residual_sd"] == pytest.approx(math.sqrt(rss / (x.size - 4)), rel=1e-10)
    assert report["r_squared"] == pytest.approx(1 - rss / float(np.sum((y - y.mean()) ** 2)), rel=1e-10)
    if optimizer == "exact":
        _, fitted = lstsq_fit(x, y, 3)
        np.testing.assert_allclose(report["fitted"], fitted, rtol=1e-10, atol=1e-12)


# --- every optimizer, basis and loss runs --------------------------------------------------------------


@pytest.mark.parametrize("basis", BASES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_in_every_basis_lowers_the_loss(near_zero_file, optimizer, basis):
    path, x, y = near_zero_file
    args = ("--degree", "3", "--optimizer", optimizer, "--basis", basis, "--steps", "1500")
    report = run_json(path, *args, expect=(0, 4))
    assert (report["optimizer"], report["basis"]) == (optimizer, basis)
    start = float(np.mean(y**2))  # the loss at the starting coefficients, all zero
    assert report["exact_loss"] <= report["loss"] * (1 + 1e-9) < 0.1 * start
    assert report["loss"] == pytest.approx(loss_of("mse", np.asarray(report["fitted"]) - y), rel=1e-9)
    assert report["stop_reason"] in ("converged", "stalled", "max_steps")
    if basis == "orthonormal":  # κ = 1: every optimiser's default gets there
        assert report["stop_reason"] == "converged" and report["reached_optimum"]
    if optimizer == "exact":
        assert report["loss"] == report["exact_loss"] and report["lr"] is None
    else:
        assert 1 <= report["steps"] <= 1500 and report["lr"] > 0


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("optimizer", ["gd", "adam", "exact"])
def test_every_loss_is_reported_as_that_loss_of_the_fitted_curve(near_zero_file, loss, optimizer):
    path, x, y = near_zero_file
    report = run_json(path, "--degree", "2", "--loss", loss, "--optimizer", optimizer, "--steps", "500", expect=(0, 4))
    residuals = np.asarray(report["fitted"]) - y
    assert report["loss"] == pytest.approx(loss_of(loss, residuals), rel=1e-9)
    # The exact optimum is least squares whatever the loss; its loss is the chosen loss there.
    _, fitted = lstsq_fit(x, y, 2)
    assert report["exact_loss"] == pytest.approx(loss_of(loss, fitted - y), rel=1e-9)
    assert report["loss"] < loss_of(loss, -y)  # better than the all-zero start


# --- stopping ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adam", "cg", "lbfgs"])
def test_tol_zero_runs_exactly_the_step_limit(near_zero_file, optimizer):
    path, _, _ = near_zero_file
    report = run_json(path, "--tol", "0", "--steps", "50", "--optimizer", optimizer, expect=(0, 4))
    assert (report["steps"], report["stop_reason"]) == (50, "max_steps")
    # Exit 0 only when the step limit found it at the optimum (within the default tolerance) anyway.
    assert report["reached_optimum"] is (report["relative_gap"] <= 1e-10 + 1e-14)


def test_default_tolerance_converges_before_the_step_limit(near_zero_file):
    path, _, _ = near_zero_file
    report = run_json(path, "--degree", "2", "--basis", "legendre", "--steps", "100000")
    assert report["stop_reason"] == "converged" and report["steps"] < 100000
    assert report["loss"] == pytest.approx(report["exact_loss"], rel=1e-10)


def test_zero_steps_leaves_the_starting_coefficients(near_zero_file):
    path, _, y = near_zero_file
    report = run_json(path, "--steps", "0", expect=4)
    assert report["steps"] == 0 and report["coefficients"] == [0.0] * 6
    assert report["loss"] == pytest.approx(float(np.mean(y**2)), rel=1e-12)


# --- divergence: exit 3, output still printed ---------------------------------------------------------

DIVERGE = ("--lr", "10", "--basis", "monomial", "--optimizer", "gd")


def test_diverging_run_exits_3_and_still_prints_its_report(near_zero_file):
    path, _, _ = near_zero_file
    result = run_fit(path, *DIVERGE)
    assert result.returncode == 3, result.stdout + result.stderr
    assert len(re.findall(COEFFICIENT_ROW, result.stdout, re.M)) == 6
    assert "stopped: diverged" in result.stdout and "exact loss" in result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "diverged" in lines[0]


def test_diverging_run_in_json_still_parses_with_finite_coefficients(near_zero_file):
    path, x, _ = near_zero_file
    result = run_fit(path, *DIVERGE, "--json")
    assert result.returncode == 3
    report = json.loads(result.stdout)
    assert report["stop_reason"] == "diverged"
    assert len(report["coefficients"]) == 6 and len(report["fitted"]) == x.size
    assert all(math.isfinite(v) for v in report["coefficients"] + report["fitted"] + [report["loss"]])
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr


# --- bad input: exit 2, one 'error: ' line ---------------------------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty"),
        (b"# only a comment\n\n", "no data rows"),
        (b"x,y\n", "no data rows"),
        (b"x,y\n1,2\n3,abc\n", "line 3"),
        (b"x,y\n1,2\n3,4,5\n5,6\n", "line 3"),
        (b"x,y\n1,2\n3,nan\n", "line 3"),
        (b"x,y\n1,2\n-inf,4\n", "line 3"),
        (b"1\n2\n3\n", "column"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "line 3: a NUL byte"),
    ],
    ids=[
        "empty",
        "comments-only",
        "header-only",
        "non-numeric",
        "column-count",
        "nan",
        "inf",
        "one-column",
        "binary",
        "png",
    ],
)
def test_bad_file_content(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    line = assert_bad_input(run_fit(path))
    assert expected in line and "bad.csv" in line


def test_non_numeric_cell_message_names_line_column_and_value(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x,y\n1,2\n2,3\n3,abc\n", encoding="utf-8")
    line = assert_bad_input(run_fit(path, "--json"))
    assert "line 4" in line and "column 2" in line and "'abc'" in line


def test_missing_file(tmp_path):
    line = assert_bad_input(run_fit(tmp_path / "nowhere.csv"))
    assert "nowhere.csv" in line


def test_directory_instead_of_a_file(tmp_path):
    assert_bad_input(run_fit(tmp_path))


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--degree", "16"], "--degree"),
        (["--degree", "-1"], "--degree"),
        (["--degree", "2.5"], "--degree"),
        (["--lr", "0"], "--lr"),
        (["--lr", "-1"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "inf"], "--lr"),
        (["--lr", "fast"], "--lr"),
        (["--steps", "-5"], "--steps"),
        (["--tol", "-1"], "--tol"),
        (["--tol", "nan"], "--tol"),
        (["--optimizer", "sgd"], "--optimizer"),
        (["--basis", "chebyshev"], "--basis"),
        (["--loss", "l1"], "--loss"),
        (["--frobnicate"], "--frobnicate"),
        (["second.csv"], "second.csv"),
    ],
)
def test_bad_option_values(near_zero_file, args, expected):
    path, _, _ = near_zero_file
    line = assert_bad_input(run_fit(path, *args))
    assert expected in line


def test_missing_file_argument():
    line = assert_bad_input(run_fit())
    assert "file" in line


def test_bad_option_is_reported_before_the_file_is_read(tmp_path):
    line = assert_bad_input(run_fit(tmp_path / "nowhere.csv", "--degree", "99"))
    assert "--degree" in line


# --- degree too high for the data ----------------------------------------------------------------------


def test_degree_above_points_minus_one_interpolates_with_a_note(tmp_path):
    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 5.0])
    path = write_csv(tmp_path, x, y)
    for optimizer in ("exact", "gd"):
        report = run_json(path, "--degree", "5", "--optimizer", optimizer)
        assert len(report["coefficients"]) == 6 and report["degree"] == 5
        np.testing.assert_allclose(report["fitted"], y, atol=1e-8)  # through every point
        np.testing.assert_allclose(np.polynomial.polynomial.polyval(x, report["coefficients"]), y, atol=1e-7)
        assert report["exact_loss"] < 1e-20 and report["residual_sd"] is None
        assert "3 distinct x values" in report["note"]
    result = run_fit(path, "--degree", "5", "--optimizer", "exact")
    assert result.returncode == 0 and result.stderr == ""
    assert re.search(
        r"^note: degree 5 has 6 coefficients but the data has only 3 distinct x values", result.stdout, re.M
    )


def test_degree_equal_to_points_minus_one_is_called_an_interpolation(tmp_path):
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    y = np.array([0.3, -0.2, 0.9, 0.1, -0.4])
    path = write_csv(tmp_path, x, y)
    report = run_json(path, "--degree", "4", "--optimizer", "exact")
    np.testing.assert_allclose(report["fitted"], y, atol=1e-12)
    assert report["residual_sd"] is None and "passes through every point" in report["note"]
    assert run_json(path, "--degree", "3", "--optimizer", "exact")["note"] is None


def test_a_single_point_is_fitted_by_a_constant_through_it(tmp_path):
    path = write_csv(tmp_path, [2.0], [7.0])
    report = run_json(path, "--degree", "0", "--optimizer", "exact")
    assert report["coefficients"] == pytest.approx([7.0]) and report["fitted"] == pytest.approx([7.0])
    assert report["r_squared"] is None and report["residual_sd"] is None


# --- numbers beyond double precision: refused, not a traceback ------------------------------------------


@pytest.mark.parametrize(
    "x, y, args, expected",
    [
        ([0.0, 1.0, 2.0, 3.0], [1e200, 2e200, 3e200, 1e200], [], "rescale"),
        ([0.0, 1.0, 2.0, 3.0], [1e200, 2e200, 3e200, 1e200], ["--optimizer", "exact"], "rescale"),
        ([0.0, 1.0, 2.0], [1e300, -1e308, 1e308], [], "rescale"),
        ([1e-100, 2e-100, 3e-100, 4e-100, 5e-100, 6e-100, 7e-100], [1, 2, 3, 1, 1, 1, 2], [], "rescale"),
        (
            [1e200, 2e200, 3e200, 4e200, 5e200, 6e200, 7e200],
            [1, 2, 3, 1, 1, 1, 2],
            ["--basis", "monomial"],
            "--basis orthonormal",
        ),
    ],
    ids=["huge-y", "huge-y-exact", "max-y", "tiny-x", "huge-x-monomial"],
)
def test_data_beyond_double_range_is_refused_in_one_line(tmp_path, x, y, args, expected):
    path = write_csv(tmp_path, x, y)
    for extra in ([], ["--json"]):
        line = assert_bad_input(run_fit(path, *args, *extra))
        assert expected in line


# --- the default learning rate is stable ---------------------------------------------------------------


def _sample_paths():
    from workbench.paths import sample_paths

    return sample_paths()


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
@pytest.mark.parametrize("path", _sample_paths(), ids=lambda p: p.stem)
def test_default_learning_rate_never_diverges_on_a_sample(path, optimizer):
    # Nesterov's limit is 2(1+β)/((1+2β)·λ_max), not gd's 2/λ_max: 0.9 × the latter diverged everywhere.
    report = run_json(path, "--optimizer", optimizer, "--steps", "2000")
    y = np.loadtxt(path, delimiter=",", skiprows=2)[:, 1]  # a comment line, then the x,y header
    assert report["stop_reason"] in ("converged", "max_steps")
    assert report["exact_loss"] * (1 - 1e-9) <= report["loss"]
    assert report["loss"] - report["exact_loss"] < 1e-3 * float(np.mean(y**2))  # close to the optimum


# --- far from 0: conversions between bases must never pass through rounded powers of x ------------------


@pytest.mark.parametrize(
    "args",
    [["--degree", "12", "--steps", "300"], ["--degree", "10", "--optimizer", "exact", "--basis", "legendre"]],
    ids=["gd-scaled-12", "exact-legendre-10"],
)
def test_fitted_values_are_the_reported_loss_on_the_co2_sample_at_high_degree(args):
    path = next(p for p in _sample_paths() if p.stem == "co2_like_measurements")
    y = np.loadtxt(path, delimiter=",", skiprows=2)[:, 1]
    report = run_json(path, *args)
    assert loss_of("mse", np.asarray(report["fitted"]) - y) == pytest.approx(report["loss"], rel=1e-6)
    assert report["r_squared"] > 0.99


# --- conditioning facts and the warning on powers-of-x coefficients ----------------------------------------


def test_json_reports_the_stability_limit_and_condition_number_of_the_chosen_basis(near_zero_file):
    path, x, _ = near_zero_file
    report = run_json(str(path), "--degree", "3", "--basis", "monomial", "--optimizer", "exact")
    X = np.vander(x, 4, increasing=True)
    eig = np.linalg.eigvalsh(2.0 / x.size * X.T @ X)
    assert report["max_stable_lr"] == pytest.approx(2.0 / eig[-1], rel=1e-9)
    assert report["condition_number"] == pytest.approx(eig[-1] / eig[0], rel=1e-6)


def test_far_from_zero_the_report_warns_that_printed_coefficients_lose_the_curve(tmp_path):
    x = 1000.0 + np.linspace(0.0, 50.0, 60)
    y = np.sin((x - 1000.0) / 8.0)
    report = run_json(str(write_csv(tmp_path, x, y)), "--degree", "7", "--optimizer", "exact")
    assert report["note"] and "far from 0" in report["note"]
    # ...while the fitted values, computed in the stable basis, are the least-squares fit.
    t = (x - 1025.0) / 25.0
    reference = np.polynomial.legendre.legval(t, np.polynomial.legendre.legfit(t, y, 7))
    np.testing.assert_allclose(report["fitted"], reference, rtol=0, atol=1e-9)


def test_near_zero_no_warning_about_coefficients(near_zero_file):
    path, _, _ = near_zero_file
    assert run_json(str(path), "--degree", "3", "--optimizer", "exact")["note"] is None


def test_the_app_without_a_display_says_why_instead_of_aborting():
    import os
    import sys as _sys

    if not _sys.platform.startswith("linux"):
        pytest.skip("the check is for Linux desktops")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([_sys.executable, "-m", "workbench"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "no display found" in result.stderr and "workbench fit" in result.stderr
    assert "Traceback" not in result.stderr
