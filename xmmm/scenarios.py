"""Presets of the causal scenarios: confounded, target-chasing and demand-capturing spend, with lift tests.

Each preset names its source and every deviation from it (:data:`SOURCES`):

* ``confounded_demand`` -- TV budgets follow a noisy forecast of an
  unobserved demand that also moves sales; a TV go-dark holdout in two of four
  regions.  A naive model overstates TV.  (xmmm's own design; the mechanism is
  pymc-marketing's "forecast" scenario.)
* ``target_chasing`` -- TV spend reacts to last week's shortfall of sales
  against plan (feedback from the outcome); a heavy-up in one region.
  A naive model understates TV.
* ``search_capture`` -- paid search is pulled by demand up to a cap, demand is
  observed only through a noisy proxy; a national search go-dark test.
* ``endogenous_market`` -- pymc-marketing's endogenous-spend market, "forecast"
  scenario (``pymc_marketing.mmm.synthetic_data.simulate_endogenous_spend_market``),
  as closely as xmmm's model expresses it; the deviations are listed in
  :data:`SOURCES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from xmmm.causal import DemandConfig, ExperimentConfig
from xmmm.config import ChannelConfig, ControlConfig, MMMDataConfig, RegionConfig, TransformConfig
from xmmm.random import normals, stream_keys

__all__ = ["CAUSAL_PRESETS", "SOURCES", "inflation_index", "unemployment_rate"]


# --------------------------------------------------------------------------- macro series (endogenous_market)
def _normal_noise(series, dates, seed: int) -> np.ndarray:
    return normals(stream_keys(int(seed), "macro_noise", [series.name]), len(dates))[0]


def inflation_index(control: ControlConfig, dates, seed: int) -> np.ndarray:
    """Inflation of pymc-marketing's endogenous market: ``3 + 0.015 t + N(0, 0.2)``.

    Parameters
    ----------
    control : ControlConfig
        The control (its name names the noise stream).
    dates : pandas.DatetimeIndex
    seed : int
        Seed of this series.

    Examples
    --------
    >>> import pandas as pd
    >>> values = inflation_index(ControlConfig(name="inflation"), pd.date_range("2022-01-03", periods=4, freq="W-MON"), 1)
    >>> values.shape
    (4,)
    """
    t = np.arange(len(dates), dtype=float)
    return 3.0 + 0.015 * t + 0.2 * _normal_noise(control, dates, seed)


def unemployment_rate(control: ControlConfig, dates, seed: int) -> np.ndarray:
    """Unemployment of pymc-marketing's endogenous market: ``5 + 1.2 sin(2 pi t / 104) + N(0, 0.15)``."""
    t = np.arange(len(dates), dtype=float)
    return 5.0 + 1.2 * np.sin(2.0 * np.pi * t / 104.0) + 0.15 * _normal_noise(control, dates, seed)


# --------------------------------------------------------------------------- helpers
def _config(channels, adstock, saturation, *, n_periods, regions, seed, controls=(), demand=None,
            experiments=(), start_date="2021-01-03", frequency="W", spend_scaling="max") -> MMMDataConfig:
    return MMMDataConfig(
        n_periods=n_periods,
        start_date=start_date,
        frequency=frequency,
        channels=list(channels),
        regions=regions,
        transforms=TransformConfig(
            adstock_fun=[a[0] for a in adstock], adstock_kwargs=[dict(a[1]) for a in adstock],
            saturation_fun=[s[0] for s in saturation], saturation_kwargs=[dict(s[1]) for s in saturation],
            spend_scaling=spend_scaling,
        ),
        control_variables=list(controls),
        demand=demand,
        experiments=list(experiments),
        seed=seed,
    )


def _geometric(alpha: float, l_max: int = 8) -> tuple[str, dict]:
    return "geometric_adstock", {"alpha": alpha, "l_max": l_max}


def _hill(kappa: float, slope: float = 1.0) -> tuple[str, dict]:
    return "hill_function", {"slope": slope, "kappa": kappa}


def _regions(n: int, names=None, rate: float = 50_000.0) -> RegionConfig:
    return RegionConfig(
        n_regions=n, region_names=names, base_sales_rate=rate, sales_trend=0.0005, sales_volatility=0.02,
        seasonal_amplitude=0.08, baseline_variation=0.3, channel_param_variation=0.1, transform_variation=0.05,
    )


# --------------------------------------------------------------------------- the presets
def _confounded_demand(seed: int) -> MMMDataConfig:
    # TV's budget follows the demand forecast; demand is unobserved and lifts sales
    return _config(
        [
            ChannelConfig("TV", pattern="seasonal", base_spend=7_000, spend_volatility=0.1, seasonal_amplitude=0.2,
                          base_effectiveness=0.2, spend_policy="demand_following", policy_strength=0.3),
            ChannelConfig("Search", pattern="linear_trend", base_spend=3_500, spend_trend=0.002,
                          spend_volatility=0.2, base_effectiveness=0.1),
            ChannelConfig("Social", pattern="on_off", base_spend=2_000, spend_volatility=0.2,
                          activation_probability=0.6, base_effectiveness=0.06),
        ],
        [_geometric(0.6), _geometric(0.2, 4), _geometric(0.4, 6)],
        [_hill(0.6, 1.5), _hill(0.5), _hill(0.5)],
        n_periods=104,
        regions=_regions(4, ["north", "south", "east", "west"]),
        controls=[ControlConfig("price", pattern="linear_trend", base_value=9.5, value_volatility=0.03,
                                base_effectiveness=-0.1)],
        demand=DemandConfig(ar=0.85, sigma=1.0, effect=0.08, forecast_noise=0.5),
        experiments=[ExperimentConfig("TV", start=80, end=85, geos=["south", "west"], mode="scale", value=0.0,
                                      measurement_sigma=400.0, name="tv_holdout")],
        seed=seed,
    )


def _target_chasing(seed: int) -> MMMDataConfig:
    # TV tops up spend after weeks that fell short of plan; demand shocks make shortfalls persist
    return _config(
        [
            ChannelConfig("TV", pattern="seasonal", base_spend=8_000, spend_volatility=0.25, seasonal_amplitude=0.5,
                          base_effectiveness=0.25, spend_policy="target_chasing", policy_strength=3.0,
                          spend_cap=20_000),
            ChannelConfig("Search", pattern="on_off", base_spend=4_000, spend_volatility=0.2,
                          activation_probability=0.6, base_effectiveness=0.1),
        ],
        [_geometric(0.5), _geometric(0.2, 4)],
        [_hill(0.6, 1.5), _hill(0.5)],
        n_periods=156,
        regions=_regions(3, ["north", "central", "south"]),
        demand=DemandConfig(ar=0.7, sigma=1.0, effect=0.03),
        experiments=[ExperimentConfig("TV", start=100, end=103, geos=["central"], mode="scale", value=1.5,
                                      measurement_sigma=300.0, name="tv_heavy_up")],
        seed=seed,
    )


def _search_capture(seed: int) -> MMMDataConfig:
    # paid search is pulled by demand up to a cap; only a noisy proxy of demand is observed
    return _config(
        [
            ChannelConfig("TV", pattern="seasonal", base_spend=10_000, spend_volatility=0.15,
                          seasonal_amplitude=0.3, base_effectiveness=0.15),
            ChannelConfig("Search", pattern="linear_trend", base_spend=6_000, spend_volatility=0.1,
                          base_effectiveness=0.12, spend_policy="demand_capture", policy_strength=0.15,
                          spend_cap=8_000),
            ChannelConfig("Display", pattern="on_off", base_spend=3_000, spend_volatility=0.2,
                          activation_probability=0.5, base_effectiveness=0.05),
        ],
        [_geometric(0.6), _geometric(0.1, 4), _geometric(0.3, 6)],
        [_hill(0.6, 1.5), _hill(0.5), _hill(0.5)],
        n_periods=104,
        regions=_regions(3, ["north", "central", "south"]),
        demand=DemandConfig(ar=0.8, sigma=1.0, effect=0.06, seasonal_amplitude=0.8,
                            seasonal_phase=math.pi / 2.0, observed=True, proxy_noise=0.5),
        experiments=[ExperimentConfig("Search", start=90, end=93, mode="set", value=0.0, measurement_sigma=300.0,
                                      name="search_go_dark")],
        seed=seed,
    )


#: pymc-marketing's endogenous market in its own units: base sales 50, TV 5 and Digital 3 per week
_PMM_LEVEL = 50.0
_FORECAST_NOISE = 0.4 / 0.7  # forecast = 0.7 (d + e), e ~ N(0, 0.4 / 0.7)


def _endogenous_market(seed: int) -> MMMDataConfig:
    # pymc-marketing's simulate_endogenous_spend_market(scenario="forecast"); see SOURCES for the deviations
    calendar_phase = -math.pi / 3.0
    tv_cv = math.hypot(0.6 * 0.2, 0.3) / 5.0          # 0.6 policy + 0.3 N(0, 1) around 5
    digital_cv = math.hypot(0.42 * 0.2, 0.25) / 3.0   # 0.42 policy + N(0, 0.25) around 3
    return _config(
        [
            # 5 + 0.5 forecast + 0.15 c = 5 + 0.35 (d + e) + (0.25 + 0.15) c
            ChannelConfig("TV", pattern="seasonal", base_spend=5.0, spend_volatility=tv_cv,
                          seasonal_amplitude=0.4 / 5.0, seasonal_phase=calendar_phase,
                          base_effectiveness=1.0 / _PMM_LEVEL, spend_policy="demand_following",
                          policy_strength=0.35 / 5.0),
            # 3 + 0.1 forecast + 0.1 c = 3 + 0.07 (d + e) + (0.05 + 0.1) c
            ChannelConfig("Digital", pattern="seasonal", base_spend=3.0, spend_volatility=digital_cv,
                          seasonal_amplitude=0.15 / 3.0, seasonal_phase=calendar_phase,
                          base_effectiveness=1.0 / _PMM_LEVEL, spend_policy="demand_following",
                          policy_strength=0.07 / 3.0),
        ],
        [("geometric_adstock", {"alpha": 0.1, "l_max": 8, "normalize": True})] * 2,
        [("michaelis_menten", {"alpha": 38.0, "lam": 5.0}), ("michaelis_menten", {"alpha": 22.0, "lam": 3.0})],
        n_periods=104 + 4 + 12,
        start_date="2022-01-03", frequency="W-MON",
        regions=RegionConfig(n_regions=1, region_names=["national"], base_sales_rate=_PMM_LEVEL, sales_trend=0.0,
                             sales_volatility=1.5 / _PMM_LEVEL, seasonal_amplitude=1.5 / _PMM_LEVEL,
                             seasonal_phase=calendar_phase),
        controls=[
            ControlConfig("inflation", pattern="custom", custom_pattern_func=inflation_index, base_effectiveness=0.0,
                          regional_value_variation=0.0),
            ControlConfig("unemployment", pattern="custom", custom_pattern_func=unemployment_rate,
                          base_effectiveness=0.0, regional_value_variation=0.0),
        ],
        demand=DemandConfig(ar=0.8, sigma=1.0, effect=2.5 / _PMM_LEVEL, seasonal_amplitude=3.0, seasonal_period=52,
                            seasonal_phase=calendar_phase, drivers={"inflation": 2.0, "unemployment": -2.0},
                            forecast_noise=_FORECAST_NOISE),
        experiments=[ExperimentConfig("TV", start=104, end=107, mode="shift", value=-1.5, measurement_sigma=1.0,
                                      name="tv_lift_test")],
        spend_scaling="none",
        seed=seed,
    )


#: name -> (one-line description, builder), merged into :mod:`xmmm.presets`' registry
CAUSAL_PRESETS: dict[str, tuple[str, Callable[[int], MMMDataConfig]]] = {
    "confounded_demand": ("Confounded demand: TV budgets follow a forecast of unobserved demand; a TV holdout "
                          "in two of four regions", _confounded_demand),
    "target_chasing": ("Target chasing: TV spend reacts to last week's sales shortfall (feedback); a regional "
                       "heavy-up", _target_chasing),
    "search_capture": ("Search demand capture: search spend is pulled by demand up to a cap, demand seen through a "
                       "noisy proxy; a search go-dark test", _search_capture),
    "endogenous_market": ("The endogenous-spend market of pymc-marketing ('forecast' scenario) with its TV lift test",
                          _endogenous_market),
}

#: preset -> where its design comes from and how xmmm deviates from it
SOURCES = {
    "confounded_demand": "xmmm design; the mechanism of pymc-marketing's 'forecast' scenario, multi-geo",
    "target_chasing": "xmmm design; the mechanism of pymc-marketing's 'target_chasing' scenario, multi-geo",
    "search_capture": "xmmm design; the mechanism of pymc-marketing's 'search' scenario, with an observed proxy",
    "endogenous_market": (
        "pymc_marketing.mmm.synthetic_data.simulate_endogenous_spend_market(scenario='forecast'): 104 + 4 + 12 "
        "weeks W-MON from 2022-01-03; y = 50 + MM(adstock(TV); 38, 5) + MM(adstock(Digital); 22, 3) + 2.5 d + "
        "1.5 c + N(0, 1.5); geometric adstock, normalised, alpha 0.1, l_max 8; d = 3 c + 2 inflation_z - 2 "
        "unemployment_z + AR(1) shock (rho 0.8, unit stationary variance); inflation = 3 + 0.015 t + N(0, 0.2), "
        "unemployment = 5 + 1.2 sin(2 pi t / 104) + N(0, 0.15) (observed controls, no direct effect); "
        "forecast = 0.7 d + 0.5 c + N(0, 0.4); TV = 5 + 0.5 forecast + 0.6 policy + 0.15 c + 0.3 N(0, 1); "
        "Digital = 3 + 0.1 forecast + 0.42 policy + 0.1 c + N(0, 0.25); TV lift test in weeks 104-107, "
        "shift -1.5, sigma 1; true marginal return of TV at mean spend x: 38 * 5 / (5 + x)^2. "
        "Exact: the outcome equation, the saturation (spend_scaling 'none', coefficient 1), the adstock, the "
        "demand equation with its 52-week calendar and z-scored macro drivers, the macro series, the forecast "
        "loadings on d (0.35 for TV, 0.07 for Digital) and the shared forecast error (0.2 and 0.04 of a "
        "standard normal), the test. Deviations: (1) the direct calendar term 1.5 c of y is xmmm's baseline "
        "seasonality 1.5 sin(2 pi yearfrac - pi/3), on the calendar year (52.18 weeks) instead of 52 weeks and "
        "not demeaned (its mean over the 120 weeks moves the intercept by less than 0.2); (2) the calendar terms "
        "of spend (0.4 c for TV, 0.15 c for Digital, the forecast's 0.5 c included) are the seasonal spend "
        "patterns on the calendar year; (3) the spend noise is log-normal and multiplicative with the CV of "
        "pymc-marketing's additive normal terms (0.065 for TV, 0.088 for Digital), and the policy shock "
        "N(0, 0.2) shared by TV and Digital is drawn independently per channel; (4) spend is floored at 0, "
        "not 0.1 (never binding here); (5) the lift is y minus the untested run with the same draws, as in "
        "pymc-marketing, and its measured value adds N(0, 1) per week of the window's mean."
    ),
}
