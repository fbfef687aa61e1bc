"""`workbench fit` on files as users bring them: text and date columns beside the chosen ones, dates as x,
--skip-bad-rows, decimal commas with thousands dots, tab-separated text, Windows-1252, standard input ('-'),
and a file too big for the memory allowed.  The command runs in this process (``cli_runner.run_fit``), except
where only a process shows it: standard input through a real pipe, and a memory limit.

Expected values come from the text written (``float`` of a canonical form, ``datetime`` arithmetic) and
plain ``numpy.linalg.lstsq``, never from the reader or fitting code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_fit, run_fit_process


def fit_json(*args, stdin: bytes | None = None, run=run_fit) -> tuple[dict, list[str]]:
    """Run an exact degree-1 fit with --json: exit 0, one JSON object; returns it and the stderr lines."""
    result = run(*args, "--degree", "1", "--optimizer", "exact", "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0]), result.stderr.splitlines()


def bad_input(result: subprocess.CompletedProcess) -> str:
    """Exit 2, nothing on stdout, exactly one 'error: ' line on stderr and no traceback; returns it."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def line_fit(x, y) -> np.ndarray:
    """Fitted values of the least-squares straight line (x centred, so years cost no digits)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    design = np.column_stack([np.ones_like(x), x - x.mean()])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    return design @ coefficients


def assert_fitted(report: dict, x, y) -> None:
    assert report["n_points"] == len(y)
    np.testing.assert_allclose(report["fitted"], line_fit(x, y), rtol=1e-10, atol=1e-10)


def decimal_year(moment: dt.datetime) -> float:
    start, end = dt.datetime(moment.year, 1, 1), dt.datetime(moment.year + 1, 1, 1)
    return moment.year + (moment - start) / (end - start)


MONTHS = [dt.datetime(2019, 1, 1) + dt.timedelta(days=30 * k + k // 2) for k in range(14)]
PPM = [410.0 + 0.2 * k + 0.3 * (-1) ** k for k in range(14)]


def station_file(tmp_path: Path) -> Path:
    rows = [
        f"{'Mauna Loa' if k % 3 else 'Barrow'},{m:%Y-%m-%d},{'' if k % 4 else 'checked'},{k + 0.5!r},{v!r},"
        for k, (m, v) in enumerate(zip(MONTHS, PPM))
    ]
    path = tmp_path / "stations.csv"
    path.write_text("station,date,flag,t,co2,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_columns_not_chosen_may_hold_text_dates_and_blanks(tmp_path):
    report, notes = fit_json(station_file(tmp_path), "--x-column", "3", "--y-column", "4")
    assert_fitted(report, [k + 0.5 for k in range(14)], PPM)
    assert notes == []


def test_a_date_column_is_x_in_decimal_years(tmp_path):
    report, _ = fit_json(station_file(tmp_path), "--x-column", "1", "--y-column", "4")
    assert_fitted(report, [decimal_year(m) for m in MONTHS], PPM)


BAD_ROWS = "x,y\n1,2\n2,\n3,6\nn/a,8\n5,10\n6,twelve\n7,14\n"


def test_without_skipping_the_first_bad_line_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    line = bad_input(run_fit(path))
    assert "bad.csv, line 3, column 2: empty cell" in line and "--skip-bad-rows" in line


def test_skip_bad_rows_fits_the_rest_and_names_the_lines(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    report, notes = fit_json(path, "--skip-bad-rows")
    assert_fitted(report, [1, 3, 5, 7], [2, 6, 10, 14])
    assert notes == [
        "note: skipped 3 rows (an empty or unreadable x or y cell, or the wrong number of cells): lines 3, 5, 7"
    ]


def test_a_semicolon_file_with_decimal_commas_reads_thousands_dots(tmp_path):
    path = tmp_path / "de.csv"
    path.write_bytes("Jahr;Menge in €\n1.260;255,84\n980;12,5\n2.015;1.003,25\n".encode("cp1252"))
    report, notes = fit_json(path)
    assert_fitted(report, [1260, 980, 2015], [255.84, 12.5, 1003.25])
    assert any("Windows-1252" in n for n in notes) and any("'1.260' on line 2 is 1260" in n for n in notes)


def test_a_file_written_both_ways_is_refused_with_its_line(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("x;y\n1;255,84\n2,5;3\n3.5;4\n", encoding="utf-8")
    line = bad_input(run_fit(path))
    assert "line 4, column 1: '3.5' has a decimal point" in line and "line 3" not in line.split(":")[0]


def test_numbers_that_do_not_tell_need_decimal(tmp_path):
    path = tmp_path / "unclear.csv"
    path.write_text("x;y\n1.250;1\n2.500;2\n3.750;4\n", encoding="utf-8")
    line = bad_input(run_fit(path))
    assert "line 2, column 1" in line and "--decimal" in line
    report, _ = fit_json(path, "--decimal", "comma")
    assert_fitted(report, [1250, 2500, 3750], [1, 2, 4])
    report, _ = fit_json(path, "--decimal", "point")
    assert_fitted(report, [1.25, 2.5, 3.75], [1, 2, 4])


def test_tab_separated_text_with_decimal_commas(tmp_path):
    path = tmp_path / "copied.txt"
    path.write_text("Zeit\tWert\n0,5\t1,25\n1\t-2,5\n1,5\t3\n", encoding="utf-8")
    report, _ = fit_json(path)
    assert_fitted(report, [0.5, 1.0, 1.5], [1.25, -2.5, 3.0])


def test_standard_input(tmp_path):
    # Through a real pipe once; the rest reads the same bytes from a stand-in for sys.stdin.
    report, notes = fit_json("-", stdin="x\ty\n0,5\t1\n1,5\t2,5\n2\t2\n".encode("cp1252"), run=run_fit_process)
    assert_fitted(report, [0.5, 1.5, 2.0], [1.0, 2.5, 2.0])
    assert report["file"] == "-"
    line = bad_input(run_fit("-", stdin=b"x,y\n1,2\n3,oops\n"))
    assert line.startswith("error: standard input, line 3, column 2: 'oops' is not a number")
    report, notes = fit_json("-", "--skip-bad-rows", stdin=BAD_ROWS.encode())
    assert report["n_points"] == 4 and "lines 3, 5, 7" in notes[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="address-space limits and /proc are Linux's")
def test_a_file_too_big_for_the_memory_allowed_is_one_error_line(tmp_path):
    import resource

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    probe = subprocess.run(
        [sys.executable, "-c", "import numpy, workbench.fitting.data; print(open('/proc/self/status').read())"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    vm = next(int(line.split()[1]) * 1024 for line in probe.stdout.splitlines() if line.startswith("VmSize:"))
    limit = vm + 96 * 2**20
    path = tmp_path / "big.csv"
    with path.open("w", encoding="ascii") as f:  # 3·10⁶ rows: ~100 MB of numbers to read, in a 28 MB file
        f.write("x,y\n")
        f.writelines(f"{k},{k % 7}\n" for k in range(3_000_000))

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = run_fit_process(path, preexec_fn=limited, env=env)
    # Exit 1, as for memory running out anywhere else: the file is not wrong, the machine is too small.
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    line = lines[0]
    assert "big.csv" in line and "too big for the memory available" in line, line
