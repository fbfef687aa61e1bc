"""Reading, validating, editing and saving datasets (no Qt)."""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.fitting import atomic
from workbench.fitting.atomic import atomic_write_text
from workbench.fitting.data import DataError, Dataset, Table, load_dataset, read_dataset, read_table, save_dataset
from workbench.fitting.table_select import select
from workbench.paths import default_sample, sample_paths


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def error_of(content: str | bytes, tmp_path: Path, **kwargs) -> DataError:
    path = write(tmp_path, content)
    with pytest.raises(DataError) as info:
        load_dataset(path, **kwargs)
    return info.value


# --- DataError --------------------------------------------------------------------------------------


def test_data_error_formats_location_in_one_line():
    err = DataError("'abc' is not a number", path="a.csv", line=3, column=2)
    assert str(err) == "a.csv, line 3, column 2: 'abc' is not a number"
    assert (err.path, err.line, err.column, err.reason) == ("a.csv", 3, 2, "'abc' is not a number")
    assert isinstance(err, ValueError)


def test_data_error_omits_missing_parts():
    assert str(DataError("bad", path="a.csv")) == "a.csv: bad"
    assert str(DataError("bad", line=4)) == "line 4: bad"
    assert str(DataError("bad")) == "bad"


def test_data_error_survives_pickling():
    import pickle

    err = pickle.loads(pickle.dumps(DataError("bad", path="a.csv", line=1, column=2)))
    assert str(err) == "a.csv, line 1, column 2: bad"


# --- error cases ----------------------------------------------------------------------------------


def test_non_numeric_cell_reports_line_and_column(tmp_path):
    err = error_of("# measured\nx,y\n1,2\n\n3,abc\n", tmp_path)
    assert (err.line, err.column) == (5, 2)
    assert err.path == str(tmp_path / "data.csv")
    assert "'abc' is not a number" in err.reason
    assert "1.5" in err.reason  # says how to fix it
    assert str(err).startswith(f"{tmp_path / 'data.csv'}, line 5, column 2: ")


def test_wrong_column_count(tmp_path):
    err = error_of("x,y\n1,2\n3,4,5\n", tmp_path)
    assert err.line == 3
    assert err.reason.startswith("wrong column count: expected 2 cells, found 3")


def test_trailing_separator_is_named_in_the_fix(tmp_path):
    err = error_of("1,2\n3,4,\n", tmp_path)
    assert err.line == 2 and "found 3" in err.reason and "separator at the end" in err.reason


def test_other_separator_on_a_later_line_is_a_column_count_error(tmp_path):
    err = error_of("x,y\n1,2\n3;4\n", tmp_path)
    assert err.line == 3 and "expected 2 cells, found 1" in err.reason


@pytest.mark.parametrize("content", ["", "\n\n  \n", "# just a comment\n# another\n", "\ufeff"])
def test_empty_file(tmp_path, content):
    err = error_of(content, tmp_path)
    assert "no data rows" in err.reason


def test_header_only(tmp_path):
    err = error_of("# comment\nx,y\n\n", tmp_path)
    assert "no data rows" in err.reason and "header" in err.reason


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_non_finite_cells(tmp_path, cell):
    err = error_of(f"x,y\n1,2\n3,{cell}\n", tmp_path)
    assert (err.line, err.column) == (3, 2)
    assert "not a finite number" in err.reason


def test_first_problem_is_reported_even_when_a_later_cell_is_unparsable(tmp_path):
    err = error_of("1,2\n3,nan\n5,abc\n", tmp_path)
    assert (err.line, err.column) == (2, 2) and "finite" in err.reason


def test_fewer_points_than_needed(tmp_path):
    err = error_of("x,y\n1,2\n", tmp_path, min_points=2)
    assert err.reason == "fewer points than needed: found 1, need at least 2"


def test_a_file_that_is_not_utf8_is_read_as_windows_1252_and_says_so(tmp_path):
    path = write(tmp_path, "Temperatur °C;Länge µm\n1,5;2\n3;4,25\n".encode("cp1252"))
    loaded = read_dataset(path)
    assert (loaded.dataset.x_name, loaded.dataset.y_name) == ("Temperatur °C", "Länge µm")
    assert loaded.dataset.x.tolist() == [1.5, 3.0] and loaded.dataset.y.tolist() == [2.0, 4.25]
    assert loaded.encoding == "Windows-1252" and any("Windows-1252" in n for n in loaded.notices)


def test_a_byte_that_is_not_windows_1252_either_makes_a_bad_cell_not_a_wrong_number(tmp_path):
    err = error_of(b"x,y\n1,2\n3,\x814\n", tmp_path)
    assert (err.line, err.column) == (3, 2) and "not a number" in err.reason


def test_bad_bytes_in_a_utf8_file_are_named_and_never_read_as_numbers(tmp_path):
    # Valid UTF-8 first (so not Windows-1252), then a stray byte in a cell: that cell is refused.
    err = error_of("x,é\n1,2\n3,".encode() + b"\xe94\n", tmp_path)
    assert (err.line, err.column) == (3, 2) and "'\ufffd4' is not a number" in err.reason
    loaded = read_dataset(write(tmp_path, b"\xef\xbb\xbfx,\xe9\n1,2\n", "bom.csv"))
    assert loaded.dataset.y_name == "\ufffd" and loaded.dataset.x.tolist() == [1.0]
    assert any("line 1 holds bytes that are not UTF-8" in n for n in loaded.notices)


def test_a_utf16_file_is_read_and_says_so(tmp_path):
    loaded = read_dataset(write(tmp_path, "x\ty\n1,5\t2\n".encode("utf-16")))
    assert loaded.dataset.x.tolist() == [1.5] and loaded.encoding == "UTF-16"
    assert any("UTF-16" in n for n in loaded.notices)


def test_a_binary_file_is_refused_at_its_nul_byte(tmp_path):
    err = error_of(b"x,y\n1,2\n\x00\x01\x02\n", tmp_path)
    assert err.line == 3 and "not a text file" in err.reason


def test_header_not_on_first_line(tmp_path):
    err = error_of("1,2\nx,y\n3,4\n", tmp_path)
    assert (err.line, err.column) == (2, 1)
    assert "header" in err.reason and "first line" in err.reason


def test_empty_cell(tmp_path):
    err = error_of("x,y\n1,\n", tmp_path)
    assert (err.line, err.column) == (2, 2) and "empty cell" in err.reason


def test_underscored_numbers_are_refused(tmp_path):
    # float("1_000") == 1000.0, but a data file with underscores is more likely a mistake than a number.
    err = error_of("x,y\n1,1_000\n", tmp_path)
    assert (err.line, err.column) == (2, 2)


def test_tab_separated_text_with_decimal_commas_reads(tmp_path):
    data = load_dataset(write(tmp_path, "x\ty\n1\t2,5\n-3,25\t1e3\n"))
    assert data.x.tolist() == [1.0, -3.25] and data.y.tolist() == [2.5, 1000.0]


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot read the file"):
        load_dataset(tmp_path / "nope.csv")


def test_one_column_is_not_a_dataset(tmp_path):
    err = error_of("y\n1\n2\n", tmp_path)
    assert "only 1 column" in err.reason


@pytest.mark.parametrize("kwargs", [{"x_column": 2}, {"y_column": 5}, {"x_column": -1}])
def test_column_index_out_of_range(tmp_path, kwargs):
    err = error_of("a,b\n1,2\n", tmp_path, **kwargs)
    assert "out of range" in err.reason and "2 columns" in err.reason


def test_error_deep_in_a_large_file_is_located_exactly():
    lines = ["x,y"] + [f"{k},{k * 0.5}" for k in range(100_000)]
    lines[76_543] = "12,1.2.3"
    with pytest.raises(DataError) as info:
        select(read_table(lines, source="big.csv"), 0, 1, source="big.csv")
    assert (info.value.path, info.value.line, info.value.column) == ("big.csv", 76_544, 2)


# --- delimiters, comments, quotes, encodings ----------------------------------------------------------


@pytest.mark.parametrize(
    "text, delimiter",
    [
        ("x,y\n1,2.5\n-3e2,4\n", ","),
        ("x;y\n1;2.5\n-3e2;4\n", ";"),
        ("x\ty\n1\t2.5\n-3e2\t4\n", "\t"),
        ("x y\n1   2.5\n  -3e2 \t 4\n", " "),
        ("x , y\n 1 , 2.5 \n-3e2,4\n", ","),
    ],
)
def test_each_delimiter(text, delimiter):
    table = read_table(text.splitlines())
    assert table.delimiter == delimiter
    assert table.names == ("x", "y") and table.has_header
    np.testing.assert_array_equal(table.values, [[1, 2.5], [-300, 4]])


def test_semicolon_with_decimal_comma():
    table = read_table(["x;y", "1,5;-2,25", "3;4.5", "1,5e3;0"])
    np.testing.assert_array_equal(table.values, [[1.5, -2.25], [3, 4.5], [1500, 0]])


def test_comments_and_blank_lines_are_skipped_but_counted():
    lines = ["# title", "", "x,y  # units: s, m", "  # indented comment", "1,2 # first", "", "3,4"]
    table = read_table(lines)
    assert table.names == ("x", "y")
    np.testing.assert_array_equal(table.values, [[1, 2], [3, 4]])
    with pytest.raises(DataError) as info:
        select(read_table([*lines, "5,six # bad"]), 0, 1)
    assert (info.value.line, info.value.column) == (8, 2)


def test_quotes_are_stripped():
    table = read_table(['"x","y"', '"1.5","2"', '3, "4"'])
    assert table.names == ("x", "y")
    np.testing.assert_array_equal(table.values, [[1.5, 2], [3, 4]])


def test_quoted_header_may_hold_delimiters_and_hashes():
    table = read_table(['"time, s","# counts"', "1,2"])
    assert table.names == ("time, s", "# counts")
    assert table.delimiter == ","


def test_quoted_decimal_comma_in_semicolon_file():
    table = read_table(['"x";"y"', '"1,5";"2,5"'])
    np.testing.assert_array_equal(table.values, [[1.5, 2.5]])


def test_bom_is_tolerated(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbfx,y\r\n1,2\r\n")
    table = read_table(path)
    assert table.names == ("x", "y")
    assert read_table(["\ufeffx,y\n", "1,2\n"]).names == ("x", "y")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(tmp_path, newline):
    path = write(tmp_path, newline.join(["x,y", "1,2", "3,oops", ""]))
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert info.value.line == 3


def test_no_header_gives_numbered_column_names():
    table = read_table(["1 2 3", "4 5 6"])
    assert table.names == ("column 1", "column 2", "column 3") and not table.has_header
    assert table.values.shape == (2, 3)


def test_read_table_accepts_an_open_text_file():
    table = read_table(io.StringIO("x,y\n1,2\n"), source="clipboard")
    np.testing.assert_array_equal(table.values, [[1, 2]])
    with pytest.raises(DataError, match="^clipboard, line 2, column 1"):
        select(read_table(io.StringIO("1,2\nz,2\n"), source="clipboard"), 0, 1, source="clipboard")


def test_table_values_are_read_only():
    table = read_table(["1,2"])
    with pytest.raises(ValueError):
        table.values[0, 0] = 5
    assert table == read_table(["1 , 2"])


@given(
    st.lists(
        st.tuples(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False)),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([",", ";", "\t", " "]),
    st.booleans(),
)
def test_any_finite_table_parses_back_exactly(rows, delimiter, header):
    lines = [f"x{delimiter}y"] if header else []
    lines += [f"{a!r}{delimiter}{b!r}" for a, b in rows]
    table = read_table(lines)
    assert table.has_header == header
    np.testing.assert_array_equal(table.values, np.array(rows, dtype=float).reshape(-1, 2))


# --- load_dataset -----------------------------------------------------------------------------------


def test_load_dataset_picks_columns_and_names_after_the_file(tmp_path):
    path = write(tmp_path, "t,a,b\n0,1,2\n1,3,4\n", name="run 7.csv")
    data = load_dataset(path, x_column=0, y_column=2)
    assert data.name == "run 7"
    np.testing.assert_array_equal(data.x, [0, 1])
    np.testing.assert_array_equal(data.y, [2, 4])


# --- Dataset ----------------------------------------------------------------------------------------


def make() -> Dataset:
    return Dataset([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], name="d")


def test_dataset_arrays_are_read_only_copies():
    xs = np.array([1.0, 2.0])
    data = Dataset(xs, [3, 4])
    xs[0] = 99
    assert data.x[0] == 1.0
    assert data.x.dtype == np.float64 and data.y.dtype == np.float64
    with pytest.raises(ValueError):
        data.x[0] = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "x, y, message",
    [
        ([1.0, np.nan], [1, 2], "finite"),
        ([1.0, 2.0], [1, np.inf], "finite"),
        ([1.0, 2.0], [1.0], "every point needs both"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "1-D"),
        (["a"], [1.0], "numbers"),
    ],
)
def test_dataset_validation(x, y, message):
    with pytest.raises(DataError, match=message):
        Dataset(x, y)


def test_dataset_size_and_range():
    data = make()
    assert data.n == len(data) == 3
    assert data.x_range == (0.0, 2.0)
    with pytest.raises(DataError):
        Dataset([], []).x_range


def test_with_point_returns_a_new_dataset():
    data = make()
    more = data.with_point(3, 7)
    assert more.n == 4 and (more.x[-1], more.y[-1]) == (3.0, 7.0) and more.name == "d"
    assert data.n == 3  # the original is untouched
    with pytest.raises(DataError):
        data.with_point(np.nan, 1)


def test_with_points_appends_in_order():
    more = make().with_points([5, 6], [7, 8])
    np.testing.assert_array_equal(more.x, [0, 1, 2, 5, 6])
    np.testing.assert_array_equal(more.y, [1, 3, 5, 7, 8])


def test_without_point():
    data = make()
    np.testing.assert_array_equal(data.without_point(1).x, [0, 2])
    np.testing.assert_array_equal(data.without_point(-1).x, [0, 1])
    with pytest.raises(IndexError):
        data.without_point(3)
    assert data.n == 3


def test_with_point_moved():
    data = make()
    moved = data.with_point_moved(1, 10, -10)
    np.testing.assert_array_equal(moved.x, [0, 10, 2])
    np.testing.assert_array_equal(moved.y, [1, -10, 5])
    np.testing.assert_array_equal(data.x, [0, 1, 2])
    with pytest.raises(IndexError):
        data.with_point_moved(-4, 0, 0)


def test_dataset_equality_and_hash():
    assert make() == make() and hash(make()) == hash(make())
    assert make() != make().with_point_moved(0, 0.5, 1)
    assert make() != dataclasses.replace(make(), name="other")
    assert Dataset([0.0], [1.0]) == Dataset([-0.0], [1.0])
    assert hash(Dataset([0.0], [1.0])) == hash(Dataset([-0.0], [1.0]))
    assert make() != "d"


# --- saving -----------------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=30))
def test_save_then_load_gives_identical_arrays(points):
    data = Dataset([p[0] for p in points], [p[1] for p in points], name="round_trip")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "round_trip.csv"
        save_dataset(data, path)
        again = load_dataset(path)
    assert again == data
    assert again.x.tobytes() == data.x.tobytes() and again.y.tobytes() == data.y.tobytes()  # even -0.0


def test_saved_file_has_an_xy_header(tmp_path):
    path = tmp_path / "out.csv"
    save_dataset(Dataset([0.1, 2.0], [3.0, -4e-300]), path)
    assert path.read_text(encoding="utf-8") == "x,y\n0.1,3.0\n2.0,-4e-300\n"


def test_saving_an_empty_dataset_is_refused(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n")
    with pytest.raises(DataError, match="no points"):
        save_dataset(Dataset([], []), path)
    assert path.read_text() == "x,y\n1,2\n"


def boom(*args, **kwargs):
    raise OSError("disk full")


@pytest.mark.parametrize("target", ["replace", "fsync"])
def test_failed_save_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch, target):
    path = write(tmp_path, "x,y\n1,2\n", name="keep.csv")
    monkeypatch.setattr(atomic.os, target, boom)
    with pytest.raises(OSError, match="disk full"):
        save_dataset(Dataset([5.0, 6.0], [7.0, 8.0]), path)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "x,y\n1,2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


def test_atomic_write_creates_and_replaces(tmp_path):
    path = tmp_path / "notes.txt"
    atomic_write_text(path, "one\n")
    atomic_write_text(path, "two ✓\n")
    assert path.read_text(encoding="utf-8") == "two ✓\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_atomic_write_encoding_error_touches_nothing(tmp_path):
    path = write(tmp_path, "old", name="a.txt")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(path, "✓", encoding="ascii")
    assert path.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
def test_atomic_write_keeps_permissions(tmp_path):
    path = write(tmp_path, "old", name="private.txt")
    path.chmod(0o600)
    atomic_write_text(path, "new")
    assert path.stat().st_mode & 0o777 == 0o600


# --- shipped samples --------------------------------------------------------------------------------


def test_samples_are_shipped():
    names = {p.name for p in sample_paths()}
    assert default_sample().name in names
    assert {
        "noisy_sine.csv",
        "noisy_cubic.csv",
        "co2_like_measurements.csv",
        "outlier.csv",
        "exact_six_points.csv",
    } <= names


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_every_sample_loads(path):
    data = load_dataset(path, min_points=6)
    assert data.n >= 6 and data.name == path.stem
    first, header = path.read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("# ") and header == "x,y"


def test_samples_match_their_generator():
    from workbench.samples import make_samples

    for path in sample_paths():
        assert path.read_text(encoding="utf-8") == make_samples.render(path.stem), (
            f"{path.name} differs from samples/make_samples.py: run the script and commit the result"
        )
    assert {p.stem for p in sample_paths()} == set(make_samples.SAMPLES)


def test_exact_six_points_have_distinct_x():
    data = load_dataset(next(p for p in sample_paths() if p.stem == "exact_six_points"))
    assert data.n == 6 and len(set(data.x.tolist())) == 6


def test_table_type_is_exported():
    assert isinstance(read_table(["1,2"]), Table)
