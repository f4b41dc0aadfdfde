r"""Experiments as affine changes of spend: ``s -> a s + b`` inside each window and set of geos.

An :class:`~xmmm.causal.ExperimentConfig` with mode ``"scale"`` is ``a = value,
b = 0``; ``"set"`` is ``a = 0, b = value``; ``"shift"`` is ``a = 1, b = value``.
Several experiments compose in their order; the changed spend is floored at 0
(:func:`apply`).  The change acts after a spend policy has decided the spend,
so a target-chasing policy reacts to what the experiment does to sales.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xmmm.causal import ExperimentConfig, window
from xmmm.plan import Plan

__all__ = ["affine", "apply", "compose", "masks"]


def masks(plan: Plan, experiment: ExperimentConfig) -> tuple[int, np.ndarray, np.ndarray]:
    """``(channel index, geo mask (G,), window mask (T,))`` of one experiment."""
    j = plan.channels.index(experiment.channel)
    geos = np.ones(len(plan.geos), dtype=bool)
    if experiment.geos is not None:
        geos = np.isin(np.asarray(plan.geos), np.asarray(experiment.geos))
    first, last = window(experiment, plan.dates)
    dates = np.zeros(len(plan.dates), dtype=bool)
    dates[first : last + 1] = True
    return j, geos, dates


def affine(plan: Plan, experiments: Sequence[ExperimentConfig]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(a, b)`` of (R, G, S, T) for the experiments, composed in order; ``None`` without any."""
    if not experiments:
        return None
    shape = (len(plan.replicates), len(plan.geos), len(plan.channels), len(plan.dates))
    a, b = np.ones(shape), np.zeros(shape)
    for experiment in experiments:
        j, geos, dates = masks(plan, experiment)
        cell = np.ix_(np.arange(shape[0]), np.flatnonzero(geos), [j], np.flatnonzero(dates))
        value = float(experiment.value)
        if experiment.mode == "scale":
            a[cell] *= value
            b[cell] *= value
        elif experiment.mode == "set":
            a[cell] = 0.0
            b[cell] = value
        else:
            b[cell] += value
    return a, b


def compose(first: tuple[np.ndarray, np.ndarray] | None, then: tuple[np.ndarray, np.ndarray] | None):
    """The affine change ``then(first(s))``; either may be ``None`` (no change)."""
    if first is None:
        return then
    if then is None:
        return first
    return then[0] * first[0], then[0] * first[1] + then[1]


def apply(spend: np.ndarray, change: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``max(a * spend + b, 0)``."""
    a, b = change
    return np.maximum(a * spend + b, 0.0)
