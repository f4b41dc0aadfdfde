"""Counterfactuals on the same random numbers, and bring-your-own spend plans.

The oracle for contributions is pymc-marketing's own transform functions
applied to the intervened spend over the *original* spend scale, times the
true coefficients; everything that is not media must come back bit for bit.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm import ConfigError
from xmmm.transforms import get_transform

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="xtensor module is experimental", category=UserWarning)
    pytest.importorskip("pymc_marketing.mmm.transformers")
from test_kernels import compile_pymc  # noqa: E402 - pymc-marketing's functions, compiled as the kernel tests do

MEDIA = {"spend", "adstocked", "saturated", "contribution", "y", "roas", "mroas", "attribution", "media_share"}


@pytest.fixture(scope="module")
def research():
    # varied transforms: geometric, delayed, binomial and Weibull CDF adstock; Hill, logistic, MM, tanh
    return xmmm.generate_mmm_dataset(xmmm.customize_preset("research", n_periods=60, seed=11))


@pytest.fixture(scope="module")
def default():
    return xmmm.generate_mmm_dataset(n_periods=60, seed=5)


def pymc_contribution(ds: xr.Dataset, spend: xr.DataArray, channel: str) -> np.ndarray:
    """pymc-marketing's adstock then saturation of spend / the dataset's spend scale, times the coefficient (geo, date)."""
    j = list(ds["channel"].values).index(channel)
    x = (spend.sel(channel=channel) / ds["spend_scale"].sel(channel=channel)).transpose("geo", "date").values
    out = x
    for family in ("adstock", "saturation"):
        spec = get_transform(family, str(ds[f"{family}_function"].values[j]))
        structural = {}
        for p in spec.structural_parameters:
            value = ds[f"{family}_{p.name}"].values[j]
            structural[p.name] = value.item() if hasattr(value, "item") else value
        params = {p.name: ds[f"{family}_{p.name}"].sel(channel=channel).transpose("geo").values
                  for p in spec.numeric_parameters}
        out = compile_pymc(spec, structural)(np.ascontiguousarray(out), params)
    return ds["channel_coefficient"].sel(channel=channel).values[:, None] * out


# --------------------------------------------------------------------------- the same random numbers
def test_an_empty_intervention_is_the_result_itself(default):
    same = xmmm.counterfactual(default, scale={})
    assert isinstance(same, xmmm.MMMResult)
    assert same.dataset.identical(default.dataset)
    assert xmmm.counterfactual(default.dataset, scale={}).identical(default.dataset)


def test_a_neutral_intervention_runs_the_engine_and_gives_the_same_bits(default):
    # factor 1 everywhere changes nothing: the engine's run on the rebuilt plan is the original, bit for bit
    ones = xr.DataArray(np.ones(default.dataset.sizes["channel"]), dims="channel",
                        coords={"channel": default.dataset["channel"].values})
    assert xmmm.counterfactual(default, scale=ones).dataset.identical(default.dataset)
    half = xmmm.counterfactual(default, scale={"x-TV": 0.5})
    back = xmmm.counterfactual(half, scale={"x-TV": 2.0})  # x * 0.5 * 2 == x exactly
    xr.testing.assert_equal(back.dataset, default.dataset)
    assert len(json.loads(back.dataset.attrs["xmmm_intervention"])) == 2


def test_everything_but_the_media_is_bit_identical(research):
    ds = research.dataset
    cf = xmmm.counterfactual(research, scale={"TV": 0.3, "x3-Social": 1.7}).dataset
    assert set(cf.data_vars) == set(ds.data_vars)
    for name in ds.data_vars:
        if name in MEDIA:
            continue
        assert cf[name].identical(ds[name]), name
    assert cf["spend_scale"].identical(ds["spend_scale"])
    changed = json.loads(cf.attrs["xmmm_intervention"])[0]["channels"]
    assert set(changed) == {"TV", "Social"}
    assert changed["TV"]["spend"] == pytest.approx(0.3 * changed["TV"]["original_spend"], rel=1e-10)
    # y is still the exact sum of its components
    total = cf["baseline"] + cf["control_effect"].sum("control") + cf["contribution"].sum("channel")
    np.testing.assert_array_equal(cf["y"].values, total.transpose(*cf["y"].dims).values)


@pytest.mark.filterwarnings("ignore:xtensor module is experimental:UserWarning")
def test_contributions_are_pymc_marketing_transforms_of_the_new_spend_over_the_original_scale(research):
    ds = research.dataset
    window = xr.DataArray(np.where(np.arange(ds.sizes["date"]) >= 30, 0.0, 1.4), dims="date",
                          coords={"date": ds["date"]})
    cf = xmmm.counterfactual(research, scale=window).dataset
    np.testing.assert_array_equal(cf["spend"].values, (ds["spend"] * window).transpose(*ds["spend"].dims).values)
    for channel in ds["channel"].values:
        expected = pymc_contribution(ds, cf["spend"], str(channel))
        actual = cf["contribution"].sel(channel=channel).transpose("geo", "date").values
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


def test_scale_and_the_equivalent_spend_give_identical_results(research):
    ds = research.dataset
    factor = xr.DataArray([0.5, 1.0, 2.0, 1.0, 0.0], dims="channel", coords={"channel": ds["channel"].values})
    by_scale = xmmm.counterfactual(research, scale={"TV": 0.5, "Social": 2.0, "x5-Radio": 0.0})
    by_array = xmmm.counterfactual(research, scale=factor)
    by_spend = xmmm.counterfactual(research, spend=ds["spend"] * factor)
    table = research["data"][["date", "geo", *ds["channel_column"].values]]
    for column, f in zip(ds["channel_column"].values, factor.values):
        table[column] = table[column] * f
    by_table = xmmm.counterfactual(research, spend=table)
    for other in (by_array, by_spend, by_table):
        assert other.dataset.identical(by_scale.dataset)


def test_interventions_compose_on_a_counterfactual_and_on_a_given_plan(default):
    ds = default.dataset
    twice = xmmm.counterfactual(xmmm.counterfactual(default, scale={"x-TV": 0.5}), scale={"x-Search": 3.0})
    once = xmmm.counterfactual(default, scale={"x-TV": 0.5, "x-Search": 3.0})
    xr.testing.assert_equal(twice.dataset, once.dataset)
    # a dataset on a user's plan: the counterfactual holds that plan's spend scale
    plan = ds["spend"] * 1.5
    own = xmmm.generate_mmm_dataset(default.config, spend=plan)
    off = xmmm.counterfactual(own, scale={"x-Social": 0.0}).dataset
    assert off["spend_scale"].identical(own.dataset["spend_scale"])
    assert float(off["contribution"].sel(channel="x-Social").sum()) == 0.0


def test_counterfactual_refuses_bad_interventions_by_name(default):
    with pytest.raises(ConfigError, match="unknown channel 'Radio'"):
        xmmm.counterfactual(default, scale={"Radio": 2.0})
    with pytest.raises(ConfigError, match="factors must be finite and >= 0; got -1.0"):
        xmmm.counterfactual(default, scale={"x-TV": -1.0})
    spend = default.dataset["spend"].copy()
    spend[3, 1, 2] = np.nan
    with pytest.raises(ConfigError, match=r"nan \(not finite\) in geo 'geo_b', channel 'x-Social' on 2020-01-26"):
        xmmm.counterfactual(default, spend=spend)
    with pytest.raises(ConfigError, match="dates do not match"):
        xmmm.counterfactual(default, spend=default.dataset["spend"].isel(date=slice(1, None)))


# --------------------------------------------------------------------------- bring your own plan
def test_a_plan_equal_to_the_generated_spend_reproduces_the_dataset(research):
    ds = research.dataset
    config = research.config
    by_array = xmmm.generate_mmm_dataset(config, spend=ds["spend"])
    assert by_array.dataset.identical(ds)
    table = research["data"][["date", "geo", *ds["channel_column"].values]]
    assert xmmm.generate_mmm_dataset(config, spend=table).dataset.identical(ds)
    named = table.rename(columns=dict(zip(ds["channel_column"].values, ds["channel"].values)))
    shuffled = named.sample(frac=1.0, random_state=0)[["geo", "Radio", "date", "TV", "Search", "Social", "Display"]]
    assert xmmm.generate_mmm_dataset(config, spend=shuffled).dataset.identical(ds)
    order = ds["spend"].transpose("channel", "geo", "date")
    assert xmmm.generate_mmm_dataset(config, spend=order).dataset.identical(ds)


def test_a_plan_of_ones_own_is_the_truth_of_that_plan(default):
    config = default.config
    dates = config.dates
    rng = np.random.default_rng(0)
    plan = xr.DataArray(
        rng.gamma(2.0, 1000.0, (len(dates), 3, 3)), dims=("date", "geo", "channel"),
        coords={"date": dates, "geo": config.region_names, "channel": config.channel_columns},
    )
    own = xmmm.generate_mmm_dataset(config, spend=plan).dataset
    np.testing.assert_array_equal(own["spend"].values, plan.values)
    # the spend scale is the plan's own (max over time), as for generated spend
    np.testing.assert_array_equal(own["spend_scale"].values, plan.max("date").values)
    assert own.attrs["xmmm_spend"].startswith("given")
    for name in ("baseline", "control_effect", "adstock_alpha", "channel_coefficient"):
        assert own[name].identical(default.dataset[name])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t[t["date"] != t["date"].iloc[5]], r"dates do not match .*missing 2020-01-12"),
        (lambda t: t.assign(geo=t["geo"].replace("geo_c", "geo_z")), r"geos do not match .*missing geo_c; unknown geo_z"),
        (lambda t: t.drop(columns="x2-Search"), r"channel x2-Search \('x-Search'\) is missing"),
        (lambda t: t.assign(**{"x1-TV": t["x1-TV"] - 1e9}), r"-?\d.* \(negative\) in geo 'geo_a', channel 'x-TV' on 2020-01-05"),
        (lambda t: pd.concat([t, t.iloc[:1]]), r"the row of geo 'geo_a' on 2020-01-05 appears twice"),
        (lambda t: t.drop(columns="date"), r"no 'date' column"),
    ],
)
def test_a_plan_that_does_not_match_names_what_differs(default, change, message):
    table = default["data"][["date", "geo", "x1-TV", "x2-Search", "x3-Social"]]
    with pytest.raises(ConfigError, match=message):
        xmmm.generate_mmm_dataset(default.config, spend=change(table))


def test_a_plan_of_the_wrong_kind_or_shape_is_refused(default):
    with pytest.raises(ConfigError, match="numpy array must be shaped"):
        xmmm.generate_mmm_dataset(default.config, spend=np.ones((3, 3)))
    with pytest.raises(ConfigError, match="must be an xarray.DataArray"):
        xmmm.generate_mmm_dataset(default.config, spend=[1.0, 2.0])
    with pytest.raises(ConfigError, match="needs the dims date, geo and channel"):
        xmmm.generate_mmm_dataset(default.config, spend=default.dataset["spend"].isel(geo=0))


# --------------------------------------------------------------------------- incremental outcome
def test_incremental_outcome_is_the_paired_difference_of_outcomes(research):
    ds = research.dataset
    lift = xmmm.incremental_outcome(research)
    assert lift.dims == ("date", "geo", "channel")
    # the additive model: exactly the contributions
    np.testing.assert_array_equal(lift.values, ds["contribution"].values)
    # and what two full counterfactual runs say
    for channel in ("TV", "Display"):
        off = xmmm.counterfactual(research, scale={channel: 0.0}).dataset
        np.testing.assert_allclose(lift.sel(channel=channel), ds["y"] - off["y"], rtol=1e-10,
                                   atol=1e-10 * float(ds["y"].max()))


# --------------------------------------------------------------------------- studies
def test_a_study_is_each_replicate_on_its_own_random_numbers():
    config = xmmm.customize_preset("basic", n_periods=30)
    priors = {"transforms.adstock_alpha": {"dist": "Beta", "alpha": 2, "beta": 5}}
    study = xmmm.simulate(config, 3, priors=priors)
    cf = xmmm.counterfactual(study, scale={"TV": 0.5})
    assert set(cf.data_vars) == set(study.data_vars)
    for r in (0, 2):
        alone = xmmm.counterfactual(xmmm.replicate_dataset(study, r), scale={"TV": 0.5})
        xr.testing.assert_equal(xmmm.replicate_dataset(cf, r), alone)
    lift = xmmm.incremental_outcome(study)
    assert lift.dims == ("replicate", "date", "geo", "channel")
    np.testing.assert_array_equal(lift.values, study["contribution"].transpose(*lift.dims).values)


def test_a_lazy_study_stays_lazy_until_computed():
    import dask

    config = xmmm.customize_preset("basic", n_periods=30)
    eager = xmmm.simulate(config, 4)
    lazy = xmmm.simulate(config, 4, chunks=2)

    def refuse(*args, **kwargs):
        raise AssertionError("computed at call time")

    with dask.config.set(scheduler=refuse):
        cf = xmmm.counterfactual(lazy, scale={"TV": 0.5})
        lift = xmmm.incremental_outcome(lazy)  # its layout is known without computing
    assert cf["y"].chunks is not None and lift.chunks is not None
    expected = xmmm.counterfactual(eager, scale={"TV": 0.5})
    xr.testing.assert_equal(cf.compute(), expected)
    assert json.loads(cf.attrs["xmmm_intervention"])[0]["scale"] == {"TV": [0.5, 0.5]}
    xr.testing.assert_equal(lift.compute(), xmmm.incremental_outcome(eager))
