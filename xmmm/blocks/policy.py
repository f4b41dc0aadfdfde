r"""Spend policies: spend that follows demand, is pulled by it, or chases a sales target (:mod:`xmmm.causal`).

* :func:`policy_spend` -- the policies without feedback (``"demand_following"``,
  ``"demand_capture"``), on whole arrays: they read demand, never the outcome.
* :func:`chase_target` -- ``"target_chasing"``: spend reacts to last period's
  shortfall of ``y`` against :func:`sales_target`, so spend, adstock,
  saturation and ``y`` are simulated period by period in one kernel
  (:func:`xmmm.kernels.feedback.target_chasing`) over every (replicate, geo)
  row, with all feedback channels inside.

The spend scale of a feedback channel (what divides spend before the
transforms) is fixed before the loop from its planned spend -- the
pattern's spend, which the policy adjusts -- because the realised spend is
not known until the loop has run.
"""

from __future__ import annotations

import numpy as np

from xmmm.blocks.effects import saturate
from xmmm.causal import FEEDBACK_POLICIES
from xmmm.kernels.feedback import SATURATION_IDS, target_chasing
from xmmm.plan import Plan

__all__ = ["adstock_weights", "chase_target", "feedback_channels", "policy_spend", "sales_target", "spend_caps"]


def _channels(plan: Plan, policy: str) -> np.ndarray:
    return np.array([i for i, c in enumerate(plan.config.channels) if c.spend_policy == policy], dtype=int)


def feedback_channels(plan: Plan) -> np.ndarray:
    """Indices of the channels whose spend reacts to the outcome."""
    return np.array([i for i, c in enumerate(plan.config.channels) if c.spend_policy in FEEDBACK_POLICIES],
                    dtype=int)


def _strength(plan: Plan) -> np.ndarray:
    return np.array([float(c.policy_strength) for c in plan.config.channels])


def spend_caps(plan: Plan) -> np.ndarray:
    """(R, G, S) cap of each policy's spend: ``spend_cap`` times the geo's spend factor; ``inf`` for none."""
    caps = np.array([np.inf if c.spend_cap is None else float(c.spend_cap) for c in plan.config.channels])
    base = plan.base["channels.base_spend"][:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(base > 0, plan.spend_level / base, 1.0)
    return np.where(np.isinf(caps), np.inf, caps * factor)


def policy_spend(plan: Plan, planned: np.ndarray, demand: dict[str, np.ndarray]) -> np.ndarray:
    """The spend of the policies without feedback; ``planned`` itself when there are none.

    Parameters
    ----------
    planned : numpy.ndarray
        (R, G, S, T) spend from the patterns.
    demand : dict
        The demand block's arrays.
    """
    following = _channels(plan, "demand_following")
    capture = _channels(plan, "demand_capture")
    if not len(following) and not len(capture):
        return planned
    spend = planned.copy()
    k = _strength(plan)
    caps = spend_caps(plan)
    if len(following):
        gain = k[following] * plan.spend_level[:, :, following]
        raw = planned[:, :, following] + gain[..., None] * demand["demand_forecast"][:, :, None, :]
        spend[:, :, following] = np.minimum(np.maximum(raw, 0.0), caps[:, :, following, None])
    if len(capture):
        raw = planned[:, :, capture] * np.exp(k[capture][:, None] * demand["demand"][:, :, None, :])
        spend[:, :, capture] = np.minimum(raw, caps[:, :, capture, None])
    return spend


def adstock_weights(plan: Plan, channels: np.ndarray) -> np.ndarray:
    """(R, G, len(channels), L) adstock weights of the channels, zero-padded to the longest kernel."""
    r, g = len(plan.replicates), len(plan.geos)
    found: dict[int, np.ndarray] = {}
    for group in plan.groups("adstock"):
        idx = [int(j) for j in group.channels if j in set(channels.tolist())]
        if not idx:
            continue
        numeric = {p.name: plan.params[f"adstock_{p.name}"][:, :, idx] for p in group.transform.numeric_parameters}
        options = {k: v for k, v in group.options.items() if k != "mode"}
        w = group.transform.weights(**numeric, **options)
        w = np.broadcast_to(w, (r, g, len(idx), w.shape[-1]))
        for n, j in enumerate(idx):
            found[j] = w[:, :, n]
    n_lags = max(v.shape[-1] for v in found.values())
    out = np.zeros((r, g, len(channels), n_lags))
    for n, j in enumerate(channels):
        out[:, :, n, : found[int(j)].shape[-1]] = found[int(j)]
    return out


def sales_target(plan: Plan, base: dict, control_effect: np.ndarray, demand: dict, scale: np.ndarray) -> np.ndarray:
    """(R, G, T) sales the plan expects: what a planner knows of every component of ``y``.

    The baseline's level, trend and seasonality (not its noise), the control
    effects, the predictable part of the demand effect (its calendar and
    drivers, not its shock) and every channel's steady-state contribution at
    its spend level, ``beta f(gain * level / scale)``.
    """
    expected = base["baseline_level"] + base["baseline_trend"] + base["baseline_seasonality"]
    expected = expected + control_effect.sum(axis=2)
    if demand:
        expected = expected + demand["demand_coefficient"][..., None] * demand["demand_predictable"]
    every = np.arange(len(plan.channels))
    gain = adstock_weights(plan, every).sum(axis=-1)
    steady = plan.coefficient * saturate(plan, (gain * plan.spend_level / scale)[..., None])[..., 0]
    return expected + steady.sum(axis=-1)[..., None]


def chase_target(
    plan: Plan,
    planned: np.ndarray,
    change: tuple[np.ndarray, np.ndarray] | None,
    scale: np.ndarray,
    rest: np.ndarray,
    target: np.ndarray,
) -> np.ndarray:
    """Spend of the target-chasing channels, (R, G, F, T), from the feedback loop.

    Parameters
    ----------
    planned : numpy.ndarray
        (R, G, S, T) planned spend of every channel.
    change : tuple of numpy.ndarray, optional
        The affine change ``(a, b)`` (R, G, S, T) of experiments and interventions.
    scale : numpy.ndarray
        (R, G, S) spend scale.
    rest : numpy.ndarray
        (R, G, T) the outcome without the feedback channels' contributions.
    target : numpy.ndarray
        (R, G, T) :func:`sales_target`.
    """
    fb = feedback_channels(plan)
    r, g, _, n = planned.shape
    rows = r * g

    def flat(a):
        return np.ascontiguousarray(a).reshape((rows,) + a.shape[2:])

    k = _strength(plan)[fb]
    gain = k * plan.spend_level[:, :, fb] / plan.level[..., None]
    a = np.ones((r, g, len(fb), n)) if change is None else change[0][:, :, fb]
    b = np.zeros((r, g, len(fb), n)) if change is None else change[1][:, :, fb]
    kind = np.array([SATURATION_IDS[plan.saturation[j].name] for j in fb], dtype=np.int64)
    params = np.zeros((r, g, len(fb), 3))
    for n_fb, j in enumerate(fb):
        stage = plan.saturation[j]
        for p_i, p in enumerate(stage.transform.numeric_parameters):
            params[:, :, n_fb, p_i] = plan.params[f"saturation_{p.name}"][:, :, j]
    spend = target_chasing(
        flat(planned[:, :, fb]), flat(gain), flat(spend_caps(plan)[:, :, fb]), flat(a), flat(b),
        flat(scale[:, :, fb]), flat(adstock_weights(plan, fb)), kind, flat(params),
        flat(plan.coefficient[:, :, fb]), flat(rest), flat(target),
    )
    return spend.reshape(r, g, len(fb), n)
