"""Stochastic gradient descent: each step's gradient from a mini-batch of B points, not from all N.

An epoch is one pass over the data in a random order (seeded): it is cut into batches of B points, so
within an epoch every point is used once and none twice (the last batch is smaller when B does not
divide N).  A batch's loss is an unbiased estimate of the whole loss: the mean over the batch for MSE,
MAE and Huber, and N/B times the batch's sum for SSE; an L2 penalty is added whole at every step.

The trainer records both losses at the knobs each step starts from: ``batch_loss`` is the noisy one
whose gradient moved the knobs, ``loss`` the loss on all points (a forward pass over them, so that the
history shows the true descent under the noise; SGD here is for seeing the noise, not for speed).  With
B = N every batch is the whole data and a step is exactly a full-batch gradient-descent step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .losses import Loss
from .optimizers import Optimizer
from .stop_signal import StopSignal
from .training import StepRecord, StopRules, Trainer, Yardstick


def check_batch_size(batch_size, n_points: int) -> int:
    """``batch_size`` as an int from 1 to N (larger values mean all points); a clear error otherwise."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"the batch size must be a whole number of points, 1 or more, got {batch_size!r}")
    return int(min(batch_size, max(n_points, 1)))


class MiniBatchSampler:
    """Batches of point indices (sorted), drawn without replacement within each epoch, from ``seed``."""

    def __init__(self, n_points: int, batch_size: int, seed: int = 0):
        self.n_points = int(n_points)
        self.batch_size = check_batch_size(batch_size, self.n_points)
        self.rng = np.random.default_rng(seed)
        self.epoch = 0
        self._order = np.arange(self.n_points)
        self._position = self.n_points  # start a fresh epoch on the first draw

    def next(self) -> np.ndarray:
        """The next batch's indices, in increasing order."""
        if self._position >= self.n_points:
            self._order = self.rng.permutation(self.n_points) if self.batch_size < self.n_points else self._order
            self._position = 0
            self.epoch += 1
        batch = self._order[self._position : self._position + self.batch_size]
        self._position += self.batch_size
        return np.sort(batch)


class MiniBatchObjective:
    """A ``value_and_grad`` for the trainer: the loss on all points, and the gradient of the next batch's
    loss (``last_batch_loss`` and ``last_batch`` say which batch and what its loss was)."""

    def __init__(self, problem, batch_size: int, seed: int = 0):
        self.problem = problem
        self.sampler = MiniBatchSampler(problem.x.size, batch_size, seed)
        self.last_batch: np.ndarray | None = None
        self.last_batch_loss: float | None = None

    @property
    def full_batch(self) -> bool:
        """True when every batch is all of the data."""
        return self.sampler.batch_size >= self.problem.x.size

    def __call__(self, theta) -> tuple[float, np.ndarray]:
        """(loss on all points, gradient of the next batch's loss) at theta."""
        batch = self.sampler.next()
        self.last_batch = batch
        if self.full_batch:
            loss, grad = self.problem.value_and_grad(theta)
            self.last_batch_loss = float(loss)
            return loss, grad
        batch_loss, grad = self.batch_value_and_grad(theta, batch)
        self.last_batch_loss = batch_loss
        return self.problem.loss_at(theta), grad

    def batch_value_and_grad(self, theta, batch: np.ndarray) -> tuple[float, np.ndarray]:
        """The batch's loss (an unbiased estimate of the whole loss) and its gradient, through the engine."""
        problem = self.problem
        loss, factor = batch_loss_for(problem.loss, problem.x.size)
        design = problem.design_matrix[batch] if problem.is_polynomial else None
        sigma = None if problem.sigma is None else problem.sigma[batch]
        graph = problem.model.loss_graph(problem.x[batch], problem.y[batch], loss, "fused", design, sigma)
        value, grad = graph.value_and_grad(np.asarray(theta, dtype=np.float64))
        return factor * float(value), factor * grad


def batch_loss_for(loss: Loss, n_points: int) -> tuple[Loss, float]:
    """(the loss to build on a batch, the factor to multiply it by) so that it estimates ``loss`` on all
    N points: SSE becomes N × (MSE of the batch + l2/N × penalty); the means need nothing."""
    if loss.kind == "sse":
        return Loss("mse", loss.huber_delta, loss.l2 / max(n_points, 1)), float(n_points)
    return loss, 1.0


class MiniBatchTrainer(Trainer):
    """A ``Trainer`` whose steps follow mini-batch gradients; each record also carries ``batch_loss``.

    Its verdicts are judged on the loss on all points (the records' ``loss``); ``yardstick`` as in ``Trainer``
    (None: no known optimum)."""

    def __init__(
        self,
        problem,
        optimizer: Optimizer,
        params,
        batch_size: int,
        seed: int = 0,
        rules: StopRules = StopRules(),
        stop_event: StopSignal | None = None,
        monitor: Callable[[np.ndarray], float] | None = None,
        monitor_every: int = 1,
        yardstick: Yardstick | None = None,
    ):
        self.objective = MiniBatchObjective(problem, batch_size, seed)
        super().__init__(self.objective, optimizer, params, rules, stop_event, monitor, monitor_every, yardstick)

    @property
    def batch_size(self) -> int:
        """B, the points each step's gradient comes from."""
        return self.objective.sampler.batch_size

    @property
    def epoch(self) -> int:
        """Passes over the data begun so far."""
        return self.objective.sampler.epoch

    def step(self) -> StepRecord:
        """One mini-batch step; the record's ``loss`` is on all points, ``batch_loss`` on the batch."""
        record = super().step()
        return replace(record, batch_loss=self.objective.last_batch_loss)
