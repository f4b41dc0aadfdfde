"""Configs: every validation message, overrides, round trips, no mutation."""

import math
import re

import pytest

import xmmm
from xmmm import (
    ChannelConfig,
    ConfigError,
    ControlConfig,
    MMMDataConfig,
    RegionConfig,
    TransformConfig,
    TransformError,
    validate_config,
)
from xmmm.config import apply_overrides


def tv(**kwargs):
    return ChannelConfig(name="TV", **kwargs)


# ---------------------------------------------------------------- one test per message
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": " TV"}, "without leading or trailing spaces"),
        ({"name": "TV", "pattern": "weekly"}, "pattern must be one of 'linear_trend'"),
        ({"name": "TV", "base_spend": -1.0}, "base_spend must be >= 0; got -1.0"),
        ({"name": "TV", "base_spend": "lots"}, "base_spend must be a number >= 0; got 'lots'"),
        ({"name": "TV", "base_spend": math.inf}, "base_spend must be finite; got inf"),
        ({"name": "TV", "spend_volatility": -0.1}, "spend_volatility must be >= 0; got -0.1"),
        ({"name": "TV", "seasonal_amplitude": 1.5}, "seasonal_amplitude must be in [0, 1]; got 1.5"),
        ({"name": "TV", "start_period": -2}, "start_period must be >= 0; got -2"),
        ({"name": "TV", "start_period": 1.5}, "start_period must be an integer >= 0; got 1.5"),
        ({"name": "TV", "ramp_up_periods": -1}, "ramp_up_periods must be >= 0; got -1"),
        ({"name": "TV", "start_period": 10, "end_period": 5}, "end_period must be > start_period (10); got 5"),
        ({"name": "TV", "activation_probability": 1.2}, "activation_probability must be in [0, 1]; got 1.2"),
        ({"name": "TV", "min_active_periods": 0}, "min_active_periods must be >= 1; got 0"),
        ({"name": "TV", "min_active_periods": 5, "max_active_periods": 3}, "max_active_periods must be >= min_active_periods (5); got 3"),
        ({"name": "TV", "pattern": "custom"}, "custom_pattern_func must be a callable when pattern='custom'"),
        ({"name": "TV", "custom_pattern_func": 3}, "custom_pattern_func must be a callable or None"),
        ({"name": "TV", "base_effectiveness": -0.2}, "base_effectiveness must be >= 0; got -0.2"),
        ({"name": "TV", "seasonal_phase": math.nan}, "seasonal_phase must be finite"),
    ],
)
def test_channel_errors_name_field_value_and_rule(kwargs, message):
    with pytest.raises(ConfigError, match=None) as info:
        ChannelConfig(**kwargs)
    assert message in str(info.value)
    assert "ChannelConfig(" in str(info.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"base_value": -1.0}, "base_value must be >= 0; got -1.0"),
        ({"value_volatility": -1.0}, "value_volatility must be >= 0; got -1.0"),
        ({"value_trend": "up"}, "value_trend must be a number; got 'up'"),
        ({"regional_value_variation": 1.0}, "regional_value_variation must be in [0, 1); got 1.0"),
        ({"base_effectiveness": math.inf}, "base_effectiveness must be finite"),
    ],
)
def test_control_errors(kwargs, message):
    with pytest.raises(ConfigError) as info:
        ControlConfig(name="price", **kwargs)
    assert message in str(info.value)


def test_control_effect_may_be_negative():
    assert ControlConfig(name="price", base_effectiveness=-0.3).base_effectiveness == -0.3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_regions": 0}, "n_regions must be >= 1; got 0"),
        ({"n_regions": 2, "region_names": ["a"]}, "region_names must be a list of n_regions (2) names"),
        ({"n_regions": 2, "region_names": ["a", "a"]}, "region_names must be unique (repeated: a)"),
        ({"n_regions": 1, "region_names": [""]}, "region_names must be a list of non-empty strings"),
        ({"base_sales_rate": 0.0}, "base_sales_rate must be > 0; got 0.0"),
        ({"sales_volatility": -0.1}, "sales_volatility must be >= 0"),
        ({"seasonal_amplitude": 2.0}, "seasonal_amplitude must be in [0, 1]; got 2.0"),
        ({"baseline_variation": 1.0}, "baseline_variation must be in [0, 1); got 1.0"),
        ({"channel_param_variation": -0.5}, "channel_param_variation must be in [0, 1)"),
        ({"transform_variation": 3}, "transform_variation must be in [0, 1); got 3"),
        ({"region_similarity": 1.5}, "region_similarity must be in [0, 1]; got 1.5"),
    ],
)
def test_region_errors(kwargs, message):
    with pytest.raises(ConfigError) as info:
        RegionConfig(**kwargs)
    assert message in str(info.value)
    assert "RegionConfig." in str(info.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"adstock_fun": "exponential_adstock"}, "exponential_adstock"),
        ({"adstock_kwargs": {"alpha": 1.3}}, "geometric_adstock: alpha must be in [0, 1]; got 1.3"),
        ({"adstock_kwargs": {"l_max": 0}}, "l_max"),
        ({"saturation_kwargs": {"kappa": -1.0}}, "hill_function: kappa must be"),
        ({"saturation_kwargs": {"half_max": 1.0}}, "half_max"),
        ({"adstock_kwargs": [{"alpha": 0.2}, 3]}, "adstock_kwargs must be a dict or a list of dicts"),
        ({"adstock_fun": ["geometric_adstock"], "adstock_kwargs": [{}, {}]}, "a list as long as adstock_fun (1)"),
        ({"spend_scaling": "log"}, "spend_scaling must be one of 'max', 'mean', 'none', 'per_capita_median'; got 'log'"),
    ],
)
def test_transform_errors(kwargs, message):
    with pytest.raises(ConfigError) as info:
        TransformConfig(**kwargs)
    assert message in str(info.value)


def test_unknown_transform_is_a_transform_error_listing_valid_names():
    with pytest.raises(TransformError) as info:
        xmmm.transforms.get_transform("adstock", "exponential_adstock")
    assert "geometric_adstock" in str(info.value)


def test_transform_list_must_match_channel_count():
    with pytest.raises(ConfigError) as info:
        MMMDataConfig(
            channels=[tv(), ChannelConfig(name="Search")],
            transforms=TransformConfig(adstock_kwargs=[{"alpha": 0.1}, {"alpha": 0.2}, {"alpha": 0.3}]),
        )
    assert "transforms.adstock_kwargs must be one entry for all channels or a list of 2" in str(info.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_periods": 0}, "n_periods must be >= 1; got 0"),
        ({"n_periods": 12.5}, "n_periods must be an integer >= 1; got 12.5"),
        ({"seed": -1}, "seed must be in [0,"),
        ({"seed": "42"}, "seed must be an integer"),
        ({"frequency": "fortnightly"}, "frequency must be a pandas offset alias"),
        ({"start_date": "the first of May"}, "start_date must be a date such as '2020-01-01'"),
        ({"channels": []}, "channels must hold at least one ChannelConfig; got []"),
        ({"channels": [ControlConfig(name="price")]}, "channels[0] must be a ChannelConfig; got ControlConfig"),
        ({"channels": [ChannelConfig(name="TV"), ChannelConfig(name="TV")]}, "repeated channel names: 'TV'"),
        ({"channels": [ChannelConfig(name="x-TV"), ChannelConfig(name="TV")]}, "export labels must be unique"),
        ({"control_variables": [ControlConfig(name="p"), ControlConfig(name="p")]}, "repeated control names: 'p'"),
        ({"regions": {"n_regions": 3}}, "regions must be a RegionConfig; got dict"),
        ({"transforms": None}, "transforms must be a TransformConfig; got NoneType"),
    ],
)
def test_dataset_config_errors(kwargs, message):
    kwargs.setdefault("channels", [tv()])
    with pytest.raises(ConfigError) as info:
        MMMDataConfig(**kwargs)
    assert message in str(info.value)


def test_validate_config_lists_every_problem_with_its_path():
    config = MMMDataConfig(channels=[tv(), ChannelConfig(name="Search")], seed=1)
    config.n_periods = -3
    config.channels[1].base_spend = -5.0
    config.regions.sales_volatility = -1.0
    with pytest.raises(ConfigError) as info:
        validate_config(config)
    text = str(info.value)
    assert text.startswith("3 problems")
    assert "n_periods must be >= 1; got -3" in text
    assert "channels[1] ('Search').base_spend must be >= 0; got -5.0" in text
    assert "regions.sales_volatility must be >= 0; got -1.0" in text


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)
    assert issubclass(TransformError, ConfigError)


# ---------------------------------------------------------------- overrides
def test_overrides_return_a_validated_copy_and_leave_the_original_alone():
    before = xmmm.DEFAULT_CONFIG.to_dict()
    changed = apply_overrides(xmmm.DEFAULT_CONFIG, {"n_periods": 60, "regions.n_regions": 5})
    assert changed.n_periods == 60
    assert changed.regions.n_regions == 5
    assert changed.regions.names == ["geo_a", "geo_b", "geo_c", "geo_4", "geo_5"]  # first names kept
    assert xmmm.DEFAULT_CONFIG.to_dict() == before


def test_nested_dict_override():
    changed = apply_overrides(xmmm.DEFAULT_CONFIG, {"regions": {"sales_trend": 0.0, "n_regions": 2}})
    assert changed.regions.sales_trend == 0.0
    assert changed.regions.n_regions == 2


@pytest.mark.parametrize("key", ["n_period", "regions.n_region", "regions.names.x"])
def test_unknown_override_is_an_error_naming_valid_fields(key):
    with pytest.raises(ConfigError) as info:
        apply_overrides(xmmm.DEFAULT_CONFIG, {key: 3})
    assert "unknown override" in str(info.value)
    assert "valid fields" in str(info.value)


def test_bad_override_value_is_reported_by_path():
    with pytest.raises(ConfigError) as info:
        apply_overrides(xmmm.DEFAULT_CONFIG, {"regions.base_sales_rate": -1})
    assert "base_sales_rate must be > 0; got -1" in str(info.value)


# ---------------------------------------------------------------- round trip
def test_to_dict_from_dict_round_trip():
    config = xmmm.DEFAULT_CONFIG
    again = MMMDataConfig.from_dict(config.to_dict())
    assert again == config
    assert again.to_dict() == config.to_dict()


def test_from_dict_unknown_key_names_source_and_path():
    data = xmmm.DEFAULT_CONFIG.to_dict()
    data["regions"]["n_region"] = 3
    with pytest.raises(ConfigError) as info:
        MMMDataConfig.from_dict(data, source="study.yaml")
    assert "study.yaml" in str(info.value)
    assert "regions.n_region" in str(info.value)


def test_from_dict_bad_value_names_path():
    data = xmmm.DEFAULT_CONFIG.to_dict()
    data["channels"][1]["base_spend"] = -10
    with pytest.raises(ConfigError) as info:
        MMMDataConfig.from_dict(data, source="study.yaml")
    assert "study.yaml: channels[1] ('x-Search').base_spend" in str(info.value)
    assert "base_spend must be >= 0; got -10" in str(info.value)


def module_level_pattern(channel, dates, seed):
    return [100.0] * len(dates)


def test_custom_pattern_round_trips_by_import_path():
    config = MMMDataConfig(channels=[tv(pattern="custom", custom_pattern_func=module_level_pattern)], seed=3)
    data = config.to_dict()
    assert data["channels"][0]["custom_pattern_func"] == {"callable": f"{__name__}:module_level_pattern"}
    assert MMMDataConfig.from_dict(data).channels[0].custom_pattern_func is module_level_pattern


def test_custom_pattern_that_cannot_be_imported():
    data = MMMDataConfig(channels=[tv(pattern="custom", custom_pattern_func=module_level_pattern)]).to_dict()
    data["channels"][0]["custom_pattern_func"] = {"callable": "nowhere:pattern"}
    with pytest.raises(ConfigError, match="cannot import custom pattern function 'nowhere:pattern'"):
        MMMDataConfig.from_dict(data)


def test_default_config_matches_the_description():
    config = xmmm.DEFAULT_CONFIG
    assert config.n_periods == 129
    assert config.regions.n_regions == 3
    assert config.seed == 42
    assert {c.pattern for c in config.channels} >= {"seasonal", "linear_trend", "on_off"}
    assert [c.name for c in config.control_variables] == ["price", "promotion"]
    assert config.control_variables[0].base_effectiveness < 0  # price lowers sales


def test_default_transform_config_works():
    # the reference's TransformConfig() crashed (hill_function without slope/kappa)
    config = MMMDataConfig(channels=[tv()], seed=1)
    name, params = config.transforms.for_channel(0, "saturation")
    assert name == "hill_function" and params["kappa"] > 0 and params["slope"] > 0


def test_column_labels_drop_a_repeated_prefix():
    assert ChannelConfig(name="x-TV").column_label == "TV"
    assert ChannelConfig(name="TV").column_label == "TV"
    assert ChannelConfig(name="xbox").column_label == "xbox"
    assert ControlConfig(name="c-price").column_label == "price"


def test_override_paths_reach_one_element_of_a_list_by_position_or_name():
    base = xmmm.get_preset_config("basic")
    by_position = xmmm.customize_preset("basic", **{"channels.0.pattern": "on_off"})
    by_name = xmmm.customize_preset("basic", **{"channels.Search.base_spend": 10.0})
    assert by_position.channels[0].pattern == "on_off" and by_position.channels[1] == base.channels[1]
    assert by_name.channels[1].base_spend == 10.0 and by_name.channels[0] == base.channels[0]
    assert xmmm.get_preset_config("basic") == base  # the preset itself is untouched


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("channels.9.pattern", "neither a position 0..2 nor a name"),
        ("channels.0", "names a whole list element"),
        ("n_periods.x", "below a plain value"),
        ("channels.0.nope", "ChannelConfig has no field 'nope'"),
    ],
)
def test_bad_override_paths_are_one_line_config_errors(key, says):
    with pytest.raises(xmmm.ConfigError, match=re.escape(says)) as info:
        xmmm.customize_preset("basic", **{key: 1})
    assert "\n" not in str(info.value)
