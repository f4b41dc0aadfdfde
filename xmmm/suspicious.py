"""Legal but suspicious settings: what makes a generated dataset a poor benchmark, and why.

Checked once per generation (on the first replicate of a study) and emitted
as :class:`~xmmm.errors.XmmmWarning` by the entry points.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from xmmm.patterns import max_active_share
from xmmm.plan import Plan

__all__ = ["suspicious"]


def suspicious(plan: Plan, arrays: Mapping[str, np.ndarray]) -> list[str]:
    """Legal but suspicious settings of a generation, each with the reason (checked on its first replicate).

    Parameters
    ----------
    plan : Plan
    arrays : mapping
        The generation (:func:`xmmm.engine.run`).

    Returns
    -------
    list of str
        One message per finding, naming the channel and what to change.
    """
    config = plan.config
    messages = []
    n = config.n_periods
    spend = arrays["spend"][0]
    for i, channel in enumerate(config.channels):
        label = f"channels[{i}] ({channel.name!r})"
        if channel.has_spend:
            never = [config.region_names[g] for g in np.flatnonzero(spend[:, i, :].max(axis=-1) <= 0)]
            if never:
                messages.append(f"{label} never spends in geo(s) {', '.join(never)}: its effect cannot be estimated")
        else:
            messages += _idle(label, channel, arrays, i, config.region_names)
        l_max = plan.adstock[i].options.get("l_max", 0)
        if l_max > n:
            messages.append(
                f"{label}: adstock l_max ({l_max}) is longer than the series ({n} periods); "
                "the carry-over is truncated"
            )
        if channel.pattern == "on_off":
            reachable = max_active_share(channel.min_active_periods, channel.max_active_periods)
            if 0 < channel.activation_probability < 1 and channel.activation_probability > reachable:
                messages.append(
                    f"{label}: activation_probability {channel.activation_probability} cannot be reached "
                    f"with bursts of at most {channel.max_active_periods} periods and gaps of at least one; "
                    f"the active share will be about {reachable:.2f}"
                )
        if channel.spend_trend < 0 and 1 + channel.spend_trend * (n - 1) <= 0:
            messages.append(
                f"{label}: spend_trend {channel.spend_trend} brings spend to zero at period "
                f"{int(np.ceil(-1 / channel.spend_trend))} of {n}"
            )
    messages += _saturation_range_warnings(plan, arrays)
    return messages


def _idle(label: str, channel, arrays: Mapping[str, np.ndarray], i: int, geos) -> list[str]:
    """A channel without spend whose exposures never occur, or a treatment that never leaves its baseline."""
    if channel.kind == "treatment":
        value = arrays["treatment_value"][0][:, i, :]
        idle = [geos[g] for g in np.flatnonzero((value == channel.baseline_value).all(axis=-1))]
        what = "never leaves its baseline value"
    else:
        idle = [geos[g] for g in np.flatnonzero(arrays["exposure"][0][:, i, :].max(axis=-1) <= 0)]
        what = "never has exposures"
    return [f"{label} {what} in geo(s) {', '.join(idle)}: its effect cannot be estimated"] if idle else []


def _elasticities(spec, points: np.ndarray, numeric: Mapping, structural: Mapping) -> np.ndarray:
    """``d log f / d log x`` of a saturation curve at each point (central differences)."""
    h = 1e-4
    lo, hi = spec.apply(np.stack([points * (1 - h), points * (1 + h)]).T, **numeric, **structural).T
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (np.log(hi) - np.log(lo)) / (np.log1p(h) - np.log1p(-h))
    return np.where((lo > 0) & (hi > 0), e, np.nan)


def _saturation_range_warnings(plan: Plan, arrays: Mapping[str, np.ndarray]) -> list[str]:
    """Warn when spend covers only the linear part of a curve, or only its flat top.

    Uses the elasticity ``d log f / d log x`` of the saturation at the typical
    (median active) and the largest adstocked value: close to its value near
    zero at the largest value means the curve barely bends over the observed
    range (almost linear, or for S-shaped curves almost dead); close to zero
    at the typical value means extra spend adds almost nothing.
    """
    messages = []
    adstocked = arrays["adstocked"][0]  # (G, S, T)
    for i, channel in enumerate(plan.config.channels):
        stage = plan.saturation[i]
        name, spec = stage.name, stage.transform
        if name == "none" or spec.power_law:
            continue
        # a reach-and-frequency channel saturates in its frequency
        x = arrays["frequency"][0][:, i, :] if channel.is_reach_frequency else adstocked[:, i, :]
        what = "frequency" if channel.is_reach_frequency else "scaled spend"
        active = x[x > 0]
        if active.size == 0:
            continue
        numeric = {p.name: np.nanmedian(arrays[f"saturation_{p.name}"][0][:, i]) for p in spec.numeric_parameters}
        structural = dict(stage.options)
        typical, largest = np.median(active), active.max()
        e0, e_typ, e_max = _elasticities(spec, np.array([largest * 1e-6, typical, largest]), numeric, structural)
        label = f"channels[{i}] ({channel.name!r})"
        if np.isfinite(e0) and np.isfinite(e_max) and e0 > 0 and abs(e_max - e0) < 0.05 * e0:
            messages.append(
                f"{label}: the {name} curve barely bends over the {what} range (up to {largest:.3g}); "
                "the channel is almost linear (or, for an S-shaped curve, almost dead): its saturation "
                "parameters cannot be recovered; move the half-point towards the scaled spend (or, for "
                "parameters in currency units, set transforms.spend_scaling='none')"
            )
        elif np.isfinite(e_typ) and e_typ < 0.05:
            messages.append(
                f"{label}: the {name} curve is flat at the typical {what} ({typical:.3g}); the channel "
                "is saturated and extra spend adds almost nothing; move the half-point up"
            )
    return messages
