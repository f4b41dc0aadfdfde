"""Causal scenarios: latent demand, spend policies, embedded experiments and their exact truth."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import xarray as xr

import xmmm
from xmmm import ChannelConfig, ConfigError, MMMDataConfig
from xmmm.causal import DemandConfig, ExperimentConfig
from xmmm.engine import Interventions, run
from xmmm.generate import simulate_arrays
from xmmm.plan import Plan

CAUSAL = ["confounded_demand", "target_chasing", "search_capture", "endogenous_market"]


def small(**overrides) -> MMMDataConfig:
    """Two geos, 60 weeks, three channels: quick to generate."""
    return xmmm.customize_preset("confounded_demand", **{"n_periods": 60, "regions": {"n_regions": 2},
                                                         "experiments": [], **overrides})


# --------------------------------------------------------------------------- defaults
def test_defaults_are_todays_data_and_variables():
    config = xmmm.DEFAULT_CONFIG.copy()
    explicit = config.copy()
    for channel in explicit.channels:
        channel.spend_policy, channel.policy_strength, channel.spend_cap = "exogenous", 0.7, None
    explicit.demand, explicit.experiments = None, []
    a, b = xmmm.generate_dataset(config), xmmm.generate_dataset(explicit)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    new = {"demand", "demand_effect", "lift", "spend_planned", "sales_target", "demand_observed"}
    assert not new & set(a.variables) and "causal_graph" not in a.attrs and "experiment" not in a.dims


def test_scenario_configs_round_trip_through_plain_data():
    config = xmmm.get_preset_config("search_capture")
    back = MMMDataConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert back.demand == config.demand and back.experiments == config.experiments
    assert [c.spend_policy for c in back.channels] == [c.spend_policy for c in config.channels]
    xr.testing.assert_identical(xmmm.generate_dataset(back), xmmm.generate_dataset(config))


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("change, field", [
    (dict(demand=None), "spend_policy 'demand_following' reads the latent demand"),
    (dict(experiments=[ExperimentConfig("Radio", 3, 5)]), "experiments[0].channel"),
    (dict(experiments=[ExperimentConfig("TV", 3, 500)]), "experiments[0].end"),
    (dict(experiments=[ExperimentConfig("TV", 3, 5, geos=["mars"])]), "experiments[0].geos"),
    (dict(experiments=[ExperimentConfig("TV", "2021-01-05", 5)]), "experiments[0].start"),
    (dict(experiments=[ExperimentConfig("TV", 3, 5), ExperimentConfig("TV", 3, 6)]), "names must be unique"),
])
def test_bad_scenarios_name_the_field(change, field):
    with pytest.raises(ConfigError) as err:
        small(**change)
    assert field in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("kwargs, field", [
    (dict(ar=1.0), "DemandConfig.ar"), (dict(sigma=-1.0), "DemandConfig.sigma"),
    (dict(observed="yes"), "DemandConfig.observed"), (dict(drivers={"price": "x"}), "DemandConfig.drivers"),
])
def test_bad_demand_names_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        DemandConfig(**kwargs)


def test_bad_policy_and_experiment_values_name_the_field():
    with pytest.raises(ConfigError, match=r"spend_policy must be one of"):
        ChannelConfig("TV", spend_policy="chase")
    with pytest.raises(ConfigError, match=r"ExperimentConfig\('TV'\)\.mode"):
        ExperimentConfig("TV", 1, 2, mode="double")
    with pytest.raises(ConfigError, match=r"ExperimentConfig\('TV'\)\.value must be >= 0"):
        ExperimentConfig("TV", 1, 2, mode="scale", value=-1.0)
    with pytest.raises(ConfigError, match=r"demand\.drivers names unknown control"):
        small(demand={"drivers": {"weather": 1.0}})


@pytest.mark.parametrize("mode", ["Before", "Overlap"])
def test_feedback_rejects_adstock_that_looks_ahead(mode):
    config = xmmm.get_preset_config("target_chasing")
    kwargs = [dict(k) for k in config.transforms.adstock_kwargs]
    kwargs[0]["mode"] = mode
    with pytest.raises(ConfigError, match=rf"channels\[0\] \('TV'\)\.spend_policy 'target_chasing'.*'{mode}'"):
        xmmm.customize_preset("target_chasing", transforms={"adstock_kwargs": kwargs})


# --------------------------------------------------------------------------- demand
def test_demand_is_stationary_ar1_with_the_configured_moments():
    config = small(demand={"ar": 0.6, "sigma": 2.0, "forecast_noise": 0.5})
    ds = xmmm.simulate(config, 400)
    shock = ds["demand"].values  # (replicate, date, geo): no calendar, no drivers
    n = shock.size
    assert abs(shock.std() - 2.0) < 4 * 2.0 / np.sqrt(2 * n / 4)  # effective sample ~ n (1 - rho) / (1 + rho)
    lag1 = np.mean(shock[:, 1:] * shock[:, :-1]) / np.mean(shock * shock)
    assert abs(lag1 - 0.6) < 0.02
    # the first period is already stationary
    assert abs(shock[:, 0].std() - 2.0) < 4 * 2.0 / np.sqrt(2 * shock[:, 0].size)
    np.testing.assert_array_equal(ds["demand_effect"].values,
                                  ds["demand_coefficient"].values[:, None, :] * ds["demand"].values)
    error = (ds["demand_forecast"] - ds["demand"]).values
    assert abs(error.std() - 0.5) < 4 * 0.5 / np.sqrt(2 * error.size)


def test_calendar_and_drivers_are_demeaned_and_z_scored():
    config = xmmm.get_preset_config("endogenous_market")
    plan = Plan.build(config, [0])
    arrays = run(plan)
    from xmmm.blocks.demand import calendar, demand

    parts = demand(plan, arrays["control_value"])
    c = calendar(plan)
    t = np.arange(config.n_periods)
    wave = 3.0 * np.sin(2 * np.pi * t / 52 - np.pi / 3)
    np.testing.assert_allclose(c, wave - wave.mean(), rtol=0, atol=1e-12)
    z = arrays["control_value"][0, 0]
    z = (z - z.mean(axis=-1, keepdims=True)) / z.std(axis=-1, keepdims=True)
    np.testing.assert_allclose(parts["demand_predictable"][0, 0], c + 2 * z[0] - 2 * z[1], atol=1e-12)


def test_observed_demand_is_a_control_column_and_the_proxy_has_its_noise():
    config = small(demand={"observed": True})
    exact = xmmm.generate_mmm_dataset(config)
    assert config.demand_column == "c2-demand" and list(exact["data"].columns[-2:]) == ["c1-price", "c2-demand"]
    np.testing.assert_array_equal(exact.dataset["demand_observed"].values, exact.dataset["demand"].values)
    proxy = xmmm.simulate(small(demand={"observed": True, "proxy_noise": 0.3}), 200)
    error = (proxy["demand_observed"] - proxy["demand"]).values
    assert abs(error.std() - 0.3) < 4 * 0.3 / np.sqrt(2 * error.size)
    back = xmmm.from_long_dataframe(exact["data"])
    assert list(back["control_column"].values) == ["c1-price", "c2-demand"]
    # exported shifted to start at 0 (a control value is never negative): the same series up to a constant
    exported = back["control_value"].sel(control="demand").transpose("date", "geo").values
    true = exact.dataset["demand"].transpose("date", "geo").values
    offset = exported - true
    assert exported.min() == 0.0 and np.ptp(offset) < 1e-9 * np.abs(true).max()


@pytest.mark.parametrize("name", CAUSAL)
def test_y_is_the_exact_sum_of_its_components(name):
    ds = xmmm.generate_dataset(xmmm.get_preset_config(name))
    total = ds["baseline"] + ds["control_effect"].sum("control") + ds["contribution"].sum("channel") + \
        ds["demand_effect"]
    np.testing.assert_array_equal(ds["y"].values, total.transpose(*ds["y"].dims).values)


# --------------------------------------------------------------------------- policies
def test_demand_following_and_capture_spend_follow_their_formulas():
    ds = xmmm.generate_dataset(small())
    tv = ds.sel(channel="TV")
    k = 0.3
    expected = np.maximum(tv["spend_planned"] + k * tv["spend_level"] * ds["demand_forecast"], 0.0)
    np.testing.assert_array_equal(tv["spend"].values, expected.transpose(*tv["spend"].dims).values)

    search = xmmm.generate_dataset(xmmm.customize_preset("search_capture", experiments=[]))
    s = search.sel(channel="Search")
    cap = 8000.0 * (s["spend_level"] / 6000.0)
    expected = np.minimum(s["spend_planned"] * np.exp(0.15 * search["demand"]), cap)
    np.testing.assert_array_equal(s["spend"].values, expected.transpose(*s["spend"].dims).values)
    assert (s["spend"] == cap).any() and (s["spend"] < cap).any()  # the cap binds, sometimes


def test_target_chasing_spend_reacts_to_the_stored_shortfall():
    ds = xmmm.generate_dataset(xmmm.customize_preset("target_chasing", experiments=[]))
    tv = ds.sel(channel="TV")
    level = ds["baseline_level"].isel(date=0)
    shortfall = (ds["sales_target"] - ds["y"]).shift(date=1, fill_value=0.0)
    cap = 20_000.0 * (tv["spend_level"] / 8000.0)
    expected = np.minimum(np.maximum(tv["spend_planned"] + 3.0 * tv["spend_level"] * shortfall / level, 0.0), cap)
    # the kernel's y equals the stored y to rounding (it sums in its own order)
    np.testing.assert_allclose(tv["spend"].values, expected.transpose(*tv["spend"].dims).values, rtol=1e-10)
    assert float(np.abs(tv["spend"] - tv["spend_planned"]).mean()) > 0.05 * float(tv["spend_planned"].mean())
    # a feedback channel's spend scale is its planned spend's (fixed before the loop)
    np.testing.assert_array_equal(tv["spend_scale"].values, tv["spend_planned"].max("date").values)


def test_target_chasing_is_a_kernel_over_the_whole_stack():
    config = xmmm.customize_preset("target_chasing", experiments=[])
    together = simulate_arrays(config, [0, 1, 2])
    alone = simulate_arrays(config, [2])
    np.testing.assert_array_equal(together["spend"][2], alone["spend"][0])
    np.testing.assert_array_equal(together["y"][2], alone["y"][0])


# --------------------------------------------------------------------------- experiments
def _untested(config, replicate=0):
    plan = Plan.build(config, [replicate])
    return plan, run(plan), run(dataclasses.replace(plan, experiments=()))


@pytest.mark.parametrize("mode, value", [("scale", 0.0), ("scale", 1.8), ("set", 2500.0), ("shift", -1500.0)])
def test_exogenous_lift_is_exact(mode, value):
    experiment = ExperimentConfig("Search", 20, 27, geos=["south"], mode=mode, value=value, name="t")
    config = small(experiments=[experiment])
    plan, data, untested = _untested(config)
    j, g, window = plan.channels.index("Search"), 1, np.zeros(60, dtype=bool)
    window[20:28] = True
    changed = np.zeros_like(data["spend"], dtype=bool)
    changed[:, g, j, window] = True
    # outside the window and the tested geo the untested world is the data, bit for bit
    np.testing.assert_array_equal(data["spend"][~changed], untested["spend"][~changed])
    np.testing.assert_array_equal(data["y"][:, :, :20], untested["y"][:, :, :20])
    np.testing.assert_array_equal(data["y"][:, 0], untested["y"][:, 0])
    n_lags = 4  # Search: geometric adstock with l_max 4
    np.testing.assert_array_equal(data["y"][:, :, 28 + n_lags - 1:], untested["y"][:, :, 28 + n_lags - 1:])
    # the spend change is the experiment's
    tested_spend = {"scale": value * untested["spend"], "set": np.full_like(untested["spend"], value),
                    "shift": np.maximum(untested["spend"] + value, 0.0)}[mode]
    np.testing.assert_array_equal(data["spend"][changed], tested_spend[changed])
    # the lift is the change in the channel's contribution
    ds = xmmm.generate_dataset(config)
    lift = ds["lift"].sel(experiment="t").transpose("geo", "date").values
    contribution = (data["contribution"] - untested["contribution"])[0, :, j]
    np.testing.assert_allclose(lift, contribution, rtol=0, atol=1e-9 * float(np.abs(data["y"]).max()))
    assert np.abs(lift[1, 20:28]).min() > 0
    np.testing.assert_allclose(ds["lift_delta_y"].sel(experiment="t", geo="south"), lift[1, window].mean())


def test_target_chasing_lift_includes_the_induced_change_of_spend():
    config = xmmm.get_preset_config("target_chasing")
    plan, data, untested = _untested(config)
    j, g = 0, plan.geos.index("central")
    window = np.zeros(len(plan.dates), dtype=bool)
    window[100:104] = True
    # the direct effect: the test's spend change in its window only, every other spend held at the untested world's
    held = untested["spend"].copy()
    held[:, g, j, window] = data["spend"][:, g, j, window]
    direct = run(dataclasses.replace(plan, experiments=()), Interventions(spend=held))
    lift = data["y"] - untested["y"]
    direct_effect = direct["y"] - untested["y"]
    induced = lift - direct_effect
    after = slice(104, None)
    # the policy reacts: sales above target after the heavy-up lower TV spend, so the induced effect is negative
    spend_change = data["spend"][0, g, j, after] - untested["spend"][0, g, j, after]
    assert spend_change[0] < 0 and np.abs(spend_change).max() > 1.0
    assert induced[0, g, after].sum() < 0 and abs(induced[0, g, after].sum()) > 0.02 * abs(lift[0, g].sum())
    np.testing.assert_array_equal(induced[0, g, :100], 0.0)
    # other geos have no experiment and no lift
    np.testing.assert_array_equal(np.delete(lift[0], g, axis=0), 0.0)
    # the stored truth is that lift
    ds = xmmm.generate_dataset(config)
    np.testing.assert_array_equal(ds["lift"].sel(experiment="tv_heavy_up").transpose("geo", "date").values, lift[0])


def test_experiment_truth_of_a_study_is_each_replicates():
    config = xmmm.customize_preset("confounded_demand", n_periods=90)
    study = xmmm.simulate(config, 3)
    one = xmmm.generate_dataset(config, replicate=2)
    for name in ("lift", "lift_measured", "lift_delta_y_model", "spend"):
        np.testing.assert_array_equal(study[name].isel(replicate=2).values, one[name].values)


def test_measured_lift_has_its_noise():
    config = xmmm.customize_preset("confounded_demand", n_periods=90)
    study = xmmm.simulate(config, 300)
    tested = study["lift_tested"].values
    error = (study["lift_measured"] - study["lift_delta_y"]).values
    assert abs(error[tested].std() - 400.0) < 4 * 400.0 / np.sqrt(2 * error[tested].size)
    np.testing.assert_array_equal(study["lift_measured"].values[~tested], 0.0)


def test_several_experiments_compose_and_each_has_its_own_lift():
    experiments = [ExperimentConfig("TV", 10, 15, mode="scale", value=0.0, name="a"),
                   ExperimentConfig("Search", 12, 20, mode="shift", value=500.0, name="b")]
    ds = xmmm.generate_dataset(small(experiments=experiments))
    plan = Plan.build(small(experiments=experiments), [0])
    without_a = run(dataclasses.replace(plan, experiments=(experiments[1],)))
    np.testing.assert_array_equal(ds["lift"].sel(experiment="a").transpose("geo", "date").values,
                                  ds["y"].transpose("geo", "date").values - without_a["y"][0])
    assert list(ds["experiment_channel"].values) == ["TV", "Search"]


# --------------------------------------------------------------------------- the causal graph
def test_graph_and_naive_bias_are_in_the_attrs_and_describe_prints_them():
    from xmmm.cli import describe

    expected = {"confounded_demand": ("TV", "+"), "target_chasing": ("TV", "-"),
                "search_capture": ("Search", "+ (attenuated)"), "endogenous_market": ("TV", "+")}
    for name, (channel, sign) in expected.items():
        ds = xmmm.generate_dataset(xmmm.get_preset_config(name))
        graph = json.loads(ds.attrs["causal_graph"])
        assert graph["naive_bias"][channel] == sign
        assert ["demand", "y", "demand -> y"] in graph["edges"]
        text = describe(ds)
        assert "Causal graph" in text and f"{channel}" in text
    tc = json.loads(xmmm.generate_dataset(xmmm.get_preset_config("target_chasing")).attrs["causal_graph"])
    assert ["y[t-1]", "spend[TV]", "target_chasing"] in tc["edges"]
    sc = json.loads(xmmm.generate_dataset(xmmm.get_preset_config("search_capture")).attrs["causal_graph"])
    assert ["demand", "spend[Search]", "demand_capture"] in sc["edges"]


def test_confounding_has_the_documented_sign():
    """OLS of y on the true transformed spend overstates TV; adding the true demand removes the bias."""
    study = xmmm.simulate(xmmm.get_preset_config("confounded_demand"), 50)
    n_dates = study.sizes["date"]
    t = np.arange(n_dates, dtype=float)
    from xmmm.patterns import year_fraction
    import pandas as pd

    phase = xmmm.get_preset_config("confounded_demand").regions.seasonal_phase
    season = np.sin(2 * np.pi * year_fraction(pd.DatetimeIndex(study["date"].values)) + phase)
    tv = list(study["channel"].values).index("TV")
    errors = {False: [], True: []}
    for with_demand in (False, True):
        for r in range(study.sizes["replicate"]):
            rep = study.isel(replicate=r)
            for g in range(study.sizes["geo"]):
                sat = rep["saturated"].isel(geo=g).transpose("date", "channel").values
                control = rep["control_value"].isel(geo=g).transpose("date", "control").values
                columns = [np.ones(n_dates), t, season, sat, control]
                if with_demand:
                    columns.append(rep["demand"].isel(geo=g).values)
                X = np.column_stack(columns)
                beta, *_ = np.linalg.lstsq(X, rep["y"].isel(geo=g).values, rcond=None)
                truth = float(rep["channel_coefficient"].isel(geo=g, channel=tv))
                errors[with_demand].append(beta[3 + tv] / truth - 1.0)
    naive, adjusted = np.array(errors[False]), np.array(errors[True])
    se_naive = naive.std(ddof=1) / np.sqrt(naive.size)
    se_adjusted = adjusted.std(ddof=1) / np.sqrt(adjusted.size)
    assert naive.mean() > 4 * se_naive and naive.mean() > 0.05   # overstated, clearly
    assert abs(adjusted.mean()) < 4 * se_adjusted                 # unbiased within the replicates' error


def test_endogenous_market_has_the_published_media_equations_and_marginal_return():
    """TV and Digital: MM(adstock(spend); 38, 5) and MM(.; 22, 3) in sales units; TV's marginal return 38*5/(5+x)^2."""
    ds = xmmm.generate_dataset(xmmm.get_preset_config("endogenous_market"))
    assert ds.sizes["date"] == 104 + 4 + 12
    weights = 0.1 ** np.arange(8)
    weights /= weights.sum()
    for channel, (beta, lam) in {"TV": (38.0, 5.0), "Digital": (22.0, 3.0)}.items():
        spend = ds["spend"].sel(channel=channel, geo="national").values
        adstocked = np.convolve(spend, weights)[: spend.size]  # causal, normalised geometric carry-over
        contribution = ds["contribution"].sel(channel=channel, geo="national").values
        np.testing.assert_allclose(contribution, beta * adstocked / (lam + adstocked), rtol=1e-10)
    y = ds["y"].sel(geo="national")
    parts = (ds["baseline"] + ds["contribution"].sum("channel") + ds["demand_effect"]).sel(geo="national")
    np.testing.assert_allclose(y, parts, rtol=1e-12)
    np.testing.assert_allclose(ds["demand_coefficient"], 2.5, rtol=1e-12)
    plan = Plan.from_dataset(ds)
    x = float(ds["spend"].sel(channel="TV").mean())
    h = 1e-5
    response = plan.steady_state_contribution("TV", np.array([[x - h, x + h]]))[0]
    np.testing.assert_allclose((response[1] - response[0]) / (2 * h), 38 * 5 / (5 + x) ** 2, rtol=1e-7)
    # the model-consistent lift of the shift -1.5: the curve at x - 1.5 against x
    x_test = float(ds["lift_x"].sel(experiment="tv_lift_test", geo="national"))
    expected = 38 * (x_test - 1.5) / (5 + x_test - 1.5) - 38 * x_test / (5 + x_test)
    assert float(ds["lift_delta_y_model"].sel(experiment="tv_lift_test", geo="national")) == pytest.approx(expected,
                                                                                                          rel=1e-10)
