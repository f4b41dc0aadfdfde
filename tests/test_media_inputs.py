"""Every kind of media input: exposures and costs, reach and frequency, organic media, treatments,
population and KPI type -- exact identities, bounds, an independent numpy oracle, defaults unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import xmmm
from xmmm import ChannelConfig, ConfigError, ControlConfig, MMMDataConfig, RegionConfig, TransformConfig
from xmmm.config import apply_overrides
from xmmm.engine import Interventions, run
from xmmm.plan import Plan

N = 40


def every_kind(**overrides) -> MMMDataConfig:
    """One config with a channel of every kind and unit, population, a non-revenue KPI per geo and time."""
    hill = [{"slope": 1.5, "kappa": 0.5}, {"slope": 1.2, "kappa": 0.5}, {"slope": 1.0, "kappa": 0.45},
            {"slope": 2.0, "kappa": 2.0}, {"slope": 1.0, "kappa": 0.5}, {"slope": 1.5, "kappa": 1.8}, {}]
    fields = dict(
        n_periods=N,
        channels=[
            ChannelConfig(name="TV", pattern="seasonal", base_spend=5000.0, base_effectiveness=0.2),
            ChannelConfig(name="Display", unit="impressions", cost_per_unit=6.0, cost_trend=0.004,
                          base_spend=3000.0, base_effectiveness=0.15),
            ChannelConfig(name="Search", unit="clicks", cost_per_unit=1.2, base_spend=2000.0,
                          base_effectiveness=0.1),
            ChannelConfig(name="YouTube", kind="reach_frequency", cost_per_unit=8.0, base_spend=4000.0,
                          base_effectiveness=0.15, reachable_share=0.5, reach_volatility=0.1),
            ChannelConfig(name="Newsletter", kind="organic", pattern="on_off", base_value=200_000.0,
                          base_effectiveness=0.05, activation_probability=0.7),
            ChannelConfig(name="Social", kind="organic_reach_frequency", base_value=300_000.0,
                          base_effectiveness=0.05, reachable_share=0.3),
            ChannelConfig(name="Promo", kind="treatment", pattern="on_off", base_value=0.2, baseline_value=0.0,
                          base_effectiveness=0.1),
            ChannelConfig(name="Price", kind="treatment", pattern="seasonal", base_value=10.0, baseline_value=10.0,
                          base_effectiveness=-0.2, seasonal_amplitude=0.1),
        ],
        regions=RegionConfig(n_regions=3, base_sales_rate=20000.0, population=[1e5, 2e5, 3e5]),
        transforms=TransformConfig(
            adstock_fun=["geometric_adstock"] * 3 + ["binomial_adstock"] + ["geometric_adstock"] * 4,
            adstock_kwargs=[{"alpha": 0.5, "l_max": 6}] * 3 + [{"alpha": 0.4, "l_max": 5}]
            + [{"alpha": 0.3, "l_max": 4}] * 4,
            saturation_fun="hill_function",
            saturation_kwargs=hill + [{}],
        ),
        control_variables=[ControlConfig(name="competitor", pattern="seasonal", base_value=5.0,
                                         base_effectiveness=-0.05)],
        kpi_type="non_revenue",
        revenue_per_kpi=[[2.0 + 0.01 * t for t in range(N)], 2.5, [3.0] * N],
        seed=11,
    )
    fields.update(overrides)
    return MMMDataConfig(**fields)


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return xmmm.generate_dataset(every_kind())


def channel(ds, name):
    return {v: ds[v].sel(channel=name).transpose("geo", "date").values
            for v in ("spend", "exposure", "reach", "frequency", "contribution", "treatment_value")}


# --------------------------------------------------------------------------- exact identities and bounds
def test_y_is_baseline_plus_every_effect_exactly_with_every_kind(ds):
    total = ds.baseline + ds.control_effect.sum("control") + ds.contribution.sum("channel")
    np.testing.assert_array_equal(ds.y.values, total.transpose(*ds.y.dims).values)
    assert set(ds.channel_kind.values) == {"paid", "reach_frequency", "organic", "organic_reach_frequency",
                                           "treatment"}
    assert (ds.contribution.sel(channel=["YouTube", "Newsletter", "Social", "Promo"]).sum("date") != 0).all()


def test_reach_frequency_bounds_and_impressions_exactly_reach_times_frequency(ds):
    rf = ["YouTube", "Social"]
    reach, frequency, exposure = (ds[v].sel(channel=rf) for v in ("reach", "frequency", "exposure"))
    assert (reach <= ds.population).all() and (reach >= 0).all()
    assert (frequency >= 1).all()
    np.testing.assert_array_equal(exposure.values, (reach * frequency).values)
    # reach is bounded by the reachable share (0.5 and 0.3 of the population, noise capped at 1)
    assert float((reach.sel(channel="Social") / ds.population).max()) < 1.0
    others = [c for c in ds.channel.values if c not in rf]
    assert ds.reach.sel(channel=others).isnull().all() and ds.frequency.sel(channel=others).isnull().all()


def test_spend_is_exposures_times_cost_exactly(ds):
    paid = ["Display", "Search", "YouTube"]
    np.testing.assert_array_equal(ds.spend.sel(channel=paid).values,
                                  (ds.exposure * ds.cost_per_exposure).sel(channel=paid).values)
    assert (ds.cost_per_exposure.sel(channel=paid) > 0).all()
    # the cost follows its configuration: a CPM is per thousand impressions, a CPC per click
    cpm = 1000 * ds.cost_per_exposure.sel(channel="Display").mean()
    cpc = ds.cost_per_exposure.sel(channel="Search").mean()
    assert 4.5 < float(cpm) < 8.5 and 0.9 < float(cpc) < 1.5
    # media inflation: Display's cost trends up by about 0.4 % per period
    first, last = (ds.cost_per_exposure.sel(channel="Display").isel(date=s).mean() for s in (slice(0, 10),
                                                                                           slice(-10, None)))
    assert 1.08 < float(last / first) < 1.22
    # channels without spend spend nothing, and have no cost
    assert (ds.spend.sel(channel=["Newsletter", "Social", "Promo", "Price"]) == 0).all()
    assert ds.cost_per_exposure.sel(channel=["TV", "Newsletter", "Social", "Promo"]).isnull().all()


def _hill(x, slope, kappa):
    return x**slope / (x**slope + kappa**slope)


def _adstock(x, weights):
    """Carry-over of each row of x with weights[lag] (numpy's convolution, zeros before the start)."""
    return np.stack([np.convolve(row, weights)[: row.size] for row in x])


def _weights(ds, name, g):
    fn = str(ds.adstock_function.sel(channel=name).values)
    l_max = int(ds.adstock_l_max.sel(channel=name))
    alpha = float(ds.adstock_alpha.sel(channel=name).isel(geo=g))
    lags = np.arange(l_max)
    # pymc-marketing's geometric and binomial weights
    w = alpha**lags if fn == "geometric_adstock" else (1 - lags / (l_max + 1)) ** (1 / alpha - 1)
    return w / w.sum() if bool(ds.adstock_normalize.sel(channel=name)) else w


def test_reach_frequency_effect_against_an_independent_numpy_oracle(ds):
    # Meridian's form: Hill on frequency times the scaled reach, then the (normalised) adstock, times beta
    for name in ("YouTube", "Social"):
        series = channel(ds, name)
        for g in range(ds.sizes["geo"]):
            slope, kappa = (float(ds[f"saturation_{p}"].sel(channel=name).isel(geo=g)) for p in ("slope", "kappa"))
            scale = float(ds.spend_scale.sel(channel=name).isel(geo=g))
            beta = float(ds.channel_coefficient.sel(channel=name).isel(geo=g))
            signal = series["reach"][g] / scale * _hill(series["frequency"][g], slope, kappa)
            expected = beta * _adstock(signal[None], _weights(ds, name, g))[0]
            np.testing.assert_allclose(series["contribution"][g], expected, rtol=1e-12)
        assert str(ds.effect_follows.sel(channel=name).values) == "reach_frequency"


def test_exposure_channels_transform_their_exposures(ds):
    for name in ("Display", "Search", "Newsletter"):
        series = channel(ds, name)
        for g in range(ds.sizes["geo"]):
            slope, kappa = (float(ds[f"saturation_{p}"].sel(channel=name).isel(geo=g)) for p in ("slope", "kappa"))
            scale = float(ds.spend_scale.sel(channel=name).isel(geo=g))
            assert scale == pytest.approx(series["exposure"][g].max(), rel=1e-15)  # the scale of the exposures
            beta = float(ds.channel_coefficient.sel(channel=name).isel(geo=g))
            adstocked = _adstock(series["exposure"][g][None] / scale, _weights(ds, name, g))[0]
            np.testing.assert_allclose(series["contribution"][g], beta * _hill(adstocked, slope, kappa), rtol=1e-12)
    assert list(ds.effect_follows.values) == ["spend", "impressions", "clicks", "reach_frequency", "impressions",
                                              "reach_frequency", "value", "value"]


def test_treatment_effect_is_linear_in_the_deviation_from_its_baseline(ds):
    for name, baseline in (("Promo", 0.0), ("Price", 10.0)):
        series = channel(ds, name)
        gamma = ds.channel_coefficient.sel(channel=name).values
        np.testing.assert_allclose(series["contribution"], gamma[:, None] * (series["treatment_value"] - baseline),
                                   rtol=1e-13, atol=1e-9)
        assert float(ds.treatment_baseline.sel(channel=name)) == baseline
    # the promotion is a lift, the price above its regular level a loss; treatments are not media
    assert (ds.channel_coefficient.sel(channel="Promo") > 0).all()
    assert (ds.channel_coefficient.sel(channel="Price") < 0).all()
    assert (ds.attribution.sel(channel=["Promo", "Price"]) == 0).all()
    np.testing.assert_allclose(ds.attribution.sum("channel"), 100.0)
    # a treatment's values are not varied by region: they share the baseline value
    assert ds.spend_level.sel(channel="Price").values.tolist() == [10.0, 10.0, 10.0]


# --------------------------------------------------------------------------- truth in revenue and KPI
def test_roas_is_in_revenue_and_the_incremental_kpi_beside_it(ds):
    rpk = ds.revenue_per_kpi
    assert rpk.dims == ("date", "geo")
    np.testing.assert_allclose(rpk.isel(geo=0).values, 2.0 + 0.01 * np.arange(N))
    assert (rpk.isel(geo=1) == 2.5).all()
    # additive effects: each channel's incremental outcome (against a treatment's baseline value) is its
    # contribution, period by period
    assert ds.incremental_outcome.dims == ("date", "geo", "channel")
    np.testing.assert_array_equal(ds.incremental_outcome, ds.contribution)
    revenue = (ds.contribution * rpk).sum("date")
    np.testing.assert_allclose(ds.incremental_revenue.sum("date"), revenue, rtol=1e-13)
    paid = ["TV", "Display", "Search", "YouTube"]
    np.testing.assert_allclose(ds.roas.sel(channel=paid), (revenue / ds.spend.sum("date")).sel(channel=paid),
                               rtol=1e-12)
    assert ds.attrs["kpi_type"] == "non_revenue"


def test_marginal_roas_in_revenue_is_the_extra_revenue_of_one_percent_more_spend(ds):
    config = every_kind()
    plan = Plan.build(config, [0])
    base = run(plan)
    j = config.channel_names.index("YouTube")
    scale = np.ones((1, 3, len(config.channels), N))
    scale[:, :, j, :] = 1.01
    up = run(plan, Interventions(scale=scale))
    rpk = base["revenue_per_kpi"][0]
    extra = ((up["contribution"][0, :, j] - base["contribution"][0, :, j]) * rpk).sum(-1)
    np.testing.assert_allclose(ds.mroas.sel(channel="YouTube").values,
                               extra / (0.01 * base["spend"][0, :, j].sum(-1)), rtol=1e-10)


# --------------------------------------------------------------------------- interventions, every kind
@pytest.mark.parametrize("name", ["TV", "Display", "YouTube", "Newsletter", "Social", "Promo", "Price"])
def test_switching_a_channel_off_removes_exactly_its_contribution(name):
    config = every_kind()
    plan = Plan.build(config, [0])
    natural = run(plan)
    j = config.channel_names.index(name)
    scale = np.ones((1, 3, len(config.channels), N))
    scale[:, :, j, :] = 0.0
    off = run(plan, Interventions(scale=scale))
    assert (off["contribution"][0, :, j] == 0).all()
    np.testing.assert_allclose(natural["y"] - off["y"], natural["contribution"][:, :, j], rtol=1e-12,
                               atol=1e-9 * np.abs(natural["y"]).max())
    others = [i for i in range(len(config.channels)) if i != j]
    np.testing.assert_array_equal(off["contribution"][:, :, others], natural["contribution"][:, :, others])
    if name == "Price":  # a treatment's counterfactual is its baseline value
        np.testing.assert_array_equal(off["treatment_value"][0, :, j], 10.0)


def test_more_spend_on_reach_frequency_buys_reach_and_frequency_within_the_population():
    config = every_kind()
    plan = Plan.build(config, [0])
    natural = run(plan)
    j = config.channel_names.index("YouTube")
    scale = np.ones((1, 3, len(config.channels), N))
    scale[:, :, j, :] = 5.0
    more = run(plan, Interventions(scale=scale))
    np.testing.assert_allclose(more["spend"][0, :, j], 5 * natural["spend"][0, :, j], rtol=1e-12)
    np.testing.assert_allclose(more["exposure"][0, :, j], 5 * natural["exposure"][0, :, j], rtol=1e-12)
    assert (more["reach"][0, :, j] > natural["reach"][0, :, j]).all()
    assert (more["frequency"][0, :, j] > natural["frequency"][0, :, j]).all()
    assert (more["reach"][0, :, j] <= plan.population[0][:, None]).all()
    np.testing.assert_array_equal(more["spend_scale"], natural["spend_scale"])  # the model is held


def test_replacing_an_organic_channels_exposures():
    config = every_kind()
    plan = Plan.build(config, [0])
    natural = run(plan)
    j = config.channel_names.index("Newsletter")
    activity = np.where(np.arange(len(config.channels))[:, None] == j, 0.0, np.nan)
    spend = np.where(np.isnan(activity), natural["spend"][0], activity)
    # organic and treatment entries of "spend" are their exposures and values
    for i, c in enumerate(config.channels):
        if c.kind == "organic_reach_frequency" or c.kind == "treatment" or (c.kind == "organic" and i != j):
            spend[:, i, :] = natural["exposure"][0, :, i] if c.kind != "treatment" else natural[
                "treatment_value"][0, :, i]
    spend[:, j, :] = 100_000.0
    replaced = run(plan, Interventions(spend=spend[None]))
    np.testing.assert_array_equal(replaced["exposure"][0, :, j], 100_000.0)
    assert (replaced["spend"][0, :, j] == 0).all()


# --------------------------------------------------------------------------- defaults and streams
NEW_VARIABLES = {"exposure", "cost_per_exposure", "reach", "frequency", "treatment_value", "treatment_baseline",
                 "revenue_per_kpi", "incremental_outcome", "incremental_revenue", "effect_follows", "population",
                 "channel_kind", "exposure_unit"}


def test_spend_only_configs_have_exactly_the_old_variables():
    ds = xmmm.generate_dataset(n_periods=20)
    assert not NEW_VARIABLES & set(ds.variables)
    assert "kpi_type" not in ds.attrs
    c = xmmm.ChannelConfig(name="TV")
    assert (c.kind, c.unit, c.cost_per_unit) == ("paid", "spend", None)
    assert xmmm.DEFAULT_CONFIG.kpi_type == "revenue" and xmmm.DEFAULT_CONFIG.revenue_per_kpi is None
    assert xmmm.DEFAULT_CONFIG.regions.population is None


def test_a_non_revenue_kpi_alone_adds_only_its_variables():
    ds = xmmm.generate_dataset(n_periods=20, kpi_type="non_revenue", revenue_per_kpi=3.0)
    assert NEW_VARIABLES & set(ds.variables) == {"revenue_per_kpi", "incremental_outcome", "incremental_revenue",
                                                 "effect_follows", "channel_kind", "exposure_unit"}
    plain = xmmm.generate_dataset(n_periods=20)
    np.testing.assert_array_equal(ds.y.values, plain.y.values)  # a KPI type changes the truth's units only
    np.testing.assert_allclose(ds.roas, 3.0 * plain.roas, rtol=1e-12)


def test_new_channels_leave_the_others_unchanged_and_units_keep_the_budget():
    base = xmmm.DEFAULT_CONFIG
    more = base.copy()
    more.channels.append(ChannelConfig(name="Blog", kind="organic", base_value=5000.0, base_effectiveness=0.02))
    more.transforms.adstock_kwargs = [*base.transforms.adstock_kwargs, {"alpha": 0.3, "l_max": 8}]
    more.transforms.saturation_kwargs = [*base.transforms.saturation_kwargs, {"slope": 1.0, "kappa": 0.5}]
    a, b = xmmm.generate_dataset(base), xmmm.generate_dataset(more)
    np.testing.assert_array_equal(a.spend.values, b.spend.sel(channel=a.channel).values)
    np.testing.assert_array_equal(a.baseline.values, b.baseline.values)
    # the same channel counted in impressions: the same budget, bought at a cost
    priced = base.copy()
    priced.channels[1].unit, priced.channels[1].cost_per_unit = "impressions", 5.0
    c = xmmm.generate_dataset(xmmm.MMMDataConfig.from_dict(priced.to_dict()))
    np.testing.assert_allclose(c.spend.values, a.spend.values, rtol=1e-15)
    assert not np.array_equal(c.contribution.isel(channel=1).values, a.contribution.isel(channel=1).values)


def test_population_default_total_and_list():
    config = every_kind(regions=RegionConfig(n_regions=3, base_sales_rate=20000.0))
    plan = Plan.build(config, [0])
    np.testing.assert_array_equal(plan.population, plan.level)  # proportional to the baseline level
    total = every_kind(regions=RegionConfig(n_regions=3, base_sales_rate=20000.0, population=6e5))
    people = Plan.build(total, [0]).population
    np.testing.assert_allclose(people.sum(), 6e5)
    np.testing.assert_allclose(people / plan.level, people[0, 0] / plan.level[0, 0])
    ds = xmmm.generate_dataset(total)  # stored: reach is bounded by it
    np.testing.assert_array_equal(ds.population.values, people[0])


# --------------------------------------------------------------------------- tables, files, studies
def test_long_table_has_the_media_input_columns_and_reads_back(ds):
    config = every_kind()
    table = xmmm.to_long_dataframe(ds)
    assert config.exposure_columns == ["e2-Display", "e3-Search", "e4-YouTube", "e5-Newsletter", "e6-Social"]
    assert config.reach_columns == ["r4-YouTube", "r6-Social"] and config.frequency_columns == ["f4-YouTube",
                                                                                                 "f6-Social"]
    assert config.treatment_columns == ["t7-Promo", "t8-Price"]
    assert list(table.columns) == ["date", "geo", "y", *config.channel_columns, *config.media_input_columns,
                                   *config.control_columns]
    assert xmmm.validate_output_schema(table, config) == []
    back = xmmm.from_long_dataframe(table)
    for var in ("exposure", "reach", "frequency", "treatment_value"):
        np.testing.assert_array_equal(back[var].values, ds[var].transpose("date", "geo", "channel").values)
    broken = table.rename(columns={"e2-Display": "e9-Display"})
    assert any("no channel column" in p for p in xmmm.validate_output_schema(broken))


def test_spend_only_long_table_is_unchanged():
    table = xmmm.generate_mmm_dataset(n_periods=30)["data"]
    assert list(table.columns) == ["date", "geo", "y", "x1-TV", "x2-Search", "x3-Social", "c1-price",
                                   "c2-promotion"]


def test_netcdf_and_config_round_trip(ds, tmp_path):
    config = every_kind()
    assert MMMDataConfig.from_dict(config.to_dict()).to_dict() == config.to_dict()
    path = tmp_path / "kinds.nc"
    from xmmm.io import to_netcdf

    to_netcdf(ds, path)
    back = xmmm.open_dataset(path)
    for var in ("reach", "frequency", "exposure", "cost_per_exposure", "treatment_value", "revenue_per_kpi"):
        np.testing.assert_array_equal(back[var].values, ds[var].values)
    again = xmmm.generate_dataset(MMMDataConfig.from_dict(config.to_dict()))
    xr.testing.assert_identical(again, ds)


def test_study_replicates_are_single_datasets():
    config = every_kind(n_periods=20, revenue_per_kpi=2.0)
    study = xmmm.simulate(config, 2)
    for r in (0, 1):
        one = xmmm.generate_dataset(config, replicate=r)
        for var in ("y", "reach", "frequency", "exposure", "treatment_value", "roas"):
            np.testing.assert_array_equal(study[var].sel(replicate=r).values, one[var].values)


def test_quality_report_reads_each_kind(ds):
    report = xmmm.check_data_quality(ds, warn=False)
    assert report.passed, report.issues
    assert not any("ROAS" in w and ("Newsletter" in w or "Promo" in w) for w in report.warnings)
    zero = report.metrics.zero_spend_share
    assert float(zero.sel(channel="Newsletter").max()) < 1  # measured on its exposures, not its (zero) spend


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "billboard"}, "kind must be one of 'paid', 'reach_frequency'"),
        ({"unit": "views"}, "unit must be one of 'spend', 'impressions', 'clicks'; got 'views'"),
        ({"unit": "impressions"}, "cost_per_unit must be a number > 0 for kind='paid', unit='impressions'"),
        ({"unit": "clicks", "cost_per_unit": -1.0}, "cost_per_unit must be > 0; got -1.0"),
        ({"cost_per_unit": 5.0}, "cost_per_unit must be None for kind='paid', unit='spend'"),
        ({"kind": "organic", "cost_per_unit": 5.0}, "cost_per_unit must be None for kind='organic'"),
        ({"kind": "reach_frequency", "unit": "clicks", "cost_per_unit": 1.0}, "unit must be 'impressions' for"),
        ({"kind": "treatment", "unit": "clicks"}, "unit must be 'spend' (the default) for kind='treatment'"),
        ({"kind": "reach_frequency", "cost_per_unit": 5.0, "reachable_share": 1.5}, "reachable_share must be in (0, 1]"),
        ({"base_value": -3.0}, "base_value must be >= 0; got -3.0"),
        ({"base_effectiveness": -0.1}, "base_effectiveness must be >= 0"),
    ],
)
def test_channel_errors_name_the_field(kwargs, message):
    with pytest.raises(ConfigError) as info:
        ChannelConfig(name="X", **kwargs)
    assert message in str(info.value)


def test_treatments_may_have_negative_effects():
    assert ChannelConfig(name="Price", kind="treatment", base_effectiveness=-0.3).base_effectiveness == -0.3


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kpi_type": "profit"}, "kpi_type must be one of 'revenue', 'non_revenue'; got 'profit'"),
        ({"revenue_per_kpi": 2.0}, "revenue_per_kpi must be None when kpi_type='revenue'"),
        ({"kpi_type": "non_revenue", "revenue_per_kpi": 0.0}, "revenue_per_kpi must be > 0; got 0.0"),
        ({"kpi_type": "non_revenue", "revenue_per_kpi": [1.0, 2.0]}, "a list of n_regions (3) numbers or a list of "
         "n_regions lists of n_periods (129) numbers; got a list of 2"),
        ({"kpi_type": "non_revenue", "revenue_per_kpi": [[1.0] * 3, 2.0, 2.0]},
         "revenue_per_kpi[0] must be a list of n_periods (129) numbers; got a list of 3"),
    ],
)
def test_kpi_errors_name_the_field(fields, message):
    with pytest.raises(ConfigError) as info:
        xmmm.customize_preset("multi_region", n_periods=129, regions={"n_regions": 3}, **fields)
    assert message in str(info.value)


def test_customizing_sizes_keeps_per_geo_and_per_period_inputs_valid():
    shorter = xmmm.customize_preset("non_revenue_kpi", n_periods=60, regions={"n_regions": 3})
    assert shorter.regions.population == 3_300_000.0  # the total, split in proportion to the baseline level
    assert len(shorter.revenue_per_kpi) == 3 and len(shorter.revenue_per_kpi[0]) == 60
    full = xmmm.get_preset_config("non_revenue_kpi").revenue_per_kpi
    assert shorter.revenue_per_kpi[0][5] == pytest.approx(sum(row[5] for row in full) / 4)
    with pytest.raises(ConfigError, match=r"revenue_per_kpi\[0\] must be a list of n_periods \(130\) numbers"):
        xmmm.customize_preset("non_revenue_kpi", n_periods=130)


def test_population_errors_and_cost_trend_that_reaches_zero():
    with pytest.raises(ConfigError, match=r"population must be a number or a list of n_regions \(2\) numbers"):
        RegionConfig(n_regions=2, population=[1.0])
    with pytest.raises(ConfigError, match=r"population\[1\] must be > 0; got -5"):
        RegionConfig(n_regions=2, population=[1.0, -5])
    with pytest.raises(ConfigError, match="cost_trend must keep the cost above zero"):
        MMMDataConfig(n_periods=200, seed=1, channels=[
            ChannelConfig(name="D", unit="impressions", cost_per_unit=5.0, cost_trend=-0.01)])


def test_treatments_ignore_the_transforms():
    config = every_kind(transforms=TransformConfig(adstock_kwargs={"alpha": 0.5, "l_max": 4}))
    ds = xmmm.generate_dataset(config)
    assert list(ds.adstock_function.sel(channel=["Promo", "Price"]).values) == ["none", "none"]
    assert list(ds.saturation_function.sel(channel=["Promo", "Price"]).values) == ["none", "none"]


def test_summary_and_describe_read_kinds_and_revenue(ds):
    from xmmm.cli import describe
    from xmmm.ground_truth import channel_summary

    table = channel_summary(ds)
    assert list(table.columns) == ["kind", "spend", "contribution", "revenue", "ROAS", "mROAS", "attribution %"]
    paid = table["kind"].isin(["paid", "reach_frequency"])
    np.testing.assert_allclose(table["ROAS"][paid], (table["revenue"] / table["spend"])[paid], rtol=1e-12)
    assert table["ROAS"][~paid].isna().all() and table.loc[["x7-Promo", "x8-Price"], "attribution %"].isna().all()
    assert table["attribution %"].sum() == pytest.approx(100.0)
    text = describe(ds)
    assert "ROAS = revenue / spend" in text and "reach_frequency" in text
    truth = xmmm.MMMResult(ds)["ground_truth"]
    assert truth["incremental_outcomes"]["geo_1"]["Promo"] == pytest.approx(
        float(ds.incremental_outcome.sel(geo="geo_1", channel="Promo").sum("date")))


def test_a_prior_on_the_level_of_an_organic_channel():
    config = every_kind(n_periods=20, revenue_per_kpi=2.0)
    priors = {"channels[Newsletter].base_spend": {"dist": "LogNormal", "mu": 12.0, "sigma": 0.3}}
    study = xmmm.simulate(config, 2, priors=priors)
    for r in (0, 1):
        one = xmmm.generate_dataset(xmmm.replicate_config(config, r, priors), replicate=r)
        np.testing.assert_array_equal(study["exposure"].sel(replicate=r).values, one["exposure"].values)
    level = study["spend_level"].sel(channel="Newsletter").isel(geo=0)
    assert level[0] != level[1] and float(level[0]) != 200_000.0


# --------------------------------------------------------------------------- counterfactuals and harder worlds
def test_counterfactual_functions_take_every_kind(ds):
    """Each channel off on the same random numbers (a treatment at its baseline value) removes its contribution."""
    from xmmm.counterfactuals import counterfactual, incremental_outcome, response_curves

    lift = incremental_outcome(ds)
    assert lift.dims == ("date", "geo", "channel")
    contribution = ds.contribution.transpose(*lift.dims)
    top = float(np.abs(contribution).max())
    np.testing.assert_allclose(lift, contribution, rtol=0, atol=1e-12 * top)
    # paired runs, not a restatement: the treatments' lift is against their baseline values
    assert (np.abs(lift.sel(channel=["Promo", "Price"])).sum("date") > 0).all()
    same = counterfactual(ds, scale=1.0)
    assert all(ds[v].equals(same[v]) for v in ds.data_vars)  # the generation's bits, drawn again
    promo = [str(c) for c in ds.channel_column.sel(channel=["Promo"]).values][0]
    off = counterfactual(ds, scale={promo: 0.0})
    np.testing.assert_allclose(off.treatment_value.sel(channel="Promo"), 0.0)  # its baseline value
    np.testing.assert_allclose(ds.y - off.y, ds.contribution.sel(channel="Promo"), rtol=0, atol=1e-12 * top)
    with pytest.raises(ValueError, match="spend-only data"):
        xmmm.optimal_budget(ds)


def test_response_curves_take_every_kind(ds):
    """Each kind's curve, from runs that scale every channel at once, equals a run that scales it alone."""
    from xmmm.counterfactuals import counterfactual, response_curves

    curves = response_curves(ds, scales=[0.0, 0.5, 1.0, 1.5])
    top = float(np.abs(ds.contribution).sum("date").max())
    np.testing.assert_allclose(curves.incremental_outcome.sel(scale=1.0), ds.contribution.sum(["date", "geo"]),
                               rtol=0, atol=1e-12 * top)
    np.testing.assert_array_equal(curves.incremental_outcome.sel(scale=0.0), 0.0)
    for name in ("TV", "Newsletter", "Promo"):  # a paid channel, organic media, a treatment
        column = str(ds.channel_column.sel(channel=name).values)
        alone = counterfactual(ds, scale={column: 1.5}).contribution.sel(channel=name).sum()
        np.testing.assert_allclose(curves.incremental_outcome.sel(scale=1.5, channel=name), alone,
                                   rtol=0, atol=1e-12 * top)
    # no spend, but a response: organic media and treatments have an outcome and no ROAS
    unpaid = curves.sel(channel=["Newsletter", "Promo", "Price"])
    assert unpaid.incremental_outcome.sel(scale=1.5).notnull().all() and unpaid.roas.isnull().all()
    # the non-revenue KPI: ROAS and marginal ROAS in revenue, as the dataset's truth at today's spend
    assert curves.roas.attrs["units"] == "revenue per currency" and "incremental_revenue" in curves
    by_geo = response_curves(ds, scales=[1.0], by=("geo", "channel"))
    paid = [str(c) for c in ds.channel.values if str(ds.channel_kind.sel(channel=c).values) not in
            ("organic", "organic_reach_frequency", "treatment")]
    for name in ("roas", "mroas"):
        np.testing.assert_allclose(by_geo[name].sel(scale=1.0, channel=paid),
                                   ds[name].sel(channel=paid).transpose("geo", "channel"), rtol=1e-9)
    with pytest.raises(ConfigError, match="carryover must be 'window' for data with media inputs"):
        response_curves(ds, carryover="full")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"outcome_model": "multiplicative"}, "outcome_model must be 'additive' for a config with media inputs"),
    ({"regions.noise": "lognormal"}, "regions.noise must not be 'lognormal'"),
    ({"channels.TV.spend_policy": "target_chasing", "channels.TV.policy_strength": 0.5},
     r"channels\[0\] \('TV'\).spend_policy must be 'exogenous'"),
    ({"channels.Newsletter.effectiveness_variation": 0.2}, r"channels\[4\] \('Newsletter'\).effectiveness_variation"),
    ({"data_issues": {"outlier_share": 0.02}}, "data_issues must be None"),
])
def test_media_inputs_refuse_the_options_that_couple_channels(overrides, message):
    with pytest.raises(ConfigError, match=message):
        apply_overrides(every_kind(), overrides)
    # the same options stay allowed for spend-only channels
    spend_only = MMMDataConfig(channels=[ChannelConfig(name="TV"), ChannelConfig(name="Newsletter")], seed=1)
    spend_only_overrides = {k: v for k, v in overrides.items() if not k.startswith("channels.")}
    apply_overrides(spend_only, spend_only_overrides)
