r"""The expected baseline of each geo: level, trend, yearly seasonality (and drift, breaks).

.. math::
    B_{g,t} = L_g + L_g \, \text{trend} \, t
        + L_g A \sin(2\pi \, \text{yearfrac}_t + \varphi)
        \; [+ \, L_g (m_{g,t} - 1)] \; [+ \, \text{breaks}_{g,t}]

with ``L`` the plan's level; ``yearfrac`` is the calendar year fraction, or
``day_of_year / regions.seasonal_period_days`` when set; the drift of a
time-varying level (:func:`xmmm.blocks.variation.level_drift`) and structural
breaks (:func:`xmmm.blocks.issues.level_breaks`) only when configured.  The
noise is added by the outcome (:mod:`xmmm.blocks.noise`): ``baseline = B + noise``.
"""

from __future__ import annotations

import numpy as np

from xmmm.blocks.issues import level_breaks
from xmmm.blocks.variation import level_drift
from xmmm.patterns import season_fraction
from xmmm.plan import Plan

__all__ = ["baseline"]


def baseline(plan: Plan) -> dict[str, np.ndarray]:
    """The expected baseline components, each (R, G, T).

    Returns
    -------
    dict
        ``baseline_level``, ``baseline_trend``, ``baseline_seasonality`` and,
        when configured, ``baseline_drift`` and ``baseline_break``.
    """
    dates = plan.dates
    n = len(dates)
    level = plan.level
    t = np.arange(n, dtype=float)
    trend = level[..., None] * plan.base["regions.sales_trend"][:, None, None] * t
    season_shape = plan.base["regions.seasonal_amplitude"][:, None, None] * np.sin(
        2.0 * np.pi * season_fraction(dates, plan.config.regions.seasonal_period_days)
        + plan.config.regions.seasonal_phase
    )
    seasonality = level[..., None] * season_shape
    out = {
        "baseline_level": np.broadcast_to(level[..., None], trend.shape),
        "baseline_trend": trend,
        "baseline_seasonality": seasonality,
    }
    for name, part in (("baseline_drift", level_drift(plan)), ("baseline_break", level_breaks(plan))):
        if part is not None:
            out[name] = part
    return out
