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

import numpy as np

from xmmm.blocks.baseline import baseline
from xmmm.blocks.controls import controls
from xmmm.blocks.effects import media_effects
from xmmm.blocks.media import natural_spend, spend_scale
from xmmm.blocks.outcome import outcome
from xmmm.ground_truth import MARGINAL_STEP, media_metrics
from xmmm.plan import Plan

__all__ = ["Interventions", "run"]


@dataclass(frozen=True)
class Interventions:
    """Changes to the media of a run; everything else is held to the bit.

    Attributes
    ----------
    spend : numpy.ndarray, optional
        Replaces the spend, broadcast to (R, G, S, T).
    scale : numpy.ndarray, optional
        Multiplies the spend, broadcast to (R, G, S, T).

    The spend scale (what divides spend before the transforms) is that of
    the natural, un-intervened spend: an intervention changes the media, not
    the model.
    """

    spend: np.ndarray | None = None
    scale: np.ndarray | None = None

    def apply(self, spend: np.ndarray) -> np.ndarray:
        """The intervened spend."""
        out = spend
        if self.spend is not None:
            out = np.broadcast_to(np.asarray(self.spend, dtype=float), spend.shape).copy()
        if self.scale is not None:
            out = out * np.asarray(self.scale, dtype=float)
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
    natural = natural_spend(plan)
    scale = spend_scale(natural, plan.config.transforms.spend_scaling, plan.population)
    spend = natural if interventions is None else interventions.apply(natural)

    # one pass: contributions, and for marginal ROAS the same transforms on spend raised by
    # MARGINAL_STEP (scale held fixed)
    adstocked, saturated, contribution, extra = media_effects(
        plan, np.ascontiguousarray(spend, dtype=np.float64), scale, 1.0 + MARGINAL_STEP
    )

    control = controls(plan)
    out = outcome({**base, **control, "contribution": contribution})
    metrics = media_metrics(spend, contribution, extra, out["y"])
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
            **({"population": plan.population} if stores_population(plan.config) else {}),
        }
    )


def stores_population(config) -> bool:
    """Whether a dataset holds ``population``: configured, or used by the spend scaling."""
    return config.regions.population is not None or config.transforms.spend_scaling == "per_capita_median"


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
