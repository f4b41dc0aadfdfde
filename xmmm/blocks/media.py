"""Spend: from the channels' patterns or a given plan, and the scale that normalises it before the transforms.

Spend of channel ``c`` in geo ``g`` is its pattern (:mod:`xmmm.patterns`) at
the plan's spend level, from the streams ``spend_noise`` / ``spend_bursts`` /
``spend_custom`` of each (replicate, geo, channel) -- or, when the plan
carries a spend (``Plan.spend``: a user's media plan), that spend, and no
pattern is drawn.  The spend scale is a property of the *natural* spend (the
patterns' or the given spend, before any intervention): its maximum over time
(``"max"``, as pymc-marketing's MMM scales channels), its mean (``"mean"``) or
1 (``"none"``); a plan may hold it fixed (``Plan.spend_scale``), as a
counterfactual holds its original's.
"""

from __future__ import annotations

import numpy as np

from xmmm.patterns import pattern_values
from xmmm.plan import Plan

__all__ = ["natural_spend", "scale_of", "spend_scale"]


def natural_spend(plan: Plan) -> np.ndarray:
    """Spend of every channel, (R, G, S, T): the plan's given spend, else from the channels' patterns."""
    if plan.spend is not None:
        return np.array(plan.spend, dtype=float)
    return pattern_values(
        [c.pattern_spec for c in plan.config.channels],
        plan.dates,
        plan.geos,
        plan.spend_level,
        seed=plan.seed,
        role="spend",
        replicates=plan.replicates,
    )


def spend_scale(spend: np.ndarray, scaling: str) -> np.ndarray:
    """The per-(replicate, geo, channel) scale of ``spend`` (R, G, S, T); 1 where spend is all zero."""
    if scaling == "max":
        scale = spend.max(axis=-1)
    elif scaling == "mean":
        scale = spend.mean(axis=-1)
    else:
        scale = np.ones(spend.shape[:-1])
    return np.where(scale > 0.0, scale, 1.0)


def scale_of(plan: Plan, natural: np.ndarray) -> np.ndarray:
    """The spend scale of a run, (R, G, S): the plan's fixed one, else :func:`spend_scale` of the natural spend."""
    if plan.spend_scale is not None:
        return np.array(plan.spend_scale, dtype=float)
    return spend_scale(natural, plan.config.transforms.spend_scaling)
