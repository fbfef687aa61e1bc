"""Damaged session files, opened in the real window in another process: none may crash it.

Sessions saved by a real window (docks moved, a run, snapshots, points saved as base64; a formula run in
mini-batches with its landmark shown, an orthonormal basis's factor, named columns) are damaged
anywhere (a byte changed, dropped or added; a base64 array or the sealed layout's bytes changed, cut or
extended; a layout forged with a recomputed hash; any field replaced; the file cut short), and every damaged
file is opened, one after another, by one window in a subprocess (open_sessions_in_window.py): a crash
there (one changed byte in a layout used to segfault Qt) shows as its exit code and faulthandler's report.
Every file must either open, showing exactly what it holds, or be refused with an error that names it and
says why, leaving the window as it was.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from session_helpers import LAYOUT_SPOILS, plain_sha256, spoiled_layout
from stress_sizes import fuzz, sizes

from workbench.fitting.data import Dataset

SCRIPT = Path(__file__).with_name("open_sessions_in_window.py")
WRONG = [None, True, 0, -1, 2**63, 1e308, "", "text", [], [1.0], {}, {"float64": "AAAA"}]


def valid_session(make_main_window, qtbot, tmp_path) -> bytes:
    """A session with every part filled, saved by a real window whose docks were moved."""
    x = [0.05 * i - 1.0 for i in range(60)]
    window = make_main_window(dataset=Dataset(x, [v**3 - v + 0.1 * (i % 3) for i, v in enumerate(x)], "damaged"))
    ctl = window.controller
    ctl.set_degree(3)
    ctl.set_knob(1, 0.5)
    ctl.set_run_settings(max_steps=40)
    with qtbot.waitSignal(ctl.runFinished, timeout=10_000):
        ctl.start_run()
    ctl.take_snapshot("exact")
    window.docks["surface"].hide()
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["loss"])
    window.squares_action.setChecked(True)
    path = tmp_path / "valid.json"
    assert window.session_manager.save_to(path)
    data = path.read_bytes()
    assert b'"float64":"' in data and b'"hmac_sha256"' in data
    return data


def valid_formula_session(make_main_window, qtbot, tmp_path) -> bytes:
    """A session of what the window saves beyond the polynomial's: a formula (its landmark shown), run in
    mini-batches with a seed, an orthonormal basis kept for going back to the polynomial, named columns."""
    x = [0.1 * i for i in range(50)]
    data = Dataset(x, [3.0 * 0.6**v + 0.5 + 0.01 * (i % 5) for i, v in enumerate(x)], "decay", None, "t (s)", "level")
    window = make_main_window(dataset=data)
    ctl = window.controller
    ctl.set_degree(3)
    ctl.set_basis("orthonormal")
    ctl.set_model("formula", formula="amp*exp(-k*x) + c")
    qtbot.waitUntil(lambda: not ctl.formulas.busy, timeout=30_000)
    ctl.set_run_settings(optimizer="adam", lr=0.05, max_steps=40, batch_size=8, seed=3)
    with qtbot.waitSignal(ctl.runFinished, timeout=30_000):
        ctl.start_run()
    ctl.show_exact(True)
    qtbot.waitUntil(lambda: window.document.landmark is not None, timeout=30_000)
    ctl.take_snapshot("exact")
    path = tmp_path / "valid-formula.json"
    assert window.session_manager.save_to(path)
    data = path.read_bytes()
    assert b'"factor":{"float64":"' in data and b'"formula":"amp*exp(-k*x) + c"' in data
    assert b'"batch_size":8' in data and b'"batch_history":[{"float64":"' in data
    return data


def damages(valid: bytes):
    """Hypothesis strategy: the valid file damaged in one of many ways (bytes)."""
    text = valid.decode("utf-8")
    d = json.loads(text)
    b64_spans = [m.span(1) for m in re.finditer(r'"(?:float64|state|geometry)":"([^"]*)"', text)]
    paths = list(_paths(d))[1:]

    def at_byte(pos, kind, payload):
        if kind == "change":
            return valid[:pos] + payload[:1] + valid[pos + 1 :]
        if kind == "drop":
            return valid[:pos] + valid[pos + len(payload) :]
        return valid[:pos] + payload + valid[pos:]

    def in_base64(span, offset, kind, chars):
        start, end = span
        pos = start + offset % max(end - start, 1)
        if kind == "change":
            out = text[:pos] + chars[:1] + text[pos + 1 :]
        elif kind == "drop":
            out = text[:pos] + text[pos + len(chars) :]
        elif kind == "insert":
            out = text[:pos] + chars + text[pos:]
        else:  # cut the string short here
            out = text[:pos] + text[end:]
        return out.encode("utf-8")

    def layout_bytes(which, pos, value, reseal):
        """Qt's own bytes of the layout changed (and, with ``reseal``, the hash recomputed over them)."""
        damaged = json.loads(text)
        sealed = damaged["view"]["layout"]
        raw = bytearray(base64.b64decode(sealed[which]))
        raw[pos % len(raw)] = value
        sealed[which] = base64.b64encode(bytes(raw)).decode("ascii")
        if reseal:
            sealed["hmac_sha256"] = plain_sha256(sealed)
        return json.dumps(damaged).encode("utf-8")

    def layout_spoiled(spoil):
        damaged = json.loads(text)
        damaged["view"]["layout"] = spoiled_layout(damaged["view"]["layout"], spoil)
        return json.dumps(damaged).encode("utf-8")

    def replaced(path, value):
        damaged = json.loads(text)
        node = damaged
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return json.dumps(damaged).encode("utf-8")

    base64_chars = st.text(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!\\é\n ", min_size=1, max_size=9
    )
    return st.one_of(
        st.builds(
            at_byte,
            st.integers(0, len(valid) - 1),
            st.sampled_from(["change", "drop", "insert"]),
            st.binary(min_size=1, max_size=8),
        ),
        st.builds(
            in_base64,
            st.sampled_from(b64_spans),
            st.integers(0, 10**6),
            st.sampled_from(["change", "drop", "insert", "cut"]),
            base64_chars,
        ),
        st.builds(
            layout_bytes,
            st.sampled_from(["state", "geometry"]),
            st.integers(0, 10**6),
            st.integers(0, 255),
            st.booleans(),
        ),
        st.builds(layout_spoiled, st.sampled_from(LAYOUT_SPOILS)),
        st.builds(replaced, st.sampled_from(paths), st.sampled_from(WRONG)),
        st.integers(0, len(valid) - 1).map(lambda n: valid[:n]),
    )


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            yield from _paths(value, prefix + (i,))


def open_in_a_subprocess(files: list[Path], settings: str, recovery: Path, timeout: float):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONFAULTHANDLER": "1"}
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", str(SCRIPT), settings, str(recovery), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(recovery.parent),
    )


@sizes(40, 400, "examples")
def test_damaged_sessions_never_crash_the_window(make_main_window, qtbot, tmp_path, isolated_settings, examples):
    valid = valid_session(make_main_window, qtbot, tmp_path)
    valid_formula = valid_formula_session(make_main_window, qtbot, tmp_path)
    folder = tmp_path / "damaged"
    folder.mkdir()
    files: list[Path] = [tmp_path / "valid.json", tmp_path / "valid-formula.json"]

    @fuzz(examples)
    @given(content=damages(valid) | damages(valid_formula))
    def collect(content):
        path = folder / f"{len(files):04}.json"
        path.write_bytes(content)
        files.append(path)

    collect()
    result = open_in_a_subprocess(files, isolated_settings, tmp_path / "recovery", timeout=60 + 3 * len(files))

    lines = result.stdout.splitlines()
    started = [json.loads(line)["start"] for line in lines if line.startswith('{"start"')]
    assert result.returncode == 0 and lines[-1:] == ["done"], (
        f"the window's process ended with {result.returncode} while opening {started[-1:]}\n{result.stderr[-6000:]}"
    )
    assert "Fatal Python error" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-6000:]
    reports = [json.loads(line) for line in lines if line.startswith('{"file"')]
    assert [r["file"] for r in reports] == [str(f) for f in files]
    for report in reports[:2]:
        assert report["opened"] and report["exact"] and report["notices"][-1][0] == "info", report
    refused = 0
    for report in reports:
        name, notices = report["file"], report["notices"]
        if report["opened"]:
            assert report["exact"], report  # opened: exactly what the file holds
            warnings = [text for level, text in notices if level == "warning"]
            assert all(text.startswith(f"{name}: ") for text in warnings), report  # (a layout not restored)
            continue
        refused += 1
        assert report["unchanged"], report  # refused: the window as it was
        errors = [text for level, text in notices if level == "error"]
        assert len(errors) == 1, report
        assert errors[0].startswith(f"Could not open the session: {name}: "), report  # names the file...
        assert len(errors[0]) > len(f"Could not open the session: {name}: ") + 10, report  # ...and says why
    assert refused > 0  # (the damage reached the reader, not only places it ignores)
