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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from xmmm.blocks import experiments as experiment_block
from xmmm.blocks.baseline import baseline
from xmmm.blocks.controls import controls
from xmmm.blocks.demand import demand
from xmmm.blocks.effects import (
    Rows,
    contributions,
    media_effects,
    media_effects_per_period,
    row_adstock,
    row_saturation,
    transform,
)
from xmmm.blocks.exposures import cost_per_exposure, media_series, stepped
from xmmm.blocks.issues import observed, with_placebos
from xmmm.blocks.media import natural_activity, natural_spend, scale_of, spend_scale
from xmmm.blocks.noise import noise
from xmmm.blocks.outcome import expected_baseline, increment, marginal, outcome
from xmmm.blocks.policy import chase_target, feedback_channels, policy_spend, sales_target
from xmmm.blocks.reach import reachable_share
from xmmm.blocks.variation import effectiveness_multiplier
from xmmm.ground_truth import MARGINAL_STEP, media_metrics
from xmmm.plan import Plan

__all__ = ["Interventions", "increments", "input_scale", "media", "needs_paired_runs", "run", "stores_population"]


@dataclass(frozen=True)
class Interventions:
    """Changes to the media of a run; everything else is held to the bit.

    Each array broadcasts against the spend, (R, G, S, T); they apply in this
    order: ``spend`` replaces the natural spend, ``scale`` multiplies it,
    ``shift`` adds to it, and ``where`` (if given) keeps the natural spend
    wherever it is False -- a window of dates, some geos, one channel.  A
    channel switched off is ``scale`` 0 on that channel; an experiment's
    go-dark window is ``scale`` 0 with ``where`` the window.

    Attributes
    ----------
    spend : numpy.ndarray, optional
        Replaces the spend.  For a channel without spend it replaces what its
        pattern gives: the exposures of organic media, the values of a
        treatment.
    scale : numpy.ndarray, optional
        Multiplies the spend (and so the exposures and impressions it buys),
        broadcast to (R, G, S, T); multiplies the exposures of organic media
        and a treatment's deviation from its baseline value, so that 0
        switches any channel off (a treatment to its baseline value).
    shift : numpy.ndarray, optional
        Added to the spend (after ``scale``), broadcast to (R, G, S, T); the
        result is floored at 0.
    where : numpy.ndarray of bool, optional
        Where the intervention applies (default: everywhere).

    The spend scale (what divides spend, exposures or reach before the
    transforms) is that of the natural, un-intervened media: an intervention
    changes the media, not the model.  An intervention acts after a spend
    policy has decided the spend (and after the config's experiments), so a
    policy with feedback reacts to what the intervention does to sales.  A
    changed spend of a reach-and-frequency channel buys impressions at the
    same cost, which split into reach and frequency by the same curve as the
    data (:mod:`xmmm.blocks.reach`).

    Examples
    --------
    >>> natural = np.ones((1, 1, 2, 3))
    >>> Interventions(scale=np.array([0.0, 2.0])[:, None]).apply(natural)[0, 0]
    array([[0., 0., 0.],
           [2., 2., 2.]])
    >>> Interventions(shift=1.5, where=np.array([False, True, False])).apply(natural)[0, 0, 0]
    array([1. , 2.5, 1. ])
    """

    spend: np.ndarray | None = None
    scale: np.ndarray | None = None
    shift: np.ndarray | None = None
    where: np.ndarray | None = None

    @property
    def empty(self) -> bool:
        """Whether this changes nothing (no spend, scale or shift)."""
        return self.spend is None and self.scale is None and self.shift is None

    def affine(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The intervention as ``spend -> a * spend + b``, each of ``shape``."""
        a, b = np.ones(shape), np.zeros(shape)
        if self.spend is not None:
            a = np.zeros(shape)
            b = np.broadcast_to(np.asarray(self.spend, dtype=float), shape).copy()
        if self.scale is not None:
            scale = np.asarray(self.scale, dtype=float)
            a, b = a * scale, b * scale
        if self.shift is not None:
            b = b + np.asarray(self.shift, dtype=float)
        if self.where is not None:
            where = np.asarray(self.where, dtype=bool)
            a, b = np.where(where, a, 1.0), np.where(where, b, 0.0)
        return np.broadcast_to(a, shape), np.broadcast_to(b, shape)

    def apply(self, spend: np.ndarray, step=None) -> np.ndarray:
        """The intervened spend or activity (a new array shaped like ``spend``).

        ``step(activity, factor)`` applies ``scale`` (default: a product;
        :func:`xmmm.blocks.exposures.stepped` scales treatments' deviations).
        """
        out = spend
        if self.spend is not None:
            out = np.broadcast_to(np.asarray(self.spend, dtype=float), spend.shape).copy()
        if self.scale is not None:
            factor = np.asarray(self.scale, dtype=float)
            out = out * factor if step is None else step(out, factor)
        if self.shift is not None:
            out = np.maximum(out + np.asarray(self.shift, dtype=float), 0.0)
        if self.where is not None:
            out = np.where(np.asarray(self.where, dtype=bool), out, spend)
        return np.array(np.broadcast_to(out, spend.shape), dtype=float)


def needs_paired_runs(config) -> bool:
    """Whether a channel's incremental outcome differs from its contribution (so paired runs give it).

    True for the multiplicative outcome (effects interact) and for log-normal
    noise (the noise scales the mean, media included).
    """
    return config.outcome_model == "multiplicative" or config.regions.noise == "lognormal"


def run(plan: Plan, interventions: Interventions | None = None, *, paired: bool = True) -> dict[str, np.ndarray]:
    """Every generated array of the plan's replicates.

    Parameters
    ----------
    plan : Plan
    interventions : Interventions, optional
    paired : bool
        Compute ``incremental_outcome`` from paired runs where it differs from
        the contribution (:func:`needs_paired_runs`); the paired runs
        themselves do not.

    Returns
    -------
    dict of numpy.ndarray
        Series (R, G, S, T) / (R, G, K, T) / (R, G, T); truth (R, G, S),
        (R, G, K) and (R, G); the transform parameters ``adstock_*`` and
        ``saturation_*`` (R, G, S).
    """
    base = baseline(plan)
    control = controls(plan)
    if not plan.inputs.spend_only:
        return _run_media_inputs(plan, base, control, interventions)
    latent, planned, natural, scale, spend, change = _media(plan, control, interventions)
    feedback = feedback_channels(plan)
    if len(feedback):
        if change is None and interventions is not None:
            change = interventions.affine(natural.shape)
        spend, target = _chase(plan, base, control, latent, planned, spend, change, scale, feedback)
        latent = {**latent, "sales_target": target}

    multiplier = effectiveness_multiplier(plan)
    if multiplier is None and not needs_paired_runs(plan.config):
        # one pass: contributions, and for marginal ROAS the same transforms on spend raised by
        # MARGINAL_STEP (scale held fixed), summed over time
        adstocked, saturated, media, extra = media_effects(
            plan, np.ascontiguousarray(spend, dtype=np.float64), scale, 1.0 + MARGINAL_STEP
        )
        step = None
    else:
        # the change of each effect period by period: the path or the outcome model weighs the periods
        adstocked, saturated, media, step = media_effects_per_period(
            plan, spend, scale, 1.0 + MARGINAL_STEP, multiplier
        )

    out = outcome(plan, base, control["control_effect"], media, latent.get("demand_effect"))
    if step is not None:
        extra = marginal(plan, out, media, step)
    world: dict[str, np.ndarray] = {}
    if multiplier is not None:
        world["effectiveness_multiplier"] = multiplier
    if needs_paired_runs(plan.config) and paired:
        world["incremental_outcome"] = incremental_outcome(plan, out["y"], spend.shape, interventions)
    for name in ("log_baseline", "log_control_effect", "log_contribution"):
        if name in out:
            world[name] = out[name]
    metrics = media_metrics(spend, out["contribution"], extra, out["y"], world.get("incremental_outcome"))
    causal = {k: v for k, v in latent.items() if k != "demand_predictable"}
    if not np.shares_memory(planned, natural) or len(feedback):
        causal["spend_planned"] = planned
    return _assembled(plan, base, control, out, spend=spend, adstocked=adstocked, saturated=saturated, scale=scale,
                      metrics=metrics, extra={**world, **causal})


def _assembled(plan: Plan, base: dict, control: dict, out: dict, *, spend, adstocked, saturated, scale, metrics: dict,
               extra: dict) -> dict:
    """Every array of a run, in the stored order, with the observed (reported) view of the data added."""
    arrays = {
        "spend": spend,
        "adstocked": adstocked,
        "saturated": saturated,
        "contribution": out["contribution"],
        "control_value": control["control_value"],
        "control_effect": out["control_effect"],
        "baseline": out["baseline"],
        **base,
        "baseline_noise": out["baseline_noise"],
        "y": out["y"],
        "spend_level": plan.spend_level,
        "spend_scale": scale,
        "effectiveness": plan.effectiveness,
        "channel_coefficient": plan.coefficient,
        "control_level": plan.control_level,
        "control_coefficient": plan.control_coefficient,
        **metrics,
        **plan.params,
        **extra,
        **({"population": plan.population} if stores_population(plan.config) else {}),
    }
    arrays.update(observed(plan, arrays))
    return _ordered(arrays)


def incremental_outcome(plan: Plan, y: np.ndarray, shape: tuple, interventions: Interventions | None) -> np.ndarray:
    """(R, G, S, T) ``y`` minus ``y`` with each channel's spend scaled to 0, on the same random numbers.

    One paired run per channel (each a whole-stack run of the engine), on top
    of ``interventions`` when given.
    """
    out = np.empty(shape)
    for j in range(shape[2]):
        off = np.ones(shape)
        off[:, :, j, :] = 0.0
        if interventions is not None and interventions.scale is not None:
            off = off * np.broadcast_to(np.asarray(interventions.scale, dtype=float), shape)
        paired = Interventions(spend=None if interventions is None else interventions.spend, scale=off)
        out[:, :, j, :] = y - run(plan, paired, paired=False)["y"]
    return out


def _chase(plan, base, control, latent, planned, spend, change, scale, feedback):
    """The spend of every channel with the target-chasing ones from the feedback loop; and the target."""
    others = np.setdiff1d(np.arange(len(plan.channels)), feedback)
    _, saturated = transform(plan, spend / scale[..., None])
    expected = expected_baseline(base)
    realised, _ = noise(plan, expected, None)  # additive noise does not depend on the media
    rest = expected + realised
    rest = rest + control["control_effect"].sum(axis=2)
    if latent:
        rest = rest + latent["demand_effect"]
    rest = rest + contributions(plan, saturated)[:, :, others].sum(axis=2)
    target = sales_target(plan, base, control["control_effect"], latent, scale)
    spend = spend.copy()
    spend[:, :, feedback] = chase_target(plan, planned, change, scale, rest, target)
    return spend, target


def _media(plan: Plan, control: dict, interventions: Interventions | None):
    """The media of a run before any feedback loop: ``(latent, planned, natural, scale, spend, change)``."""
    latent = demand(plan, control["control_value"])
    planned = with_placebos(plan, natural_spend(plan))
    natural = policy_spend(plan, planned, latent)
    scale = scale_of(plan, natural)
    interventions = None if interventions is None or interventions.empty else interventions
    change = experiment_block.affine(plan, plan.experiments)
    if change is None:
        spend = natural if interventions is None else interventions.apply(natural)
    else:
        if interventions is not None:
            change = experiment_block.compose(change, interventions.affine(natural.shape))
        spend = experiment_block.apply(natural, change)
    return latent, planned, natural, scale, spend, change


def media(plan: Plan, interventions: Interventions | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(spend, spend_scale)`` of a run: the intervened spend (R, G, S, T) and the natural spend's scale (R, G, S).

    With media inputs (:attr:`xmmm.inputs.MediaInputs.spend_only` false) the
    first is the channels' activity (spend, organic exposures, treatment
    values) and the second the scale of their transforms' inputs.

    A plan with a spend policy that chases a sales target (a feedback loop)
    has no spend before the loop has run: use :func:`run`.
    """
    if len(feedback_channels(plan)):
        raise ValueError("this plan's spend reacts to sales (a feedback policy): its media come from the "
                         "whole run -- use xmmm.engine.run")
    if not plan.inputs.spend_only:
        natural, _, _, _, scale = _natural_media(plan)
        return natural if interventions is None else interventions.apply(natural, partial(stepped, plan)), scale
    _, _, _, scale, spend, _ = _media(plan, controls(plan), interventions)
    return spend, scale


def increments(
    plan: Plan, scenarios: Sequence[Interventions], interventions: Interventions | None = None
) -> np.ndarray:
    """``y`` of a run minus ``y`` of each paired scenario run on the same random numbers, (N, R, G, T).

    The run is the plan under ``interventions``; scenario ``n`` applies
    ``scenarios[n]`` to that run's spend (e.g. one channel switched off).
    Baseline and controls are the same bits in every run, so only the media
    path runs again, for the series whose spend a scenario changes (all
    scenarios in one stack), and :func:`xmmm.blocks.outcome.increment`
    gives the difference of the outcomes.  Where the outcome is not additive
    in the channels or an effect varies over time (:func:`needs_paired_runs`,
    an effectiveness path), each scenario is a whole paired run instead.

    Examples
    --------
    >>> import xmmm
    >>> plan = Plan.build(xmmm.DEFAULT_CONFIG, [0])
    >>> tv_off = Interventions(scale=np.array([0.0, 1.0, 1.0])[:, None])
    >>> lift = increments(plan, [tv_off])
    >>> bool(np.array_equal(lift[0], run(plan)["contribution"][:, :, 0]))   # additive: TV's contribution
    True
    """
    spend, scale = media(plan, interventions)
    if needs_paired_runs(plan.config) or effectiveness_multiplier(plan) is not None or not plan.inputs.spend_only:
        # the outcome model or a time-varying effect couples channels or periods, or a channel's input is not
        # its spend (exposures, reach, a treatment's value): whole paired runs
        step = None if plan.inputs.spend_only else partial(stepped, plan)
        y = run(plan, interventions, paired=False)["y"]
        lifts = [y - run(plan, Interventions(spend=s.apply(spend, step)), paired=False)["y"] for s in scenarios]
        return np.stack(lifts) if lifts else np.empty((0,) + y.shape)
    on = contributions(plan, transform(plan, spend / scale[..., None])[1])
    n_time = spend.shape[-1]
    paired = np.stack([s.apply(spend) for s in scenarios]) if scenarios else np.empty((0,) + spend.shape)
    # only the (scenario, replicate, geo, channel) series whose spend changed run again
    changed = np.flatnonzero((paired != spend).any(axis=-1).reshape(-1))
    rows = Rows.of(paired.shape[:-1]).take(changed)
    series = (rows.replicate, rows.geo, rows.channel)
    scaled = paired.reshape(-1, n_time)[changed] / scale[series][:, None]
    off = plan.coefficient[series][:, None] * row_saturation(plan, row_adstock(plan, scaled, rows), rows)
    target = changed // spend.shape[2]  # the flat (scenario, replicate, geo) of each series
    lift = increment(on[series], off, target, int(np.prod(paired.shape[:3])))
    return lift.reshape(paired.shape[:3] + (n_time,))


def _run_media_inputs(plan: Plan, base: dict, control: dict, interventions: Interventions | None) -> dict:
    """:func:`run` of a plan with channel kinds other than paid spend, or a KPI that is not revenue.

    Each channel's activity (its pattern, or the intervention's) becomes its
    series and the input of its transforms (:mod:`xmmm.blocks.exposures`);
    the effects add up (the config check refuses the options that would
    couple them: a multiplicative outcome, log-normal noise, time-varying
    effects, spend policies, experiments and placebos).
    """
    latent = demand(plan, control["control_value"])
    natural, cost, share, natural_media, scale = _natural_media(plan)
    step = partial(stepped, plan)
    activity = natural if interventions is None or interventions.empty else interventions.apply(natural, step)
    series = natural_media if activity is natural else media_series(plan, activity, cost, share)

    adstocked, saturated = transform(plan, series["input"] / scale[..., None], series.get("frequency"))
    contribution = contributions(plan, saturated, adstocked=adstocked)
    # marginal ROAS: the same media with the activity raised by MARGINAL_STEP, scale held fixed
    up = media_series(plan, stepped(plan, activity, 1.0 + MARGINAL_STEP), cost, share)
    adstocked_up, saturated_up = transform(plan, up["input"] / scale[..., None], up.get("frequency"))
    contribution_up = contributions(plan, saturated_up, adstocked=adstocked_up)
    if plan.inputs.revenue_per_kpi is None and plan.inputs.reach_frequency.size == 0:
        extra = (plan.coefficient[..., None] * (saturated_up - saturated)).sum(axis=-1)
    else:
        extra = _in_revenue(plan, contribution_up - contribution).sum(axis=-1)

    out = outcome(plan, base, control["control_effect"], contribution, latent.get("demand_effect"))
    spend = series["spend"]
    metrics = media_metrics(spend, out["contribution"], extra, out["y"], revenue_per_kpi=plan.inputs.revenue_per_kpi,
                            is_media=plan.inputs.is_media)
    inputs_and_demand = {**_media_inputs(plan, series, out["contribution"]),
                         **{k: v for k, v in latent.items() if k != "demand_predictable"}}
    return _assembled(plan, base, control, out, spend=spend, adstocked=adstocked, saturated=saturated, scale=scale,
                      metrics=metrics, extra=inputs_and_demand)


def _natural_media(plan: Plan):
    """``(activity, cost, share, series, scale)`` of the natural media of a plan with media inputs."""
    natural = natural_activity(plan)
    cost, share = cost_per_exposure(plan), reachable_share(plan)
    series = media_series(plan, natural, cost, share)
    return natural, cost, share, series, input_scale(plan, series["input"])


def input_scale(plan: Plan, natural_input: np.ndarray) -> np.ndarray:
    """The scale (R, G, S) dividing each channel's input before the transforms; 1 for treatments.

    The plan's fixed scale (``Plan.spend_scale``) when it holds one.
    """
    if plan.spend_scale is not None:
        return np.array(plan.spend_scale, dtype=float)
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
    out["incremental_outcome"] = contribution  # the effects add up: y minus y with the channel off, period by period
    if plan.inputs.revenue_per_kpi is not None:
        out["revenue_per_kpi"] = plan.inputs.revenue_per_kpi
        out["incremental_revenue"] = _in_revenue(plan, contribution)
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
