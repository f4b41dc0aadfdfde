r"""Control variables: values from their patterns, and their linear effects.

.. math:: e_{g,k,t} = \gamma_{g,k} \, v_{g,k,t}

with values from the streams ``control_noise`` / ``control_bursts`` /
``control_custom`` of each (replicate, geo, control) at the plan's control
level, and the plan's coefficient ``gamma``.
"""

from __future__ import annotations

import numpy as np

from xmmm.patterns import pattern_values
from xmmm.plan import Plan

__all__ = ["controls"]


def controls(plan: Plan) -> dict[str, np.ndarray]:
    """``control_value`` and ``control_effect``, each (R, G, K, T)."""
    value = pattern_values(
        [c.pattern_spec for c in plan.config.control_variables],
        plan.dates,
        plan.geos,
        plan.control_level,
        seed=plan.seed,
        role="control",
        replicates=plan.replicates,
    )
    return {"control_value": value, "control_effect": plan.control_coefficient[..., None] * value}
