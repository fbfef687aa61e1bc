"""The cheap preview of a data file, the checked choice of x, y and σ columns, and read_table's progress,
chunking and line numbers (no Qt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.fitting import table_reader as table_module
from workbench.fitting.data import load_dataset
from workbench.fitting.table import DataError, Table
from workbench.fitting.table_preview import PREVIEW_ROWS, preview_table, select_columns
from workbench.fitting.table_reader import read_table


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def rows_text(n: int, header: str | None = "x,y", start: int = 0) -> str:
    lines = [header] if header else []
    lines += [f"{k},{k * 0.5!r}" for k in range(start, start + n)]
    return "\n".join(lines) + "\n"


# -- preview ----------------------------------------------------------------------------------------
def test_preview_of_a_small_file_is_the_whole_table(tmp_path):
    path = write(tmp_path, "# a comment\nx,y\n1,2\n\n3,4\n")
    preview = preview_table(path)
    assert preview.complete and preview.estimated_rows == 2 and preview.size_bytes == path.stat().st_size
    assert preview.names == ("x", "y") and preview.table == read_table(path)
    assert preview.table.row_lines.tolist() == [3, 5]


def test_preview_of_a_big_file_reads_only_its_first_rows(tmp_path):
    path = write(tmp_path, "x,y\n" + "".join(f"{k:6d},{k % 7}.25\n" for k in range(100_000)))
    preview = preview_table(path)
    assert not preview.complete
    assert preview.table.n_rows == PREVIEW_ROWS
    assert preview.table.values[:, 0].tolist() == list(range(PREVIEW_ROWS))
    assert preview.table.line_of(0) == 2 and preview.table.line_of(PREVIEW_ROWS - 1) == PREVIEW_ROWS + 1
    assert 0.99 * 100_000 < preview.estimated_rows < 1.01 * 100_000  # rows of even width


def test_preview_without_header_stops_at_max_rows(tmp_path):
    path = write(tmp_path, rows_text(50, header=None))
    preview = preview_table(path, max_rows=10)
    assert not preview.complete and preview.table.n_rows == 10 and not preview.table.has_header
    assert preview.names == ("column 1", "column 2")
    assert preview.table.line_of(9) == 10


def test_preview_with_exactly_max_rows_is_complete(tmp_path):
    preview = preview_table(write(tmp_path, rows_text(10)), max_rows=10)
    assert preview.complete and preview.table.n_rows == 10


def test_preview_reports_errors_in_its_rows_with_line_and_column(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n3,oops\n" + rows_text(5000, header=None))
    with pytest.raises(DataError) as info:
        select_columns(preview_table(path).table, 0, 1, source=str(path))
    assert (info.value.path, info.value.line, info.value.column) == (str(path), 3, 2)


def test_an_error_beyond_the_preview_is_left_to_the_full_read(tmp_path):
    path = write(tmp_path, rows_text(5000) + "1,2,3\n")
    preview = preview_table(path).table
    assert preview.n_rows == PREVIEW_ROWS and select_columns(preview, 0, 1)[0].size == PREVIEW_ROWS
    with pytest.raises(DataError) as info:
        select_columns(read_table(path), 0, 1)
    assert info.value.line == 5002


@pytest.mark.parametrize(
    "content, detail",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff", "not a text file"),
        (b"", "no data rows"),
        (b"x,y\n", "header row but no numbers"),
    ],
)
def test_preview_refuses_what_read_table_refuses(tmp_path, content, detail):
    path = write(tmp_path, content)
    with pytest.raises(DataError, match=detail) as preview_error:
        preview_table(path)
    with pytest.raises(DataError) as full_error:
        read_table(path)
    assert str(preview_error.value) == str(full_error.value)


def test_preview_of_a_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read the file") as info:
        preview_table(tmp_path / "nope.csv")
    assert "nope.csv" in str(info.value)


def test_preview_cut_never_splits_a_utf8_character(tmp_path):
    # A header of multi-byte characters longer than the first read: the cut must land on a line break.
    header = "é" * 40_000 + ",ü\n"
    path = write(tmp_path, header + rows_text(30_000, header=None))
    preview = preview_table(path)
    assert preview.names[0] == "é" * 40_000 and preview.table.n_rows == PREVIEW_ROWS


def test_a_huge_file_without_line_breaks_is_refused_quickly(tmp_path):
    path = write(tmp_path, b"1" * (17 * 2**20))
    with pytest.raises(DataError, match="no line break") as info:
        preview_table(path)
    assert info.value.line == 1


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            st.floats(allow_nan=False, allow_infinity=False, width=64),
        ),
        min_size=1,
        max_size=60,
    ),
    limit=st.integers(1, 70),
    blank_every=st.integers(0, 5),
)
def test_preview_is_always_the_first_rows_of_the_full_read(tmp_path_factory, rows, limit, blank_every):
    lines = ["a,b"]
    for k, (a, b) in enumerate(rows):
        if blank_every and k % blank_every == 0:
            lines.append("# note")
        lines.append(f"{a!r},{b!r}")
    path = write(tmp_path_factory.mktemp("p"), "\n".join(lines) + "\n")
    full, preview = read_table(path), preview_table(path, max_rows=limit)
    n = min(limit, len(rows))
    assert np.array_equal(preview.table.values, full.values[:n])
    assert np.array_equal(preview.table.row_lines, full.row_lines[:n])
    assert preview.complete == (len(rows) <= limit)


# -- choosing columns -------------------------------------------------------------------------------
FOUR = Table.from_values(
    ("a", "b", "c", "s"), np.array([[1.0, 2, 3, 0.5], [4, 5, 6, 0.25], [7, 8, 9, 1.0]]), True, ",", row_lines=[2, 4, 5]
)


def test_select_columns_returns_exactly_the_chosen_columns():
    x, y, sigma = select_columns(FOUR, 2, 0, 3)
    assert x.tolist() == [3, 6, 9] and y.tolist() == [1, 4, 7] and sigma.tolist() == [0.5, 0.25, 1.0]
    assert select_columns(FOUR, 0, 1)[2] is None


@pytest.mark.parametrize(
    "x, y, sigma, detail",
    [
        (0, 4, None, "y column number 5 is out of range"),
        (-1, 1, None, "x column number 0 is out of range"),
        (1, 1, None, "x and y are both column 2"),
        (0, 1, 1, "y and σ are both column 2"),
    ],
)
def test_select_columns_refuses_a_bad_choice(x, y, sigma, detail):
    with pytest.raises(DataError, match=detail):
        select_columns(FOUR, x, y, sigma, source="f.csv")


@pytest.mark.parametrize("bad, line", [(0.0, 4), (-2.0, 4), (1e-200, 4)])
def test_a_sigma_that_cannot_weight_is_named_with_its_line(bad, line):
    values = FOUR.values.copy()
    values[1, 3] = bad
    table = Table.from_values(FOUR.names, values, True, ",", row_lines=FOUR.row_lines)
    with pytest.raises(DataError) as info:
        select_columns(table, 0, 1, 3, source="f.csv")
    err = info.value
    assert (err.path, err.line, err.column) == ("f.csv", line, 4)
    assert repr(bad) in err.reason
    assert ("greater than 0" in err.reason) == (bad <= 0)


def test_one_column_is_too_few():
    table = Table.from_values(("y",), np.array([[1.0], [2.0]]), True, ",")
    with pytest.raises(DataError, match="only 1 column"):
        select_columns(table, 0, 0)


# -- read_table: progress, chunks, line numbers -------------------------------------------------------
def test_progress_rises_to_one_and_can_cancel(tmp_path, monkeypatch):
    monkeypatch.setattr(table_module, "CHUNK_ROWS", 1000)
    path = write(tmp_path, rows_text(10_500))
    seen: list[float] = []
    read_table(path, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    assert len(seen) >= 11 + 2  # one report per chunk of rows, and the start and the end

    class Stop(Exception):
        pass

    def stop_halfway(fraction: float) -> None:
        if fraction > 0.5:
            raise Stop

    with pytest.raises(Stop):
        read_table(path, progress=stop_halfway)


def test_chunked_parse_gives_the_same_table_and_the_same_first_error(tmp_path, monkeypatch):
    good = write(tmp_path, "x,y\n# c\n" + rows_text(2_345, header=None), "good.csv")
    bad = write(tmp_path, rows_text(2_000) + "1,x\n" + rows_text(500, header=None) + "2,y\n", "bad.csv")
    whole, whole_error = read_table(good), pytest.raises(DataError)
    with whole_error:
        load_dataset(bad)
    monkeypatch.setattr(table_module, "CHUNK_ROWS", 100)
    assert read_table(good) == whole
    assert np.array_equal(read_table(good).row_lines, whole.row_lines)
    with pytest.raises(DataError) as chunked_error:
        load_dataset(bad)
    assert str(chunked_error.value) == str(whole_error.excinfo.value)
    assert chunked_error.value.line == 2002


def test_row_lines_skip_comments_and_blank_lines(tmp_path):
    table = read_table(write(tmp_path, "\n# note\nx,y\n1,2\n\n  # more\n3,4\n"))
    assert table.row_lines.tolist() == [4, 7] and table.line_of(1) == 7
    assert read_table(["1 2", "3 4"]).row_lines.tolist() == [1, 2]


def test_row_lines_are_optional_and_checked():
    assert Table.from_values(("a",), np.zeros((2, 1)), False, ",").line_of(0) is None
    with pytest.raises(ValueError, match="2 row line numbers for 3 rows"):
        Table.from_values(("a",), np.zeros((3, 1)), False, ",", row_lines=[1, 2])
    table = Table.from_values(("a",), np.zeros((1, 1)), False, ",", row_lines=[7])
    with pytest.raises(ValueError):
        table.row_lines[0] = 3  # read-only, like the values
    assert table == Table.from_values(("a",), np.zeros((1, 1)), False, ",")  # not part of equality
