"""Library families: the rules, moving presets inside, and the generation options they need."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import xmmm
from xmmm.config import RegionConfig, TransformConfig, apply_overrides
from xmmm.errors import ConfigError, XmmmWarning
from xmmm.targets import (
    JULIAN_YEAR_DAYS,
    MEDIAN_TO_MAX,
    TARGETS,
    family_problems,
    geometric_alpha_like,
    hill_like,
    to_target,
    validate_config,
)
from xmmm.transforms import get_transform

PRESETS = list(xmmm.list_available_presets())
CASES = [(name, target) for name in PRESETS for target in TARGETS]


def _transforms(config, family):
    """The transforms of the media channels (non-media treatments take none)."""
    return [config.transforms.for_channel(i, family) for i, c in enumerate(config.channels) if c.kind != "treatment"]


def _kinds(ds, *kinds):
    if "channel_kind" not in ds.coords:
        return list(ds["channel"].values)
    return [c for c, k in zip(ds["channel"].values, ds["channel_kind"].values) if k in kinds]


# --------------------------------------------------------------------------- the presets moved inside
@pytest.mark.parametrize(("name", "target"), CASES)
def test_target_preset_is_inside_its_family_and_keeps_its_story(name, target):
    plain = xmmm.get_preset_config(name)
    moved = xmmm.get_preset_config(name, target=target)
    assert family_problems(moved, target) == []
    validate_config(moved, target=target)
    # same business: channels, patterns, spend levels, regions, sizes, controls, seed
    assert moved.channel_names == plain.channel_names and moved.control_names == plain.control_names
    assert [c.pattern for c in moved.channels] == [c.pattern for c in plain.channels]
    assert [c.base_spend for c in moved.channels] == [c.base_spend for c in plain.channels]
    assert (moved.n_periods, moved.frequency, moved.seed) == (plain.n_periods, plain.frequency, plain.seed)
    assert moved.region_names == plain.region_names
    assert moved.regions.base_sales_rate == plain.regions.base_sales_rate
    # one adstock with the longest l_max of the preset
    adstocks = _transforms(moved, "adstock")
    assert len({name for name, _ in adstocks}) == 1
    assert {p["l_max"] for _, p in adstocks} == {max(p["l_max"] for _, p in _transforms(plain, "adstock"))}
    # the plain preset is untouched
    assert xmmm.get_preset_config(name).to_dict() == plain.to_dict()


@pytest.mark.parametrize(("name", "target"), CASES)
def test_target_preset_generates_believable_data_without_warnings(name, target):
    config = xmmm.get_preset_config(name, target=target)
    with warnings.catch_warnings():
        warnings.simplefilter("error", XmmmWarning)
        ds = xmmm.generate_dataset(config)
    share = ds["media_share"].values
    assert ((share >= 10) & (share <= 40)).all(), share
    # every channel with an effect earns a visible share (a placebo channel, without effect, none); treatments
    # are not media (no attribution) and organic media have no spend (no ROAS)
    effective = np.array([c.base_effectiveness > 0 for c in config.channels])
    media = np.isin(ds["channel"].values, _kinds(ds, "paid", "reach_frequency", "organic", "organic_reach_frequency"))
    paid = np.isin(ds["channel"].values, _kinds(ds, "paid", "reach_frequency"))
    attribution = ds["attribution"].transpose(..., "channel").values
    assert (attribution[..., effective & media] >= 1).all() and (attribution[..., ~effective] == 0).all()
    roas = ds["roas"].transpose(..., "channel").values[..., effective & paid]
    assert ((roas >= 0.2) & (roas <= 10)).all(), (roas.min(), roas.max())
    if target == "meridian":
        assert "population" in ds and ds["spend_scale"].dims == ("geo", "channel")


def test_plain_presets_are_outside_both_families_and_say_why():
    """As they stand, every preset mixes l_max (and more), except meridian_full (made inside Meridian's family)."""
    for name in PRESETS:
        config = xmmm.get_preset_config(name)
        for target in TARGETS:
            if (name, target) == ("meridian_full", "meridian"):
                assert family_problems(config, target) == []
                continue
            problems = family_problems(config, target)
            assert problems, (name, target)
            with pytest.raises(ConfigError) as info:
                validate_config(config, target=target)
            assert all(p in str(info.value) for p in problems)


def test_family_problems_name_each_way_a_config_is_outside():
    research = xmmm.get_preset_config("research")
    problems = family_problems(research, "pymc-marketing")
    assert problems[0].startswith("transforms.adstock_fun: pymc-marketing's MMM takes one adstock for all channels; "
                                  "channels use geometric_adstock (TV, Search), delayed_adstock (Social)")
    assert any(p.startswith("transforms.saturation_fun:") for p in problems)
    assert any(p.startswith("regions.seasonal_period_days must be 365.25") for p in problems)
    problems = family_problems(research, "meridian")
    assert any("Meridian's adstock is geometric" in p for p in problems)
    assert any("Meridian's saturation is a Hill curve" in p and "tanh_saturation (Display)" in p for p in problems)
    assert any(p.startswith("regions.transform_variation must be 0 with several regions") for p in problems)
    assert any(p.startswith("transforms.spend_scaling must be 'per_capita_median'") for p in problems)
    # a single region: any scaling, any variation
    national = xmmm.customize_preset("basic", target="meridian", transforms={"spend_scaling": "max"})
    assert family_problems(national, "meridian") == []
    listed = apply_overrides(xmmm.get_preset_config("multi_region", target="meridian"),
                             {"regions": {"population": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}})
    assert any(p.startswith("regions.population must be None or a total") for p in family_problems(listed, "meridian"))
    hourly = apply_overrides(xmmm.get_preset_config("basic", target="meridian"), {"frequency": "h", "n_periods": 24})
    assert any(p.startswith("frequency must be daily or longer") for p in family_problems(hourly, "meridian"))


def test_validate_config_without_target_is_the_plain_check():
    validate_config(xmmm.get_preset_config("research"))
    with pytest.raises(ConfigError, match="target must be None or one of 'pymc-marketing', 'meridian'; got 'robyn'"):
        validate_config(xmmm.get_preset_config("basic"), target="robyn")
    assert xmmm.validate_config is validate_config


def test_unknown_target_is_a_config_error():
    with pytest.raises(ConfigError, match="target must be None or one of"):
        xmmm.get_preset_config("basic", target="lightweight")
    with pytest.raises(ConfigError, match="target must be None or one of"):
        xmmm.customize_preset("basic", target="Meridian")


def test_customize_preset_with_a_target_stays_inside():
    config = xmmm.customize_preset("multi_region", target="meridian", n_periods=52, regions={"n_regions": 3})
    assert config.n_periods == 52 and config.regions.n_regions == 3
    assert family_problems(config, "meridian") == []
    with pytest.raises(ConfigError, match="regions.transform_variation must be 0 with several regions"):
        xmmm.customize_preset("multi_region", target="meridian", regions={"transform_variation": 0.2})
    with pytest.raises(ConfigError, match="takes one l_max"):
        xmmm.customize_preset("demo", target="pymc-marketing",
                              transforms={"adstock_kwargs": [{"alpha": 0.5, "l_max": 4}] + [{"alpha": 0.5}] * 4})


def test_conversions_keep_what_is_exact():
    research = xmmm.get_preset_config("research")
    moved = to_target(research, "meridian")
    saturation = dict(zip(moved.channel_names, _transforms(moved, "saturation")))
    # Michaelis-Menten is a Hill curve with slope 1: kept for Meridian, its half-point on the median scale
    assert saturation["Social"] == ("michaelis_menten", {"alpha": 1.0, "lam": 0.4 * MEDIAN_TO_MAX})
    # tanh: a Hill curve with the same half-saturation point, its ceiling b in the effectiveness
    kappa = float(f"{1.0 * 0.6 * math.atanh(0.5) * MEDIAN_TO_MAX:.3g}")
    assert saturation["Display"] == ("hill_function", {"slope": 1.65, "kappa": kappa})
    moved = to_target(research, "pymc-marketing")
    saturation = dict(zip(moved.channel_names, _transforms(moved, "saturation")))
    assert saturation["Social"] == ("hill_function", {"slope": 1.0, "kappa": 0.4})
    adstock = dict(zip(moved.channel_names, _transforms(moved, "adstock")))
    assert adstock["TV"][1]["alpha"] == 0.6  # a geometric channel keeps its alpha
    assert moved.regions.seasonal_period_days == JULIAN_YEAR_DAYS


def test_a_uniform_config_keeps_its_functions_for_pymc_marketing():
    config = xmmm.customize_preset("basic", transforms={
        "adstock_fun": "delayed_adstock", "adstock_kwargs": [{"alpha": 0.5, "theta": 1.0, "l_max": k} for k in (8, 4, 6)],
        "saturation_fun": "logistic_saturation", "saturation_kwargs": {"lam": 2.0}})
    moved = to_target(config, "pymc-marketing")
    assert {name for name, _ in _transforms(moved, "adstock")} == {"delayed_adstock"}
    assert {p["l_max"] for _, p in _transforms(moved, "adstock")} == {8}
    assert {name for name, _ in _transforms(moved, "saturation")} == {"logistic_saturation"}


def test_a_curve_without_a_ceiling_cannot_be_moved():
    config = xmmm.customize_preset("basic", transforms={"saturation_fun": ["hill_function", "root_saturation",
                                                                          "hill_function"],
                                                        "saturation_kwargs": [{}, {"alpha": 0.5}, {}]})
    with pytest.raises(ConfigError, match=r"channels\[1\] \('Search'\): root_saturation has no Hill equivalent"):
        to_target(config, "meridian")


def test_hill_like_is_exact_for_hill_and_michaelis_menten_and_matches_half_point_and_elasticity_otherwise():
    x = np.linspace(0.01, 5.0, 500)
    mm = get_transform("saturation", "michaelis_menten")
    hill = get_transform("saturation", "hill_function")
    kappa, slope, ceiling, exact = hill_like("michaelis_menten", {"alpha": 2.0, "lam": 0.7})
    assert exact
    np.testing.assert_allclose(ceiling * hill.apply(x, slope=slope, kappa=kappa), mm.apply(x, alpha=2.0, lam=0.7),
                               rtol=1e-13)
    for name, params in (("logistic_saturation", {"lam": 1.7}), ("tanh_saturation", {"b": 2.0, "c": 0.8})):
        spec = get_transform("saturation", name)
        kappa, slope, ceiling, exact = (np.asarray(v) if not isinstance(v, bool) else v for v in hill_like(name, params))
        assert not exact
        assert math.isclose(float(spec.apply(np.array([float(kappa)]), **params)[0]), float(ceiling) / 2, rel_tol=1e-12)
        h = 1e-6
        f = lambda v: float(spec.apply(np.array([v]), **params)[0])  # noqa: E731
        elasticity = (math.log(f(kappa * (1 + h))) - math.log(f(kappa * (1 - h)))) / (math.log1p(h) - math.log1p(-h))
        assert math.isclose(elasticity, float(slope) / 2, rel_tol=1e-6)  # Hill: s/2 at its half point
    assert hill_like("root_saturation", {"alpha": 0.5}) is None


def test_geometric_alpha_like_matches_the_mean_lag():
    spec = get_transform("adstock", "delayed_adstock")
    w = spec.weights(alpha=0.7, theta=2.0, l_max=10, normalize=True)
    target = float((w * np.arange(10)).sum())
    alpha = float(geometric_alpha_like("delayed_adstock", {"alpha": 0.7, "theta": 2.0, "l_max": 10}, 12))
    g = alpha ** np.arange(12)
    assert math.isclose(float((g * np.arange(12)).sum() / g.sum()), target, rel_tol=1e-9)
    assert float(geometric_alpha_like("none", {}, 8)) == 0.0


# --------------------------------------------------------------------------- generation options
def test_population_options():
    base = xmmm.customize_preset("multi_region", n_periods=20)
    ds = xmmm.generate_dataset(base)
    assert "population" not in ds  # default: nothing stored, today's bytes
    level = ds["baseline_level"].isel(date=0)
    total = xmmm.generate_dataset(xmmm.customize_preset("multi_region", n_periods=20,
                                                        regions={"population": 6e6}))
    np.testing.assert_allclose(total["population"].values, 6e6 * level.values / float(level.sum()), rtol=1e-14)
    listed = [1e5, 2e5, 3e5, 4e5, 5e5, 6e5]
    given = xmmm.generate_dataset(xmmm.customize_preset("multi_region", n_periods=20, regions={"population": listed}))
    np.testing.assert_array_equal(given["population"].values, listed)
    # the population does not change the data unless a per-capita scaling uses it
    np.testing.assert_array_equal(given["y"].values, ds["y"].values)
    with pytest.raises(ConfigError, match=r"RegionConfig.population must be a number or a list of n_regions \(6\)"):
        RegionConfig(n_regions=6, population=[1.0, 2.0])
    with pytest.raises(ConfigError, match=r"population\[1\] must be > 0; got -2.0"):
        RegionConfig(n_regions=2, population=[1.0, -2.0])


def test_per_capita_median_scaling_is_meridians():
    config = xmmm.customize_preset("multi_region", n_periods=40, transforms={"spend_scaling": "per_capita_median"},
                                   regions={"population": [1e5, 2e5, 3e5, 4e5, 5e5, 6e5]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XmmmWarning)
        ds = xmmm.generate_dataset(config)
    population = ds["population"]
    per_head = (ds["spend"] / population).where(ds["spend"] > 0)
    median = per_head.median(["date", "geo"])  # numpy's median of the non-zero values, as Meridian
    np.testing.assert_allclose(ds["spend_scale"].values, (population * median).transpose("geo", "channel").values,
                               rtol=1e-15)
    with pytest.raises(ConfigError, match="spend_scaling must be one of 'max', 'mean', 'none', 'per_capita_median'"):
        TransformConfig(spend_scaling="median")


def test_seasonal_period_days_puts_the_seasonality_on_pymc_marketings_year():
    config = xmmm.customize_preset("basic", n_periods=60, regions={"seasonal_period_days": 365.25})
    ds = xmmm.generate_dataset(config)
    dates = pd.DatetimeIndex(ds["date"].values)
    level = ds["baseline_level"].isel(geo=0)
    expected = level * 0.1 * np.sin(2 * np.pi * dates.day_of_year.to_numpy() / 365.25)
    np.testing.assert_allclose(ds["baseline_seasonality"].isel(geo=0).values, expected.values, rtol=1e-13)
    with pytest.raises(ConfigError, match="seasonal_period_days must be > 0"):
        RegionConfig(seasonal_period_days=0.0)


# --------------------------------------------------------------------------- the command line
def test_cli_generate_target(tmp_path):
    from xmmm import cli

    out = tmp_path / "basic.nc"
    assert cli.main(["generate", "--preset", "basic", "--target", "meridian", "--periods", "30",
                     "--out", str(out)]) == 0
    ds = xmmm.open_dataset(out)
    assert set(ds["adstock_l_max"].values) == {8} and "population" in ds
    assert xmmm.to_meridian(ds).exact
    assert cli.main(["generate", "--preset", "basic", "--target", "robyn", "--out", str(out)]) == 2


def test_readme_table_of_families_is_current():
    from pathlib import Path

    from xmmm.presets import families_table_markdown

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert families_table_markdown() in readme
