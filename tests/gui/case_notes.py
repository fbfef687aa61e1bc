"""Several cases checked one after another in one window (a real window costs about a second to build and
tear down): ``with case("…"):`` around each case's checks, so that a failure still names the case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def case(name: str) -> Iterator[None]:
    """Run one case's checks; a failure inside (an assertion, a timeout, ``pytest.fail``) carries its name."""
    try:
        yield
    except BaseException as error:  # (pytest.fail raises an OutcomeException, which is no Exception)
        error.add_note(f"(in the case: {name})")
        raise
