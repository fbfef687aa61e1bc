"""Curve Fitter Workbench: fit curves by hand, by gradient descent through a backprop engine, and exactly.

As a library::

    import workbench
    result = workbench.fit(x, y, degree=3)      # coefficients, standard errors, R², bands, formula
    workbench.show(x, y)                        # the desktop window with these points

Importing the package changes nothing in the process (no environment variables, no threads, no Qt) and
loads nothing heavy: NumPy and the fitting core are imported on the first use of ``fit``, Qt on ``show``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.api import FitResult, fit, show

__all__ = ["FitResult", "__version__", "fit", "show"]

_API_NAMES = frozenset({"FitResult", "fit", "show"})


def __getattr__(name: str) -> Any:
    """Load the version and the library API on first use, so that ``import workbench`` stays light."""
    if name == "__version__":
        from workbench._version import read_version

        value: Any = read_version()
    elif name in _API_NAMES:
        from workbench import api

        value = getattr(api, name)
    else:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
