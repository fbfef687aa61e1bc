"""Files as users bring them (no Qt): text, dates and blanks beside the chosen columns, ISO dates as x,
bad rows to skip, decimal commas with thousands dots, Windows-1252 and UTF-16, standard input, files too
big for memory.  Expected numbers are computed here from the text written (``float`` of a canonical
form, ``datetime`` arithmetic), never through the reader under test."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stress_sizes import sizes

from workbench.fitting import number_format, table_reader
from workbench.fitting.data import DataError, Dataset, dataset_from_table, load_dataset, read_dataset, save_dataset
from workbench.fitting.dates import format_decimal_year, parse_date_text
from workbench.fitting.number_format import Form, classify_number
from workbench.fitting.table import DataTooLargeError
from workbench.fitting.table_reader import read_table


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refused(path_or_lines, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        read_dataset(path_or_lines, **kwargs)
    return info.value


def decimal_year(moment: dt.datetime) -> float:
    """The decimal year of a moment, by plain datetime arithmetic (the reference)."""
    start, end = dt.datetime(moment.year, 1, 1), dt.datetime(moment.year + 1, 1, 1)
    return moment.year + (moment - start) / (end - start)


# -- columns not chosen ------------------------------------------------------------------------------------
def test_text_dates_and_blanks_beside_the_chosen_columns_are_left_alone(tmp_path):
    path = write(
        tmp_path,
        "station,date,flag,t,co2,comment\n"
        "Mauna Loa,2020-01-15,,1.5,410.25,calibrated\n"
        "Mauna Loa,2020-02-15,x,2.5,411.5,\n"
        "Barrow,2020-03-15,,3.5,412.75,gap, then resumed\n",  # a comma in free text shifts only that row
    )
    err = refused(path, x_column=3, y_column=4)
    assert err.line == 4 and "wrong column count" in err.reason  # the shifted row is never misread
    data = read_dataset(path, x_column=3, y_column=4, skip_bad_rows=True)
    assert data.dataset.x.tolist() == [1.5, 2.5] and data.dataset.y.tolist() == [410.25, 411.5]
    assert (data.dataset.x_name, data.dataset.y_name) == ("t", "co2")
    assert any("line 4" in n for n in data.notices)


def test_a_short_row_is_fine_when_it_holds_the_chosen_columns(tmp_path):
    path = write(tmp_path, "x,y,z\n1,2,7\n3,4\n5,6,8\n")
    assert load_dataset(path).y.tolist() == [2.0, 4.0, 6.0]
    err = refused(path, x_column=0, y_column=2)
    assert err.line == 3 and "expected 3 cells, found 2" in err.reason


def test_a_first_row_of_data_with_text_in_it_is_not_taken_for_a_header(tmp_path):
    data = read_dataset(write(tmp_path, "2020-01-01,MLO,410.5\n2020-02-01,MLO,411\n"), y_column=2).dataset
    assert data.n == 2 and data.x_is_date and (data.x_name, data.y_name) == ("x", "y")
    assert data.x[0] == 2020.0 and data.y.tolist() == [410.5, 411.0]


def test_choosing_a_text_column_says_what_it_holds(tmp_path):
    err = refused(write(tmp_path, "site,co2\nMLO,410\nBRW,412\n"))
    assert (err.line, err.column) == (2, 1) and "holds text such as 'MLO'" in err.reason


def test_every_reader_gives_the_same_dataset(tmp_path):
    path = write(tmp_path, "a;b;c;d\nx;1,5;2;2020-01-01\ny;2,5;3;2020-01-02\n")
    for x, y in ((1, 2), (3, 1), (2, 1)):
        one = read_dataset(path, x_column=x, y_column=y).dataset
        assert one == dataset_from_table(read_table(path), x, y, name="data").dataset


# -- dates --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cell, moment",
    [
        ("2020-07-02", dt.datetime(2020, 7, 2)),
        ("2021-07-02", dt.datetime(2021, 7, 2)),
        ("1958-03", dt.datetime(1958, 3, 1)),
        ("2020-02-29T13:45", dt.datetime(2020, 2, 29, 13, 45)),
        ("2020-12-31 23:59:59", dt.datetime(2020, 12, 31, 23, 59, 59)),
        ("2019-06-01T00:00:00.25", dt.datetime(2019, 6, 1, 0, 0, 0, 250_000)),
        ("2019-06-01T08:00:00+02:00", dt.datetime(2019, 6, 1, 6)),
        ("2019-06-01T08:00:00-0330", dt.datetime(2019, 6, 1, 11, 30)),
        ("2019-06-01T08:00Z", dt.datetime(2019, 6, 1, 8)),
        ("0001-01-01", dt.datetime(1, 1, 1)),
    ],
)
def test_iso_dates_are_decimal_years(cell, moment):
    data = read_dataset(["when;y", f"{cell};1"]).dataset
    assert data.x_is_date and data.x_name == "when"
    assert data.x[0] == pytest.approx(decimal_year(moment), rel=0, abs=1e-12 * max(1.0, moment.year))
    assert parse_date_text(cell) == data.x[0]


def test_a_date_column_fits_in_decimal_years(tmp_path):
    days = [dt.datetime(2000, 1, 1) + dt.timedelta(days=37 * k) for k in range(50)]
    ys = [300 + 0.5 * k for k in range(50)]
    text = "date,co2\n" + "".join(f"{d:%Y-%m-%d},{v!r}\n" for d, v in zip(days, ys))
    data = load_dataset(write(tmp_path, text))
    np.testing.assert_array_equal(data.x, [decimal_year(d) for d in days])
    assert data.x_is_date and data.y.tolist() == ys


@pytest.mark.parametrize(
    "cell, why",
    [
        ("2021-02-29", "not a real date"),
        ("2020-13-01", "not a real date"),
        ("2020-01-01T24:00", "not a real time"),
        ("2020-01-01T10:00+25:00", "time zone"),
        ("15/01/2020", "not a date like 2020-07-02"),
        ("2020", "is a number, but this column holds dates"),
        ("", "empty cell"),
    ],
)
def test_a_bad_date_is_named_with_its_line(cell, why):
    err = refused(["t,y", "2020-01-01,1", f"{cell},2", "2020-01-03,3"])
    assert (err.line, err.column) == (3, 1) and why in err.reason, err.reason


def test_a_column_mixing_times_with_and_without_zone_is_refused():
    err = refused(["t,y", "2020-01-01T10:00Z,1", "2020-01-01T11:00,2"])
    assert err.line == 3 and "no time zone" in err.reason and "line 2" in err.reason


def test_dates_can_be_x_only():
    err = refused(["a,b", "1,2020-01-01", "2,2020-01-02"])
    assert err.column == 2 and "dates can be x only" in err.reason


moments = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000)
)


@settings(max_examples=200, deadline=None)
@given(moment=moments)
def test_a_date_shown_is_the_date_read_to_the_millisecond(moment):
    text = moment.isoformat(sep=" ", timespec="milliseconds")
    year = parse_date_text(text)
    assert year == pytest.approx(decimal_year(moment), rel=0, abs=2e-16 * moment.year * 4)
    assert parse_date_text(format_decimal_year(year)) == year
    shown = format_decimal_year(year)
    assert dt.datetime.fromisoformat(shown) == moment


# -- numbers: decimal commas, thousands -------------------------------------------------------------------
@pytest.mark.parametrize(
    "cell, form, value",
    [
        ("42", Form.PLAIN, 42.0),
        ("-3e5", Form.PLAIN, -3e5),
        ("1.5", Form.POINT, 1.5),
        ("0.125", Form.POINT, 0.125),
        ("1234.567", Form.POINT, 1234.567),
        ("1,234.5", Form.POINT, 1234.5),
        ("1,234,567", Form.POINT, 1234567.0),
        ("1.5e3", Form.POINT, 1500.0),
        ("255,84", Form.COMMA, 255.84),
        ("0,125", Form.COMMA, 0.125),
        ("1.234,5", Form.COMMA, 1234.5),
        ("1.234.567", Form.COMMA, 1234567.0),
        ("-1,5e-3", Form.COMMA, -1.5e-3),
        ("1.260", Form.AMBIGUOUS_DOT, 1.26),
        ("-12.345", Form.AMBIGUOUS_DOT, -12.345),
        ("1,234", Form.AMBIGUOUS_COMMA, 1.234),
        ("1.2.3", Form.BAD, None),
        ("1,23,456", Form.BAD, None),
        ("1.234,5e3", Form.BAD, None),
        ("1_000", Form.BAD, None),
        ("12 345", Form.BAD, None),
        ("abc", Form.BAD, None),
    ],
)
def test_each_cell_says_what_it_can_be(cell, form, value):
    got, kind = classify_number(cell)
    assert kind is form
    if value is not None:
        assert got == value


def test_the_issue_line_reads_the_thousands_dot():
    data = read_dataset(["Jahr;Menge", "1.260;255,84", "980;12,5"]).dataset
    assert data.x.tolist() == [1260.0, 980.0] and data.y.tolist() == [255.84, 12.5]


def test_a_file_written_both_ways_is_refused_with_both_lines():
    err = refused(["x;y", "1;255,84", "2;3", "1.5;4"])
    assert (err.line, err.column) == (4, 1)
    assert "'1.5' has a decimal point" in err.reason and "'255,84' on line 2" in err.reason


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_numbers_that_do_not_tell_are_refused_until_the_user_says(delimiter):
    lines = [f"x{delimiter}y", f"1.260{delimiter}1", f"2.500{delimiter}2"]
    err = refused(lines)
    assert (err.line, err.column) == (2, 1) and "1.260" in err.reason and "1260" in err.reason
    assert "--decimal" in err.reason and "Numbers" in err.reason
    assert read_dataset(lines, decimal="comma").dataset.x.tolist() == [1260.0, 2500.0]
    assert read_dataset(lines, decimal="point").dataset.x.tolist() == [1.26, 2.5]


@pytest.mark.parametrize("delimiter", [",", " "])
def test_comma_and_whitespace_files_keep_the_decimal_point(delimiter):
    data = read_dataset([f"1.260{delimiter}2.500", f"3.125{delimiter}4.750"]).dataset
    assert data.x.tolist() == [1.26, 3.125] and data.y.tolist() == [2.5, 4.75]


def test_a_chosen_convention_refuses_or_skips_the_cells_written_the_other_way():
    lines = ["x;y", "1.260;2,5", "1,5;3", "2.000;4"]
    err = refused(lines, decimal="point")
    assert (err.line, err.column) == (2, 2) and "'2,5' has a decimal comma" in err.reason
    loaded = read_dataset(lines, decimal="point", skip_bad_rows=True)
    assert loaded.dataset.x.tolist() == [2.0] and "lines 2, 3" in loaded.notices[0]


def test_the_evidence_may_come_at_the_very_end_of_a_long_file(tmp_path, monkeypatch):
    monkeypatch.setattr(table_reader, "CHUNK_ROWS", 1000)
    rows = [f"{1 + k % 999}.{k % 1000:03d};{k}" for k in range(30_000)]
    path = write(tmp_path, "x;y\n" + "\n".join(rows) + "\n9,5;1\n")
    data = load_dataset(path)
    expected = [float(r.split(";")[0].replace(".", "")) for r in rows] + [9.5]
    assert data.x.tolist() == expected


def test_us_thousands_commas_in_a_tab_file():
    data = read_dataset(["x\ty", "1,234.5\t2", "12,345,678\t3.25"]).dataset
    assert data.x.tolist() == [1234.5, 12345678.0]


def test_tab_separated_text_with_decimal_commas_as_a_spreadsheet_copies_it():
    data = read_dataset(["Zeit\tWert", "0,5\t1,25", "1\t-2,5", "1,5\t3"]).dataset
    assert data.x.tolist() == [0.5, 1.0, 1.5] and data.y.tolist() == [1.25, -2.5, 3.0]
    assert (data.x_name, data.y_name) == ("Zeit", "Wert")


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 999_999_999), st.booleans())
def test_a_thousands_reading_is_exact(n, comma):
    text = f"{n:,}"
    if comma:
        text = text.replace(",", ".")
    form = classify_number(text)[1]
    values, _ = number_format.apply_reading(
        np.array([classify_number(text)[0]]),
        {form: np.array([True])},
        number_format.Reading(**(number_format.COMMA_READING if comma else number_format.POINT_READING), chosen=True),
    )
    assert values[0] == n


# -- bad rows -----------------------------------------------------------------------------------------------
def bad_rows_text() -> list[str]:
    lines = ["x,y,note"] + [f"{k},{2 * k},ok" for k in range(1, 21)]
    for k in (3, 7, 8, 11, 12, 15, 19):
        lines[k] = f"{k},,missing" if k % 2 else f"{k},n/a,text"
    return lines


def test_without_skipping_the_first_bad_line_is_named_with_the_way_out():
    err = refused(bad_rows_text())
    assert (err.line, err.column) == (4, 2) and "--skip-bad-rows" in err.reason


def test_skipping_names_the_first_lines_and_counts_the_rest():
    loaded = read_dataset(bad_rows_text(), skip_bad_rows=True)
    kept = [k for k in range(1, 21) if k not in (3, 7, 8, 11, 12, 15, 19)]
    assert loaded.dataset.x.tolist() == kept and loaded.dataset.y.tolist() == [2.0 * k for k in kept]
    assert loaded.skipped_lines.tolist() == [4, 8, 9, 12, 13, 16, 20]
    assert "skipped 7 rows" in loaded.notices[0] and "lines 4, 8, 9, 12, 13 and 2 more" in loaded.notices[0]


def test_skipping_every_row_is_still_an_error():
    err = refused(["x,y", "1,", "a,2"], skip_bad_rows=True)
    assert "no rows left" in err.reason and "line 2" in err.reason


def test_skipping_never_hides_a_bad_sigma():
    err = refused(["x,y,s", "1,2,0.5", "2,,0.5", "3,4,0"], sigma_column=2, skip_bad_rows=True)
    assert (err.line, err.column) == (4, 3) and "greater than 0" in err.reason


# -- encodings, standard input ------------------------------------------------------------------------------
def test_windows_1252_deep_in_a_big_file_is_found_and_said(tmp_path):
    text = "x,y\n" + "1,2\n" * 200_000 + "3,4 # 3 m² à 4 °C\n"
    loaded = read_dataset(write(tmp_path, text.encode("cp1252")))
    assert loaded.dataset.n == 200_001 and loaded.encoding == "Windows-1252"
    assert any("Windows-1252" in n for n in loaded.notices)


def test_a_stream_reads_like_a_file(tmp_path):
    content = "t;v\n1,5;2\n2,5;3\n".encode("cp1252")
    from_stream = read_dataset(io.BytesIO(content), name="stdin", source_name="standard input")
    from_file = read_dataset(write(tmp_path, content, "stdin.csv"))
    assert from_stream.dataset == from_file.dataset and from_stream.notices == from_file.notices
    err = refused(io.BytesIO(b"x,y\n1,2\n3,z\n"), source_name="standard input")
    assert str(err).startswith("standard input, line 3, column 2: ")


# -- memory -------------------------------------------------------------------------------------------------
def csv_of(tmp_path: Path, rows: int) -> Path:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(rows, 2))
    path = tmp_path / "big.csv"
    with path.open("w", encoding="ascii") as f:
        f.write("x,y\n")
        f.writelines(f"{a!r},{b!r}\n" for a, b in values.tolist())
    return path


@sizes(200_000, 2_000_000, "rows")
def test_reading_needs_at_most_three_times_the_numbers_it_gives(tmp_path, rows):
    path = csv_of(tmp_path, rows)
    parsed = rows * 2 * 8  # the float64 data read
    for read in (lambda: read_table(path), lambda: read_dataset(path)):
        tracemalloc.start()
        try:
            result = read()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        del result
        assert peak <= 3 * parsed, f"peak {peak / 1e6:.1f} MB for {parsed / 1e6:.1f} MB of numbers"


def test_a_file_too_big_for_memory_is_refused_before_reading_it(tmp_path, monkeypatch):
    path = csv_of(tmp_path, 50_000)
    monkeypatch.setattr(table_reader, "available_memory", lambda: 100_000)
    monkeypatch.setattr(table_reader, "CHECK_MEMORY_ABOVE_BYTES", 0)
    with pytest.raises(DataTooLargeError) as info:
        read_dataset(path)
    assert "too big for the memory available" in info.value.reason and str(path) in str(info.value)


def test_running_out_of_memory_while_reading_is_a_clear_error(tmp_path, monkeypatch):
    def no_memory(cells):
        raise MemoryError

    monkeypatch.setattr(table_reader, "parse_numbers", no_memory)
    with pytest.raises(DataTooLargeError, match="not enough memory to read this file"):
        read_dataset(write(tmp_path, "x,y\n1,2\n"))


# -- the dataset's names ------------------------------------------------------------------------------------
def test_a_dataset_keeps_its_column_names_through_every_edit():
    data = Dataset([2020.0, 2020.5], [1.0, 2.0], "co2", None, "date", "ppm", True)
    for edited in (
        data.with_point(2021.0, 3.0),
        data.without_point(0),
        data.with_point_moved(1, 2020.25, 5.0),
        data.with_sigma([1.0, 2.0]),
    ):
        assert (edited.x_name, edited.y_name, edited.x_is_date) == ("date", "ppm", True)
    assert Dataset([1.0], [2.0]).x_name == "x" and Dataset([1.0], [2.0], "n", None).y_name == "y"
    assert data != Dataset(data.x, data.y, "co2") and hash(data) != hash(Dataset(data.x, data.y, "co2"))
    with pytest.raises(DataError, match="x_name must be text"):
        Dataset([1.0], [2.0], x_name=3)


def test_saved_names_read_back(tmp_path):
    data = Dataset([0.5, 1.5], [2.0, 3.0], "d", [0.1, 0.2], "time, s", "# counts")
    save_dataset(data, tmp_path / "d.csv")
    again = load_dataset(tmp_path / "d.csv", sigma_column=2)
    assert (again.x_name, again.y_name) == ("time, s", "# counts")
    assert again.x.tolist() == [0.5, 1.5] and again.sigma.tolist() == [0.1, 0.2]
    save_dataset(Dataset([1.0], [2.0], "d", None, "1990", "2020-01-01"), tmp_path / "n.csv")
    assert (tmp_path / "n.csv").read_text().splitlines()[0] == "x,y"  # names that would read as data


def test_a_semicolon_line_of_thousands_is_two_numbers_not_four_cells(tmp_path):
    """Split at commas, '1,000,000;1,000' gives more columns of numbers ('1', '000', '000') but leaves the
    text '000;1' between them: the separator that leaves no such cell is the file's."""
    path = tmp_path / "one.csv"
    path.write_bytes(b"1,000,000;1,000\n2,000,000;2,500\n")
    data = read_dataset(path).dataset
    assert data.x.tolist() == [1_000_000.0, 2_000_000.0] and data.y.tolist() == [1000.0, 2500.0]
