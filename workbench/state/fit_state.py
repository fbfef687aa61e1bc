"""``FitState``: the part of the document that one undo step restores (data, model, knobs, split)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.fitting.basis import Basis
from workbench.fitting.data import Dataset
from workbench.fitting.formula_model import FormulaModel
from workbench.fitting.losses import Loss
from workbench.fitting.models import MLPModel, PolynomialModel
from workbench.fitting.problem import FitProblem
from workbench.fitting.split import Split

MODEL_KINDS = ("polynomial", "mlp", "formula")


@dataclass(frozen=True)
class FitState:
    """Everything one undo step restores.

    ``model`` is "polynomial" (knobs: coefficients of ``degree`` in ``basis``), "mlp" (knobs: the weights of a
    1 → ``hidden`` tanh → 1 net whose input is x scaled by ``basis``'s interval) or "formula" (knobs: the
    parameters of the user's ``formula``, in order of first appearance).  ``split`` (None: fit
    every point) holds some points out for validation; it is a rule, so it follows data edits.
    """

    dataset: Dataset
    degree: int = 5
    basis: Basis = field(default_factory=Basis)
    loss: Loss = field(default_factory=Loss)
    theta: np.ndarray = field(default_factory=lambda: np.zeros(6))
    model: str = "polynomial"
    hidden: tuple[int, ...] = (8,)
    split: Split | None = None
    formula: str = ""  # the user's formula (model "formula")
    # Which problem this state is of, for the records kept per problem (assigned by the document; a state
    # reached again by undo keeps its id).  Not part of the state's meaning: ``same_problem`` ignores it.
    problem_id: int = 0

    def same_problem(self, other: FitState) -> bool:
        """True when only the knobs differ (the loss function itself is unchanged)."""
        return (
            self.dataset is other.dataset
            and self.degree == other.degree
            and self.basis == other.basis
            and self.loss == other.loss
            and self.model == other.model
            and self.hidden == other.hidden
            and self.formula == other.formula
            and self.split == other.split
        )

    def same_model(self, other: FitState) -> bool:
        """True when the same knobs mean the same curve in both (model, degree, basis, net shape)."""
        return (self.model, self.degree, self.basis, self.hidden, self.formula) == (
            other.model,
            other.degree,
            other.basis,
            other.hidden,
            other.formula,
        )

    def equals(self, other: FitState) -> bool:
        """The same problem and the same knobs."""
        return (
            self.same_problem(other)
            and self.theta.shape == other.theta.shape
            and np.array_equal(self.theta, other.theta)
        )

    def build_model(self):
        """The core model this state describes."""
        if self.model == "mlp":
            return MLPModel(self.hidden, Basis("scaled", self.basis.lo, self.basis.hi))
        if self.model == "formula":
            return FormulaModel(self.formula)
        return PolynomialModel(self.degree, self.basis)

    def build_problem(self) -> FitProblem:
        """A fresh FitProblem of the training points (every point without a split), weighted by the
        dataset's σ when it has them; its own engine graph (give one to each thread that needs one)."""
        split = self.split_indices()
        return self._problem_on(None if split is None else split[0])

    def build_validation_problem(self) -> FitProblem | None:
        """A fresh FitProblem of the held-out points: same model, basis and loss as the training one, so the
        same knobs mean the same curve.  None without a split, or with too few points to hold any out."""
        split = self.split_indices()
        if split is None or split[1].size == 0:
            return None
        return self._problem_on(split[1])

    def split_indices(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(train_idx, val_idx) into the dataset's points, or None without a split."""
        return None if self.split is None else self.split.indices(self.dataset.n)

    def _problem_on(self, idx: np.ndarray | None) -> FitProblem:
        data = self.dataset
        sigma = data.sigma
        if idx is None:
            return FitProblem(data.x, data.y, self.build_model(), self.loss, sigma)
        return FitProblem(
            data.x[idx], data.y[idx], self.build_model(), self.loss, None if sigma is None else sigma[idx]
        )
