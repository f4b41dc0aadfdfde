"""The generator: one labelled Dataset, exact identities, ground truth, reproducibility."""

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm import (
    ChannelConfig,
    ConfigError,
    ControlConfig,
    GenerationError,
    MMMDataConfig,
    RegionConfig,
    TransformConfig,
    XmmmWarning,
    generate_dataset,
    generate_mmm_dataset,
)


@pytest.fixture(scope="module")
def result():
    return generate_mmm_dataset()


@pytest.fixture(scope="module")
def ds(result):
    return result.dataset


def small_config(**kwargs):
    defaults = dict(
        n_periods=60,
        channels=[
            ChannelConfig(name="TV", pattern="seasonal", base_spend=4000.0, base_effectiveness=0.2),
            ChannelConfig(name="Search", pattern="linear_trend", base_spend=2000.0, base_effectiveness=0.15),
        ],
        regions=RegionConfig(n_regions=2, region_names=["North", "South"]),
        control_variables=[ControlConfig(name="price", pattern="linear_trend", base_value=5.0, base_effectiveness=-0.1)],
        seed=7,
    )
    defaults.update(kwargs)
    return MMMDataConfig(**defaults)


# ---------------------------------------------------------------- the description's quick start, verbatim
def test_quick_start_basic_usage(capsys):
    from xmmm import generate_mmm_dataset, DEFAULT_CONFIG  # noqa: F401

    # Generate dataset with default configuration
    result = generate_mmm_dataset()
    data = result['data']
    ground_truth = result['ground_truth']

    print(f"Generated {len(data)} rows of data")
    print(f"Columns: {list(data.columns)}")
    print("Sample opf the generated data:")
    print(data.head())
    assert "Generated 387 rows of data" in capsys.readouterr().out
    assert set(ground_truth) >= {
        "transformation_parameters", "baseline_components", "roas_values",
        "attribution_percentages", "transformed_spend",
    }


def test_quick_start_custom_configuration():
    from xmmm import MMMDataConfig, ChannelConfig, generate_mmm_dataset

    # Create custom configuration
    config = MMMDataConfig(
        n_periods=52,
        channels=[
            ChannelConfig(
                name="x-TV",
                pattern="seasonal",
                base_spend=3000.0,
                seasonal_amplitude=0.5,
                base_effectiveness=0.7
            ),
            ChannelConfig(
                name="x-Digital",
                pattern="linear_trend",
                base_spend=1500.0,
                spend_trend=0.08,
                base_effectiveness=0.6
            )
        ],
        seed=42
    )

    result = generate_mmm_dataset(config)
    assert list(result["data"].columns) == ["date", "geo", "y", "x1-TV", "x2-Digital"]
    assert len(result["data"]) == 52


# ---------------------------------------------------------------- the Dataset
def test_dataset_layout(ds):
    assert dict(ds.sizes) == {"date": 129, "geo": 3, "channel": 3, "control": 2}
    for name in ("spend", "adstocked", "saturated", "contribution"):
        assert ds[name].dims == ("date", "geo", "channel")
    for name in ("control_value", "control_effect"):
        assert ds[name].dims == ("date", "geo", "control")
    for name in ("baseline", "baseline_level", "baseline_trend", "baseline_seasonality", "baseline_noise", "y"):
        assert ds[name].dims == ("date", "geo")
    for name in ("adstock_alpha", "saturation_slope", "saturation_kappa", "effectiveness",
                 "channel_coefficient", "spend_scale", "roas", "mroas", "attribution"):
        assert ds[name].dims == ("geo", "channel")
    assert list(ds["channel_column"].values) == ["x1-TV", "x2-Search", "x3-Social"]
    assert list(ds["control_column"].values) == ["c1-price", "c2-promotion"]
    assert ds.attrs["xmmm_version"] == xmmm.__version__
    assert ds.attrs["seed"] == 42


def test_config_in_attrs_round_trips(result, ds):
    assert MMMDataConfig.from_dict(__import__("json").loads(ds.attrs["xmmm_config"])) == result.config
    assert xmmm.MMMResult(ds).config == result.config


def test_decomposition_identity_is_exact(ds):
    total = ds.baseline + ds.control_effect.sum("control") + ds.contribution.sum("channel")
    np.testing.assert_array_equal(ds.y.values, total.values)
    components = ds.baseline_level + ds.baseline_trend + ds.baseline_seasonality + ds.baseline_noise
    np.testing.assert_allclose(ds.baseline.values, components.values, rtol=1e-15)


def test_transforms_applied_as_declared(ds):
    scaled = ds.spend / ds.spend_scale
    for channel in ds.channel.values:
        for geo in ds.geo.values:
            x = scaled.sel(geo=geo, channel=channel).values
            alpha = float(ds.adstock_alpha.sel(geo=geo, channel=channel))
            l_max = int(ds.adstock_l_max.sel(channel=channel))
            weights = alpha ** np.arange(l_max)
            weights /= weights.sum()  # normalize=True is the default
            expected = np.convolve(x, weights)[: len(x)]
            np.testing.assert_allclose(ds.adstocked.sel(geo=geo, channel=channel).values, expected, rtol=1e-12)
            s = float(ds.saturation_slope.sel(geo=geo, channel=channel))
            k = float(ds.saturation_kappa.sel(geo=geo, channel=channel))
            hill = expected**s / (k**s + expected**s)
            np.testing.assert_allclose(ds.saturated.sel(geo=geo, channel=channel).values, hill, rtol=1e-10)
    xr.testing.assert_allclose(ds.contribution, (ds.channel_coefficient * ds.saturated).transpose(*ds.contribution.dims),
                               rtol=1e-15)
    xr.testing.assert_allclose(ds.spend_scale, ds.spend.max("date"))


def test_roas_and_attribution(ds):
    xr.testing.assert_allclose(ds.roas, ds.contribution.sum("date") / ds.spend.sum("date"))
    np.testing.assert_allclose(ds.attribution.sum("channel"), 100.0)
    share = ds.contribution.sum("date") / ds.contribution.sum(("date", "channel")) * 100
    xr.testing.assert_allclose(ds.attribution, share.transpose("geo", "channel"))
    xr.testing.assert_allclose(ds.media_share, 100 * ds.contribution.sum(("date", "channel")) / ds.y.sum("date"))


def test_marginal_roas_is_below_average_roas_for_concave_curves():
    config = small_config(transforms=TransformConfig(saturation_kwargs={"slope": 1.0, "kappa": 0.5}))
    ds = generate_dataset(config)
    assert (ds.mroas < ds.roas).all()
    assert (ds.mroas > 0).all()


def test_control_effects_are_linear_and_signed(ds):
    expected = (ds.control_coefficient * ds.control_value).transpose(*ds.control_effect.dims)
    xr.testing.assert_allclose(ds.control_effect, expected, rtol=1e-15)
    assert (ds.control_effect.sel(control="price") < 0).all()
    assert (ds.control_effect.sel(control="promotion") >= 0).all()
    assert (ds.control_value >= 0).all()


def test_ground_truth_dict_shape(result, ds):
    truth = result["ground_truth"]
    assert set(truth["roas_values"]) == {"geo_a", "geo_b", "geo_c"}
    assert truth["roas_values"]["geo_b"]["x-Search"] == pytest.approx(float(ds.roas.sel(geo="geo_b", channel="x-Search")))
    assert sum(truth["attribution_percentages"]["geo_a"].values()) == pytest.approx(100.0)
    params = truth["transformation_parameters"]["channels"]["x-TV"]["geo_c"]
    assert params["adstock_function"] == "geometric_adstock"
    assert params["adstock_params"]["alpha"] == pytest.approx(float(ds.adstock_alpha.sel(geo="geo_c", channel="x-TV")))
    assert params["adstock_params"]["l_max"] == 8
    assert params["saturation_params"].keys() == {"slope", "kappa"}
    baseline = truth["baseline_components"]
    assert list(baseline.columns) == ["level", "trend", "seasonality", "noise", "baseline"]
    np.testing.assert_allclose(baseline[["level", "trend", "seasonality", "noise"]].sum(axis=1), baseline["baseline"])
    contributions = truth["transformed_spend"]
    assert list(contributions.columns) == ["contribution_x1-TV", "contribution_x2-Search", "contribution_x3-Social"]
    assert contributions.loc[(ds.date.values[5], "geo_b"), "contribution_x2-Search"] == pytest.approx(
        float(ds.contribution.isel(date=5).sel(geo="geo_b", channel="x-Search"))
    )
    assert result["config"] is result.config


# ---------------------------------------------------------------- the long table
def test_long_table_schema(result, ds):
    data = result["data"]
    assert list(data.columns) == ["date", "geo", "y", "x1-TV", "x2-Search", "x3-Social", "c1-price", "c2-promotion"]
    assert len(data) == 129 * 3
    assert not data.duplicated(["date", "geo"]).any()
    assert data.equals(data.sort_values(["date", "geo"]).reset_index(drop=True))
    assert not data.isna().any().any()
    numeric = data.drop(columns=["date", "geo"])
    assert (numeric >= 0).all().all()
    assert pd.api.types.is_datetime64_any_dtype(data["date"])
    row = data[(data.date == ds.date.values[3]) & (data.geo == "geo_c")].iloc[0]
    assert row["y"] == float(ds.y.isel(date=3).sel(geo="geo_c"))
    assert row["x2-Search"] == float(ds.spend.isel(date=3).sel(geo="geo_c", channel="x-Search"))
    assert row["c1-price"] == float(ds.control_value.isel(date=3).sel(geo="geo_c", control="price"))


def test_long_table_sorts_geos_given_out_of_order():
    config = small_config(regions=RegionConfig(n_regions=2, region_names=["South", "North"]))
    data = generate_mmm_dataset(config)["data"]
    assert list(data.geo[:2]) == ["North", "South"]


def test_long_table_without_controls():
    data = generate_mmm_dataset(small_config(control_variables=[]))["data"]
    assert list(data.columns) == ["date", "geo", "y", "x1-TV", "x2-Search"]


# ---------------------------------------------------------------- reproducibility and streams
def test_same_seed_identical_output():
    a = generate_dataset(small_config())
    b = generate_dataset(small_config())
    xr.testing.assert_identical(a, b)


def test_different_seed_different_output():
    a = generate_dataset(small_config())
    b = generate_dataset(small_config(seed=8))
    assert not np.array_equal(a.spend.values, b.spend.values)


def test_no_seed_records_the_seed_drawn():
    config = small_config(seed=None)
    ds = generate_dataset(config)
    assert config.seed is None
    again = generate_dataset(small_config(seed=ds.attrs["seed"]))
    np.testing.assert_array_equal(ds.y.values, again.y.values)


def test_global_numpy_state_is_neither_read_nor_written():
    np.random.seed(1)
    state = np.random.get_state()[1].copy()
    a = generate_dataset(small_config())
    assert np.array_equal(np.random.get_state()[1], state)
    np.random.seed(99)
    b = generate_dataset(small_config())
    xr.testing.assert_identical(a, b)


def test_adding_a_channel_leaves_the_others_unchanged():
    base = small_config()
    more = small_config(
        channels=[ChannelConfig(name="Radio", pattern="on_off", base_spend=500.0)] + base.channels,
    )
    a, b = generate_dataset(base), generate_dataset(more)
    for var in ("spend", "adstock_alpha", "effectiveness", "saturation_kappa"):
        np.testing.assert_array_equal(a[var].values, b[var].sel(channel=["TV", "Search"]).values)
    np.testing.assert_array_equal(a.control_value.values, b.control_value.values)
    np.testing.assert_array_equal(a.baseline.values, b.baseline.values)


def test_adding_a_region_leaves_the_others_unchanged():
    a = generate_dataset(small_config())
    b = generate_dataset(small_config(regions=RegionConfig(n_regions=3, region_names=["North", "South", "East"])))
    for var in ("spend", "baseline", "control_value", "adstock_alpha", "effectiveness", "spend_scale"):
        np.testing.assert_array_equal(a[var].values, b[var].sel(geo=["North", "South"]).values)


def test_no_two_series_share_a_stream():
    config = small_config(
        channels=[ChannelConfig(name=f"ch{i}", pattern="linear_trend", spend_volatility=0.5) for i in range(12)],
        control_variables=[ControlConfig(name="c0", pattern="linear_trend", value_volatility=0.5)],
        regions=RegionConfig(n_regions=3),
        transforms=TransformConfig(),
        n_periods=400,
    )
    ds = generate_dataset(config)
    noise = np.log(ds.spend.values).reshape(400, -1)  # (date, geo x channel): same shape, different streams
    corr = np.corrcoef(noise.T)
    off_diagonal = corr[~np.eye(len(corr), dtype=bool)]
    assert np.abs(off_diagonal).max() < 0.25
    # the reference's seed scheme replayed channel i of region r as channel i+10 of region r-1
    assert not np.array_equal(ds.spend.isel(geo=1, channel=0).values, ds.spend.isel(geo=0, channel=10).values)


# ---------------------------------------------------------------- regions
def test_single_region_uses_the_configured_parameters():
    config = small_config(regions=RegionConfig(n_regions=1), transforms=TransformConfig(adstock_kwargs={"alpha": 0.4}))
    ds = generate_dataset(config)
    assert (ds.adstock_alpha == 0.4).all()
    np.testing.assert_array_equal(ds.effectiveness.values[0], [0.2, 0.15])
    np.testing.assert_array_equal(ds.spend_level.values[0], [4000.0, 2000.0])


def test_regions_vary_within_the_configured_bounds():
    regions = RegionConfig(n_regions=20, baseline_variation=0.3, channel_param_variation=0.2, transform_variation=0.1)
    ds = generate_dataset(small_config(regions=regions, transforms=TransformConfig(adstock_kwargs={"alpha": 0.5})))
    eff = ds.effectiveness / np.array([0.2, 0.15])
    assert float(eff.min()) >= 0.8 and float(eff.max()) <= 1.2 and float(eff.std()) > 0.05
    level = ds.baseline_level.isel(date=0) / 10000.0
    assert float(level.min()) >= 0.7 and float(level.max()) <= 1.3
    alpha = ds.adstock_alpha
    assert float(alpha.min()) > 0.45 and float(alpha.max()) < 0.55 and float(alpha.std()) > 0.005


def test_region_similarity_one_makes_regions_identical():
    regions = RegionConfig(n_regions=4, region_similarity=1.0)
    ds = generate_dataset(small_config(regions=regions))
    for var in ("effectiveness", "adstock_alpha", "saturation_kappa", "spend_level"):
        assert (ds[var] == ds[var].isel(geo=0)).all()


def test_region_similarity_shrinks_differences():
    spread = []
    for similarity in (0.0, 0.5, 0.9):
        regions = RegionConfig(n_regions=10, region_similarity=similarity)
        spread.append(float(generate_dataset(small_config(regions=regions)).effectiveness.std("geo").mean()))
    assert spread[0] > spread[1] > spread[2] > 0


def test_unit_parameters_stay_in_range_under_variation():
    regions = RegionConfig(n_regions=30, transform_variation=0.9)
    ds = generate_dataset(small_config(regions=regions, transforms=TransformConfig(adstock_kwargs={"alpha": 0.95})))
    assert float(ds.adstock_alpha.max()) < 1.0 and float(ds.adstock_alpha.min()) > 0.0


# ---------------------------------------------------------------- overrides and mutation
def test_overrides_never_mutate_inputs():
    default_before = xmmm.DEFAULT_CONFIG.to_dict()
    config = small_config()
    before = config.to_dict()
    ds = generate_dataset(config, n_periods=30, seed=1)
    assert ds.sizes["date"] == 30
    assert config.to_dict() == before
    generate_dataset(n_periods=20)
    assert xmmm.DEFAULT_CONFIG.to_dict() == default_before


def test_unknown_override_is_an_error():
    with pytest.raises(ConfigError, match="unknown override 'n_period'"):
        generate_mmm_dataset(n_period=30)


def test_config_of_wrong_type():
    with pytest.raises(ConfigError, match="config must be an MMMDataConfig"):
        generate_mmm_dataset({"n_periods": 10})


def test_mutated_config_is_revalidated():
    config = small_config()
    config.channels[0].base_spend = -1.0
    with pytest.raises(ConfigError, match=r"channels\[0\] \('TV'\).base_spend must be >= 0"):
        generate_mmm_dataset(config)


# ---------------------------------------------------------------- outcome checks and warnings
def test_negative_outcome_names_geo_and_date():
    config = small_config(control_variables=[ControlConfig(name="price", pattern="linear_trend", base_value=5.0,
                                                           base_effectiveness=-1.5)])
    with pytest.raises(GenerationError) as info:
        generate_dataset(config)
    text = str(info.value)
    assert "y would be negative" in text and "geo 'North'" in text and "2020-" in text
    assert "base_sales_rate" in text


def collect_warnings(config):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        generate_dataset(config)
    return [str(w.message) for w in caught if issubclass(w.category, XmmmWarning)]


def test_warns_when_l_max_exceeds_the_series():
    messages = collect_warnings(small_config(n_periods=10, transforms=TransformConfig(adstock_kwargs={"l_max": 12})))
    assert any("l_max (12) is longer than the series (10 periods)" in m for m in messages)


def test_warns_when_a_channel_never_spends():
    channels = [ChannelConfig(name="TV"), ChannelConfig(name="Print", pattern="delayed_start", start_period=100)]
    messages = collect_warnings(small_config(channels=channels))
    assert any("('Print') never spends" in m for m in messages)


def test_warns_when_saturation_is_almost_linear():
    messages = collect_warnings(small_config(transforms=TransformConfig(saturation_kwargs={"kappa": 1500.0})))
    assert any("almost linear" in m and "spend_scaling='none'" in m for m in messages)


def test_warns_when_saturation_is_flat():
    messages = collect_warnings(small_config(transforms=TransformConfig(saturation_kwargs={"kappa": 1e-4})))
    assert any("saturated and extra spend adds almost nothing" in m for m in messages)


def test_warns_when_on_off_share_is_unreachable():
    channel = ChannelConfig(name="TV", pattern="on_off", activation_probability=0.95, min_active_periods=1,
                            max_active_periods=2)
    messages = collect_warnings(small_config(channels=[channel]))
    assert any("activation_probability 0.95 cannot be reached" in m for m in messages)


def test_warns_when_trend_zeroes_spend():
    channel = ChannelConfig(name="TV", spend_trend=-0.05)
    messages = collect_warnings(small_config(channels=[channel]))
    assert any("brings spend to zero at period 20" in m for m in messages)


def test_default_config_is_quiet():
    assert collect_warnings(xmmm.DEFAULT_CONFIG) == []


# ---------------------------------------------------------------- scaling, frequency, scale
def test_spend_scaling_none_keeps_currency_units():
    config = small_config(transforms=TransformConfig(saturation_kwargs={"kappa": 3000.0}, spend_scaling="none"))
    ds = generate_dataset(config)
    assert (ds.spend_scale == 1.0).all()


def test_daily_frequency_with_calendar_seasonality():
    config = small_config(n_periods=730, frequency="D", start_date="2021-01-01",
                          regions=RegionConfig(n_regions=1, seasonal_amplitude=0.3, sales_volatility=0.0))
    ds = generate_dataset(config)
    assert (np.diff(ds.date.values) == np.timedelta64(1, "D")).all()
    season = ds.baseline_seasonality.isel(geo=0).to_series()
    # one cycle per calendar year, whatever the frequency: the same calendar day, the same value
    assert season.loc["2021-04-01"] == pytest.approx(season.loc["2022-04-01"], rel=1e-6)
    assert season.idxmax().month in (3, 4)  # sin peaks a quarter into the year


def test_large_configuration_runs():
    config = MMMDataConfig(
        n_periods=520,
        channels=[ChannelConfig(name=f"ch{i}", pattern=["seasonal", "linear_trend", "on_off"][i % 3],
                                base_effectiveness=0.02) for i in range(20)],
        regions=RegionConfig(n_regions=50),
        seed=3,
    )
    ds = generate_dataset(config)
    assert ds.spend.shape == (520, 50, 20)
    assert ds.geo.values[0] == "geo_01" and ds.geo.values[-1] == "geo_50"


# ---------------------------------------------------------------- the benchmark never rots
def test_generation_benchmark_runs_quick(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.main(["--quick"])
    assert len(rows) == 2 and all(generate > 0 and export > 0 for _, generate, export in rows)
    assert "generate ms" in capsys.readouterr().out


# ---------------------------------------------------------------- the result object
def test_result_is_a_read_only_mapping_with_the_three_keys(result):
    from collections.abc import Mapping

    assert isinstance(result, Mapping) and not isinstance(result, dict)
    assert list(result) == ["data", "ground_truth", "config"] and len(result) == 3
    assert "data" in result and "dataset" not in result
    assert set(dict(result)) == {"data", "ground_truth", "config"}
    assert result.get("missing") is None
    with pytest.raises(KeyError, match="has the keys data, ground_truth, config"):
        result["dataset"]
    with pytest.raises(TypeError, match="read-only"):
        result["data"] = None
    with pytest.raises(TypeError, match="read-only"):
        del result["data"]


def test_result_is_not_silently_empty_to_c_level_dict_code(result):
    # xmmm 0.1 subclassed dict with empty storage: json.dumps(result) gave "{}"
    import json

    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps(result)
    assert {**result}.keys() == {"data", "ground_truth", "config"}


def test_result_pickles_and_keeps_its_config():
    import pickle

    config = small_config()
    result = generate_mmm_dataset(config)
    again = pickle.loads(pickle.dumps(result))
    assert again == result and again.config == config
    assert result.config is not config  # a snapshot: later edits of config do not change it


def test_result_config_with_an_unimportable_custom_pattern():
    channel = ChannelConfig(name="TV", pattern="custom", custom_pattern_func=lambda c, d, s: np.ones(len(d)))
    result = generate_mmm_dataset(small_config(channels=[channel]))
    assert result["config"].channels[0].custom_pattern_func is channel.custom_pattern_func


def test_the_description_configuration_examples_generate():
    channels = [
        ChannelConfig(name="x-TV", pattern="linear_trend", base_spend=2000.0, spend_trend=0.05, base_effectiveness=0.6),
        ChannelConfig(name="x-Digital", pattern="seasonal", base_spend=1500.0, seasonal_amplitude=0.4,
                      seasonal_phase=0.0, base_effectiveness=0.5),
        ChannelConfig(name="x-Print", pattern="delayed_start", base_spend=800.0, start_period=10, ramp_up_periods=4,
                      base_effectiveness=0.3),
        ChannelConfig(name="x-Radio", pattern="on_off", base_spend=1000.0, activation_probability=0.7,
                      min_active_periods=2, max_active_periods=8, base_effectiveness=0.4),
    ]
    regions = RegionConfig(n_regions=3, region_names=["geo_a", "geo_b", "geo_c"], base_sales_rate=10000.0,
                           sales_trend=0.02, sales_volatility=0.15, seasonal_amplitude=0.2)
    config = MMMDataConfig(n_periods=52, channels=channels, regions=regions, seed=42)
    data = generate_mmm_dataset(config)["data"]
    assert list(data.columns) == ["date", "geo", "y", "x1-TV", "x2-Digital", "x3-Print", "x4-Radio"]
    assert (data[data.date < data.date.unique()[10]]["x3-Print"] == 0).all()
    # the description's TransformConfig example gives kappa in currency while spend is max-scaled: say so
    transforms = TransformConfig(adstock_fun="geometric_adstock", adstock_kwargs={"alpha": 0.5},
                                 saturation_fun="hill_function", saturation_kwargs={"slope": 1.0, "kappa": 1500.0})
    with pytest.warns(XmmmWarning, match="almost linear"):
        generate_mmm_dataset(config, transforms=transforms)
