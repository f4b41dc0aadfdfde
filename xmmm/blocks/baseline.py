r"""The baseline of each geo: level, trend, yearly seasonality and noise.

.. math::
    \text{baseline}_{g,t} = L_g + L_g \, \text{trend} \, t
        + L_g A \sin(2\pi \, \text{yearfrac}_t + \varphi) + L_g \, \sigma \, z_{g,t}

with ``L`` the plan's level, ``z`` standard normal from the stream
``baseline_noise`` of each (replicate, geo).
"""

from __future__ import annotations

import numpy as np

from xmmm.patterns import year_fraction
from xmmm.plan import Plan
from xmmm.random import normals, stream_keys

__all__ = ["baseline"]


def baseline(plan: Plan) -> dict[str, np.ndarray]:
    """The baseline components, each (R, G, T).

    Returns
    -------
    dict
        ``baseline_level``, ``baseline_trend``, ``baseline_seasonality``,
        ``baseline_noise``.
    """
    dates = plan.dates
    n = len(dates)
    level = plan.level
    t = np.arange(n, dtype=float)
    trend = level[..., None] * plan.base["regions.sales_trend"][:, None, None] * t
    season_shape = plan.base["regions.seasonal_amplitude"][:, None, None] * np.sin(
        2.0 * np.pi * year_fraction(dates) + plan.config.regions.seasonal_phase
    )
    seasonality = level[..., None] * season_shape
    noise = (
        level[..., None]
        * plan.base["regions.sales_volatility"][:, None, None]
        * normals(stream_keys(plan.seed, "baseline_noise", plan.geos, replicates=plan.replicates), n)
    )
    return {
        "baseline_level": np.broadcast_to(level[..., None], noise.shape),
        "baseline_trend": trend,
        "baseline_seasonality": seasonality,
        "baseline_noise": noise,
    }
