"""The parameter plan: resolved once, varied on each function's own scale, validated with names.

Each test named ``test_defect_*`` reproduces a defect of xmmm 0.1 (issue 10)
and fails there.
"""

from __future__ import annotations

import numpy as np
import pytest

import xmmm
from xmmm import ChannelConfig, ConfigError, MMMDataConfig, RegionConfig, TransformConfig
from xmmm.engine import run
from xmmm.plan import Plan, base_values
from xmmm.transforms import get_transform


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


def test_every_range_is_checked_after_variation():
    # a value at its open limit after variation (tanh_saturation_baselined's r < 1) is caught before the kernels
    plan = Plan.build(two_channels("geometric_adstock", {}, "tanh_saturation_baselined", {"r": 0.5}), [0])
    plan.params["saturation_r"][0, 2, 1] = 1.0
    with pytest.raises(ConfigError, match=r"channels\[1\] \('Search'\) in geo 'geo_3': .*r must be in \(0, 1\); got 1.0"):
        plan.validate()


# --------------------------------------------------------------------------- the plan itself
def test_plan_is_what_the_engine_reads():
    config = xmmm.get_preset_config("multi_region")
    plan = Plan.build(config, [0, 3])
    arrays = run(plan)
    np.testing.assert_array_equal(arrays["channel_coefficient"], plan.coefficient)
    for key, values in plan.params.items():
        np.testing.assert_array_equal(arrays[key], values)
    # replicate 3 alone is replicate 3 of the pair
    alone = run(Plan.build(config, [3]))
    np.testing.assert_array_equal(alone["y"][0], arrays["y"][1])


def test_plan_from_a_dataset_gives_back_the_true_curves():
    ds = xmmm.generate_dataset(xmmm.get_preset_config("traditional_media"))
    plan = Plan.from_dataset(ds)
    for j, channel in enumerate(plan.channels):
        stage = plan.adstock[j]
        x = ds["spend"].sel(channel=channel).transpose("geo", "date").values / ds["spend_scale"].sel(channel=channel).values[:, None]
        numeric = plan.numeric("adstock", channel)
        adstocked = stage.transform.apply(x, **numeric, **stage.options)
        np.testing.assert_array_equal(adstocked, ds["adstocked"].sel(channel=channel).transpose("geo", "date").values)
        saturated = plan.saturation_curve(channel, adstocked)
        np.testing.assert_array_equal(saturated, ds["saturated"].sel(channel=channel).transpose("geo", "date").values)


def test_declared_ceilings_bound_the_curves():
    for name, spec in xmmm.transforms.SATURATION_TRANSFORMS.items():
        values = {p.name: np.asarray(p.default if p.default is not None else 1.0) for p in spec.numeric_parameters}
        ceiling = spec.ceiling_of(**values)
        far = spec.apply(np.array([[1e3, 1e6]]), **values)
        if np.isfinite(ceiling):
            assert np.all(far <= ceiling * (1 + 1e-12)) and far[0, 1] == pytest.approx(float(ceiling), rel=1e-6), name
        else:
            assert far[0, 1] > far[0, 0], name


def test_base_values_are_the_paths_a_prior_may_take():
    keys = list(base_values(xmmm.DEFAULT_CONFIG, 1))
    assert keys[:4] == ["regions.base_sales_rate", "regions.sales_trend", "regions.sales_volatility",
                        "regions.seasonal_amplitude"]
    assert "transforms.adstock_alpha" in keys and "transforms.saturation_kappa" in keys


def test_component_names_come_from_the_declarations():
    weibull = get_transform("adstock", "weibull_adstock")
    assert weibull.component({"type": "CDF"}) == "WeibullCDFAdstock" and weibull.component() == "WeibullPDFAdstock"
    assert get_transform("saturation", "michaelis_menten").coefficient == "alpha"
