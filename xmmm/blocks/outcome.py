r"""The outcome: ``y`` as the exact sum of its stored components.

.. math:: y_{g,t} = \text{baseline}_{g,t} + \sum_k e_{g,k,t} + \sum_c \text{contribution}_{g,c,t}

:func:`check_finite` makes sure no generated array holds a NaN or an infinity:
the first one found is a :class:`~xmmm.errors.GenerationError` naming the
variable, the replicate, the geo, the channel or control, and the date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from xmmm.errors import GenerationError

__all__ = ["LAYOUT", "check_finite", "check_non_negative", "increment", "outcome"]


def outcome(components: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``baseline`` (R, G, T) and ``y`` (R, G, T) from the baseline components, control effects and contributions.

    With latent demand (``demand_effect`` among the components, :mod:`xmmm.blocks.demand`) its effect is
    added last: ``y = baseline + control effects + contributions + demand_effect``.
    """
    baseline = (
        components["baseline_level"]
        + components["baseline_trend"]
        + components["baseline_seasonality"]
        + components["baseline_noise"]
    )
    y = baseline + components["control_effect"].sum(axis=2) + components["contribution"].sum(axis=2)
    if "demand_effect" in components:
        y = y + components["demand_effect"]
    return {"baseline": baseline, "y": y}


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
    "demand": ("date",), "demand_effect": ("date",), "demand_forecast": ("date",), "demand_observed": ("date",),
    "demand_coefficient": (), "sales_target": ("date",), "spend_planned": ("channel", "date"),
    "lift": ("experiment", "date"), **{f"lift_{k}": ("experiment",) for k in (
        "x", "delta_x", "delta_y", "measured", "total", "delta_y_model", "sigma", "tested")},
}


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
    where it marks a channel whose function has no such parameter.
    """
    labels = {"channel": channels, "control": controls}
    for name, a in arrays.items():
        a = np.asarray(a)
        if a.dtype.kind != "f" or name.startswith(("adstock_", "saturation_")) or np.isfinite(a).all():
            continue
        index = np.unravel_index(int(np.flatnonzero(~np.isfinite(a).ravel())[0]), a.shape)
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
