"""Fuzzing the data readers: ``read_table``, ``preview_table`` and ``load_dataset`` with column choices.

Whatever the bytes (random, a valid file cut anywhere, text made of the characters that matter to a CSV
parser, huge or non-finite numbers, BOMs and every line ending, pipes and devices), each reader either
returns a sound result or raises ``DataError`` naming the file (and, for a bad cell, its line and
column); never another exception, never a hang.  The hand-written cases live in test_data.py and
test_table_preview.py; the short run here takes a few seconds (``-m slow``: many more examples).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stress_sizes import fuzz, sizes

from workbench.fitting.data import DataError, Dataset, dataset_from_table, load_dataset, read_dataset, read_table
from workbench.fitting.table import Table
from workbench.fitting.table_preview import TablePreview, preview_table
from workbench.fitting.table_select import select
from workbench.paths import sample_paths

SAMPLE = sample_paths()[0].read_bytes()

# The characters a delimited-text parser cares about, plus some that only look like them.
CSV_CHARS = list('0123456789.,;\t -+eE#"\n\r_xy') + [
    "σ",
    "\ufeff",
    "\u00a0",
    "\u2212",
    "١",
    "\x00",
    "nan",
    "inf",
    "Infinity",
    "1e400",
    "1e-400",
]


def fresh_file(folder: Path, content: bytes) -> Path:
    """``content`` as the file data.csv in ``folder`` (one file per test, rewritten for each example)."""
    path = folder / "data.csv"
    path.write_bytes(content)
    return path


def check_error(exc: DataError, path: Path) -> None:
    """A clear error: names the file, says what is wrong; a located cell has line and column ≥ 1."""
    assert exc.path == str(path) and str(path) in str(exc)
    assert exc.reason and exc.reason.strip() == exc.reason and len(exc.reason) > 10, exc.reason
    assert exc.line is None or exc.line >= 1
    assert exc.column is None or (exc.column >= 1 and exc.line is not None)


def check_table(table: Table) -> None:
    """A sound table: names, kinds, read-only values that are finite or NaN (a bad cell), and each
    column's first NaN exactly where it says its first bad cell is."""
    assert isinstance(table, Table) and table.n_rows >= 1 and table.n_columns >= 1
    assert len(table.names) == table.n_columns and all(isinstance(n, str) and n for n in table.names)
    for column in table.columns:
        assert column.kind in ("number", "date", "text")
        if column.kind == "text":
            assert column.values is None
            continue
        values = column.values
        assert values.shape == (table.n_rows,) and not values.flags.writeable
        assert not np.isinf(values).any()
        nan = np.flatnonzero(np.isnan(values))
        assert (column.first_bad is None) == (nan.size == 0)
        if nan.size:
            assert column.first_bad[0] == nan[0] and column.first_bad[1].strip()


def same_table(a: Table, b: Table) -> None:
    assert a.names == b.names and a.has_header == b.has_header and a.delimiter == b.delimiter
    assert [c.kind for c in a.columns] == [c.kind for c in b.columns]
    assert a == b, (a.values, b.values)
    assert np.array_equal(a.row_lines, b.row_lines)


def read_every_way(path: Path, columns: dict | None = None) -> dict:
    """Run the readers on ``path``; each returns a sound result or a clear DataError, and they agree:
    the preview is the table's first rows, and the dataset is exactly the chosen columns of the table."""
    columns = columns or {}
    outcomes: dict = {}
    readers = {
        "table": lambda: read_table(path),
        "preview": lambda: preview_table(path, max_rows=5),
        "dataset": lambda: load_dataset(path, **columns),
    }
    for name, read in readers.items():
        try:
            outcomes[name] = read()
        except DataError as exc:
            check_error(exc, path)
            outcomes[name] = exc
    table, preview, dataset = outcomes["table"], outcomes["preview"], outcomes["dataset"]
    if isinstance(table, Table):
        check_table(table)
        assert isinstance(preview, TablePreview), preview  # the first rows of a good file are good
        same_table(preview.table, table.head(5))
        try:
            chosen = dataset_from_table(
                table,
                columns.get("x_column", 0),
                columns.get("y_column", 1),
                columns.get("sigma_column"),
                name=path.stem,
                source=str(path),
            ).dataset
        except DataError as exc:
            assert isinstance(dataset, DataError) and str(dataset) == str(exc), (dataset, exc)
        else:
            assert dataset == chosen
    else:
        assert isinstance(dataset, DataError)
        if isinstance(preview, TablePreview) and preview.complete:
            # The whole file was in the preview: the full read must refuse it for the same reason.
            raise AssertionError(f"preview accepted what read_table refused: {table}")
    if isinstance(dataset, Dataset):
        assert np.all(np.isfinite(dataset.x)) and np.all(np.isfinite(dataset.y))
        assert dataset.name == path.stem
    return outcomes


# -- random input -----------------------------------------------------------------------------------------
@sizes(400, 5000, "examples")
def test_random_bytes(tmp_path, examples):
    @fuzz(examples)
    @given(content=st.binary(max_size=400))
    def check(content):
        read_every_way(fresh_file(tmp_path, content))

    check()


@sizes(400, 5000, "examples")
def test_text_made_of_what_a_csv_parser_cares_about(tmp_path, examples):
    @fuzz(examples)
    @given(
        text=st.lists(st.sampled_from(CSV_CHARS) | st.characters(), max_size=120).map("".join),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]),
    )
    def check(text, encoding):
        try:
            content = text.encode(encoding)
        except UnicodeEncodeError:
            content = text.encode("utf-8", "surrogatepass")
        read_every_way(fresh_file(tmp_path, content))

    check()


@sizes(150, len(SAMPLE) + 1, "examples")
def test_a_sample_cut_anywhere_reads_as_its_complete_rows_or_says_why(tmp_path, examples):
    whole = read_table(sample_paths()[0])

    @fuzz(examples)
    @given(cut=st.integers(0, len(SAMPLE)))
    def check(cut):
        outcomes = read_every_way(fresh_file(tmp_path, SAMPLE[:cut]))
        table, dataset = outcomes["table"], outcomes["dataset"]
        if isinstance(table, Table):
            # A cut inside the last number leaves a shorter number: every row but the last is unchanged.
            n = table.n_rows
            np.testing.assert_array_equal(table.values[: n - 1], whole.values[: n - 1])
        else:
            assert "no data rows" in table.reason, table
        if isinstance(dataset, DataError):
            assert any(why in dataset.reason for why in ("no data rows", "column count", "empty cell")), dataset

    check()


# -- huge, tiny and non-finite numbers ----------------------------------------------------------------------
NOT_FINITE = ["1e400", "-1e400", "1" + "0" * 5000, "nan", "NaN", "-nan", "inf", "-Infinity", "+INF", "1e99999"]


@sizes(100, 1000, "examples")
def test_a_number_beyond_double_precision_is_named_by_line_and_column(tmp_path, examples):
    @fuzz(examples)
    @given(
        row=st.integers(0, 4),
        column=st.integers(0, 1),
        cell=st.sampled_from(NOT_FINITE),
        delimiter=st.sampled_from([",", ";", "\t", " "]),
        header=st.booleans(),
    )
    def check(row, column, cell, delimiter, header):
        rows = [[f"{r}.5", f"{-r}"] for r in range(5)]
        rows[row][column] = cell
        lines = ([f"x{delimiter}y"] if header else []) + [delimiter.join(r) for r in rows]
        path = fresh_file(tmp_path, ("\n".join(lines) + "\n").encode())
        outcomes = read_every_way(path)
        preview = outcomes["preview"].table
        errors = [outcomes["dataset"]]
        for table in (outcomes["table"], preview):
            with pytest.raises(DataError) as info:
                select(table, 0, 1, source=str(path))
            errors.append(info.value)
        for error in errors:
            assert isinstance(error, DataError), error
            assert (error.line, error.column) == (row + 1 + header, column + 1), str(error)
            assert "not a finite number" in error.reason, error.reason

    check()


def test_numbers_that_underflow_read_as_zero_or_the_nearest_double(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("x,y\n1e-400,5e-324\n-1e-320,1e-300\n", encoding="utf-8")
    np.testing.assert_array_equal(read_table(path).values, [[0.0, 5e-324], [-1e-320, 1e-300]])


# -- encodings and line endings -----------------------------------------------------------------------------
finite = st.floats(allow_nan=False, allow_infinity=False)


@sizes(200, 3000, "examples")
def test_boms_line_endings_comments_and_quotes_never_change_a_number(tmp_path, examples):
    @fuzz(examples)
    @given(
        rows=st.lists(st.tuples(finite, finite), min_size=1, max_size=12),
        newline=st.sampled_from(["\n", "\r\n", "\r"]),
        bom=st.booleans(),
        final_newline=st.booleans(),
        comments=st.booleans(),
        quoted=st.booleans(),
        delimiter=st.sampled_from([",", ";", "\t", " "]),
    )
    def check(rows, newline, bom, final_newline, comments, quoted, delimiter):
        cell = (lambda v: f'"{v!r}"') if quoted and delimiter != " " else repr
        lines = ["# measured today"] if comments else []
        lines += ["x" + delimiter + "y"] + [cell(a) + delimiter + cell(b) for a, b in rows]
        if comments:
            lines.insert(2, "")
        text = newline.join(lines) + (newline if final_newline else "")
        path = fresh_file(tmp_path, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        table = read_every_way(path)["table"]
        np.testing.assert_array_equal(table.values, np.array(rows, dtype=float).reshape(-1, 2))
        assert table.names == ("x", "y")

    check()


@pytest.mark.parametrize(
    "content",
    [b"", b"\xef\xbb\xbf", b"\n\n\r\n", b"# only a comment\n", b"   \t  \n", "x,y\n".encode("utf-16"), b"\x00\x00\x00"],
)
def test_empty_and_nearly_empty_files(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    for name, outcome in read_every_way(path).items():
        assert isinstance(outcome, DataError), name
        assert "no data rows" in outcome.reason or "not a text file" in outcome.reason, outcome


# -- column choices -----------------------------------------------------------------------------------------
column = st.integers(-3, 5) | st.none() | st.sampled_from([1.5, "0", "x", float("nan"), True, 2**70])


@sizes(200, 1500, "examples")
def test_any_column_choice_gives_a_dataset_or_a_clear_error(tmp_path, examples):
    path = fresh_file(tmp_path, b"a,b,s\n0,1,0.5\n1,3,0.25\n2,2,0\n")

    @fuzz(examples)
    @given(x=column, y=column, sigma=column)
    def check(x, y, sigma):
        try:
            data = load_dataset(path, x_column=x, y_column=y, sigma_column=sigma)
        except DataError as exc:
            check_error(exc, path)
            return
        assert all(isinstance(c, int) and 0 <= c < 3 for c in (x, y))
        assert data.n == 3 and (sigma is None) == (data.sigma is None)

    check()


def test_a_fractional_or_textual_column_choice_is_refused_clearly(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("0,1\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"x column index 1\.5 is not a whole number"):
        load_dataset(path, x_column=1.5)
    with pytest.raises(DataError, match=r"y column index '1' is not a whole number"):
        load_dataset(path, y_column="1")


# -- things that are not files, and files that are hard work --------------------------------------------------
def finishes_within(seconds: float, work) -> object:
    """Run ``work`` on a thread; fail (instead of hanging the suite) if it has not finished in time."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    started = time.perf_counter()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still reading after {seconds} s"
    outcome["seconds"] = time.perf_counter() - started
    return outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
@pytest.mark.parametrize("reader", [read_table, preview_table, load_dataset])
def test_a_pipe_is_refused_at_once_instead_of_blocking_for_ever(tmp_path, reader):
    # Found by this fuzzing: opening a named pipe waits for a writer that never comes (the window froze).
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    try:
        outcome = finishes_within(5, lambda: reader(pipe))
    finally:
        try:  # unblock a reader stuck in open() (only if the check above failed)
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert isinstance(outcome.get("error"), DataError), outcome
    assert "not a regular file" in str(outcome["error"]) and str(pipe) in str(outcome["error"])


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
@pytest.mark.parametrize("reader", [read_table, preview_table, load_dataset])
def test_a_device_that_never_ends_is_refused_at_once(reader):
    outcome = finishes_within(5, lambda: reader("/dev/zero"))
    assert isinstance(outcome.get("error"), DataError) and "not a regular file" in str(outcome["error"]), outcome


def test_a_folder_is_refused_with_a_clear_message(tmp_path):
    for reader in (read_table, preview_table, load_dataset):
        with pytest.raises(DataError, match="this is a folder, not a file"):
            reader(tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        b'"' * 1_000_000 + b"\n",  # a million quotes on one line
        b",".join([b"1"] * 100_000) + b"\n" + b",".join([b"2"] * 100_000) + b"\n",  # 100 000 columns
        b"1," + b"9" * 1_000_000 + b"\n",  # a number with a million digits
        b"x,y\n" + b"1,2\n" * 200_000 + b"1,2,3\n",  # the one bad row at the very end
        b"#" * 2_000_000,  # a comment two megabytes long, no newline
    ],
    ids=["quotes", "columns", "digits", "late-error", "long-comment"],
)
def test_pathological_files_finish_quickly(tmp_path, content):
    path = tmp_path / "hard.csv"
    path.write_bytes(content)
    outcome = finishes_within(30, lambda: read_every_way(path))
    assert "error" not in outcome, outcome.get("error")
    assert outcome["seconds"] < 30


def test_true_or_false_is_no_column_choice(tmp_path):
    # Found by this fuzzing: y_column=True indexed the table with a boolean mask, and the Dataset then
    # refused an array of the wrong shape with a message that named neither the file nor the column.
    path = tmp_path / "d.csv"
    path.write_text("0,1\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"y column index True is not a whole number") as info:
        load_dataset(path, y_column=True)
    assert info.value.path == str(path)


# -- never a silent misread: tables written every way users write them ----------------------------------------
TEXT_ALPHABET = "abcdefghijXYZé°µ-/() "


@st.composite
def written_number(draw, comma: bool, group: bool) -> tuple[str, float, bool]:
    """A number as a writer in one convention prints it: the text, its value (from a canonical text, by
    ``float``), and whether the text tells its convention by itself (a decimal mark before 1 or 2 digits)."""
    negative = draw(st.booleans())
    whole = draw(st.integers(0, 10**7) | st.integers(0, 999))
    places = draw(st.integers(0, 6))
    fraction = f"{draw(st.integers(0, 10**places - 1)):0{places}d}" if places else ""
    exponent = "" if group else draw(st.sampled_from(["", "", "", "e3", "E-7", "e+12"]))
    sign = "-" if negative else ""
    canonical = f"{sign}{whole}" + (f".{fraction}" if places else "") + exponent
    digits = f"{whole:,}" if group else str(whole)
    if comma:
        digits = digits.replace(",", ".")
    text = sign + digits + (("," if comma else ".") + fraction if places else "") + exponent
    return text, float(canonical), places in (1, 2)


@st.composite
def written_tables(draw):
    """A table of x, y and other columns (text, dates, blanks) written in one convention, separator,
    quoting and encoding; returns the file's bytes, the x and y column positions, the expected values,
    the convention, whether the numbers tell it, and the separator."""
    comma, group = draw(st.booleans()), draw(st.booleans())
    delimiter = draw(st.sampled_from([",", ";", "\t", " "]))
    others = draw(st.lists(st.sampled_from(["text", "date", "blank"]), max_size=3))
    kinds = draw(st.permutations(["x", "y", *others]))
    n = draw(st.integers(1, 12))
    header = draw(st.booleans())
    tells = False
    columns, expected = [], {}
    for kind in kinds:
        if kind in ("x", "y"):
            cells = [draw(written_number(comma, group)) for _ in range(n)]
            tells |= any(tell for _, _, tell in cells)
            expected[kind] = [value for _, value, _ in cells]
            columns.append([text for text, _, _ in cells])
        elif kind == "text":
            columns.append([draw(st.text(TEXT_ALPHABET, max_size=8)).strip() for _ in range(n)])
        elif kind == "date":
            days = draw(st.lists(st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)), min_size=n, max_size=n))
            columns.append([d.isoformat() for d in days])
        else:
            columns.append([""] * n)
    quote_all = draw(st.booleans())

    def cell(text: str) -> str:
        if delimiter == " ":
            return text.replace(" ", "_") if text else "-"  # whitespace files cannot hold blanks or spaces
        return f'"{text}"' if quote_all or delimiter in text else text

    lines = [delimiter.join(cell(f"col_{k}") for k in kinds)] if header else []
    lines += [delimiter.join(cell(column[r]) for column in columns) for r in range(n)]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    content = (newline.join(lines) + newline).encode(encoding)
    return content, kinds.index("x"), kinds.index("y"), expected, comma, tells, delimiter


@sizes(300, 3000, "examples")
def test_a_table_written_any_way_reads_back_exactly_or_is_refused(tmp_path, examples):
    @fuzz(examples)
    @given(table=written_tables(), told=st.booleans())
    def check(table, told):
        content, x, y, expected, comma, tells, delimiter = table
        path = fresh_file(tmp_path, content)
        decimal = ("comma" if comma else "point") if told else "auto"
        try:
            loaded = read_dataset(path, x_column=x, y_column=y, decimal=decimal)
        except DataError as exc:
            check_error(exc, path)
            # Refusing is allowed only when the numbers cannot tell their convention and nobody said it.
            settled = told or tells or delimiter in (",", " ")
            assert not settled, str(exc)
            return
        data = loaded.dataset
        if data.x.tolist() != expected["x"] or data.y.tolist() != expected["y"]:
            # Only a convention assumed because nothing told it may differ from the writer's, and then
            # the reader says so (with the way to choose).
            assert not told and not tells and delimiter in (",", " ") and comma, (data.x, data.y, expected)
            assert any("was read as" in n and "--decimal" in n for n in loaded.notices), loaded.notices
        else:
            assert np.array_equal(data.x, expected["x"]) and np.array_equal(data.y, expected["y"])

    check()


@sizes(150, 1500, "examples")
def test_a_date_column_reads_as_the_decimal_years_of_its_dates(tmp_path, examples):
    @fuzz(examples)
    @given(
        moments=st.lists(
            st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 30)).map(lambda m: m.replace(microsecond=0)),
            min_size=1,
            max_size=15,
        ),
        form=st.sampled_from(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"]),
        delimiter=st.sampled_from([",", ";", "\t"]),
    )
    def check(moments, form, delimiter):
        def text(m: dt.datetime) -> str:
            return f"{m.year:04d}" + m.strftime(form)[len(str(m.year)) :] if m.year < 1000 else m.strftime(form)

        lines = [f"when{delimiter}y"] + [f"{text(m)}{delimiter}{k}" for k, m in enumerate(moments)]
        path = fresh_file(tmp_path, ("\n".join(lines) + "\n").encode())
        data = load_dataset(path)
        shown = [dt.datetime.strptime(text(m), form.removesuffix("Z")) if "Z" not in form else None for m in moments]
        for got, m, s in zip(data.x.tolist(), moments, shown):
            written = s if s is not None else dt.datetime.strptime(text(m)[:-1], form[:-1])
            start, end = dt.datetime(written.year, 1, 1), dt.datetime(written.year + 1, 1, 1)
            reference = written.year + (written - start) / (end - start)
            assert abs(got - reference) <= 4e-16 * written.year, (text(m), got, reference)
        assert data.x_is_date and data.x_name == "when"

    check()
