"""The window's side of sessions for the window tests: what a save of a window would hold, showing a session in
a window as File › Open session does (without a file), and sealed layouts damaged in every way we know."""

from __future__ import annotations

import base64
import hashlib
import json

from workbench.qt.window.layout import LAYOUT_VERSION
from workbench.qt.window.session_view import open_in_window, view_state
from workbench.state.session import LoadedSession, session_to_json


def session_from_window(window, extra: dict | None = None) -> LoadedSession:
    """Everything a save of ``window`` would write (the document's saved part, a copy, and the view state)."""
    return LoadedSession(window.document.frozen_copy(), view_state(window, extra))


def show_session(window, session: LoadedSession, source: str = "generated") -> list[str]:
    """Open ``session`` in ``window`` (a copy: the window takes over the records of the document it opens);
    returns the warnings about the layout."""
    return open_in_window(window, LoadedSession(session.document.frozen_copy(), dict(session.view)), source)


def session_text(session: LoadedSession) -> str:
    """The session as the JSON text a save writes."""
    return session_to_json(session.document, session.view)


# -- damaged layouts --------------------------------------------------------------------------------------
def plain_sha256(sealed: dict) -> str:
    """The seal's hash as anyone could recompute it (no key): what a forged or "repaired" layout carries."""
    state, geometry = base64.b64decode(sealed["state"]), base64.b64decode(sealed["geometry"])
    return hashlib.sha256(len(state).to_bytes(4, "big") + state + geometry).hexdigest()


def spoiled_layout(sealed: dict, spoil: str):
    """A sealed layout damaged the way ``spoil`` says (one of ``LAYOUT_SPOILS``)."""
    state = base64.b64decode(sealed["state"])
    if spoil == "version":
        return {**sealed, "layout_version": LAYOUT_VERSION + 1}
    if spoil == "docks":
        return {**sealed, "docks": "dataDock,someDockFromAnotherVersion"}
    if spoil == "qt":
        return {**sealed, "qt": "5.15"}
    if spoil == "bytes":
        return {**sealed, "state": base64.b64encode(b"\x00\x00\x00\xffrubbish" * 20).decode()}
    if spoil == "truncated":
        return {**sealed, "state": base64.b64encode(state[: len(state) // 2]).decode()}
    if spoil == "one-byte-changed-and-resealed":  # a plain hash recomputed over damaged bytes: crashed Qt
        damaged = bytearray(state)
        damaged[len(damaged) // 3] ^= 0xFF
        forged = {**sealed, "state": base64.b64encode(bytes(damaged)).decode()}
        return {**forged, "hmac_sha256": plain_sha256(forged)}
    if spoil == "not-base64":
        return {**sealed, "geometry": "not base64!"}
    if spoil == "no-seal":
        return {key: value for key, value in sealed.items() if key != "hmac_sha256"}
    if spoil == "not-an-object":
        return [sealed]
    if spoil == "not-json":
        return "{" + json.dumps(sealed)
    if spoil == "deeply-nested":
        return "[" * 100_000 + "]" * 100_000
    raise AssertionError(spoil)


LAYOUT_SPOILS = [
    "version",
    "docks",
    "qt",
    "bytes",
    "truncated",
    "one-byte-changed-and-resealed",
    "not-base64",
    "no-seal",
    "not-an-object",
    "not-json",
    "deeply-nested",
]
