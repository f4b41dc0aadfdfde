r"""Reach and frequency: impressions split into the people reached and how often.

A reach-and-frequency channel's impressions ``I`` in a geo of population
``P`` reach, under random duplication (each impression lands on one of the
``s P`` people the channel can reach, at random),

.. math::
    x = \frac{I}{s P}, \qquad
    \text{reach} = s P \, (1 - e^{-x}), \qquad
    \text{frequency} = \frac{x}{1 - e^{-x}} \ \ (1 \text{ at } x = 0), \qquad
    \text{impressions} = \text{reach} \times \text{frequency}

so reach stays below ``s P <= P`` and frequency is at least 1 (the Poisson
reach argument of Meridian's R&F simulation notebook).  The reachable share
``s`` of each period is the channel's ``reachable_share`` times mean-one
log-normal noise (coefficient of variation ``reach_volatility``, stream
``reach_noise`` of each (replicate, geo, channel)), capped at 1, so frequency
moves somewhat independently of reach.  The stored impressions are the
product ``reach * frequency`` itself, so that identity holds exactly.
"""

from __future__ import annotations

import numpy as np

from xmmm.patterns import lognormal_noise
from xmmm.plan import Plan
from xmmm.random import normals, stream_keys

__all__ = ["reachable_share", "reach_and_frequency"]


def reachable_share(plan: Plan) -> np.ndarray | None:
    """The share ``s`` (R, G, S_rf, T) of each reach-and-frequency channel's population it can reach per period.

    ``None`` when the plan has no such channel.  The last-but-one axis runs
    over ``plan.inputs.reach_frequency``.
    """
    idx = plan.inputs.reach_frequency
    if idx.size == 0:
        return None
    names = [plan.channels[i] for i in idx]
    keys = stream_keys(plan.seed, "reach_noise", plan.geos, names, replicates=plan.replicates)
    cv = plan.inputs.reach_volatility[idx][None, None, :, None]
    noise = lognormal_noise(normals(keys, len(plan.dates)), cv)
    return np.minimum(plan.inputs.reachable_share[idx][None, None, :, None] * noise, 1.0)


def reach_and_frequency(impressions: np.ndarray, share: np.ndarray,
                        population: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reach and average frequency of impressions (see the module docs).

    Parameters
    ----------
    impressions : numpy.ndarray
        (R, G, S, T), >= 0.
    share : numpy.ndarray
        (R, G, S, T) reachable share of the population, in (0, 1].
    population : numpy.ndarray
        (R, G) people per geo.

    Returns
    -------
    reach, frequency : numpy.ndarray
        (R, G, S, T); ``reach <= population`` and ``frequency >= 1``.

    Examples
    --------
    >>> reach, frequency = reach_and_frequency(np.array([[[[0.0, 500.0, 4000.0]]]]), np.full((1, 1, 1, 3), 0.5),
    ...                                        np.array([[1000.0]]))
    >>> reach.round(1).tolist(), frequency.round(3).tolist()
    ([[[[0.0, 316.1, 499.8]]]], [[[[1.0, 1.582, 8.003]]]])
    """
    reachable = share * population[:, :, None, None]  # <= population: share <= 1
    x = impressions / reachable
    covered = -np.expm1(-x)  # 1 - exp(-x), in [0, 1]
    reach = reachable * covered
    with np.errstate(divide="ignore", invalid="ignore"):
        frequency = np.where(x > 0.0, x / covered, 1.0)
    return reach, np.maximum(frequency, 1.0)
