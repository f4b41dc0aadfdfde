r"""The optimal allocation of a budget over separable responses: a global start and an exact polish.

The problem, for each of ``P`` independent problems (replicates) over ``K``
units (channels, or geo-channel pairs):

.. math::
    \max_\theta \sum_k R_k(\theta_k) \quad \text{s.t.} \quad
    \sum_k X_k \theta_k = B, \qquad l_k \le \theta_k \le u_k,

with :math:`X_k` today's spend of unit ``k`` (so :math:`X_k \theta_k` is its
spend) and :math:`R_k` increasing.  At an optimum every unit strictly inside
its bounds has the same marginal return :math:`R_k'(\theta_k) / X_k = \lambda`
(units at a lower bound have less, at an upper bound more): the
equal-marginal-return conditions.

Three stages, all vectorised over problems and units:

1. **Global start** on a surrogate: the exact values and slopes at
   ``nodes`` points of each unit's range give a cubic Hermite interpolant;
   on a fine grid of it the Lagrangian dual is solved by bisection on
   :math:`\lambda` (each unit's best grid point for a price :math:`\lambda`
   is found globally).  Concave responses need nothing more.  When some
   response is S-shaped (e.g. Hill with slope > 1), a budget between two
   prices is met only by a unit half on: both ends of that bracket and
   today's allocation are the starts.
2. **Exact polish**: Newton's method on the equal-marginal-return
   conditions with exact marginal returns (one evaluation of every slope
   per step), curvature from the surrogate and then from secants, bounds as
   an active set, from each start; the best exact total that meets the
   budget is kept.
3. **Transfers** (S-shaped responses only): a local optimum may strand a
   unit on the convex part of its curve, or keep the budget in one
   S-shaped unit where another would earn more.  Each S-shaped unit's
   spend is moved whole to every other unit, the best exact gain polished
   again, a few rounds while that improves the total.

The result is exact at a local optimum (to :data:`TOLERANCE`); over
S-shaped responses a global one is searched for, not proven.

Examples
--------
Three concave units, each :math:`R_k(\theta) = w_k \sqrt{\theta}` with
today's spend 1: the optimum spends in proportion to :math:`w_k^2`.

>>> w = np.array([1.0, 2.0, 3.0])
>>> def evaluate(theta, value=True, slope=True):
...     with np.errstate(divide="ignore"):                      # the slope is infinite at 0
...         return w * np.sqrt(theta), w / (2 * np.sqrt(theta))
>>> best = allocate(evaluate, np.ones((1, 3)), np.array([3.0]), np.zeros((1, 3)), np.full((1, 3), 3.0),
...                 concave=np.ones((1, 3), dtype=bool))
>>> np.round(best.theta, 6)
array([[0.214286, 0.857143, 1.928571]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Allocation", "allocate", "bounds_range"]

#: relative tolerance of the equal-marginal-return conditions at convergence
TOLERANCE = 1e-12
_MAX_STEPS = 60
#: rounds of moving a stranded S-shaped unit's spend elsewhere (see _transfer)
_MAX_TRANSFERS = 3
#: S-shaped units whose spend each round tries to move
_MAX_SOURCES = 8


@dataclass(frozen=True)
class Allocation:
    """The optimum of each problem.

    Attributes
    ----------
    theta : numpy.ndarray
        (P, K) the optimal factors.
    value, slope : numpy.ndarray
        (P, K) ``R_k`` and ``dR_k / dtheta_k`` there (exact).
    multiplier : numpy.ndarray
        (P,) the common marginal return of the units inside their bounds
        (the return of one more unit of budget); NaN when every unit is at a
        bound.
    at_bound : numpy.ndarray
        (P, K) int8: -1 at the lower bound, 1 at the upper, 0 inside.
    converged : numpy.ndarray
        (P,) whether the conditions hold to :data:`TOLERANCE`.
    starts : int
        Number of starts of the exact polish.
    """

    theta: np.ndarray
    value: np.ndarray
    slope: np.ndarray
    multiplier: np.ndarray
    at_bound: np.ndarray
    converged: np.ndarray
    starts: int


def bounds_range(spend: np.ndarray, budget: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    """The factors each unit can reach in a feasible allocation: ``(lo, hi)``, each (P, K)."""
    low_total = (lower * spend).sum(axis=-1, keepdims=True)
    high_total = (upper * spend).sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = np.where(spend > 0, (budget[:, None] - (low_total - lower * spend)) / spend, upper)
        lo = np.where(spend > 0, (budget[:, None] - (high_total - upper * spend)) / spend, lower)
    return np.maximum(lower, lo), np.minimum(upper, hi)


def allocate(
    evaluate: Callable,
    spend: np.ndarray,
    budget: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    concave: np.ndarray,
    nodes: int | None = None,
) -> Allocation:
    """Maximise :math:`\\sum_k R_k(\\theta_k)` subject to the budget and the bounds (see the module docs).

    Parameters
    ----------
    evaluate : callable
        ``evaluate(theta, value=True, slope=True) -> (R, dR/dtheta)``, each
        shaped like ``theta`` (N, P, K) -- exact, ``None`` for a part not
        asked for.
    spend : numpy.ndarray
        (P, K) today's spend :math:`X_k`; units with 0 cannot move.
    budget : numpy.ndarray
        (P,) the budget :math:`B`, feasible: between the spend at the lower
        and at the upper bounds.
    lower, upper : numpy.ndarray
        (P, K) finite bounds on the factors.
    concave : numpy.ndarray
        (P, K) whether each response is concave (a problem with an S-shaped
        one is polished from three starts, then improved by transfers).
    nodes : int, optional
        Exact evaluations of each range for the surrogate (default 9 when
        every problem is concave, else 17).
    """
    spend = np.asarray(spend, dtype=float)
    movable = spend > 0
    lower = np.where(movable, lower, 1.0)
    upper = np.where(movable, upper, 1.0)
    # what each unit can reach given the budget and the others' bounds: the range the search works in
    lo, hi = bounds_range(spend, budget, lower, upper)
    hi = np.maximum(hi, lo)
    bent = movable & ~np.broadcast_to(np.asarray(concave, dtype=bool), spend.shape)
    all_concave = not bent.any()
    m = nodes or (9 if all_concave else 17)
    surrogate = _Surrogate.fit(evaluate, lo, hi, m)
    grid = _Grid.of(surrogate, spend, budget, int(np.clip(400_000 // max(spend.size, 1), 201, 2001)))
    start, low_end, high_end = grid.dual()
    if all_concave:
        starts = start[None]
    else:  # both ends of the dual's interpolation (which switch a unit on or off) and today's allocation
        starts = np.stack([low_end, high_end, np.clip(np.ones_like(spend), lo, hi)])
    theta, converged = _polish(evaluate, surrogate, starts, spend, budget, lo, hi, movable)
    theta, value, slope, converged = _best_start(evaluate, theta, converged, spend, budget)
    if not all_concave:
        inflection = grid.inflection()
        for _ in range(_MAX_TRANSFERS):
            moved = _transfer(evaluate, theta, value, spend, lo, hi, bent, inflection)
            if moved is None:
                break
            again, done = _polish(evaluate, surrogate, moved[None], spend, budget, lo, hi, movable)
            both = np.stack([theta, again[0]])
            theta, value, slope, converged = _best_start(evaluate, both, np.stack([converged, done[0]]), spend, budget)
    span = np.maximum(upper - lower, 1e-300)
    at_bound = np.where(theta <= lower + 1e-12 * span, -1, np.where(theta >= upper - 1e-12 * span, 1, 0))
    at_bound = np.where(movable, at_bound, 0).astype(np.int8)
    inside = movable & (at_bound == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        marginal = np.where(inside, slope / np.where(movable, spend, 1.0), 0.0)
        multiplier = np.where(inside.any(axis=-1), marginal.sum(axis=-1) / inside.sum(axis=-1), np.nan)
    return Allocation(theta, value, slope, multiplier, at_bound, converged, int(starts.shape[0]))


def _best_start(evaluate, theta, converged, spend, budget):
    """The best of the starts (C, P, K) that meet the budget: ``(theta, value, slope, converged)``, each (P, ...).

    A start that failed to meet the budget is never chosen over one that did.
    """
    value, slope = evaluate(theta)
    total = np.where(np.isfinite(value), value, -np.inf).sum(axis=-1)
    residual = np.abs(budget - (spend * theta).sum(axis=-1))
    feasible = residual <= 1e-9 * np.maximum(np.abs(budget), 1e-300)
    rank = np.where(feasible, total, -np.inf)
    rank = np.where(feasible.any(axis=0), rank, -residual)
    best = np.argmax(rank, axis=0)  # (P,)
    pick = np.arange(theta.shape[1])
    return theta[best, pick], value[best, pick], slope[best, pick], converged[best, pick]


def _transfer(evaluate, theta, value, spend, lo, hi, bent, inflection):
    """A better start by moving one S-shaped unit's spend to another unit, or None.

    The equal-marginal-return conditions hold at every local optimum, and
    over S-shaped responses there are several: a unit may be left on the
    convex part of its curve (below its inflection) taking up what the
    budget leaves, or the budget may sit in one S-shaped unit where another
    would earn more (a swap no start reaches).  So each S-shaped unit's spend above its lower end
    -- the stranded ones first, then the smallest amounts, at most
    ``_MAX_SOURCES`` -- is moved whole to every other unit that can take it;
    the best exact gain, where positive, is the new start.
    """
    span = np.maximum(hi - lo, 1e-300)
    on = bent & (theta > lo + 1e-9 * span)
    if not on.any():
        return None
    bridging = on & (theta < inflection)
    n = min(int(on.sum(axis=-1).max()), _MAX_SOURCES)
    amount = np.where(on, spend * (theta - lo), np.inf)
    order = np.where(bridging, 0.0, 1.0) + amount / (np.where(on, amount, 0.0).sum(axis=-1, keepdims=True) + 1e-300)
    sources = np.argsort(np.where(on, order, np.inf), axis=-1)[..., :n]  # (P, n)
    bridging = on
    gained = np.full(theta.shape[:1], 0.0)
    best = theta.copy()
    base = np.where(np.isfinite(value), value, 0.0)
    for b in range(n):
        i = sources[:, b]
        rows = np.arange(theta.shape[0])
        ok = bridging[rows, i]
        moved = amount[rows, i]
        # every unit j receives the amount: theta_j + moved / X_j (one evaluation for all of them)
        with np.errstate(divide="ignore", invalid="ignore"):
            target = theta + np.where(spend > 0, moved[:, None] / np.where(spend > 0, spend, 1.0), np.inf)
        fits = (target <= hi + 1e-12 * span) & (spend > 0)
        fits[rows, i] = False
        target = np.where(fits, np.minimum(target, hi), theta)
        source = theta.copy()
        source[rows, i] = lo[rows, i]
        received, _ = evaluate(np.stack([target, source]), slope=False)
        lost = base[rows, i] - received[1][rows, i]
        gain = np.where(fits, received[0] - base, -np.inf) - lost[:, None]
        j = np.argmax(gain, axis=-1)
        g = gain[rows, j]
        better = ok & (g > gained + 1e-12 * np.abs(base).sum(axis=-1))
        if better.any():
            candidate = source.copy()
            candidate[rows, j] = target[rows, j]
            best = np.where(better[:, None], candidate, best)
            gained = np.where(better, g, gained)
    return best if (gained > 0).any() else None


# --------------------------------------------------------------------------- stage 1: the surrogate
@dataclass(frozen=True)
class _Surrogate:
    """Cubic Hermite interpolants of every R_k on its range, from exact values and slopes at nodes."""

    lo: np.ndarray  # (P, K)
    width: np.ndarray  # (P, K) node spacing
    values: np.ndarray  # (M, P, K)
    slopes: np.ndarray  # (M, P, K), finite

    @classmethod
    def fit(cls, evaluate: Callable, lo: np.ndarray, hi: np.ndarray, m: int) -> _Surrogate:
        rel = np.linspace(0.0, 1.0, m)[:, None, None]
        theta = lo + (hi - lo) * rel
        values, slopes = evaluate(theta)
        width = (hi - lo) / (m - 1)
        # an infinite slope at theta = 0 (a curve starting vertically) is no use to an interpolant
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = np.where(width > 0, 2.0 * (values[1] - values[0]) / width, 0.0)
        slopes = slopes.copy()
        slopes[0] = np.where(np.isfinite(slopes[0]), slopes[0], secant)
        return cls(lo, width, values, np.where(np.isfinite(slopes), slopes, 0.0))

    def _locate(self, theta: np.ndarray):
        m = self.values.shape[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(self.width > 0, (theta - self.lo) / self.width, 0.0)
        j = np.clip(np.floor(u), 0, m - 2).astype(np.intp)
        return j, u - j

    def at(self, theta: np.ndarray) -> np.ndarray:
        """The interpolant at ``theta`` (..., P, K) (each point in its own unit's interval)."""
        j, t = self._locate(theta)
        j = np.broadcast_to(j, theta.shape)
        v0, v1 = self._gather(j, self.values)
        d0, d1 = self._gather(j, self.slopes)
        h = self.width
        return ((2 * t**3 - 3 * t**2 + 1) * v0 + (t**3 - 2 * t**2 + t) * h * d0
                + (-2 * t**3 + 3 * t**2) * v1 + (t**3 - t**2) * h * d1)

    def curvature(self, theta: np.ndarray) -> np.ndarray:
        """The interpolant's second derivative at ``theta`` (C, P, K)."""
        j, t = self._locate(theta)
        v0, v1 = self._gather(j, self.values)
        d0, d1 = self._gather(j, self.slopes)
        h = np.where(self.width > 0, self.width, 1.0)
        return ((12 * t - 6) * v0 + (6 * t - 4) * h * d0 + (6 - 12 * t) * v1 + (6 * t - 2) * h * d1) / h**2

    def _gather(self, j: np.ndarray, array: np.ndarray):
        """``array[j]`` and ``array[j + 1]`` for node indices j of shape (..., P, K)."""
        flat = j.reshape((-1,) + j.shape[-2:])
        first = np.take_along_axis(array, flat, axis=0).reshape(j.shape)
        second = np.take_along_axis(array, flat + 1, axis=0).reshape(j.shape)
        return first, second



@dataclass(frozen=True)
class _Grid:
    """The surrogate on a fine grid of each unit's range, for the Lagrangian dual."""

    theta: np.ndarray  # (P, K, J)
    curve: np.ndarray  # (P, K, J)
    cost: np.ndarray  # (P, K, J)
    spend: np.ndarray  # (P, K)
    budget: np.ndarray  # (P,)
    peak: np.ndarray  # (P, K): grid index of the steepest point, the inflection (0 for concave responses)
    top: np.ndarray  # (P,): the steepest return anywhere

    @classmethod
    def of(cls, surrogate: _Surrogate, spend: np.ndarray, budget: np.ndarray, points: int) -> _Grid:
        m = surrogate.values.shape[0]
        rel = np.linspace(0.0, m - 1.0, points)
        theta = surrogate.lo[..., None] + surrogate.width[..., None] * rel  # (P, K, J)
        curve = np.moveaxis(surrogate.at(np.moveaxis(theta, -1, 0)), 0, -1)
        cost = spend[..., None] * theta
        with np.errstate(divide="ignore", invalid="ignore"):
            steep = np.where(np.diff(cost, axis=-1) > 0, np.diff(curve, axis=-1) / np.diff(cost, axis=-1), 0.0)
        steep = np.where(np.isfinite(steep), steep, 0.0)
        return cls(theta, curve, cost, spend, budget, np.argmax(steep, axis=-1), np.abs(steep).max(axis=(-1, -2)))

    def inflection(self) -> np.ndarray:
        """(P, K) each unit's factor of steepest return: below it an S-shaped response is convex."""
        return np.take_along_axis(self.theta, self.peak[..., None], axis=-1)[..., 0]

    def dual(self):
        """The dual solution on the grid: ``(interpolated, low end, high end)``, each (P, K).

        Each unit's best grid point for a price is found globally (S-shaped
        curves included); the ends are the allocations at the two prices
        bracketing the budget, the interpolated one meets it exactly between them.
        """
        lam_lo = np.zeros(self.budget.shape)
        lam_hi = 2.0 * self.top + 1e-300

        def choose(lam):
            best = np.argmax(self.curve - lam[:, None, None] * self.cost, axis=-1)
            t = np.take_along_axis(self.theta, best[..., None], axis=-1)[..., 0]
            return t, (self.spend * t).sum(axis=-1)

        for _ in range(60):
            mid = 0.5 * (lam_lo + lam_hi)
            above = choose(mid)[1] >= self.budget
            lam_lo = np.where(above, mid, lam_lo)
            lam_hi = np.where(above, lam_hi, mid)
        high_end, s_high = choose(lam_lo)
        low_end, s_low = choose(lam_hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(s_high > s_low, (self.budget - s_low) / (s_high - s_low), 0.0)
        alpha = np.clip(alpha, 0.0, 1.0)[:, None]
        return low_end + alpha * (high_end - low_end), low_end, high_end


# --------------------------------------------------------------------------- stage 2: the exact polish
def _polish(evaluate, surrogate, starts, spend, budget, lower, upper, movable):
    """Newton on the equal-marginal-return conditions from each start (C, P, K); returns (theta, converged)."""
    theta = np.clip(starts, lower, upper)
    span = np.maximum(upper - lower, 1e-300)
    # a unit whose range is a point (the budget leaves it no choice) or that never spends cannot move
    pinned = ~movable | (upper - lower <= 1e-14 * np.maximum(np.abs(upper), 1.0))
    fixed_lo = (theta <= lower + 1e-13 * span) & ~pinned
    fixed_hi = (theta >= upper - 1e-13 * span) & ~fixed_lo & ~pinned
    curvature = surrogate.curvature(theta) / np.where(movable, spend, 1.0)
    done = np.zeros(theta.shape[:2], dtype=bool)
    previous = None
    for _ in range(_MAX_STEPS):
        _, slope = evaluate(theta, value=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            marginal = np.where(movable, slope / np.where(movable, spend, 1.0), 0.0)
        marginal = np.where(np.isnan(marginal), 0.0, marginal)
        vertical = np.isinf(marginal)
        finite_top = np.max(np.where(vertical, 0.0, np.abs(marginal)), axis=-1, keepdims=True)
        # an infinite marginal return (a vertical start at 0) only says: move up
        marginal = np.where(vertical, 1e6 * (finite_top + 1.0), marginal)
        tiny = 1e-10 * (finite_top + 1e-300) / span
        if previous is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                moved = np.abs(theta - previous[0]) > 1e-13 * span
                secant = (marginal - previous[1]) / (theta - previous[0])
            curvature = np.where(moved & (secant < 0), secant, curvature)
        curvature = np.minimum(curvature, -tiny)
        residual = budget - (spend * theta).sum(axis=-1)
        met = np.abs(residual) <= 1e-13 * np.abs(budget) + 1e-300

        free = ~pinned & ~fixed_lo & ~fixed_hi
        lam = _multiplier(free, fixed_lo, fixed_hi, marginal, curvature, spend, residual)
        # KKT at the bounds: a unit held at its lower bound that would earn more than the price, or at its
        # upper bound that would earn less, is released
        tolerance = 1e-10 * (np.abs(lam) + 1e-300)
        release = (fixed_lo & (marginal > (lam + tolerance)[..., None])) | (
            fixed_hi & (marginal < (lam - tolerance)[..., None]))
        stuck = ~free.any(axis=-1) & ~release.any(axis=-1) & ~met
        if stuck.any():  # every unit at a bound and the budget not met: free the best unit to move
            up = residual > 0
            key = np.where(up[..., None], np.where(~fixed_hi & ~pinned, marginal, -np.inf),
                           np.where(~fixed_lo & ~pinned, -marginal, -np.inf))
            one = np.zeros_like(release)
            np.put_along_axis(one, np.argmax(key, axis=-1)[..., None], True, axis=-1)
            release |= one & stuck[..., None]
        with np.errstate(invalid="ignore"):
            gap = np.where(free, np.abs(marginal - lam[..., None]), 0.0).max(axis=-1, initial=0.0)
        done |= (gap <= TOLERANCE * np.abs(np.nan_to_num(lam)) + 1e-300) & ~release.any(axis=-1) & met
        if done.all():
            break
        fixed_lo &= ~release
        fixed_hi &= ~release
        free = ~pinned & ~fixed_lo & ~fixed_hi
        lam_rel, ref = _price(free, marginal, curvature, spend, residual)
        dm = marginal - np.take_along_axis(marginal, ref[..., None], axis=-1)
        step = np.where(free, (dm - lam_rel[..., None]) / -curvature, 0.0)
        # a unit leaving a vertical start steps just inside, where its return is finite: Newton takes it
        # from the left of its root, where a convex, falling marginal return never overshoots
        step = np.where(free & vertical, 1e-6 * span, step)
        step = np.clip(step, -0.5 * span, 0.5 * span)
        proposed = theta + step
        proposed_lo = proposed <= lower
        proposed_hi = proposed >= upper
        proposed = np.clip(proposed, lower, upper)
        keep = done[..., None]
        previous = (theta, marginal)
        theta = np.where(keep, theta, proposed)
        fixed_lo = np.where(keep, fixed_lo, fixed_lo | (free & proposed_lo))
        fixed_hi = np.where(keep, fixed_hi, fixed_hi | (free & proposed_hi & ~proposed_lo))
    return theta, done


def _multiplier(free, fixed_lo, fixed_hi, marginal, curvature, spend, residual) -> np.ndarray:
    """The price lambda of each problem: from the free units' Newton step, else from the units at the bounds.

    Without free units any price between the best marginal return held at a
    lower bound and the worst held at an upper bound satisfies the
    conditions; the lower end is taken (NaN when no unit can move).
    """
    lam_rel, ref = _price(free, marginal, curvature, spend, residual)
    from_free = np.take_along_axis(marginal, ref[..., None], axis=-1)[..., 0] + lam_rel
    low = np.max(np.where(fixed_lo, marginal, -np.inf), axis=-1)
    high = np.min(np.where(fixed_hi, marginal, np.inf), axis=-1)
    from_bounds = np.where(np.isfinite(low), low, np.where(np.isfinite(high), high, np.nan))
    return np.where(free.any(axis=-1), from_free, from_bounds)


def _price(free, marginal, curvature, spend, residual):
    """The Newton price of the free units, relative to a reference unit: ``(lambda - m_ref, ref)``.

    With weights ``w_k = X_k / -c_k`` the step ``(m_k - lambda) / -c_k`` meets
    the budget when ``sum_k w_k (m_k - lambda) = residual``.  Working relative
    to the unit of largest weight keeps a nearly linear unit (huge weight)
    exact: it takes up what the others leave.
    """
    weight = np.where(free, spend / -curvature, 0.0)
    ref = np.argmax(weight, axis=-1)
    m_ref = np.take_along_axis(marginal, ref[..., None], axis=-1)
    total = weight.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam_rel = np.where(total > 0, ((weight * (marginal - m_ref)).sum(axis=-1) - residual) / total, 0.0)
    return lam_rel, ref
