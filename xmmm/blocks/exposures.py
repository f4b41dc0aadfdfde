r"""The media of every channel kind: spend, exposures and costs, reach and frequency, treatment values.

From each channel's *activity* -- the output of its pattern, or what an
intervention puts in its place (:class:`xmmm.engine.Interventions`) -- this
block makes the series a model sees and the input of the channel's transforms:

==========================  =====================================  =========================================
kind, unit                  series                                  input of the transforms
==========================  =====================================  =========================================
paid, ``spend``             spend = activity                        spend
paid, impressions / clicks  exposures = activity / cost;            exposures
                            spend = exposures x cost
reach_frequency             impressions from spend as above, split  reach (Hill on frequency, times the
                            into reach and frequency                scaled reach, then the adstock)
                            (:mod:`~xmmm.blocks.reach`),
                            impressions = reach x frequency,
                            spend = impressions x cost
organic                     exposures = activity (no spend)         exposures
organic_reach_frequency     reach and frequency of the activity     reach
treatment                   value = activity (no spend)             value - baseline value (linear effect)
==========================  =====================================  =========================================

The cost per exposure of geo ``g`` at period ``t`` is

.. math:: c_{g,t} = \frac{\text{cost\_per\_unit}}{b} \, f_g \, \max(0, 1 + \text{cost\_trend} \cdot t)
          \, \varepsilon_{g,t}

with ``b`` 1000 for impressions (a CPM) and 1 for clicks (a CPC), ``f`` the
regional cost factor (stream ``region_cost``) and ``epsilon`` mean-one
log-normal noise of coefficient of variation ``cost_volatility`` (stream
``cost_noise`` of each (replicate, geo, channel)).  Spend is computed as
``exposures * cost``, so that identity holds exactly; the budget is what the
pattern plans, the cost fluctuates with the market (media inflation lowers
the exposures a fixed budget buys).
"""

from __future__ import annotations

import numpy as np

from xmmm.blocks.reach import reach_and_frequency
from xmmm.patterns import lognormal_noise
from xmmm.plan import Plan
from xmmm.random import normals, stream_keys

__all__ = ["cost_per_exposure", "media_series", "stepped"]


def cost_per_exposure(plan: Plan) -> np.ndarray | None:
    """Cost of one exposure (R, G, S, T); NaN for channels without a cost, ``None`` when no channel has one."""
    inputs = plan.inputs
    if plan.cost_level is None:
        return None
    idx = np.flatnonzero(inputs.has_cost)
    n = len(plan.dates)
    keys = stream_keys(plan.seed, "cost_noise", plan.geos, [plan.channels[i] for i in idx],
                       replicates=plan.replicates)
    t = np.arange(n, dtype=float)
    trend = np.maximum(0.0, 1.0 + inputs.cost_trend[idx, None] * t)
    noise = lognormal_noise(normals(keys, n), inputs.cost_volatility[idx][None, None, :, None])
    out = np.full(plan.cost_level.shape + (n,), np.nan)
    out[:, :, idx, :] = plan.cost_level[:, :, idx, None] * trend * noise
    return out


def stepped(plan: Plan, activity: np.ndarray, factor) -> np.ndarray:
    """The activity scaled by ``factor``: spend and exposures multiplied, a treatment's deviation from its
    baseline value multiplied (so ``factor = 0`` gives the baseline value, a treatment's counterfactual)."""
    idx = plan.inputs.treatments
    if idx.size == 0:
        return activity * factor
    baseline = np.where(np.isnan(plan.inputs.treatment_baseline), 0.0, plan.inputs.treatment_baseline)
    b = baseline[None, None, :, None]
    return b + (activity - b) * factor


def media_series(plan: Plan, activity: np.ndarray, cost: np.ndarray | None,
                 share: np.ndarray | None) -> dict[str, np.ndarray]:
    """The series and the transforms' input of every channel from its activity (see the module docs).

    Parameters
    ----------
    plan : Plan
    activity : numpy.ndarray
        (R, G, S, T) spend (paid kinds), exposures (organic kinds) or values
        (treatments).
    cost : numpy.ndarray or None
        :func:`cost_per_exposure`.
    share : numpy.ndarray or None
        :func:`xmmm.blocks.reach.reachable_share`.

    Returns
    -------
    dict
        ``spend`` and ``input`` (R, G, S, T) always (``input`` is the
        unscaled input of the transforms); for a plan with other kinds than
        paid spend also ``exposure``, ``cost_per_exposure``, ``reach``,
        ``frequency`` and ``treatment_value`` when any channel has them, NaN
        for the channels that do not.
    """
    inputs = plan.inputs
    if inputs is None or inputs.spend_only or (
        inputs.has_spend.all() and not inputs.has_exposures.any()
    ):
        return {"spend": activity, "input": activity}
    has_spend, has_exposures, has_cost = inputs.has_spend, inputs.has_exposures, inputs.has_cost
    out: dict[str, np.ndarray] = {}
    spend = np.where(has_spend[None, None, :, None], activity, 0.0)
    model_input = spend.copy()
    if has_exposures.any():
        exposure = np.full(activity.shape, np.nan)
        paid = np.flatnonzero(has_cost)
        organic = np.flatnonzero(has_exposures & ~has_spend)
        if paid.size:
            exposure[:, :, paid, :] = activity[:, :, paid, :] / cost[:, :, paid, :]
        exposure[:, :, organic, :] = activity[:, :, organic, :]
        rf = inputs.reach_frequency
        if rf.size:
            reach, frequency = reach_and_frequency(exposure[:, :, rf, :], share, plan.population)
            exposure[:, :, rf, :] = reach * frequency
            out["reach"] = _spread(reach, rf, activity.shape)
            out["frequency"] = _spread(frequency, rf, activity.shape)
            model_input[:, :, rf, :] = reach
        if paid.size:
            spend[:, :, paid, :] = exposure[:, :, paid, :] * cost[:, :, paid, :]
        plain = np.flatnonzero(has_exposures & ~np.isin(np.arange(len(has_spend)), rf))
        model_input[:, :, plain, :] = exposure[:, :, plain, :]
        out["exposure"] = exposure
        if cost is not None:
            out["cost_per_exposure"] = cost
    treatments = inputs.treatments
    if treatments.size:
        value = np.full(activity.shape, np.nan)
        value[:, :, treatments, :] = activity[:, :, treatments, :]
        model_input[:, :, treatments, :] = activity[:, :, treatments, :] - inputs.treatment_baseline[
            None, None, treatments, None]
        out["treatment_value"] = value
    return {"spend": spend, "input": model_input, **out}


def _spread(values: np.ndarray, idx: np.ndarray, shape: tuple) -> np.ndarray:
    out = np.full(shape, np.nan)
    out[:, :, idx, :] = values
    return out
