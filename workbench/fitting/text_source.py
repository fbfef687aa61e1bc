"""Text in, a block at a time: a file, a byte stream (standard input) or lines already in memory, decoded
and cut into physical lines without ever holding the whole file.

Encodings: a byte-order mark says UTF-8 or UTF-16; otherwise UTF-8 is tried first.  When a byte is not
UTF-8 and everything before it was plain ASCII, the file is read as Windows-1252 (the Western European
default of spreadsheets; its five unassigned bytes as Latin-1), with a notice that says so.  A file that
was UTF-8 up to a bad byte keeps UTF-8, the bad bytes shown as "�" (no number holds one, so such a
cell is refused, never misread), with a notice naming the line.  A NUL byte outside UTF-16 means a
binary file: refused with its line.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["BLOCK_BYTES", "MAX_LINE_CHARS", "TextSource", "not_a_regular_file", "open_text"]

BLOCK_BYTES = 256 * 1024  # bytes decoded at a time: small beside any file worth streaming, large enough for speed
FIRST_BLOCK_BYTES = 64 * 1024  # a preview usually needs no more than this
MAX_LINE_CHARS = 16 * 1024 * 1024  # a text table has line breaks long before this
GIVEN_LINES_PER_BLOCK = 20_000


def _windows_1252_gaps(error: UnicodeError) -> tuple[str, int]:
    """Windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D unassigned: read them as Latin-1 does
    (control characters, so a cell holding one is not a number), as web browsers do."""
    if not isinstance(error, UnicodeDecodeError):
        raise error  # a decoding handler: encoding never names it
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("workbench-windows-1252", _windows_1252_gaps)


def not_a_regular_file(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is no file to read (a folder, a pipe, a device), or None (a file, or nothing there:
    opening it then says what is wrong).  Asked before opening: a pipe would block for ever, a device
    such as /dev/zero would never end."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(mode):
        return "this is a folder, not a file: choose a file inside it"
    if not stat.S_ISREG(mode):
        return "this is not a regular file (a pipe, socket or device): choose a file saved on disk"
    return None


class SourceError(Exception):
    """Raised by a ``TextSource`` for text that cannot be read: ``reason`` and, when known, ``line``
    (1-based) and ``column``; the table reader turns it into a ``DataError`` naming the source."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        super().__init__(reason)
        self.reason, self.line, self.column = reason, line, column


class TextSource:
    """Physical lines of a text source, in blocks (``blocks()``), with the encoding found and notices.

    ``stream``: a binary stream (a file opened 'rb', ``sys.stdin.buffer``), or None with ``lines``
    given instead.  ``size``: the stream's size in bytes when known (for progress and estimates; for
    given lines, their number).
    """

    def __init__(self, stream: BinaryIO | None, *, size: int | None = None, lines: Iterable[str] | None = None):
        self._stream, self._lines = stream, lines
        self.size = size
        self.bytes_read = 0
        self.encoding = "UTF-8" if stream is not None else "text"
        self.notices: list[str] = []
        self.exhausted = False  # True once the last line has been handed out
        self.lines_read = 0  # physical lines handed out so far
        self._decoder: codecs.IncrementalDecoder | None = None
        self._ascii_so_far = True  # every byte so far was ASCII (and no byte-order mark said UTF-8)

    # -- lines --------------------------------------------------------------------------------------
    def blocks(self, first_block: int = BLOCK_BYTES) -> Iterator[list[str]]:
        """Lists of physical lines, without their line endings, in file order; each list is a block."""
        if self._stream is None:
            yield from self._given_blocks()
            return
        pending, size = "", first_block
        while True:
            raw = self._stream.read(size)
            size = BLOCK_BYTES
            final = not raw
            text = pending + self._decode(raw, final)
            if not final and text.endswith("\r"):  # maybe the first half of '\r\n'
                text, pending = text[:-1], "\r"
            else:
                pending = ""
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines = text.split("\n")
            tail = lines.pop()
            if final:
                if tail:
                    lines.append(tail)
            else:
                pending = tail + pending
                if len(pending) > MAX_LINE_CHARS:
                    raise SourceError(
                        f"no line break in {MAX_LINE_CHARS // 2**20} MiB of text: this is not a table of "
                        "numbers (open a CSV, TSV or text file with one point per line)",
                        line=self.lines_read + len(lines) + 1,
                    )
            self.lines_read += len(lines)
            if final:
                self.exhausted = True
            if lines or final:
                yield lines
            if final:
                return

    def _given_blocks(self) -> Iterator[list[str]]:
        """Caller-supplied lines: line endings and a leading BOM dropped, handed out in blocks."""
        block: list[str] = []
        assert self._lines is not None  # without a stream, lines are given (see ``open_text``)
        for k, line in enumerate(self._lines):
            if not isinstance(line, str):
                raise TypeError(f"line {k + 1} is {type(line).__name__}, expected str")
            line = line.removesuffix("\n").removesuffix("\r")
            block.append(line.removeprefix("\ufeff") if k == 0 else line)
            if len(block) == GIVEN_LINES_PER_BLOCK:
                self.bytes_read += len(block)  # counted in lines: the size of a list is its length
                yield block
                block = []
        self.bytes_read += len(block)
        self.exhausted = True
        yield block

    # -- decoding -----------------------------------------------------------------------------------
    def _decode(self, raw: bytes, final: bool) -> str:
        self.bytes_read += len(raw)
        if self._decoder is None:
            raw = self._start(raw)
        if self.encoding != "UTF-16" and b"\x00" in raw:
            at = raw.index(b"\x00")
            raise SourceError(
                "a NUL byte: this is not a text file (or it is UTF-16 text without a byte-order mark); "
                "save the data as CSV or plain text",
                line=self.lines_read + raw.count(b"\n", 0, at) + 1,
            )
        assert self._decoder is not None  # ``_start`` chose one
        try:
            text = self._decoder.decode(raw, final)
        except UnicodeDecodeError as exc:
            text = self._after_bad_byte(raw, exc, final)
        if self._ascii_so_far and not raw.isascii():
            self._ascii_so_far = False
        return text

    def _start(self, raw: bytes) -> bytes:
        """Choose the decoder from a byte-order mark, if any; return the bytes after it."""
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
            self._ascii_so_far = False  # the file says it is UTF-8: a bad byte is a bad byte
        elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self.encoding = "UTF-16"
            self.notices.append("the file is UTF-16 text (a byte-order mark says so)")
            self._decoder = codecs.getincrementaldecoder("utf-16")("strict")
            return raw
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        return raw

    def _after_bad_byte(self, raw: bytes, exc: UnicodeDecodeError, final: bool) -> str:
        """Switch to Windows-1252 (ASCII so far) or to UTF-8 with "�" for bad bytes, and decode ``raw``."""
        assert self._decoder is not None  # the one that met the bad byte
        pending = self._decoder.getstate()[0]
        if self.encoding == "UTF-8" and self._ascii_so_far and not pending and raw[: exc.start].isascii():
            self.encoding = "Windows-1252"
            self.notices.append("the file is not UTF-8: it was read as Windows-1252 (Western European) text")
            self._decoder = codecs.getincrementaldecoder("cp1252")("workbench-windows-1252")
            return self._decoder.decode(raw, final)
        line = self.lines_read + (pending + raw[: exc.start]).count(b"\n") + 1
        self.notices.append(
            f"line {line} holds bytes that are not {self.encoding} (shown as �; a number cell with one is "
            "refused): the file mixes encodings"
        )
        name = "utf-16" if self.encoding == "UTF-16" else "utf-8"
        self._decoder = codecs.getincrementaldecoder(name)("replace")
        return self._decoder.decode(pending + raw, final)

    def fraction(self) -> float | None:
        """Share of the source read so far (None when its size is unknown)."""
        if self.size is None:
            return None
        return min(1.0, self.bytes_read / self.size) if self.size else 1.0


def _regular_file_size(stream) -> int | None:
    """The size of a stream that is a regular file (``workbench fit - < data.csv``), else None (a pipe)."""
    try:
        status = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def open_text(source) -> tuple[TextSource, BinaryIO | None]:
    """A ``TextSource`` for a path, a binary stream or an iterable of lines, and the file it opened (the
    caller closes it), or raises ``SourceError`` saying why the path cannot be read."""
    if isinstance(source, (str, os.PathLike)):
        problem = not_a_regular_file(source)
        if problem is not None:
            raise SourceError(problem)
        try:
            handle = Path(source).open("rb")  # noqa: SIM115 - closed by the reader when done
        except OSError as exc:
            raise SourceError(f"cannot read the file ({exc.strerror or exc})") from exc
        return TextSource(handle, size=os.fstat(handle.fileno()).st_size), handle
    if hasattr(source, "read") and not isinstance(source, io.TextIOBase):
        return TextSource(source, size=_regular_file_size(source)), None
    # Lines in a list: progress counts them (a source's "size" is then its number of lines).
    return TextSource(None, lines=source, size=len(source) if isinstance(source, list) else None), None
