"""Library families: which configs a modelling library can represent exactly, and moving a config inside.

A *family* is the set of data a library's model can reproduce exactly at some
parameter values.  xmmm knows two:

``"pymc-marketing"``
    ``pymc_marketing.mmm.multidimensional.MMM`` with ``dims=("geo",)``: one
    adstock and one saturation component (one function, one ``l_max``,
    ``normalize``, ``mode`` for every channel), parameters free per (geo,
    channel); channels scaled by their per-geo maximum (or mean); the baseline
    as an intercept, a known control ``t`` (the period number over the
    number of periods: the trend) and
    ``YearlyFourier`` terms (phase ``day_of_year / 365.25``, hence
    ``regions.seasonal_period_days = 365.25``).
``"meridian"``
    Google Meridian: media per head divided by the channel's median non-zero
    value across geos and periods (``transforms.spend_scaling =
    "per_capita_median"``), geometric adstock with one ``max_lag``, a Hill
    curve (``michaelis_menten`` is a Hill curve with slope 1), ``alpha_m``,
    ``ec_m`` and ``slope_m`` per channel shared by all geos
    (``regions.transform_variation = 0``), coefficients ``beta_gm`` varying by
    geo, geo effects ``tau_g``, a time effect ``mu_t``, control coefficients
    ``gamma_gc`` and one noise scale ``sigma``; the baseline per head the same
    function of time in every geo (population proportional to the baseline
    level, ``regions.population`` a total or ``None``).

Neither family holds a multiplicative outcome, noise other than independent
normal errors, a drifting level, time-varying media effects, a latent demand
or data problems (the models reproduce the true series, not reported ones).

:func:`family_problems` lists every way a config is outside a family,
:func:`validate_config` raises them as one :class:`~xmmm.errors.ConfigError`,
and :func:`to_target` moves a config inside (used by
``get_preset_config(name, target=...)``), keeping its channels, spend patterns,
regions and sizes.

Examples
--------
>>> import xmmm
>>> from xmmm.targets import family_problems, to_target
>>> config = xmmm.get_preset_config("basic")
>>> print(family_problems(config, "pymc-marketing")[0])  # doctest: +ELLIPSIS
transforms.adstock_kwargs: pymc-marketing's MMM takes one l_max for all channels; ...
>>> family_problems(to_target(config, "pymc-marketing"), "pymc-marketing")
[]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from xmmm.checks import join
from xmmm.config import MMMDataConfig, apply_overrides, collect_problems
from xmmm.errors import ConfigError
from xmmm.transforms import get_transform

__all__ = [
    "TARGETS",
    "HILL_LIKE",
    "MERIDIAN_SATURATIONS",
    "JULIAN_YEAR_DAYS",
    "MEDIAN_TO_MAX",
    "check_target",
    "family_problems",
    "validate_config",
    "to_target",
    "geometric_alpha_like",
    "hill_like",
]

#: The library families a config can be moved into.
TARGETS = ("pymc-marketing", "meridian")

#: Days per year of pymc-marketing's ``YearlyFourier`` (its phase is ``day_of_year / 365.25``).
JULIAN_YEAR_DAYS = 365.25

#: Ratio used to carry a half-saturation point from per-geo-maximum scaling to
#: Meridian's median scaling: a channel's largest spend is typically about twice
#: its median (1.7 to 3.2 on average over the presets' channels), so a curve
#: keeps about the same bend over the spend range when ``kappa`` doubles.
MEDIAN_TO_MAX = 2.0

# the Hill curve with the half-point and the elasticity there of tanh / logistic
_ATANH_HALF = math.atanh(0.5)
_TANH_SLOPE = 3.0 * _ATANH_HALF

#: Saturation functions :func:`hill_like` has a Hill curve for.
HILL_LIKE = ("hill_function", "michaelis_menten", "logistic_saturation", "tanh_saturation")

#: Saturation functions Meridian's Hill curve reproduces exactly (a coefficient
#: absorbs Michaelis-Menten's ``alpha``).
MERIDIAN_SATURATIONS = ("hill_function", "michaelis_menten")


def check_target(target: str | None) -> str | None:
    """``target`` if it names a family (or is ``None``), else a ``ConfigError`` naming the valid ones."""
    if target is None or target in TARGETS:
        return target
    raise ConfigError(f"target must be None or one of {', '.join(map(repr, TARGETS))}; got {target!r}")


# --------------------------------------------------------------------------- conversions
def hill_like(name: str, params: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None:
    """The Hill curve standing in for a saturation curve: ``(kappa, slope, ceiling, exact)``.

    ``ceiling * hill(x; kappa, slope)`` equals the curve exactly for
    ``hill_function`` (ceiling 1) and ``michaelis_menten`` (slope 1, ceiling
    ``alpha``).  ``logistic_saturation`` and ``tanh_saturation`` get the Hill
    curve with the same half-saturation point and the same elasticity
    ``d log f / d log x`` there (slope ``3 atanh(1/2)`` = 1.648), so close but
    not equal.  ``None`` for curves without a ceiling (``root_saturation``,
    ``"none"``, ...).

    Parameters
    ----------
    name : str
        xmmm (pymc-marketing) function name.
    params : mapping
        Its numeric parameters, scalars or arrays.

    Examples
    --------
    >>> kappa, slope, ceiling, exact = hill_like("michaelis_menten", {"alpha": 2.0, "lam": 0.4})
    >>> float(kappa), float(slope), float(ceiling), exact
    (0.4, 1.0, 2.0, True)
    >>> kappa, slope, _, exact = hill_like("logistic_saturation", {"lam": 3.0})
    >>> round(float(kappa), 4), round(float(slope), 4), exact
    (0.3662, 1.6479, False)
    """
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    if name == "hill_function":
        return p["kappa"], p["slope"], np.ones_like(p["kappa"]), True
    if name == "michaelis_menten":
        return p["lam"], np.ones_like(p["lam"]), p["alpha"], True
    if name == "logistic_saturation":
        return math.log(3.0) / p["lam"], np.full_like(p["lam"], _TANH_SLOPE), np.ones_like(p["lam"]), False
    if name == "tanh_saturation":
        b, c = np.broadcast_arrays(p["b"], p["c"])
        return b * c * _ATANH_HALF, np.full_like(b, _TANH_SLOPE), b.copy(), False
    return None


def _mean_lag(weights: np.ndarray) -> np.ndarray:
    lags = np.arange(weights.shape[-1], dtype=float)
    return (weights * lags).sum(-1) / weights.sum(-1)


def geometric_alpha_like(name: str, params: Mapping, l_max: int) -> np.ndarray:
    """Geometric retention ``alpha`` (over ``l_max`` lags) with the same mean lag as an adstock.

    A geometric adstock keeps its ``alpha``, ``"none"`` is ``alpha = 0``;
    other adstocks (delayed, Weibull, binomial) get the ``alpha`` whose
    normalised geometric weights have the same mean lag as their own
    normalised weights (capped where a geometric kernel of ``l_max`` lags
    cannot carry over that long).

    Parameters
    ----------
    name : str
        Adstock function name.
    params : mapping
        Its resolved parameters (numeric ones may be arrays; structural ones scalars).
    l_max : int
        Number of lags of the geometric kernel.

    Examples
    --------
    >>> float(geometric_alpha_like("geometric_adstock", {"alpha": 0.3, "l_max": 4}, 8))
    0.3
    >>> alpha = geometric_alpha_like("delayed_adstock", {"alpha": 0.6, "theta": 1.5, "l_max": 8}, 8)
    >>> 0.5 < float(alpha) < 0.8
    True
    """
    spec = get_transform("adstock", name)
    if name == "geometric_adstock":
        return np.asarray(params["alpha"], dtype=float)
    if name == "none":
        return np.asarray(0.0)
    numeric = {p.name: np.asarray(params[p.name], dtype=float) for p in spec.numeric_parameters}
    structural = {p.name: params.get(p.name, p.default) for p in spec.structural_parameters if p.name != "mode"}
    target = _mean_lag(spec.weights(**numeric, **{**structural, "normalize": True}))
    lo, hi = np.zeros_like(target), np.full_like(target, 0.999)
    for _ in range(60):  # bisection: the mean lag of geometric weights grows with alpha
        mid = 0.5 * (lo + hi)
        w = mid[..., None] ** np.arange(l_max)
        too_short = _mean_lag(w) < target
        lo, hi = np.where(too_short, mid, lo), np.where(too_short, hi, mid)
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------- family rules
def _channel_transforms(config: MMMDataConfig, family: str) -> list[tuple[str, dict]]:
    return [config.transforms.for_channel(i, family) for i in range(len(config.channels))]


def _listing(config: MMMDataConfig, values: Sequence) -> str:
    """``value (ch1, ch2), other (ch3)`` in first-seen order."""
    groups: dict[str, list[str]] = {}
    for channel, value in zip(config.channel_names, values):
        groups.setdefault(str(value), []).append(channel)
    return ", ".join(f"{value} ({', '.join(names)})" for value, names in groups.items())


def _one_option(config, family: str, option: str, transforms, problems: list[str], library: str) -> None:
    values = [params.get(option) for _, params in transforms]
    if len({str(v) for v in values if v is not None}) > 1:
        shown = _listing(config, [v if v is not None else "-" for v in values])
        problems.append(
            f"transforms.{family}_kwargs: {library} takes one {option} for all channels; channels use "
            f"{option} {shown}"
        )


def _pymc_marketing_problems(config: MMMDataConfig) -> list[str]:
    problems: list[str] = []
    library = "pymc-marketing's MMM"
    for family in ("adstock", "saturation"):
        transforms = _channel_transforms(config, family)
        names = [name for name, _ in transforms]
        if len(set(names)) > 1:
            problems.append(
                f"transforms.{family}_fun: {library} takes one {family} for all channels; channels use "
                f"{_listing(config, names)}"
            )
            continue
        for p in get_transform(family, names[0]).structural_parameters:
            _one_option(config, family, p.name, transforms, problems, library)
        if names[0] == "inverse_scaled_logistic_saturation":
            eps = {params["eps"] for _, params in transforms}
            if any(not math.isclose(e, math.log(3.0), rel_tol=1e-12) for e in eps):
                problems.append(
                    "transforms.saturation_kwargs: pymc-marketing's InverseScaledLogisticSaturation fixes "
                    f"eps = log(3); channels use eps {_listing(config, [p['eps'] for _, p in transforms])}"
                )
            elif _varies_by_geo(config):
                problems.append(
                    "regions.transform_variation must be 0 with inverse_scaled_logistic_saturation and several "
                    "regions: the regional variation moves eps away from log(3), which pymc-marketing fixes; "
                    f"got {config.regions.transform_variation!r}"
                )
    if config.transforms.spend_scaling not in ("max", "mean"):
        problems.append(
            "transforms.spend_scaling must be 'max' or 'mean' (pymc-marketing's MMM scales each channel by "
            f"its per-geo maximum or mean); got {config.transforms.spend_scaling!r}"
        )
    regions = config.regions
    if regions.seasonal_amplitude != 0 and regions.seasonal_period_days != JULIAN_YEAR_DAYS:
        problems.append(
            f"regions.seasonal_period_days must be {JULIAN_YEAR_DAYS} when regions.seasonal_amplitude is not 0 "
            "(pymc-marketing's YearlyFourier terms have phase day_of_year / 365.25); got "
            f"{regions.seasonal_period_days!r}"
            + (" (the calendar year)" if regions.seasonal_period_days is None else "")
        )
    return problems


def _world_problems(config: MMMDataConfig, library: str) -> list[str]:
    """What neither library's model holds: the harder worlds' mechanisms (see :mod:`xmmm.world`, :mod:`xmmm.causal`)."""
    problems: list[str] = []
    if config.outcome_model != "additive":
        problems.append(f"outcome_model must be 'additive' ({library}'s outcome is the sum of its terms); "
                        f"got {config.outcome_model!r}")
    regions = config.regions
    if regions.noise != "normal" or regions.noise_ar != 0:
        problems.append(f"regions.noise must be 'normal' with noise_ar 0 ({library}'s likelihood has independent "
                        f"normal errors of one standard deviation); got {regions.noise!r}, noise_ar {regions.noise_ar!r}")
    if regions.level_variation is not None:
        problems.append(f"regions.level_variation must be None ({library}'s baseline has no drifting level)")
    varying = [c.name for c in config.channels if c.effectiveness_variation is not None]
    if varying:
        problems.append(f"channels' effectiveness_variation must be None ({library}'s media effects are constant "
                        f"in time); {', '.join(varying)} vary")
    if config.demand is not None:
        problems.append(f"demand must be None (its effect on the outcome is in none of {library}'s terms)")
    if config.data_issues is not None:
        problems.append(f"data_issues must be None ({library}'s model at the truth reproduces the true series, "
                        "not reported ones with missing rows, outliers, breaks or measurement error)")
    return problems


def _varies_by_geo(config: MMMDataConfig) -> bool:
    regions = config.regions
    return regions.n_regions > 1 and regions.transform_variation > 0 and regions.region_similarity < 1


def _meridian_problems(config: MMMDataConfig) -> list[str]:
    problems: list[str] = []
    adstocks = _channel_transforms(config, "adstock")
    names = [name for name, _ in adstocks]
    if any(name not in ("geometric_adstock", "none") for name in names):
        problems.append(
            "transforms.adstock_fun: Meridian's adstock is geometric (an adstock of 'none' is alpha = 0); "
            f"channels use {_listing(config, names)}"
        )
    else:
        lagged = [(i, params) for i, (name, params) in enumerate(adstocks) if name != "none"]
        if len({params["l_max"] for _, params in lagged}) > 1:
            shown = _listing(config, [params.get("l_max", "-") for _, params in adstocks])
            problems.append(
                "transforms.adstock_kwargs: Meridian takes one max_lag (l_max - 1) for all channels; "
                f"channels use l_max {shown}"
            )
        if any(params["mode"] != "After" for _, params in lagged):
            shown = _listing(config, [params.get("mode", "-") for _, params in adstocks])
            problems.append(
                "transforms.adstock_kwargs: Meridian's carry-over follows spend (mode 'After'); channels use "
                f"mode {shown}"
            )
    saturations = [name for name, _ in _channel_transforms(config, "saturation")]
    if any(name not in MERIDIAN_SATURATIONS for name in saturations):
        problems.append(
            "transforms.saturation_fun: Meridian's saturation is a Hill curve (hill_function, or "
            f"michaelis_menten with slope 1); channels use {_listing(config, saturations)}"
        )
    regions = config.regions
    if regions.n_regions > 1:
        if _varies_by_geo(config):
            problems.append(
                "regions.transform_variation must be 0 with several regions (Meridian's alpha_m, ec_m and "
                f"slope_m are shared by all geos); got {regions.transform_variation!r}"
            )
        if config.transforms.spend_scaling != "per_capita_median":
            problems.append(
                "transforms.spend_scaling must be 'per_capita_median' with several regions (Meridian divides "
                "media per head by the channel's median across geos and periods, so one ec_m fits every geo); "
                f"got {config.transforms.spend_scaling!r}"
            )
        time_varying = regions.sales_trend != 0 or regions.seasonal_amplitude != 0 or regions.sales_volatility != 0
        if isinstance(regions.population, list) and time_varying:
            problems.append(
                "regions.population must be None or a total (split in proportion to the baseline level) with "
                "several regions: then trend, seasonality and noise per head are the same in every geo, as "
                "Meridian's time effect mu_t and single sigma require; got a list per geo"
            )
    if not _at_least_daily(config):
        problems.append(
            f"frequency must be daily or longer (Meridian labels periods by date); got {config.frequency!r}"
        )
    return problems


def _at_least_daily(config: MMMDataConfig) -> bool:
    dates = config.dates
    return len(dates) < 2 or bool(np.min(np.diff(dates.values)) >= np.timedelta64(1, "D"))


def family_problems(config: MMMDataConfig, target: str) -> list[str]:
    """Every way ``config`` is outside a library's family, one message each (empty if inside).

    Parameters
    ----------
    config : MMMDataConfig
    target : {"pymc-marketing", "meridian"}

    Returns
    -------
    list of str
        Each names the field, what the library needs and what the config has.

    Examples
    --------
    >>> import xmmm
    >>> for problem in family_problems(xmmm.get_preset_config("multi_region"), "meridian"):
    ...     print(problem.split(" (")[0])
    transforms.adstock_kwargs: Meridian takes one max_lag
    regions.transform_variation must be 0 with several regions
    transforms.spend_scaling must be 'per_capita_median' with several regions
    """
    check_target(target)
    if target is None:
        return []
    media, _ = _without_treatments(config)
    pymc = target == "pymc-marketing"
    problems = _kind_problems(config, target)
    if media is not None:
        problems += _pymc_marketing_problems(media) if pymc else _meridian_problems(media)
    return problems + _world_problems(config, "pymc-marketing's MMM" if pymc else "Meridian")


# --------------------------------------------------------------------------- channel kinds
def _kind_problems(config: MMMDataConfig, target: str) -> list[str]:
    """What a library cannot take of the channel kinds (treatments enter both linearly, as they are)."""
    if target != "pymc-marketing":
        return []
    return [
        f"channels[{i}] ({c.name!r}).kind: pymc-marketing's MMM has no reach-and-frequency channels (Hill on "
        f"frequency times the scaled reach, then adstock); got {c.kind!r} (to_target makes it "
        f"{'paid' if c.kind == 'reach_frequency' else 'organic'} impressions)"
        for i, c in enumerate(config.channels) if c.is_reach_frequency
    ]


def _without_treatments(config: MMMDataConfig) -> tuple[MMMDataConfig | None, list[int]]:
    """The config without its non-media treatments (they take no transforms), and their indices.

    ``None`` when every channel is a treatment.  The family rules on
    transforms apply to the media channels only.
    """
    treatments = [i for i, c in enumerate(config.channels) if c.kind == "treatment"]
    if not treatments:
        return config, []
    if len(treatments) == len(config.channels):
        return None, treatments
    plain = config.to_dict()
    keep = [i for i in range(len(config.channels)) if i not in treatments]
    plain["channels"] = [plain["channels"][i] for i in keep]
    transforms = plain["transforms"]
    for key in ("adstock_fun", "adstock_kwargs", "saturation_fun", "saturation_kwargs"):
        if isinstance(transforms[key], list):
            transforms[key] = [transforms[key][i] for i in keep]
    return MMMDataConfig.from_dict(_with_callables(plain, config)), treatments


def _with_callables(plain: dict, config: MMMDataConfig) -> dict:
    """Custom pattern functions back in a config's plain form (so the copy needs no import)."""
    functions = {c.name: c.custom_pattern_func for c in [*config.channels, *config.control_variables]}
    for entry in [*plain["channels"], *plain["control_variables"]]:
        if functions.get(entry["name"]) is not None:
            entry["custom_pattern_func"] = functions[entry["name"]]
    return plain


def _with_treatments(moved: MMMDataConfig, config: MMMDataConfig, treatments: list[int]) -> MMMDataConfig:
    """``moved`` (the media channels) with the treatments of ``config`` back in place, without transforms."""
    if not treatments:
        return moved
    out = moved.copy()
    transforms = out.transforms
    lists = {key: list(getattr(transforms, key)) if isinstance(getattr(transforms, key), list)
             else [getattr(transforms, key)] * len(out.channels)
             for key in ("adstock_fun", "adstock_kwargs", "saturation_fun", "saturation_kwargs")}
    channels = list(out.channels)
    for i in treatments:
        channels.insert(i, config.channels[i])
        for key, values in lists.items():
            values.insert(i, "none" if key.endswith("_fun") else {})
    out.channels = channels
    for key, values in lists.items():
        setattr(transforms, key, values)
    return out


def _reach_frequency_as_impressions(config: MMMDataConfig) -> MMMDataConfig:
    """For pymc-marketing: reach-and-frequency channels bought and counted as impressions.

    The saturation then acts on the scaled impressions: a Hill curve keeps
    its slope and gets the half-saturation point 0.5 (its ``kappa`` was in
    frequency units).
    """
    moved = config.copy()
    transforms = moved.transforms
    for key in ("saturation_fun", "saturation_kwargs"):
        if not isinstance(getattr(transforms, key), list):
            setattr(transforms, key, [getattr(transforms, key)] * len(moved.channels))
    transforms.saturation_kwargs = [dict(k) for k in transforms.saturation_kwargs]
    for i, channel in enumerate(moved.channels):
        if not channel.is_reach_frequency:
            continue
        channel.kind = "paid" if channel.kind == "reach_frequency" else "organic"
        name, _ = config.transforms.for_channel(i, "saturation")
        if name == "hill_function":  # 0.5 on the max scale it is moved to
            scaled = config.transforms.spend_scaling in ("max", "mean")
            transforms.saturation_kwargs[i]["kappa"] = 0.5 if scaled else 0.5 * MEDIAN_TO_MAX
    return moved


def validate_config(config: MMMDataConfig, target: str | None = None) -> None:
    """Check a whole config, and with ``target`` that it lies in that library's family.

    Parameters
    ----------
    config : MMMDataConfig
    target : {None, "pymc-marketing", "meridian"}
        ``None`` checks the config alone.

    Raises
    ------
    ConfigError
        One message listing every problem of the config and, with ``target``,
        every way it is outside the family (see :func:`family_problems`).

    Examples
    --------
    >>> import xmmm
    >>> xmmm.validate_config(xmmm.get_preset_config("basic", target="meridian"), target="meridian")
    >>> xmmm.validate_config(xmmm.get_preset_config("basic"), target="meridian")
    Traceback (most recent call last):
    ...
    xmmm.errors.ConfigError: transforms.adstock_kwargs: Meridian takes one max_lag (l_max - 1) for all channels; channels use l_max 8 (TV), 4 (Search), 6 (Print)
    """
    check_target(target)
    if not isinstance(config, MMMDataConfig):
        raise ConfigError(f"config must be an MMMDataConfig; got {type(config).__name__}")
    problems = collect_problems(config)
    if not problems and target is not None:
        problems = family_problems(config, target)
    if problems:
        raise ConfigError(join(problems))


# --------------------------------------------------------------------------- moving a config inside
def _readable(value) -> float:
    """Three significant digits: converted parameters read like hand-written ones."""
    return float(f"{float(value):.3g}")


def _unified_adstock(config: MMMDataConfig, keep_function: bool) -> tuple[list[str], list[dict]]:
    """One adstock for every channel: the longest l_max; geometric unless ``keep_function`` and uniform."""
    adstocks = _channel_transforms(config, "adstock")
    names = [name for name, _ in adstocks]
    lags = [params["l_max"] for _, params in adstocks if "l_max" in params]
    l_max = max(lags) if lags else 1
    if keep_function and len(set(names)) == 1:
        if names[0] == "none":
            return names, [{} for _ in adstocks]
        # structural options of the first channel for all (l_max: the longest)
        shared = {p.name: adstocks[0][1][p.name] for p in get_transform("adstock", names[0]).structural_parameters}
        shared["l_max"] = l_max
        return names, [{**params, **shared} for _, params in adstocks]
    kwargs = []
    for name, params in adstocks:
        alpha = params["alpha"] if name == "geometric_adstock" else _readable(geometric_alpha_like(name, params, l_max))
        normalize = params["normalize"] if name == "geometric_adstock" else True
        kwargs.append({"alpha": alpha, "l_max": l_max, "normalize": normalize, "mode": "After"})
    return ["geometric_adstock"] * len(adstocks), kwargs


def _unified_saturation(
    config: MMMDataConfig, keep: Sequence[str] | None, half_point_factor: float | Sequence[float] = 1.0
) -> tuple[list[str], list[dict], list[float]]:
    """Hill curves (or the kept functions): names, kwargs and each channel's ceiling (1 when kept).

    ``half_point_factor`` (one, or one per channel) multiplies every
    half-saturation point (``kappa``, Michaelis-Menten's ``lam``), for a
    change of the spend scale.
    """
    saturations = _channel_transforms(config, "saturation")
    factors = ([half_point_factor] * len(saturations) if isinstance(half_point_factor, (int, float))
               else list(half_point_factor))
    names, kwargs, ceilings = [], [], []
    for i, (name, params) in enumerate(saturations):
        half_point_factor = factors[i]
        if keep is not None and name in keep:
            names.append(name)
            half = {"hill_function": "kappa", "michaelis_menten": "lam"}.get(name)
            kwargs.append({**params, **({half: params[half] * half_point_factor} if half else {})})
            ceilings.append(1.0)
            continue
        numeric = {p.name: params[p.name] for p in get_transform("saturation", name).numeric_parameters}
        like = hill_like(name, numeric)
        if like is None:
            raise ConfigError(
                f"channels[{i}] ({config.channel_names[i]!r}): {name} has no Hill equivalent (no ceiling), so the "
                "config cannot be moved into the family; use hill_function, michaelis_menten, "
                "logistic_saturation or tanh_saturation"
            )
        kappa, slope, ceiling, exact = (float(v) if not isinstance(v, bool) else v for v in like)
        kappa *= half_point_factor
        names.append("hill_function")
        kwargs.append({"slope": slope if exact else _readable(slope), "kappa": kappa if exact else _readable(kappa)})
        ceilings.append(ceiling)
    return names, kwargs, ceilings


def _in_plain_world(config: MMMDataConfig) -> MMMDataConfig:
    """A copy without what no family holds: additive outcome, normal noise, constant effects, no demand, clean data.

    Spend policies that read the demand become exogenous (the demand is gone);
    experiments and feedback policies stay (spend is spend).
    """
    from xmmm.causal import DEMAND_POLICIES

    plain = config.copy()
    plain.outcome_model = "additive"
    plain.regions.noise, plain.regions.noise_ar, plain.regions.level_variation = "normal", 0.0, None
    for channel in plain.channels:
        channel.effectiveness_variation = None
        if channel.spend_policy in DEMAND_POLICIES:
            channel.spend_policy, channel.policy_strength, channel.spend_cap = "exogenous", 0.0, None
    plain.demand = None
    plain.data_issues = None
    return plain


#: saturation parameters that scale the curve's input, and how (f(x / s; p) = f(x; p') with p' = p s ** power)
_INPUT_SCALE = {"hill_function": {"kappa": 1}, "michaelis_menten": {"lam": 1}, "logistic_saturation": {"lam": -1},
                "tanh_saturation": {"c": 1}}


def _max_scaled(config: MMMDataConfig) -> MMMDataConfig:
    """The same curves with ``spend_scaling="max"`` instead of parameters in currency units.

    Each half-saturation point is divided by the channel's largest natural
    spend (averaged over geos), so each curve bends as it did over the spend;
    a linear (``"none"``) or root curve moves that factor into ``base_effectiveness``.
    """
    from xmmm.blocks.media import natural_spend
    from xmmm.plan import Plan

    largest = natural_spend(Plan.build(config, [0])).max(axis=-1).mean(axis=(0, 1))  # (S,)
    moved = config.copy()
    names, kwargs = [], []
    for j, (name, params) in enumerate(_channel_transforms(config, "saturation")):
        params = dict(params)
        for pname, power in _INPUT_SCALE.get(name, {}).items():
            params[pname] = _readable(params[pname] * largest[j] ** -power)
        if name == "none":
            moved.channels[j].base_effectiveness = _readable(moved.channels[j].base_effectiveness * largest[j])
        elif name == "root_saturation":
            moved.channels[j].base_effectiveness = _readable(
                moved.channels[j].base_effectiveness * largest[j] ** params["alpha"])
        names.append(name)
        kwargs.append(params)
    moved.transforms.saturation_fun, moved.transforms.saturation_kwargs = names, kwargs
    moved.transforms.spend_scaling = "max"
    return apply_overrides(moved, {})


def to_target(config: MMMDataConfig, target: str) -> MMMDataConfig:
    """A copy of ``config`` moved inside a library's family, keeping channels, spend patterns and sizes.

    Transforms become one adstock with the longest ``l_max`` of the channels
    (geometric: a geometric channel keeps its ``alpha``, other adstocks get
    the geometric ``alpha`` with the same mean lag) and Hill curves:
    Michaelis-Menten is a Hill curve with slope 1; logistic and tanh curves get
    the Hill curve with the same half-saturation point and elasticity there,
    their ceiling moving into ``base_effectiveness``.  What neither family
    holds is dropped first: the outcome becomes additive with normal noise,
    level and effectiveness constant in time, no latent demand (a policy that
    reads it becomes exogenous) and no data problems; experiments and feedback
    policies stay.  Parameters in currency units (``spend_scaling="none"``)
    become parameters of spend over its maximum, each half-saturation point
    divided by the channel's largest spend.  Then:

    * ``"pymc-marketing"``: a config whose channels already share one adstock
      and one saturation function keeps them (only ``l_max`` is unified);
      ``regions.seasonal_period_days = 365.25`` (the year of
      pymc-marketing's ``YearlyFourier``).
    * ``"meridian"``: Michaelis-Menten curves are kept (they are Hill curves);
      ``transforms.spend_scaling = "per_capita_median"`` with every
      half-saturation point (``kappa``, Michaelis-Menten's ``lam``) times
      :data:`MEDIAN_TO_MAX`, so each curve bends about as much over the spend
      range; carry-over after spend (mode ``"After"``);
      ``regions.transform_variation = 0`` (one ``alpha_m``, ``ec_m``,
      ``slope_m`` per channel); a population list becomes its total.

    Parameters
    ----------
    config : MMMDataConfig
    target : {"pymc-marketing", "meridian"}

    Returns
    -------
    MMMDataConfig
        A validated config inside the family (``config`` is not changed).

    Raises
    ------
    ConfigError
        A channel's saturation has no Hill equivalent (``root_saturation``,
        ``"none"``, ...), or ``target`` is unknown.

    Examples
    --------
    >>> import xmmm
    >>> from xmmm.targets import to_target
    >>> moved = to_target(xmmm.get_preset_config("basic"), "meridian")
    >>> moved.transforms.spend_scaling, moved.transforms.adstock_kwargs[1]
    ('per_capita_median', {'alpha': 0.2, 'l_max': 8, 'normalize': True, 'mode': 'After'})
    """
    if check_target(target) is None:
        raise ConfigError("target must be one of 'pymc-marketing', 'meridian' to move a config; got None")
    pymc = target == "pymc-marketing"
    config = original = _in_plain_world(config)
    if pymc:
        config = _reach_frequency_as_impressions(config)
    config, treatments = _without_treatments(config)
    if config is None:  # treatments only: nothing to move
        return original.copy()
    if config.transforms.spend_scaling == "none":
        config = _max_scaled(config)
    adstock_fun, adstock_kwargs = _unified_adstock(config, keep_function=pymc)
    uniform_saturation = len({name for name, _ in _channel_transforms(config, "saturation")}) == 1
    keep = (config.transforms.for_channel(0, "saturation")[0],) if pymc and uniform_saturation else (
        None if pymc else MERIDIAN_SATURATIONS
    )
    # a reach-and-frequency channel's half-point is in frequency units: the media scale does not move it
    to_median = not pymc and config.transforms.spend_scaling != "per_capita_median"
    to_max = pymc and config.transforms.spend_scaling not in ("max", "mean")
    change = MEDIAN_TO_MAX if to_median else 1.0 / MEDIAN_TO_MAX if to_max else 1.0
    factors = [1.0 if c.is_reach_frequency else change for c in config.channels]
    saturation_fun, saturation_kwargs, ceilings = _unified_saturation(config, keep, factors)
    moved = config.copy()
    for channel, ceiling in zip(moved.channels, ceilings):
        if ceiling != 1.0:
            channel.base_effectiveness = float(f"{channel.base_effectiveness * ceiling:.4g}")
    transforms = moved.transforms
    transforms.adstock_fun, transforms.adstock_kwargs = adstock_fun, adstock_kwargs
    transforms.saturation_fun, transforms.saturation_kwargs = saturation_fun, saturation_kwargs
    if pymc:
        moved.regions.seasonal_period_days = JULIAN_YEAR_DAYS
        if to_max:
            transforms.spend_scaling = "max"
    else:
        transforms.spend_scaling = "per_capita_median"
        moved.regions.transform_variation = 0.0
        if isinstance(moved.regions.population, list):
            moved.regions.population = float(sum(moved.regions.population))
    moved = apply_overrides(_with_treatments(moved, original, treatments), {})  # rebuilt: every field checked
    problems = family_problems(moved, target)
    if problems:  # pragma: no cover - the rules above and the checks disagree
        raise ConfigError("moving the config into the family left: " + "; ".join(problems))
    return moved
