"""Spend: from the channels' patterns or a given plan, and the scale that normalises it before the transforms.

Spend of channel ``c`` in geo ``g`` is its pattern (:mod:`xmmm.patterns`) at
the plan's spend level, from the streams ``spend_noise`` / ``spend_bursts`` /
``spend_custom`` of each (replicate, geo, channel) -- or, when the plan
carries a spend (``Plan.spend``: a user's media plan), that spend, and no
pattern is drawn.  A channel without spend draws its pattern -- the
exposures of organic media, the values of a treatment -- from streams of its
own (roles ``organic`` and ``treatment``).  The spend scale is a property of
the *natural* media (the patterns' or the given spend, before any
intervention): its maximum over time (``"max"``, as pymc-marketing's MMM
scales channels), its mean (``"mean"``), 1 (``"none"``) or Google Meridian's
scale, the geo's population times the channel's median non-zero spend per
head over geos and periods (``"per_capita_median"``); a plan may hold it
fixed (``Plan.spend_scale``), as a counterfactual holds its original's.  For
a channel with exposures or reach the same scale divides the exposures or
the reach (:mod:`xmmm.blocks.exposures`).
"""

from __future__ import annotations

import numpy as np

from xmmm.patterns import pattern_values
from xmmm.plan import Plan

__all__ = ["natural_spend", "natural_activity", "scale_of", "spend_scale", "per_capita_median_scale"]

#: stream role of each channel kind's pattern
_ROLES = {"paid": "spend", "reach_frequency": "spend", "organic": "organic", "organic_reach_frequency": "organic",
          "treatment": "treatment"}


def natural_spend(plan: Plan) -> np.ndarray:
    """Spend of every channel, (R, G, S, T): the plan's given spend, else from the channels' patterns.

    For a plan with channels without spend this is :func:`natural_activity`.
    """
    return natural_activity(plan)


def natural_activity(plan: Plan) -> np.ndarray:
    """The pattern of every channel, (R, G, S, T): spend (paid kinds), exposures (organic), values (treatments).

    Each kind draws from the streams of its own role; a spend-only config
    makes one call on role ``spend``, as xmmm 0.1 did.  A plan's given spend
    (``Plan.spend``) is that activity: no pattern is drawn.
    """
    if plan.spend is not None:
        return np.array(plan.spend, dtype=float)
    channels = plan.config.channels
    roles = [_ROLES[c.kind] for c in channels]
    out = None
    for role in dict.fromkeys(roles):
        idx = [i for i, r in enumerate(roles) if r == role]
        values = pattern_values(
            [channels[i].pattern_spec for i in idx],
            plan.dates,
            plan.geos,
            plan.spend_level[:, :, idx],
            seed=plan.seed,
            role=role,
            replicates=plan.replicates,
        )
        if len(idx) == len(channels):
            return values
        if out is None:
            out = np.empty(values.shape[:2] + (len(channels),) + values.shape[3:])
        out[:, :, idx, :] = values
    return out


def spend_scale(spend: np.ndarray, scaling: str, population: np.ndarray | None = None) -> np.ndarray:
    """The per-(replicate, geo, channel) scale of ``spend`` (R, G, S, T); 1 where spend is all zero.

    ``population`` (R, G) is needed for ``"per_capita_median"``.
    """
    if scaling == "max":
        scale = spend.max(axis=-1)
    elif scaling == "mean":
        scale = spend.mean(axis=-1)
    elif scaling == "per_capita_median":
        scale = per_capita_median_scale(spend, population)
    else:
        scale = np.ones(spend.shape[:-1])
    return np.where(scale > 0.0, scale, 1.0)


def scale_of(plan: Plan, natural: np.ndarray) -> np.ndarray:
    """The spend scale of a run, (R, G, S): the plan's fixed one, else :func:`spend_scale` of the natural spend."""
    if plan.spend_scale is not None:
        return np.array(plan.spend_scale, dtype=float)
    return spend_scale(natural, plan.config.transforms.spend_scaling, plan.population)


def per_capita_median_scale(spend: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Google Meridian's media scale: population x the channel's median non-zero spend per head.

    Parameters
    ----------
    spend : numpy.ndarray
        (R, G, S, T) spend.
    population : numpy.ndarray
        (R, G) people per geo.

    Returns
    -------
    numpy.ndarray
        (R, G, S): ``population[g] * median`` over geos and periods of the
        non-zero values of ``spend / population`` (NaN for a channel that
        never spends), as ``meridian.model.transformers.MediaTransformer``
        computes it.

    Examples
    --------
    >>> spend = np.array([[[[0.0, 2.0, 4.0]], [[6.0, 0.0, 0.0]]]])      # (1 replicate, 2 geos, 1 channel, 3 periods)
    >>> per_capita_median_scale(spend, np.array([[1.0, 2.0]]))          # per head: 2, 4 and 3 -> median 3
    array([[[3.],
            [6.]]])
    """
    per_capita = spend / population[:, :, None, None]
    per_capita = np.where(per_capita == 0.0, np.nan, per_capita)
    r, g, s, t = per_capita.shape
    pooled = np.moveaxis(per_capita, 2, 1).reshape(r, s, g * t)
    # a channel that never spends has an all-NaN slice: its scale falls back to 1
    finite = np.isfinite(pooled).any(axis=-1)
    median = np.full((r, s), np.nan)
    if finite.any():
        median[finite] = np.nanmedian(pooled[finite], axis=-1)
    return population[:, :, None] * median[:, None, :]
