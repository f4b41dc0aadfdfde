"""xmmm.score on posteriors with known answers, and the scoring rules against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import xmmm
from xmmm.errors import ConfigError
from xmmm.scoring import STATISTICS, clopper_pearson, convergence, crps_from_draws, interval_score, score

CHANNELS = ["x1-TV", "x2-Search", "x3-Print"]
GEOS = ["north", "south"]


def _truth() -> xr.Dataset:
    rng = np.random.default_rng(11)
    return xr.Dataset(
        {
            "adstock_alpha": (("geo", "channel"), rng.uniform(0.2, 0.8, (2, 3))),
            "saturation_beta": (("geo", "channel"), rng.uniform(0.5, 2.0, (2, 3))),
            "y_sigma": (("geo",), [0.05, 0.07]),
        },
        coords={"geo": GEOS, "channel": CHANNELS},
    )


def _normal_posterior(truth: xr.Dataset, sd: float, shift_sd: float, n_chain=4, n_draw=2000, seed=0) -> xr.Dataset:
    """Normal draws with standard deviation ``sd`` centred ``shift_sd`` sds away from the truth."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, t in truth.data_vars.items():
        noise = rng.standard_normal((n_chain, n_draw) + t.shape)
        out[name] = (("chain", "draw") + t.dims, t.values + sd * (shift_sd + noise))
    return xr.Dataset(out, coords=truth.coords)


def _quantile_draws(mu: float, sigma: float, n: int) -> np.ndarray:
    """A deterministic 'perfect' sample of N(mu, sigma): the normal quantiles at (i - 1/2)/n."""
    return mu + sigma * stats.norm.ppf((np.arange(n) + 0.5) / n)


def test_draws_centred_on_the_truth_cover_it():
    truth = _truth()
    scores = score(truth, _normal_posterior(truth, sd=0.01, shift_sd=0.0))
    assert scores.sizes["estimand"] == 6 + 6 + 2
    assert bool(scores["covered"].all()) and bool(scores["hdi_covered"].all())
    # the posterior mean is within a few Monte Carlo errors of the truth
    assert np.all(np.abs(scores["bias"].values) < 5 * 0.01 / math.sqrt(8000))
    np.testing.assert_allclose(scores["truth"].values, np.concatenate([truth[v].values.ravel() for v in truth]))


def test_draws_shifted_by_ten_sd_do_not_cover_it():
    truth = _truth()
    scores = score(truth, _normal_posterior(truth, sd=0.01, shift_sd=10.0))
    assert not bool(scores["covered"].any()) and not bool(scores["hdi_covered"].any())
    np.testing.assert_allclose(scores["bias"].values, 0.1, atol=5 * 0.01 / math.sqrt(8000))
    assert np.all(scores["pit"].values == 0.0)
    # missing by 10 sd costs more than the width of the interval
    assert np.all(scores["interval_score"].values > 10 * scores["interval_width"].values)


def test_labels_and_coordinates():
    truth = _truth()
    scores = score(truth, _normal_posterior(truth, 0.01, 0.0, n_draw=200))
    assert list(scores.data_vars) == list(STATISTICS)
    assert scores["estimand"].values[0] == "adstock_alpha[north, x1-TV]"
    row = scores.sel(estimand="saturation_beta[south, x3-Print]")
    assert (str(row["variable"].values), str(row["geo"].values), str(row["channel"].values)) == (
        "saturation_beta", "south", "x3-Print"
    )
    assert float(row["truth"]) == float(truth["saturation_beta"].sel(geo="south", channel="x3-Print"))
    assert set(scores["kind"].values) == {"parameter"}
    assert scores.attrs["prob"] == 0.94 and scores.attrs["n_samples"] == 800


def test_a_posterior_laid_out_differently_is_matched_by_labels():
    """Draws in another dim order and label order are matched by name, not position."""
    truth = _truth()
    post = _normal_posterior(truth, 0.001, 0.0, n_draw=500)
    shuffled = post.transpose("channel", "draw", "geo", "chain").isel(channel=[2, 0, 1], geo=[1, 0])
    a, b = score(truth, post), score(truth, shuffled)
    xr.testing.assert_allclose(a, b)


def test_inference_data_and_a_dataset_give_the_same_scores():
    import arviz as az

    truth = _truth()
    post = _normal_posterior(truth, 0.01, 0.5, n_draw=300)
    xr.testing.assert_identical(score(truth, az.InferenceData(posterior=post)), score(truth, post))


@pytest.mark.parametrize("prob", [0.5, 0.8, 0.94])
def test_winkler_score_and_crps_equal_the_normal_closed_forms(prob):
    """For a N(mu, sigma) posterior the central interval is mu -+ z sigma, z = Phi^-1((1 + p)/2);
    the interval score and the CRPS have closed forms (Gneiting & Raftery 2007, eqs. 21 and 43)."""
    mu, sigma, n = 2.0, 0.5, 200_000
    draws = _quantile_draws(mu, sigma, n)
    alpha = 1 - prob
    z = stats.norm.ppf(1 - alpha / 2)
    for x in (mu, mu + 0.3 * sigma, mu - 1.7 * sigma, mu + 4.0 * sigma):
        truth = xr.Dataset({"theta": ((), x)})
        post = xr.Dataset({"theta": (("chain", "draw"), draws[np.newaxis, :])})
        s = score(truth, post, prob=prob).isel(estimand=0)
        lower, upper = mu - z * sigma, mu + z * sigma
        winkler = (upper - lower) + 2 / alpha * (max(lower - x, 0) + max(x - upper, 0))
        w = (x - mu) / sigma
        crps = sigma * (w * (2 * stats.norm.cdf(w) - 1) + 2 * stats.norm.pdf(w) - 1 / math.sqrt(math.pi))
        assert float(s["lower"]) == pytest.approx(lower, abs=1e-4)
        assert float(s["upper"]) == pytest.approx(upper, abs=1e-4)
        assert float(s["interval_score"]) == pytest.approx(winkler, rel=1e-4)
        assert float(s["crps"]) == pytest.approx(crps, rel=1e-4)
        assert float(s["hdi_lower"]) == pytest.approx(lower, abs=1e-3)
        assert float(s["hdi_upper"]) == pytest.approx(upper, abs=1e-3)
        assert bool(s["covered"]) == (lower <= x <= upper)


def test_crps_from_draws_equals_the_pairwise_definition():
    rng = np.random.default_rng(3)
    draws = rng.gamma(2.0, 1.0, (5, 40))
    truth = rng.uniform(0, 4, 5)
    pairwise = np.abs(draws[:, :, None] - draws[:, None, :]).mean(axis=(1, 2))
    direct = np.abs(draws - truth[:, None]).mean(axis=1) - 0.5 * pairwise
    np.testing.assert_allclose(crps_from_draws(draws, truth), direct, rtol=1e-12)


def test_interval_score_penalises_misses_by_two_over_alpha():
    assert interval_score(1.0, 3.0, 2.0, 0.9) == pytest.approx(2.0)
    assert interval_score(1.0, 3.0, 0.0, 0.9) == pytest.approx(2.0 + 20.0)
    assert interval_score(1.0, 3.0, 4.5, 0.5) == pytest.approx(2.0 + 4.0 * 1.5)


@pytest.mark.parametrize("k,n", [(0, 1), (0, 20), (3, 20), (19, 20), (20, 20), (47, 50), (940, 1000)])
def test_clopper_pearson_equals_scipy(k, n):
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    lo, hi = clopper_pearson(k, n)
    assert float(lo) == pytest.approx(expected.low, abs=1e-12)
    assert float(hi) == pytest.approx(expected.high, abs=1e-12)


def test_non_finite_truth_is_left_out_and_bad_input_is_named():
    truth = _truth()
    truth["adstock_alpha"][0, 1] = np.nan
    scores = score(truth, _normal_posterior(truth.fillna(0.5), 0.01, 0.0, n_draw=100))
    assert "adstock_alpha[north, x2-Search]" not in scores["estimand"].values
    with pytest.raises(ConfigError, match="prob must be a number in \\(0, 1\\); got 1.5"):
        score(truth, _normal_posterior(truth, 0.01, 0.0, n_draw=10), prob=1.5)
    with pytest.raises(ValueError, match="chain"):
        score(truth, xr.Dataset({"y_sigma": (("sample", "geo"), np.ones((3, 2)))}, coords={"geo": GEOS}))


def test_a_truth_per_geo_meets_a_posterior_without_geo_only_where_it_is_the_same():
    truth = xr.Dataset(
        {"alpha_m": (("geo", "media_channel"), [[0.3, 0.5], [0.3, 0.6]])},
        coords={"geo": ["a", "b"], "media_channel": ["TV", "Radio"]},
    )
    post = xr.Dataset({"alpha_m": (("chain", "draw", "media_channel"), np.full((1, 20, 2), 0.3))},
                      coords={"media_channel": ["TV", "Radio"]})
    assert score(truth, post).sizes["estimand"] == 0  # Radio differs by geo: nothing comparable
    same = truth.copy(deep=True)
    same["alpha_m"][1, 1] = 0.5
    scores = score(same, post)
    assert scores.sizes["estimand"] == 4 and set(scores["channel"].values) == {"TV", "Radio"}


# --------------------------------------------------------------------------- the hand-off's names
def _tiny_handoff(n_regions=2):
    config = xmmm.customize_preset("multi_region", regions={"n_regions": n_regions}, n_periods=26)
    return xmmm.to_pymc_marketing(xmmm.generate_mmm_dataset(config))


def _truth_as_posterior(handoff, n_chain=2, n_draw=50, sd=0.0):
    """Draws equal to the truth (plus optional noise) under pymc-marketing's posterior names and dims."""
    rng = np.random.default_rng(5)
    names = [v for v in handoff.truth.data_vars
             if v.startswith(("adstock_", "saturation_")) or v in ("y_sigma", "intercept_contribution",
                                                                   "gamma_control", "channel_contribution")]
    post = {}
    for name in names:
        t = handoff.truth[name]
        post[name] = (("chain", "draw") + t.dims,
                      t.values * (1 + sd * rng.standard_normal((n_chain, n_draw) + t.shape)))
    return xr.Dataset(post, coords=handoff.truth.coords)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_posterior_of_a_pymc_marketing_model_has_the_truths_names_and_dims():
    """Every parameter of the hand-off's truth is a variable of pymc-marketing's model, same dims."""
    handoff = _tiny_handoff()
    mmm = handoff.build_model()
    dims = mmm.model.named_vars_to_dims
    for name in ("adstock_alpha", "saturation_slope", "saturation_kappa", "saturation_beta", "y_sigma",
                 "intercept_contribution", "gamma_control", "channel_contribution"):
        assert name in mmm.model.named_vars, name
        assert set(dims[name]) == set(handoff.truth[name].dims), name


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_derived_estimands_of_a_pymc_marketing_posterior_equal_the_truth():
    """Posterior draws at the truth give every derived estimand its true value (ROAS from spend)."""
    import arviz as az

    handoff = _tiny_handoff()
    idata = az.InferenceData(posterior=_truth_as_posterior(handoff), constant_data=_constant_data(handoff))
    scores = score(handoff.truth, idata)
    derived = scores.where(scores["kind"] == "derived", drop=True)
    assert set(derived["variable"].values) == {
        "incremental_outcome", "incremental_outcome_all_geos", "total_media_contribution_original_scale",
        "contribution_share", "contribution_share_all_geos", "roas", "roas_all_geos",
    }
    np.testing.assert_allclose(derived["mean"].values, derived["truth"].values, rtol=1e-12)
    # ROAS and shares against xmmm's own truth of the same dataset (computed at generation)
    ds = xmmm.generate_dataset(xmmm.customize_preset("multi_region", regions={"n_regions": 2}, n_periods=26))
    for geo in ds["geo"].values:
        for ch, column in zip(ds["channel"].values, ds["channel_column"].values):
            roas = float(scores["truth"].sel(estimand=f"roas[{geo}, {column}]"))
            assert roas == pytest.approx(float(ds["roas"].sel(geo=geo, channel=ch)), rel=1e-12)
            share = float(scores["truth"].sel(estimand=f"contribution_share[{geo}, {column}]"))
            assert 100 * share == pytest.approx(float(ds["attribution"].sel(geo=geo, channel=ch)), rel=1e-12)
    total = float(scores["truth"].sel(estimand="total_media_contribution_original_scale"))
    assert total == pytest.approx(float(ds["contribution"].sum()), rel=1e-12)
    # parameters are the truth itself, so every interval is a point on it
    assert bool(scores["covered"].where(scores["kind"] == "parameter", drop=True).all())


def _constant_data(handoff) -> xr.Dataset:
    frame = handoff.X.set_index(["date", "geo"])[list(handoff.truth["channel"].values)]
    spend = frame.to_xarray().to_array("channel").transpose("date", "geo", "channel")
    return xr.Dataset({"channel_data": spend, "target_scale": handoff.truth["target_scale"]})


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_without_spend_there_is_no_roas_and_with_spend_there_is():
    handoff = _tiny_handoff(1)
    post = _truth_as_posterior(handoff)
    without = score(handoff.truth, post)
    assert "roas" not in set(without["variable"].values)
    assert "incremental_outcome_all_geos" not in set(without["variable"].values)  # one geo: no duplicate
    spend = _constant_data(handoff)["channel_data"]
    with_spend = score(handoff.truth, post, spend=spend)
    assert "roas" in set(with_spend["variable"].values)


def test_convergence_flags_chains_that_disagree():
    truth = xr.Dataset({"theta": ((), 0.0)})
    rng = np.random.default_rng(0)
    mixed = rng.standard_normal((4, 500))
    stuck = mixed + np.array([0.0, 0.0, 0.0, 5.0])[:, None]
    good = convergence(truth, xr.Dataset({"theta": (("chain", "draw"), mixed)}))
    bad = convergence(truth, xr.Dataset({"theta": (("chain", "draw"), stuck)}))
    assert float(good["r_hat"][0]) < 1.01 < 1.5 < float(bad["r_hat"][0])
    assert float(good["ess_bulk"][0]) > 1000 > float(bad["ess_bulk"][0])
