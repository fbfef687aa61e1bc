"""The formula language: y as an expression of x and parameters the user names, read by our own parser.

    a*exp(-b*x) + c        b1*(1-exp(-b2*x))        A*sin(w*x + phi)        (b1 + b2*x) / (1 + b3*x)

Numbers (``2``, ``0.5``, ``.5``, ``1e-3``), ``x``, parameter names, ``+ - * /``, powers ``^`` or ``**``
(right-associative; ``-x^2`` is ``-(x^2)``), unary minus, parentheses (square brackets too, as NIST
writes ``exp[-b*x]``), the functions ``exp log (ln) sqrt sin cos tan arctan (atan) tanh abs`` and the
constants ``pi`` and ``e``.  A leading ``y =`` is allowed.  ``·``, ``×``, ``−`` and ``÷`` read as
``*``, ``*``, ``-`` and ``/``, so a formula copied from the app reads back.

A small tokenizer and a Pratt parser turn the text into a tree (``Expr``); nothing here ever evaluates
the text as code.  Every mistake is a ``FormulaError`` with the line and column it was found at and one
sentence saying what is wrong and how to write it instead.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from workbench.engine import registered_ops

MAX_LENGTH = 10_000  # characters: a formula, not a program
MAX_DEPTH = 150  # nested parentheses, powers and signs: deep enough for any formula, far from Python's stack

# The engine's functions offered by name (each op says so itself: a new one needs no change here).
FUNCTIONS = tuple(name for name, info in registered_ops().items() if info.formula_function)
ALIASES = {"ln": "log", "atan": "arctan"}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLE = "x"
RESPONSE = "y"
_SYMBOLS = {"·": "*", "×": "*", "−": "-", "÷": "/", "[": "(", "]": ")"}
_CLOSING = {"(": ")", "[": "]"}
_DIGITS = "0123456789"  # ASCII only: other scripts' digits (and superscripts) are not numbers here


class FormulaError(ValueError):
    """A formula that cannot be read or used: where (line, column, 1-based) and what to write instead."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        self.message = message
        self.text = text
        self.position = position
        self.line: int | None
        self.column: int | None
        self.line, self.column = _line_and_column(text, position) if position is not None else (None, None)
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}, col {self.column}: {self.message}"

    def marked(self) -> str:
        """The offending line with a caret under the column (for a monospaced message box or terminal)."""
        if self.line is None or self.column is None:
            return ""
        line = self.text.split("\n")[self.line - 1]
        return f"{line}\n{' ' * (self.column - 1)}^"


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    line = before.count("\n") + 1
    return line, position - (before.rfind("\n") + 1) + 1


# -- the tree ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expr:
    """A node of the formula's tree; ``position`` is where it starts in the text (0-based)."""

    position: int


@dataclass(frozen=True)
class Number(Expr):
    """A number written in the formula (or a constant such as pi, or a folded constant expression)."""

    value: float
    text: str


@dataclass(frozen=True)
class Variable(Expr):
    """x, the data's predictor."""


@dataclass(frozen=True)
class Parameter(Expr):
    """A name the user chose: a knob to fit."""

    name: str


@dataclass(frozen=True)
class Call(Expr):
    """One of ``FUNCTIONS`` applied to one argument."""

    function: str
    argument: Expr


@dataclass(frozen=True)
class Negate(Expr):
    """−operand."""

    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    """left op right, op one of + - * / ^."""

    op: str
    left: Expr
    right: Expr


# -- tokens ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is number, name, op or end; ``text`` as written; ``position`` 0-based."""

    kind: str
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into numbers, names and operators (whitespace and newlines separate them)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            end = _number_end(text, i)
            tokens.append(Token("number", text[i:end], i))
            i = end
        elif (ch.isalpha() or ch == "_") and ch.isidentifier():
            end = i + 1
            while end < n and text[end] not in _SYMBOLS and text[i : end + 1].isidentifier():
                end += 1
            tokens.append(Token("name", text[i:end], i))
            i = end
        elif text.startswith("**", i):
            tokens.append(Token("op", "^", i))
            i += 2
        elif ch in "+-*/^()," or ch in _SYMBOLS or ch == "=":
            tokens.append(Token("op", _SYMBOLS.get(ch, ch), i))
            i += 1
        else:
            raise FormulaError(_unexpected_character(ch), text, i)
    tokens.append(Token("end", "", n))
    return tokens


def _number_end(text: str, i: int) -> int:
    """Where the number starting at ``i`` ends: digits, an optional fraction, an optional exponent."""
    n = len(text)
    while i < n and text[i] in _DIGITS:
        i += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and text[i] in _DIGITS:
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            while j < n and text[j] in _DIGITS:
                j += 1
            i = j
    return i


def _unexpected_character(ch: str) -> str:
    if ch in "²³¹⁰⁴⁵⁶⁷⁸⁹":
        return f"unexpected '{ch}': write powers with ^, e.g. x^2"
    if ch == "{" or ch == "}":
        return f"unexpected '{ch}': group with ( and )"
    if ch == ";":
        return "unexpected ';': a formula is one expression (for y), not several statements"
    return f"unexpected character {ch!r}: use numbers, x, names, + - * / ^ and parentheses"


# -- the parser ----------------------------------------------------------------------------------------------
_BINARY = {"+": 10, "-": 10, "*": 20, "/": 20, "^": 40}
_PREFIX = 30  # unary minus binds tighter than * and looser than ^: -x^2 is -(x^2), 2^-x is 2^(-x)


@dataclass(frozen=True)
class ParsedFormula:
    """A formula read successfully: its text, its tree, and its parameters in order of first appearance."""

    text: str
    tree: Expr
    parameters: tuple[str, ...]
    uses_x: bool


def parse(text: str) -> ParsedFormula:
    """Read ``text`` into a tree; raises ``FormulaError`` (with line and column) on any mistake."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula is text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    if not text.strip():
        raise FormulaError("the formula is empty: write y as an expression of x, e.g. a*exp(-b*x) + c")
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.parameters: dict[str, None] = {}
        self.uses_x = False

    # -- token stream
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, position: int | None = None) -> FormulaError:
        return FormulaError(message, self.text, self.token.position if position is None else position)

    # -- grammar
    def parse(self) -> ParsedFormula:
        self._skip_response()
        tree = self.expression(0)
        token = self.token
        if token.kind != "end":
            raise self._after_operand(token)
        return ParsedFormula(self.text, tree, tuple(self.parameters), self.uses_x)

    def _skip_response(self) -> None:
        first, second = self.tokens[0], self.tokens[1]
        if first.kind == "name" and first.text == RESPONSE and second.text == "=":
            self.index = 2
            if self.token.kind == "end":
                raise self.error("nothing after 'y =': write y as an expression of x, e.g. a*x + b")

    def expression(self, binding: int) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the formula nests deeper than {MAX_DEPTH} levels: simplify it")
        left = self.operand()
        while True:
            token = self.token
            power = _BINARY.get(token.text) if token.kind == "op" else None
            if power is None or power <= binding:
                break
            self.advance()
            right_binding = power - 1 if token.text == "^" else power  # ^ groups to the right
            right = self.expression(right_binding)
            left = Binary(left.position, token.text, left, right)
        self.depth -= 1
        return left

    def operand(self) -> Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            value = float(token.text)
            if not math.isfinite(value):
                raise self.error(
                    f"the number {token.text} is too large for a double (at most about 1.8e308)", token.position
                )
            return Number(token.position, value, token.text)
        if token.kind == "name":
            return self.name()
        if token.text in ("-", "+"):
            self.advance()
            operand = self.expression(_PREFIX)
            return Negate(token.position, operand) if token.text == "-" else operand
        if token.text == "(":
            return self.group()
        raise self._missing_operand(token)

    def group(self, function: str | None = None) -> Expr:
        opening = self.advance()
        bracket = self.text[opening.position]
        closing = _CLOSING[bracket]
        if self.token.text == ")":
            if function is not None:
                raise self.error(f"{function}() needs an argument, e.g. {function}(x)")
            raise self.error("empty parentheses: put an expression inside, or remove them")
        inner = self.expression(0)
        token = self.token
        if token.text == ")":
            if self.text[token.position] != closing:
                raise self.error(
                    f"'{self.text[token.position]}' does not match the '{bracket}' at {self._place(opening)}"
                )
            self.advance()
            return inner
        if token.kind == "end":
            raise self.error(f"missing '{closing}' for the '{bracket}' at {self._place(opening)}")
        if token.text == "," and function is not None:
            raise self.error(f"{function} takes one argument: remove the ',' and what follows")
        raise self._after_operand(token, f" (or close the '{bracket}' at {self._place(opening)})")

    def _place(self, token: Token) -> str:
        line, column = _line_and_column(self.text, token.position)
        return f"line {line}, col {column}" if "\n" in self.text else f"col {column}"

    def name(self) -> Expr:
        token = self.advance()
        word = token.text
        function = ALIASES.get(word, word)
        is_call = self.token.text == "("
        if function in FUNCTIONS:
            if not is_call:
                raise self.error(
                    f"'{word}' is a function: write {word}(...) with its argument in parentheses", token.position
                )
            return Call(token.position, function, self.group(word))
        if is_call:
            raise self._unknown_function(token)
        if word == VARIABLE:
            self.uses_x = True
            return Variable(token.position)
        if word in CONSTANTS:
            return Number(token.position, CONSTANTS[word], word)
        if word == RESPONSE:
            raise self.error("y is the data being fitted: a formula for y cannot use y itself", token.position)
        self.parameters.setdefault(word, None)
        return Parameter(token.position, word)

    # -- messages
    def _missing_operand(self, token: Token) -> FormulaError:
        previous = self.tokens[self.index - 1].text if self.index else ""
        what = "a number, x, a name, a function or '('"
        if token.kind == "end":
            after = f" after '{previous}'" if previous else ""
            return self.error(f"the formula ends too soon: expected {what}{after}")
        if token.text == ")":
            return self.error(f"unexpected ')': expected {what}" + (f" after '{previous}'" if previous else ""))
        if token.text == "=":
            return self.error("'=' is not allowed here: write only the right-hand side, e.g. a*x + b (or y = a*x + b)")
        return self.error(f"unexpected '{token.text}': expected {what}" + (f" after '{previous}'" if previous else ""))

    def _after_operand(self, token: Token, also: str = "") -> FormulaError:
        previous = self.tokens[self.index - 1].text
        before = self.tokens[self.index - 1]
        if token.kind == "number" and before.kind == "number" and token.text.startswith("."):
            return self.error(f"'{before.text}{token.text}' is not a number: a number has one decimal point")
        if token.kind in ("number", "name") or token.text == "(":
            shown = token.text if token.kind != "op" else "("
            if previous == ")":
                example = "(c + d)" if shown == "(" else shown
                return self.error(f"missing operator after ')': write * for a product, e.g. (a + b)*{example}{also}")
            return self.error(
                f"missing operator between '{previous}' and '{shown}': write {previous}*{shown} for a product{also}"
            )
        if token.text == ")":
            return self.error("unexpected ')': there is no '(' to close")
        if token.text == "=":
            return self.error("'=' is not allowed here: write only the right-hand side, e.g. a*x + b (or y = a*x + b)")
        if token.text == ",":
            return self.error("unexpected ',': functions take one argument and decimals use a point (0.5)")
        return self.error(f"unexpected '{token.text}'{also}")

    def _unknown_function(self, token: Token) -> FormulaError:
        known = ", ".join(FUNCTIONS)
        close = difflib.get_close_matches(token.text.lower(), [*FUNCTIONS, *ALIASES], n=1, cutoff=0.6)
        if close:
            suggestion = ALIASES.get(close[0], close[0])
            return self.error(
                f"unknown function '{token.text}': did you mean {suggestion}? The functions are {known}", token.position
            )
        return self.error(
            f"'{token.text}' is not a function (the functions are {known}); to multiply, write {token.text}*(...)",
            token.position,
        )
