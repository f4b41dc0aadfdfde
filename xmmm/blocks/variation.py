r"""Time-varying paths: the effectiveness multiplier of each channel and the baseline level's drift.

A :class:`~xmmm.world.TimeVariation` makes one multiplier path per
(replicate, geo, series), ``m_t = e^{f_t} / \operatorname{mean}_t e^{f_t}``:
positive, with mean exactly 1 over the dates, so the configured value is the
average and the path only moves it in time.  Random kinds (``gp``, ``fourier``)
draw from the streams ``<role>_frequency`` / ``<role>_phase`` /
``<role>_fourier`` of each (replicate, geo, series) -- ``role`` is
``effectiveness_variation`` (series: the channels) or ``level_variation``
(one series per geo) -- so no other stream moves.

* :func:`effectiveness_multiplier` -- (R, G, S, T), 1 for channels without
  variation; ``contribution = coefficient x multiplier x saturated``;
* :func:`level_drift` -- (R, G, T), ``baseline_drift = L_g (m_t - 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xmmm.kernels.timeseries import cosine_features
from xmmm.plan import Plan
from xmmm.random import normals, stream_keys, uniforms
from xmmm.world import TimeVariation

__all__ = ["GP_FEATURES", "effectiveness_multiplier", "level_drift", "multiplier_paths"]

#: random Fourier features of a ``gp`` path
GP_FEATURES = 64


def _log_paths(spec: TimeVariation, keys: np.ndarray, n: int, dates) -> np.ndarray:
    """``f`` of one kind for a grid of stream keys (...,) -> (..., n)."""
    t = np.arange(n, dtype=float)
    shape = keys.shape
    if spec.kind == "gp":
        omega = normals(keys["frequency"], GP_FEATURES) / spec.length_scale
        phase = 2.0 * np.pi * uniforms(keys["phase"], GP_FEATURES)
        return spec.amplitude * np.sqrt(2.0 / GP_FEATURES) * cosine_features(omega, phase, n)
    if spec.kind == "fourier":
        k = spec.n_terms
        coefficients = normals(keys["fourier"], 2 * k) * (spec.amplitude / np.sqrt(k))
        harmonics = 2.0 * np.pi * np.arange(1, k + 1)[:, None] * t / spec.length_scale  # (k, n)
        return coefficients[..., :k] @ np.sin(harmonics) + coefficients[..., k:] @ np.cos(harmonics)
    if spec.kind == "linear":
        ramp = 1.0 + (spec.ratio - 1.0) * (t / (n - 1) if n > 1 else t)
        return np.broadcast_to(np.log(ramp), shape + (n,))
    import pandas as pd

    after = np.asarray(dates >= pd.Timestamp(spec.at))
    return np.broadcast_to(np.where(after, np.log(spec.ratio), 0.0), shape + (n,))


class _Keys:
    """Stream keys of one role, per purpose, made on demand."""

    def __init__(self, plan: Plan, role: str, axes: Sequence[Sequence[str]]) -> None:
        self.plan, self.role, self.axes = plan, role, axes
        self.shape = (len(plan.replicates),) + tuple(len(a) for a in axes)

    def __getitem__(self, purpose: str) -> np.ndarray:
        return stream_keys(self.plan.seed, f"{self.role}_{purpose}", *self.axes, replicates=self.plan.replicates)


def multiplier_paths(plan: Plan, spec: TimeVariation, role: str, axes: Sequence[Sequence[str]]) -> np.ndarray:
    """Multiplier paths with mean 1 over the dates for one spec and a grid of series.

    Parameters
    ----------
    plan : Plan
    spec : TimeVariation
    role : str
        The stream role (``"effectiveness_variation"``, ``"level_variation"``).
    axes : sequence of label sequences
        The series' labels after the replicate (e.g. ``[geos, channels]``).

    Returns
    -------
    numpy.ndarray, shape (R, *axes, T)
    """
    n = len(plan.dates)
    f = _log_paths(spec, _Keys(plan, role, axes), n, plan.dates)
    e = np.exp(f - f.max(axis=-1, keepdims=True))  # shifted: exp never overflows, the ratio is the same
    return e / e.mean(axis=-1, keepdims=True)


def effectiveness_multiplier(plan: Plan) -> np.ndarray | None:
    """(R, G, S, T) multiplier of every channel's effect; ``None`` when no channel varies."""
    specs = [c.effectiveness_variation for c in plan.config.channels]
    if all(s is None for s in specs):
        return None
    out = np.ones((len(plan.replicates), len(plan.geos), len(plan.channels), len(plan.dates)))
    groups: list[tuple[TimeVariation, list[int]]] = []
    for j, spec in enumerate(specs):
        if spec is not None:
            match = next((g for g in groups if g[0] == spec), None)
            if match is None:
                groups.append((spec, [j]))
            else:
                match[1].append(j)
    for spec, idx in groups:  # one call per distinct spec, over every geo and channel that has it
        # the streams are named by the channels' names: adding a channel moves no other path
        names = [plan.channels[j] for j in idx]
        out[:, :, idx] = multiplier_paths(plan, spec, "effectiveness_variation", [plan.geos, names])
    return out


def level_drift(plan: Plan) -> np.ndarray | None:
    """(R, G, T) ``L_g (m_t - 1)``, the time-varying part of the baseline level; ``None`` without one."""
    spec = plan.config.regions.level_variation
    if spec is None:
        return None
    m = multiplier_paths(plan, spec, "level_variation", [plan.geos])
    return plan.level[..., None] * (m - 1.0)
