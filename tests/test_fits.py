"""The ready fit functions: settings, names, validation; Meridian's fit where Meridian is installed."""

from __future__ import annotations

import importlib.util
import pickle

import pytest

import xmmm
from xmmm.errors import ConfigError
from xmmm.fits import by_name, meridian, pymc_marketing


def test_pymc_marketing_fit_settings_and_name():
    fit = pymc_marketing(draws=50, tune=80, chains=3, sampler="pymc", nuts={"max_treedepth": 5})
    assert (fit.draws, fit.tune, fit.chains, fit.sampler, fit.target) == (50, 80, 3, "pymc", "pymc-marketing")
    assert fit.name == "pymc-marketing(sampler=pymc, draws=50, tune=80, chains=3, nuts={'max_treedepth': 5})"
    assert pickle.loads(pickle.dumps(fit)) == fit  # runs on dask workers
    assert pymc_marketing(10, sampler="pymc").name != pymc_marketing(20, sampler="pymc").name


def test_default_sampler_is_nutpie_when_installed():
    expected = "nutpie" if importlib.util.find_spec("nutpie") else "pymc"
    assert pymc_marketing().sampler == expected


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sampler": "stan"}, "sampler must be one of 'nutpie', 'pymc'; got 'stan'"),
        ({"draws": 0}, "draws must be an integer >= 1; got 0"),
        ({"chains": 1.5}, "chains must be an integer >= 1; got 1.5"),
        ({"target_accept": 1.2}, "target_accept must be a number in \\(0, 1\\); got 1.2"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        pymc_marketing(**kwargs)


def test_by_name_and_the_wrong_hand_off():
    assert by_name("pymc-marketing", draws=5, sampler="pymc").draws == 5
    assert by_name("meridian", draws=5, sampler="pymc").target == "meridian"
    with pytest.raises(ConfigError, match="fit must be one of"):
        by_name("robyn")
    meridian_handoff = xmmm.to_meridian(xmmm.generate_mmm_dataset(n_periods=20))
    with pytest.raises(TypeError, match="takes a PymcMarketingHandoff"):
        pymc_marketing(sampler="pymc")(meridian_handoff)
    with pytest.raises(TypeError, match="takes a MeridianHandoff"):
        meridian()(object())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_meridian_fit_is_scored_under_meridians_names():
    pytest.importorskip("meridian")
    config = xmmm.MMMDataConfig(
        n_periods=40,
        channels=[xmmm.ChannelConfig("TV", base_spend=5000, base_effectiveness=0.25),
                  xmmm.ChannelConfig("Search", base_spend=3000, base_effectiveness=0.15)],
        regions=xmmm.RegionConfig(n_regions=1, seasonal_amplitude=0.0),
        seed=3,
    )
    handoff = xmmm.to_meridian(xmmm.generate_dataset(config))
    idata = meridian(draws=20, tune=20, chains=1)(handoff)
    scores = xmmm.score(handoff.truth, idata)
    assert {"roi", "alpha_m", "slope_m"} <= set(scores["variable"].values)
    assert set(scores["channel"].values) == {"x1-TV", "x2-Search"}
