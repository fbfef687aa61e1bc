"""The NIST StRD nonlinear problems (one predictor): read a ``.dat`` file, and score a fit against it.

The model is read from the file itself: NIST's own statement (``y = b1*(1-exp[-b2*x])  +  e``) is valid
in our formula language once the error term ``+ e`` is taken off, so the parser reads exactly what NIST
wrote.  Scoring is the log relative error LRE = −log10(|estimate − certified| / |certified|), capped at
the 11 digits NIST certifies, computed from the certified decimal text (not its double).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "unit" / "data" / "nist_nonlinear"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "nist-nonlinear"
SHARED_NINE = ("Misra1a", "Chwirut2", "DanWood", "Kirby2", "MGH17", "ENSO", "Thurber", "BoxBOD", "MGH09")
ALL = (
    "Misra1a", "Misra1b", "Misra1c", "Misra1d", "Chwirut1", "Chwirut2", "Lanczos1", "Lanczos2", "Lanczos3",
    "Gauss1", "Gauss2", "Gauss3", "DanWood", "Kirby2", "Hahn1", "MGH17", "MGH09", "MGH10", "Thurber",
    "BoxBOD", "Rat42", "Rat43", "Eckerle4", "Bennett5", "ENSO", "Roszman1",
)  # fmt: skip
CAP = 11.0


@dataclass(frozen=True)
class NistProblem:
    """One certified problem: its model as NIST states it, the data, both starts and the certified values."""

    name: str
    formula: str
    starts: tuple[dict[str, float], dict[str, float]]
    certified: dict[str, str]  # parameter → certified value as printed
    certified_sd: dict[str, str | None]  # parameter → certified standard deviation (None: not in the file)
    residual_sd: str
    x: np.ndarray
    y: np.ndarray


def load(name: str) -> NistProblem:
    """Read ``<name>.dat`` from the bundled copy."""
    text = (DATA / f"{name}.dat").read_text(encoding="utf-8")
    model = text.split("Model:", 1)[1].split("Starting", 1)[0]
    statement = model[re.search(r"\by\s*=", model).start() :]
    formula = re.sub(r"\+\s*e\s*$", "", statement.strip()).strip()
    starts: tuple[dict, dict] = ({}, {})
    certified, certified_sd = {}, {}
    for match in re.finditer(r"^\s*(b\d+)\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M):
        name_b, start1, start2, value, sd = match.groups()
        starts[0][name_b], starts[1][name_b] = float(start1), float(start2)
        certified[name_b] = value
        certified_sd[name_b] = None if sd == "-" else sd
    residual_sd = re.search(r"Residual Standard Deviation:\s*(\S+)", text).group(1)
    data = re.split(r"^Data:\s+y\s+x\s*$", text, flags=re.M)[1]
    rows = np.array([[float(v) for v in line.split()] for line in data.splitlines() if line.strip()])
    return NistProblem(
        name, formula, starts, certified, certified_sd, residual_sd, rows[:, 1].copy(), rows[:, 0].copy()
    )


def lre(estimate: float, certified: str) -> float:
    """Correct significant digits of ``estimate`` against the certified decimal ``certified`` (≤ 11)."""
    reference = Decimal(certified)
    if not math.isfinite(estimate):
        return 0.0
    error = abs(Decimal(repr(float(estimate))) - reference)
    if error == 0:
        return CAP
    return min(CAP, float(-(error / abs(reference)).log10()))


def score(problem: NistProblem, names, params, residual_sd: float, errors=None) -> dict[str, float]:
    """LRE of every parameter, of the residual SD and (where certified) of every standard error."""
    scores = {name: lre(value, problem.certified[name]) for name, value in zip(names, params)}
    scores["residual SD"] = lre(residual_sd, problem.residual_sd)
    if errors is not None:
        for name, error in zip(names, errors):
            if problem.certified_sd[name] is not None:
                scores[f"sd({name})"] = lre(error, problem.certified_sd[name])
    return scores
