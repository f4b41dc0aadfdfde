"""Named configurations: each a business a marketer recognises, with plausible magnitudes.

Every preset is a function that builds a fresh :class:`~xmmm.config.MMMDataConfig`
from explicit numbers (no random state at construction: where many channels
need varied parameters, they come from a local generator with a fixed seed),
so ``get_preset_config(name)`` gives the same config in every process.

Presets
-------
``basic``
    One market, TV / Search / Print over a year; the smallest complete example.
``seasonal``
    A retailer with a strong Christmas peak, seasonal media flighting and holiday weeks.
``multi_region``
    Six sales regions that differ in size, media response and carry-over.
``high_frequency``
    Two years of daily e-commerce data: short carry-over, promotions, weekends.
``digital_heavy``
    An online brand: Search, Social, Display, Video and Affiliates; short carry-over, fast saturation.
``traditional_media``
    A consumer brand on TV, Radio, Print and Out-of-home; long, delayed carry-over, slow saturation.
``small_business``
    A local shop with a few hundred per week on Search, Social, flyers and email.
``enterprise``
    A national advertiser: 14 channels, 30 regions, three years.
``research``
    A design for parameter recovery: weakly correlated channels, varied transforms, moderate noise.
``demo``
    Small and quick, with every spend pattern (including a custom one).
``growing_business``, ``medium_business``, ``large_business``
    The reference generator's benchmark scenarios, rebuilt with plausible numbers.
``time_varying``
    Two years in one market where TV's effect doubles, beside its saturation-only
    twin with the same average response; a drifting Search effect and baseline.
``messy``
    Three regions with missing weeks, a late-joining region, outliers, a structural
    break, spend measurement error and a placebo channel.

Every preset meets, with its own seed: media contribution 10-40 % of ``y``
in every geo, every channel at least 1 % of the media contribution in every
geo, ROAS between 0.2 and 10, and no :class:`~xmmm.errors.XmmmWarning`.
:func:`presets_table_markdown` measures these by generating each preset.

Examples
--------
>>> import xmmm
>>> config = xmmm.get_preset_config("seasonal")
>>> config.n_periods, len(config.channels)
(156, 4)
>>> xmmm.customize_preset("basic", n_periods=104, seed=123).n_periods
104
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from xmmm.scenarios import CAUSAL_PRESETS
from xmmm.config import (
    ChannelConfig,
    ControlConfig,
    DataIssues,
    LevelBreak,
    MissingData,
    MMMDataConfig,
    Placebo,
    RegionConfig,
    TimeVariation,
    TransformConfig,
    apply_overrides,
)
from xmmm.errors import ConfigError
from xmmm.targets import TARGETS, check_target, family_problems, to_target, validate_config

__all__ = [
    "DEFAULT_PRESET_SEED",
    "get_preset_config",
    "list_available_presets",
    "customize_preset",
    "presets_table_markdown",
    "families_table_markdown",
    "quarterly_flights",
    "holiday_weeks",
    "weekend_days",
]

#: Seed of every preset unless ``seed`` is given.
DEFAULT_PRESET_SEED = 20250715


# --------------------------------------------------------------------------- custom pattern functions
# Module-level so that a config holding them round-trips through to_dict /
# from_dict ("xmmm.presets:quarterly_flights").  Each returns the series in
# its own units (spend in currency, 0/1 flags); the generator uses the values
# as returned, times the regional factor.


def quarterly_flights(channel: ChannelConfig, dates, seed: int) -> np.ndarray:
    """Sponsorship spend: a four-period flight at the start of each quarter.

    About 6,000 per period while a flight runs (each flight's budget varies by
    up to 20 %), nothing in between.

    Parameters
    ----------
    channel : ChannelConfig
        The channel (unused; the signature is the one of every custom pattern).
    dates : pandas.DatetimeIndex
        The period dates.
    seed : int
        Seed of this series.

    Returns
    -------
    numpy.ndarray
        Non-negative spend per period.
    """
    rng = np.random.default_rng(seed)
    quarter = np.asarray((dates.year - dates.year[0]) * 4 + (dates.month - 1) // 3)
    budget = 6000.0 * rng.uniform(0.8, 1.2, size=int(quarter.max()) + 1)
    # position of each period within its quarter: the first four are in flight
    first = np.r_[True, quarter[1:] != quarter[:-1]]
    position = np.arange(len(dates)) - np.maximum.accumulate(np.where(first, np.arange(len(dates)), 0))
    return np.where(position < 4, budget[quarter], 0.0)


def holiday_weeks(control: ChannelConfig, dates, seed: int) -> np.ndarray:
    """1 in the periods that hold a retail event, else 0.

    The events: Mother's Day (second Sunday of May), a mid-July online sale
    (12 July), Black Friday (the day after the fourth Thursday of November)
    and Christmas Eve.  Period ``t`` runs from ``dates[t]`` up to the next
    date, so with weekly data the indicator marks the week holding the event
    and with daily data the day itself.

    Parameters
    ----------
    control : ChannelConfig
        The control (unused; the signature is the one of every custom pattern).
    dates : pandas.DatetimeIndex
    seed : int
        Unused: the calendar is not random.

    Returns
    -------
    numpy.ndarray
        0/1 per period.
    """
    import pandas as pd

    events = []
    for year in range(int(dates.year.min()) - 1, int(dates.year.max()) + 1):
        may = pd.date_range(f"{year}-05-01", periods=31, freq="D")
        november = pd.date_range(f"{year}-11-01", periods=30, freq="D")
        events += [
            may[may.day_of_week == 6][1],
            pd.Timestamp(f"{year}-07-12"),
            november[november.day_of_week == 3][3] + pd.Timedelta(days=1),
            pd.Timestamp(f"{year}-12-24"),
        ]
    starts = np.asarray(dates.values)
    step = starts[-1] - starts[-2] if len(starts) > 1 else np.timedelta64(1, "D")
    ends = np.r_[starts[1:], starts[-1] + step]
    days = pd.DatetimeIndex(events).values
    inside = (days[None, :] >= starts[:, None]) & (days[None, :] < ends[:, None])
    return inside.any(axis=1).astype(float)


def weekend_days(control: ChannelConfig, dates, seed: int) -> np.ndarray:
    """1 on Saturdays and Sundays, else 0 (for daily data).

    Parameters
    ----------
    control : ChannelConfig
        The control (unused).
    dates : pandas.DatetimeIndex
    seed : int
        Unused.

    Returns
    -------
    numpy.ndarray
        0/1 per period.
    """
    return (np.asarray(dates.day_of_week) >= 5).astype(float)


# --------------------------------------------------------------------------- building blocks
@dataclass(frozen=True)
class _Media:
    """A channel with its own adstock and saturation, so each reads as one line."""

    channel: ChannelConfig
    adstock: tuple[str, dict]
    saturation: tuple[str, dict]


def _media(name: str, pattern: str, spend: float, effect: float, adstock, saturation, **pattern_kw) -> _Media:
    channel = ChannelConfig(
        name=name, pattern=pattern, base_spend=float(spend), base_effectiveness=float(effect), **pattern_kw
    )
    return _Media(channel, adstock, saturation)


def _geometric(alpha: float, l_max: int) -> tuple[str, dict]:
    return "geometric_adstock", {"alpha": alpha, "l_max": l_max}


def _delayed(alpha: float, theta: float, l_max: int) -> tuple[str, dict]:
    return "delayed_adstock", {"alpha": alpha, "theta": theta, "l_max": l_max}


def _weibull(lam: float, k: float, l_max: int) -> tuple[str, dict]:
    return "weibull_adstock", {"lam": lam, "k": k, "l_max": l_max, "type": "CDF"}


def _binomial(alpha: float, l_max: int) -> tuple[str, dict]:
    return "binomial_adstock", {"alpha": alpha, "l_max": l_max}


def _hill(kappa: float, slope: float = 1.0) -> tuple[str, dict]:
    return "hill_function", {"slope": slope, "kappa": kappa}


def _logistic(lam: float) -> tuple[str, dict]:
    return "logistic_saturation", {"lam": lam}


def _michaelis_menten(lam: float) -> tuple[str, dict]:
    return "michaelis_menten", {"alpha": 1.0, "lam": lam}


def _tanh(b: float, c: float) -> tuple[str, dict]:
    return "tanh_saturation", {"b": b, "c": c}


def _phase_peaking_at(year_fraction: float) -> float:
    """The ``seasonal_phase`` that puts the peak of ``sin(2 pi y + phase)`` at ``y``, in (-pi, pi]."""
    phase = math.pi / 2.0 - 2.0 * math.pi * year_fraction
    return math.remainder(phase, 2.0 * math.pi)


def _price(base_value: float, effect: float, volatility: float = 0.03, trend: float = 0.0) -> ControlConfig:
    """Shelf price around ``base_value``: ``effect`` (negative) is its effect at that price."""
    return ControlConfig(
        name="price",
        pattern="linear_trend",
        base_value=base_value,
        value_volatility=volatility,
        value_trend=trend,
        base_effectiveness=effect,
    )


def _promotion(effect: float, probability: float, min_len: int = 1, max_len: int = 3, name: str = "promotion"):
    """0/1 promotion flag (on/off): ``effect`` is the uplift while it runs."""
    return ControlConfig(
        name=name,
        pattern="on_off",
        base_value=1.0,
        value_volatility=0.0,
        activation_probability=probability,
        min_active_periods=min_len,
        max_active_periods=max_len,
        base_effectiveness=effect,
        regional_value_variation=0.0,
    )


def _holidays(effect: float) -> ControlConfig:
    """0/1 retail event weeks (:func:`holiday_weeks`): ``effect`` is the uplift."""
    return ControlConfig(
        name="holiday",
        pattern="custom",
        custom_pattern_func=holiday_weeks,
        base_value=1.0,
        value_volatility=0.0,
        base_effectiveness=effect,
        regional_value_variation=0.0,
    )


def _assemble(
    media: list[_Media],
    *,
    n_periods: int,
    regions: RegionConfig,
    seed: int,
    controls: list[ControlConfig] | None = None,
    frequency: str = "W",
    start_date: str = "2021-01-03",
    spend_scaling: str = "max",
    **fields,
) -> MMMDataConfig:
    return MMMDataConfig(
        n_periods=n_periods,
        start_date=start_date,
        frequency=frequency,
        channels=[m.channel for m in media],
        regions=regions,
        transforms=TransformConfig(
            adstock_fun=[m.adstock[0] for m in media],
            adstock_kwargs=[dict(m.adstock[1]) for m in media],
            saturation_fun=[m.saturation[0] for m in media],
            saturation_kwargs=[dict(m.saturation[1]) for m in media],
            spend_scaling=spend_scaling,
        ),
        control_variables=list(controls or []),
        seed=seed,
        **fields,
    )


# --------------------------------------------------------------------------- the presets
def _basic(seed: int) -> MMMDataConfig:
    # one national market, a year of weekly data, three channels on steady budgets
    return _assemble(
        [
            _media("TV", "linear_trend", 6000, 0.25, _geometric(0.6, 8), _hill(0.5, 1.5),
                   spend_trend=0.002, spend_volatility=0.25),
            _media("Search", "linear_trend", 3500, 0.16, _geometric(0.2, 4), _hill(0.45),
                   spend_trend=0.004, spend_volatility=0.2),
            _media("Print", "linear_trend", 1500, 0.06, _geometric(0.4, 6), _hill(0.6),
                   spend_trend=-0.005, spend_volatility=0.3),
        ],
        n_periods=52,
        regions=RegionConfig(
            n_regions=1, region_names=["national"], base_sales_rate=100_000.0,
            sales_trend=0.001, sales_volatility=0.015, seasonal_amplitude=0.1,
        ),
        seed=seed,
    )


#: the year fraction of 21 December (day 355 of 365): the middle of the week before Christmas
CHRISTMAS_PEAK = 354.0 / 365.0


def _seasonal(seed: int) -> MMMDataConfig:
    # a retailer whose sales peak in the week before Christmas; media flighted ahead of the season
    christmas = _phase_peaking_at(CHRISTMAS_PEAK)
    return _assemble(
        [
            _media("TV", "seasonal", 15000, 0.28, _geometric(0.6, 10), _hill(0.5, 1.5),
                   seasonal_amplitude=0.6, seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.2),
            _media("Search", "seasonal", 8000, 0.16, _geometric(0.2, 4), _hill(0.5),
                   seasonal_amplitude=0.4, seasonal_phase=christmas, spend_volatility=0.15),
            _media("Social", "seasonal", 6000, 0.09, _geometric(0.3, 6), _hill(0.5, 1.2),
                   seasonal_amplitude=0.5, seasonal_phase=_phase_peaking_at(0.88), spend_volatility=0.25),
            _media("Radio", "seasonal", 4000, 0.05, _geometric(0.5, 8), _hill(0.6),
                   seasonal_amplitude=0.3, seasonal_phase=_phase_peaking_at(0.45), spend_volatility=0.25),
        ],
        n_periods=156,
        regions=RegionConfig(
            n_regions=1, region_names=["national"], base_sales_rate=250_000.0,
            sales_trend=0.0005, sales_volatility=0.03, seasonal_amplitude=0.35, seasonal_phase=christmas,
        ),
        controls=[_holidays(0.15), _price(25.0, -0.15)],
        seed=seed,
    )


def _multi_region(seed: int) -> MMMDataConfig:
    # six regions of different size; response and carry-over differ by region
    return _assemble(
        [
            _media("TV", "seasonal", 8000, 0.22, _geometric(0.55, 8), _hill(0.55, 1.5),
                   seasonal_amplitude=0.3, seasonal_phase=_phase_peaking_at(0.8), spend_volatility=0.2),
            _media("Search", "linear_trend", 4000, 0.12, _geometric(0.2, 4), _hill(0.4),
                   spend_trend=0.003, spend_volatility=0.25),
            _media("Social", "on_off", 3000, 0.07, _geometric(0.3, 6), _hill(0.45, 1.2),
                   activation_probability=0.6, min_active_periods=2, max_active_periods=8, spend_volatility=0.2),
            _media("Radio", "linear_trend", 2000, 0.05, _geometric(0.45, 8), _hill(0.6),
                   spend_volatility=0.3),
        ],
        n_periods=104,
        regions=RegionConfig(
            n_regions=6, region_names=["north", "south", "east", "west", "central", "coast"],
            base_sales_rate=80_000.0, sales_trend=0.001, sales_volatility=0.015, seasonal_amplitude=0.15,
            baseline_variation=0.5, channel_param_variation=0.3, transform_variation=0.25,
        ),
        controls=[_price(12.0, -0.25), _promotion(0.06, 0.15)],
        seed=seed,
    )


def _high_frequency(seed: int) -> MMMDataConfig:
    # two years of daily online sales: short carry-over, bursts of social, email drops
    return _assemble(
        [
            _media("Search", "linear_trend", 2500, 0.25, _geometric(0.3, 7), _hill(0.4),
                   spend_trend=0.0005, spend_volatility=0.25),
            _media("Social", "on_off", 2000, 0.16, _geometric(0.4, 10), _hill(0.4, 1.2),
                   activation_probability=0.7, min_active_periods=3, max_active_periods=21, spend_volatility=0.25),
            _media("Display", "linear_trend", 1000, 0.06, _geometric(0.3, 7), _logistic(3.0),
                   spend_volatility=0.35),
            _media("Email", "on_off", 300, 0.05, _geometric(0.2, 3), _hill(0.5),
                   activation_probability=0.3, min_active_periods=1, max_active_periods=2, spend_volatility=0.1),
        ],
        n_periods=730,
        frequency="D",
        start_date="2023-01-01",
        regions=RegionConfig(
            n_regions=2, region_names=["US", "UK"], base_sales_rate=30_000.0,
            sales_trend=0.0002, sales_volatility=0.03, seasonal_amplitude=0.15,
            seasonal_phase=_phase_peaking_at(0.9),
        ),
        controls=[
            ControlConfig(name="weekend", pattern="custom", custom_pattern_func=weekend_days, base_value=1.0,
                          value_volatility=0.0, base_effectiveness=0.12, regional_value_variation=0.0),
            _promotion(0.2, 0.1, 2, 5),
        ],
        seed=seed,
    )


def _digital_heavy(seed: int) -> MMMDataConfig:
    # an online brand: every channel is bought in auctions, effects fade within weeks
    return _assemble(
        [
            _media("Search", "linear_trend", 25000, 0.16, _geometric(0.15, 4), _logistic(3.0),
                   spend_trend=0.003, spend_volatility=0.2),
            _media("Social", "seasonal", 18000, 0.10, _geometric(0.3, 4), _hill(0.3, 1.2),
                   seasonal_amplitude=0.3, seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.25),
            _media("Display", "on_off", 10000, 0.045, _geometric(0.25, 4), _hill(0.25),
                   activation_probability=0.65, min_active_periods=2, max_active_periods=6, spend_volatility=0.2),
            _media("Video", "on_off", 15000, 0.07, _geometric(0.4, 6), _hill(0.35, 1.5),
                   activation_probability=0.5, min_active_periods=2, max_active_periods=6, spend_volatility=0.2),
            _media("Affiliates", "linear_trend", 8000, 0.05, _geometric(0.1, 3), _logistic(2.5),
                   spend_trend=0.002, spend_volatility=0.15),
        ],
        n_periods=104,
        regions=RegionConfig(
            n_regions=3, region_names=["US", "UK", "DE"], base_sales_rate=400_000.0,
            sales_trend=0.002, sales_volatility=0.02, seasonal_amplitude=0.15,
            seasonal_phase=_phase_peaking_at(0.9), baseline_variation=0.4,
        ),
        controls=[_promotion(0.08, 0.2, 1, 2), _price(40.0, -0.15)],
        seed=seed,
    )


def _traditional_media(seed: int) -> MMMDataConfig:
    # a consumer brand on broadcast and print: flighted TV, delayed and long carry-over
    return _assemble(
        [
            _media("TV", "on_off", 60000, 0.35, _delayed(0.8, 2.0, 13), _hill(0.6, 2.0),
                   activation_probability=0.55, min_active_periods=4, max_active_periods=8, spend_volatility=0.15),
            _media("Radio", "seasonal", 15000, 0.09, _geometric(0.6, 10), _hill(0.65, 1.5),
                   seasonal_amplitude=0.4, seasonal_phase=_phase_peaking_at(0.5), spend_volatility=0.2),
            _media("Print", "linear_trend", 12000, 0.07, _weibull(4.0, 1.5, 12), _hill(0.7, 1.2),
                   spend_trend=-0.004, spend_volatility=0.25),
            _media("Out-of-home", "on_off", 20000, 0.10, _delayed(0.7, 1.5, 10), _hill(0.8, 1.5),
                   activation_probability=0.5, min_active_periods=4, max_active_periods=12, spend_volatility=0.1),
        ],
        n_periods=156,
        regions=RegionConfig(
            n_regions=4, region_names=["north", "south", "east", "west"], base_sales_rate=500_000.0,
            sales_trend=0.0005, sales_volatility=0.03, seasonal_amplitude=0.15,
            seasonal_phase=_phase_peaking_at(0.9),
        ),
        controls=[_price(5.0, -0.2, volatility=0.02, trend=0.0005), _promotion(0.05, 0.12, 2, 4)],
        seed=seed,
    )


def _small_business(seed: int) -> MMMDataConfig:
    # a local shop: a few hundred per week, noisy sales, local events
    return _assemble(
        [
            _media("Search", "linear_trend", 375, 0.2, _geometric(0.1, 3), _hill(0.4),
                   spend_trend=0.004, spend_volatility=0.3),
            _media("Social", "seasonal", 225, 0.08, _geometric(0.3, 4), _hill(0.4),
                   seasonal_amplitude=0.4, seasonal_phase=_phase_peaking_at(0.9), spend_volatility=0.3),
            _media("Flyers", "on_off", 600, 0.15, _geometric(0.4, 4), _hill(0.6),
                   activation_probability=0.3, min_active_periods=1, max_active_periods=3, spend_volatility=0.1),
            _media("Email", "on_off", 75, 0.04, _geometric(0.1, 2), _hill(0.5),
                   activation_probability=0.35, min_active_periods=1, max_active_periods=2, spend_volatility=0.05),
        ],
        n_periods=104,
        regions=RegionConfig(
            n_regions=1, region_names=["Local"], base_sales_rate=12_000.0,
            sales_trend=0.001, sales_volatility=0.04, seasonal_amplitude=0.2,
            seasonal_phase=_phase_peaking_at(0.9),
        ),
        controls=[_promotion(0.25, 0.05, 1, 2, name="local_event"), _promotion(0.15, 0.1, 1, 3, name="sale")],
        seed=seed,
    )


def _enterprise(seed: int) -> MMMDataConfig:
    # a national advertiser: 14 channels in 30 regions over three years
    return _assemble(
        [
            _media("TV", "on_off", 80000, 0.12, _delayed(0.75, 2.0, 12), _hill(0.7, 2.0),
                   activation_probability=0.6, min_active_periods=3, max_active_periods=8, spend_volatility=0.15),
            _media("CTV", "linear_trend", 25000, 0.025, _geometric(0.4, 8), _hill(0.5, 1.2),
                   spend_trend=0.004, spend_volatility=0.2),
            _media("Radio", "seasonal", 20000, 0.02, _geometric(0.55, 8), _hill(0.6, 1.5),
                   seasonal_amplitude=0.3, seasonal_phase=_phase_peaking_at(0.5), spend_volatility=0.2),
            _media("Print", "linear_trend", 15000, 0.013, _weibull(3.0, 1.5, 10), _hill(0.6),
                   spend_trend=-0.003, spend_volatility=0.25),
            _media("Out-of-home", "on_off", 25000, 0.03, _delayed(0.65, 1.5, 10), _hill(0.7, 1.5),
                   activation_probability=0.5, min_active_periods=4, max_active_periods=10, spend_volatility=0.1),
            _media("Search-Brand", "linear_trend", 30000, 0.04, _geometric(0.1, 3), _hill(0.3),
                   spend_trend=0.002, spend_volatility=0.15),
            _media("Search-Generic", "seasonal", 45000, 0.05, _geometric(0.15, 4), _logistic(3.0),
                   seasonal_amplitude=0.25, seasonal_phase=_phase_peaking_at(0.9), spend_volatility=0.2),
            _media("Social", "seasonal", 40000, 0.04, _geometric(0.3, 5), _hill(0.4, 1.2),
                   seasonal_amplitude=0.35, seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.2),
            _media("Display", "on_off", 20000, 0.016, _geometric(0.25, 4), _hill(0.35),
                   activation_probability=0.7, min_active_periods=2, max_active_periods=8, spend_volatility=0.2),
            _media("Online-Video", "on_off", 30000, 0.035, _geometric(0.4, 6), _hill(0.45, 1.5),
                   activation_probability=0.5, min_active_periods=3, max_active_periods=6, spend_volatility=0.2),
            _media("Affiliates", "linear_trend", 15000, 0.02, _geometric(0.1, 3), _logistic(2.5),
                   spend_trend=0.003, spend_volatility=0.15),
            _media("Email", "on_off", 6000, 0.012, _geometric(0.1, 2), _hill(0.5),
                   activation_probability=0.4, min_active_periods=1, max_active_periods=2, spend_volatility=0.05),
            _media("Influencer", "delayed_start", 20000, 0.02, _geometric(0.35, 6), _hill(0.45),
                   start_period=40, ramp_up_periods=8, spend_volatility=0.25),
            _media("Podcast", "delayed_start", 10000, 0.018, _geometric(0.5, 8), _hill(0.5),
                   start_period=70, ramp_up_periods=12, spend_volatility=0.2),
        ],
        n_periods=156,
        regions=RegionConfig(
            n_regions=30, base_sales_rate=3_000_000.0, sales_trend=0.0005, sales_volatility=0.02,
            seasonal_amplitude=0.15, seasonal_phase=_phase_peaking_at(0.9),
            baseline_variation=0.4, channel_param_variation=0.2, transform_variation=0.15,
            region_similarity=0.2,
        ),
        controls=[_price(20.0, -0.2), _promotion(0.05, 0.15, 1, 3), _holidays(0.08)],
        seed=seed,
    )


# name, kind, pattern of the large_business channels; the kind sets the ranges
# of carry-over and saturation drawn for it
_LARGE_CHANNELS = (
    ("TV", "broadcast", "on_off"),
    ("TV-Sponsorship", "broadcast", "seasonal"),
    ("CTV", "video", "linear_trend"),
    ("Radio", "broadcast", "seasonal"),
    ("Podcast", "video", "delayed_start"),
    ("Print-National", "print", "linear_trend"),
    ("Print-Local", "print", "on_off"),
    ("OOH-Billboards", "print", "on_off"),
    ("OOH-Transit", "print", "seasonal"),
    ("Cinema", "broadcast", "on_off"),
    ("Search-Brand", "search", "linear_trend"),
    ("Search-Generic", "search", "seasonal"),
    ("Shopping-Ads", "search", "linear_trend"),
    ("Social-Meta", "social", "seasonal"),
    ("Social-TikTok", "social", "delayed_start"),
    ("Social-Pinterest", "social", "on_off"),
    ("Display-Programmatic", "display", "linear_trend"),
    ("Display-Retargeting", "display", "on_off"),
    ("Online-Video", "video", "on_off"),
    ("Affiliates", "search", "linear_trend"),
    ("Audio-Streaming", "video", "on_off"),
    ("Influencer", "social", "delayed_start"),
    ("Direct-Mail", "print", "on_off"),
    ("Retail-Media", "search", "delayed_start"),
)


def _large_business(seed: int) -> MMMDataConfig:
    # 24 channels in 50 regions over four years.  Per-channel numbers are drawn
    # once from a local generator with a fixed seed (never global state), so
    # the preset is the same in every process.  Each channel draws its weight
    # in the media contribution and a target ROAS; its effectiveness and spend
    # follow from them and from its curve's value at a typical scaled spend.
    from xmmm.transforms import get_transform

    rng = np.random.default_rng(20250715)
    n_periods, level, media_share = 208, 2_000_000.0, 0.25
    weights = rng.uniform(0.5, 2.0, len(_LARGE_CHANNELS))
    weights /= weights.sum()
    media = []
    for (name, kind, pattern), weight in zip(_LARGE_CHANNELS, weights):
        target_roas = rng.uniform(1.0, 4.0)
        if kind == "broadcast":
            adstock = _delayed(round(rng.uniform(0.6, 0.8), 2), round(rng.uniform(1.0, 2.5), 1), 12)
            saturation = _hill(round(rng.uniform(0.55, 0.8), 2), round(rng.uniform(1.5, 2.2), 1))
        elif kind == "print":
            adstock = _weibull(round(rng.uniform(2.0, 4.0), 1), round(rng.uniform(1.2, 2.0), 1), 10)
            saturation = _hill(round(rng.uniform(0.5, 0.8), 2), round(rng.uniform(1.0, 1.5), 1))
        elif kind == "video":
            adstock = _geometric(round(rng.uniform(0.35, 0.55), 2), 8)
            saturation = _hill(round(rng.uniform(0.4, 0.6), 2), round(rng.uniform(1.0, 1.6), 1))
        elif kind == "search":
            adstock = _geometric(round(rng.uniform(0.05, 0.2), 2), 4)
            saturation = _logistic(round(rng.uniform(2.0, 3.5), 1))
        else:  # social, display
            adstock = _geometric(round(rng.uniform(0.2, 0.4), 2), 6)
            saturation = _hill(round(rng.uniform(0.3, 0.5), 2), round(rng.uniform(1.0, 1.4), 1))
        pattern_kw: dict = {"spend_volatility": round(rng.uniform(0.1, 0.3), 2)}
        active = 1.0  # share of periods with spend
        if pattern == "linear_trend":
            pattern_kw["spend_trend"] = round(rng.uniform(-0.001, 0.003), 4)
        elif pattern == "seasonal":
            pattern_kw["seasonal_amplitude"] = round(rng.uniform(0.2, 0.6), 2)
            pattern_kw["seasonal_phase"] = round(_phase_peaking_at(rng.uniform(0.0, 1.0)), 3)
        elif pattern == "on_off":
            active = round(rng.uniform(0.4, 0.7), 2)
            pattern_kw.update(activation_probability=active, min_active_periods=2, max_active_periods=8)
        else:  # delayed_start: launched in the first two years
            start = int(rng.integers(20, 90))
            pattern_kw.update(start_period=start, ramp_up_periods=int(rng.integers(4, 13)))
            active = (n_periods - start) / n_periods
        # contribution per period c = effect * level * (mean saturated signal);
        # the signal is about the curve at 0.6 of the maximum while active
        curve = get_transform("saturation", saturation[0])
        signal = float(curve.apply(np.array([0.6]), **saturation[1])[0]) * active
        contribution = weight * media_share * level
        effect = contribution / (level * signal)
        spend = contribution / (target_roas * active)  # base_spend is the level while active
        media.append(_media(name, pattern, round(spend, -2), round(effect, 4), adstock, saturation, **pattern_kw))
    return _assemble(
        media,
        n_periods=n_periods,
        start_date="2020-01-05",
        regions=RegionConfig(
            n_regions=50, base_sales_rate=level, sales_trend=0.0005, sales_volatility=0.03,
            seasonal_amplitude=0.2, seasonal_phase=_phase_peaking_at(0.9),
            baseline_variation=0.3, channel_param_variation=0.2, transform_variation=0.15,
        ),
        controls=[
            _price(15.0, -0.2),
            _promotion(0.05, 0.15, 1, 3),
            _holidays(0.08),
            _promotion(-0.04, 0.1, 1, 4, name="competitor_promotion"),
        ],
        seed=seed,
    )


def _research(seed: int) -> MMMDataConfig:
    # built for parameter recovery: independent, volatile spend that covers the
    # bend of each curve; one transform family per channel; moderate noise
    return _assemble(
        [
            _media("TV", "on_off", 20000, 0.3, _geometric(0.6, 10), _hill(0.5, 2.0),
                   activation_probability=0.5, min_active_periods=3, max_active_periods=8, spend_volatility=0.3),
            _media("Search", "linear_trend", 12000, 0.18, _geometric(0.2, 6), _logistic(2.5),
                   spend_trend=0.003, spend_volatility=0.5),
            _media("Social", "seasonal", 10000, 0.13, _delayed(0.6, 1.5, 8), _michaelis_menten(0.4),
                   seasonal_amplitude=0.5, seasonal_phase=_phase_peaking_at(0.3), spend_volatility=0.45),
            _media("Display", "on_off", 6000, 0.07, _binomial(0.4, 6), _tanh(1.0, 0.6),
                   activation_probability=0.6, min_active_periods=1, max_active_periods=4, spend_volatility=0.4),
            _media("Radio", "seasonal", 8000, 0.10, _weibull(3.0, 1.2, 10), _hill(0.6, 1.5),
                   seasonal_amplitude=0.4, seasonal_phase=_phase_peaking_at(0.55), spend_volatility=0.4),
        ],
        n_periods=156,
        regions=RegionConfig(
            n_regions=4, base_sales_rate=200_000.0, sales_trend=0.0005, sales_volatility=0.05,
            seasonal_amplitude=0.1, baseline_variation=0.3, channel_param_variation=0.2,
            transform_variation=0.15, region_similarity=0.3,
        ),
        controls=[_price(20.0, -0.2, volatility=0.05), _promotion(0.08, 0.12, 1, 3)],
        seed=seed,
    )


def _demo(seed: int) -> MMMDataConfig:
    # small and quick, one channel per spend pattern (the custom one from this module)
    return _assemble(
        [
            _media("TV", "seasonal", 4000, 0.25, _geometric(0.5, 8), _hill(0.5, 1.5),
                   seasonal_amplitude=0.5, seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.2),
            _media("Search", "linear_trend", 2500, 0.14, _geometric(0.2, 4), _hill(0.4),
                   spend_trend=0.004, spend_volatility=0.2),
            _media("Podcast", "delayed_start", 1500, 0.07, _geometric(0.4, 6), _hill(0.5),
                   start_period=30, ramp_up_periods=8, spend_volatility=0.2),
            _media("Social", "on_off", 2000, 0.08, _geometric(0.3, 5), _logistic(3.0),
                   activation_probability=0.5, min_active_periods=2, max_active_periods=6, spend_volatility=0.2),
            # quarterly_flights returns the spend itself (currency); base_spend is not used
            _media("Sponsorship", "custom", 1.0, 0.14, _geometric(0.6, 8), _hill(0.45, 1.2),
                   custom_pattern_func=quarterly_flights),
        ],
        n_periods=104,
        regions=RegionConfig(
            n_regions=2, region_names=["north", "south"], base_sales_rate=50_000.0,
            sales_trend=0.001, sales_volatility=0.03, seasonal_amplitude=0.15,
            seasonal_phase=_phase_peaking_at(0.9),
        ),
        controls=[_price(15.0, -0.15), _promotion(0.08, 0.15)],
        seed=seed,
    )


def _growing_business(seed: int) -> MMMDataConfig:
    # a young online business growing fast; video launched after six months
    return _assemble(
        [
            _media("Search", "linear_trend", 1500, 0.25, _geometric(0.15, 4), _hill(0.4),
                   spend_trend=0.008, spend_volatility=0.25),
            _media("Search-Brand", "linear_trend", 400, 0.08, _geometric(0.1, 3), _hill(0.3),
                   spend_trend=0.01, spend_volatility=0.2),
            _media("Video", "delayed_start", 1200, 0.15, _geometric(0.45, 8), _hill(0.5, 1.5),
                   start_period=25, ramp_up_periods=10, spend_volatility=0.25),
            _media("Social", "seasonal", 900, 0.12, _geometric(0.3, 6), _hill(0.4, 1.2),
                   seasonal_amplitude=0.4, seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.3),
            _media("Display", "on_off", 600, 0.05, _geometric(0.25, 4), _hill(0.35),
                   activation_probability=0.3, min_active_periods=2, max_active_periods=4, spend_volatility=0.2),
            _media("Email", "on_off", 200, 0.04, _geometric(0.1, 2), _hill(0.5),
                   activation_probability=0.2, min_active_periods=1, max_active_periods=1, spend_volatility=0.05),
        ],
        n_periods=131,
        regions=RegionConfig(
            n_regions=2, region_names=["geo_a", "geo_b"], base_sales_rate=20_000.0,
            sales_trend=0.005, sales_volatility=0.03, seasonal_amplitude=0.15,
            seasonal_phase=_phase_peaking_at(0.9), baseline_variation=0.3,
        ),
        controls=[_promotion(0.15, 0.04, 3, 5, name="event"), _promotion(0.1, 0.1, 1, 4, name="sale")],
        seed=seed,
    )


def _medium_business(seed: int) -> MMMDataConfig:
    # an established brand in eight regions with a full digital mix
    return _assemble(
        [
            _media("Search", "linear_trend", 6000, 0.12, _geometric(0.15, 4), _logistic(3.0),
                   spend_trend=0.002, spend_volatility=0.25),
            _media("Search-Brand", "linear_trend", 2000, 0.045, _geometric(0.1, 3), _hill(0.3),
                   spend_trend=0.002, spend_volatility=0.2),
            _media("Video", "delayed_start", 5000, 0.08, _geometric(0.45, 8), _hill(0.5, 1.5),
                   start_period=25, ramp_up_periods=10, spend_volatility=0.25),
            _media("CTV", "delayed_start", 4000, 0.06, _geometric(0.5, 8), _hill(0.55, 1.5),
                   start_period=75, ramp_up_periods=4, spend_volatility=0.2),
            _media("Social", "seasonal", 5000, 0.08, _geometric(0.3, 6), _hill(0.4, 1.2),
                   seasonal_amplitude=0.4, seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.3),
            _media("TikTok", "seasonal", 3000, 0.04, _geometric(0.25, 5), _hill(0.35, 1.2),
                   seasonal_amplitude=0.2, seasonal_phase=_phase_peaking_at(0.6), spend_volatility=0.3),
            _media("Display", "on_off", 3000, 0.035, _geometric(0.25, 4), _hill(0.35),
                   activation_probability=0.3, min_active_periods=2, max_active_periods=4, spend_volatility=0.2),
            _media("Influencer", "on_off", 3000, 0.05, _geometric(0.35, 6), _hill(0.45),
                   activation_probability=0.35, min_active_periods=2, max_active_periods=6, spend_volatility=0.3),
        ],
        n_periods=156,
        regions=RegionConfig(
            n_regions=8, base_sales_rate=150_000.0, sales_trend=0.001, sales_volatility=0.025,
            seasonal_amplitude=0.3, seasonal_phase=_phase_peaking_at(0.9), baseline_variation=0.3,
        ),
        controls=[
            _price(18.0, -0.2),
            _promotion(0.1, 0.04, 3, 5, name="event"),
            _promotion(0.08, 0.1, 1, 4, name="sale"),
        ],
        seed=seed,
    )


# --------------------------------------------------------------------------- media inputs
# Channels other than paid spend: exposures bought at a cost, reach and frequency, organic media,
# non-media treatments; and a KPI that is not revenue.  A channel's "spend" argument is its budget
# (paid kinds) or the level of its exposures or values (organic media, treatments).
def _organic(name: str, pattern: str, level: float, effect: float, adstock, saturation, **kw) -> _Media:
    return _media(name, pattern, level, effect, adstock, saturation, kind=kw.pop("kind", "organic"),
                  base_value=float(level), **kw)


def _treatment(name: str, pattern: str, level: float, effect: float, baseline: float, **kw) -> _Media:
    return _media(name, pattern, level, effect, ("none", {}), ("none", {}), kind="treatment",
                  base_value=float(level), baseline_value=float(baseline), **kw)


def _paid_exposures(seed: int) -> MMMDataConfig:
    # budgets buy impressions and clicks at costs that move with the market (CPM inflation on display)
    return _assemble(
        [
            _media("TV", "seasonal", 12000, 0.2, _geometric(0.6, 8), _hill(0.5, 1.5),
                   seasonal_amplitude=0.4, seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.2),
            _media("Display", "linear_trend", 5000, 0.08, _geometric(0.3, 4), _hill(0.5, 1.2),
                   unit="impressions", cost_per_unit=4.0, cost_trend=0.003, cost_volatility=0.08,
                   spend_volatility=0.2),
            _media("Search", "linear_trend", 8000, 0.15, _geometric(0.1, 3), _hill(0.45),
                   unit="clicks", cost_per_unit=1.2, cost_volatility=0.15, spend_trend=0.002,
                   spend_volatility=0.15),
            _media("Video", "on_off", 6000, 0.07, _geometric(0.4, 6), _hill(0.55, 1.3),
                   unit="impressions", cost_per_unit=18.0, cost_volatility=0.1, activation_probability=0.6,
                   min_active_periods=3, max_active_periods=8, spend_volatility=0.15),
        ],
        n_periods=104,
        regions=RegionConfig(n_regions=2, region_names=["north", "south"], base_sales_rate=150_000.0,
                             sales_trend=0.0008, sales_volatility=0.02, seasonal_amplitude=0.12,
                             baseline_variation=0.2, channel_param_variation=0.1, transform_variation=0.05),
        controls=[_price(20.0, -0.12)],
        seed=seed,
    )


def _reach_frequency(seed: int) -> MMMDataConfig:
    # video bought for reach: people reached (bounded by the population) and how often; Hill on frequency
    return _assemble(
        [
            _media("TV", "seasonal", 12000, 0.2, _geometric(0.6, 8), _hill(0.5, 1.5),
                   seasonal_amplitude=0.4, seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.2),
            _media("YouTube", "linear_trend", 8000, 0.16, _geometric(0.4, 6), _hill(2.0, 2.0),
                   kind="reach_frequency", cost_per_unit=10.0, cost_volatility=0.08, reachable_share=0.5,
                   reach_volatility=0.08, spend_volatility=0.25, spend_trend=0.003),
            _media("CTV", "on_off", 5000, 0.1, _geometric(0.5, 6), _hill(1.4, 1.5),
                   kind="reach_frequency", cost_per_unit=30.0, cost_volatility=0.05, reachable_share=0.3,
                   reach_volatility=0.05, activation_probability=0.7, min_active_periods=4,
                   max_active_periods=10, spend_volatility=0.2),
            _media("Search", "linear_trend", 8000, 0.12, _geometric(0.1, 3), _hill(0.45),
                   unit="clicks", cost_per_unit=1.5, cost_volatility=0.1, spend_volatility=0.15),
        ],
        n_periods=104,
        regions=RegionConfig(n_regions=3, region_names=["metro", "suburban", "rural"], base_sales_rate=120_000.0,
                             sales_trend=0.0005, sales_volatility=0.02, seasonal_amplitude=0.1,
                             baseline_variation=0.3, channel_param_variation=0.1, transform_variation=0.05,
                             population=[2_500_000.0, 1_500_000.0, 800_000.0]),
        seed=seed,
    )


def _organic_media(seed: int) -> MMMDataConfig:
    # owned and earned media without spend: newsletters sent, organic search clicks, organic social reach
    return _assemble(
        [
            _media("Search", "linear_trend", 9000, 0.16, _geometric(0.1, 3), _hill(0.45),
                   spend_volatility=0.25, spend_trend=0.002),
            _media("Social", "seasonal", 6000, 0.1, _geometric(0.3, 5), _hill(0.5, 1.2),
                   unit="impressions", cost_per_unit=7.0, cost_volatility=0.1, seasonal_amplitude=0.3,
                   spend_volatility=0.2),
            _organic("Newsletter", "on_off", 400_000, 0.05, _geometric(0.3, 4), _hill(0.6),
                     activation_probability=0.75, min_active_periods=2, max_active_periods=6,
                     spend_volatility=0.1),
            _organic("SEO", "linear_trend", 25_000, 0.06, _geometric(0.5, 6), _hill(0.55),
                     unit="clicks", spend_trend=0.004, spend_volatility=0.12),
            _organic("Organic_social", "seasonal", 1_500_000, 0.04, _geometric(0.4, 5), _hill(2.0, 1.5),
                     kind="organic_reach_frequency", reachable_share=0.2, reach_volatility=0.1,
                     seasonal_amplitude=0.3, spend_volatility=0.2),
        ],
        n_periods=104,
        regions=RegionConfig(n_regions=1, region_names=["national"], base_sales_rate=200_000.0,
                             sales_trend=0.001, sales_volatility=0.01, seasonal_amplitude=0.15,
                             population=4_000_000.0),
        seed=seed,
    )


def _non_media_treatments(seed: int) -> MMMDataConfig:
    # a promotion (discount depth, 0 when none runs) and the shelf price around its regular level
    return _assemble(
        [
            _media("TV", "seasonal", 10000, 0.2, _geometric(0.6, 8), _hill(0.5, 1.5),
                   seasonal_amplitude=0.4, spend_volatility=0.2),
            _media("Search", "linear_trend", 6000, 0.14, _geometric(0.1, 3), _hill(0.45), spend_volatility=0.15),
            _media("Social", "on_off", 4000, 0.08, _geometric(0.3, 5), _hill(0.5, 1.2),
                   activation_probability=0.6, min_active_periods=3, max_active_periods=8, spend_volatility=0.2),
            _treatment("Promotion", "on_off", 0.2, 0.12, 0.0, activation_probability=0.2, min_active_periods=1,
                       max_active_periods=3, spend_volatility=0.15),
            _treatment("Price", "seasonal", 10.0, -0.25, 10.0, seasonal_amplitude=0.08, spend_volatility=0.02,
                       seasonal_phase=_phase_peaking_at(0.3)),
        ],
        n_periods=104,
        regions=RegionConfig(n_regions=2, region_names=["east", "west"], base_sales_rate=140_000.0,
                             sales_trend=0.0008, sales_volatility=0.02, seasonal_amplitude=0.12,
                             baseline_variation=0.2, channel_param_variation=0.1, transform_variation=0.05),
        seed=seed,
    )


def _revenue_per_order(values: list[float], n_periods: int, growth: float) -> list[list[float]]:
    """Revenue per unit of KPI per geo and period: a geo's average order value growing by ``growth`` a period."""
    return [[round(v * (1.0 + growth * t), 4) for t in range(n_periods)] for v in values]


def _non_revenue_kpi(seed: int) -> MMMDataConfig:
    # the KPI is conversions; revenue per conversion differs by geo and grows with prices
    n = 104
    return _assemble(
        [
            _media("TV", "seasonal", 9000, 0.2, _geometric(0.6, 8), _hill(0.5, 1.5),
                   seasonal_amplitude=0.4, spend_volatility=0.2),
            _media("Search", "linear_trend", 7000, 0.15, _geometric(0.1, 3), _hill(0.45),
                   unit="clicks", cost_per_unit=1.4, cost_volatility=0.12, spend_volatility=0.15),
            _media("Social", "on_off", 5000, 0.09, _geometric(0.3, 5), _hill(0.5, 1.2),
                   unit="impressions", cost_per_unit=6.0, activation_probability=0.6, min_active_periods=3,
                   max_active_periods=8, spend_volatility=0.2),
        ],
        n_periods=n,
        regions=RegionConfig(n_regions=4, region_names=["north", "south", "east", "west"],
                             base_sales_rate=2_000.0, sales_trend=0.0008, sales_volatility=0.02,
                             seasonal_amplitude=0.12, baseline_variation=0.25, channel_param_variation=0.1,
                             transform_variation=0.05, population=[1_200_000.0, 900_000.0, 700_000.0, 500_000.0]),
        controls=[_price(45.0, -0.1)],
        kpi_type="non_revenue",
        revenue_per_kpi=_revenue_per_order([60.0, 55.0, 70.0, 65.0], n, 0.001),
        seed=seed,
    )


def _meridian_full(seed: int) -> MMMDataConfig:
    # every input Meridian takes, inside Meridian's model family: per-capita median scaling, one geometric
    # adstock length, Hill curves shared by the geos (effects per geo), population in proportion to the
    # baseline, conversions with a revenue per conversion
    n = 104
    shared = {"l_max": 6}
    return _assemble(
        [
            _media("TV", "seasonal", 12000, 0.22, _geometric(0.6, shared["l_max"]), _hill(1.0, 1.5),
                   unit="impressions", cost_per_unit=12.0, cost_volatility=0.08, seasonal_amplitude=0.4,
                   seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.2),
            _media("Display", "linear_trend", 5000, 0.1, _geometric(0.3, shared["l_max"]), _hill(1.0, 1.2),
                   unit="impressions", cost_per_unit=4.0, cost_trend=0.002, cost_volatility=0.08,
                   spend_volatility=0.2),
            _media("YouTube", "linear_trend", 8000, 0.15, _geometric(0.4, shared["l_max"]), _hill(2.0, 2.0),
                   kind="reach_frequency", cost_per_unit=10.0, cost_volatility=0.08, reachable_share=0.5,
                   reach_volatility=0.08, spend_volatility=0.25),
            _organic("Newsletter", "on_off", 300_000, 0.05, _geometric(0.3, shared["l_max"]), _hill(1.0),
                     activation_probability=0.75, min_active_periods=2, max_active_periods=6,
                     spend_volatility=0.1),
            _treatment("Promotion", "on_off", 0.2, 0.1, 0.0, activation_probability=0.3, min_active_periods=1,
                       max_active_periods=3, spend_volatility=0.15),
        ],
        n_periods=n,
        regions=RegionConfig(n_regions=5, base_sales_rate=2_500.0, sales_trend=0.0008, sales_volatility=0.02,
                             seasonal_amplitude=0.12, baseline_variation=0.3, channel_param_variation=0.15,
                             transform_variation=0.0, population=6_000_000.0),
        controls=[_price(40.0, -0.1)],
        spend_scaling="per_capita_median",
        kpi_type="non_revenue",
        revenue_per_kpi=_revenue_per_order([50.0, 55.0, 48.0, 60.0, 52.0], n, 0.001),
        seed=seed,
    )


# --------------------------------------------------------------------------- registry and API
def _time_varying(seed: int) -> MMMDataConfig:
    # Source: "Your MMM is Broken: Identification of Nonlinear and Time-varying Effects in Marketing Mix
    # Models" (arXiv 2408.07678): saturation and a time-varying effect are hard to tell apart.  TV's effect
    # doubles over the two years (a linear multiplier, mean 1); TV-twin has TV's adstock, saturation and
    # effectiveness and no time variation, so its response to any sustained spend equals TV's response
    # averaged over the dates ("same average response"; transforms in currency units and one region, so
    # the two curves are the same function of spend).  Search's effect drifts smoothly (a GP path, as
    # pymc-marketing's time-varying media HSGP models it); the baseline level drifts too.
    tv_response = (_geometric(0.5, 8), ("hill_function", {"slope": 1.5, "kappa": 6000.0}))
    config = _assemble(
        [
            _media("TV", "seasonal", 7000, 0.22, *tv_response, seasonal_amplitude=0.5,
                   seasonal_phase=_phase_peaking_at(0.8), spend_volatility=0.2),
            _media("TV-twin", "on_off", 7000, 0.22, *tv_response, activation_probability=0.6,
                   min_active_periods=3, max_active_periods=8, spend_volatility=0.2),
            _media("Search", "linear_trend", 4000, 0.14, _geometric(0.2, 4),
                   ("hill_function", {"slope": 1.0, "kappa": 3500.0}), spend_trend=0.004, spend_volatility=0.2),
            _media("Social", "on_off", 2500, 0.08, _geometric(0.3, 4),
                   ("hill_function", {"slope": 1.0, "kappa": 2500.0}), activation_probability=0.5,
                   spend_volatility=0.25),
        ],
        n_periods=104,
        regions=RegionConfig(
            n_regions=1, region_names=["national"], base_sales_rate=150_000.0, sales_trend=0.0005,
            sales_volatility=0.02, seasonal_amplitude=0.12,
            level_variation=TimeVariation(kind="gp", amplitude=0.04, length_scale=20.0),
        ),
        controls=[_promotion(0.05, 0.12)],
        seed=seed,
    )
    config.channels[0].effectiveness_variation = TimeVariation(kind="linear", ratio=2.0)
    config.channels[2].effectiveness_variation = TimeVariation(kind="gp", amplitude=0.25, length_scale=12.0)
    config.transforms.spend_scaling = "none"
    return apply_overrides(config, {})


def _messy(seed: int) -> MMMDataConfig:
    # Sources: the data-pathology toggles no peer offers as parameters (missing weeks, outliers, a level
    # shift as in Robyn issue 898, measurement error) and pymc-marketing's add_placebo_channel (a shifted
    # copy of a real channel; negative controls after Lipsitch et al. 2010).  TV-placebo is TV's spend four
    # weeks later: it keeps TV's flighting and much of its correlation, so a model can mistake it for
    # carry-over, and its true effect is exactly 0.
    tv = (_geometric(0.55, 8), _hill(0.5, 1.5))
    config = _assemble(
        [
            _media("TV", "seasonal", 9000, 0.24, *tv, seasonal_amplitude=0.5,
                   seasonal_phase=_phase_peaking_at(0.85), spend_volatility=0.2),
            _media("Search", "linear_trend", 5000, 0.15, _geometric(0.2, 4), _hill(0.45),
                   spend_trend=0.003, spend_volatility=0.2),
            _media("Social", "on_off", 3000, 0.1, _geometric(0.3, 4), _hill(0.4),
                   activation_probability=0.55, spend_volatility=0.25),
            _media("TV-placebo", "seasonal", 9000, 0.0, *tv),
        ],
        n_periods=130,
        regions=RegionConfig(
            n_regions=3, region_names=["north", "south", "west"], base_sales_rate=75_000.0,
            sales_trend=0.001, sales_volatility=0.025, seasonal_amplitude=0.15, baseline_variation=0.3,
        ),
        controls=[_price(12.0, -0.15), _promotion(0.06, 0.12)],
        seed=seed,
    )
    config.data_issues = DataIssues(
        missing=[MissingData(start="2022-02-06", end="2022-02-20"),           # a three-week reporting outage
                 MissingData(end="2021-04-04", geos=["west"])],                # a region that joins late
        missing_share=0.02, missing_run=2,
        outlier_share=0.015, outlier_size=0.4,
        breaks=[LevelBreak(date="2022-09-04", size=0.15)],                    # a new collection: +15 % level
        placebo=[Placebo(channel="TV-placebo", source="TV", method="shift", lag=4)],
        spend_noise={"Social": 0.15},
    )
    return apply_overrides(config, {})


_PRESETS: dict[str, tuple[str, Callable[[int], MMMDataConfig]]] = {
    "basic": ("Simple configuration for learning and testing: one national market, three channels, one year",
              _basic),
    "seasonal": ("Strong seasonal patterns: a retailer with a Christmas peak, seasonal media and holiday weeks",
                 _seasonal),
    "multi_region": ("Multi-regional analysis: six regions that differ in size, media response and carry-over",
                     _multi_region),
    "high_frequency": ("High-frequency digital marketing: two years of daily e-commerce data, short carry-over",
                       _high_frequency),
    "digital_heavy": ("Digital-heavy marketing mix: online channels with short carry-over and fast saturation",
                      _digital_heavy),
    "traditional_media": ("Traditional media: TV, radio, print and out-of-home with long, delayed carry-over",
                          _traditional_media),
    "small_business": ("Small business: a local shop spending a few hundred per week", _small_business),
    "enterprise": ("Enterprise: a national advertiser with 14 channels in 30 regions over three years",
                   _enterprise),
    "research": ("Research: weakly correlated channels and varied transforms for parameter recovery",
                 _research),
    "demo": ("Demonstration: small and quick, with every spend pattern including a custom one", _demo),
    "growing_business": ("Growing business: fast sales growth and a video launch in two regions",
                         _growing_business),
    "medium_business": ("Medium business: an established brand with eight channels in eight regions",
                        _medium_business),
    "large_business": ("Large business: 24 channels in 50 regions over four years", _large_business),
    "time_varying": ("Time-varying effects: TV's effect doubles over two years beside its saturation-only twin "
                     "with the same average response", _time_varying),
    "messy": ("Messy data: missing weeks, a late region, outliers, a structural break and a placebo channel",
              _messy),
}
# the causal scenarios (confounded, target-chasing and demand-capturing spend with lift tests)
_PRESETS.update(CAUSAL_PRESETS)
# every kind of media input: exposures and costs, reach and frequency, organic media, treatments, KPI type
_PRESETS.update({
    "paid_exposures": ("Exposures and costs: budgets buy impressions and clicks at CPMs and CPCs that move, "
                       "with media inflation", _paid_exposures),
    "reach_frequency": ("Reach and frequency: video bought for reach, bounded by each geo's population",
                        _reach_frequency),
    "organic_media": ("Organic media: newsletters, organic search clicks and organic social reach, without spend",
                      _organic_media),
    "non_media_treatments": ("Non-media treatments: a promotion and the shelf price, against their baseline values",
                             _non_media_treatments),
    "non_revenue_kpi": ("Non-revenue KPI: conversions in four geos with a population each and a revenue per "
                        "conversion by geo and week", _non_revenue_kpi),
    "meridian_full": ("Every Meridian input: paid impressions, reach and frequency, organic media, a promotion, "
                      "population and conversions with revenue per conversion", _meridian_full),
})


def _lookup(name: str) -> Callable[[int], MMMDataConfig]:
    key = name.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(name, str) else None
    if key not in _PRESETS:
        valid = ", ".join(_PRESETS)
        close = difflib.get_close_matches(str(key), list(_PRESETS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"Unknown preset {name!r}.{hint} Available presets: {valid}")
    return _PRESETS[key][1]


def get_preset_config(name: str, seed: int | None = None, target: str | None = None) -> MMMDataConfig:
    """A fresh config of a named preset.

    Parameters
    ----------
    name : str
        A name from :func:`list_available_presets` (case and ``-`` / ``_`` are
        not significant: ``"Multi-Region"`` is ``"multi_region"``).
    seed : int, optional
        Seed of the config; ``None`` uses :data:`DEFAULT_PRESET_SEED`, so the
        preset's data are the same every time.
    target : {None, "pymc-marketing", "meridian"}
        ``None``: the preset as it is.  A library name: the preset moved inside
        that library's model family (:func:`xmmm.targets.to_target`), with the
        same channels, spend patterns, regions and sizes, so that the hand-off
        (``xmmm.to_pymc_marketing`` / ``xmmm.to_meridian``) is exact: the
        library's model at the true parameters reproduces the data's mean.

    Returns
    -------
    MMMDataConfig
        A new object on every call; changing it changes no other.

    Raises
    ------
    ConfigError
        An unknown name (the message lists the valid ones), a bad seed or an
        unknown target.

    Examples
    --------
    >>> from xmmm import get_preset_config, generate_mmm_dataset
    >>> config = get_preset_config("demo")
    >>> [c.pattern for c in config.channels]
    ['seasonal', 'linear_trend', 'delayed_start', 'on_off', 'custom']
    >>> generate_mmm_dataset(config)["data"].shape
    (208, 10)
    >>> get_preset_config("basic", target="pymc-marketing").transforms.adstock_kwargs[1]["l_max"]
    8
    """
    check_target(target)
    build = _lookup(name)
    config = build(DEFAULT_PRESET_SEED if seed is None else seed)
    return config if target is None else to_target(config, target)


def list_available_presets() -> dict[str, str]:
    """Every preset name with a one-line description.

    Examples
    --------
    >>> from xmmm import list_available_presets
    >>> "enterprise" in list_available_presets()
    True
    """
    return {name: description for name, (description, _) in _PRESETS.items()}


def customize_preset(name: str, target: str | None = None, **overrides) -> MMMDataConfig:
    """A preset's config with some fields changed, validated as a whole.

    Parameters
    ----------
    name : str
        A preset name (see :func:`get_preset_config`).
    target : {None, "pymc-marketing", "meridian"}
        Start from the preset moved inside that library's family (see
        :func:`get_preset_config`); the changed config must still be inside it.
    **overrides
        Top-level fields (``n_periods=104``, ``seed=123``), nested dicts for
        sub-configs (``regions={"n_regions": 5}``) or dotted paths
        (``**{"regions.n_regions": 5}``).  When the number of regions changes
        and no names are given, the first region names are kept and new
        regions get default names (``geo_7``, ...); a single region's name
        (``"national"``) gives way to default names for all.

    Returns
    -------
    MMMDataConfig

    Raises
    ------
    ConfigError
        An unknown preset, an unknown field (naming the valid ones), a bad
        value, or (with ``target``) a change that leaves the family (every way
        it does, in one message).

    Examples
    --------
    >>> from xmmm import customize_preset
    >>> config = customize_preset("basic", n_periods=104, seed=123)
    >>> config.n_periods, config.seed
    (104, 123)
    >>> customize_preset("multi_region", **{"regions.n_regions": 3}).region_names
    ['north', 'south', 'east']
    >>> customize_preset("multi_region", regions={"n_regions": 7}).region_names
    ['north', 'south', 'east', 'west', 'central', 'coast', 'geo_7']
    >>> customize_preset("multi_region", target="meridian", n_periods=52).transforms.spend_scaling
    'per_capita_median'
    """
    config = apply_overrides(get_preset_config(name, target=target), overrides)
    if target is not None:
        validate_config(config, target=target)
    return config


# --------------------------------------------------------------------------- documentation
_SHORT = {
    "geometric_adstock": "geometric",
    "delayed_adstock": "delayed",
    "weibull_adstock": "Weibull",
    "binomial_adstock": "binomial",
    "hill_function": "Hill",
    "logistic_saturation": "logistic",
    "michaelis_menten": "Michaelis-Menten",
    "tanh_saturation": "tanh",
}


def _tag(channel: ChannelConfig) -> str:
    """What a channel is, when it is not paid media acting on spend: `` (impressions)``, `` (R&F)``, ..."""
    if channel.kind == "paid":
        return "" if channel.unit == "spend" else f" ({channel.unit})"
    return {"reach_frequency": " (R&F)", "organic": f" (organic {channel.unit})",
            "organic_reach_frequency": " (organic R&F)", "treatment": " (treatment)"}[channel.kind]


def _distinct(values) -> list:
    out: list = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _span(values: np.ndarray, digits: int) -> str:
    low, high = f"{values.min():.{digits}f}", f"{values.max():.{digits}f}"
    return low if low == high else f"{low}-{high}"


def presets_table_markdown(names: list[str] | None = None) -> str:
    """A Markdown table describing the presets, measured by generating each one.

    Parameters
    ----------
    names : list of str, optional
        The presets to describe; default all, in the order of
        :func:`list_available_presets`.

    Returns
    -------
    str
        One row per preset: periods and frequency, regions, channels, spend
        patterns, adstock and saturation functions, controls, and the media
        contribution as a share of ``y`` and the ROAS of the paid channels, each
        as the range over geos (and channels), from the preset's own seed.
        Channels other than paid media acting on spend are tagged
        (``(impressions)``, ``(R&F)``, ``(organic clicks)``, ``(treatment)``).

    Examples
    --------
    >>> from xmmm.presets import presets_table_markdown
    >>> print(presets_table_markdown(["basic"]).splitlines()[0])  # doctest: +ELLIPSIS
    | Preset | Scenario | Periods | ...
    """
    from xmmm.generate import generate_dataset

    descriptions = list_available_presets()
    header = (
        "| Preset | Scenario | Periods | Regions | Channels | Spend patterns | Adstock / saturation "
        "| Controls | Media share of y (%) | ROAS |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for name in names if names is not None else list(descriptions):
        config = get_preset_config(name)
        ds = generate_dataset(config)
        freq = {"W": "weekly", "D": "daily"}.get(config.frequency, config.frequency)
        channels = [f"{c.name}{_tag(c)}" for c in config.channels]
        channel_text = ", ".join(channels)
        if len(channels) > 6:
            channel_text = f"{len(channels)} ({', '.join(channels[:4])}, ...)"
        adstock = _distinct(_SHORT.get(config.transforms.for_channel(i, "adstock")[0], "none")
                            for i in range(len(channels)))
        saturation = _distinct(_SHORT.get(config.transforms.for_channel(i, "saturation")[0], "none")
                               for i in range(len(channels)))
        patterns = _distinct(c.pattern for c in config.channels)
        controls = ", ".join(config.control_names) or "none"
        share = ds["media_share"].values
        scenario = descriptions[name].split(": ", 1)[-1]
        paid = [i for i, c in enumerate(config.channels) if c.has_spend]
        roas = ds["roas"].values[..., paid]
        lines.append(
            f"| `{name}` | {scenario[:1].upper() + scenario[1:]} | {config.n_periods} {freq} "
            f"| {config.regions.n_regions} | {channel_text} | {', '.join(patterns)} "
            f"| {', '.join(adstock)} / {', '.join(saturation)} | {controls} "
            f"| {_span(share, 0)} | {_span(roas, 1)} |"
        )
    return "\n".join(lines)


# what keeps a config outside a family, in a few words (first match of the problem's start)
_OUTSIDE = (
    ("transforms.adstock_fun", "mixed or non-geometric adstocks"),
    ("transforms.saturation_fun", "mixed or non-Hill saturations"),
    ("transforms.adstock_kwargs: pymc-marketing's MMM takes one l_max", "mixed l_max"),
    ("transforms.adstock_kwargs: Meridian takes one max_lag", "mixed l_max"),
    ("transforms.adstock_kwargs: Meridian's carry-over", "adstock mode"),
    ("transforms.adstock_kwargs", "mixed adstock options"),
    ("transforms.saturation_kwargs", "saturation options"),
    ("regions.seasonal_period_days", "calendar-year seasonality"),
    ("regions.transform_variation", "transforms vary by geo"),
    ("transforms.spend_scaling must be 'per_capita_median'", "per-geo max scaling"),
    ("transforms.spend_scaling", "spend scaling"),
    ("regions.population", "population per geo"),
    ("frequency", "period length"),
    ("outcome_model", "multiplicative outcome"),
    ("regions.noise", "non-normal or correlated noise"),
    ("regions.level_variation", "drifting level"),
    ("channels' effectiveness_variation", "time-varying effects"),
    ("demand", "demand"),
    ("data_issues", "data problems"),
)


def _outside(problem: str) -> str:
    if "has no reach-and-frequency channels" in problem:  # one per channel: "channels[2] ('CTV').kind: ..."
        return "reach and frequency"
    return next((short for start, short in _OUTSIDE if problem.startswith(start)), problem.split(" ")[0])


def families_table_markdown(names: list[str] | None = None) -> str:
    """A Markdown table: is each preset, as it stands, inside pymc-marketing's and Meridian's families?

    "yes" when the library's model at the hand-off's truth reproduces the
    data's mean exactly; otherwise what keeps the preset outside (see
    :func:`xmmm.targets.family_problems`).  ``get_preset_config(name,
    target=...)`` gives each preset moved inside.

    Examples
    --------
    >>> from xmmm.presets import families_table_markdown
    >>> print(families_table_markdown(["basic"]).splitlines()[2])
    | `basic` | no: mixed l_max, calendar-year seasonality | no: mixed l_max |
    """
    lines = ["| Preset | pymc-marketing | Meridian |", "|---|---|---|"]
    for name in names if names is not None else list(list_available_presets()):
        config = get_preset_config(name)
        cells = []
        for target in TARGETS:
            reasons = list(dict.fromkeys(_outside(p) for p in family_problems(config, target)))
            cells.append("yes" if not reasons else "no: " + ", ".join(reasons))
        lines.append(f"| `{name}` | {' | '.join(cells)} |")
    return "\n".join(lines)
