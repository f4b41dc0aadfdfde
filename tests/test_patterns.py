"""Spend and control patterns: each documented property, measured."""

import numpy as np
import pandas as pd
import pytest

from xmmm import ChannelConfig, ConfigError, MMMDataConfig, RegionConfig, generate_dataset
from xmmm.patterns import lognormal_noise, on_off_activity


def spend_of(*channels, n_periods=260, n_regions=1, **kwargs):
    config = MMMDataConfig(
        n_periods=n_periods,
        channels=list(channels),
        regions=RegionConfig(n_regions=n_regions, region_names=None),
        seed=kwargs.pop("seed", 11),
        **kwargs,
    )
    return generate_dataset(config)


def test_base_spend_is_the_mean_level_and_volatility_the_cv():
    ds = spend_of(ChannelConfig(name="TV", base_spend=2500.0, spend_volatility=0.3), n_periods=4000)
    spend = ds.spend.isel(geo=0, channel=0).values
    assert spend.mean() == pytest.approx(2500.0, rel=0.03)
    assert spend.std() / spend.mean() == pytest.approx(0.3, rel=0.08)


def test_mean_spend_follows_the_regional_factor():
    ds = spend_of(ChannelConfig(name="TV", base_spend=1000.0, spend_volatility=0.2), n_periods=2000, n_regions=6)
    mean = ds.spend.isel(channel=0).mean("date")
    np.testing.assert_allclose(mean, ds.spend_level.isel(channel=0), rtol=0.03)


def test_linear_trend_grows_by_spend_trend_per_period():
    ds = spend_of(ChannelConfig(name="TV", spend_trend=0.02, spend_volatility=0.0), n_periods=100)
    spend = ds.spend.isel(geo=0, channel=0).values
    np.testing.assert_allclose(spend / spend[0], 1 + 0.02 * np.arange(100))
    assert spend.mean() == pytest.approx(1000.0)


def test_seasonal_is_annual_and_never_idle():
    ds = spend_of(ChannelConfig(name="TV", pattern="seasonal", seasonal_amplitude=0.5, spend_volatility=0.0),
                  n_periods=156, start_date="2021-01-01")
    spend = ds.spend.isel(geo=0, channel=0).to_series()
    assert spend.min() == pytest.approx(500.0, rel=0.01) and spend.max() == pytest.approx(1500.0, rel=0.01)
    assert (spend > 0).all()
    assert spend.idxmax().month == 4  # sin(2 pi y) peaks a quarter into the year
    assert spend.idxmin().month == 10
    yearly = spend.groupby(spend.index.year).mean()
    np.testing.assert_allclose(yearly.values, 1000.0, rtol=0.02)


def test_seasonal_phase_shifts_the_peak():
    ds = spend_of(ChannelConfig(name="TV", pattern="seasonal", seasonal_phase=np.pi / 2, spend_volatility=0.0),
                  n_periods=52, start_date="2021-01-01")
    assert ds.spend.isel(geo=0, channel=0).to_series().idxmax().month == 1


def test_delayed_start_ramps_and_stops():
    channel = ChannelConfig(name="Video", pattern="delayed_start", start_period=10, ramp_up_periods=4,
                            end_period=40, spend_volatility=0.0, base_spend=800.0)
    spend = spend_of(channel, n_periods=60).spend.isel(geo=0, channel=0).values
    assert (spend[:10] == 0).all()
    ramp = spend[10:14] / spend[14]
    np.testing.assert_allclose(ramp, [0.25, 0.5, 0.75, 1.0])
    assert (spend[14:40] > 0).all()
    assert (spend[40:] == 0).all()
    assert spend[14:40].mean() == pytest.approx(800.0)


def test_on_off_share_and_burst_lengths():
    channel = ChannelConfig(name="Radio", pattern="on_off", activation_probability=0.4, min_active_periods=2,
                            max_active_periods=6, spend_volatility=0.0)
    spend = spend_of(channel, n_periods=5000).spend.isel(geo=0, channel=0).values
    active = spend > 0
    assert active.mean() == pytest.approx(0.4, abs=0.03)
    edges = np.flatnonzero(np.diff(np.r_[0, active.astype(int), 0]))
    lengths = edges[1::2] - edges[::2]
    inner = lengths[1:-1]  # the first and last bursts may be cut by the series ends
    assert inner.min() >= 2 and inner.max() <= 6
    assert np.allclose(spend[active], spend[active][0])  # level while active


@pytest.mark.parametrize("probability", [0.0, 1.0])
def test_on_off_extremes(probability):
    u = np.random.default_rng(0).random((3, 51))
    out = on_off_activity(u, np.full(3, probability), np.full(3, 2.0), np.full(3, 4.0))
    assert (out == probability).all()


def test_lognormal_noise_has_mean_one_and_the_cv():
    z = np.random.default_rng(1).standard_normal(400_000)
    noise = lognormal_noise(z, np.array(0.4))
    assert noise.mean() == pytest.approx(1.0, abs=0.005)
    assert noise.std() == pytest.approx(0.4, rel=0.02)
    assert (noise > 0).all()


def flat_pattern(channel, dates, seed):
    return np.full(len(dates), 321.0)


def test_custom_pattern_gets_channel_dates_and_seed():
    seen = {}

    def pattern(channel, dates, seed):
        seen.update(channel=channel, dates=dates, seed=seed)
        return np.arange(len(dates), dtype=float)

    ds = spend_of(ChannelConfig(name="TV", pattern="custom", custom_pattern_func=pattern), n_periods=20)
    np.testing.assert_array_equal(ds.spend.isel(geo=0, channel=0).values, np.arange(20.0))
    assert seen["channel"].name == "TV"
    assert isinstance(seen["dates"], pd.DatetimeIndex) and len(seen["dates"]) == 20
    assert isinstance(seen["seed"], int)


@pytest.mark.parametrize(
    "output, message",
    [
        (lambda n: np.ones(n - 1), r"must return an array of shape \(20,\)"),
        (lambda n: np.r_[np.ones(n - 1), np.nan], "must return finite values; got nan at period 19"),
        (lambda n: np.r_[-1.0, np.ones(n - 1)], "must return non-negative values; got -1.0 at period 0"),
        (lambda n: "spend", "must return an array of 20 numbers"),
    ],
)
def test_custom_pattern_output_is_validated(output, message):
    channel = ChannelConfig(name="TV", pattern="custom", custom_pattern_func=lambda c, d, s: output(len(d)))
    with pytest.raises(ConfigError, match=message) as info:
        spend_of(channel, n_periods=20)
    assert "'TV'.custom_pattern_func" in str(info.value)


def test_custom_pattern_errors_are_reported_with_the_channel():
    def broken(channel, dates, seed):
        raise KeyError("budget")

    with pytest.raises(ConfigError, match="'TV'.custom_pattern_func raised KeyError"):
        spend_of(ChannelConfig(name="TV", pattern="custom", custom_pattern_func=broken), n_periods=20)
