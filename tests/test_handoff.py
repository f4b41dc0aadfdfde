"""Hand-offs to pymc-marketing and Meridian: layouts, the truth in their terms, checked with the libraries.

pymc-marketing runs here: its model, built from the hand-off and pinned at the
truth with ``pymc.do``, must reproduce xmmm's data.  Meridian needs its own
environment (``tests/test_handoff_meridian.py``); here only the layout and the
relations among its truth are checked.
"""

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
    SEASONALITY_CONTROLS,
    MeridianHandoff,
    PymcMarketingHandoff,
    to_meridian,
    to_pymc_marketing,
)
from xmmm.handoff._common import channel_layout
from xmmm.transforms import ADSTOCK_TRANSFORMS, SATURATION_TRANSFORMS

from target_presets import small_target_config

PRESETS = list(xmmm.list_available_presets())
RTOL = 1e-8
#: pymc-marketing 0.19.2 builds its Fourier terms with pandas' deprecated ``DatetimeIndex.dayofyear``
PYMC_FOURIER_DEPRECATION = pytest.mark.filterwarnings("ignore:DatetimeIndex.dayofyear is deprecated")
#: pytensor folds LinearTrend's ``linspace(0, max(t), n_changepoints=1)``, a step of 0 / 0, when the graph
#: is constant enough (the rewrite is skipped and the value stays right)
PYTENSOR_LINSPACE = pytest.mark.filterwarnings("ignore:divide by zero encountered in divide:RuntimeWarning")
#: worlds built from DEFAULT_CONFIG or the messy preset lie outside the libraries' families: the hand-off says so
OUTSIDE_THE_FAMILY = pytest.mark.filterwarnings("ignore:the (pymc-marketing|Meridian) hand-off is not exact")


def _generate(**overrides) -> xr.Dataset:
    config = apply_overrides(DEFAULT_CONFIG, {"n_periods": 30, **overrides})
    with warnings.catch_warnings():
        # some transform choices below are flagged as hard to recover; irrelevant here
        warnings.simplefilter("ignore", XmmmWarning)
        return xmmm.generate_dataset(config)


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XmmmWarning)
        return call(*args, **kwargs)


@pytest.fixture(scope="module")
def dataset() -> xr.Dataset:
    return _generate()


# =========================================================================== pymc-marketing helpers
def _aligned(truth: xr.DataArray, model, dims) -> np.ndarray:
    """Truth in a model's dims and coordinate order (pymc-marketing sorts geos by name)."""
    da = truth.transpose(*dims)
    return da.sel({d: list(model.coords[d]) for d in dims if d in da.coords}).values


def _likelihood_mean(model):
    """The ``mu`` of the likelihood (pymc-marketing builds it but does not store it)."""
    from pytensor.graph.traversal import ancestors

    for var in ancestors(model.observed_RVs):
        if getattr(var, "name", None) == "mu":
            return var
    raise LookupError("the likelihood has no input named 'mu'")


def _pinned_outputs(handoff: PymcMarketingHandoff, names=("channel_contribution", "control_contribution")):
    """Build the hand-off's model, pin every free variable at the truth and evaluate (one compile)."""
    import pymc as pm
    import pytensor

    mmm = handoff.build_model()
    model = mmm.model
    free = {rv.name for rv in model.free_RVs}
    assert free <= set(handoff.truth.data_vars), free - set(handoff.truth.data_vars)
    pinned = {rv.name: _aligned(handoff.truth[rv.name], model, model.named_vars_to_dims.get(rv.name, ()))
              for rv in model.free_RVs}
    fixed = pm.do(model, pinned)
    outputs = [fixed[n] for n in names if n in fixed.named_vars] + [_likelihood_mean(fixed)]
    values = pytensor.function([], outputs, mode="FAST_COMPILE")()
    dims = [model.named_vars_to_dims[n] for n in names if n in fixed.named_vars] + [outputs[-1].type.dims]
    keys = [n for n in names if n in fixed.named_vars] + ["mu"]
    return model, {k: (v, d) for k, v, d in zip(keys, values, dims)}


def _controls_with_trend(ds: xr.Dataset) -> xr.DataArray:
    """xmmm's control effects by column name, treatments' (gamma * value), then the baseline trend as ``t``."""
    effects = ds["control_effect"].drop_vars("control_column").assign_coords(control=ds["control_column"].values)
    parts = [effects]
    layout = channel_layout(ds)
    treatments = layout.treatments
    if treatments:
        treated = (ds["treatment_value"] * ds["channel_coefficient"]).isel(channel=treatments)
        parts.append(treated.drop_vars([c for c in treated.coords if c not in ("date", "geo")]).rename(
            channel="control").assign_coords(control=[layout.data_columns[j] for j in treatments]))
    return xr.concat([*parts, ds["baseline_trend"].expand_dims(control=["t"])], dim="control")


def _relative(actual: np.ndarray, expected: np.ndarray) -> float:
    scale = np.max(np.abs(expected))
    return float(np.max(np.abs(actual - expected)) / scale) if scale > 0 else float(np.max(np.abs(actual)))


# =========================================================================== pymc-marketing: exact for every preset
@PYMC_FOURIER_DEPRECATION
@PYTENSOR_LINSPACE
@pytest.mark.parametrize("name", PRESETS)
def test_pymc_marketing_model_at_the_truth_reproduces_every_target_preset(name):
    """Channel and control contributions and the mean outcome of the pinned model equal xmmm's to 1e-8."""
    ds = xmmm.generate_dataset(small_target_config(name, "pymc-marketing"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", XmmmWarning)  # an exact hand-off says nothing
        handoff = to_pymc_marketing(ds)
    assert handoff.exact and handoff.mismatches == []
    model, out = _pinned_outputs(handoff)
    target_scale = ds["y"].max("date")
    # media channels are channels (their exposures where they have them); treatments are controls, gamma * value;
    # the trend is the known control t (the period number over T): its contribution is the baseline trend
    contribution = ds["contribution"].isel(channel=channel_layout(ds).media).assign_coords(
        channel=handoff.model_kwargs["channel_columns"])
    expected = {
        "channel_contribution": contribution / target_scale,
        "control_contribution": _controls_with_trend(ds) / target_scale,
        "mu": (ds["y"] - ds["baseline_noise"]) / target_scale,
    }
    columns = {}
    for key, (value, dims) in out.items():
        data = expected[key].assign_coords({d: columns[d] for d in columns if d in expected[key].dims})
        reference = _aligned(data, model, dims)
        # relative to the largest value: contributions are 0 where a channel has not spent yet
        assert _relative(value, reference) < RTOL, (key, _relative(value, reference))
    mu, _ = out["mu"]
    assert np.max(np.abs(mu - _aligned(expected["mu"], model, out["mu"][1])) / np.abs(mu)) < RTOL


def test_pymc_marketing_truth_covers_the_baseline_terms():
    ds = xmmm.generate_dataset(small_target_config("growing_business", "pymc-marketing"))
    handoff = to_pymc_marketing(ds)
    kw = handoff.model_kwargs
    assert kw["yearly_seasonality"] == 1 and kw["control_columns"][-1] == "t"
    n_periods = ds.sizes["date"]
    np.testing.assert_array_equal(handoff.X["t"].to_numpy(), np.repeat(np.arange(n_periods) / n_periods, ds.sizes["geo"]))
    truth = handoff.truth
    level = ds["baseline_level"].isel(date=0, drop=True)
    target_scale = ds["y"].max("date")
    config = xmmm.MMMResult(ds).config.regions
    np.testing.assert_allclose(truth["intercept_contribution"], level / target_scale, rtol=1e-12)
    np.testing.assert_allclose(truth["y_sigma"], level * config.sales_volatility / target_scale, rtol=1e-12)
    np.testing.assert_allclose(truth["gamma_control"].sel(control="t"), level * config.sales_trend * n_periods / target_scale,
                               rtol=1e-12)
    amplitude = np.hypot(truth["gamma_fourier"].sel(fourier_mode="sin_1"), truth["gamma_fourier"].sel(fourier_mode="cos_1"))
    np.testing.assert_allclose(amplitude, level * config.seasonal_amplitude / target_scale, rtol=1e-12)
    # the model's seasonal term at the truth is the data's component
    np.testing.assert_allclose(truth["yearly_seasonality_contribution"],
                               (ds["baseline_seasonality"] / target_scale).transpose("date", "geo"), rtol=1e-9,
                               atol=1e-12)


def test_pymc_marketing_priors_cover_every_geo(dataset):
    handoff = _quiet(to_pymc_marketing, dataset)
    for component in (handoff.model_kwargs["adstock"], handoff.model_kwargs["saturation"]):
        assert all(prior.dims == ("geo", "channel") for prior in component.function_priors.values())


@PYMC_FOURIER_DEPRECATION
def test_truth_values_follow_the_model_order():
    """pymc-marketing sorts geos; truth_values selects by label (geos here are US, UK, DE)."""
    ds = xmmm.generate_dataset(small_target_config("digital_heavy", "pymc-marketing"))
    handoff = to_pymc_marketing(ds)
    mmm = handoff.build_model()
    assert list(mmm.model.coords["geo"]) == sorted(ds["geo"].values)
    values = handoff.truth_values(mmm.model)
    order = [list(ds["geo"].values).index(g) for g in mmm.model.coords["geo"]]
    np.testing.assert_array_equal(values["intercept_contribution"],
                                  handoff.truth["intercept_contribution"].values[order])
    with pytest.raises(KeyError, match="no value for the model's free variable 'extra'"):
        import pymc as pm

        with mmm.model:
            pm.Normal("extra")
        handoff.truth_values(mmm.model)


# =========================================================================== pymc-marketing: outside the family
@PYMC_FOURIER_DEPRECATION
def test_pymc_marketing_outside_the_family_measures_how_far_the_truth_is():
    """``basic`` mixes l_max 8/4/6 and the calendar year: the figures are what the pinned model gives."""
    ds = xmmm.generate_dataset(xmmm.customize_preset("basic", n_periods=40))
    with pytest.warns(XmmmWarning, match="not exact") as record:
        handoff = to_pymc_marketing(ds)
    message = str(record[0].message)
    assert "x2-Search: l_max 4 in the data, 8 in the model" in message
    assert "yearly seasonality" in message and "mean outcome" in message
    assert not handoff.exact
    items = {m.item: m for m in handoff.mismatches}
    assert set(items) == {"x2-Search", "x3-Print", "yearly seasonality", "mean outcome"}
    model, out = _pinned_outputs(handoff)
    target_scale = ds["y"].max("date")
    contribution, dims = out["channel_contribution"]
    data = (ds["contribution"] / target_scale).assign_coords(channel=ds["channel_column"].values)
    reference = _aligned(data, model, dims)
    axis = dims.index("channel")
    for j, column in enumerate(model.coords["channel"]):
        got = np.take(contribution, j, axis=axis)
        want = np.take(reference, j, axis=axis)
        measured = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        if column in items:
            assert measured > 1e-6 and math.isclose(items[column].difference, measured, rel_tol=1e-6)
        else:
            assert measured < RTOL
    mu, mu_dims = out["mu"]
    expected = _aligned((ds["y"] - ds["baseline_noise"]) / target_scale, model, mu_dims)
    per_period = float(np.max(np.abs(mu - expected) / expected))
    assert math.isclose(items["mean outcome"].difference, per_period, rel_tol=1e-6)
    assert f"{100 * items['x2-Search'].difference:.3g} %" in str(items["x2-Search"])


@PYMC_FOURIER_DEPRECATION
@PYTENSOR_LINSPACE
def test_pymc_marketing_says_it_cannot_take_reach_and_frequency_and_how_far_its_stand_in_is():
    """Reach and frequency go as impressions with the nearest Hill curve; the figure is the pinned model's."""
    config = xmmm.customize_preset("reach_frequency", target="meridian", n_periods=50)
    config = apply_overrides(config, {"transforms": {"spend_scaling": "max"}, "regions": {"seasonal_amplitude": 0.0,
                                                                                          "sales_trend": 0.0}})
    ds = xmmm.generate_dataset(config)
    with pytest.warns(XmmmWarning, match="reach and frequency in the data") as record:
        handoff = to_pymc_marketing(ds)
    assert "e2-YouTube" in str(record[0].message) and "e3-CTV" in str(record[0].message)
    # channels hand over what their effect follows: clicks for Search, impressions for reach and frequency
    assert handoff.model_kwargs["channel_columns"] == ["x1-TV", "e2-YouTube", "e3-CTV", "e4-Search"]
    assert list(handoff.X.columns) == ["date", "geo", "x1-TV", "e2-YouTube", "e3-CTV", "e4-Search"]
    items = {m.item: m for m in handoff.mismatches}
    model, out = _pinned_outputs(handoff)
    contribution, dims = out["channel_contribution"]
    # in the data's units (the model's contribution is on the target scale: times each geo's largest y)
    data = ds["contribution"].assign_coords(channel=handoff.model_kwargs["channel_columns"])
    reference = _aligned(data, model, dims)
    target_scale = _aligned(ds["y"].max("date") + 0 * data, model, dims)
    contribution = contribution * target_scale
    axis = dims.index("channel")
    for j, column in enumerate(model.coords["channel"]):
        got, want = np.take(contribution, j, axis=axis), np.take(reference, j, axis=axis)
        measured = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        if column in ("e2-YouTube", "e3-CTV"):
            assert math.isclose(items[column].difference, measured, rel_tol=1e-6)
            assert measured < 0.5  # the nearest Hill curve is near, not exact
        else:
            assert measured < RTOL


def test_pymc_marketing_hands_off_mixed_transforms_as_the_nearest_model():
    ds = _generate(transforms={"saturation_fun": ["hill_function", "logistic_saturation", "michaelis_menten"],
                               "saturation_kwargs": [{}, {"lam": 2.0}, {"alpha": 1.0, "lam": 0.4}]})
    with pytest.warns(XmmmWarning, match="logistic_saturation in the data, hill_function"):
        handoff = to_pymc_marketing(ds)
    assert type(handoff.model_kwargs["saturation"]).__name__ == "HillSaturation"
    assert {m.item for m in handoff.mismatches} >= {"x2-Search", "x3-Social"}
    ds = _generate(transforms={"saturation_fun": ["hill_function", "root_saturation", "hill_function"],
                               "saturation_kwargs": [{}, {"alpha": 0.5}, {}]})
    with pytest.raises(ValueError, match="root_saturation has no Hill equivalent"):
        to_pymc_marketing(ds)


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
    handoff = _quiet(xmmm.to_pymc_marketing, xmmm.MMMResult(dataset))
    assert isinstance(handoff, PymcMarketingHandoff)
    columns = list(dataset["channel_column"].values)
    controls = list(dataset["control_column"].values)
    assert list(handoff.X.columns) == ["date", "geo", *columns, *controls, "t"]
    assert len(handoff.X) == len(handoff.y) == dataset.sizes["date"] * dataset.sizes["geo"]
    assert handoff.y.name == "y"
    np.testing.assert_array_equal(handoff.y.to_numpy(), xmmm.to_long_dataframe(dataset)["y"].to_numpy())
    kw = handoff.model_kwargs
    assert kw["date_column"] == "date" and kw["target_column"] == "y" and kw["dims"] == ("geo",)
    assert kw["channel_columns"] == columns and kw["control_columns"] == [*controls, "t"]
    assert type(kw["adstock"]).__name__ == "GeometricAdstock" and kw["adstock"].l_max == 8
    assert kw["adstock"].normalize is True and kw["adstock"].mode.value == "After"
    assert type(kw["saturation"]).__name__ == "HillSaturation"
    assert kw["scaling"]["channel"] == {"method": "max", "dims": ()}


CASES = {
    "geometric+hill on unscaled spend": {"spend_scaling": "none", "saturation_kwargs": {"kappa": 3000.0, "slope": 1.2}},
    "delayed+tanh": {
        "adstock_fun": "delayed_adstock", "adstock_kwargs": {"alpha": 0.6, "theta": 1.5, "l_max": 5},
        "saturation_fun": "tanh_saturation", "saturation_kwargs": {"b": 0.8, "c": 1.2},
    },
    "weibull-cdf+michaelis on Meridian's scaling": {
        "adstock_fun": "weibull_adstock", "adstock_kwargs": {"lam": 2.0, "k": 1.5, "type": "CDF", "l_max": 6},
        "saturation_fun": "michaelis_menten", "saturation_kwargs": {"alpha": 1.0, "lam": 0.8},
        "spend_scaling": "per_capita_median",
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


@PYMC_FOURIER_DEPRECATION
@pytest.mark.parametrize("transforms", CASES.values(), ids=CASES.keys())
def test_pymc_marketing_every_transform_reproduces_contributions(transforms):
    """Any one adstock and saturation (on any channel scaling): contributions exact at the truth.

    The default config's seasonality follows the calendar year, which the
    model's Fourier terms do not; the channels and controls are exact anyway.
    """
    ds = _generate(transforms=transforms)
    handoff = _quiet(to_pymc_marketing, ds)
    assert {m.item for m in handoff.mismatches} <= {"yearly seasonality", "mean outcome"}
    model, out = _pinned_outputs(handoff)
    target_scale = ds["y"].max("date")
    columns = {"channel": ds["channel_column"].values}
    for key, data in (("channel_contribution", ds["contribution"]), ("control_contribution", _controls_with_trend(ds))):
        value, dims = out[key]
        scaled = (data / target_scale).assign_coords({d: columns[d] for d in columns if d in data.dims})
        assert _relative(value, _aligned(scaled, model, dims)) < RTOL


def test_pymc_marketing_inverse_scaled_logistic_eps():
    ok = _generate(
        transforms={"saturation_fun": "inverse_scaled_logistic_saturation", "saturation_kwargs": {"lam": 0.5}},
        regions={"transform_variation": 0.0},
    )
    handoff = _quiet(to_pymc_marketing, ok)
    assert type(handoff.model_kwargs["saturation"]).__name__ == "InverseScaledLogisticSaturation"
    bad = _generate(transforms={"saturation_fun": "inverse_scaled_logistic_saturation",
                                "saturation_kwargs": {"lam": 0.5, "eps": 2.0}})
    with pytest.raises(ValueError, match="eps"):
        to_pymc_marketing(bad)
    varied = _generate(transforms={"saturation_fun": "inverse_scaled_logistic_saturation",  # eps varies by geo
                                   "saturation_kwargs": {"lam": 0.5}})
    with pytest.raises(ValueError, match="transform_variation"):
        to_pymc_marketing(varied)


# =========================================================================== Meridian (layout and truth relations)
@pytest.fixture(scope="module")
def meridian_ds() -> xr.Dataset:
    return xmmm.generate_dataset(small_target_config("multi_region", "meridian"))


def test_meridian_layout(meridian_ds):
    ds = meridian_ds
    handoff = xmmm.to_meridian(xmmm.MMMResult(ds))
    assert isinstance(handoff, MeridianHandoff) and handoff.exact
    data = handoff.dataset
    assert set(data.data_vars) == {"kpi", "revenue_per_kpi", "population", "controls", "media", "media_spend"}
    assert data["kpi"].dims == ("geo", "time") and data["revenue_per_kpi"].dims == ("geo", "time")
    assert data["controls"].dims == ("geo", "time", "control_variable")
    assert data["media"].dims == ("geo", "media_time", "media_channel")
    assert data["media_spend"].dims == ("geo", "time", "media_channel")
    assert list(data["time"].values) == [d.strftime("%Y-%m-%d") for d in pd.DatetimeIndex(ds["date"].values)]
    assert list(data["media_channel"].values) == list(ds["channel_column"].values)
    assert list(data["control_variable"].values) == [*ds["control_column"].values, *SEASONALITY_CONTROLS]
    np.testing.assert_array_equal(data["kpi"].values, ds["y"].transpose("geo", "date").values)
    spend = ds["spend"].transpose("geo", "date", "channel").values
    np.testing.assert_array_equal(data["media"].values, spend)
    np.testing.assert_array_equal(data["media_spend"].values, spend)
    np.testing.assert_array_equal(data["population"].values, ds["population"].values)
    np.testing.assert_array_equal(data["controls"].values[..., : ds.sizes["control"]],
                                  ds["control_value"].transpose("geo", "date", "control").values)
    # the seasonality columns: sine and cosine of the seasonal phase, the same in every geo
    fraction = xmmm.patterns.year_fraction(pd.DatetimeIndex(ds["date"].values))
    np.testing.assert_allclose(data["controls"].sel(control_variable="seasonality_sin").values,
                               np.broadcast_to(np.sin(2 * np.pi * fraction), (ds.sizes["geo"], ds.sizes["date"])))
    assert (data["revenue_per_kpi"] == 1).all()
    assert not any(bool(data[v].isnull().any()) for v in data.data_vars)


def test_meridian_model_spec_contains_the_truth(meridian_ds):
    handoff = to_meridian(meridian_ds)
    spec = handoff.model_spec_kwargs
    assert spec["max_lag"] == int(meridian_ds["adstock_l_max"].max()) - 1
    assert spec["knots"] == 2  # a linear trend: mu_t is linear between the first and the last period
    population = meridian_ds["population"]
    assert spec["baseline_geo"] == str(meridian_ds["geo"].values[int(np.argmax(population.values))])
    assert handoff.priors["slope_m"][0] == "LogNormal"  # the presets' slopes are not all 1
    # Meridian's default ec_m prior is on (0.1, 10): it holds these, so it is kept
    assert "ec_m" not in handoff.priors
    assert (handoff.truth["ec_m"] > 0.1).all() and (handoff.truth["ec_m"] < 10).all()


def test_meridian_priors_widen_where_the_defaults_exclude_the_truth():
    config = xmmm.customize_preset("multi_region", target="meridian", n_periods=40,
                                   transforms={"saturation_kwargs": {"slope": 1.0, "kappa": 0.05}})
    handoff = to_meridian(_quiet(xmmm.generate_dataset, config))
    assert "slope_m" not in handoff.priors  # every slope is 1: Meridian's default Deterministic(1) holds
    dist, params = handoff.priors["ec_m"]
    assert dist == "TruncatedNormal" and params["low"] < float(handoff.truth["ec_m"].min())


def test_meridian_truth_relations(meridian_ds):
    ds = meridian_ds
    truth = to_meridian(ds).truth
    # Meridian's parameters are shared by geos where xmmm's are (the family: no transform variation)
    np.testing.assert_array_equal(truth["alpha_m"].values, ds["adstock_alpha"].isel(geo=0).values)
    np.testing.assert_array_equal(truth["slope_m"].values, ds["saturation_slope"].isel(geo=0).values)
    np.testing.assert_allclose(truth["ec_m"].values, ds["saturation_kappa"].isel(geo=0).values, rtol=1e-12)
    beta = np.exp(truth["beta_m"] + truth["eta_m"] * truth["beta_gm_dev"])
    xr.testing.assert_allclose(beta.transpose(*truth["beta_gm"].dims), truth["beta_gm"], rtol=1e-12)
    gamma = truth["gamma_c"] + truth["xi_c"] * truth["gamma_gc_dev"]
    xr.testing.assert_allclose(gamma.transpose(*truth["gamma_gc"].dims), truth["gamma_gc"], rtol=1e-12, atol=1e-15)
    baseline = int(np.argmax(ds["population"].values))
    assert float(truth["tau_g"][baseline]) == 0.0
    np.testing.assert_allclose(np.delete(truth["tau_g"].values, baseline), truth["tau_g_excl_baseline"].values)
    n = ds.sizes["date"]
    w = np.arange(n) / (n - 1)
    knots = truth["knot_values"].values
    np.testing.assert_allclose(truth["mu_t"].values, knots[0] * (1 - w) + knots[1] * w, rtol=1e-12)
    total_spend = ds["spend"].sum(["date", "geo"]).values
    np.testing.assert_allclose(truth["roi"].values, ds["contribution"].sum(["date", "geo"]).values / total_spend,
                               rtol=1e-12)
    np.testing.assert_allclose(truth["roi_m"].values, truth["roi"].values, rtol=1e-10)
    np.testing.assert_allclose(truth["mroi_m"].values, truth["mroi"].values, rtol=1e-10)
    np.testing.assert_array_equal(truth["expected_outcome"].values,
                                  (ds["y"] - ds["baseline_noise"]).transpose("geo", "date").values)
    np.testing.assert_allclose(truth["roi_by_geo"].values, ds["roas"].transpose("geo", "channel").values, rtol=1e-12)
    # Meridian's scale equals xmmm's spend scale: the data were generated with it
    np.testing.assert_allclose(truth["media_scale"].values, ds["spend_scale"].transpose("geo", "channel").values,
                               rtol=1e-15)


def test_meridian_mroi_is_marginal_roas_over_all_geos(dataset):
    from xmmm.ground_truth import MARGINAL_STEP

    single = _generate(regions={"n_regions": 1, "region_names": None})
    np.testing.assert_allclose(_quiet(to_meridian, single).truth["mroi"].values, single["mroas"].isel(geo=0).values,
                               rtol=1e-12)
    mroi = _quiet(to_meridian, dataset).truth["mroi"]
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


def test_meridian_national_data_leave_population_to_meridian():
    ds = xmmm.generate_dataset(xmmm.customize_preset("basic", target="meridian", n_periods=40))
    handoff = to_meridian(ds)
    assert "population" not in handoff.dataset  # Meridian resets a national population to 1 (with a warning)
    assert handoff.model_spec_kwargs["media_effects_dist"] == "normal" and "baseline_geo" not in handoff.model_spec_kwargs
    assert handoff.priors["eta_m"] == ("Deterministic", {"loc": 0.0})
    np.testing.assert_allclose(handoff.truth["beta_gm"].isel(geo=0), handoff.truth["beta_m"], rtol=1e-15)
    assert (handoff.truth["eta_m"] == 0).all()


def test_meridian_leaves_controls_without_time_variation_to_tau_g():
    config = small_target_config("demo", "meridian")
    config.control_variables[1].activation_probability = 0.0  # the promotion never runs: all zero
    ds = xmmm.generate_dataset(config)
    handoff = to_meridian(ds)
    assert handoff.exact
    assert "c2-promotion" not in list(handoff.dataset["control_variable"].values)
    assert handoff.truth.attrs["controls_in_tau_g"] == "c2-promotion"


def test_meridian_outside_the_family_says_what_and_how_far(dataset):
    with pytest.warns(XmmmWarning, match="the Meridian hand-off is not exact") as record:
        handoff = to_meridian(dataset)
    assert not handoff.exact
    items = {m.item: m for m in handoff.mismatches}
    assert set(items) == {"x1-TV", "x2-Search", "x3-Social", "expected outcome"}
    assert "alpha_m varies by geo" in items["x1-TV"].reason and "ec_m varies by geo" in items["x1-TV"].reason
    assert all(0.001 < m.difference < 0.5 for m in handoff.mismatches)
    assert str(items["x1-TV"]) in str(record[0].message)
    # the shared parameters are the means over geos
    np.testing.assert_allclose(handoff.truth["alpha_m"].values,
                               dataset["adstock_alpha"].mean("geo").values, rtol=1e-12)


def test_meridian_rejects_non_datasets(dataset):
    with pytest.raises(TypeError, match="MMMResult or an xmmm"):
        to_meridian(dataset["y"])
    with pytest.raises(ValueError, match="select a replicate"):
        to_meridian(dataset.expand_dims(replicate=[0]))


def test_meridian_rejects_a_channel_that_never_spends():
    config = xmmm.customize_preset("demo", target="meridian", n_periods=20)  # Podcast starts at period 30
    ds = _quiet(xmmm.generate_dataset, config)
    with pytest.raises(ValueError, match="x3-Podcast never spend"):
        to_meridian(ds)


def test_meridian_objects_say_that_they_need_the_library(meridian_ds):
    try:
        import meridian  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("google-meridian is installed here (see tests/test_handoff_meridian.py)")
    with pytest.raises(ImportError, match="pip install google-meridian"):
        to_meridian(meridian_ds).model_spec()
# =========================================================================== harder worlds
def _pinned_contribution(handoff: PymcMarketingHandoff, **model_overrides) -> tuple[np.ndarray, np.ndarray]:
    """pymc-marketing's channel contribution with its parameters fixed at the hand-off's truth, and the truth's."""
    import pymc as pm
    import pytensor

    kwargs = {**handoff.model_kwargs, **model_overrides}
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


@OUTSIDE_THE_FAMILY
@PYMC_FOURIER_DEPRECATION
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


@OUTSIDE_THE_FAMILY
@PYMC_FOURIER_DEPRECATION
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


@OUTSIDE_THE_FAMILY
@PYMC_FOURIER_DEPRECATION
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


@OUTSIDE_THE_FAMILY
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


@OUTSIDE_THE_FAMILY
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


@OUTSIDE_THE_FAMILY
def test_meridian_builds_from_a_messy_world_once_filled():
    pytest.importorskip("meridian", reason="google-meridian is not installed (it needs TensorFlow)")
    from meridian.model import model

    ds = xmmm.generate_dataset(xmmm.get_preset_config("messy"))
    absent = int(ds["missing"].sum())
    with pytest.raises(ValueError, match=f"Meridian takes no missing values, and {absent} .* missing='interpolate'"):
        to_meridian(ds).input_data()
    handoff = to_meridian(ds, missing="interpolate")
    # with the hand-off's spec: its seasonality controls, the same in every geo, need fewer knots than periods
    assert model.Meridian(input_data=handoff.input_data(), model_spec=handoff.model_spec()).n_media_channels == (
        ds.sizes["channel"])


@OUTSIDE_THE_FAMILY
@PYMC_FOURIER_DEPRECATION
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


@OUTSIDE_THE_FAMILY
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


def test_meridian_placebo_channel_takes_normal_media_effects():
    # a channel without effect (the messy preset's placebo, moved into the family) has beta_gm = 0,
    # which log-normal effects cannot hold: the hand-off stays exact with normal ones
    ds = xmmm.generate_dataset(small_target_config("messy", "meridian"))
    assert ds.sizes["geo"] > 1 and (ds["channel_coefficient"].sel(channel="TV-placebo") == 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", XmmmWarning)
        handoff = to_meridian(ds)
    assert handoff.exact and handoff.model_spec_kwargs["media_effects_dist"] == "normal"
    truth = handoff.truth
    assert truth.attrs["media_effects_dist"] == "normal"
    assert np.isfinite(truth["beta_m"].values).all() and np.isfinite(truth["eta_m"].values).all()
    np.testing.assert_allclose(truth["beta_m"].values + truth["eta_m"].values * truth["beta_gm_dev"].values,
                               truth["beta_gm"].values, rtol=1e-12, atol=1e-15)
