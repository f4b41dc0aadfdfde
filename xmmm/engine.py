"""The simulation: a pure function of a plan, the random streams and interventions.

:func:`run` calls the blocks (:mod:`xmmm.blocks`) in a fixed order --
baseline, media, effects, controls, outcome -- then the truth arithmetic
(:mod:`xmmm.ground_truth`).  The same plan and interventions give the same
bits: every random number comes from a stream named by the seed, the
replicate and the series, so a run under an intervention differs from the
plain run only by what the intervention changes (common random numbers).

Examples
--------
>>> import xmmm
>>> from xmmm.plan import Plan
>>> arrays = run(Plan.build(xmmm.DEFAULT_CONFIG, [0]))
>>> arrays["y"].shape                      # (replicate, geo, date)
(1, 3, 129)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np

from xmmm.blocks.baseline import baseline
from xmmm.blocks.controls import controls
from xmmm.blocks.effects import contributions, media_effects, transform
from xmmm.blocks.exposures import cost_per_exposure, media_series, stepped
from xmmm.blocks.media import natural_activity, spend_scale
from xmmm.blocks.outcome import outcome
from xmmm.blocks.reach import reachable_share
from xmmm.ground_truth import MARGINAL_STEP, media_metrics
from xmmm.plan import Plan

__all__ = ["Interventions", "run", "stores_population"]


@dataclass(frozen=True)
class Interventions:
    """Changes to the media of a run; everything else is held to the bit.

    Attributes
    ----------
    spend : numpy.ndarray, optional
        Replaces the spend, broadcast to (R, G, S, T).  For a channel without
        spend it replaces what its pattern gives: the exposures of organic
        media, the values of a treatment.
    scale : numpy.ndarray, optional
        Multiplies the spend (and so the exposures and impressions it buys),
        broadcast to (R, G, S, T); multiplies the exposures of organic media
        and a treatment's deviation from its baseline value, so that 0
        switches any channel off (a treatment to its baseline value).

    The spend scale (what divides spend, exposures or reach before the
    transforms) is that of the natural, un-intervened media: an intervention
    changes the media, not the model.  A changed spend of a reach-and-frequency
    channel buys impressions at the same cost, which split into reach and
    frequency by the same curve as the data (:mod:`xmmm.blocks.reach`).
    """

    spend: np.ndarray | None = None
    scale: np.ndarray | None = None

    def apply(self, spend: np.ndarray, step=None) -> np.ndarray:
        """The intervened spend (or activity, see above).

        ``step(activity, factor)`` applies ``scale`` (default: a product;
        :func:`xmmm.blocks.exposures.stepped` scales treatments' deviations).
        """
        out = spend
        if self.spend is not None:
            out = np.broadcast_to(np.asarray(self.spend, dtype=float), spend.shape).copy()
        if self.scale is not None:
            factor = np.asarray(self.scale, dtype=float)
            out = out * factor if step is None else step(out, factor)
        return out


def run(plan: Plan, interventions: Interventions | None = None) -> dict[str, np.ndarray]:
    """Every generated array of the plan's replicates.

    Parameters
    ----------
    plan : Plan
    interventions : Interventions, optional

    Returns
    -------
    dict of numpy.ndarray
        Series (R, G, S, T) / (R, G, K, T) / (R, G, T); truth (R, G, S),
        (R, G, K) and (R, G); the transform parameters ``adstock_*`` and
        ``saturation_*`` (R, G, S).
    """
    base = baseline(plan)
    natural = natural_activity(plan)
    cost, share = cost_per_exposure(plan), reachable_share(plan)
    natural_media = media_series(plan, natural, cost, share)
    scale = input_scale(plan, natural_media["input"])
    activity = natural if interventions is None else interventions.apply(natural, partial(stepped, plan))
    media = natural_media if interventions is None else media_series(plan, activity, cost, share)

    if plan.inputs.spend_only:
        # xmmm 0.1's media: one pass gives the contributions and, for marginal ROAS, the same transforms
        # on spend raised by MARGINAL_STEP (scale held fixed)
        adstocked, saturated, contribution, extra = media_effects(
            plan, np.ascontiguousarray(media["input"], dtype=np.float64), scale, 1.0 + MARGINAL_STEP
        )
    else:
        adstocked, saturated = transform(plan, media["input"] / scale[..., None], media.get("frequency"))
        contribution = contributions(plan, saturated, adstocked)
        # marginal ROAS: the same media with the activity raised by MARGINAL_STEP, scale held fixed
        up = media_series(plan, stepped(plan, activity, 1.0 + MARGINAL_STEP), cost, share)
        adstocked_up, saturated_up = transform(plan, up["input"] / scale[..., None], up.get("frequency"))
        contribution_up = contributions(plan, saturated_up, adstocked_up)
        if plan.inputs.revenue_per_kpi is None and plan.inputs.reach_frequency.size == 0:
            extra = (plan.coefficient[..., None] * (saturated_up - saturated)).sum(axis=-1)
        else:
            extra = _in_revenue(plan, contribution_up - contribution).sum(axis=-1)

    control = controls(plan)
    out = outcome({**base, **control, "contribution": contribution})
    spend = media["spend"]
    metrics = media_metrics(spend, contribution, extra, out["y"], revenue_per_kpi=plan.inputs.revenue_per_kpi,
                            is_media=None if plan.inputs.spend_only else plan.inputs.is_media)
    extended = {} if plan.inputs.spend_only else _media_inputs(plan, media, contribution)
    return _ordered(
        {
            "spend": spend,
            "adstocked": adstocked,
            "saturated": saturated,
            "contribution": contribution,
            **control,
            **out,
            **base,
            "spend_level": plan.spend_level,
            "spend_scale": scale,
            "effectiveness": plan.effectiveness,
            "channel_coefficient": plan.coefficient,
            "control_level": plan.control_level,
            "control_coefficient": plan.control_coefficient,
            **metrics,
            **plan.params,
            **extended,
            **({"population": plan.population} if stores_population(plan.config) else {}),
        }
    )


def input_scale(plan: Plan, natural_input: np.ndarray) -> np.ndarray:
    """The scale (R, G, S) dividing each channel's input before the transforms; 1 for treatments."""
    scale = spend_scale(natural_input, plan.config.transforms.spend_scaling, plan.population)
    treatments = plan.inputs.treatments
    if treatments.size:
        scale[:, :, treatments] = 1.0
    return scale


def _in_revenue(plan: Plan, kpi: np.ndarray) -> np.ndarray:
    """KPI amounts (R, G, S, T) in revenue (times the revenue per KPI; unchanged without one)."""
    rpk = plan.inputs.revenue_per_kpi
    return kpi if rpk is None else kpi * rpk[:, :, None, :]


def _media_inputs(plan: Plan, media, contribution: np.ndarray) -> dict[str, np.ndarray]:
    """The series and truth of channel kinds other than paid spend, and of a KPI that is not revenue."""
    out = {k: v for k, v in media.items() if k not in ("spend", "input")}
    out["incremental_outcome"] = contribution.sum(axis=-1)
    if plan.inputs.revenue_per_kpi is not None:
        out["revenue_per_kpi"] = plan.inputs.revenue_per_kpi
        out["incremental_revenue"] = _in_revenue(plan, contribution).sum(axis=-1)
    return out


def stores_population(config) -> bool:
    """Whether a dataset holds ``population``: configured, used by the spend scaling or bounding reach."""
    return (
        config.regions.population is not None
        or config.transforms.spend_scaling == "per_capita_median"
        or any(c.is_reach_frequency for c in config.channels)
    )


_ORDER = (
    "spend", "adstocked", "saturated", "contribution", "control_value", "control_effect", "baseline",
    "baseline_level", "baseline_trend", "baseline_seasonality", "baseline_noise", "y", "spend_level",
    "spend_scale", "effectiveness", "channel_coefficient", "control_level", "control_coefficient", "roas",
    "mroas", "attribution", "media_share",
)


def _ordered(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays in xmmm 0.1's order (the layout of files and of study blocks)."""
    out = {k: arrays[k] for k in _ORDER if k in arrays}
    out.update({k: v for k, v in arrays.items() if k not in out})
    return out
