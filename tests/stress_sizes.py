"""Sizes of the stress and fuzz tests: a short variant for every run (CI) and a long one marked ``slow``.

``python -m pytest`` runs the short variants; ``python -m pytest -m slow`` (or ``WORKBENCH_STRESS=long
python -m pytest``) the long ones (tests/conftest.py leaves ``slow`` out otherwise).  Qt-free, so the
unit tests can use it too.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings


def sizes(short: int, long: int, name: str = "n") -> pytest.MarkDecorator:
    """Parametrise a test by its size: ``short`` always, ``long`` only in the slow run."""
    return pytest.mark.parametrize(
        name, [pytest.param(short, id=f"short-{short}"), pytest.param(long, id=f"long-{long}", marks=pytest.mark.slow)]
    )


def fuzz(examples: int) -> settings:
    """Hypothesis settings for ``examples`` inputs: no deadline (a shared CI machine is noisy; hangs are
    bounded by the tests themselves) and no complaint about big or slow inputs, which are the point."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
