r"""The outcome: ``y`` as the exact sum of its stored components, additive or multiplicative.

With ``B`` the expected baseline (level + trend + seasonality, plus the drift
of a time-varying level and structural breaks when configured), ``c`` the
channels and ``k`` the controls:

* ``outcome_model="additive"`` (default): the mean is
  ``mu = B + sum_k e_k + sum_c contribution_c``, with control effects and
  contributions in units of ``y``;
* ``outcome_model="multiplicative"``: the effects are shares, ``u_k`` (a
  control, ``gamma_k v_k`` with ``gamma`` per unit of the control) and
  ``e_c`` (a channel, ``beta_c m_c saturated_c`` with ``beta`` the
  effectiveness), and

  .. math:: \mu = B \prod_k (1 + u_k) \prod_c (1 + e_c) = B \, e^{S},
            \qquad S = \sum_k \log(1 + u_k) + \sum_c \log(1 + e_c).

  The lift over the baseline, ``mu - B = B (e^S - 1)``, is shared out in
  proportion to each factor's log (the *log-share* decomposition):
  ``contribution_c = B (e^S - 1) / S * log(1 + e_c)`` and likewise
  ``control_effect_k``; so the contributions and control effects add up to
  the lift exactly, each has the sign of its factor, and a channel that is
  the only factor gets exactly its incremental outcome.  In general a
  contribution is *not* the channel's incremental outcome (``mu`` minus
  ``mu`` with the channel off, ``B e^S (1 - 1 / (1 + e_c))``): the effects
  interact, and the incremental outcomes do not add up to the lift.  The
  engine stores the incremental outcome from paired runs (the truth behind
  ``roas``), and the exact log-scale decomposition
  ``log mu = log_baseline + sum_k log_control_effect_k + sum_c log_contribution_c``
  (``log_baseline = log B``, ``log_contribution = log(1 + e_c)``).

In both, ``baseline = B + noise`` and ``y = baseline + sum_k control_effect_k
+ sum_c contribution_c``, summed in that order: ``y`` *is* the sum of the
stored components, and ``y - baseline_noise`` is the mean ``mu`` to rounding.

:func:`check_finite` makes sure no generated array holds a NaN or an infinity:
the first one found is a :class:`~xmmm.errors.GenerationError` naming the
variable, the replicate, the geo, the channel or control, and the date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from xmmm.blocks.noise import noise
from xmmm.errors import GenerationError
from xmmm.plan import Plan

__all__ = ["BASELINE_PARTS", "LAYOUT", "PER_KIND", "check_finite", "check_non_negative", "increment", "marginal",
           "outcome"]

#: the baseline components, in the order they are summed (the optional ones only when configured)
BASELINE_PARTS = ("baseline_level", "baseline_trend", "baseline_seasonality", "baseline_drift", "baseline_break")


def expected_baseline(parts: Mapping[str, np.ndarray]) -> np.ndarray:
    """``B``: the sum of the baseline components present, in the order of :data:`BASELINE_PARTS`."""
    total = parts["baseline_level"] + parts["baseline_trend"] + parts["baseline_seasonality"]
    for name in BASELINE_PARTS[3:]:
        if name in parts:
            total = total + parts[name]
    return total


def outcome(plan: Plan, parts: Mapping[str, np.ndarray], control: np.ndarray, media: np.ndarray,
            demand_effect: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The outcome and its stored decomposition.

    Parameters
    ----------
    plan : Plan
    parts : mapping
        The baseline components (R, G, T) (:data:`BASELINE_PARTS`).
    control, media : numpy.ndarray
        (R, G, K, T) control effects and (R, G, S, T) channel effects: in units
        of ``y`` (additive) or as shares (multiplicative).
    demand_effect : numpy.ndarray, optional
        (R, G, T) the effect of latent demand (:mod:`xmmm.blocks.demand`), added
        last: ``y = baseline + control effects + contributions + demand_effect``.

    Returns
    -------
    dict
        ``baseline_noise``, ``baseline``, ``y``, ``control_effect``,
        ``contribution`` and, multiplicative, ``log_baseline``,
        ``log_control_effect``, ``log_contribution``; plus ``_mean`` (the mean
        outcome) and ``_eta`` (the log-normal noise factor, or None) for the
        engine.
    """
    expected = expected_baseline(parts)
    out: dict[str, np.ndarray] = {}
    if plan.config.outcome_model == "multiplicative":
        _check_factors(plan, expected, control)
        log_control, log_media = np.log1p(control), np.log1p(media)
        total = log_control.sum(axis=2) + log_media.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_log = np.where(total != 0.0, np.expm1(total) / total, 1.0) * expected
        mean = expected * np.exp(total)
        control_effect = per_log[:, :, None, :] * log_control
        contribution = per_log[:, :, None, :] * log_media
        with np.errstate(divide="ignore", invalid="ignore"):
            out.update(log_baseline=np.log(expected), log_control_effect=log_control, log_contribution=log_media)
    else:
        control_effect, contribution = control, media
        mean = expected + control.sum(axis=2) + media.sum(axis=2) if plan.config.regions.noise == "lognormal" else None
    realised, eta = noise(plan, expected, mean)
    baseline = expected + realised
    y = baseline + control_effect.sum(axis=2) + contribution.sum(axis=2)
    if demand_effect is not None:  # latent demand (xmmm.blocks.demand): its effect is added last
        y = y + demand_effect
    out.update(baseline_noise=realised, baseline=baseline, y=y, control_effect=control_effect,
               contribution=contribution, _mean=mean, _eta=eta)
    return out


def _check_factors(plan: Plan, expected: np.ndarray, control: np.ndarray) -> None:
    """A multiplicative outcome needs a positive baseline and control factors ``1 + u > 0``."""
    for name, bad, what in (
        ("the expected baseline", expected <= 0, "raise regions.base_sales_rate or lower a negative trend or break"),
        ("a control factor 1 + effect", (1.0 + control <= 0).any(axis=2),
         "make negative control effects (base_effectiveness) smaller than 1 in size"),
    ):
        if bad.any():
            r, g, t = np.argwhere(bad)[0]
            where = f"replicate {plan.replicates[r]}, " if len(plan.replicates) > 1 or plan.replicates[r] else ""
            raise GenerationError(
                f"{name} is not positive in {where}geo {plan.geos[g]!r} on {plan.dates[t].date()}, which the "
                f"multiplicative outcome needs; {what}"
            )


def marginal(plan: Plan, out: Mapping[str, np.ndarray], media: np.ndarray, step: np.ndarray) -> np.ndarray:
    """(R, G, S) extra outcome over the window when each channel alone moves its effect by ``step``.

    ``step`` (R, G, S, T) is the change of the channel effects (in the units
    of ``media``) under a spend change; the other channels and the noise
    draws are held.  Additive: ``step`` itself; multiplicative: ``mu step /
    (1 + e_c)``; times the log-normal factor ``eta`` when the noise scales the
    mean.
    """
    change = step
    if plan.config.outcome_model == "multiplicative":
        change = out["_mean"][:, :, None, :] * step / (1.0 + media)
    if out["_eta"] is not None:
        change = change * out["_eta"][:, :, None, :]
    return change.sum(axis=-1)


def increment(contribution_on: np.ndarray, contribution_off: np.ndarray, target: np.ndarray, n_targets: int) -> np.ndarray:
    r"""``y`` of a run minus ``y`` of paired runs on the same random numbers.

    In the additive outcome the baseline and the control effects of two runs
    that differ only in their media are the same bits, so

    .. math:: y^{on}_t - y^{off}_t = \sum_c (\text{contribution}^{on}_{c,t} - \text{contribution}^{off}_{c,t})

    exactly, and a channel whose media did not change adds an exact 0: only
    the changed series are passed.

    Parameters
    ----------
    contribution_on, contribution_off : numpy.ndarray
        (n, T): the contributions of the changed series in the two runs.
    target : numpy.ndarray
        (n,) the outcome series (e.g. a flat (scenario, replicate, geo)) each belongs to.
    n_targets : int

    Returns
    -------
    numpy.ndarray
        (n_targets, T).

    Examples
    --------
    >>> on = np.array([[3.0, 1.0], [2.0, 2.0]]); off = np.zeros((2, 2))
    >>> increment(on, off, np.array([1, 1]), 2)
    array([[0., 0.],
           [5., 3.]])
    """
    out = np.zeros((n_targets, contribution_on.shape[-1]))
    np.add.at(out, target, contribution_on - contribution_off)
    return out


#: the axes after (replicate, geo) of the arrays of a generation, by variable
LAYOUT = {
    "spend": ("channel", "date"), "adstocked": ("channel", "date"), "saturated": ("channel", "date"),
    "contribution": ("channel", "date"), "control_value": ("control", "date"),
    "control_effect": ("control", "date"), "baseline": ("date",), "baseline_level": ("date",),
    "baseline_trend": ("date",), "baseline_seasonality": ("date",), "baseline_noise": ("date",),
    "y": ("date",), "control_level": ("control",), "control_coefficient": ("control",), "media_share": (),
    # harder worlds (present only when configured)
    "effectiveness_multiplier": ("channel", "date"), "incremental_outcome": ("channel", "date"),
    "log_contribution": ("channel", "date"), "spend_observed": ("channel", "date"),
    "log_control_effect": ("control", "date"), "baseline_drift": ("date",), "baseline_break": ("date",),
    "log_baseline": ("date",), "missing": ("date",), "outlier": ("date",), "y_observed": ("date",),
    "demand": ("date",), "demand_effect": ("date",), "demand_forecast": ("date",), "demand_observed": ("date",),
    "demand_coefficient": (), "sales_target": ("date",), "spend_planned": ("channel", "date"),
    "lift": ("experiment", "date"), **{f"lift_{k}": ("experiment",) for k in (
        "x", "delta_x", "delta_y", "measured", "total", "delta_y_model", "sigma", "tested")},
    # media inputs (present only when configured)
    "exposure": ("channel", "date"), "cost_per_exposure": ("channel", "date"), "reach": ("channel", "date"),
    "frequency": ("channel", "date"), "treatment_value": ("channel", "date"), "revenue_per_kpi": ("date",),
    "incremental_revenue": ("channel", "date"),
    "population": (),
}
#: series that hold NaN for the channels that do not have them (exposures of a channel acting on spend, ...)
PER_KIND = ("exposure", "cost_per_exposure", "reach", "frequency", "treatment_value")


def check_finite(
    arrays: Mapping[str, np.ndarray],
    *,
    replicates: Sequence[int],
    geos: Sequence[str],
    channels: Sequence[str],
    controls: Sequence[str],
    dates,
) -> None:
    """Raise :class:`GenerationError` at the first non-finite value of any array.

    Every array has a leading (replicate, geo); the axes after them are those
    of :data:`LAYOUT` (``(channel,)`` for per-channel truth not listed there).
    NaN is allowed in transform parameters (``adstock_*``, ``saturation_*``),
    where it marks a channel whose function has no such parameter, in the
    series of :data:`PER_KIND` (a channel without exposures has none), and in
    what a modeller receives (``*_observed``), where it marks a missing row.
    """
    labels = {"channel": channels, "control": controls}
    for name, a in arrays.items():
        a = np.asarray(a)
        if (a.dtype.kind != "f" or name.startswith(("adstock_", "saturation_")) or name.endswith("_observed")
                or np.isfinite(a).all()):
            continue
        bad = np.isinf(a) if name in PER_KIND else ~np.isfinite(a)
        if not bad.any():
            continue
        index = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), a.shape)
        r, g = index[0], index[1]
        parts = []
        if len(replicates) > 1 or replicates[r] != 0:
            parts.append(f"replicate {replicates[r]}")
        parts.append(f"geo {geos[g]!r}")
        for axis, i in zip(LAYOUT.get(name, ("channel",)), index[2:], strict=False):
            label = labels[axis][i] if axis in labels else i
            parts.append(f"on {dates[i].date()}" if axis == "date" else f"{axis} {label!r}")
        raise GenerationError(
            f"{name} is {a[index]} in {', '.join(parts)}: the configuration gives a value that is not a finite "
            "number (e.g. a saturation with a huge slope and a tiny half-point gives 0/0 at zero spend, or "
            "magnitudes beyond float64's range); change the parameters of what is named"
        )


def check_non_negative(arrays: Mapping[str, np.ndarray], *, replicates: Sequence[int], geos: Sequence[str],
                       dates) -> None:
    """Raise :class:`GenerationError` where ``y`` is negative, naming the replicate, geo and date."""
    y = arrays["y"]
    if (y >= 0).all():
        return
    r, g, t = np.argwhere(y < 0)[0]
    where = f"replicate {replicates[r]}, " if len(replicates) > 1 or replicates[r] != 0 else ""
    raise GenerationError(
        f"y would be negative ({y[r, g, t]:.4g}) in {where}geo {geos[g]!r} on "
        f"{dates[t].date()} (baseline {arrays['baseline'][r, g, t]:.4g}, control effects "
        f"{arrays['control_effect'][r, g, :, t].sum():.4g}); raise regions.base_sales_rate, lower "
        "regions.sales_volatility or a negative regions.sales_trend, or make negative control "
        "effects (base_effectiveness) smaller"
    )
