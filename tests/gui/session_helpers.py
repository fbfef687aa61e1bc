"""The window's side of sessions for the window tests: what a save of a window would hold, and showing a
session in a window as File › Open session does (without a file)."""

from __future__ import annotations

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
