"""lift_tests: the experiments in pymc-marketing's and Meridian's calibration formats, checked with each library."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm.causal import ExperimentConfig

pymc_warnings = [
    "ignore::DeprecationWarning",
    "ignore::FutureWarning",
    "ignore::UserWarning",
    "ignore::RuntimeWarning",
    "ignore::xmmm.XmmmWarning",  # the hand-off's note on one l_max for channels of different l_max
]


def geo_lift_config():
    """confounded_demand with a second, geo-level heavy-up on Search and one l_max (one pymc-marketing adstock)."""
    return xmmm.customize_preset(
        "confounded_demand",
        transforms={"adstock_kwargs": [{"alpha": 0.6, "l_max": 8}, {"alpha": 0.3, "l_max": 8},
                                       {"alpha": 0.4, "l_max": 8}]},
        experiments=[
            ExperimentConfig("TV", start=80, end=85, geos=["south", "west"], mode="scale", value=0.0,
                             measurement_sigma=400.0, name="tv_holdout"),
            ExperimentConfig("Search", start=60, end=67, geos=["north"], mode="scale", value=1.6,
                             measurement_sigma=150.0, name="search_heavy_up"),
        ],
    )


def test_pymc_frame_has_the_columns_and_per_period_units():
    result = xmmm.generate_mmm_dataset(geo_lift_config())
    df = xmmm.lift_tests(result)
    assert list(df.columns[:6]) == ["channel", "geo", "x", "delta_x", "delta_y", "sigma"]
    assert "date" not in df.columns  # a date column means time-varying media to pymc-marketing
    assert set(df["channel"]) == {"x1-TV", "x2-Search"} and len(df) == 3
    ds = result.dataset
    row = df[df.experiment == "tv_holdout"].set_index("geo").loc["west"]
    window = slice("2022-07-17", "2022-08-21")
    spend = ds["spend"].sel(channel="TV", geo="west", date=window)
    # a go-dark test: the tested spend is 0, x is the untested world's mean spend per period
    assert float(spend.sum()) == 0.0 and len(spend.date) == 6
    assert row.delta_x == -row.x and row.x > 0
    lift = ds["lift"].sel(experiment="tv_holdout", geo="west", date=window)
    assert row.delta_y_realised == pytest.approx(float(lift.mean()), rel=1e-12)
    assert row.delta_y == float(ds["lift_measured"].sel(experiment="tv_holdout", geo="west"))
    assert row.sigma == 400.0 and row.delta_y_model < 0 and row.delta_y < 0
    assert pd.Timestamp(row.start_date) == pd.Timestamp("2022-07-17")


@pytest.mark.filterwarnings(*pymc_warnings)
def test_pymc_marketing_takes_the_frame_and_its_lift_model_is_delta_y_model_at_the_truth():
    import pymc as pm
    from pymc_marketing.mmm import HillSaturation
    from pymc_marketing.prior import Prior

    result = xmmm.generate_mmm_dataset(geo_lift_config())
    df = xmmm.lift_tests(result)
    handoff = xmmm.to_pymc_marketing(result)
    dims = ("geo", "channel")  # xmmm's parameters vary by geo
    saturation = HillSaturation(priors={k: Prior("HalfNormal", sigma=1.0, dims=dims)
                                        for k in ("beta", "kappa", "slope")})
    mmm = handoff.build_model(saturation=saturation)
    mmm.add_lift_test_measurements(df)                       # accepted as it is
    model = mmm.model
    names = ("saturation_beta", "saturation_kappa", "saturation_slope")
    truth = {
        name: handoff.truth[name].sel({d: list(model.coords[d]) for d in model.named_vars_to_dims[name]})
        .transpose(*model.named_vars_to_dims[name]).values
        for name in names
    }
    lift = pm.do(model, truth)["lift_measurements"]
    # pymc-marketing's Gamma(mu, sigma) holds (alpha, scale): its mean alpha * scale is the model's lift
    alpha, scale = lift.owner.inputs[1], lift.owner.inputs[2]
    target_scale = handoff.truth["target_scale"].sel(geo=df["geo"].values).values
    implied = (alpha * scale).eval() * target_scale
    rows = np.ones(len(df), dtype=bool)
    if not hasattr(importlib.import_module("xmmm.handoff"), "pymc_marketing"):
        # the single-module hand-off maps the saturation only where pymc-marketing's channel scale (the data's
        # maximum) is xmmm's spend scale; a heavy-up above the maximum breaks that (the hand-off package maps it)
        data_scale = handoff.truth["channel_scale"].sel(geo=xr.DataArray(df["geo"].values),
                                                        channel=xr.DataArray(df["channel"].values)).values
        spend_scale = result.dataset["spend_scale"].sel(
            geo=xr.DataArray(df["geo"].values), channel=xr.DataArray([c.split("-", 1)[1] for c in df["channel"]]))
        rows = data_scale == spend_scale.values
        assert rows.sum() == 2
    np.testing.assert_allclose(implied[rows], np.abs(df["delta_y_model"].values)[rows], rtol=1e-8)
    # and its observation is the measured lift (the delta_y column) on the target scale
    observed = model.rvs_to_values[model["lift_measurements"]]
    observed = observed.eval() if hasattr(observed, "eval") else np.asarray(observed)
    np.testing.assert_allclose(np.asarray(observed), np.abs(df["delta_y"].values) / target_scale, rtol=1e-12)


def test_delta_y_model_is_the_steady_state_of_the_true_curve():
    result = xmmm.generate_mmm_dataset(geo_lift_config())
    df = xmmm.lift_tests(result)
    from xmmm.plan import Plan

    plan = Plan.from_dataset(result.dataset)
    for row in df.itertuples():
        channel = row.channel.split("-", 1)[1]
        steady = plan.steady_state_contribution(channel, np.array([[row.x, row.x + row.delta_x]]), geos=[row.geo])
        assert row.delta_y_model == pytest.approx(steady[0, 1] - steady[0, 0], rel=1e-12)


def test_meridian_calibration_estimates_and_period():
    result = xmmm.generate_mmm_dataset(geo_lift_config())
    calibration = xmmm.lift_tests(result, library="meridian")
    ds = result.dataset
    df = xmmm.lift_tests(result)
    tv = df[df.channel == "x1-TV"]
    assert float(calibration.roi.sel(media_channel="x1-TV")) == pytest.approx(tv.delta_y.sum() / tv.delta_x.sum())
    assert float(calibration.roi_se.sel(media_channel="x1-TV")) == pytest.approx(
        400.0 * np.sqrt(len(tv)) / abs(tv.delta_x.sum()))
    assert np.isnan(float(calibration.roi.sel(media_channel="x3-Social")))
    period = calibration.calibration_period
    assert period.sel(media_channel="x1-TV").sum() == 6 and bool(period.sel(media_channel="x3-Social").all())
    assert period.sel(media_channel="x1-TV").time.values[period.sel(media_channel="x1-TV").values][0] == "2022-07-17"
    assert calibration.roi_model.sel(media_channel="x1-TV") > 0
    assert ds.sizes["experiment"] == 2


def test_meridian_roi_of_a_national_go_dark_is_meridians_calibration_roi():
    # a national go-dark test removes exactly the spend Meridian's calibration ROI is about: the totals agree
    result = xmmm.generate_mmm_dataset(xmmm.get_preset_config("search_capture"))
    calibration = xmmm.lift_tests(result, library="meridian")
    search = calibration.roi_total.sel(media_channel="x2-Search")
    assert float(search) == pytest.approx(float(calibration.roi_model.sel(media_channel="x2-Search")), rel=1e-9)
    mu, sigma = calibration.roi_prior_parameters()
    mean = np.exp(mu + sigma**2 / 2)
    assert mean[1] == pytest.approx(float(calibration.roi.sel(media_channel="x2-Search")), rel=1e-12)
    assert (mu[[0, 2]] == 0.2).all() and (sigma[[0, 2]] == 0.9).all()


def test_lift_tests_refuses_what_it_cannot_export():
    with pytest.raises(ValueError, match="no experiments"):
        xmmm.lift_tests(xmmm.generate_mmm_dataset(n_periods=30))
    result = xmmm.generate_mmm_dataset(xmmm.get_preset_config("endogenous_market"))
    with pytest.raises(ValueError, match="library must be one of"):
        xmmm.lift_tests(result, library="robyn")
    exact = xmmm.customize_preset("endogenous_market", experiments=[ExperimentConfig("TV", 104, 107, mode="shift",
                                                                                      value=-1.5)])
    with pytest.raises(ValueError, match="measurement_sigma 0"):
        xmmm.lift_tests(xmmm.generate_mmm_dataset(exact))


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning")
def test_meridian_model_spec_takes_the_calibration():
    pytest.importorskip("meridian", reason="google-meridian runs in the second environment (.ci/run)")
    from meridian.model import model, spec

    result = xmmm.generate_mmm_dataset(geo_lift_config())
    calibration = xmmm.lift_tests(result, library="meridian")
    kwargs = calibration.model_spec_kwargs()
    handoff = xmmm.to_meridian(result)
    # the hand-off's spec (max_lag, knots; the seasonality controls need fewer knots than periods) with the calibration
    model_spec = handoff.model_spec(**kwargs)
    assert isinstance(model_spec, spec.ModelSpec) and model_spec.media_prior_type == "roi"
    mmm = model.Meridian(input_data=handoff.input_data(), model_spec=model_spec)
    roi_m = mmm.prior_broadcast.roi_m
    np.testing.assert_allclose(np.asarray(roi_m.mean()), np.nan_to_num(calibration.roi.values, nan=np.exp(0.2 + 0.81 / 2)),
                               rtol=1e-5)
