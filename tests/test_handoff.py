"""Hand-off to Meridian and pymc-marketing: layouts, and the truth in their terms."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm.config import DEFAULT_CONFIG, apply_overrides
from xmmm.errors import XmmmWarning
from xmmm.handoff import (
    ADSTOCK_COMPONENTS,
    SATURATION_COMPONENTS,
    MeridianHandoff,
    PymcMarketingHandoff,
    to_meridian,
    to_pymc_marketing,
)
from xmmm.transforms import ADSTOCK_TRANSFORMS, SATURATION_TRANSFORMS


def _generate(**overrides) -> xr.Dataset:
    config = apply_overrides(DEFAULT_CONFIG, {"n_periods": 30, **overrides})
    with warnings.catch_warnings():
        # some transform choices below are flagged as hard to recover; irrelevant here
        warnings.simplefilter("ignore", XmmmWarning)
        return xmmm.generate_dataset(config)


@pytest.fixture(scope="module")
def dataset() -> xr.Dataset:
    return _generate()


# =========================================================================== Meridian
def test_meridian_layout(dataset):
    handoff = xmmm.to_meridian(xmmm.MMMResult(dataset))
    assert isinstance(handoff, MeridianHandoff)
    ds = handoff.dataset
    assert set(ds.data_vars) == {"kpi", "revenue_per_kpi", "population", "controls", "media", "media_spend"}
    assert ds["kpi"].dims == ("geo", "time")
    assert ds["revenue_per_kpi"].dims == ("geo", "time")
    assert ds["population"].dims == ("geo",)
    assert ds["controls"].dims == ("geo", "time", "control_variable")
    assert ds["media"].dims == ("geo", "media_time", "media_channel")
    assert ds["media_spend"].dims == ("geo", "time", "media_channel")
    assert list(ds["time"].values) == [d.strftime("%Y-%m-%d") for d in pd.DatetimeIndex(dataset["date"].values)]
    assert all(isinstance(t, str) and len(t) == 10 for t in ds["media_time"].values)
    assert list(ds["media_channel"].values) == list(dataset["channel_column"].values)
    assert list(ds["control_variable"].values) == list(dataset["control_column"].values)
    assert list(ds["geo"].values) == list(dataset["geo"].values)
    np.testing.assert_array_equal(ds["kpi"].values, dataset["y"].transpose("geo", "date").values)
    spend = dataset["spend"].transpose("geo", "date", "channel").values
    np.testing.assert_array_equal(ds["media"].values, spend)
    np.testing.assert_array_equal(ds["media_spend"].values, spend)
    np.testing.assert_array_equal(
        ds["controls"].values, dataset["control_value"].transpose("geo", "date", "control").values
    )
    assert (ds["revenue_per_kpi"] == 1).all() and (ds["population"] == 1).all()
    assert not any(bool(ds[v].isnull().any()) for v in ds.data_vars)


def test_meridian_truth(dataset):
    truth = to_meridian(dataset).truth
    total_contribution = dataset["contribution"].sum(["date", "geo"]).values
    total_spend = dataset["spend"].sum(["date", "geo"]).values
    np.testing.assert_allclose(truth["roi"].values, total_contribution / total_spend, rtol=1e-12)
    np.testing.assert_allclose(
        truth["roi_by_geo"].values, dataset["roas"].transpose("geo", "channel").values, rtol=1e-12
    )
    np.testing.assert_array_equal(
        truth["incremental_outcome"].values, dataset["contribution"].transpose("geo", "date", "channel").values
    )
    np.testing.assert_allclose(
        truth["pct_of_contribution"].values, 100 * total_contribution / float(dataset["y"].sum()), rtol=1e-12
    )
    # the default config is geometric + Hill for every channel: both map
    np.testing.assert_array_equal(truth["alpha_m"].values, dataset["adstock_alpha"].transpose("geo", "channel").values)
    np.testing.assert_array_equal(truth["max_lag"].values, dataset["adstock_l_max"].values - 1)
    slope = dataset["saturation_slope"].transpose("geo", "channel").values
    np.testing.assert_array_equal(truth["slope_m"].values, slope)
    assert list(truth["channel_name"].values) == list(dataset["channel"].values)


def test_meridian_mroi_is_marginal_roas_over_all_geos(dataset):
    from xmmm.generate import MARGINAL_STEP

    single = _generate(regions={"n_regions": 1, "region_names": None})
    np.testing.assert_allclose(to_meridian(single).truth["mroi"].values, single["mroas"].isel(geo=0).values, rtol=1e-12)
    # from first principles: the same transforms on spend raised by 1 % (scales held), summed over geos
    mroi = to_meridian(dataset).truth["mroi"]
    adstock = xmmm.transforms.get_transform("adstock", "geometric_adstock")
    hill = xmmm.transforms.get_transform("saturation", "hill_function")
    for j in range(dataset.sizes["channel"]):
        one = dataset.isel(channel=j)
        x = (one["spend"] * (1 + MARGINAL_STEP) / one["spend_scale"]).transpose("geo", "date").values
        saturated = hill.apply(
            adstock.apply(x, alpha=one["adstock_alpha"].values, l_max=int(one["adstock_l_max"])),
            slope=one["saturation_slope"].values,
            kappa=one["saturation_kappa"].values,
        )
        gain = float((one["channel_coefficient"].values[:, None] * saturated).sum() - one["contribution"].sum())
        expected = gain / (MARGINAL_STEP * float(one["spend"].sum()))
        assert math.isclose(float(mroi[j]), expected, rel_tol=1e-9)


def test_meridian_without_controls_and_unmapped_transforms():
    ds = _generate(
        control_variables=[],
        transforms={"adstock_fun": "delayed_adstock", "adstock_kwargs": {"alpha": 0.5, "theta": 1.0, "l_max": 4},
                    "saturation_fun": "logistic_saturation", "saturation_kwargs": {"lam": 2.0}},
    )
    handoff = to_meridian(ds)
    assert "controls" not in handoff.dataset and "control_variable" not in handoff.dataset.coords
    assert bool(handoff.truth["alpha_m"].isnull().all()) and bool(handoff.truth["slope_m"].isnull().all())
    assert (handoff.truth["max_lag"] == -1).all()


def test_meridian_rejects_non_datasets(dataset):
    with pytest.raises(TypeError, match="MMMResult or an xmmm"):
        to_meridian(dataset["y"])
    with pytest.raises(ValueError, match="select a replicate"):
        to_meridian(dataset.expand_dims(replicate=[0]))


def test_meridian_builds_input_data_and_model(dataset):
    pytest.importorskip("meridian", reason="google-meridian is not installed (it needs TensorFlow)")
    from meridian.data import load
    from meridian.model import model

    handoff = to_meridian(dataset)
    input_data = load.XrDatasetDataLoader(handoff.dataset, kpi_type="revenue").load()
    assert list(input_data.media_spend.coords["media_channel"].values) == list(dataset["channel_column"].values)
    assert input_data.kpi.shape == (dataset.sizes["geo"], dataset.sizes["date"])
    meridian_model = model.Meridian(input_data=input_data)
    assert meridian_model.n_geos == dataset.sizes["geo"]
    assert meridian_model.n_media_channels == dataset.sizes["channel"]
    assert handoff.input_data().kpi.shape == input_data.kpi.shape


# =========================================================================== pymc-marketing
def test_every_registry_transform_has_a_component():
    from pymc_marketing.mmm.components import adstock, saturation

    assert set(ADSTOCK_COMPONENTS) == set(ADSTOCK_TRANSFORMS)
    assert set(SATURATION_COMPONENTS) == set(SATURATION_TRANSFORMS)
    for name in ADSTOCK_COMPONENTS.values():
        for class_name in name.values() if isinstance(name, dict) else [name]:
            assert hasattr(adstock, class_name)
    for class_name, _ in SATURATION_COMPONENTS.values():
        assert hasattr(saturation, class_name)


def test_pymc_marketing_inputs(dataset):
    handoff = xmmm.to_pymc_marketing(xmmm.MMMResult(dataset))
    assert isinstance(handoff, PymcMarketingHandoff)
    columns = list(dataset["channel_column"].values)
    controls = list(dataset["control_column"].values)
    assert list(handoff.X.columns) == ["date", "geo", *columns, *controls]
    assert len(handoff.X) == len(handoff.y) == dataset.sizes["date"] * dataset.sizes["geo"]
    assert handoff.y.name == "y"
    np.testing.assert_array_equal(handoff.y.to_numpy(), xmmm.to_long_dataframe(dataset)["y"].to_numpy())
    kw = handoff.model_kwargs
    assert kw["date_column"] == "date" and kw["target_column"] == "y" and kw["dims"] == ("geo",)
    assert kw["channel_columns"] == columns and kw["control_columns"] == controls
    assert type(kw["adstock"]).__name__ == "GeometricAdstock" and kw["adstock"].l_max == 8
    assert kw["adstock"].normalize is True and kw["adstock"].mode.value == "After"
    assert type(kw["saturation"]).__name__ == "HillSaturation"
    assert kw["scaling"]["channel"] == {"method": "max", "dims": ()}


def _component_with_geo_priors(component):
    """The same component with every parameter's prior over (geo, channel), to pin per-geo truth."""
    from pymc_extras.prior import Prior

    priors = {name: Prior("HalfNormal", sigma=1, dims=("geo", "channel")) for name in component.default_priors}
    if hasattr(component, "l_max"):
        return type(component)(l_max=component.l_max, normalize=component.normalize, mode=component.mode, priors=priors)
    return type(component)(priors=priors)


CASES = {
    "geometric+hill": {},
    "delayed+tanh": {
        "adstock_fun": "delayed_adstock", "adstock_kwargs": {"alpha": 0.6, "theta": 1.5, "l_max": 5},
        "saturation_fun": "tanh_saturation", "saturation_kwargs": {"b": 0.8, "c": 1.2},
    },
    "weibull-cdf+michaelis": {
        "adstock_fun": "weibull_adstock", "adstock_kwargs": {"lam": 2.0, "k": 1.5, "type": "CDF", "l_max": 6},
        "saturation_fun": "michaelis_menten", "saturation_kwargs": {"alpha": 1.0, "lam": 0.4},
    },
    "binomial-before+sigmoid": {
        "adstock_fun": "binomial_adstock", "adstock_kwargs": {"alpha": 0.4, "l_max": 4, "mode": "Before"},
        "saturation_fun": "hill_saturation_sigmoid", "saturation_kwargs": {"sigma": 1.0, "beta": 3.0, "lam": 0.3},
    },
    "none+logistic": {
        "adstock_fun": "none", "adstock_kwargs": {},
        "saturation_fun": "logistic_saturation", "saturation_kwargs": {"lam": 2.0},
    },
    "weibull-pdf+root, mean scaling": {
        "adstock_fun": "weibull_adstock", "adstock_kwargs": {"lam": 1.5, "k": 2.0, "l_max": 5},
        "saturation_fun": "root_saturation", "saturation_kwargs": {"alpha": 0.6}, "spend_scaling": "mean",
    },
}


@pytest.mark.parametrize("transforms", CASES.values(), ids=CASES.keys())
def test_pymc_marketing_model_with_true_parameters_reproduces_contributions(transforms):
    """Build MMM(**model_kwargs), fix its parameters at the truth and compare the contributions.

    Graph only (no sampling): the check holds scaling, adstock, saturation and
    the beta/target-scale translation together.
    """
    import pymc as pm
    import pytensor

    ds = _generate(transforms=transforms) if transforms else _generate()
    handoff = to_pymc_marketing(ds)
    kwargs = dict(handoff.model_kwargs)
    kwargs["adstock"] = _component_with_geo_priors(kwargs["adstock"])
    kwargs["saturation"] = _component_with_geo_priors(kwargs["saturation"])
    mmm = PymcMarketingHandoff(handoff.X, handoff.y, kwargs, handoff.truth).build_model()
    model = mmm.model
    assert list(model.coords["channel"]) == list(ds["channel_column"].values)
    assert list(model.coords["geo"]) == list(ds["geo"].values)
    np.testing.assert_allclose(
        mmm.scalers["_channel"].transpose("geo", "channel").values, handoff.truth["channel_scale"].values, rtol=1e-12
    )
    np.testing.assert_allclose(mmm.scalers["_target"].values, handoff.truth["target_scale"].values, rtol=1e-12)

    free = {rv.name for rv in model.free_RVs}
    pinned = {name: handoff.truth[name].transpose(*model.named_vars_to_dims[name]).values
              for name in free if name.startswith(("adstock_", "saturation_")) or name == "gamma_control"}
    assert {n for n in free if n.startswith(("adstock_", "saturation_"))} <= set(pinned)
    fixed = pm.do(model, pinned)
    contribution, control = pytensor.function(
        [], [fixed["channel_contribution"], fixed["control_contribution"]], mode="FAST_COMPILE"
    )()
    dims = model.named_vars_to_dims["channel_contribution"]
    expected = handoff.truth["channel_contribution"].transpose(*dims).values
    np.testing.assert_allclose(contribution, expected, rtol=1e-9, atol=1e-12)
    expected_control = (ds["control_effect"] / handoff.truth["target_scale"]).transpose(
        *model.named_vars_to_dims["control_contribution"]
    ).values
    np.testing.assert_allclose(control, expected_control, rtol=1e-9, atol=1e-12)


def test_pymc_marketing_builds_with_default_kwargs(dataset):
    mmm = to_pymc_marketing(dataset).build_model()
    assert {"date", "geo", "channel", "control"} <= set(mmm.model.coords)


def test_pymc_marketing_truth_on_target_scale(dataset):
    truth = to_pymc_marketing(dataset).truth
    target_scale = dataset["y"].max("date")
    np.testing.assert_allclose(
        truth["saturation_beta"].values,
        (dataset["channel_coefficient"] / target_scale).transpose("geo", "channel").values,
        rtol=1e-12,
    )
    kappa = dataset["saturation_kappa"].transpose("geo", "channel").values
    np.testing.assert_array_equal(truth["saturation_kappa"].values, kappa)
    np.testing.assert_array_equal(truth["channel_contribution_original_scale"].values,
                                  dataset["contribution"].transpose("date", "geo", "channel").values)
    assert list(truth["channel"].values) == list(dataset["channel_column"].values)
    assert truth.attrs["saturation_mapped"] == 1


def test_pymc_marketing_unscaled_spend_leaves_saturation_out():
    ds = _generate(transforms={"spend_scaling": "none", "saturation_kwargs": {"kappa": 3000.0, "slope": 1.0}})
    truth = to_pymc_marketing(ds).truth
    assert not [v for v in truth.data_vars if v.startswith("saturation_")]
    assert "adstock_alpha" in truth and truth.attrs["saturation_mapped"] == 0


def test_pymc_marketing_mixed_transforms_raise():
    ds = _generate(transforms={"saturation_fun": ["hill_function", "logistic_saturation", "hill_function"],
                               "saturation_kwargs": [{}, {"lam": 2.0}, {}]})
    message = "one saturation transform for all channels.*hill_function, logistic_saturation"
    with pytest.raises(ValueError, match=message):
        to_pymc_marketing(ds)
    ds = _generate(transforms={"adstock_kwargs": [{"l_max": 8, "mode": "Before"}, {"l_max": 8}, {"l_max": 8}]})
    with pytest.raises(ValueError, match="one mode for all channels"):
        to_pymc_marketing(ds)


def test_pymc_marketing_different_l_max_takes_the_longest_with_a_warning():
    ds = _generate(transforms={"adstock_kwargs": [{"l_max": 4}, {"l_max": 8}, {"l_max": 6}]})
    with pytest.warns(xmmm.XmmmWarning, match="l_max = 4, 6, 8, so the model gets l_max = 8"):
        handoff = to_pymc_marketing(ds)
    assert handoff.model_kwargs["adstock"].l_max == 8


def test_pymc_marketing_inverse_scaled_logistic_eps():
    ok = _generate(
        transforms={"saturation_fun": "inverse_scaled_logistic_saturation", "saturation_kwargs": {"lam": 0.5}},
        regions={"transform_variation": 0.0},
    )
    assert type(to_pymc_marketing(ok).model_kwargs["saturation"]).__name__ == "InverseScaledLogisticSaturation"
    bad = _generate(transforms={"saturation_fun": "inverse_scaled_logistic_saturation",
                                "saturation_kwargs": {"lam": 0.5, "eps": 2.0}})
    with pytest.raises(ValueError, match="eps"):
        to_pymc_marketing(bad)
    varied = _generate(transforms={"saturation_fun": "inverse_scaled_logistic_saturation",  # eps varies by geo
                                   "saturation_kwargs": {"lam": 0.5}})
    with pytest.raises(ValueError, match="transform_variation"):
        to_pymc_marketing(varied)


# =========================================================================== harder worlds
def _pinned_contribution(handoff: PymcMarketingHandoff, **model_overrides) -> tuple[np.ndarray, np.ndarray]:
    """pymc-marketing's channel contribution with its parameters fixed at the hand-off's truth, and the truth's."""
    import pymc as pm
    import pytensor

    kwargs = {**handoff.model_kwargs, **model_overrides}
    kwargs["adstock"] = _component_with_geo_priors(kwargs["adstock"])
    kwargs["saturation"] = _component_with_geo_priors(kwargs["saturation"])
    model = PymcMarketingHandoff(handoff.X, handoff.y, kwargs, handoff.truth).build_model().model
    pinned = {name: handoff.truth[name].transpose(*model.named_vars_to_dims[name]).values
              for name in {rv.name for rv in model.free_RVs} if name.startswith(("adstock_", "saturation_"))}
    if "media_temporal_latent_multiplier" in model.named_vars:
        dims = model.named_vars_to_dims["media_temporal_latent_multiplier"]
        pinned["media_temporal_latent_multiplier"] = handoff.truth["media_temporal_latent_multiplier"].transpose(
            *dims).values
    fixed = pm.do(model, pinned)
    contribution = pytensor.function([], fixed["channel_contribution"], mode="FAST_COMPILE")()
    dims = model.named_vars_to_dims["channel_contribution"]
    return contribution, handoff.truth["channel_contribution"].transpose(*dims).values


def _with_variation(kinds: dict) -> xr.Dataset:
    config = apply_overrides(DEFAULT_CONFIG, {"n_periods": 40})
    for channel in config.channels:
        if channel.name in kinds:
            channel.effectiveness_variation = xmmm.TimeVariation(**kinds[channel.name])
    return xmmm.generate_dataset(config)


def test_pymc_marketing_time_varying_media_reproduces_a_shared_multiplier():
    # a deterministic path (linear) is the same for every channel: pymc-marketing's one latent
    # multiplier per geo then holds the truth
    ds = _with_variation({name: {"kind": "linear", "ratio": 2.0} for name in DEFAULT_CONFIG.channel_names})
    handoff = to_pymc_marketing(ds)
    assert handoff.model_kwargs["time_varying_media"] is True
    np.testing.assert_array_equal(handoff.truth["media_temporal_latent_multiplier"].values,
                                  ds["effectiveness_multiplier"].isel(channel=0).transpose("date", "geo").values)
    contribution, expected = _pinned_contribution(handoff)
    np.testing.assert_allclose(contribution, expected, rtol=1e-9, atol=1e-12)
    # without the multiplier the same parameters miss the doubling
    constant, _ = _pinned_contribution(handoff, time_varying_media=False)
    assert np.abs(constant - expected).max() > 0.1 * np.abs(expected).max()


def test_pymc_marketing_per_channel_multiplier_is_truth_but_not_a_model():
    ds = _with_variation({DEFAULT_CONFIG.channel_names[0]: {"kind": "gp", "amplitude": 0.3, "length_scale": 8}})
    handoff = to_pymc_marketing(ds)
    assert "time_varying_media" not in handoff.model_kwargs
    assert "media_temporal_latent_multiplier" not in handoff.truth
    m = handoff.truth["effectiveness_multiplier"]
    assert m.dims == ("date", "geo", "channel") and list(m["channel"].values) == list(ds["channel_column"].values)
    # the truth's contribution is the constant model's times the path
    constant, expected = _pinned_contribution(handoff)
    np.testing.assert_allclose(constant * m.transpose("date", "geo", "channel").values, expected,
                               rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore:pymc-marketing's MMM takes one l_max")
def test_pymc_marketing_scales_are_those_of_the_data_it_receives():
    ds = xmmm.generate_dataset(xmmm.get_preset_config("messy"))
    handoff = to_pymc_marketing(ds)
    mmm = handoff.build_model()
    np.testing.assert_allclose(mmm.scalers["_target"].transpose("geo").values, handoff.truth["target_scale"].values,
                               rtol=1e-12)
    np.testing.assert_allclose(mmm.scalers["_channel"].transpose("geo", "channel").values,
                               handoff.truth["channel_scale"].values, rtol=1e-12)
    # the outliers raise a reported maximum above the true one, and spend error moves Social's scale
    assert (handoff.truth["target_scale"].values != ds["y"].max("date").values).any()
    same = np.isclose(handoff.truth["channel_scale"].values,
                      ds["spend_scale"].transpose("geo", "channel").values, rtol=1e-12, atol=0)
    assert not same.all() and same.any()
    kappa = handoff.truth["saturation_kappa"].values
    np.testing.assert_array_equal(np.isnan(kappa), ~same)
    np.testing.assert_allclose(handoff.truth["saturation_beta"].values,
                               (ds["channel_coefficient"] / handoff.truth["target_scale"]).transpose(
                                   "geo", "channel").values, rtol=1e-12)


def test_multiplicative_outcome_hands_over_incremental_outcome_and_no_additive_parameters():
    config = apply_overrides(DEFAULT_CONFIG, {"n_periods": 40, "outcome_model": "multiplicative"})
    ds = xmmm.generate_dataset(config)
    truth = to_meridian(ds).truth
    incremental = ds["incremental_outcome"].transpose("geo", "date", "channel").values
    spend = ds["spend"].transpose("geo", "date", "channel").values
    np.testing.assert_allclose(truth["roi"].values, incremental.sum(axis=(0, 1)) / spend.sum(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_array_equal(truth["incremental_outcome"].values, incremental)
    contribution_roi = ds["contribution"].sum(("date", "geo")) / ds["spend"].sum(("date", "geo"))
    assert not np.allclose(truth["roi"].values, contribution_roi.values, rtol=1e-6)
    pymc_truth = to_pymc_marketing(ds).truth
    assert pymc_truth.attrs["saturation_mapped"] == 0
    assert not any(name.startswith("saturation_") for name in pymc_truth.data_vars)


def test_meridian_missing_rows_are_kept_or_interpolated_in_time():
    ds = xmmm.generate_dataset(xmmm.get_preset_config("messy"))
    seen = ~ds["missing"].transpose("geo", "date").values
    kept = to_meridian(ds).dataset
    assert np.array_equal(np.isnan(kept["kpi"].values), ~seen)
    filled = to_meridian(ds, missing="interpolate")
    kpi = filled.dataset["kpi"].values
    assert not np.isnan(kpi).any() and filled.dataset.attrs["filled_rows"] == int((~seen).sum())
    np.testing.assert_array_equal(kpi[seen], kept["kpi"].values[seen])      # reported rows untouched
    # a filled row lies on the line between the reported rows around it (or holds an end)
    g, t = np.argwhere(~seen & np.roll(seen, 1, axis=1) & np.roll(seen, -1, axis=1))[0]
    np.testing.assert_allclose(kpi[g, t], (kpi[g, t - 1] + kpi[g, t + 1]) / 2, rtol=1e-12)
    west = list(ds["geo"].values).index("west")        # the late region holds its first reported value
    first = int(np.argmax(seen[west]))
    assert first > 0 and (kpi[west, :first] == kpi[west, first]).all()
    media = filled.dataset["media_spend"].values
    assert not np.isnan(media).any() and np.array_equal(filled.dataset["media"].values, media)
    xr.testing.assert_identical(filled.truth, to_meridian(ds).truth)          # the truth is the true series'
    with pytest.raises(ValueError, match="missing must be one of 'keep', 'interpolate'; got 'drop'"):
        to_meridian(ds, missing="drop")


def test_meridian_builds_from_a_messy_world_once_filled():
    pytest.importorskip("meridian", reason="google-meridian is not installed (it needs TensorFlow)")
    from meridian.model import model

    ds = xmmm.generate_dataset(xmmm.get_preset_config("messy"))
    absent = int(ds["missing"].sum())
    with pytest.raises(ValueError, match=f"Meridian takes no missing values, and {absent} .* missing='interpolate'"):
        to_meridian(ds).input_data()
    data = to_meridian(ds, missing="interpolate").input_data()
    assert model.Meridian(input_data=data).n_media_channels == ds.sizes["channel"]


@pytest.mark.filterwarnings("ignore:pymc-marketing's MMM takes one l_max")
def test_pymc_marketing_missing_rows_are_left_out_or_interpolated():
    ds = xmmm.generate_dataset(xmmm.get_preset_config("messy"))
    kept, filled = to_pymc_marketing(ds), to_pymc_marketing(ds, missing="interpolate")
    assert len(kept.X) == int((~ds["missing"]).sum()) and len(filled.X) == ds["missing"].size
    assert not filled.X.isna().any().any() and not filled.y.isna().any()
    merged = filled.X.assign(y=filled.y).merge(kept.X.assign(y=kept.y), on=["date", "geo"], suffixes=("", "_kept"))
    assert len(merged) == len(kept.X)
    for column in ["y", *kept.model_kwargs["channel_columns"]]:
        np.testing.assert_array_equal(merged[column].to_numpy(), merged[f"{column}_kept"].to_numpy())
    mmm = filled.build_model()
    assert len(mmm.model.coords["date"]) == ds.sizes["date"]          # every date, none filled with 0
    np.testing.assert_allclose(mmm.scalers["_target"].transpose("geo").values, filled.truth["target_scale"].values,
                               rtol=1e-12)
    xr.testing.assert_identical(filled.truth["channel_contribution_original_scale"],
                                kept.truth["channel_contribution_original_scale"])
    with pytest.raises(ValueError, match="missing must be one of 'keep', 'interpolate'; got 0"):
        to_pymc_marketing(ds, missing=0)


@pytest.mark.parametrize("noise", ["student_t", "ar1", "heteroscedastic", "lognormal"])
def test_pymc_marketing_noise_sd_only_where_the_noise_has_one(noise):
    ds = _generate(regions={"noise": noise, "noise_ar": 0.4 if noise == "ar1" else 0.0})
    truth = to_pymc_marketing(ds).truth
    if noise in ("heteroscedastic", "lognormal"):
        assert truth["y_sigma"].isnull().all()
    else:   # scaled to the configured sd: the marginal sd of the realised noise, over the target scale
        level = ds["baseline_level"].isel(date=0, drop=True)
        np.testing.assert_allclose(truth["y_sigma"].values,
                                   (level * DEFAULT_CONFIG.regions.sales_volatility / truth["target_scale"]).values,
                                   rtol=1e-12)
