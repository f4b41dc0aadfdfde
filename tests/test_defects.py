"""Issue 10's defects of xmmm 0.1, one test each (each fails on 0.1 and passes now).

Only public names are used where the defect is visible through them.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import xmmm
from xmmm import ChannelConfig, ConfigError, GenerationError, MMMDataConfig, RegionConfig, TransformConfig


def two_channels(adstock, adstock_kwargs, saturation, saturation_kwargs, *, n_regions=8, variation=0.5, **kw):
    return MMMDataConfig(
        n_periods=60,
        channels=[
            ChannelConfig(name="TV", pattern="seasonal", base_spend=3000.0, base_effectiveness=0.2),
            ChannelConfig(name="Search", pattern="linear_trend", base_spend=2000.0, base_effectiveness=0.1),
        ],
        regions=RegionConfig(n_regions=n_regions, transform_variation=variation, base_sales_rate=20000.0),
        transforms=TransformConfig(
            adstock_fun=adstock, adstock_kwargs=adstock_kwargs,
            saturation_fun=saturation, saturation_kwargs=saturation_kwargs,
        ),
        seed=kw.pop("seed", 3),
        **kw,
    )


# --------------------------------------------------------------------------- defect 1
@pytest.mark.parametrize("order", [("michaelis_menten", "root_saturation"), ("root_saturation", "michaelis_menten")])
def test_defect_variation_scale_is_each_functions_own(order):
    kwargs = {"michaelis_menten": {"alpha": 1.3, "lam": 0.5}, "root_saturation": {"alpha": 0.8}}
    config = two_channels("geometric_adstock", {"alpha": 0.5}, list(order), [kwargs[n] for n in order])
    ds = xmmm.generate_dataset(config)
    alpha = ds["saturation_alpha"].transpose("geo", "channel").values
    mm, root = order.index("michaelis_menten"), order.index("root_saturation")
    # Michaelis-Menten's alpha (unbounded) varies multiplicatively by at most the variation
    factor = alpha[:, mm] / 1.3
    assert factor.std() > 0.05 and np.all(np.abs(factor - 1) <= 0.5 + 1e-12)
    # root's alpha (in (0, 1]) varies on the odds scale and stays inside
    assert np.all((alpha[:, root] > 0) & (alpha[:, root] <= 1)) and alpha[:, root].std() > 0
    odds = alpha[:, root] / (1 - alpha[:, root]) / (0.8 / 0.2)
    assert np.all(np.abs(odds - 1) <= 0.5 + 1e-12)


# --------------------------------------------------------------------------- defect 2
def test_defect_cross_parameter_limit_after_variation_is_a_named_config_error():
    config = two_channels("delayed_adstock", {"alpha": 0.5, "theta": 3.0, "l_max": 4}, "hill_function", {})
    xmmm.validate_config(config)  # each configured value is fine
    with pytest.raises(ConfigError) as info:
        xmmm.generate_dataset(config)
    message = str(info.value)
    assert type(info.value) is ConfigError
    assert "channels[" in message and "geo 'geo_" in message and "theta" in message
    assert "l_max - 1 = 3" in message and "after regional variation" in message


def test_defect_cross_parameter_limit_of_a_sampled_parameter_names_the_replicate():
    config = two_channels("delayed_adstock", {"alpha": 0.5, "theta": 1.0, "l_max": 4}, "hill_function", {},
                          n_regions=1)
    priors = {"transforms.adstock_theta": {"dist": "Uniform", "lower": 0.0, "upper": 6.0}}
    with pytest.raises(ConfigError, match=r"replicate \d+, geo 'geo_1': delayed_adstock: theta must be <= l_max - 1"):
        xmmm.simulate(config, 20, priors=priors)


# --------------------------------------------------------------------------- defect 3
def test_defect_custom_patterns_have_a_stream_per_replicate_geo_and_series():
    study = xmmm.simulate(xmmm.get_preset_config("demo"), 3)
    custom = [c.name for c in xmmm.get_preset_config("demo").channels if c.pattern == "custom"]
    spend = study["spend"].sel(channel=custom[0]).transpose("replicate", "geo", "date").values
    # xmmm 0.1 gave every geo and replicate the same series (up to the regional level): correlation 1.0
    across_replicates = np.corrcoef(spend[0, 0], spend[1, 0])[0, 1]
    across_geos = np.corrcoef(spend[0, 0], spend[0, 1])[0, 1]
    assert across_replicates < 0.999 and across_geos < 0.999
    # and replicate r alone equals replicate r of the study
    one = xmmm.generate_dataset(xmmm.replicate_config(study_config(), 2), replicate=2)
    np.testing.assert_array_equal(one["spend"].sel(channel=custom[0]).transpose("geo", "date").values, spend[2])


def study_config():
    return xmmm.get_preset_config("demo")


def test_custom_pattern_may_take_the_geo_name():
    seen = []

    def by_geo(channel, dates, seed, geo):
        seen.append((geo, seed))
        return np.full(len(dates), 100.0 if geo.endswith("1") else 300.0)

    config = MMMDataConfig(
        n_periods=20,
        channels=[ChannelConfig(name="TV", pattern="custom", custom_pattern_func=by_geo)],
        regions=RegionConfig(n_regions=2, channel_param_variation=0.0),
        seed=1,
    )
    ds = xmmm.generate_dataset(config)
    assert {g for g, _ in seen} == {"geo_1", "geo_2"} and len({s for _, s in seen}) == 2
    np.testing.assert_array_equal(ds["spend"].isel(channel=0).values[0], [100.0, 300.0])


# --------------------------------------------------------------------------- defect 4
def test_defect_non_finite_outcome_is_a_named_generation_error():
    config = MMMDataConfig(
        n_periods=30,
        channels=[ChannelConfig(name="TV", pattern="delayed_start", start_period=5)],
        transforms=TransformConfig(saturation_kwargs={"slope": 60.0, "kappa": 1e-6}),
        seed=2,
    )
    with pytest.raises(GenerationError) as info:
        xmmm.generate_dataset(config)
    message = str(info.value)
    assert "is nan" in message and "channel 'TV'" in message and "geo 'geo_1'" in message and " on 20" in message


@pytest.mark.parametrize(
    "field, value",
    [("base_spend", 1.0e308), ("base_effectiveness", 1.0e300), ("spend_volatility", 1.0e6)],
)
def test_defect_magnitudes_that_overflow_are_rejected_at_validation(field, value):
    with pytest.raises(ConfigError, match=rf"ChannelConfig\(.TV.\)\.{field} must be <= .*; got {re.escape(repr(value))}"):
        ChannelConfig(name="TV", **{field: value})


def test_n_periods_that_cannot_be_dates_are_rejected():
    with pytest.raises(ConfigError, match="n_periods must be"):
        xmmm.validate_config(MMMDataConfig(n_periods=1_000_000_000, channels=[ChannelConfig(name="TV")]))
    with pytest.raises(ConfigError, match="n_periods must be finite; got nan"):
        xmmm.validate_config(MMMDataConfig(n_periods=float("nan"), channels=[ChannelConfig(name="TV")]))
    with pytest.raises(ConfigError, match="before 2262"):
        xmmm.validate_config(MMMDataConfig(n_periods=90_000, frequency="MS", channels=[ChannelConfig(name="TV")]))


# --------------------------------------------------------------------------- defect 6
def test_defect_control_config_has_no_spend_fields():
    with pytest.raises(TypeError, match="base_spend"):
        xmmm.ControlConfig(name="price", base_spend=-5)
    control = xmmm.ControlConfig(name="price", pattern="seasonal", base_value=9.0)
    assert control.pattern_spec.level == 9.0 and control.pattern_spec.kind == "seasonal"


def test_old_files_with_spend_fields_on_controls_still_load():
    plain = xmmm.DEFAULT_CONFIG.to_dict()
    for control in plain["control_variables"]:  # what xmmm 0.1 stored
        control.update(base_spend=1000.0, spend_trend=0.0, spend_volatility=0.1)
    assert MMMDataConfig.from_dict(plain).to_dict() == xmmm.DEFAULT_CONFIG.to_dict()


def test_defect_uniforms_are_strictly_inside_the_unit_interval():
    from xmmm.random import _open_unit

    top = _open_unit(np.uint64(2**64 - 1))
    assert 0.0 < _open_unit(np.uint64(0)) and top < 1.0 and top == np.nextafter(1.0, 0.0)


def test_defect_labels_are_normalised_before_hashing():
    from xmmm.random import stream_key, stream_keys

    assert stream_key(1, "spend_noise", np.str_("geo_a")) == stream_key(1, "spend_noise", "geo_a")
    assert stream_key(1, "prior", np.int64(7)) == stream_key(1, "prior", 7)
    np.testing.assert_array_equal(
        stream_keys(1, "x", np.array(["a", "b"]), replicates=np.arange(2)), stream_keys(1, "x", ["a", "b"], replicates=[0, 1])
    )


def test_no_global_warning_filters_and_doctests_are_collected():
    import tomllib
    from pathlib import Path

    options = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert options["filterwarnings"] == ["error"]
    assert "--doctest-modules" in options["addopts"] and "xmmm" in options["testpaths"]
