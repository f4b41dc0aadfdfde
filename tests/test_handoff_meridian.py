"""The Meridian hand-off checked with Meridian itself (needs google-meridian, see .ci/run).

Meridian's own ``Analyzer``, given a one-draw posterior at the hand-off's
truth, must reproduce xmmm's expected outcome per geo and time, incremental
outcome, ROI and marginal ROI for every preset moved into Meridian's family.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import xmmm
from xmmm.errors import XmmmWarning

from target_presets import small_target_config

pytest.importorskip("meridian", reason="google-meridian is not installed (it pins numpy < 2.4 and pandas < 3)")

from meridian.analysis import analyzer  # noqa: E402

PRESETS = list(xmmm.list_available_presets())
RTOL = 1e-8
#: Meridian warns whenever the slope prior is not its default Deterministic(1)
SLOPE_PRIOR = pytest.mark.filterwarnings("ignore:Changing the prior for `slope_m`:UserWarning")


def _analysis(handoff):
    """Meridian's Analyzer at the truth: (model, expected, incremental, roi, mroi) in Meridian's geo order."""
    model = handoff.model_at_truth()
    analysis = analyzer.Analyzer(model_context=model.model_context, inference_data=model.inference_data)
    per_geo = {"aggregate_times": False}
    if model.n_geos > 1:  # a national model has one geo and warns about the argument
        per_geo["aggregate_geos"] = False
    expected = np.asarray(analysis.expected_outcome(**per_geo))[0, 0]
    incremental = np.asarray(analysis.incremental_outcome(**per_geo))[0, 0]
    roi = np.asarray(analysis.roi())[0, 0]
    mroi = np.asarray(analysis.marginal_roi())[0, 0]
    return model, expected.reshape(model.n_geos, -1), incremental.reshape(model.n_geos, model.n_times, -1), roi, mroi


def _in_meridian_order(truth, model):
    """Meridian orders geos by name; a national model names its geo itself."""
    if model.n_geos == 1:
        return truth
    return truth.sel(geo=[str(g) for g in model.input_data.geo.values])


#: the truth's variables of each channel group, in Meridian's channel order (media, reach and frequency,
#: organic media, organic reach and frequency, non-media treatments; paid ones for ROI)
GROUPS = {
    "incremental_outcome": ("incremental_outcome", "incremental_outcome_rf", "incremental_outcome_om",
                            "incremental_outcome_orf", "incremental_outcome_n"),
    "roi": ("roi", "data_roi_rf"),
    # Meridian's marginal ROI of reach and frequency holds the frequency (the data's buys reach along its curve)
    "mroi": ("mroi", "mroi_rf"),
    "roi_m": ("roi_m", "roi_rf"),
    "mroi_m": ("mroi_m", "mroi_rf"),
}


def _channels(truth, stem):
    """A truth variable of every channel group the data have, concatenated in Meridian's channel order."""
    parts = [truth[name].values for name in GROUPS[stem] if name in truth]
    return np.concatenate(parts, axis=-1)


def _relative(actual, expected, axis=None) -> np.ndarray:
    top = np.max(np.abs(expected), axis=axis)
    # a channel without effect (a placebo): relative to the largest of all
    return np.max(np.abs(actual - expected), axis=axis) / np.where(top > 0, top, np.max(np.abs(expected)))


@SLOPE_PRIOR
@pytest.mark.parametrize("name", PRESETS)
def test_meridian_analyzer_at_the_truth_reproduces_every_target_preset(name):
    ds = xmmm.generate_dataset(small_target_config(name, "meridian"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", XmmmWarning)  # an exact hand-off says nothing
        handoff = xmmm.to_meridian(ds)
    assert handoff.exact
    model, expected, incremental, roi, mroi = _analysis(handoff)
    assert model.model_spec.max_lag == int(ds["adstock_l_max"].max()) - 1
    truth = _in_meridian_order(handoff.truth, model)
    # expected outcome per geo and time: relative per period (the outcome is positive)
    assert np.max(np.abs(expected - truth["expected_outcome"].values) / truth["expected_outcome"].values) < RTOL
    # incremental outcome per geo, time and channel: relative to each channel's largest (0 before it spends)
    assert (_relative(incremental, _channels(truth, "incremental_outcome"), axis=(0, 1)) < RTOL).all()
    # (absolute tolerance for a channel without effect, a placebo, whose ROI is 0)
    roi_atol, mroi_atol = (RTOL * float(np.abs(_channels(truth, name)).max()) for name in ("roi", "mroi"))
    np.testing.assert_allclose(roi, _channels(truth, "roi"), rtol=RTOL, atol=roi_atol)
    np.testing.assert_allclose(mroi, _channels(truth, "mroi"), rtol=RTOL, atol=mroi_atol)
    # Meridian's ROI and mROI prior parameters at the truth are these
    np.testing.assert_allclose(roi, _channels(truth, "roi_m"), rtol=RTOL, atol=roi_atol)
    np.testing.assert_allclose(mroi, _channels(truth, "mroi_m"), rtol=RTOL, atol=mroi_atol)


@SLOPE_PRIOR
def test_meridian_outside_the_family_measures_what_meridian_gives():
    """The default config (per-geo transforms, max scaling): the reported figures are Meridian's own."""
    ds = xmmm.generate_dataset(n_periods=40)
    with pytest.warns(XmmmWarning, match="not exact"):
        handoff = xmmm.to_meridian(ds)
    model, expected, incremental, _, _ = _analysis(handoff)
    truth = _in_meridian_order(handoff.truth, model)
    items = {m.item: m for m in handoff.mismatches}
    measured = _relative(incremental, truth["incremental_outcome"].values, axis=(0, 1))
    for j, column in enumerate(truth["media_channel"].values):
        assert math.isclose(items[column].difference, float(measured[j]), rel_tol=1e-6), column
    per_period = np.max(np.abs(expected - truth["expected_outcome"].values) / truth["expected_outcome"].values)
    assert math.isclose(items["expected outcome"].difference, float(per_period), rel_tol=1e-6)


@SLOPE_PRIOR
def test_meridian_builds_input_data_and_model():
    ds = xmmm.generate_dataset(small_target_config("demo", "meridian"))
    handoff = xmmm.to_meridian(ds)
    input_data = handoff.input_data()
    assert list(input_data.media_spend.coords["media_channel"].values) == list(ds["channel_column"].values)
    assert input_data.kpi.shape == (ds.sizes["geo"], ds.sizes["date"])
    model = handoff.model()
    assert model.n_geos == ds.sizes["geo"] and model.n_media_channels == ds.sizes["channel"]
    assert model.knot_info.n_knots == 2 and model.model_spec.max_lag == 7
    assert model.n_controls == ds.sizes["control"] + 2  # the seasonality's sine and cosine


@SLOPE_PRIOR
def test_meridian_unnormalised_adstock_maps_with_ec_over_the_weights_sum():
    """Meridian normalises its adstock weights; a Hill curve absorbs the sum of unnormalised ones."""
    config = xmmm.customize_preset("basic", target="meridian", n_periods=40,
                                   transforms={"adstock_kwargs": [{"alpha": a, "l_max": 8, "normalize": False}
                                                                  for a in (0.6, 0.2, 0.4)]})
    ds = xmmm.generate_dataset(config)
    handoff = xmmm.to_meridian(ds)
    assert handoff.exact and handoff.model_spec_kwargs["max_lag"] == 7
    alpha = ds["adstock_alpha"].isel(geo=0).values
    total = (alpha[:, None] ** np.arange(8)).sum(axis=1)
    np.testing.assert_allclose(handoff.truth["ec_m"].values,
                               ds["saturation_kappa"].isel(geo=0).values / total, rtol=1e-12)
    model, expected, incremental, roi, mroi = _analysis(handoff)
    truth = handoff.truth
    assert np.max(np.abs(expected - truth["expected_outcome"].values) / truth["expected_outcome"].values) < RTOL
    assert (_relative(incremental, truth["incremental_outcome"].values, axis=(0, 1)) < RTOL).all()
    np.testing.assert_allclose(roi, truth["roi"].values, rtol=RTOL)
    np.testing.assert_allclose(mroi, truth["mroi"].values, rtol=RTOL)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_a_short_meridian_fit_on_a_small_target_preset_covers_the_truth():
    """Meridian fitted to ``basic`` moved into its family: the truth inside the 94 % intervals."""
    ds = xmmm.generate_dataset(xmmm.get_preset_config("basic", target="meridian"))
    handoff = xmmm.to_meridian(ds)
    assert handoff.exact
    idata = xmmm.fits.meridian(draws=200, tune=400, chains=2, random_seed=1)(handoff)
    scores = xmmm.score(handoff.truth, idata, prob=0.94, convergence=True)
    table = scores[["truth", "mean", "lower", "upper", "covered", "r_hat"]].to_dataframe()
    print(table.to_string())  # the table of the report (pytest -s)
    assert {"roi", "alpha_m", "ec_m", "slope_m", "beta_m", "sigma"} <= set(scores["variable"].values)
    assert table["covered"].all(), table[~table["covered"].astype(bool)]
