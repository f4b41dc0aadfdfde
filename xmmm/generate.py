"""From a config to one labelled Dataset: the only module that knows the whole pipeline.

The numeric core, :func:`simulate_arrays`, works on plain arrays with a
leading replicate axis, shapes ``(R, G, S, T)`` for (replicate, geo, series,
date).  A single dataset is replicate 0 of a study, so
``generate_mmm_dataset(config)`` and replicate 0 of
``xmmm.simulate(config, ...)`` are the same numbers.  Nothing here loops over
geos or channels: patterns, regional variation and transforms act on whole
arrays; the only Python loops are over *kinds* of transform.
"""

from __future__ import annotations

import json
import secrets
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from xmmm._version import __version__
from xmmm.config import DEFAULT_CONFIG, MMMDataConfig, apply_overrides, validate_config
from xmmm.errors import GenerationError, XmmmWarning
from xmmm.patterns import max_active_share, pattern_values, season_fraction
from xmmm.random import normals, stream_keys, uniforms
from xmmm.transforms import get_transform

__all__ = ["generate_mmm_dataset", "generate_dataset", "simulate_arrays", "ChannelTransforms"]

#: relative spend step used for the marginal ROAS ground truth
MARGINAL_STEP = 0.01


# --------------------------------------------------------------------------- entry points
def generate_mmm_dataset(config: MMMDataConfig | None = None, **overrides):
    """Generate one MMM dataset with its exact ground truth.

    Parameters
    ----------
    config : MMMDataConfig, optional
        Defaults to :data:`xmmm.DEFAULT_CONFIG`.  Never mutated.
    **overrides
        Field overrides applied to a copy of ``config``, e.g. ``n_periods=104``,
        ``seed=7``, ``regions={"n_regions": 5}`` or ``**{"regions.n_regions": 5}``.
        An unknown name raises :class:`~xmmm.errors.ConfigError`.

    Returns
    -------
    MMMResult
        A mapping with the keys ``"data"`` (the long table), ``"ground_truth"``
        and ``"config"``, and the attribute ``dataset`` (the ``xarray.Dataset``
        holding everything).

    Raises
    ------
    ConfigError
        A bad configuration (every problem listed).
    GenerationError
        The outcome would be negative somewhere (names the geo and the date).

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(n_periods=52)
    >>> result.dataset["y"].dims
    ('date', 'geo')
    >>> list(result["data"].columns)[:4]
    ['date', 'geo', 'y', 'x1-TV']
    """
    from xmmm.result import MMMResult

    resolved = _resolve_config(config, overrides)
    return MMMResult(_generate(resolved), resolved)


def generate_dataset(config: MMMDataConfig | None = None, *, replicate: int = 0, **overrides) -> xr.Dataset:
    """Like :func:`generate_mmm_dataset` but return the ``xarray.Dataset`` itself.

    ``replicate`` selects the random streams: replicate ``r`` of a simulation
    study is ``generate_dataset(xmmm.replicate_config(config, r, priors), replicate=r)``.
    """
    return _generate(_resolve_config(config, overrides), replicate)


def _generate(config: MMMDataConfig, replicate: int = 0) -> xr.Dataset:
    """One dataset of a resolved config (validated, seed set)."""
    replicate = int(replicate)
    transforms = ChannelTransforms.of(config)
    arrays = simulate_arrays(config, [replicate], transforms=transforms)
    _check_outcome(arrays, config, replicates=[replicate])
    for message in _suspicious(config, arrays, transforms):
        warnings.warn(message, XmmmWarning, stacklevel=3)
    dataset = to_dataset(arrays, config, replicate_axis=False, transforms=transforms)
    if replicate:
        dataset.attrs["replicate"] = replicate
    return dataset


def _resolve_config(config: MMMDataConfig | None, overrides: Mapping) -> MMMDataConfig:
    base = DEFAULT_CONFIG if config is None else config
    if not isinstance(base, MMMDataConfig):
        from xmmm.errors import ConfigError

        raise ConfigError(f"config must be an MMMDataConfig or None; got {type(base).__name__}")
    resolved = apply_overrides(base, overrides) if overrides else base.copy()
    validate_config(resolved)
    if resolved.seed is None:
        resolved.seed = secrets.randbits(63)
    return resolved


# --------------------------------------------------------------------------- transforms per channel
@dataclass(frozen=True)
class ChannelTransforms:
    """Resolved transforms of every channel: names, numeric and structural parameters."""

    adstock: list[tuple[str, dict]]
    saturation: list[tuple[str, dict]]

    @classmethod
    def of(cls, config: MMMDataConfig) -> ChannelTransforms:
        n = len(config.channels)
        return cls(
            adstock=[config.transforms.for_channel(i, "adstock") for i in range(n)],
            saturation=[config.transforms.for_channel(i, "saturation") for i in range(n)],
        )

    def groups(self, family: str) -> dict[tuple, np.ndarray]:
        """Channel indices per (function, structural parameters): one kernel call each."""
        out: dict[tuple, list[int]] = {}
        for i, (name, params) in enumerate(getattr(self, family)):
            spec = get_transform(family, name)
            structural = tuple((p.name, params[p.name]) for p in spec.structural_parameters)
            out.setdefault((name, structural), []).append(i)
        return {k: np.array(v) for k, v in out.items()}

    def parameter_names(self, family: str) -> list[str]:
        """Numeric parameter names used by any channel, in first-seen order."""
        names: list[str] = []
        for name, _ in getattr(self, family):
            for p in get_transform(family, name).numeric_parameters:
                if p.name not in names:
                    names.append(p.name)
        return names


# --------------------------------------------------------------------------- numeric core
def _regional_factors(
    seed: int,
    role: str,
    geo_names: Sequence[str],
    series: Sequence[str],
    variation: float,
    similarity: float,
    replicates: Sequence[int],
) -> np.ndarray:
    """``1 + (1 - similarity) * variation * u``, u ~ U(-1, 1) per (replicate, geo, series).

    Regions vary only when there are two or more: a single region has exactly
    the configured parameters.
    """
    shape = (len(replicates), len(geo_names), len(series))
    spread = (1.0 - similarity) * variation
    if len(geo_names) < 2 or spread == 0.0 or not series:
        return np.ones(shape)
    u = uniforms(stream_keys(seed, f"region_{role}", geo_names, series, replicates=replicates), 1)[..., 0]
    return 1.0 + spread * (2.0 * u - 1.0)


def _vary(values: np.ndarray, factor: np.ndarray, scale: str) -> np.ndarray:
    """Apply a regional factor on the parameter's natural scale (odds for [0, 1] parameters)."""
    if scale == "unit":
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = values / (1.0 - values) * factor
            varied = odds / (1.0 + odds)
        return np.where((values <= 0.0) | (values >= 1.0) | (factor == 1.0), values, varied)
    return values * factor


def simulate_arrays(
    config: MMMDataConfig,
    replicates: Sequence[int],
    base: Mapping[str, np.ndarray] | None = None,
    transforms: ChannelTransforms | None = None,
) -> dict[str, np.ndarray]:
    """Every generated array for the given replicates.

    Parameters
    ----------
    config : MMMDataConfig
        A validated config with a seed.
    replicates : sequence of int
        Replicate numbers; each one's random streams are its own, so the result
        for replicate ``r`` does not depend on which other replicates are
        computed alongside it.
    base : mapping, optional
        Per-replicate base values replacing the configured ones (sampled ground
        truth), keyed as in :func:`base_values`, each with a leading replicate axis.
    transforms : ChannelTransforms, optional
        The config's resolved transforms, if already at hand.

    Returns
    -------
    dict of numpy.ndarray
        Series with shape (R, G, S, T) / (R, G, T); parameters (R, G, S) / (R, G).
    """
    seed = int(config.seed)
    reps = list(replicates)
    geo = config.region_names
    channels = config.channel_names
    controls = config.control_names
    dates = config.dates
    n = len(dates)
    regions = config.regions
    sim = regions.region_similarity
    transforms = transforms or ChannelTransforms.of(config)
    values = base_values(config, len(reps), transforms)
    if base:
        values.update({k: np.asarray(v, dtype=float) for k, v in base.items()})

    # --- baseline (R, G, T)
    level = values["regions.base_sales_rate"][:, None] * _regional_factors(
        seed, "baseline", geo, ["level"], regions.baseline_variation, sim, reps
    )[..., 0]
    t = np.arange(n, dtype=float)
    trend = level[..., None] * values["regions.sales_trend"][:, None, None] * t
    season_shape = values["regions.seasonal_amplitude"][:, None, None] * np.sin(
        2.0 * np.pi * season_fraction(dates, regions.seasonal_period_days) + regions.seasonal_phase
    )
    seasonality = level[..., None] * season_shape
    noise = (
        level[..., None]
        * values["regions.sales_volatility"][:, None, None]
        * normals(stream_keys(seed, "baseline_noise", geo, replicates=reps), n)
    )
    baseline_level = np.broadcast_to(level[..., None], noise.shape)

    # --- spend (R, G, S, T)
    spend_factor = _regional_factors(seed, "spend", geo, channels, regions.channel_param_variation, sim, reps)
    spend_level = values["channels.base_spend"][:, None, :] * spend_factor
    spend = pattern_values(config.channels, dates, geo, spend_level, seed=seed, role="spend", replicates=reps)
    scaling = config.transforms.spend_scaling
    population = _population(regions.population, level)
    if scaling == "max":
        scale = spend.max(axis=-1)
    elif scaling == "mean":
        scale = spend.mean(axis=-1)
    elif scaling == "per_capita_median":
        scale = per_capita_median_scale(spend, population)
    else:
        scale = np.ones(spend.shape[:-1])
    scale = np.where(scale > 0.0, scale, 1.0)

    # --- transform parameters (R, G, S) per name, NaN where a channel's function has none
    params: dict[str, np.ndarray] = {}
    for family in ("adstock", "saturation"):
        for pname in transforms.parameter_names(family):
            key = f"{family}_{pname}"
            # each parameter has its own streams, so adding one never shifts another
            factor = _regional_factors(seed, f"transform_{key}", geo, channels, regions.transform_variation, sim, reps)
            raw = np.broadcast_to(values[f"transforms.{key}"][:, None, :], factor.shape)
            params[key] = _vary(raw, factor, _parameter_scale(transforms, family, pname))

    adstocked, saturated = _apply_transforms(spend / scale[..., None], transforms, params)

    effect_factor = _regional_factors(
        seed, "effectiveness", geo, channels, regions.channel_param_variation, sim, reps
    )
    effectiveness = values["channels.base_effectiveness"][:, None, :] * effect_factor
    coefficient = effectiveness * level[..., None]
    contribution = coefficient[..., None] * saturated

    # marginal ROAS: the same transforms on spend raised by MARGINAL_STEP, scale held fixed
    _, saturated_up = _apply_transforms(spend * (1.0 + MARGINAL_STEP) / scale[..., None], transforms, params)
    extra = (coefficient[..., None] * (saturated_up - saturated)).sum(axis=-1)

    # --- controls (R, G, K, T)
    value_factor = _regional_factors(seed, "control_value", geo, controls, 1.0, sim, reps)
    value_spread = np.array([c.regional_value_variation for c in config.control_variables])
    value_factor = 1.0 + (value_factor - 1.0) * value_spread
    control_level = values["controls.base_value"][:, None, :] * value_factor
    control_value = pattern_values(
        config.control_variables, dates, geo, control_level, seed=seed, role="control", replicates=reps
    )
    control_factor = _regional_factors(
        seed, "control_effectiveness", geo, controls, regions.channel_param_variation, sim, reps
    )
    base_value = values["controls.base_value"][:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = np.where(base_value > 0, values["controls.base_effectiveness"][:, None, :] / base_value, 0.0)
    control_coefficient = per_unit * control_factor * level[..., None]
    control_effect = control_coefficient[..., None] * control_value

    baseline = baseline_level + trend + seasonality + noise
    y = baseline + control_effect.sum(axis=2) + contribution.sum(axis=2)

    total_spend = spend.sum(axis=-1)
    total_contribution = contribution.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        roas = np.where(total_spend > 0, total_contribution / total_spend, 0.0)
        mroas = np.where(total_spend > 0, extra / (MARGINAL_STEP * total_spend), 0.0)
        media = total_contribution.sum(axis=-1, keepdims=True)
        attribution = np.where(media > 0, 100.0 * total_contribution / media, 0.0)
        media_share = np.where(y.sum(axis=-1) > 0, 100.0 * media[..., 0] / y.sum(axis=-1), 0.0)

    return {
        "spend": spend,
        "adstocked": adstocked,
        "saturated": saturated,
        "contribution": contribution,
        "control_value": control_value,
        "control_effect": control_effect,
        "baseline": baseline,
        "baseline_level": baseline_level,
        "baseline_trend": trend,
        "baseline_seasonality": seasonality,
        "baseline_noise": noise,
        "y": y,
        "spend_level": spend_level,
        "spend_scale": scale,
        "effectiveness": effectiveness,
        "channel_coefficient": coefficient,
        "control_level": control_level,
        "control_coefficient": control_coefficient,
        "roas": roas,
        "mroas": mroas,
        "attribution": attribution,
        "media_share": media_share,
        **params,
        **({"population": population} if _stores_population(config) else {}),
    }


def _population(population, level: np.ndarray) -> np.ndarray:
    """People per (replicate, geo): given per geo, a total split by baseline level, or the level itself."""
    if population is None:
        return level.copy()
    if isinstance(population, (list, tuple)):
        return np.broadcast_to(np.asarray(population, dtype=float), level.shape).copy()
    return float(population) * level / level.sum(axis=-1, keepdims=True)


def _stores_population(config: MMMDataConfig) -> bool:
    return config.regions.population is not None or config.transforms.spend_scaling == "per_capita_median"


def per_capita_median_scale(spend: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Google Meridian's media scale: population x the channel's median non-zero spend per head.

    Parameters
    ----------
    spend : numpy.ndarray
        (R, G, S, T) spend.
    population : numpy.ndarray
        (R, G) people per geo.

    Returns
    -------
    numpy.ndarray
        (R, G, S): ``population[g] * median`` over geos and periods of the
        non-zero values of ``spend / population`` (NaN for a channel that never
        spends), computed as ``meridian.model.transformers.MediaTransformer`` does.
    """
    per_capita = spend / population[:, :, None, None]
    per_capita = np.where(per_capita == 0.0, np.nan, per_capita)
    r, g, s, t = per_capita.shape
    pooled = np.moveaxis(per_capita, 2, 1).reshape(r, s, g * t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slice: a channel that never spends
        median = np.nanmedian(pooled, axis=-1)
    return population[:, :, None] * median[:, None, :]


def _parameter_scale(transforms: ChannelTransforms, family: str, pname: str) -> str:
    for name, _ in getattr(transforms, family):
        for p in get_transform(family, name).numeric_parameters:
            if p.name == pname:
                return p.scale
    return "real"


def _apply_transforms(
    x: np.ndarray, transforms: ChannelTransforms, params: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Adstock then saturation of scaled spend (R, G, S, T), one kernel call per kind."""
    adstocked = np.empty_like(x)
    for (name, structural), idx in transforms.groups("adstock").items():
        spec = get_transform("adstock", name)
        numeric = {p.name: params[f"adstock_{p.name}"][:, :, idx] for p in spec.numeric_parameters}
        adstocked[:, :, idx, :] = spec.apply(x[:, :, idx, :], **numeric, **dict(structural))
    saturated = np.empty_like(x)
    for (name, structural), idx in transforms.groups("saturation").items():
        spec = get_transform("saturation", name)
        numeric = {p.name: params[f"saturation_{p.name}"][:, :, idx] for p in spec.numeric_parameters}
        saturated[:, :, idx, :] = spec.apply(adstocked[:, :, idx, :], **numeric, **dict(structural))
    return adstocked, saturated


def base_values(
    config: MMMDataConfig, n_replicates: int, transforms: ChannelTransforms | None = None
) -> dict[str, np.ndarray]:
    """Configured base values with a leading replicate axis, before regional variation.

    Keys: ``regions.<field>`` (R,), ``channels.<field>`` (R, S),
    ``controls.<field>`` (R, K) and ``transforms.<family>_<param>`` (R, S)
    (NaN for channels whose function has no such parameter).  Simulation
    studies replace entries with sampled values.
    """
    r = n_replicates

    def rep(v):
        return np.repeat(np.asarray(v, dtype=float)[None, ...], r, axis=0)

    reg = config.regions
    out = {
        f"regions.{f}": rep(getattr(reg, f))
        for f in ("base_sales_rate", "sales_trend", "sales_volatility", "seasonal_amplitude")
    }
    # a custom pattern returns spend in currency: its level is the regional factor alone
    out["channels.base_spend"] = rep([1.0 if c.pattern == "custom" else c.base_spend for c in config.channels])
    out["channels.base_effectiveness"] = rep([c.base_effectiveness for c in config.channels])
    out["controls.base_value"] = rep(
        [1.0 if c.pattern == "custom" else c.base_value for c in config.control_variables]
    ).reshape(r, -1)
    out["controls.base_effectiveness"] = rep(
        [c.base_effectiveness for c in config.control_variables]
    ).reshape(r, -1)
    transforms = transforms or ChannelTransforms.of(config)
    for family in ("adstock", "saturation"):
        for pname in transforms.parameter_names(family):
            column = [params.get(pname, np.nan) for _, params in getattr(transforms, family)]
            out[f"transforms.{family}_{pname}"] = rep(column)
    return out


# --------------------------------------------------------------------------- checks
def _check_outcome(arrays: Mapping[str, np.ndarray], config: MMMDataConfig, replicates: Sequence[int]) -> None:
    y = arrays["y"]
    if (y >= 0).all():
        return
    r, g, t = np.argwhere(y < 0)[0]
    where = f"replicate {replicates[r]}, " if len(replicates) > 1 or replicates[r] != 0 else ""
    raise GenerationError(
        f"y would be negative ({y[r, g, t]:.4g}) in {where}geo {config.region_names[g]!r} on "
        f"{config.dates[t].date()} (baseline {arrays['baseline'][r, g, t]:.4g}, control effects "
        f"{arrays['control_effect'][r, g, :, t].sum():.4g}); raise regions.base_sales_rate, lower "
        "regions.sales_volatility or a negative regions.sales_trend, or make negative control "
        "effects (base_effectiveness) smaller"
    )


def _suspicious(
    config: MMMDataConfig, arrays: Mapping[str, np.ndarray], transforms: ChannelTransforms | None = None
) -> list[str]:
    """Legal but suspicious settings, each with the reason."""
    messages = []
    n = config.n_periods
    transforms = transforms or ChannelTransforms.of(config)
    spend = arrays["spend"][0]
    for i, channel in enumerate(config.channels):
        label = f"channels[{i}] ({channel.name!r})"
        never = [config.region_names[g] for g in np.flatnonzero(spend[:, i, :].max(axis=-1) <= 0)]
        if never:
            messages.append(f"{label} never spends in geo(s) {', '.join(never)}: its effect cannot be estimated")
        name, params = transforms.adstock[i]
        if params.get("l_max", 0) > n:
            messages.append(
                f"{label}: adstock l_max ({params['l_max']}) is longer than the series ({n} periods); "
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
        if channel.trend < 0 and 1 + channel.trend * (n - 1) <= 0:
            messages.append(
                f"{label}: spend_trend {channel.trend} brings spend to zero at period "
                f"{int(np.ceil(-1 / channel.trend))} of {n}"
            )
    messages += _saturation_range_warnings(config, arrays, transforms)
    return messages


def _elasticities(spec, points: np.ndarray, numeric: Mapping, structural: Mapping) -> np.ndarray:
    """``d log f / d log x`` of a saturation curve at each point (central differences)."""
    h = 1e-4
    lo, hi = spec.apply(np.stack([points * (1 - h), points * (1 + h)]).T, **numeric, **structural).T
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (np.log(hi) - np.log(lo)) / (np.log1p(h) - np.log1p(-h))
    return np.where((lo > 0) & (hi > 0), e, np.nan)


def _saturation_range_warnings(config, arrays, transforms) -> list[str]:
    """Warn when spend covers only the linear part of a curve, or only its flat top.

    Uses the elasticity ``d log f / d log x`` of the saturation at the typical
    (median active) and the largest adstocked value: close to its value near
    zero at the largest value means the curve barely bends over the observed
    range (almost linear, or for S-shaped curves almost dead); close to zero
    at the typical value means extra spend adds almost nothing.
    """
    messages = []
    adstocked = arrays["adstocked"][0]  # (G, S, T)
    for i, channel in enumerate(config.channels):
        name, _ = transforms.saturation[i]
        if name == "none":
            continue
        spec = get_transform("saturation", name)
        x = adstocked[:, i, :]
        active = x[x > 0]
        if active.size == 0:
            continue
        numeric = {p.name: np.nanmedian(arrays[f"saturation_{p.name}"][0][:, i]) for p in spec.numeric_parameters}
        structural = {p.name: transforms.saturation[i][1][p.name] for p in spec.structural_parameters}
        typical, largest = np.median(active), active.max()
        e0, e_typ, e_max = _elasticities(spec, np.array([largest * 1e-6, typical, largest]), numeric, structural)
        label = f"channels[{i}] ({channel.name!r})"
        if np.isfinite(e0) and np.isfinite(e_max) and e0 > 0 and abs(e_max - e0) < 0.05 * e0:
            messages.append(
                f"{label}: the {name} curve barely bends over the scaled spend range (up to {largest:.3g}); "
                "the channel is almost linear (or, for an S-shaped curve, almost dead): its saturation "
                "parameters cannot be recovered; move the half-point towards the scaled spend (or, for "
                "parameters in currency units, set transforms.spend_scaling='none')"
            )
        elif np.isfinite(e_typ) and e_typ < 0.05:
            messages.append(
                f"{label}: the {name} curve is flat at the typical scaled spend ({typical:.3g}); the channel "
                "is saturated and extra spend adds almost nothing; move the half-point up"
            )
    return messages


# --------------------------------------------------------------------------- to Dataset
_SERIES = {
    "spend": ("channel", "Spend", "currency per period"),
    "adstocked": ("channel", "Adstocked scaled spend", "1"),
    "saturated": ("channel", "Saturated adstocked scaled spend", "1"),
    "contribution": ("channel", "Channel contribution to y", "y"),
    "control_value": ("control", "Control variable value", "control units"),
    "control_effect": ("control", "Control effect on y", "y"),
}
_BASELINE = {
    "baseline": "Baseline sales (level + trend + seasonality + noise)",
    "baseline_level": "Baseline level",
    "baseline_trend": "Baseline trend component",
    "baseline_seasonality": "Baseline seasonality component",
    "baseline_noise": "Baseline noise component",
    "y": "Outcome: baseline + control effects + channel contributions",
}
_TRUTH = {
    "spend_level": ("channel", "Spend level (base_spend x regional factor)", "currency per period"),
    "spend_scale": ("channel", "Scale dividing spend before the transforms", "currency per period"),
    "effectiveness": ("channel", "Effect of a fully saturated channel as a share of the baseline level", "1"),
    "channel_coefficient": ("channel", "Contribution per unit of saturated signal (effectiveness x level)", "y"),
    "roas": ("channel", "Return on ad spend: sum(contribution) / sum(spend)", "y per currency"),
    "mroas": ("channel", f"Marginal ROAS for a {MARGINAL_STEP:.0%} spend increase", "y per currency"),
    "attribution": ("channel", "Share of the geo's media contribution", "percent"),
    "control_level": ("control", "Control value level (base_value x regional factor)", "control units"),
    "control_coefficient": ("control", "Control effect per unit of control value", "y per control unit"),
}
_POPULATION = ("People per geo (per-capita spend scaling, Meridian hand-off)", "people")


def to_dataset(
    arrays: Mapping[str, np.ndarray],
    config: MMMDataConfig,
    replicate_axis: bool,
    replicates: Sequence[int] | None = None,
    transforms: ChannelTransforms | None = None,
) -> xr.Dataset:
    """Label the arrays of :func:`simulate_arrays` as one Dataset.

    With ``replicate_axis=False`` the single replicate is dropped from every
    variable; otherwise every variable gets a leading ``replicate`` dim.
    """
    rep: tuple = (0,) if not replicate_axis else (slice(None),)
    lead = ("replicate",) if replicate_axis else ()

    def take(name):
        return arrays[name][rep]

    def dated(arr):  # (..., G, X, T) -> (..., T, G, X)  or (..., G, T) -> (..., T, G)
        return np.moveaxis(arr, -1, -3 if arr.ndim - len(lead) == 3 else -2)

    data_vars = {}
    for name, (kind, long_name, units) in _SERIES.items():
        data_vars[name] = (lead + ("date", "geo", kind), dated(take(name)), {"long_name": long_name, "units": units})
    for name, long_name in _BASELINE.items():
        data_vars[name] = (lead + ("date", "geo"), dated(take(name)), {"long_name": long_name, "units": "y"})
    for name, (kind, long_name, units) in _TRUTH.items():
        data_vars[name] = (lead + ("geo", kind), take(name), {"long_name": long_name, "units": units})
    data_vars["media_share"] = (lead + ("geo",), take("media_share"),
                                {"long_name": "Media contribution as a share of y", "units": "percent"})
    if "population" in arrays:
        data_vars["population"] = (lead + ("geo",), take("population"),
                                   {"long_name": _POPULATION[0], "units": _POPULATION[1]})

    transforms = transforms or ChannelTransforms.of(config)
    for family in ("adstock", "saturation"):
        for pname in transforms.parameter_names(family):
            key = f"{family}_{pname}"
            data_vars[key] = (lead + ("geo", "channel"), take(key),
                              {"long_name": f"True {family} parameter {pname} (NaN where unused)", "units": "1"})
        data_vars[f"{family}_function"] = (("channel",), np.array([n for n, _ in getattr(transforms, family)], dtype=str),
                                           {"long_name": f"{family} function (pymc-marketing name)"})
        for pname, values in _structural_columns(transforms, family).items():
            data_vars[f"{family}_{pname}"] = (("channel",), values, {"long_name": f"{family} {pname}"})

    coords = {
        "date": config.dates.values,
        "geo": np.array(config.region_names, dtype=str),
        "channel": np.array(config.channel_names, dtype=str),
        "control": np.array(config.control_names, dtype=str),
        "channel_column": ("channel", np.array(channel_columns(config), dtype=str)),
        "control_column": ("control", np.array(control_columns(config), dtype=str)),
    }
    if replicate_axis:
        coords["replicate"] = np.asarray(replicates if replicates is not None else range(arrays["y"].shape[0]))
    attrs = {
        "title": "Synthetic marketing mix dataset with known ground truth",
        "xmmm_version": __version__,
        "xmmm_config": json.dumps(config.to_dict(), sort_keys=True),
        "seed": int(config.seed),
        "frequency": config.frequency,
        "Conventions": "CF-1.8",
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _structural_columns(transforms: ChannelTransforms, family: str) -> dict[str, np.ndarray]:
    """One column per structural option used by any channel (fill: False, 0 or "" where unused)."""
    names: list[str] = []
    for name, _ in getattr(transforms, family):
        for p in get_transform(family, name).structural_parameters:
            if p.name not in names:
                names.append(p.name)
    out = {}
    for pname in names:
        column = [params.get(pname) for _, params in getattr(transforms, family)]
        sample = next(v for v in column if v is not None)
        if isinstance(sample, bool):
            out[pname] = np.array([bool(v) if v is not None else False for v in column])
        elif isinstance(sample, (int, np.integer)):
            out[pname] = np.array([int(v) if v is not None else 0 for v in column], dtype=np.int64)
        else:
            out[pname] = np.array([str(getattr(v, "value", v)) if v is not None else "" for v in column], dtype=str)
    return out


def channel_columns(config: MMMDataConfig) -> list[str]:
    """Export column names of the channels: ``x1-<label>``, ``x2-<label>``, ..."""
    return [f"x{i + 1}-{c.column_label}" for i, c in enumerate(config.channels)]


def control_columns(config: MMMDataConfig) -> list[str]:
    """Export column names of the controls: ``c1-<label>``, ..."""
    return [f"c{i + 1}-{c.column_label}" for i, c in enumerate(config.control_variables)]
