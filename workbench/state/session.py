"""Sessions: the document and the window's view state saved to one JSON file, and read back exactly.

Writing and reading live in ``session_writer`` and ``session_reader``; this module handles the files: saves are
atomic (``workbench.fitting.atomic``: a failed or interrupted save leaves the previous file as it was, a save
through a symbolic link writes its target), and a read can report its progress and be cancelled between
pieces (a session of millions of points opens in the background).  Every session the app writes it can open:
the one size limit, ``MAX_BYTES``, is checked when saving and when opening.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass

from workbench.fitting.atomic import atomic_write_chunks
from workbench.fitting.table import not_a_regular_file

from .document import Document
from .session_reader import APP, MAX_DEPTH, SCHEMA_VERSION, SessionError, SessionReader
from .session_writer import session_chunks, session_to_json

__all__ = [
    "MAX_BYTES",
    "SCHEMA_VERSION",
    "LoadedSession",
    "SessionError",
    "load_session",
    "read_steps",
    "save_session",
    "session_from_json",
    "session_to_json",
]

MAX_BYTES = 2 * 1024**3  # the largest session written or read (10⁷ points take about 220 MB)
READ_CHUNK = 8 * 1024 * 1024  # a read reports its progress (and may be stopped) this often


@dataclass
class LoadedSession:
    """A session read from a file: the document it holds, the window's view state, and what the user should
    know about how it was read (``notices``: e.g. a part an earlier version did not save, rebuilt)."""

    document: Document
    view: dict
    notices: tuple[str, ...] = ()


def save_session(
    document: Document, view: dict, path: str | os.PathLike[str], *, between: Callable[[], None] | None = None
) -> None:
    """Write the session to ``path`` atomically; SessionError if a load would refuse it or it is too big.

    ``between`` is called before each piece of the file is written; whatever it raises abandons the save and
    leaves the file as it was (a background save that is stopped)."""
    written = 0

    def counted():
        nonlocal written
        for chunk in session_chunks(document, view):
            if between is not None:
                between()
            written += len(chunk)
            if written > MAX_BYTES:
                raise SessionError(_too_big_text("the session being saved"))
            yield chunk

    atomic_write_chunks(path, counted())


def session_from_json(text: str | bytes, source: str = "<session>") -> LoadedSession:
    """Parse and validate session JSON; anything wrong raises SessionError naming field and fix."""
    if _size_in_bytes(text) > MAX_BYTES:
        raise SessionError(_too_big_text(source))
    return _read(_parse_json(text, source), source)


def load_session(path: str | os.PathLike[str]) -> LoadedSession:
    """Read and validate the session at ``path`` (SessionError if it cannot be opened or is invalid)."""
    steps = read_steps(path)
    try:
        while True:
            next(steps)
    except StopIteration as end:
        return end.value


def read_steps(path: str | os.PathLike[str]) -> Generator[tuple[float, str], None, LoadedSession]:
    """``load_session`` piece by piece: yields (fraction done, what is being done) between the pieces, so a
    caller can show progress and stop early (by not asking for the rest); returns the session."""
    source = str(path)
    problem = not_a_regular_file(path)
    if problem is not None:
        raise SessionError(f"{source}: {problem}")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_BYTES:
                raise SessionError(_too_big_text(source))
            parts, read = [], 0
            while chunk := f.read(READ_CHUNK):
                read += len(chunk)
                if read > MAX_BYTES:  # a file that grew while being read
                    raise SessionError(_too_big_text(source))
                parts.append(chunk)
                yield 0.6 * read / max(size, 1), "reading"
    except OSError as exc:
        raise SessionError(
            f"{source}: cannot read the file ({exc.strerror or exc}); check the path and its permissions"
        ) from exc
    data = b"".join(parts)
    del parts
    yield 0.65, "parsing"
    parsed = _parse_json(data, source)
    del data
    yield 0.8, "checking"
    return _read(parsed, source)


def _read(parsed, source: str) -> LoadedSession:
    reader = SessionReader(source)
    document, view = reader.document(parsed)
    return LoadedSession(document, view, tuple(reader.notices))


def _parse_json(text: str | bytes, source: str):
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SessionError(
                f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start}): this is not a "
                f"{APP} session (or it is damaged)"
            ) from None
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write: not part of the JSON
    _check_depth(text, source)
    try:
        return json.loads(text)
    except RecursionError:
        raise SessionError(f"{source}: nesting too deep: this is not a {APP} session") from None
    except ValueError as exc:  # JSONDecodeError, and over-long integers
        raise SessionError(f"{source}: not valid JSON ({exc}): the file is damaged or is not a {APP} session") from None


# Strings (their brackets do not count) and brackets.  Long base64 strings are skipped by the regex engine in C.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _check_depth(text: str, source: str) -> None:
    """Refuse deep nesting before json.loads sees it (it would hit Python's recursion limit)."""
    depth = 0
    for m in _TOKENS.finditer(text):
        c = m.group()[0]
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise SessionError(
                    f"{source}: nesting deeper than {MAX_DEPTH} levels: this is not a "
                    f"{APP} session (or it is damaged); open a session saved by the app"
                )
        elif c in "]}":
            depth -= 1


def _size_in_bytes(text: str | bytes) -> int:
    """The size of ``text`` as a file (UTF-8): the one the limit is about, whether saving or opening."""
    if isinstance(text, (bytes, bytearray)) or len(text) * 4 <= MAX_BYTES:  # (4: the most bytes a character takes)
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _too_big_text(source: str) -> str:
    return (
        f"{source}: larger than {MAX_BYTES // 2**20:,} MB, the most a session may be; keep fewer points in it "
        "(File › Export › Data saves any number of points as CSV)"
    )
