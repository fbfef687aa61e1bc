"""Fuzzing the window's file handling: damaged sessions through File › Open session, damaged data files
through File › Open data (and a drop).

One window serves every example.  A file that cannot be opened must leave the session exactly as it was
— the same dataset object, the same state, knobs, run settings and snapshots, undo history, title,
modified flag and session path — and say why in an error notice naming the file; a file that happens to
be valid opens as it would from the menu.  An exception in a slot fails the test (pytest-qt), so does a
Qt warning.
"""

from __future__ import annotations

import copy
import json
import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from session_helpers import session_from_window, session_text
from stress_sizes import fuzz, sizes

from workbench.fitting.data import load_dataset
from workbench.state.session import load_session

WRONG = [None, True, 0, -1, 2**31, 2**63, 10**30, 0.5, -0.0, 1e308, "", "text", [], [1.0], {}, {"x": 1}]
LITERALS = ["1e400", "-1e400", "1" + "0" * 5000, "NaN", "Infinity", "-Infinity", "1e-400", "-0", "0x1", "+1"]


def paths_of(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths_of(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            yield from paths_of(value, prefix + (i,))


def put(d, path, value) -> None:
    *parents, last = path
    for key in parents:
        d = d[key]
    d[last] = value


def fingerprint(window) -> tuple:
    """Everything an unopened file must leave as it was (the dataset and state compared by identity)."""
    doc, sessions = window.document, window.session_manager
    return (
        id(doc.dataset),
        id(doc.state),
        doc.theta.tobytes(),
        doc.settings,
        tuple(doc.snapshots),
        doc.undo_stack.count(),
        doc.undo_stack.index(),
        window.windowTitle(),
        sessions.modified,
        sessions.path,
        len(doc.loss_history),
        doc.manual_moves,
    )


def prepare(qtbot, make_main_window, tmp_path):
    """A window with a run and a saved session, then three unsaved steps: modified, with a title to keep."""
    window = make_main_window()
    window.controller.set_run_settings(max_steps=200)
    window.controller.start_run()
    qtbot.waitUntil(lambda: not window.controller.running, timeout=10_000)
    good = tmp_path / "good.json"
    assert window.session_manager.save_to(good)
    window.controller.add_point(0.25, 0.5)
    window.controller.set_knob(0, 0.75)
    window.controller.set_degree(3)
    notices: list[tuple[str, str]] = []
    window.controller.notice.connect(lambda level, text: notices.append((level, text)))
    return window, good, notices


def try_session(window, path, notices, good) -> None:
    """Open ``path`` as a session: refused with nothing changed, or opened as the file says."""
    before = fingerprint(window)
    notices.clear()
    opened = window.session_manager.open_path(path)
    if not opened:
        assert fingerprint(window) == before
        assert notices and notices[-1][0] == "error" and str(path) in notices[-1][1], notices
        return
    session = load_session(path).document  # valid after all: the window shows exactly it
    assert window.document.dataset == session.dataset
    assert np.array_equal(window.document.theta, session.theta) and not window.session_manager.modified
    assert window.session_manager.open_path(good)  # back to the starting point for the next example
    window.controller.add_point(0.25, 0.5)
    window.controller.set_knob(0, 0.75)
    window.controller.set_degree(3)


@sizes(40, 400, "examples")
def test_damaged_sessions_leave_the_window_as_it_was(qtbot, make_main_window, tmp_path, examples):
    window, good, notices = prepare(qtbot, make_main_window, tmp_path)
    text = good.read_text(encoding="utf-8")
    valid = json.loads(text)
    paths = list(paths_of(valid))[1:]
    numbers = [m.span() for m in re.finditer(r"(?<=[:\[,])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?=[,\]}])", text)]
    target = tmp_path / "fuzzed.json"

    def mutated(path, value) -> bytes:
        d = copy.deepcopy(valid)
        put(d, path, value)
        return json.dumps(d).encode("utf-8")

    def deep(path, depth) -> bytes:
        return mutated(path, "DEEP").replace(b'"DEEP"', b"[" * depth + b"]" * depth, 1)

    damage = st.one_of(
        st.binary(max_size=300),
        st.integers(0, len(text) - 1).map(lambda n: text.encode("utf-8")[:n]),
        st.builds(mutated, st.sampled_from(paths), st.sampled_from(WRONG)),
        st.builds(
            lambda span, lit: (text[: span[0]] + lit + text[span[1] :]).encode("utf-8"),
            st.sampled_from(numbers),
            st.sampled_from(LITERALS),
        ),
        st.builds(deep, st.sampled_from(paths), st.integers(70, 5000)),
        st.sampled_from([b"", b"\xef\xbb\xbf", b"null", b"{}", b"[]", "\u00e9\u0301".encode("utf-16")]),
    )

    @fuzz(examples)
    @given(content=damage)
    def check(content):
        target.write_bytes(content)
        try_session(window, target, notices, good)

    check()


def test_the_seed_limit_agrees_with_the_seed_box(qtbot, make_main_window, tmp_path):
    # Found by this fuzzing (and known): the reader took seeds up to 2^63 − 1 but the seed box holds
    # 2^31 − 1, so opening such a session raised OverflowError in a slot of the validation controls.
    window, good, notices = prepare(qtbot, make_main_window, tmp_path)
    valid = json.loads(good.read_text(encoding="utf-8"))
    valid["split"] = {"fraction": 0.25, "seed": 2**31 - 1}
    top = tmp_path / "top.json"
    top.write_text(json.dumps(valid), encoding="utf-8")
    assert window.session_manager.open_path(top)
    assert window.findChild(type(window.model_panel.steps_spin), "splitSeedSpin").value() == 2**31 - 1
    valid["split"]["seed"] = 2**31
    over = tmp_path / "over.json"
    over.write_text(json.dumps(valid), encoding="utf-8")
    before = fingerprint(window)
    assert not window.session_manager.open_path(over)
    assert fingerprint(window) == before
    assert "split.seed: 2147483648 is out of range; use a whole number from 0 to 2147483647" in notices[-1][1]


def test_settings_at_the_window_limits_open_and_show_exactly(qtbot, make_main_window, tmp_path):
    window, good, _ = prepare(qtbot, make_main_window, tmp_path)
    valid = json.loads(good.read_text(encoding="utf-8"))
    valid["settings"].update(lr=10.0, max_steps=10_000_000, patience=10_000_000)
    valid["split"] = {"fraction": 0.9, "seed": 3}
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(valid), encoding="utf-8")
    assert window.session_manager.open_path(path)
    panel = window.model_panel
    assert (panel.lr_spin.value(), panel.steps_spin.value()) == (10.0, 10_000_000)
    controls = window.findChild(type(panel.steps_spin), "patienceSpin")
    assert controls.value() == 10_000_000
    assert window.findChild(type(panel.steps_spin), "holdOutSpin").value() == 90


# -- data files through File › Open data and a drop -------------------------------------------------------------
@sizes(40, 400, "examples")
def test_damaged_data_files_leave_the_window_as_it_was_or_open(qtbot, make_main_window, tmp_path, examples):
    window, _, _ = prepare(qtbot, make_main_window, tmp_path)
    sample = window.document.dataset
    text = "x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(sample.x, sample.y))
    target = tmp_path / "fuzzed.csv"
    damage = st.one_of(
        st.binary(max_size=200),
        st.integers(0, len(text)).map(lambda n: text[:n].encode("utf-8")),
        st.builds(
            lambda n, cell: (text[:n] + cell + text[n:]).encode("utf-8"),
            st.integers(0, len(text)),
            st.sampled_from(["1e400", "nan", ",", ";", '"', "\n1", "\r", "\ufeff", "# c", "1_0", "x"]),
        ),
        st.sampled_from([b"", b"\xef\xbb\xbf", b"\n\n", "x,y\r\n1,2\r\n3,4\r\n".encode("utf-16")]),
    )

    @fuzz(examples)
    @given(content=damage, drop=st.booleans())
    def check(content, drop):
        target.write_bytes(content)
        before = fingerprint(window)
        window.statusBar().clearMessage()
        window.notice_label.setVisible(False)
        dialog = None
        if drop:
            window.open_dropped(target)
            dialog = window.import_dialog  # not two columns: the import dialog shows the file
            if dialog is not None:
                dialog.reject()
        else:
            window.open_path(target)
        if dialog is not None:
            assert fingerprint(window) == before  # (closed without choosing: nothing opened)
            return
        if fingerprint(window) == before:
            message = window.statusBar().currentMessage()  # (a drop reports through the window itself)
            assert "Could not open" in message and str(target) in message, message
            assert window.notice_label.isVisible() and str(target) in window.notice_label.text()
            return
        data = load_dataset(target)  # opened: exactly the file's first two columns
        assert window.document.dataset == data and window.document.dataset.name == "fuzzed"
        window.undo_action.trigger()  # back to the data this example started from
        assert id(window.document.dataset) == before[0]

    check()


def test_a_session_saved_with_a_bom_by_an_editor_opens(qtbot, make_main_window, tmp_path):
    window, good, _ = prepare(qtbot, make_main_window, tmp_path)
    edited = tmp_path / "edited.json"
    edited.write_bytes(b"\xef\xbb\xbf" + good.read_bytes().replace(b"\n", b"\r\n"))
    assert window.session_manager.open_path(edited)
    opened, saved = session_from_window(window), load_session(good)
    assert json.loads(session_text(opened))["dataset"] == json.loads(session_text(saved))["dataset"]
    assert opened.document.theta.tobytes() == saved.document.theta.tobytes()
