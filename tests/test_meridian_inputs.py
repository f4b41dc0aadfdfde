"""Every kind of media input handed to Meridian, checked with Meridian itself (needs google-meridian, see .ci/run).

``meridian_full`` (paid impressions, reach and frequency, organic media, a
promotion, population, conversions with a revenue per conversion) -- with an
organic reach-and-frequency channel added -- must pass Meridian's own
validation, build a model with every channel kind, and Meridian's
``Analyzer`` at the hand-off's truth must reproduce the incremental outcome
of every kind.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import xmmm
from xmmm import ChannelConfig
from xmmm.config import apply_overrides
from xmmm.errors import XmmmWarning

pytest.importorskip("meridian", reason="google-meridian is not installed (it pins numpy < 2.4 and pandas < 3)")

from meridian.analysis import analyzer  # noqa: E402

RTOL = 1e-8
#: Meridian warns whenever a slope prior is not its default Deterministic(1)
SLOPE_PRIOR = pytest.mark.filterwarnings("ignore:Changing the prior for `slope_:UserWarning")
#: the truth's incremental outcome of each group, in Meridian's channel order
GROUPS = ("incremental_outcome", "incremental_outcome_rf", "incremental_outcome_om", "incremental_outcome_orf",
          "incremental_outcome_n")


def every_kind(n_periods: int = 60, **regions):
    """meridian_full with an organic reach-and-frequency channel: every channel kind Meridian has."""
    config = xmmm.get_preset_config("meridian_full")
    config.channels.append(ChannelConfig(name="Community", kind="organic_reach_frequency", base_value=800_000.0,
                                         base_effectiveness=0.04, reachable_share=0.2, spend_volatility=0.2))
    transforms = config.transforms
    transforms.adstock_fun.append("geometric_adstock")
    transforms.adstock_kwargs.append({"alpha": 0.3, "l_max": 6})
    transforms.saturation_fun.append("hill_function")
    transforms.saturation_kwargs.append({"slope": 1.5, "kappa": 1.8})
    return apply_overrides(config, {"n_periods": n_periods, **({"regions": regions} if regions else {})})


@pytest.fixture(scope="module")
def dataset():
    return xmmm.generate_dataset(every_kind())


@pytest.fixture(scope="module")
def handoff(dataset):
    with warnings.catch_warnings():
        warnings.simplefilter("error", XmmmWarning)  # inside the family: nothing to report
        return xmmm.to_meridian(dataset)


@pytest.fixture(scope="module")
def analysis(handoff):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Changing the prior for `slope_", UserWarning)
        model = handoff.model_at_truth()
    return model, analyzer.Analyzer(model_context=model.model_context, inference_data=model.inference_data)


def _in_model_order(truth, model):
    return truth.sel(geo=[str(g) for g in model.input_data.geo.values])


@SLOPE_PRIOR
def test_meridian_full_passes_meridians_validation_and_builds_every_channel_kind(dataset):
    handoff = xmmm.to_meridian(xmmm.generate_dataset(xmmm.customize_preset("meridian_full", n_periods=60)))
    assert handoff.exact
    input_data = handoff.input_data()  # Meridian's own checks run here
    assert input_data.kpi_type == "non_revenue"
    model = handoff.model()
    assert (model.n_media_channels, model.n_rf_channels, model.n_organic_media_channels,
            model.n_non_media_channels) == (2, 1, 1, 1)
    assert model.model_spec.non_media_baseline_values == {"x5-Promotion": 0.0}
    # with the organic reach-and-frequency channel too
    model = xmmm.to_meridian(dataset).model()
    assert model.n_organic_rf_channels == 1


@SLOPE_PRIOR
def test_meridian_input_arrays_hold_every_input(dataset, handoff):
    data = handoff.input_data()
    by_name = {str(c): str(k) for c, k in zip(dataset["channel_column"].values, dataset["channel_kind"].values)}
    assert list(data.media_channel.values) == ["x1-TV", "x2-Display"]
    assert list(data.rf_channel.values) == ["x3-YouTube"]
    assert list(data.organic_media_channel.values) == ["x4-Newsletter"]
    assert list(data.organic_rf_channel.values) == ["x6-Community"]
    assert list(data.non_media_channel.values) == ["x5-Promotion"]
    assert {by_name[c] for c in data.get_all_channels()} == {"paid", "reach_frequency", "organic",
                                                            "organic_reach_frequency", "treatment"}
    geo = [str(g) for g in data.geo.values]
    ds = dataset.sel(geo=geo)

    def series(var, channels):
        return ds[var].sel(channel=[dataset["channel"].values[list(dataset["channel_column"].values).index(c)]
                                    for c in channels]).transpose("geo", "date", "channel").values

    np.testing.assert_array_equal(data.media.values, series("exposure", data.media_channel.values))
    np.testing.assert_array_equal(data.media_spend.values, series("spend", data.media_channel.values))
    np.testing.assert_array_equal(data.reach.values, series("reach", data.rf_channel.values))
    np.testing.assert_array_equal(data.frequency.values, series("frequency", data.rf_channel.values))
    np.testing.assert_array_equal(data.rf_spend.values, series("spend", data.rf_channel.values))
    np.testing.assert_array_equal(data.organic_media.values, series("exposure", data.organic_media_channel.values))
    np.testing.assert_array_equal(data.organic_reach.values, series("reach", data.organic_rf_channel.values))
    np.testing.assert_array_equal(data.non_media_treatments.values,
                                  series("treatment_value", data.non_media_channel.values))
    np.testing.assert_array_equal(data.revenue_per_kpi.values, ds["revenue_per_kpi"].transpose("geo", "date").values)
    np.testing.assert_array_equal(data.population.values, ds["population"].values)
    assert (data.reach.values <= data.population.values[:, None, None]).all()
    assert (data.frequency.values >= 1).all() and (data.organic_frequency.values >= 1).all()


@SLOPE_PRIOR
def test_meridians_analysis_at_the_truth_reproduces_every_kinds_incremental_outcome(dataset, handoff, analysis):
    model, an = analysis
    truth = _in_model_order(handoff.truth, model)
    channels = list(model.input_data.get_all_channels())
    for use_kpi, stem in ((False, "incremental_outcome"), (True, "incremental_kpi")):
        computed = np.asarray(an.incremental_outcome(aggregate_geos=False, aggregate_times=False, use_kpi=use_kpi))
        computed = computed[0, 0]  # one chain, one draw: (geo, time, channel)
        expected = np.concatenate([truth[name.replace("incremental_outcome", stem)].values for name in GROUPS],
                                  axis=-1)
        relative = np.max(np.abs(computed - expected), axis=(0, 1)) / np.max(np.abs(expected), axis=(0, 1))
        assert (relative < RTOL).all(), dict(zip(channels, relative))
    # the truth's incremental outcome is the data's own: contributions (times the revenue per KPI)
    for name, dim in (("incremental_kpi_rf", "rf_channel"), ("incremental_kpi_n", "non_media_channel")):
        for column in handoff.truth[dim].values:
            channel = str(dataset["channel"].values[list(dataset["channel_column"].values).index(column)])
            np.testing.assert_array_equal(handoff.truth[name].sel({dim: column}).values,
                                          dataset["contribution"].sel(channel=channel).transpose("geo", "date").values)
    expected_outcome = np.asarray(an.expected_outcome(aggregate_geos=False, aggregate_times=False))[0, 0]
    assert np.max(np.abs(expected_outcome - truth["expected_outcome"].values)
                  / truth["expected_outcome"].values) < RTOL


@SLOPE_PRIOR
def test_meridians_roi_and_marginal_roi_of_paid_and_reach_frequency_channels(handoff, analysis):
    model, an = analysis
    truth = handoff.truth
    roi = np.asarray(an.roi())[0, 0]
    mroi = np.asarray(an.marginal_roi())[0, 0]
    np.testing.assert_allclose(roi, np.concatenate([truth["roi_m"].values, truth["roi_rf"].values]), rtol=RTOL)
    np.testing.assert_allclose(mroi, np.concatenate([truth["mroi_m"].values, truth["mroi_rf"].values]), rtol=RTOL)
    # in revenue, and the data's own ROI (switching a channel off) is Meridian's at the truth
    np.testing.assert_allclose(truth["data_roi_rf"], truth["roi_rf"], rtol=RTOL)
    np.testing.assert_allclose(truth["roi"], truth["roi_m"], rtol=RTOL)
    # Meridian's marginal ROI of reach and frequency holds the frequency: 1 % more reach is linear
    np.testing.assert_allclose(truth["mroi_rf"], truth["roi_rf"], rtol=1e-12)


@SLOPE_PRIOR
def test_organic_and_non_media_contributions_are_meridians_contribution_parameters(handoff, analysis):
    model, _ = analysis
    total = model.input_data.get_total_outcome()
    for suffix, stem in (("om", "incremental_outcome_om"), ("orf", "incremental_outcome_orf"),
                         ("n", "incremental_outcome_n")):
        np.testing.assert_allclose(handoff.truth[f"contribution_{suffix}"].values,
                                   handoff.truth[stem].sum(("geo", "time")).values / total, rtol=1e-12)


@SLOPE_PRIOR
def test_outside_the_family_the_reach_frequency_mismatch_is_meridians_own_distance():
    config = apply_overrides(every_kind(n_periods=50), {"regions": {"transform_variation": 0.2}})
    ds = xmmm.generate_dataset(config)
    with pytest.warns(XmmmWarning, match="not exact"):
        handoff = xmmm.to_meridian(ds)
    items = {m.item: m for m in handoff.mismatches}
    assert "x3-YouTube" in items and "ec_rf varies by geo" in items["x3-YouTube"].reason
    model = handoff.model_at_truth()
    an = analyzer.Analyzer(model_context=model.model_context, inference_data=model.inference_data)
    computed = np.asarray(an.incremental_outcome(aggregate_geos=False, aggregate_times=False, use_kpi=True))[0, 0]
    truth = _in_model_order(handoff.truth, model)
    channels = list(model.input_data.get_all_channels())
    k = channels.index("x3-YouTube")
    data = truth["incremental_kpi_rf"].sel(rf_channel="x3-YouTube").values
    measured = np.max(np.abs(computed[..., k] - data)) / np.max(np.abs(data))
    assert math.isclose(items["x3-YouTube"].difference, float(measured), rel_tol=1e-6)
