"""σ weights in and out: the Dataset's σ column through edits, files, `workbench fit --sigma-column` and
session files.  Numbers from the command are checked against NumPy lstsq on rows scaled by 1/σ."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from session_strategies import make_document

from workbench.fitting.data import DataError, Dataset, load_dataset, save_dataset
from workbench.state.session import SessionError, session_from_json, session_to_json


def weighted() -> Dataset:
    return Dataset([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 6.0], "w", sigma=[0.1, 0.4, 0.2, 1.0])


# -- the Dataset -----------------------------------------------------------------------------------------
def test_sigma_is_a_read_only_float_copy_and_weights_are_inverse_squares():
    values = np.array([1.0, 2.0])
    data = Dataset([0, 1], [2, 3], sigma=values)
    values[0] = 99.0
    assert data.sigma.dtype == np.float64 and data.sigma[0] == 1.0
    with pytest.raises(ValueError):
        data.sigma[0] = 5.0
    np.testing.assert_array_equal(data.weights, [1.0, 0.25])
    assert not data.weights.flags.writeable
    assert Dataset([0], [1]).sigma is None and Dataset([0], [1]).weights is None


@pytest.mark.parametrize(
    "sigma, message",
    [
        ([1.0], r"sigma has 1 values but there are 2 points"),
        ([1.0, 0.0], r"sigma\[1\] = 0\.0 is not greater than 0"),
        ([-2.0, 1.0], r"sigma\[0\] = -2\.0 is not greater than 0"),
        ([1.0, np.inf], r"sigma\[1\] is inf, not a finite number"),
        ([1e-170, 1.0], r"sigma\[0\] = 1e-170 is out of range: its weight 1/σ² overflows"),
        ([1.0, 1e170], r"sigma\[1\] = 1e\+170 is out of range: its weight 1/σ² underflows"),
        ([[1.0, 2.0]], r"1-D"),
        (["a", "b"], r"numbers"),
    ],
)
def test_bad_sigma_is_refused_naming_index_and_value(sigma, message):
    with pytest.raises(DataError, match=message):
        Dataset([0.0, 1.0], [2.0, 3.0], sigma=sigma)


def test_edits_keep_sigma_consistent():
    data = weighted()
    added = data.with_point(4.0, 7.0)
    assert added.sigma[-1] == np.median([0.1, 0.4, 0.2, 1.0]) == data.default_sigma
    np.testing.assert_array_equal(added.sigma[:-1], data.sigma)
    np.testing.assert_array_equal(data.with_point(4.0, 7.0, sigma=0.3).sigma, [0.1, 0.4, 0.2, 1.0, 0.3])
    both = data.with_points([5.0, 6.0], [1.0, 2.0], sigmas=[0.5, 0.6])
    np.testing.assert_array_equal(both.sigma, [0.1, 0.4, 0.2, 1.0, 0.5, 0.6])
    np.testing.assert_array_equal(data.with_points([5.0, 6.0], [1.0, 2.0]).sigma[-2:], [data.default_sigma] * 2)
    np.testing.assert_array_equal(data.without_point(1).sigma, [0.1, 0.2, 1.0])
    moved = data.with_point_moved(2, 9.0, 9.0)
    np.testing.assert_array_equal(moved.sigma, data.sigma)
    assert data.n == 4 and data.sigma.size == 4  # the original is untouched


def test_adding_to_an_emptied_weighted_dataset_uses_sigma_one():
    empty = Dataset([1.0], [2.0], sigma=[0.5]).without_point(0)
    assert empty.sigma is not None and empty.sigma.size == 0
    assert empty.with_point(3.0, 4.0).sigma.tolist() == [1.0]


def test_bad_sigma_in_edits_is_refused_and_changes_nothing():
    data = weighted()
    with pytest.raises(DataError, match=r"sigmas\[1\] = -1\.0 is not greater than 0"):
        data.with_points([5.0, 6.0], [1.0, 2.0], sigmas=[0.5, -1.0])
    with pytest.raises(DataError, match="sigmas has 1 values for 2 new points"):
        data.with_points([5.0, 6.0], [1.0, 2.0], sigmas=[0.5])
    with pytest.raises(DataError, match="this dataset has no σ column"):
        Dataset([0.0], [1.0]).with_point(1.0, 2.0, sigma=0.5)
    with pytest.raises(DataError, match="xs has 2 values but ys has 1"):
        data.with_points([5.0, 6.0], [1.0])
    assert data == weighted()


def test_with_sigma_returns_a_copy():
    data = weighted()
    plain = data.with_sigma(None)
    assert plain.sigma is None and data.sigma is not None
    np.testing.assert_array_equal(plain.x, data.x)
    np.testing.assert_array_equal(plain.with_sigma([1, 2, 3, 4]).sigma, [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(DataError, match="sigma has 2 values"):
        data.with_sigma([1.0, 2.0])


def test_equality_and_hash_include_sigma():
    assert weighted() == weighted() and hash(weighted()) == hash(weighted())
    assert weighted() != weighted().with_sigma(None)
    assert weighted() != weighted().with_sigma([0.1, 0.4, 0.2, 0.9])
    assert weighted().with_sigma(None) == dataclasses.replace(weighted(), sigma=None)
    assert Dataset([0.0], [1.0], sigma=[1.0]) != Dataset([0.0], [1.0])


# -- files -----------------------------------------------------------------------------------------------
positive = st.floats(min_value=1e-154, max_value=1e154)
finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(finite, finite, positive), min_size=1, max_size=30))
def test_save_then_load_with_sigma_is_bit_exact(points):
    data = Dataset(*zip(*[(p[0], p[1]) for p in points]), name="s", sigma=[p[2] for p in points])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.csv"
        save_dataset(data, path)
        assert path.read_text().splitlines()[0] == "x,y,sigma"
        again = load_dataset(path, sigma_column=2)
    assert again == data and again.sigma.tobytes() == data.sigma.tobytes()


def test_load_picks_the_sigma_column(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("s\tx\ty\n0.5\t1\t2\n0.25\t3\t4\n")
    data = load_dataset(path, x_column=1, y_column=2, sigma_column=0)
    assert data.x.tolist() == [1.0, 3.0] and data.sigma.tolist() == [0.5, 0.25]
    assert load_dataset(path, x_column=1, y_column=2).sigma is None


def test_non_positive_sigma_names_file_line_and_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("# measured today\nx,y,err\n\n1,2,0.5\n# a comment\n3,4,-0.25\n5,6,0\n")
    with pytest.raises(DataError) as info:
        load_dataset(path, sigma_column=2)
    err = info.value
    assert (err.line, err.column) == (6, 3)
    assert str(err).startswith(f"{path}, line 6, column 3: σ in column 'err' = -0.25 is not greater than 0")


@pytest.mark.parametrize(
    "column, message",
    [
        (3, r"σ column index 3 is out of range: the file has 3 columns"),
        (-1, r"σ column index -1 is out of range"),
        (1, r"σ column index 1 is also the y column"),
        (0, r"σ column index 0 is also the x column"),
    ],
)
def test_bad_sigma_column_is_refused(tmp_path, column, message):
    path = tmp_path / "d.csv"
    path.write_text("1,2,0.5\n3,4,0.5\n")
    with pytest.raises(DataError, match=message):
        load_dataset(path, sigma_column=column)


def test_unweighted_save_keeps_the_xy_header(tmp_path):
    path = tmp_path / "d.csv"
    save_dataset(weighted().with_sigma(None), path)
    assert path.read_text().splitlines()[0] == "x,y"


# -- workbench fit --sigma-column ------------------------------------------------------------------------
def run_fit(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "fit", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def weighted_file(tmp_path):
    rng = np.random.default_rng(3)
    x = np.linspace(-1.0, 1.0, 30)
    sigma = np.exp(rng.uniform(-3.0, 0.5, x.size))
    y = 1.0 - 2.0 * x + 0.5 * x**2 + 0.3 * np.sin(6 * x) + sigma * rng.normal(0, 1, x.size)
    path = tmp_path / "w.csv"
    rows = zip(sigma.tolist(), x.tolist(), y.tolist())
    path.write_text("sigma,x,y\n" + "".join(f"{s!r},{a!r},{b!r}\n" for s, a, b in rows))
    return path, x, y, sigma


def test_fit_with_sigma_column_is_weighted_least_squares(weighted_file):
    path, x, y, sigma = weighted_file
    result = run_fit(
        path, "--x-column", 1, "--y-column", 2, "--sigma-column", 0, "--degree", 2, "--optimizer", "exact", "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = np.vander(x, 3, increasing=True) / sigma[:, None]
    beta, *_ = np.linalg.lstsq(rows, y / sigma, rcond=None)
    chi2 = float(np.sum((rows @ beta - y / sigma) ** 2))
    w = 1 / sigma**2
    tss = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))
    assert report["weighted"] is True and report["sigma_column"] == 0
    np.testing.assert_allclose(report["coefficients"], beta, rtol=1e-10)
    assert report["loss"] == pytest.approx(chi2 / x.size, rel=1e-10)
    assert report["r_squared"] == pytest.approx(1 - chi2 / tss, rel=1e-10)
    assert report["residual_sd"] == pytest.approx(np.sqrt(chi2 / (x.size - 3)), rel=1e-10)
    text = run_fit(path, "--x-column", 1, "--y-column", 2, "--sigma-column", 0, "--degree", 2, "--steps", 50)
    assert text.returncode == 0 and "weighted by 1/σ² (σ from column 0)" in text.stdout


def test_fit_without_sigma_says_unweighted(weighted_file):
    path, *_ = weighted_file
    result = run_fit(path, "--x-column", 1, "--y-column", 2, "--optimizer", "exact", "--json")
    report = json.loads(result.stdout)
    assert report["weighted"] is False and report["sigma_column"] is None


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--sigma-column", 5], "σ column index 5 is out of range: the file has 3 columns"),
        (["--sigma-column", 2], "σ column index 2 is also the y column"),
        (["--sigma-column", "two"], "argument --sigma-column: invalid int value"),
    ],
)
def test_fit_refuses_a_bad_sigma_column(weighted_file, args, expected):
    path, *_ = weighted_file
    assert expected in one_error_line(run_fit(path, "--x-column", 1, "--y-column", 2, *args))


def test_fit_refuses_non_positive_sigma_with_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x,y,s\n0,1,0.1\n1,2,0.2\n2,3,0\n")
    line = one_error_line(run_fit(path, "--sigma-column", 2))
    assert f"{path}, line 4, column 3: σ in column 's' = 0.0 is not greater than 0" in line


# -- sessions --------------------------------------------------------------------------------------------
def test_session_round_trips_sigma_and_omits_it_when_absent():
    with_sigma = make_document(weighted(), degree=1, theta=[0.0, 1.0])
    text = session_to_json(with_sigma)
    assert json.loads(text)["dataset"]["sigma"] == [0.1, 0.4, 0.2, 1.0]
    assert session_from_json(text).document.dataset == weighted()
    without = make_document(weighted().with_sigma(None), degree=1, theta=[0.0, 1.0])
    assert "sigma" not in json.loads(session_to_json(without))["dataset"]
    assert session_from_json(session_to_json(without)).document.dataset.sigma is None


def test_a_long_sigma_column_round_trips_bit_for_bit_as_base64():
    x = np.linspace(0.0, 1.0, 50)
    sigma = np.geomspace(1e-150, 1e150, 50)  # the whole range of usable σ
    data = Dataset(x, 2 * x + 1, "long", sigma=sigma)
    text = session_to_json(make_document(data, degree=1, theta=[1.0, 2.0]))
    assert json.loads(text)["dataset"]["sigma"].keys() == {"float64"}
    back = session_from_json(text).document.dataset.sigma
    assert back.tobytes() == sigma.tobytes()


@pytest.mark.parametrize(
    "sigma, message",
    [
        ([0.1, 0.4, 0.2], r"dataset\.sigma: has 3 values but dataset\.x has 4"),
        ([0.1, 0.0, 0.2, 1.0], r"dataset\.sigma\[1\]: 0\.0 is not greater than 0"),
        ([0.1, 0.4, -3, 1.0], r"dataset\.sigma\[2\]: -3\.0 is not greater than 0"),
        ([0.1, 0.4, 0.2, 1e-200], r"dataset\.sigma\[3\]: 1e-200 is out of range"),
        ([0.1, "0.4", 0.2, 1.0], r"dataset\.sigma\[1\]: expected a number"),
        ([0.1, 0.4, 1e400, 1.0], r"dataset\.sigma\[2\]: non-finite"),
        ("0.1", r"dataset\.sigma: expected a list of numbers"),
        (None, r"dataset\.sigma: expected a list of numbers"),
    ],
)
def test_session_refuses_bad_sigma_naming_the_field(sigma, message):
    data = json.loads(session_to_json(make_document(weighted(), degree=1, theta=[0.0, 1.0])))
    data["dataset"]["sigma"] = sigma
    with pytest.raises(SessionError, match=message):
        session_from_json(json.dumps(data), source="s.json")
