"""The optimal budget and scored allocations: optimality checked independently of the solver."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import optimize

import xmmm
from xmmm import ChannelConfig, ConfigError, MMMDataConfig, RegionConfig, TransformConfig


@pytest.fixture(scope="module")
def s_shaped():
    # DEFAULT_CONFIG: Hill slopes 1.5, 1.0 and 2.0 -- two S-shaped channels, several local optima possible
    return xmmm.generate_mmm_dataset(n_periods=80, seed=21)


@pytest.fixture(scope="module")
def concave():
    config = xmmm.customize_preset("basic", n_periods=40, seed=3)
    config.transforms.saturation_fun = "logistic_saturation"
    config.transforms.saturation_kwargs = [{"lam": lam} for lam in (1.5, 3.0, 1.0)]
    return xmmm.generate_mmm_dataset(config)


def random_feasible(current: np.ndarray, budget: float, lower: float, upper: float, n: int, seed: int = 0):
    """``n`` allocations (n, K) with total ``budget`` and every factor within the bounds (rejection sampling)."""
    rng = np.random.default_rng(seed)
    found = []
    while sum(len(f) for f in found) < n:
        shares = rng.dirichlet(np.ones(len(current)) * 0.7, size=4 * n)
        theta = shares * budget / current
        found.append(shares[((theta >= lower) & (theta <= upper)).all(axis=1)] * budget)
    return np.concatenate(found)[:n]


def outcome(result, spend: xr.DataArray) -> float:
    """The total incremental outcome of an allocation from full counterfactual runs: y - y(all media off)."""
    current = result.dataset["spend"].sum(["date", "geo"])
    factor = (spend / current).fillna(1.0)
    on = xmmm.counterfactual(result, scale=factor).dataset["y"].sum()
    off = xmmm.counterfactual(result, scale=factor * 0).dataset["y"].sum()
    return float(on - off)


# --------------------------------------------------------------------------- optimality
def test_interior_optimum_equalises_marginal_returns(s_shaped):
    best = xmmm.optimal_budget(s_shaped, bounds=(0.0, 5.0))
    assert bool(best["converged"]) and (best["at_bound"] == 0).all()
    mroas = best["mroas"].values
    assert np.ptp(mroas) <= 1e-4 * mroas.mean()
    np.testing.assert_allclose(best["marginal_roas"], mroas, rtol=1e-9)
    np.testing.assert_allclose(float(best["spend"].sum()), float(best["budget"]), rtol=1e-12)
    np.testing.assert_allclose(float(best["budget"]), float(s_shaped.dataset["spend"].sum()), rtol=1e-12)


def test_the_optimum_beats_5000_random_feasible_allocations(s_shaped):
    best = xmmm.optimal_budget(s_shaped)
    current = best["current_spend"].values
    draws = random_feasible(current, float(best["budget"]), 0.0, 2.0, 5000)
    proposals = xr.DataArray(draws, dims=("draw", "channel"), coords={"channel": best["channel"].values})
    scores = xmmm.score_allocation(s_shaped, proposals)
    assert scores["total_incremental_outcome"].dims == ("draw",)
    assert float(scores["total_incremental_outcome"].max()) < float(best["total_incremental_outcome"])
    assert (scores["regret"] > 0).all()


def test_the_optimum_agrees_with_an_independent_optimiser_on_full_counterfactual_runs(concave):
    # scipy's SLSQP on the total from counterfactual runs (no xmmm response code): the same optimum
    best = xmmm.optimal_budget(concave, bounds=(0.2, 3.0))
    current = best["current_spend"]
    budget = float(best["budget"])
    channels = best["channel"].values
    scale = 1.0 / float(best["current_total_incremental_outcome"])
    off = float(xmmm.counterfactual(concave, scale={c: 0.0 for c in channels}).dataset["y"].sum())

    def loss(theta):
        factor = xr.DataArray(theta, dims="channel", coords={"channel": channels})
        return -scale * (float(xmmm.counterfactual(concave, scale=factor).dataset["y"].sum()) - off)

    found = optimize.minimize(
        loss, np.ones(len(channels)), method="SLSQP", bounds=[(0.2, 3.0)] * len(channels),
        constraints=[{"type": "eq", "fun": lambda t: (t * current.values).sum() / budget - 1.0}],
        options={"ftol": 1e-12, "maxiter": 200},
    )
    assert found.success
    assert -found.fun / scale <= float(best["total_incremental_outcome"]) * (1 + 1e-9)
    np.testing.assert_allclose(found.x, best["scale"].values, rtol=2e-3, atol=2e-3)
    assert best.attrs["concave"] == 1 and best.attrs["starts"] == 1


def test_scored_outcomes_are_those_of_full_counterfactual_runs(s_shaped):
    current = s_shaped.dataset["spend"].sum(["date", "geo"])
    proposal = current * xr.DataArray([1.3, 0.4, 1.9], dims="channel", coords={"channel": current["channel"]})
    score = xmmm.score_allocation(s_shaped, proposal)
    assert float(score["total_incremental_outcome"]) == pytest.approx(outcome(s_shaped, proposal), rel=1e-10)


def test_scoring_the_optimum_has_no_regret(s_shaped):
    for by in ("channel", ("geo", "channel")):
        best = xmmm.optimal_budget(s_shaped, by=by)
        score = xmmm.score_allocation(s_shaped, best["spend"], by=by)
        assert abs(float(score["regret_share"])) <= 1e-9
        assert float(score["regret"]) <= 1e-9 * float(score["optimal_total_incremental_outcome"])


def test_bounds_hold_and_kkt_conditions_at_the_bounds(s_shaped):
    best = xmmm.optimal_budget(s_shaped, bounds={"x-TV": (0.9, 1.1), "x-Search": (0.0, 1.2), "x-Social": (0.5, 4.0)})
    theta = best["scale"].values
    assert (theta >= best["lower_bound"].values - 1e-12).all() and (theta <= best["upper_bound"].values + 1e-12).all()
    lam = float(best["marginal_roas"]) if np.isfinite(best["marginal_roas"]) else None
    for flag, mroas in zip(best["at_bound"].values, best["mroas"].values):
        if lam is None:
            continue
        if flag == -1:
            assert mroas <= lam * (1 + 1e-9)
        elif flag == 1:
            assert mroas >= lam * (1 - 1e-9)
        else:
            assert mroas == pytest.approx(lam, rel=1e-9)


def test_geo_channel_freedom_is_never_worse(s_shaped):
    by_channel = xmmm.optimal_budget(s_shaped)
    by_geo = xmmm.optimal_budget(s_shaped, by=("geo", "channel"))
    assert by_geo["scale"].dims == ("geo", "channel")
    assert float(by_geo["total_incremental_outcome"]) >= float(by_channel["total_incremental_outcome"]) * (1 - 1e-12)
    inside = by_geo["at_bound"].values == 0
    mroas = by_geo["mroas"].values[inside]
    assert np.ptp(mroas) <= 1e-4 * mroas.mean()


def test_linear_channels_get_everything_the_bounds_allow_in_order_of_return():
    config = MMMDataConfig(
        n_periods=30,
        channels=[ChannelConfig(name=n, pattern="seasonal", base_spend=1000.0, base_effectiveness=e)
                  for n, e in (("A", 0.1), ("B", 0.3), ("C", 0.2))],
        regions=RegionConfig(n_regions=1),
        transforms=TransformConfig(adstock_fun="none", saturation_fun="none"),
        seed=1,
    )
    result = xmmm.generate_mmm_dataset(config)
    best = xmmm.optimal_budget(result, bounds=(0.5, 1.5))
    roas = best["current_roas"].to_series()
    order = roas.sort_values(ascending=False).index
    # the best channel at its upper bound, the worst at its lower one, the middle one takes what is left
    assert best["at_bound"].sel(channel=order[0]) == 1 and best["at_bound"].sel(channel=order[-1]) == -1
    spend = best["current_spend"]
    middle = float(best["budget"] - 1.5 * spend.sel(channel=order[0]) - 0.5 * spend.sel(channel=order[-1]))
    assert float(best["spend"].sel(channel=order[1])) == pytest.approx(middle, rel=1e-12)


def test_full_carryover_counts_the_tail_at_today(s_shaped):
    best = xmmm.optimal_budget(s_shaped, carryover="full")
    curves = xmmm.response_curves(s_shaped, scales=[1.0], carryover="full")
    np.testing.assert_allclose(best["current_incremental_outcome"], curves["incremental_outcome"].sel(scale=1.0),
                               rtol=1e-12)
    assert best.attrs["carryover"] == "full"


# --------------------------------------------------------------------------- arguments and allocations as optimisers return them
def test_budget_and_bounds_errors_say_what_is_allowed(s_shaped):
    total = float(s_shaped.dataset["spend"].sum())
    with pytest.raises(ConfigError, match="cannot be spent within the bounds"):
        xmmm.optimal_budget(s_shaped, budget=3 * total)
    with pytest.raises(ConfigError, match=r"bounds must satisfy 0 <= lower <= upper"):
        xmmm.optimal_budget(s_shaped, bounds=(1.5, 0.5))
    with pytest.raises(ConfigError, match="unknown channel 'Radio'"):
        xmmm.optimal_budget(s_shaped, bounds={"Radio": (0, 1)})


def test_an_unbounded_optimum_is_within_the_budget(s_shaped):
    best = xmmm.optimal_budget(s_shaped, budget=float(s_shaped.dataset["spend"].sum()) * 0.7, bounds=(0.0, np.inf))
    np.testing.assert_allclose(float(best["spend"].sum()), float(best["budget"]), rtol=1e-12)
    assert np.isfinite(best["upper_bound"]).all()


def test_allocations_in_the_shapes_optimisers_return(s_shaped):
    ds = s_shaped.dataset
    n = ds.sizes["date"]
    current = ds["spend"].sum(["date", "geo"])
    # pymc-marketing's optimize_budget: spend per period, dims (geo, channel) for a multidimensional model
    per_geo = ds["spend"].mean("date").transpose("geo", "channel")
    pymc = xmmm.score_allocation(s_shaped, per_geo, by=("geo", "channel"), per_period=True)
    assert float(pymc["regret"]) >= 0
    np.testing.assert_allclose(pymc["spend"], per_geo * n, rtol=1e-12)
    # Meridian's optimized_data["spend"]: totals over the window, channels by their column names
    meridian = xr.DataArray(current.values, dims="channel", coords={"channel": ds["channel_column"].values})
    score = xmmm.score_allocation(s_shaped, meridian)
    np.testing.assert_allclose(score["total_incremental_outcome"], ds["contribution"].sum(), rtol=1e-12)
    with pytest.raises(ConfigError, match="pass by=\\('geo', 'channel'\\)"):
        xmmm.score_allocation(s_shaped, per_geo)
    with pytest.raises(ConfigError, match="outside the bounds"):
        xmmm.score_allocation(s_shaped, {"x-TV": 3 * float(current.sel(channel="x-TV"))})


def test_a_study_optimises_each_replicate(s_shaped):
    config = s_shaped.config
    study = xmmm.simulate(config, 3, priors={"channels.base_effectiveness": {"dist": "HalfNormal", "sigma": 0.3}})
    best = xmmm.optimal_budget(study)
    assert best["scale"].dims == ("replicate", "channel") and best["budget"].dims == ("replicate",)
    one = xmmm.optimal_budget(xmmm.replicate_dataset(study, 1))
    xr.testing.assert_allclose(best.sel(replicate=1, drop=True), one, rtol=1e-9)
    budgets = xr.DataArray([1e6, 2e6, 1.5e6], dims="replicate", coords={"replicate": study["replicate"]})
    own = xmmm.optimal_budget(study, budget=budgets, bounds=(0.0, np.inf))
    np.testing.assert_allclose(own["spend"].sum("channel"), budgets, rtol=1e-12)


def test_budgets_at_the_ends_leave_no_choice(s_shaped):
    total = float(s_shaped.dataset["spend"].sum())
    nothing = xmmm.optimal_budget(s_shaped, budget=0.0)
    assert bool(nothing["converged"]) and (nothing["spend"] == 0).all() and (nothing["at_bound"] == -1).all()
    everything = xmmm.optimal_budget(s_shaped, budget=2 * total)
    assert bool(everything["converged"]) and (everything["at_bound"] == 1).all()
    np.testing.assert_allclose(everything["scale"], 2.0, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:.*never spends in geo:xmmm.errors.XmmmWarning")
def test_a_channel_that_never_spends_keeps_nothing(s_shaped):
    ds = s_shaped.dataset
    plan = ds["spend"].where(ds["channel"] != "x-Search", 0.0)
    own = xmmm.generate_mmm_dataset(s_shaped.config, spend=plan)
    best = xmmm.optimal_budget(own)
    assert float(best["spend"].sel(channel="x-Search")) == 0.0 and np.isnan(best["scale"].sel(channel="x-Search"))
    np.testing.assert_allclose(float(best["spend"].sum()), float(plan.sum()), rtol=1e-12)
    assert bool(best["converged"])
    with pytest.raises(ConfigError, match="'x-Search' never spends today"):
        xmmm.score_allocation(own, {"x-Search": 1.0, "x-TV": float(plan.sel(channel="x-TV").sum())})


# --------------------------------------------------------------------------- S-shaped local optima (the solver itself)
def _hill_problem(w, k, s, spend):
    w, k, s, spend = (np.asarray(v, dtype=float) for v in (w, k, s, spend))

    def evaluate(theta, value=True, slope=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            v = w * theta**s / (k**s + theta**s)
            d = w * s * k**s * theta ** (s - 1) / (k**s + theta**s) ** 2
        return (v if value else None), d

    return evaluate, spend


def _multistart_slsqp(evaluate, spend, budget, upper, starts=300, seed=0):
    """The best of many SLSQP runs from random feasible points: an optimiser independent of xmmm's."""
    rng = np.random.default_rng(seed)
    k = len(spend)
    best = -np.inf
    for _ in range(starts):
        x0 = np.clip(rng.dirichlet(np.ones(k)) * budget / spend, 0, upper)
        fit = optimize.minimize(lambda t: -evaluate(t)[0].sum(), x0, method="SLSQP", bounds=[(0, upper)] * k,
                                constraints=[{"type": "eq", "fun": lambda t: spend @ t - budget}])
        if fit.success and abs(spend @ fit.x - budget) < 1e-8:
            best = max(best, -fit.fun)
    return best


@pytest.mark.parametrize("case", [
    # the budget left over after one unit at its upper bound: which S-shaped unit should take it
    dict(w=[1.560, 1.990, 1.431, 0.936], k=[1.373, 1.191, 1.068, 0.601], s=[2.286, 2.912, 2.400, 2.286],
         spend=[0.510, 1.562, 1.881, 1.786], budget=1.6995),
    # two S-shaped units on where two others would earn more: a swap, not a single switch
    dict(w=[0.508, 1.629, 1.716, 0.705, 1.128, 1.723], k=[1.165, 1.496, 1.427, 1.312, 1.233, 0.774],
         s=[2.541, 2.894, 2.936, 2.626, 2.088, 1.305], spend=[1.204, 1.790, 1.172, 0.932, 0.958, 0.616],
         budget=1.9894),
], ids=["stranded remainder", "swap"])
def test_s_shaped_optimum_is_global_against_multistart_slsqp(case):
    from xmmm.budget import allocate

    evaluate, spend = _hill_problem(case["w"], case["k"], case["s"], case["spend"])
    budget, upper = case["budget"], 3.0
    best = allocate(evaluate, spend[None], np.array([budget]), np.zeros((1, len(spend))),
                    np.full((1, len(spend)), upper), concave=np.zeros((1, len(spend)), dtype=bool))
    assert bool(best.converged[0])
    np.testing.assert_allclose(spend @ best.theta[0], budget, rtol=1e-12)
    reference = _multistart_slsqp(evaluate, spend, budget, upper)
    assert evaluate(best.theta[0])[0].sum() >= reference * (1 - 1e-8)
