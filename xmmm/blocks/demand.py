r"""Latent demand: a calendar, drivers among the controls and an AR(1) shock per geo (:mod:`xmmm.causal`).

.. math::
    d_{g,t} = c_t + \sum_k b_k z_{g,k,t} + u_{g,t}, \qquad
    \text{demand\_effect}_{g,t} = \theta L_g d_{g,t}

The shock ``u`` is stationary AR(1) from the stream ``demand_shock`` of each
(replicate, geo); the forecast error of the spend policies comes from
``demand_forecast`` and the proxy's error from ``demand_proxy``.  Without
``MMMDataConfig.demand`` the block returns nothing and draws nothing.
"""

from __future__ import annotations

import numpy as np

from xmmm.kernels.feedback import ar1
from xmmm.patterns import year_fraction
from xmmm.plan import Plan
from xmmm.random import normals, stream_keys

__all__ = ["demand"]


def _zscore(values: np.ndarray) -> np.ndarray:
    """Values z-scored over time (the last axis); 0 for a constant series."""
    centred = values - values.mean(axis=-1, keepdims=True)
    sd = centred.std(axis=-1, keepdims=True)
    return np.divide(centred, sd, out=np.zeros_like(centred), where=sd > 0)


def calendar(plan: Plan) -> np.ndarray:
    """The demand's calendar term ``c_t`` (T,), demeaned over the dates; zeros without amplitude."""
    cfg = plan.config.demand
    n = len(plan.dates)
    if cfg.seasonal_amplitude == 0.0:
        return np.zeros(n)
    tau = np.arange(n) / cfg.seasonal_period if cfg.seasonal_period else year_fraction(plan.dates)
    wave = cfg.seasonal_amplitude * np.sin(2.0 * np.pi * tau + cfg.seasonal_phase)
    return wave - wave.mean()


def demand(plan: Plan, control_value: np.ndarray) -> dict[str, np.ndarray]:
    """The demand arrays, each (R, G, T) (``demand_coefficient`` (R, G)); empty without demand.

    Returns
    -------
    dict
        ``demand``, ``demand_predictable`` (calendar + drivers: what a planner
        knows), ``demand_effect``, ``demand_coefficient``; ``demand_forecast``
        when a channel follows it; ``demand_observed`` when it is observed.
    """
    cfg = plan.config.demand
    if cfg is None:
        return {}
    r, g, n = len(plan.replicates), len(plan.geos), len(plan.dates)
    predictable = np.broadcast_to(calendar(plan), (r, g, n)).copy()
    for name, loading in cfg.drivers.items():
        k = plan.controls.index(name)
        predictable += float(loading) * _zscore(control_value[:, :, k, :])
    keys = stream_keys(plan.seed, "demand_shock", plan.geos, replicates=plan.replicates)
    innovations = normals(keys, n).reshape(-1, n)
    ones = np.ones(r * g)
    shock = ar1(innovations, cfg.ar * ones, cfg.sigma * ones).reshape(r, g, n)
    latent = predictable + shock
    coefficient = cfg.effect * plan.level
    out = {
        "demand": latent,
        "demand_predictable": predictable,
        "demand_effect": coefficient[..., None] * latent,
        "demand_coefficient": coefficient,
    }
    if any(c.spend_policy == "demand_following" for c in plan.config.channels):
        noise = normals(stream_keys(plan.seed, "demand_forecast", plan.geos, replicates=plan.replicates), n)
        out["demand_forecast"] = latent + cfg.forecast_noise * noise
    if cfg.observed:
        if cfg.proxy_noise > 0:
            noise = normals(stream_keys(plan.seed, "demand_proxy", plan.geos, replicates=plan.replicates), n)
            out["demand_observed"] = latent + cfg.proxy_noise * noise
        else:
            out["demand_observed"] = latent.copy()
    return out
