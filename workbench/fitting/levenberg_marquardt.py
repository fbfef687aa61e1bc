"""Levenberg–Marquardt: the landmark for nonlinear least squares, as the exact solve is for polynomials.

Minimises S(θ) = Σ r_i(θ)² from the residuals r and their Jacobian J = ∂r/∂θ (for a formula both come
from the engine, ``formula_model.FormulaJacobian``).  Each step solves the linearised problem
min ‖J·p + r‖² inside a trust region ‖D·p‖ ≤ Δ: a Gauss–Newton step when that fits, otherwise the
damped step p(λ) = −(JᵀJ + λ·DᵀD)⁻¹·Jᵀr with λ chosen so that the step just reaches the region's edge.
A step that lowers S as the linear model promised widens the region; one that does not shrinks it and
is tried again.  This is Moré's trust-region form of the method (MINPACK's ``lmder``), with D the
running maximum of the Jacobian's column norms, so that parameters of very different sizes (1e-7 beside
1e3) are treated alike.

The damped step is computed from one SVD of J·D⁻¹ per Jacobian, never from JᵀJ (forming JᵀJ would
square the condition number and lose half the digits of an ill-conditioned fit); trying another λ then
costs a few operations on P numbers.  Predicted reductions come from the SVD in sums of squares and
actual reductions as Σ(r_old − r_new)(r_old + r_new), so both keep their digits next to the optimum.

Two additions to MINPACK's method.  Geodesic acceleration (Transtrum and Sethna, 2012): each step is
bent along the residuals' curvature, measured by one extra evaluation, so that a long curved valley
(Bennett5, MGH10) is followed in tens of steps instead of hundreds; the bend is dropped when it would
be larger than ¾ of the step.  And a step after which a parameter's Jacobian column has shrunk a
millionfold is not taken: sent out onto a plateau (b in 1 − exp(−b·x) made huge) a parameter stops
mattering, and LM would have nothing left to bring it back with.

Near the optimum S changes by less than its own rounding, and the ratio test cannot judge a step any
more; steps are then taken as long as they keep shrinking (Gauss–Newton converges only linearly on a
fit with large residuals, and the gradient still knows where to go).  The run ends ``converged`` when
a step is negligible or stops shrinking and the gradient is orthogonal to the residuals (cos ≤ 1e-6,
or the residuals lying along the parameters' directions are as small as their rounding); ``stalled``
when no step lowers S but the gradient is not small; ``max_steps`` at the step limit; ``stopped`` when
asked to.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .stop_signal import StopSignal

EPS = np.finfo(np.float64).eps
ResidualsAndJacobian = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
Residuals = Callable[[np.ndarray], np.ndarray]

CONVERGED, STALLED, MAX_STEPS, STOPPED = "converged", "stalled", "max_steps", "stopped"
GRADIENT_COSINE = 1e-6  # |cos(J_j, r)| at or below this: the residuals have no component left to remove
ACCELERATION = 0.75  # largest 2‖a‖/‖v‖ (geodesic correction against step) a step may have
COLLAPSE = 1e-6  # a Jacobian column shrinking by more than this in one step: the parameter stopped mattering


@dataclass(frozen=True)
class LMSettings:
    """When a Levenberg–Marquardt run ends and how its trust region starts.

    ``ftol``/``xtol``: relative changes of S and θ that count as "nothing left" (default: a few units of
    rounding); ``max_steps``: Jacobian evaluations; ``max_trials``: tries per step before it is called
    stalled; ``initial_radius``: Δ₀ = initial_radius·‖D·θ₀‖ (MINPACK's ``factor``).
    """

    max_steps: int = 500
    max_trials: int = 60
    ftol: float = 4 * EPS
    xtol: float = 4 * EPS
    initial_radius: float = 100.0
    geodesic: bool = True

    def __post_init__(self):
        if int(self.max_steps) < 0 or int(self.max_trials) < 1:
            raise ValueError("the step limit must be zero or more and the trial limit at least 1")
        if not (self.ftol >= 0 and self.xtol >= 0 and self.initial_radius > 0):
            raise ValueError("tolerances must be zero or positive and the initial radius positive")


@dataclass(frozen=True)
class LMStep:
    """One step: the Jacobian at ``params_before``, one or more trial steps, and where it ended.

    ``sse_before``/``sse`` are Σr² before and after; ``accepted`` is False when every trial raised S
    (the knobs did not move); ``damping`` is λ of the last trial (0: a pure Gauss–Newton step);
    ``radius`` the trust region after the step; ``cosine`` the largest |cos| between the residuals and a
    Jacobian column at ``params_before`` (0 at a stationary point); ``gradient`` is Jᵀr there.
    """

    step: int
    params_before: np.ndarray
    params: np.ndarray
    sse_before: float
    sse: float
    gradient: np.ndarray
    accepted: bool
    damping: float
    radius: float
    cosine: float
    trials: int


@dataclass(frozen=True)
class LMResult:
    """Where a run ended: the parameters, Σr² there, steps taken, why it stopped (and in words)."""

    params: np.ndarray
    sse: float
    steps: int
    evaluations: int
    stop_reason: str
    message: str
    cosine: float


class LevenbergMarquardt:
    """Steps Levenberg–Marquardt from ``start`` one Jacobian at a time (``step``), or to the end (``run``).

    ``evaluate(θ)`` returns (r, J); ``residuals(θ)`` returns r alone (cheaper: trial steps need no
    Jacobian; defaults to ``evaluate``).  Non-finite residuals at a trial point count as a failed trial.
    ``resolution`` is how precisely the residuals can be computed (‖rounding error‖): a fit whose
    residuals are that small, as a near-perfect one's are, has no gradient worth the name left.
    """

    def __init__(
        self,
        evaluate: ResidualsAndJacobian,
        start,
        settings: LMSettings = LMSettings(),
        residuals: Residuals | None = None,
        stop_event: StopSignal | None = None,
        resolution: float = 0.0,
    ):
        self.evaluate = evaluate
        self.resolution = float(resolution)
        self.residuals = residuals or (lambda theta: evaluate(theta)[0])
        self.settings = settings
        self.stop_event = stop_event or threading.Event()
        self.params = np.array(start, dtype=np.float64)
        if self.params.ndim != 1 or not np.all(np.isfinite(self.params)):
            raise ValueError("the start values must be finite numbers")
        checked = self._checked(self.params)
        if checked is None:
            raise ValueError("the residuals or their Jacobian are not finite numbers at the start values")
        r, J = checked
        self.r, self.J = r, J
        self.sse = float(r @ r)
        self.scale = np.maximum(np.linalg.norm(J, axis=0), 0.0)
        self.scale[self.scale == 0] = 1.0
        norm = float(np.linalg.norm(self.scale * self.params))
        self.radius = settings.initial_radius * norm if norm > 0 else settings.initial_radius
        self.steps = 0
        self.evaluations = 1
        self.quiet_step: float | None = None  # the last step taken below the rounding of S
        self.done: tuple[str, str] | None = None
        self.result: LMResult | None = None

    # -- one step ------------------------------------------------------------------------------------
    def step(self) -> LMStep:
        """One Jacobian and as many trial steps as it takes to lower S (or to find that nothing can)."""
        settings = self.settings
        r, J, theta, sse = self.r, self.J, self.params, self.sse
        self.scale = np.maximum(self.scale, np.linalg.norm(J, axis=0))
        scale = np.where(self.scale > 0, self.scale, 1.0)
        U, s, Vt = np.linalg.svd(J / scale, full_matrices=False)
        c = U.T @ r
        gradient = J.T @ r
        cosine = _gradient_cosine(J, r)
        theta_norm = float(np.linalg.norm(scale * theta))
        accepted, damping, trials = False, 0.0, 0
        # S is known to rounding only: changes this small say nothing about a step (see ``_noise``).
        noise = self._noise(sse)
        if sse == 0.0 or cosine == 0.0:
            self.done = (CONVERGED, "the residuals are zero or orthogonal to every parameter's direction")
        while self.done is None and trials < settings.max_trials:
            trials += 1
            damping, q = _damped_step(s, c, Vt, self.radius)
            step_norm = float(np.linalg.norm(q))
            predicted = _predicted_reduction(s, c, damping)
            bend = self._acceleration(theta, r, J, U, s, Vt, scale, q, damping)
            trial = theta + (q + 0.5 * bend) / scale
            actual = self._reduction(trial, r)
            quiet = predicted <= noise and abs(actual) <= noise
            # Below rounding S cannot judge a step; the gradient, which chose it, can.
            ratio = 1.0 if quiet else _ratio(actual, predicted)
            if ratio > 1e-4 and not self._accept(trial, J):
                ratio = -math.inf  # the step would make the fit stop depending on a parameter: shorter
            if self.steps == 0 and trials == 1:
                self.radius = min(self.radius, step_norm)  # MINPACK: the first step sets the region's scale
            self.radius = _new_radius(self.radius, ratio, step_norm, damping, actual, predicted, sse)
            if ratio > 1e-4:
                accepted = True
                self.done = self._after_step(quiet, step_norm, theta_norm)
                break
            if self.radius <= settings.xtol * max(theta_norm, EPS):
                self.done = self._verdict("no step lowers the loss any more")
        if not accepted and self.done is None and trials >= settings.max_trials:
            self.done = self._verdict(f"{trials} tries found no step that lowers the loss")
        self.steps += 1
        if self.done is None and self.steps >= settings.max_steps:
            self.done = (MAX_STEPS, f"reached the step limit of {settings.max_steps}")
        return LMStep(
            self.steps, theta.copy(), self.params.copy(), sse, self.sse, gradient, accepted, damping,
            self.radius, cosine, trials,
        )  # fmt: skip

    def _noise(self, sse: float) -> float:
        """How much S can be off by rounding alone: 2‖r‖·‖e‖ + ‖e‖² for residual rounding ‖e‖ (the
        ``resolution``), and never less than ftol·S."""
        e = self.resolution
        return max(self.settings.ftol * sse, 2.0 * math.sqrt(sse) * e + e * e)

    def _after_step(self, quiet: bool, step_norm: float, theta_norm: float) -> tuple[str, str] | None:
        """Whether an accepted step ends the run.  Where S no longer tells steps apart, Gauss–Newton steps
        still shrink while the gradient has something to say (slowly on a fit with large residuals);
        the run ends when a step is negligible or stops shrinking: the parameters are then as precise as
        the rounding of the residuals allows."""
        tiny = step_norm <= self.settings.xtol * max(theta_norm, EPS)
        if not quiet:
            self.quiet_step = None
            return self._verdict("the steps became negligible") if tiny else None
        stuck = self.quiet_step is not None and step_norm > 0.9 * self.quiet_step
        self.quiet_step = step_norm
        if tiny or stuck:
            return self._verdict("S and the parameters stopped changing, to the precision of doubles")
        return None

    def _acceleration(self, theta, r, jacobian, u, s, vt, scale, q, damping) -> np.ndarray:
        """The geodesic correction a to the scaled step q (Transtrum and Sethna): the step bends along
        the curvature of the residuals, θ + q + a/2, so that a long curved valley is followed in a few
        long steps instead of many short ones.  Zero (a plain LM step) when 2‖a‖ > ¾‖q‖: the curvature
        is then too strong, or too noisy next to the optimum, for a second-order correction to be trusted."""
        norm = float(np.linalg.norm(q))
        if norm == 0 or not self.settings.geodesic:
            return np.zeros_like(q)
        h = 0.1
        probe = theta + h * q / scale
        r_probe = np.asarray(self.residuals(probe), dtype=np.float64)
        self.evaluations += 1
        if not np.all(np.isfinite(r_probe)):
            return np.zeros_like(q)
        with np.errstate(over="ignore", invalid="ignore"):
            curvature = (2.0 / h) * ((r_probe - r) / h - jacobian @ (q / scale))  # r's second derivative along q
            bend = _step_for(s, u.T @ curvature, vt, damping)
        if not (2.0 * float(np.linalg.norm(bend)) <= ACCELERATION * norm):
            return np.zeros_like(q)
        return bend

    def _reduction(self, trial: np.ndarray, r: np.ndarray) -> float:
        """S(θ) − S(trial), as Σ(r − r_new)(r + r_new) so that it keeps its digits near the optimum;
        −inf where the residuals at the trial are not finite."""
        self.evaluations += 1
        if not np.all(np.isfinite(trial)):
            return -math.inf
        r_new = np.asarray(self.residuals(trial), dtype=np.float64)
        if not np.all(np.isfinite(r_new)):
            return -math.inf
        with np.errstate(over="ignore", invalid="ignore"):
            reduction = float(np.sum((r - r_new) * (r + r_new)))
        return reduction if math.isfinite(reduction) else -math.inf

    def _accept(self, trial: np.ndarray, jacobian_before: np.ndarray) -> bool:
        """Move to ``trial`` unless its Jacobian is broken, or a parameter's column lost more than a
        millionth of its size in one step: the linear model that chose the step said that parameter
        mattered, and a step that makes the fit stop depending on it (b in 1 − exp(−b·x) sent far out
        on its plateau) leaves LM nothing to steer it back with."""
        checked = self._checked(trial)
        self.evaluations += 1
        if checked is None:
            return False
        r, J = checked
        before, after = np.linalg.norm(jacobian_before, axis=0), np.linalg.norm(J, axis=0)
        if np.any(after < COLLAPSE * before):
            return False
        self.params, self.r, self.J, self.sse = trial, r, J, float(r @ r)
        return True

    def _verdict(self, why: str) -> tuple[str, str]:
        """Converged when nothing of the residuals lies along the parameters' directions (to rounding),
        else stalled."""
        cosine = _gradient_cosine(self.J, self.r)
        along = _range_component(self.J, self.r)
        if cosine <= GRADIENT_COSINE or along <= self.resolution:
            return CONVERGED, f"{why}; the gradient vanishes (to rounding)"
        return STALLED, f"{why}, yet the gradient is not small (cos {cosine:.2g}): try other start values"

    def _checked(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        r, J = self.evaluate(theta)
        r, J = np.asarray(r, dtype=np.float64), np.asarray(J, dtype=np.float64)
        if not (np.all(np.isfinite(r)) and np.all(np.isfinite(J))):
            return None
        return r, J

    # -- to the end ----------------------------------------------------------------------------------
    def run(self) -> Iterator[LMStep]:
        """Step until converged, stalled, at the step limit, or stopped; sets ``result`` when it ends."""
        while self.done is None:
            if self.stop_event.is_set():
                self.done = (STOPPED, "stopped by the user")
                break
            if self.steps >= self.settings.max_steps:
                self.done = (MAX_STEPS, f"reached the step limit of {self.settings.max_steps}")
                break
            yield self.step()
        reason, message = self.done
        cosine = _gradient_cosine(self.J, self.r)
        self.result = LMResult(self.params.copy(), self.sse, self.steps, self.evaluations, reason, message, cosine)

    def solve(self) -> LMResult:
        """Run to the end and return the result."""
        for _ in self.run():
            pass
        assert self.result is not None
        return self.result


# -- the pieces ------------------------------------------------------------------------------------------
def _gradient_cosine(jacobian: np.ndarray, r: np.ndarray) -> float:
    """max_j |J_jᵀr| / (‖J_j‖·‖r‖): how much of the residual vector each parameter could still remove."""
    r_norm = float(np.linalg.norm(r))
    if r_norm == 0:
        return 0.0
    norms = np.linalg.norm(jacobian, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.abs(jacobian.T @ r) / (norms * r_norm)
    cos = np.where(norms > 0, cos, 0.0)
    return float(np.max(cos, initial=0.0))


def _range_component(jacobian: np.ndarray, r: np.ndarray) -> float:
    """‖the part of r that a change of the parameters could remove‖ (r projected on J's columns)."""
    if jacobian.size == 0:
        return 0.0
    U, s, _ = np.linalg.svd(jacobian, full_matrices=False)
    return float(np.linalg.norm((U.T @ r)[_pseudo_inverse_mask(s)]))


def _pseudo_inverse_mask(s: np.ndarray) -> np.ndarray:
    """Singular values that carry information (the rest are rounding: directions with no effect)."""
    return s > (s[0] if s.size else 0.0) * max(s.size, 1) * EPS


def _step_for(s: np.ndarray, c: np.ndarray, vt: np.ndarray, damping: float) -> np.ndarray:
    """q(λ) = −V·(s·c/(s² + λ)) (scaled step; directions with s = 0 are left out at λ = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        coefficients = np.where(_pseudo_inverse_mask(s) | (damping > 0), s * c / (s * s + damping), 0.0)
    return -(vt.T @ coefficients)


def _damped_step(s, c, vt, radius: float) -> tuple[float, np.ndarray]:
    """(λ, q): the Gauss–Newton step if it fits inside the radius, else the damped step whose length is
    within 10 % of the radius (Moré's safeguarded Newton iteration on 1/‖q(λ)‖)."""
    q = _step_for(s, c, vt, 0.0)
    norm = float(np.linalg.norm(q))
    if norm <= 1.1 * radius:
        return 0.0, q
    sc2 = (s * c) ** 2
    low, high = 0.0, float(np.sqrt(np.sum(sc2))) / radius  # ‖q(λ)‖ ≤ ‖Aᵀr‖/λ ≤ Δ at λ = high
    damping = high * 1e-3
    for _ in range(100):
        q = _step_for(s, c, vt, damping)
        norm = float(np.linalg.norm(q))
        if abs(norm - radius) <= 0.1 * radius:
            break
        if norm > radius:
            low = damping
        else:
            high = damping
        derivative = float(np.sum(sc2 / (s * s + damping) ** 3))
        newton = damping + (norm - radius) / radius * norm * norm / derivative if derivative > 0 else math.nan
        damping = newton if low < newton < high else (math.sqrt(low * high) if low > 0 else 0.5 * high)
    return damping, q


def _ratio(actual: float, predicted: float) -> float:
    """Actual over predicted reduction of S: near 1 where the linear model is right."""
    if predicted > 0:
        return actual / predicted
    return -math.inf if actual < 0 else 0.0


def _predicted_reduction(s: np.ndarray, c: np.ndarray, damping: float) -> float:
    """S − ‖r + J·p(λ)‖², the reduction the linear model promises, as a sum of squares."""
    if damping == 0.0:
        return float(np.sum(np.where(_pseudo_inverse_mask(s), c * c, 0.0)))
    kept = damping / (s * s + damping)
    return float(np.sum(c * c * (1.0 - kept * kept)))


def _new_radius(
    radius: float, ratio: float, step_norm: float, damping: float, actual: float, predicted: float, sse: float
) -> float:
    """MINPACK's trust-region update: after a poor step (ratio ≤ 1/4) shrink the region, by half or, when
    S rose, by the factor a quadratic along the step suggests (at most tenfold); after a good step
    (ratio ≥ 3/4, or a Gauss–Newton step) make it twice the step."""
    if not ratio > 0.25:
        if actual >= 0:
            factor = 0.5
        else:
            directional = -predicted  # the slope of S along the step, as the linear model sees it
            factor = 0.5 * directional / (directional + 0.5 * actual) if math.isfinite(actual) else 0.1
        if not (factor >= 0.1) or (math.isfinite(actual) and sse - actual > 100.0 * sse):
            factor = 0.1
        return factor * min(radius, step_norm / 0.1)
    if ratio >= 0.75 or damping == 0.0:
        return 2.0 * step_norm
    return radius
