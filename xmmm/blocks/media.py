"""Spend: from the channels' patterns, and the scale that normalises it before the transforms.

Spend of channel ``c`` in geo ``g`` is its pattern (:mod:`xmmm.patterns`) at
the plan's spend level, from the streams ``spend_noise`` / ``spend_bursts`` /
``spend_custom`` of each (replicate, geo, channel).  The spend scale is a
property of the *natural* spend (the patterns' spend, before any
intervention): its maximum over time (``"max"``, as pymc-marketing's MMM
scales channels), its mean (``"mean"``) or 1 (``"none"``).
"""

from __future__ import annotations

import numpy as np

from xmmm.patterns import pattern_values
from xmmm.plan import Plan

__all__ = ["natural_spend", "spend_scale"]


def natural_spend(plan: Plan) -> np.ndarray:
    """Spend of every channel from its pattern, (R, G, S, T)."""
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
