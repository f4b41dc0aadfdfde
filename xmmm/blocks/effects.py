r"""Media effects: adstock, then saturation, of scaled spend, times the channel coefficient.

.. math::
    \text{contribution}_{g,c,t} = \beta_{g,c} \, f_c\big(\text{adstock}_c(s_{g,c,\cdot} / k_{g,c})_t\big)

with ``k`` the spend scale and ``beta`` the plan's channel coefficient; for a
channel with exposures ``s`` is its exposures.  A reach-and-frequency
channel follows Meridian's form, the saturation of its frequency ``F``
times its scaled reach ``R / k``, then the adstock:

.. math::
    \text{saturated}_{g,c,t} = \frac{R_{g,c,t}}{k_{g,c}} \, f_c(F_{g,c,t}), \qquad
    \text{contribution}_{g,c,t} = \beta_{g,c} \, \text{adstock}_c(\text{saturated}_{g,c,\cdot})_t

A treatment's stages are ``"none"``: its contribution is
``beta * (value - baseline value)``.

:func:`media_effects` computes everything a spend-only generation needs --
adstocked, saturated, contributions and the extra contribution of spend
raised by the marginal step -- in one call of
:func:`xmmm.kernels.effects.media_effects_stack` over every (replicate, geo,
channel) series, whatever mix of transforms the channels have;
:func:`transform` runs the separate kernels once per group of channels that
share a function and its structural options (and takes reach and
frequency).  Both give the same bits, unchecked: the plan has validated
every parameter.

The ``row_*`` functions run the same kernels on any stack of series, each
named by its (replicate, geo, channel) in the plan (:class:`Rows`): scenarios
of a counterfactual study (a leading axis of spend paths folded into the
stack) use them.  A kernel computes each series on its own, so a series gives
the same bits in any stack.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xmmm.kernels.effects import MAX_PARAMETERS, SATURATION_CODES, adstock_layout, media_effects_stack
from xmmm.plan import Plan

__all__ = ["Rows", "contributions", "media_effects", "media_effects_per_period", "row_adstock", "row_groups",
           "row_saturation", "row_saturation_derivative", "saturate", "signal", "transform"]


def _run_groups(plan: Plan, family: str, x: np.ndarray, channels: np.ndarray | None = None,
                out: np.ndarray | None = None) -> np.ndarray:
    """The family's stage of every channel (or of ``channels`` only, written into ``out``)."""
    out = np.empty_like(x) if out is None else out
    r, g, _, n = x.shape
    for group in plan.groups(family):
        idx = group.channels if channels is None else np.intersect1d(group.channels, channels)
        if idx.size == 0:
            continue
        spec = group.transform
        stack = np.ascontiguousarray(x[:, :, idx, :]).reshape(-1, n)
        numeric = [
            np.ascontiguousarray(plan.params[f"{family}_{p.name}"][:, :, idx]).reshape(-1)
            for p in spec.numeric_parameters
        ]
        out[:, :, idx, :] = spec.run(stack, numeric, group.options).reshape(r, g, len(idx), n)
    return out


def _reach_frequency(plan: Plan) -> np.ndarray:
    inputs = plan.inputs
    return np.empty(0, dtype=int) if inputs is None else inputs.reach_frequency


def transform(plan: Plan, scaled: np.ndarray, frequency: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(adstocked, saturated)`` of scaled spend (R, G, S, T).

    ``frequency`` (R, G, S, T) is needed when the plan has
    reach-and-frequency channels: for them ``scaled`` is the scaled reach,
    ``saturated`` the saturated frequency times it and ``adstocked`` the
    adstock of that (see the module docs).
    """
    rf = _reach_frequency(plan)
    if rf.size == 0:
        adstocked = _run_groups(plan, "adstock", scaled)
        return adstocked, _run_groups(plan, "saturation", adstocked)
    saturated = np.empty_like(scaled)
    _run_groups(plan, "saturation", frequency, rf, out=saturated)
    saturated[:, :, rf, :] *= scaled[:, :, rf, :]
    before = scaled.copy()
    before[:, :, rf, :] = saturated[:, :, rf, :]
    adstocked = _run_groups(plan, "adstock", before)
    others = np.setdiff1d(np.arange(scaled.shape[2]), rf)
    _run_groups(plan, "saturation", adstocked, others, out=saturated)
    return adstocked, saturated


def signal(plan: Plan, adstocked: np.ndarray, saturated: np.ndarray) -> np.ndarray:
    """What the coefficient multiplies: ``saturated``, and ``adstocked`` for reach-and-frequency channels."""
    rf = _reach_frequency(plan)
    if rf.size == 0:
        return saturated
    out = saturated.copy()
    out[:, :, rf, :] = adstocked[:, :, rf, :]
    return out


def contributions(plan: Plan, saturated: np.ndarray, multiplier: np.ndarray | None = None,
                  adstocked: np.ndarray | None = None) -> np.ndarray:
    """Channel effects: the coefficient (times a time-varying multiplier) times the transformed signal, (R, G, S, T).

    In y units in the additive model (the contributions), shares of the
    baseline in the multiplicative one.  ``adstocked`` is needed when the
    plan has reach-and-frequency channels (their signal is the adstock of the
    saturated reach, :func:`signal`).
    """
    final = saturated if adstocked is None else signal(plan, adstocked, saturated)
    if multiplier is None:
        return plan.coefficient[..., None] * final
    return plan.coefficient[..., None] * multiplier * final


@dataclass(frozen=True)
class Rows:
    """Which (replicate, geo, channel) of the plan each row of a stack of series belongs to.

    Attributes
    ----------
    replicate, geo, channel : numpy.ndarray
        Integer positions (not labels) into the plan's axes, one per row.
    """

    replicate: np.ndarray
    geo: np.ndarray
    channel: np.ndarray

    @classmethod
    def of(cls, shape: tuple[int, ...]) -> Rows:
        """The rows of a (..., R, G, S) stack flattened in C order (leading axes repeat the plan)."""
        r, g, c = shape[-3:]
        lead = int(np.prod(shape[:-3], dtype=np.int64))
        idx = np.indices((r, g, c)).reshape(3, -1)
        return cls(*(np.tile(i, lead) for i in idx))

    def take(self, picked: np.ndarray) -> Rows:
        """The rows at positions ``picked``."""
        return Rows(self.replicate[picked], self.geo[picked], self.channel[picked])


def row_groups(plan: Plan, family: str, rows: Rows):
    """For each group of channels sharing a transform: ``(group, picked, numeric)``.

    ``picked`` are the positions of the rows of those channels, ``numeric``
    each numeric parameter's value for those rows (C-contiguous, one per row).
    """
    for group in plan.groups(family):
        picked = np.flatnonzero(np.isin(rows.channel, group.channels))
        if not picked.size:
            continue
        r, g, c = rows.replicate[picked], rows.geo[picked], rows.channel[picked]
        numeric = [np.ascontiguousarray(plan.params[f"{family}_{p.name}"][r, g, c])
                   for p in group.transform.numeric_parameters]
        yield group, picked, numeric


def _run_rows(plan: Plan, family: str, x: np.ndarray, rows: Rows, derivative: bool = False) -> np.ndarray:
    out = np.empty_like(x)
    for group, picked, numeric in row_groups(plan, family, rows):
        spec = group.transform
        whole = picked.size == x.shape[0]
        run = spec.run_derivative if derivative else spec.run
        result = run(np.ascontiguousarray(x if whole else x[picked]), numeric, group.options)
        if whole:
            return result
        out[picked] = result
    return out


def row_adstock(plan: Plan, scaled: np.ndarray, rows: Rows) -> np.ndarray:
    """The adstock of each row's channel on a stack of scaled spend series (n_rows, T)."""
    return _run_rows(plan, "adstock", scaled, rows)


def row_saturation(plan: Plan, adstocked: np.ndarray, rows: Rows) -> np.ndarray:
    """The saturation of each row's channel on a stack of adstocked series (n_rows, T)."""
    return _run_rows(plan, "saturation", adstocked, rows)


def row_saturation_derivative(plan: Plan, adstocked: np.ndarray, rows: Rows) -> np.ndarray:
    """The derivative df/dx of each row's saturation at a stack of adstocked series (n_rows, T)."""
    return _run_rows(plan, "saturation", adstocked, rows, derivative=True)


def saturate(plan: Plan, adstocked: np.ndarray) -> np.ndarray:
    """Each channel's saturation of adstocked signals (R, G, S, n)."""
    return _run_groups(plan, "saturation", adstocked)


def media_effects(
    plan: Plan, spend: np.ndarray, scale: np.ndarray, factor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Adstocked, saturated, contribution (R, G, S, T) and the marginal extra (R, G, S), in one pass.

    ``extra`` is the extra contribution summed over time when the spend is
    multiplied by ``factor`` (the scale held fixed); the bits are those of
    :func:`transform` on ``spend / scale`` and on ``spend * factor / scale``,
    :func:`contributions`, and ``(coefficient * (up - saturated)).sum(-1)``.
    """
    n_rep, n_geo, n_channel, n_time = spend.shape
    layout = np.empty((4, n_channel), dtype=np.int64)
    saturation_kind = np.empty(n_channel, dtype=np.int64)
    tables = {f: np.full((n_rep, n_geo, n_channel, MAX_PARAMETERS), np.nan) for f in ("adstock", "saturation")}
    for family in ("adstock", "saturation"):
        for c, stage in enumerate(plan.stages(family)):
            if family == "adstock":
                layout[:, c] = adstock_layout(stage.name, stage.options)
            else:
                saturation_kind[c] = SATURATION_CODES[stage.name]
            for k, p in enumerate(stage.transform.numeric_parameters):
                tables[family][:, :, c, k] = plan.params[f"{family}_{p.name}"][:, :, c]

    def per_series(values: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(values, (n_rep, n_geo, n_channel))).reshape(-1)

    fx = media_effects_stack(
        spend.reshape(-1, n_time),
        per_series(scale),
        per_series(plan.coefficient),
        adstock_kind=per_series(layout[0]),
        adstock_params=tables["adstock"].reshape(-1, MAX_PARAMETERS),
        n_lags=per_series(layout[1]),
        normalize=per_series(layout[2].astype(bool)),
        shift=per_series(layout[3]),
        saturation_kind=per_series(saturation_kind),
        saturation_params=tables["saturation"].reshape(-1, MAX_PARAMETERS),
        factor=factor,
    )
    shape = spend.shape
    return (
        fx.adstocked.reshape(shape),
        fx.saturated.reshape(shape),
        fx.contribution.reshape(shape),
        fx.marginal.reshape(shape[:-1]),
    )


def media_effects_per_period(
    plan: Plan, spend: np.ndarray, scale: np.ndarray, factor: float, multiplier: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Adstocked, saturated, effects and the change of each effect per period (all (R, G, S, T)).

    For worlds where :func:`media_effects`' sum over time is not the marginal
    extra: a time-varying ``multiplier`` scales the effects and their change
    period by period, and a multiplicative outcome or log-normal noise turns
    the change into outcome through the period's mean
    (:func:`xmmm.blocks.outcome.marginal`).  The separate kernels, on ``spend /
    scale`` and ``spend * factor / scale``.
    """
    adstocked, saturated = transform(plan, spend / scale[..., None])
    media = contributions(plan, saturated, multiplier)
    _, saturated_up = transform(plan, spend * factor / scale[..., None])
    step = plan.coefficient[..., None] * (saturated_up - saturated)
    if multiplier is not None:
        step = step * multiplier
    return adstocked, saturated, media, step
