"""Fuzzing the session loader beyond test_session.py: every field with every wrong type, every number
replaced by a huge, tiny or non-finite literal, deep nesting anywhere, BOMs, line endings and unicode,
empty input, things that are not files, and inputs built to be slow.

The rule is the same as there: ``session_from_json`` / ``load_session`` return a whole, valid session
(which saves again) or raise ``SessionError`` naming the source; never another exception, never a hang.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stress_sizes import fuzz, sizes
from test_session import (
    VALID_TEXT,
    _paths,
    _set,
    as_written,
    formula_sample_session,
    load_or_session_error,
    sample_session,
    to_json,
)

from workbench.state.session import LoadedSession, SessionError, load_session, session_from_json
from workbench.state.session_reader import MAX_DEPTH, OVERLAYS

VALID = json.loads(VALID_TEXT)
FIELD_PATHS = list(_paths(VALID))[1:]

# A value of every JSON kind, and numbers at and past every limit the reader has.
WRONG_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**63,
    10**30,
    -(10**30),
    0.5,
    -0.0,
    1e308,
    "",
    "1.5",
    "NaN",
    [],
    [None],
    [1.0],
    [[1.0]],
    {},
    {"x": 1},
    "😀 unicode",
    "\u202etext reversed",
]


# The sample as a formula session (its knobs counted by the formula's parameters).
FORMULA = json.loads(to_json(formula_sample_session()))


@pytest.mark.parametrize("valid", [VALID, FORMULA], ids=["polynomial", "formula"])
def test_every_field_with_every_wrong_value_gives_a_session_or_a_clear_error(valid):
    for path in list(_paths(valid))[1:]:
        for value in WRONG_VALUES:
            d = copy.deepcopy(valid)
            _set(list(path), value)(d)
            result = load_or_session_error(json.dumps(d))
            if result is not None:  # the value happened to be valid there: the load reflects it (a whole
                # number where a float belongs is read as the nearest float, as 10**30 → 1e30)
                assert json.loads(to_json(result), parse_int=float) == as_written(d), (path, value)


# -- the window's limits ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path, value, message",
    [
        # Found by this fuzzing: values the reader accepted but the window's controls cannot show; a
        # QSpinBox raised OverflowError above 2^31 − 1 (a slot failing as the session opened) and clamped
        # the others silently, so the window showed another number than the one it used.
        (
            ["settings", "max_steps"],
            10**30,
            r"settings\.max_steps: .* out of range; use a whole number from 1 to 10000000",
        ),
        (["settings", "max_steps"], 0, r"settings\.max_steps: 0 is out of range"),
        (
            ["settings", "patience"],
            2**31,
            r"settings\.patience: .* out of range; use a whole number from 1 to 10000000",
        ),
        (["settings", "lr"], 11.0, r"settings\.lr: 11\.0 is out of range; use a learning rate from 1e-300 to 10"),
        (["settings", "lr"], 1e-301, r"settings\.lr: 1e-301 is out of range"),
        (["last_run", "settings", "lr"], 100, r"last_run\.settings\.lr: 100 is out of range"),
        (["hidden", 0], 65, r"hidden\[0\]: 65 is out of range; use a whole number from 1 to 64"),
        (["split", "fraction"], 0.005, r"split\.fraction: 0\.005 is not between 0\.01 and 0\.9"),
        (["split", "fraction"], 0.95, r"split\.fraction: 0\.95 is not between 0\.01 and 0\.9"),
        (["split", "seed"], 2**31, r"split\.seed: 2147483648 is out of range; use a whole number from 0 to 2147483647"),
        # The batch size and its seed are shown in spin boxes too.
        (["settings", "batch_size"], 2**31, r"settings\.batch_size: 2147483648 is out of range; use a whole number"),
        (["settings", "batch_size"], 0, r"settings\.batch_size: 0 is out of range"),
        (["settings", "seed"], 2**31, r"settings\.seed: 2147483648 is out of range; use a whole number from 0"),
        (["last_run", "settings", "seed"], -1, r"last_run\.settings\.seed: -1 is out of range"),
    ],
)
def test_values_the_window_cannot_show_are_refused_with_the_range(path, value, message):
    d = copy.deepcopy(VALID)
    _set(path, value)(d)
    with pytest.raises(SessionError, match=message):
        session_from_json(json.dumps(d), source="s.json")


@pytest.mark.parametrize(
    "path, value",
    [
        (["settings", "max_steps"], 10_000_000),
        (["settings", "lr"], 10.0),
        (["settings", "lr"], 1e-6),
        (["split", "fraction"], 0.01),
        (["split", "fraction"], 0.9),
        (["split", "seed"], 2**31 - 1),
        (["settings", "patience"], 10_000_000),
        (["settings", "batch_size"], 2**31 - 1),
        (["settings", "batch_size"], 1),
        (["settings", "seed"], 2**31 - 1),
        (["settings", "optimizer"], "lm"),
    ],
)
def test_the_limits_themselves_are_accepted(path, value):
    d = copy.deepcopy(VALID)
    _set(path, value)(d)
    assert load_or_session_error(json.dumps(d)) is not None


# -- every number, one at a time, replaced by a literal at or past the edge of double precision -----------
NUMBER = re.compile(r"(?<=[:\[,])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?=[,\]}])")
NUMBER_SPANS = [m.span() for m in NUMBER.finditer(VALID_TEXT)]
LITERALS = [
    "1e400",
    "-1e400",
    "1" + "0" * 5000,
    "1" + "0" * 5000 + ".0",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e-400",
    "-0",
    "4.9e-324",
    "1.7976931348623157e308",
    "9007199254740993",
    "18446744073709551616",
    "1E+2",
    "0x10",
    "01",
    ".5",
    "+1",
    "1.",
    "1e",
    "--1",
]


def test_the_sample_has_numbers_in_every_part():
    assert len(NUMBER_SPANS) > 40


@sizes(300, 4000, "examples")
def test_any_number_replaced_by_an_extreme_literal(examples):
    @fuzz(examples)
    @given(span=st.sampled_from(NUMBER_SPANS), literal=st.sampled_from(LITERALS))
    def check(span, literal):
        text = VALID_TEXT[: span[0]] + literal + VALID_TEXT[span[1] :]
        load_or_session_error(text)
        load_or_session_error(text.encode("utf-8"))

    check()


def test_huge_and_non_finite_literals_are_named_where_they_are():
    at = VALID_TEXT.index('"theta":[') + len('"theta":[')
    for literal, why in [
        ("1e400", "non-finite number inf"),
        ("NaN", "non-finite number nan"),
        ("-Infinity", "non-finite number -inf"),
        ("1" + "0" * 400, "number too large"),
    ]:
        text = VALID_TEXT[:at] + literal + VALID_TEXT[at + 3 :]  # the first knob, "1.0"
        with pytest.raises(SessionError, match=rf"theta\[0\]: {why}"):
            session_from_json(text, source="s.json")
    with pytest.raises(SessionError, match="not valid JSON.*4300"):
        session_from_json(VALID_TEXT[:at] + "1" + "0" * 5000 + VALID_TEXT[at + 3 :], source="s.json")


# -- deep nesting anywhere --------------------------------------------------------------------------------
@sizes(60, 600, "examples")
def test_deep_nesting_anywhere_is_refused_without_recursion_error(examples):
    @fuzz(examples)
    @given(
        path=st.sampled_from(FIELD_PATHS),
        depth=st.integers(MAX_DEPTH + 1, 50_000),
        kinds=st.lists(st.sampled_from(["[", '{"k":']), min_size=1, max_size=3),
    )
    def check(path, depth, kinds):
        d = copy.deepcopy(VALID)
        _set(list(path), "DEEP")(d)
        opening = "".join(kinds[i % len(kinds)] for i in range(depth))
        closing = "".join("]" if c == "[" else "}" for c in reversed([kinds[i % len(kinds)][0] for i in range(depth)]))
        text = json.dumps(d).replace('"DEEP"', opening + "1" + closing, 1)
        assert load_or_session_error(text) is None

    check()


# -- encodings, line endings, unicode ------------------------------------------------------------------------
def test_a_byte_order_mark_is_accepted():
    # Found by this fuzzing: a session saved again by an editor that writes a BOM was "not valid JSON".
    for data in ("\ufeff" + VALID_TEXT, b"\xef\xbb\xbf" + VALID_TEXT.encode("utf-8")):
        assert to_json(session_from_json(data)) == VALID_TEXT


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_reformatted_with_any_line_ending_and_indent_loads_the_same(newline):
    text = json.dumps(VALID, indent=3, ensure_ascii=True).replace("\n", newline)
    assert to_json(session_from_json(text)) == VALID_TEXT
    assert to_json(session_from_json(text.encode("utf-8"))) == VALID_TEXT


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "latin-1", "cp1252"])
def test_other_encodings_are_refused_or_read_exactly(encoding):
    d = copy.deepcopy(VALID)
    d["dataset"]["name"] = "Messung °C"
    data = json.dumps(d, ensure_ascii=False).encode(encoding)
    result = load_or_session_error(data)
    assert result is None or result.document.dataset.name == "Messung °C"


@sizes(100, 1500, "examples")
def test_any_unicode_in_names_and_keys(examples):
    @fuzz(examples)
    @given(name=st.text(max_size=30), key=st.text(min_size=1, max_size=10))
    def check(name, key):
        d = copy.deepcopy(VALID)
        d["dataset"]["name"] = name
        d["snapshots"][key] = d["snapshots"]["exact"]
        d["view"][key] = name
        for text in (json.dumps(d), json.dumps(d, ensure_ascii=False)):
            result = load_or_session_error(text)
            surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in name + key)
            assert (result is None) == (surrogate or key in OVERLAYS), (name, key)  # (overlays are true/false)
            if result is not None:
                assert result.document.dataset.name == name and key in result.document.snapshots

    check()


@pytest.mark.parametrize("data", ["", b"", "   \n\t", "\ufeff", b"\xef\xbb\xbf", "null", "0", '""', "[]", "{}"])
def test_empty_and_trivial_documents(data):
    assert load_or_session_error(data) is None


# -- not files, and inputs built to be slow ------------------------------------------------------------------
def finishes_within(seconds: float, work) -> dict:
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
    assert not thread.is_alive(), f"still loading after {seconds} s"
    outcome["seconds"] = time.perf_counter() - started
    return outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_a_pipe_is_refused_at_once(tmp_path):
    # Found by this fuzzing: File › Open session on a named pipe waited for ever for a writer.
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    try:
        outcome = finishes_within(5, lambda: load_session(pipe))
    finally:
        try:
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert isinstance(outcome.get("error"), SessionError) and "not a regular file" in str(outcome["error"])


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_devices_are_refused_at_once(path):
    if not os.path.exists(path):
        pytest.skip(f"no {path} here")
    outcome = finishes_within(5, lambda: load_session(path))
    assert isinstance(outcome.get("error"), SessionError) and "not a regular file" in str(outcome["error"])


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(SessionError, match="this is a folder, not a file"):
        load_session(tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 2_000_000,
        '"' + "a" * 10_000_000 + '"',
        "1" * 1_000_000,
        '{"schema_version":1,"dataset":{"name":"","x":[' + ",".join(["1.5"] * 1_000_000) + '],"y":[]}}',
        '{"schema_version":1,"view":{' + ",".join(f'"k{i}":{i}' for i in range(300_000)) + "}}",
        '"\\ud800' * 100_000 + '"',
        VALID_TEXT.replace('"x":[0.0,1.0,2.0,3.0]', '"x":{"float64":"' + "A" * 20_000_000 + '"}', 1),
        VALID_TEXT.replace('"x":[0.0,1.0,2.0,3.0]', '"x":{"float64":"' + "A" * 20_000_000 + '!"}', 1),
    ],
    ids=[
        "open-brackets",
        "long-string",
        "long-integer",
        "million-points",
        "wide-object",
        "surrogates",
        "million-packed-points",
        "long-bad-base64",
    ],
)
def test_inputs_built_to_be_slow_finish_quickly(text):
    outcome = finishes_within(60, lambda: load_or_session_error(text))
    assert "error" not in outcome, outcome.get("error")
    assert outcome["value"] is None


def test_a_valid_session_still_round_trips():
    assert isinstance(session_from_json(VALID_TEXT), LoadedSession)
    assert to_json(sample_session()) == VALID_TEXT
