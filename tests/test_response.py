"""Response curves: against full counterfactual runs, against an independent numpy computation, and their identities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

import xmmm
from xmmm import ChannelConfig, ConfigError, MMMDataConfig, RegionConfig, TransformConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="xtensor module is experimental", category=UserWarning)
    pytest.importorskip("pymc_marketing.mmm.transformers")
from test_kernels import compile_pymc  # noqa: E402

SCALES = np.array([0.0, 0.35, 1.0, 1.6])


@pytest.fixture(scope="module")
def research():
    return xmmm.generate_mmm_dataset(xmmm.customize_preset("research", n_periods=60, seed=2))


def total_outcome(result, **scale) -> float:
    """y summed over dates and geos of a full counterfactual run."""
    return float(xmmm.counterfactual(result, **scale).dataset["y"].sum())


def linear_config(mode: str = "After") -> MMMDataConfig:
    return MMMDataConfig(
        n_periods=40,
        channels=[
            ChannelConfig(name="TV", pattern="seasonal", base_spend=2000.0, base_effectiveness=0.2),
            ChannelConfig(name="Search", pattern="on_off", base_spend=1000.0, base_effectiveness=0.1,
                          activation_probability=0.6),
        ],
        regions=RegionConfig(n_regions=2),
        transforms=TransformConfig(
            adstock_fun="geometric_adstock",
            adstock_kwargs=[{"alpha": 0.7, "l_max": 6, "mode": mode}, {"alpha": 0.4, "l_max": 6, "mode": mode}],
            saturation_fun=["none", "hill_function"], saturation_kwargs=[{}, {"slope": 0.8, "kappa": 0.5}],
        ),
        seed=4,
    )


# --------------------------------------------------------------------------- identities
@pytest.mark.parametrize("by", ["channel", ("geo", "channel")])
def test_response_at_one_is_the_sum_of_contributions_and_at_zero_is_zero(research, by):
    ds = research.dataset
    curves = xmmm.response_curves(research, by=by)
    sums = ds["contribution"].sum("date" if by != "channel" else ["date", "geo"])
    np.testing.assert_allclose(curves["incremental_outcome"].sel(scale=1.0), sums.transpose(*sums.dims), rtol=1e-12)
    assert (curves["incremental_outcome"].sel(scale=0.0) == 0).all()
    np.testing.assert_allclose(curves["current_incremental_outcome"], sums, rtol=1e-12)
    np.testing.assert_allclose(curves["spend"].sel(scale=1.6), 1.6 * curves["current_spend"], rtol=1e-15)
    assert curves["incremental_outcome"].dims == (("scale", "geo", "channel") if by != "channel" else ("scale", "channel"))


def test_response_curves_equal_full_counterfactual_runs(research):
    curves = xmmm.response_curves(research, scales=SCALES)
    for channel in ("TV", "Social", "Radio"):
        off = total_outcome(research, scale={channel: 0.0})
        for s in SCALES:
            expected = total_outcome(research, scale={channel: float(s)}) - off
            assert float(curves["incremental_outcome"].sel(scale=s, channel=channel)) == pytest.approx(
                expected, rel=1e-9, abs=1e-6)


def test_geo_channel_curves_equal_counterfactuals_of_one_geo(research):
    ds = research.dataset
    curves = xmmm.response_curves(research, scales=[0.5], by=("geo", "channel"))
    one = xr.DataArray(
        np.where((np.arange(ds.sizes["geo"])[:, None] == 2) & (np.arange(ds.sizes["channel"]) == 3), 0.5, 1.0),
        dims=("geo", "channel"), coords={"geo": ds["geo"], "channel": ds["channel"]},
    )
    off = xr.where(one < 1, 0.0, 1.0)
    expected = total_outcome(research, scale=one) - total_outcome(research, scale=off)
    got = float(curves["incremental_outcome"].isel(scale=0, geo=2, channel=3))
    assert got == pytest.approx(expected, rel=1e-9)


def test_marginal_roas_is_the_slope_of_the_outcome(research):
    curves = xmmm.response_curves(research, scales=[0.6, 1.0])
    h = 1e-4
    spend = research.dataset["spend"].sum(["date", "geo"])
    for channel in ("TV", "Search", "Display"):
        for s in (0.6, 1.0):
            up = total_outcome(research, scale={channel: s + h})
            down = total_outcome(research, scale={channel: s - h})
            slope = (up - down) / (2 * h * float(spend.sel(channel=channel)))
            assert float(curves["mroas"].sel(scale=s, channel=channel)) == pytest.approx(slope, rel=1e-5)


def test_roas_at_zero_spend_is_its_limit(research):
    curves = xmmm.response_curves(research, scales=[0.0, 1e-7, 1.0])
    np.testing.assert_allclose(curves["roas"].sel(scale=0.0), curves["mroas"].sel(scale=0.0))
    # S-shaped curves (Hill, slope > 1) start flat: their ROAS tends to 0 like scale ** (slope - 1)
    atol = 1e-3 * float(curves["roas"].sel(scale=1.0).max())
    np.testing.assert_allclose(curves["roas"].sel(scale=1e-7), curves["roas"].sel(scale=0.0), rtol=1e-5, atol=atol)


def test_a_linear_channel_has_constant_roas_equal_to_mroas():
    result = xmmm.generate_mmm_dataset(linear_config())
    curves = xmmm.response_curves(result)
    tv = curves.sel(channel="TV")
    np.testing.assert_allclose(tv["roas"], tv["mroas"], rtol=1e-12)
    np.testing.assert_allclose(tv["roas"], tv["roas"].isel(scale=5), rtol=1e-12)
    # the Hill channel (slope < 1) is not linear: its ROAS falls along the curve (from infinity at 0)
    search = curves.sel(channel="Search")
    assert np.isinf(search["roas"].values[0]) and np.isinf(search["mroas"].values[0])
    assert (np.diff(search["roas"].values[1:]) < 0).all() and (search["mroas"] < search["roas"])[1:].all()


# --------------------------------------------------------------------------- carry-over past the window
def independent_full_response(ds: xr.Dataset, channel: str, scale: float) -> float:
    """Every contribution the window's spend causes: numpy's full convolution, pymc-marketing's saturation."""
    j = list(ds["channel"].values).index(channel)
    alpha = ds["adstock_alpha"].sel(channel=channel).values
    l_max = int(ds["adstock_l_max"].values[j])
    x = (scale * ds["spend"].sel(channel=channel) / ds["spend_scale"].sel(channel=channel)).transpose("geo", "date").values
    rows = []
    for g in range(x.shape[0]):
        w = alpha[g] ** np.arange(l_max)
        if bool(ds["adstock_normalize"].values[j]):
            w = w / w.sum()
        rows.append(np.convolve(x[g], w))  # length T + l_max - 1: before, inside and after the window
    adstocked = np.array(rows)
    spec = xmmm.transforms.get_transform("saturation", str(ds["saturation_function"].values[j]))
    params = {p.name: ds[f"saturation_{p.name}"].sel(channel=channel).values for p in spec.numeric_parameters}
    if spec.pymc_function is None:
        saturated = adstocked
    else:
        saturated = compile_pymc(spec, {})(np.ascontiguousarray(adstocked), params)
    return float((ds["channel_coefficient"].sel(channel=channel).values[:, None] * saturated).sum())


@pytest.mark.filterwarnings("ignore:xtensor module is experimental:UserWarning")
@pytest.mark.parametrize("mode", ["After", "Before", "Overlap"])
def test_full_carryover_counts_every_contribution_of_the_window_spend(mode):
    result = xmmm.generate_mmm_dataset(linear_config(mode))
    ds = result.dataset
    full = xmmm.response_curves(result, scales=[0.5, 1.0], carryover="full")
    window = xmmm.response_curves(result, scales=[0.5, 1.0])
    for channel in ("TV", "Search"):
        for s in (0.5, 1.0):
            expected = independent_full_response(ds, channel, s)
            assert float(full["incremental_outcome"].sel(scale=s, channel=channel)) == pytest.approx(expected, rel=1e-10)
        # with carry-over the window misses some of it, never more
        assert (full["incremental_outcome"] > window["incremental_outcome"]).sel(channel=channel).all()


# --------------------------------------------------------------------------- studies and arguments
def test_a_study_is_every_replicate_at_once_and_lazy_where_it_is():
    config = xmmm.customize_preset("multi_region", n_periods=40)
    priors = {"channels.base_effectiveness": {"dist": "HalfNormal", "sigma": 0.3}}
    study = xmmm.simulate(config, 3, priors=priors)
    curves = xmmm.response_curves(study, scales=[0.5, 1.0])
    assert curves["incremental_outcome"].dims == ("replicate", "scale", "channel")
    for r in (0, 2):
        one = xmmm.response_curves(xmmm.replicate_dataset(study, r), scales=[0.5, 1.0])
        xr.testing.assert_allclose(curves.sel(replicate=r, drop=True), one, rtol=1e-12)
    lazy = xmmm.response_curves(xmmm.simulate(config, 3, priors=priors, chunks=2), scales=[0.5, 1.0])
    assert lazy["incremental_outcome"].chunks is not None
    xr.testing.assert_allclose(lazy.compute(), curves, rtol=1e-12)


def test_bad_arguments_are_named(research):
    with pytest.raises(ConfigError, match="by must be 'channel' or"):
        xmmm.response_curves(research, by="geo")
    with pytest.raises(ConfigError, match="carryover must be one of 'window', 'full'"):
        xmmm.response_curves(research, carryover="all")
    with pytest.raises(ConfigError, match="scales must be finite numbers >= 0"):
        xmmm.response_curves(research, scales=[-0.5, 1.0])
