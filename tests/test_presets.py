"""Presets: every scenario of the description, each believable, reproducible and quiet."""

from __future__ import annotations

import importlib.util
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm import ConfigError, MMMDataConfig, generate_dataset, generate_mmm_dataset, validate_config
from xmmm.presets import (
    DEFAULT_PRESET_SEED,
    customize_preset,
    get_preset_config,
    list_available_presets,
    presets_table_markdown,
)

REPO = Path(__file__).resolve().parents[1]

NAMES = [
    "basic",
    "seasonal",
    "multi_region",
    "high_frequency",
    "digital_heavy",
    "traditional_media",
    "small_business",
    "enterprise",
    "research",
    "demo",
    "growing_business",
    "medium_business",
    "large_business",
    "time_varying",
    "messy",
    "confounded_demand",
    "target_chasing",
    "search_capture",
    "endogenous_market",
    "paid_exposures",
    "reach_frequency",
    "organic_media",
    "non_media_treatments",
    "non_revenue_kpi",
    "meridian_full",
]
#: presets with channels other than paid spend, or a KPI that is not revenue
MEDIA_INPUTS = NAMES[-6:]

_GENERATED: dict[str, tuple[xr.Dataset, list]] = {}


def real(ds: xr.Dataset, name: str) -> xr.DataArray:
    """A (geo, channel) truth without placebo channels, whose zero effect is their truth."""
    if "placebo" in ds:
        return ds[name].sel(channel=~ds["placebo"])
    return ds[name]


def generated(name: str) -> tuple[xr.Dataset, list]:
    """The preset's Dataset and the warnings its generation emitted (generated once per session)."""
    if name not in _GENERATED:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = generate_dataset(get_preset_config(name))
        _GENERATED[name] = (ds, [f"{w.category.__name__}: {w.message}" for w in caught])
    return _GENERATED[name]


def flatten(obj, prefix: str = "") -> dict:
    """Nested dicts / lists as one dict keyed by dotted paths (lists as [i])."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(obj, list):
        out = {}
        for i, value in enumerate(obj):
            out.update(flatten(value, f"{prefix}[{i}]"))
        return out or {prefix: []}
    return {prefix: obj}


def _kinds(ds: xr.Dataset, *kinds: str) -> list[str]:
    """The channels of the given kinds (every channel is paid media in a spend-only dataset)."""
    if "channel_kind" not in ds.coords:
        return [str(c) for c in ds["channel"].values] if "paid" in kinds else []
    return [str(c) for c, k in zip(ds["channel"].values, ds["channel_kind"].values) if k in kinds]


def changed_keys(a: MMMDataConfig, b: MMMDataConfig) -> set[str]:
    fa, fb = flatten(a.to_dict()), flatten(b.to_dict())
    return {k for k in fa.keys() | fb.keys() if fa.get(k, "<missing>") != fb.get(k, "<missing>")}


# --------------------------------------------------------------------------- registry
def test_every_preset_is_listed_with_a_one_line_description():
    presets = list_available_presets()
    assert list(presets) == NAMES
    for name, description in presets.items():
        assert isinstance(description, str) and description.strip()
        assert "\n" not in description, name


def test_list_is_a_copy():
    list_available_presets()["basic"] = "changed"
    assert list_available_presets()["basic"] != "changed"


def test_public_api_reexports():
    assert xmmm.get_preset_config is get_preset_config
    assert xmmm.customize_preset is customize_preset
    assert xmmm.list_available_presets is list_available_presets


@pytest.mark.parametrize("name", NAMES)
def test_preset_is_a_valid_fresh_config(name):
    a, b = get_preset_config(name), get_preset_config(name)
    assert isinstance(a, MMMDataConfig)
    validate_config(a)
    assert a is not b and a.channels is not b.channels and a.regions is not b.regions
    assert a.to_dict() == b.to_dict()
    a.n_periods += 1
    a.channels[0].base_spend *= 2
    assert get_preset_config(name).to_dict() == b.to_dict()
    assert b.seed == DEFAULT_PRESET_SEED
    assert get_preset_config(name, seed=7).seed == 7


@pytest.mark.parametrize("name", NAMES)
def test_preset_round_trips_through_plain_data(name):
    config = get_preset_config(name)
    plain = config.to_dict()
    json.dumps(plain)  # files can hold it
    assert MMMDataConfig.from_dict(json.loads(json.dumps(plain))).to_dict() == plain


def test_construction_uses_no_global_random_state():
    state = np.random.get_state()
    for name in NAMES:
        get_preset_config(name)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_names_are_forgiving_about_case_and_separators():
    assert get_preset_config("Multi-Region").to_dict() == get_preset_config("multi_region").to_dict()
    assert get_preset_config(" High Frequency ").frequency == "D"


@pytest.mark.parametrize("bad", ["nope", "multiregion", "", 3, None])
def test_unknown_preset_names_the_valid_ones(bad):
    with pytest.raises(ConfigError) as info:
        get_preset_config(bad)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "Unknown preset" in message
    for name in NAMES:
        assert name in message


def test_unknown_preset_suggests_a_close_name():
    with pytest.raises(ConfigError, match="Did you mean 'multi_region'"):
        get_preset_config("multiregion")


# --------------------------------------------------------------------------- generated data
@pytest.mark.parametrize("name", NAMES)
def test_generation_emits_no_warnings(name):
    _, caught = generated(name)
    assert caught == []


@pytest.mark.parametrize("name", NAMES)
def test_long_table_follows_the_schema(name):
    config = get_preset_config(name)
    ds, _ = generated(name)
    data = xmmm.MMMResult(ds)["data"]
    # observed demand is one more control column, after the controls
    n_ch, n_ctl = len(config.channels), len(config.control_variables) + (config.demand_column is not None)
    columns = list(data.columns)
    n_in = len(config.media_input_columns)
    assert columns[:3] == ["date", "geo", "y"]
    assert all(re.fullmatch(rf"x{i + 1}-\S+", c) for i, c in enumerate(columns[3:3 + n_ch])), columns
    assert columns[3 + n_ch:3 + n_ch + n_in] == config.media_input_columns
    assert all(re.fullmatch(rf"c{i + 1}-\S+", c) for i, c in enumerate(columns[3 + n_ch + n_in:])), columns
    assert len(columns) == 3 + n_ch + n_in + n_ctl
    rows = config.n_periods * config.regions.n_regions
    assert len(data) == (int((~ds["missing"]).sum()) if "missing" in ds else rows)  # rows a modeller receives
    assert pd.api.types.is_datetime64_any_dtype(data["date"])
    assert not data.duplicated(["date", "geo"]).any()
    order = data.sort_values(["date", "geo"], kind="stable").index
    assert np.array_equal(order, data.index)
    assert not data.isna().any().any()
    numeric = data.drop(columns=["date", "geo"])
    assert (numeric.to_numpy() >= 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_generation_is_reproducible(name):
    ds, _ = generated(name)
    again = generate_dataset(get_preset_config(name))
    xr.testing.assert_identical(ds, again)


@pytest.mark.parametrize("name", NAMES)
def test_media_share_and_attribution_are_in_range(name):
    ds, _ = generated(name)
    share = ds["media_share"].values
    assert ((share >= 10) & (share <= 40)).all(), share
    attribution = real(ds, "attribution")
    media = _kinds(ds, "paid", "reach_frequency", "organic", "organic_reach_frequency")
    attribution = attribution.sel(channel=[c for c in media if c in attribution["channel"].values])
    low = attribution.where(attribution < 1, drop=True)
    assert (attribution.values >= 1).all(), low.to_series().to_dict()


#: presets that reproduce a published design in its own units (pymc-marketing's market sells 50 a week)
SOURCE_UNITS = {"endogenous_market"}


@pytest.mark.parametrize("name", [n for n in NAMES if n not in SOURCE_UNITS])
def test_magnitudes_are_plausible(name):
    ds, _ = generated(name)
    config = get_preset_config(name)
    per_week = {"W": 1.0, "D": 7.0}[config.frequency]
    # in revenue: a KPI that is not revenue is valued at its revenue per KPI
    revenue_per_kpi = ds["revenue_per_kpi"] if "revenue_per_kpi" in ds else 1.0
    weekly_level = (ds["baseline_level"] * revenue_per_kpi).mean("date") * per_week
    assert (weekly_level >= 5e3).all() and (weekly_level <= 1e7).all()
    paid = _kinds(ds, "paid", "reach_frequency")
    roas = real(ds, "roas")
    roas = roas.sel(channel=[c for c in paid if c in roas["channel"].values]).values
    assert ((roas >= 0.2) & (roas <= 10)).all(), (roas.min(), roas.max())
    assert (ds["y"].values > 0).all()
    # every paid channel spends in every geo, every other channel is active in every geo, and total media
    # spend is a sane share of sales
    assert (ds["spend"].sel(channel=paid).sum("date") > 0).all()
    from xmmm.dataset import channel_activity

    assert (abs(channel_activity(ds)).sum("date") > 0).all()
    spend_ratio = (ds["spend"].sum(("date", "channel")) / (ds["y"] * revenue_per_kpi).sum("date")).values
    assert ((spend_ratio > 0.01) & (spend_ratio < 0.4)).all(), spend_ratio


@pytest.mark.parametrize("name", NAMES)
def test_quality_check_finds_nothing_to_warn_about(name):
    from xmmm.quality import check_data_quality

    ds, _ = generated(name)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        report = check_data_quality(ds)
    assert report.passed and report.warnings == [], report.issues + report.warnings


# --------------------------------------------------------------------------- the scenarios
def test_demo_has_every_pattern_and_a_custom_function_that_round_trips():
    config = get_preset_config("demo")
    assert {c.pattern for c in config.channels} == set(xmmm.config.PATTERNS)
    custom = next(c for c in config.channels if c.pattern == "custom")
    plain = config.to_dict()
    entry = next(c for c in plain["channels"] if c["pattern"] == "custom")
    assert entry["custom_pattern_func"] == {"callable": "xmmm.presets:quarterly_flights"}
    rebuilt = MMMDataConfig.from_dict(plain)
    rebuilt_custom = next(c for c in rebuilt.channels if c.pattern == "custom")
    assert rebuilt_custom.custom_pattern_func is custom.custom_pattern_func
    xr.testing.assert_identical(generate_dataset(rebuilt), generated("demo")[0])


def test_custom_functions_return_non_negative_series():
    from xmmm.presets import holiday_weeks, quarterly_flights, weekend_days

    channel = get_preset_config("demo").channels[-1]
    for freq, n in (("W", 160), ("D", 800)):
        dates = pd.date_range("2021-01-01", periods=n, freq=freq)
        for func in (quarterly_flights, holiday_weeks, weekend_days):
            out = np.asarray(func(channel, dates, 5))
            assert out.shape == (n,) and np.isfinite(out).all() and (out >= 0).all() and out.max() > 0
    weekly = pd.date_range("2021-01-03", periods=156, freq="W")
    holidays = holiday_weeks(channel, weekly, 0)
    assert set(np.unique(holidays)) == {0.0, 1.0} and holidays.sum() == 12  # four events a year
    black_friday_week = weekly.get_loc(pd.Timestamp("2022-11-20"))  # week holding 25 Nov 2022
    assert holidays[black_friday_week] == 1.0


def test_high_frequency_is_daily_with_short_carry_over():
    config = get_preset_config("high_frequency")
    assert config.frequency == "D" and config.n_periods >= 365
    for i in range(len(config.channels)):
        name, params = config.transforms.for_channel(i, "adstock")
        assert name == "geometric_adstock" and params["alpha"] <= 0.5 and params["l_max"] <= 14
    ds, _ = generated("high_frequency")
    assert (np.diff(ds["date"].values) == np.timedelta64(1, "D")).all()


def test_traditional_media_has_long_delayed_carry_over_and_slow_saturation():
    config = get_preset_config("traditional_media")
    assert {c.column_label for c in config.channels} == {"TV", "Radio", "Print", "Out-of-home"}
    adstock = [config.transforms.for_channel(i, "adstock") for i in range(len(config.channels))]
    assert {"delayed_adstock", "weibull_adstock"} <= {name for name, _ in adstock}
    assert all(params["l_max"] >= 10 for _, params in adstock)
    ds, _ = generated("traditional_media")
    # slow saturation: on average under half saturated
    assert float(ds["saturated"].mean()) < 0.5


def test_digital_heavy_has_short_carry_over_and_fast_saturation():
    config = get_preset_config("digital_heavy")
    assert {c.column_label for c in config.channels} == {"Search", "Social", "Display", "Video", "Affiliates"}
    for i in range(len(config.channels)):
        name, params = config.transforms.for_channel(i, "adstock")
        assert name == "geometric_adstock" and params["alpha"] <= 0.4 and params["l_max"] <= 6
    ds, _ = generated("digital_heavy")
    assert float(ds["saturated"].mean()) > 0.5


@pytest.mark.parametrize(
    ("name", "min_channels", "max_channels", "min_regions", "min_periods"),
    [("enterprise", 12, 30, 25, 156), ("large_business", 20, 30, 50, 208)],
)
def test_big_presets_are_big(name, min_channels, max_channels, min_regions, min_periods):
    config = get_preset_config(name)
    assert min_channels <= len(config.channels) <= max_channels
    assert config.regions.n_regions >= min_regions
    assert config.n_periods >= min_periods
    ds, _ = generated(name)
    spend = ds["spend"].mean("date")
    assert float(spend.max()) >= 10_000  # tens of thousands per region and week


def test_research_channels_are_weakly_correlated_with_varied_transforms():
    config = get_preset_config("research")
    saturation = {config.transforms.for_channel(i, "saturation")[0] for i in range(len(config.channels))}
    adstock = {config.transforms.for_channel(i, "adstock")[0] for i in range(len(config.channels))}
    assert len(saturation) >= 4 and len(adstock) >= 3
    assert config.n_periods >= 156
    ds, _ = generated("research")
    for geo in ds["geo"].values:
        corr = np.corrcoef(ds["spend"].sel(geo=geo).values.T)
        np.fill_diagonal(corr, 0.0)
        assert np.abs(corr).max() < 0.5
    # spend covers the bend of each curve: the saturated signal spans a wide range
    sat = ds["saturated"]
    span = (sat.quantile(0.95, "date") - sat.quantile(0.05, "date")).values
    assert (span > 0.2).all(), span


def test_controls_have_believable_signs():
    for name in NAMES:
        config = get_preset_config(name)
        drivers = config.demand.drivers if config.demand is not None else {}
        for control in config.control_variables:
            if control.name in drivers:
                # a demand driver (a macro indicator) acts on sales through demand only
                assert control.base_effectiveness == 0, (name, control.name)
            elif control.name == "price" or control.name.startswith("competitor"):
                assert control.base_effectiveness < 0, (name, control.name)
            else:
                assert control.base_effectiveness > 0, (name, control.name)


# --------------------------------------------------------------------------- customize_preset
def test_customize_changes_only_what_it_was_asked_to():
    base = get_preset_config("basic")
    config = customize_preset("basic", n_periods=104, seed=123)
    assert (config.n_periods, config.seed) == (104, 123)
    assert changed_keys(base, config) == {"n_periods", "seed"}
    assert len(generate_mmm_dataset(config)["data"]) == 104


@pytest.mark.parametrize(
    "overrides",
    [{"regions": {"sales_volatility": 0.05}}, {"regions.sales_volatility": 0.05}],
    ids=["nested", "dotted"],
)
def test_customize_nested_and_dotted(overrides):
    base = get_preset_config("multi_region")
    config = customize_preset("multi_region", **overrides)
    assert config.regions.sales_volatility == 0.05
    assert changed_keys(base, config) == {"regions.sales_volatility"}


def test_customize_region_count():
    base = get_preset_config("multi_region")
    config = customize_preset("multi_region", **{"regions.n_regions": 3})
    assert config.regions.n_regions == 3 and config.region_names == ["north", "south", "east"]
    changed = changed_keys(base, config)
    assert "regions.n_regions" in changed
    assert all(k == "regions.n_regions" or k.startswith("regions.region_names") for k in changed)
    data = generate_mmm_dataset(config)["data"]
    assert sorted(data["geo"].unique()) == ["east", "north", "south"]
    assert len(data) == 3 * config.n_periods


@pytest.mark.parametrize(("preset", "n", "names"), [
    ("multi_region", 7, ["north", "south", "east", "west", "central", "coast", "geo_7"]),
    ("multi_region", 2, ["north", "south"]),
    ("demo", 2, ["north", "south"]),
    ("basic", 3, ["geo_1", "geo_2", "geo_3"]),  # "national" names the whole market: not kept when it is split
    ("enterprise", 31, [f"geo_{i:02d}" for i in range(1, 32)]),
])
def test_customize_region_count_keeps_the_first_names(preset, n, names):
    assert customize_preset(preset, regions={"n_regions": n}).region_names == names


def test_growing_the_region_count_keeps_the_data_of_the_kept_regions():
    base = generate_mmm_dataset(get_preset_config("multi_region")).dataset
    grown = generate_mmm_dataset(customize_preset("multi_region", regions={"n_regions": 7})).dataset
    old = list(base["geo"].values)
    for name in ("spend", "control_value", "baseline_noise"):
        np.testing.assert_array_equal(grown[name].sel(geo=old).values, base[name].values, err_msg=name)


def test_customize_does_not_touch_the_preset():
    before = get_preset_config("demo").to_dict()
    customize_preset("demo", n_periods=60, **{"regions.n_regions": 4})
    assert get_preset_config("demo").to_dict() == before


def test_customize_unknown_field_names_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown override 'n_weeks'") as info:
        customize_preset("basic", n_weeks=10)
    assert "n_periods" in str(info.value) and "seed" in str(info.value)
    with pytest.raises(ConfigError, match="n_regions"):
        customize_preset("basic", **{"regions.n_region": 2})


def test_customize_bad_value_and_unknown_preset():
    with pytest.raises(ConfigError, match="n_periods"):
        customize_preset("basic", n_periods=0)
    with pytest.raises(ConfigError, match="Unknown preset"):
        customize_preset("no_such_preset", n_periods=10)


# --------------------------------------------------------------------------- docs and benchmark
def test_presets_table_markdown():
    table = presets_table_markdown(["basic", "demo"])
    lines = table.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("| Preset |") and set(lines[1]) <= {"|", "-"}
    assert lines[2].startswith("| `basic` |") and lines[3].startswith("| `demo` |")
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert "custom" in lines[3]


def test_benchmark_runs_quick(capsys):
    path = REPO / "benchmarks" / "bench_presets.py"
    spec = importlib.util.spec_from_file_location("bench_presets", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.main(["--quick"])
    assert [r["preset"] for r in rows] == ["basic", "demo"]
    assert all(r["seconds"] > 0 for r in rows)
    out = capsys.readouterr().out
    assert "basic" in out and "demo" in out

