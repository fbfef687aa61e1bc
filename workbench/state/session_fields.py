"""The fields of a session file, checked one by one: scalars, text, arrays (JSON lists or base64 doubles) and
free-form JSON.  ``SessionReader`` (``session_reader``) builds the document from them."""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import numpy as np

MAX_DEPTH = 64  # deepest JSON nesting accepted (the format itself needs 4)


class SessionError(ValueError):
    """A session file (or a session being saved) is not valid; the message says where and why."""


def frozen(values, dtype=np.float64) -> np.ndarray:
    """A read-only copy of ``values``."""
    arr = np.array(values, dtype=dtype)
    arr.flags.writeable = False
    return arr


def kind_of(v: Any) -> str:
    """What a JSON value is, in words (for "expected …, found …")."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return f"the number {v!r}"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


class FieldReader:
    """Checks the fields of one parsed session, raising SessionError at the first problem (naming the field's
    path, what is wrong and how to fix it)."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, reason: str, fix: str):
        raise SessionError(f"{self.source}: {path}: {reason}; {fix}")

    # -- scalars
    def obj(self, v, path: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(v, dict):
            self.fail(path, f"expected an object, found {kind_of(v)}", "restore it from a saved session")
        for k in keys:
            if k not in v:
                self.fail(f"{path}.{k}" if path else k, "missing", "the file is incomplete or damaged")
        for k in v:
            if k not in keys and k not in optional:
                where = f"{path}.{k}" if path else str(k)
                self.fail(where, "unknown field", f"expected only {', '.join(keys + optional)} here")
        return v

    def integer(self, v, path: str, lo: int, hi: int | None = None) -> int:
        if type(v) is not int:
            self.fail(path, f"expected a whole number, found {kind_of(v)}", "write it without a decimal point")
        if v < lo or (hi is not None and v > hi):
            rng = f"from {lo} to {hi}" if hi is not None else f"of {lo} or more"
            self.fail(path, f"{v} is out of range", f"use a whole number {rng}")
        return v

    def number(self, v, path: str, *, positive: bool = False, nonneg: bool = False) -> float:
        if type(v) not in (int, float):
            self.fail(path, f"expected a number, found {kind_of(v)}", "write a finite decimal number")
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            self.fail(
                path,
                f"non-finite number {v!r}" if type(v) is float else "number too large",
                "NaN and infinity cannot be saved: use a finite number",
            )
        if positive and not f > 0:
            self.fail(path, f"{v!r} is not positive", "use a number greater than 0")
        if nonneg and not f >= 0:
            self.fail(path, f"{v!r} is negative", "use 0 or a positive number")
        return f

    def text(self, v, path: str) -> str:
        if type(v) is not str:
            self.fail(path, f"expected text, found {kind_of(v)}", "write it as a quoted string")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(path, "text contains an unpaired surrogate", "remove the invalid character")
        return v

    def boolean(self, v, path: str) -> bool:
        if type(v) is not bool:
            self.fail(path, f"expected true or false, found {kind_of(v)}", "write true or false")
        return v

    def choice(self, v, path: str, kinds: tuple[str, ...]) -> str:
        self.text(v, path)
        if v not in kinds:
            self.fail(path, f"unknown kind {v!r}", f"choose one of {', '.join(kinds)}")
        return v

    # -- arrays
    def vector(self, v, path: str, length: int | None = None) -> np.ndarray:
        if isinstance(v, np.ndarray):  # a session being saved, checked before it is written
            arr = np.asarray(v, dtype=np.float64)
        elif isinstance(v, dict):
            arr = self.packed(v, path)
        else:
            if not isinstance(v, list):
                self.fail(path, f"expected a list of numbers, found {kind_of(v)}", "write it as [1.0, 2.0, ...]")
            if not all(type(e) is float for e in v):  # the slow path only when something is unusual
                for i, e in enumerate(v):
                    self.number(e, f"{path}[{i}]")
            arr = np.array(v, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            self.fail(
                f"{path}[{int(bad[0])}]",
                f"non-finite number {float(arr[int(bad[0])])!r}",
                "NaN and infinity cannot be saved: use a finite number",
            )
        if length is not None and arr.size != length:
            self.fail(
                path,
                f"has {arr.size} values but the model has {length} parameters",
                "save the knobs of the current model (its degree, hidden sizes or formula must match)",
            )
        return frozen(arr)

    def packed(self, v: dict, path: str) -> np.ndarray:
        """``{"float64": "<base64 of little-endian doubles>"}``: how the app writes long arrays."""
        d = self.obj(v, path, ("float64",))
        text = d["float64"]
        if type(text) is not str:
            self.fail(
                f"{path}.float64", f"expected base64 text, found {kind_of(text)}", "restore it from a saved session"
            )
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            self.fail(
                f"{path}.float64", "not valid base64 text", "the file is damaged: restore it from a saved session"
            )
        if len(raw) % 8:
            self.fail(
                f"{path}.float64",
                f"{len(raw)} bytes is not a whole number of 8-byte values",
                "the file is damaged: restore it from a saved session",
            )
        return np.frombuffer(raw, dtype="<f8").astype(np.float64)

    def vectors(self, v, path: str, length: int | None) -> tuple[np.ndarray, ...]:
        if not isinstance(v, list):
            self.fail(path, f"expected a list of lists, found {kind_of(v)}", "write it as [[...], [...]]")
        return tuple(self.vector(e, f"{path}[{i}]", length) for i, e in enumerate(v))

    def plain(self, v, path: str, depth: int = 0) -> Any:
        """A free-form JSON value (view state): finite numbers, text, true/false, null, lists, objects."""
        if depth > MAX_DEPTH:
            self.fail(path, f"nested deeper than {MAX_DEPTH} levels", "keep view state shallow")
        if v is None or type(v) in (bool, int):
            return v
        if type(v) is float:
            return self.number(v, path)
        if type(v) is str:
            return self.text(v, path)
        if type(v) is list:
            return [self.plain(e, f"{path}[{i}]", depth + 1) for i, e in enumerate(v)]
        if type(v) is dict:
            out = {}
            for k, e in v.items():
                if type(k) is not str:
                    self.fail(path, f"key {k!r} is not text", "use text keys only")
                out[self.text(k, f"{path} key")] = self.plain(e, f"{path}.{k}", depth + 1)
            return out
        return self.fail(
            path,
            f"{type(v).__name__} is not a plain JSON value",
            "use numbers, text, true/false, null, lists and objects only",
        )
