"""The formula language: what it reads, what it refuses and how it says so, fuzzed with hypothesis.

The fuzz tests hold three promises: the parser never raises anything but ``FormulaError`` (with a line
and column inside the text), it never evaluates the text as code (``eval``, ``exec`` and ``compile`` are
booby-trapped while it runs), and every formula it accepts computes what its text says (checked
against an independent NumPy evaluation of generated formulas).
"""

from __future__ import annotations

import builtins
import contextlib
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workbench.fitting import formula
from workbench.fitting.formula import FormulaError, parse
from workbench.fitting.formula_model import FormulaModel, read_formula
from workbench.fitting.formula_text import render

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- what it reads -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "parameters"),
    [
        ("a*exp(-b*x) + c", ("a", "b", "c")),
        ("b1*(1-exp(-b2*x))", ("b1", "b2")),
        ("A*sin(w*x + phi)", ("A", "w", "phi")),
        ("(b1 + b2*x + b3*x**2) / (1 + b4*x + b5*x**2)", ("b1", "b2", "b3", "b4", "b5")),
        ("y = k*x", ("k",)),
        ("b1*(1-exp[-b2*x])", ("b1", "b2")),
        ("α·exp(−β×x) ÷ 2", ("α", "β")),
        ("c + x*m\n    + q*x^2", ("c", "m", "q")),
        ("a*ln(x) + atan(x)*b + e*pi*x*k", ("a", "b", "k")),
    ],
)
def test_reads_formulas_and_names_parameters_in_order_of_first_appearance(text, parameters):
    parsed = parse(text)
    assert parsed.parameters == parameters and parsed.uses_x


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-x^2*k", lambda x, k: -(x**2) * k),
        ("k*2^-x", lambda x, k: k * 2.0 ** (-x)),
        ("k*x^2^0.5", lambda x, k: k * x ** (2**0.5)),
        ("k*x**3/2", lambda x, k: k * x**3 / 2),
        ("k - x - 1", lambda x, k: (k - x) - 1),
        ("k/x/2", lambda x, k: (k / x) / 2),
        ("k*.5 + 1e-3*x + 2.*x + 1E+1", lambda x, k: k * 0.5 + 1e-3 * x + 2.0 * x + 10.0),
        ("k*e^x + pi", lambda x, k: k * math.e**x + math.pi),
        ("--k*x", lambda x, k: k * x),
        ("k*abs(x - 2) + tanh(x)", lambda x, k: k * np.abs(x - 2) + np.tanh(x)),
        ("sqrt(k*x)+tan(x/3)+cos(x)+sin(x)+arctan(x)+log(k+x)", None),
    ],
)
def test_precedence_and_values(text, expected):
    x = np.array([0.5, 1.0, 2.5, 3.0])
    k = 1.7
    got = FormulaModel(text).predict([k], x)
    if expected is None:
        expected = lambda x, k: (  # noqa: E731
            np.sqrt(k * x) + np.tan(x / 3) + np.cos(x) + np.sin(x) + np.arctan(x) + np.log(k + x)
        )
    np.testing.assert_allclose(got, expected(x, k), rtol=1e-14)


# -- what it refuses, and how it says so -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("a*exp(-b*x", "missing ')'", 1, 11),
        ("a*exp(-b*x) + c)", "no '(' to close", 1, 16),
        ("2x", "missing operator between '2' and 'x': write 2*x", 1, 2),
        ("a*", "ends too soon", 1, 3),
        ("a*x +\n  b*exp(x", "missing ')' for the '(' at line 2, col 8", 2, 10),
        ("sinh(x)*a", "unknown function 'sinh': did you mean sin?", 1, 1),
        ("expp(x)*a", "did you mean exp?", 1, 1),
        ("b(x + 1)", "'b' is not a function", 1, 1),
        ("exp*x", "'exp' is a function: write exp(...)", 1, 1),
        ("exp()", "exp() needs an argument", 1, 5),
        ("exp(x, 2)", "exp takes one argument", 1, 6),
        ("a*x²", "write powers with ^", 1, 4),
        ("a $ x", "unexpected character '$'", 1, 3),
        ("a*[x+1)", "')' does not match the '['", 1, 7),
        ("a*x = 2", "'=' is not allowed here", 1, 5),
        ("y*a + x", "cannot use y itself", 1, 1),
        ("1e999*x*a", "too large for a double", 1, 1),
        ("()", "empty parentheses", 1, 2),
        ("1.2.3*x*a", "'1.2.3' is not a number", 1, 4),
    ],
)
def test_errors_say_what_and_where(text, message, line, column):
    with pytest.raises(FormulaError) as caught:
        read_formula(text)
    error = caught.value
    assert message in str(error)
    assert (error.line, error.column) == (line, column)
    assert str(error).startswith(f"line {line}, col {column}: ")
    assert error.marked().split("\n")[1] == " " * (column - 1) + "^"


def test_the_issue_example_reads_exactly():
    with pytest.raises(FormulaError, match=r"^line 1, col 11: missing '\)'"):
        parse("a*exp(-b*x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the formula is empty"),
        ("   \n ", "the formula is empty"),
        ("2*x + 1", "no parameter to fit"),
        ("a*b + c", "does not use x"),
        ("X*a", "names are case-sensitive"),
        ("a*log(0)*x", "log(0) is not a finite number"),
        ("x" * 20_000, "at most 10000"),
    ],
)
def test_formulas_that_cannot_be_fitted_are_explained(text, message):
    with pytest.raises(FormulaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FormulaModel(text)


def test_deep_nesting_is_refused_with_a_message_not_a_recursion_error():
    with pytest.raises(FormulaError, match="nests deeper"):
        parse("(" * 500 + "a*x" + ")" * 500)
    with pytest.raises(FormulaError, match="nests deeper"):
        parse("x" + "^x" * 400)
    assert parse("(" * 40 + "a*x" + ")" * 40).parameters == ("a",)


# -- printing back ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["a*exp(-b*x) + c", "-x^2*k", "(-k)^x", "k*x^-2", "k - (x - 1)", "k/(x/2)", "(k^x)^2", "k*(b2 + x)^(-1/b3)"],
)
def test_render_reads_back_to_the_same_formula(text):
    model = FormulaModel(text)
    again = FormulaModel(render(model.tree))
    theta = np.linspace(0.7, 1.9, model.n_params)
    x = np.array([0.3, 1.1, 2.0])
    np.testing.assert_allclose(again.predict(theta, x), model.predict(theta, x), rtol=1e-14)


def test_render_with_values_writes_the_fitted_formula():
    model = FormulaModel("a*exp(-b*x) + c")
    text = render(model.tree, {"a": 2.0, "b": -0.5, "c": 0.1 + 0.2})
    assert text == "2.0*exp(-(-0.5)*x) + 0.30000000000000004"
    x = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(FormulaModel(text + " + 0*z").predict([0.0], x), model.predict([2.0, -0.5, 0.3], x))


# -- fuzzing ---------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def no_code_evaluation():
    """Make eval, exec and compile fail loudly for the duration: the parser must never need them."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("the formula parser evaluated text as code")

    saved = builtins.eval, builtins.exec, builtins.compile
    builtins.eval = builtins.exec = builtins.compile = refuse
    try:
        yield
    finally:
        builtins.eval, builtins.exec, builtins.compile = saved


def parse_or_error(text: str):
    with no_code_evaluation():
        try:
            return read_formula(text)
        except FormulaError as error:
            if error.line is not None:
                assert 1 <= error.line <= text.count("\n") + 1
                assert 0 <= error.position <= len(text)
                assert error.marked()
            assert str(error)
            return error


FORMULA_CHARS = st.sampled_from(list("abxyek123.0e+-*/^()[] ,\n") + ["exp", "log", "**", "pi", "sin(", "·", "²", "$"])


@FUZZ
@given(st.lists(FORMULA_CHARS, max_size=40).map("".join))
def test_fuzz_formula_like_text_gives_a_formula_or_a_clear_error(text):
    parse_or_error(text)


@FUZZ
@given(st.text(max_size=60))
def test_fuzz_any_text_gives_a_formula_or_a_clear_error(text):
    parse_or_error(text)


FUNCTIONS = {
    "exp": lambda v: np.exp(np.clip(v, -30, 30)),
    "sin": np.sin,
    "cos": np.cos,
    "arctan": np.arctan,
    "tanh": np.tanh,
    "abs": np.abs,
}


@st.composite
def expressions(draw, depth: int = 0):
    """(text, f(x, a, b)) pairs: a random formula and an independent NumPy evaluation of it."""
    if depth > 3 or draw(st.booleans()):
        leaf = draw(st.sampled_from(["x", "a", "b", "number"]))
        if leaf == "number":
            value = draw(st.floats(0.1, 9.0, allow_nan=False).map(lambda v: round(v, 3)))
            return repr(value), lambda x, a, b, v=value: np.full_like(x, v)
        return leaf, {"x": lambda x, a, b: x, "a": lambda x, a, b: a + 0 * x, "b": lambda x, a, b: b + 0 * x}[leaf]
    kind = draw(st.sampled_from(["+", "-", "*", "/", "neg", "call", "square"]))
    left_text, left = draw(expressions(depth + 1))
    if kind == "neg":
        return f"-({left_text})", lambda x, a, b: -left(x, a, b)
    if kind == "call":
        name = draw(st.sampled_from(sorted(FUNCTIONS)))
        if name == "exp":
            return f"exp(({left_text})/1000)", lambda x, a, b: np.exp(left(x, a, b) / 1000)
        return f"{name}({left_text})", lambda x, a, b: FUNCTIONS[name](left(x, a, b))
    if kind == "square":
        return f"({left_text})^2", lambda x, a, b: left(x, a, b) ** 2
    right_text, right = draw(expressions(depth + 1))
    ops = {
        "+": lambda p, q: p + q,
        "-": lambda p, q: p - q,
        "*": lambda p, q: p * q,
        "/": lambda p, q: p / (1.5 + q * q),
    }
    if kind == "/":
        return (f"({left_text})/(1.5 + ({right_text})^2)", lambda x, a, b: ops["/"](left(x, a, b), right(x, a, b)))
    return f"({left_text}){kind}({right_text})", lambda x, a, b: ops[kind](left(x, a, b), right(x, a, b))


@FUZZ
@given(expressions(), st.floats(-2, 2), st.floats(-2, 2))
def test_fuzz_generated_formulas_compute_what_they_say(pair, a, b):
    text, reference = pair
    text = f"({text}) + 0*a + 0*b + 0*x"  # every formula uses x, a and b (in that order or another)
    with no_code_evaluation():
        model = FormulaModel(text)
    values = {"a": a, "b": b}
    theta = np.array([values[name] for name in model.parameter_names])
    x = np.array([-1.5, 0.0, 0.7, 2.0])
    expected = reference(x, a, b)
    assume(np.all(np.isfinite(expected)) and np.max(np.abs(expected)) < 1e12)
    np.testing.assert_allclose(model.predict(theta, x), expected, rtol=1e-9, atol=1e-9)
    again = FormulaModel(render(model.tree))  # and its canonical text computes the same
    np.testing.assert_allclose(again.predict(theta, x), expected, rtol=1e-9, atol=1e-9)


@FUZZ
@given(expressions(), st.data())
def test_fuzz_a_damaged_formula_is_read_or_refused_never_a_crash(pair, data):
    text = pair[0] + " + a*x"
    position = data.draw(st.integers(0, len(text)))
    edit = data.draw(st.sampled_from(["delete", "insert", "swap"]))
    if edit == "delete":
        text = text[:position] + text[position + 1 :]
    elif edit == "insert":
        text = text[:position] + data.draw(FORMULA_CHARS) + text[position:]
    elif position + 1 < len(text):
        text = text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    result = parse_or_error(text)
    if not isinstance(result, FormulaError):
        try:  # a formula it reads can be built, or is refused with a FormulaError (never another exception)
            FormulaModel(text)
        except FormulaError:
            pass


def test_the_language_offers_the_engines_functions():
    assert set(formula.FUNCTIONS) == {"exp", "log", "sqrt", "sin", "cos", "tan", "arctan", "tanh", "abs"}
    assert formula.ALIASES == {"ln": "log", "atan": "arctan"}


def test_the_parser_module_never_reaches_for_code_evaluation():
    source = Path(formula.__file__).read_text(encoding="utf-8")
    for forbidden in ("eval(", "exec(", "compile(", "import ast", "literal_eval", "__import__"):
        assert forbidden not in source
