"""Sampled ground truth: distributions, paths, draws and their validation."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from scipy import stats

import xmmm
from xmmm.config import DEFAULT_CONFIG
from xmmm.errors import ConfigError
from xmmm.priors import (
    DISTRIBUTIONS,
    PriorSpec,
    parse_prior,
    parse_priors,
    prior_variable_name,
    sample_base,
    to_preliz,
    to_scipy,
    valid_paths,
)

CFG = DEFAULT_CONFIG  # seed 42; channels x-TV, x-Search, x-Social; controls price, promotion

#: one valid parameter set per distribution, so that a new entry needs a line here
EXAMPLES = {
    "Normal": {"mu": 1.0, "sigma": 2.0},
    "HalfNormal": {"sigma": 2.0},
    "LogNormal": {"mu": 0.5, "sigma": 0.3},
    "LogitNormal": {"mu": 0.0, "sigma": 1.0},
    "TruncatedNormal": {"mu": 0.5, "sigma": 0.2, "lower": 0.0, "upper": 1.0},
    "Beta": {"alpha": 2.0, "beta": 5.0},
    "Gamma": {"alpha": 3.0, "beta": 2.0},
    "InverseGamma": {"alpha": 3.0, "beta": 2.0},
    "Exponential": {"lam": 2.0},
    "Uniform": {"lower": 1.0, "upper": 3.0},
    "HalfCauchy": {"beta": 1.0},
    "Cauchy": {"alpha": 0.0, "beta": 1.0},
    "StudentT": {"nu": 5.0, "mu": 1.0, "sigma": 2.0},
    "HalfStudentT": {"nu": 5.0, "sigma": 2.0},
    "Laplace": {"mu": 0.0, "b": 1.0},
    "Logistic": {"mu": 0.0, "s": 1.0},
    "Weibull": {"alpha": 1.5, "beta": 2.0},
    "Gumbel": {"mu": 0.0, "beta": 1.0},
    "Triangular": {"lower": 0.0, "upper": 2.0, "c": 0.5},
    "SkewNormal": {"alpha": 2.0, "mu": 0.0, "sigma": 1.0},
    "ChiSquared": {"nu": 3.0},
    "Pareto": {"alpha": 3.0, "m": 1.0},
}


def _prior_class():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = pytest.importorskip("pymc_extras.prior")
    return module.Prior


# --------------------------------------------------------------------------- distributions
def test_every_distribution_has_an_example():
    assert set(EXAMPLES) == set(DISTRIBUTIONS)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_quantiles_are_finite_and_increasing(name):
    dist = to_scipy({"dist": name, **EXAMPLES[name]})
    u = np.linspace(0.001, 0.999, 101)
    q = np.asarray(dist.ppf(u))
    assert np.isfinite(q).all()
    assert (np.diff(q) >= 0).all()
    lo, hi = dist.support()
    assert (q >= lo).all() and (q <= hi).all()


@pytest.mark.parametrize(
    ("prior", "reference"),
    [
        # PyMC's parameterisations, written out as scipy distributions
        ({"dist": "Gamma", "alpha": 3.0, "beta": 2.0}, stats.gamma(a=3.0, scale=0.5)),
        ({"dist": "Gamma", "mu": 2.0, "sigma": 0.5}, stats.gamma(a=16.0, scale=0.125)),
        ({"dist": "LogNormal", "mu": 0.5, "sigma": 0.3}, stats.lognorm(s=0.3, scale=math.exp(0.5))),
        ({"dist": "LogNormal", "mu": 0.5, "tau": 4.0}, stats.lognorm(s=0.5, scale=math.exp(0.5))),
        ({"dist": "HalfNormal", "sigma": 2.0}, stats.halfnorm(scale=2.0)),
        ({"dist": "Normal", "mu": 1.0, "tau": 0.25}, stats.norm(1.0, 2.0)),
        ({"dist": "Beta", "mu": 0.25, "sigma": 0.1}, stats.beta(a=0.25 * 17.75, b=0.75 * 17.75)),
        ({"dist": "Beta", "mu": 0.25, "nu": 8.0}, stats.beta(a=2.0, b=6.0)),
        ({"dist": "InverseGamma", "alpha": 3.0}, stats.invgamma(a=3.0, scale=1.0)),
        ({"dist": "Exponential", "lam": 4.0}, stats.expon(scale=0.25)),
        ({"dist": "Exponential", "scale": 4.0}, stats.expon(scale=4.0)),
        ({"dist": "Uniform", "lower": 1.0, "upper": 3.0}, stats.uniform(1.0, 2.0)),
        ({"dist": "StudentT", "nu": 5.0, "mu": 1.0, "lam": 0.25}, stats.t(5.0, 1.0, 2.0)),
        ({"dist": "Weibull", "alpha": 1.5, "beta": 2.0}, stats.weibull_min(c=1.5, scale=2.0)),
    ],
)
def test_pymc_parameterisations(prior, reference):
    u = np.array([0.01, 0.2, 0.5, 0.8, 0.99])
    np.testing.assert_allclose(to_scipy(prior).ppf(u), reference.ppf(u), rtol=1e-12)


@pytest.mark.parametrize(
    ("prior", "mean", "sd"),
    [
        ({"dist": "Gamma", "mu": 2.0, "sigma": 0.5}, 2.0, 0.5),
        ({"dist": "Beta", "mu": 0.3, "sigma": 0.1}, 0.3, 0.1),
        ({"dist": "InverseGamma", "mu": 2.0, "sigma": 0.5}, 2.0, 0.5),
    ],
)
def test_mean_sigma_parameterisations_have_that_mean_and_sd(prior, mean, sd):
    dist = to_scipy(prior)
    assert dist.mean() == pytest.approx(mean)
    assert dist.std() == pytest.approx(sd)


def test_half_student_t_and_logit_normal():
    u = np.array([0.1, 0.5, 0.9])
    half = to_scipy({"dist": "HalfStudentT", "nu": 4.0, "sigma": 2.0}).ppf(u)
    np.testing.assert_allclose(half, stats.t(4.0, scale=2.0).ppf(0.5 + u / 2))
    logit = to_scipy({"dist": "LogitNormal", "mu": 0.2, "sigma": 0.5}).ppf(u)
    np.testing.assert_allclose(logit, 1 / (1 + np.exp(-stats.norm(0.2, 0.5).ppf(u))))


@pytest.mark.parametrize(
    ("prior", "attributes"),
    [
        ({"dist": "Beta", "mu": 0.25, "nu": 8.0}, {"alpha": 2.0, "beta": 6.0}),
        ({"dist": "Gamma", "mu": 2.0, "sigma": 0.5}, {"alpha": 16.0, "beta": 8.0}),
        ({"dist": "Normal", "mu": 1.0, "tau": 0.25}, {"mu": 1.0, "sigma": 2.0}),
        ({"dist": "StudentT", "nu": 5.0, "lam": 4.0}, {"nu": 5.0, "mu": 0.0, "sigma": 0.5}),
        ({"dist": "InverseGamma", "alpha": 3.0}, {"alpha": 3.0, "beta": 1.0}),
        ({"dist": "TruncatedNormal", "lower": 0.0}, {"mu": 0.0, "sigma": 1.0, "lower": 0.0, "upper": math.inf}),
    ],
)
def test_to_preliz_resolves_pymc_parameterisations_and_defaults(prior, attributes):
    dist = to_preliz(prior)
    assert type(dist).__name__ == prior["dist"]
    assert dist.is_frozen
    for name, value in attributes.items():
        assert float(getattr(dist, name)) == pytest.approx(value, rel=1e-12)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS:UserWarning")
@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_quantiles_are_those_of_the_preliz_distribution(name):
    # preliz's own quantile function (PyTensor) rounds otherwise, so it is the oracle, not the sampler
    prior = {"dist": name, **EXAMPLES[name]}
    u = np.linspace(0.02, 0.98, 25)
    np.testing.assert_allclose(to_scipy(prior).ppf(u), to_preliz(prior).ppf(u), rtol=1e-6, atol=1e-12)


def test_draws_need_neither_preliz_nor_pymc(tmp_path):
    """A parsed prior carries its quantile: the processes of a study draw with scipy alone."""
    sampled = parse_priors({"transforms.adstock_alpha": {"dist": "Beta", "mu": [0.2, 0.3, 0.4], "sigma": 0.1},
                            "regions.sales_trend": {"dist": "Normal", "mu": 0.0, "tau": 1e6}}, CFG)
    (tmp_path / "sampled.pkl").write_bytes(pickle.dumps(sampled))
    script = textwrap.dedent(f"""
        import pickle, sys
        from xmmm.config import DEFAULT_CONFIG
        from xmmm.priors import sample_base
        sampled = pickle.loads(open({str(tmp_path / "sampled.pkl")!r}, "rb").read())
        drawn = sample_base(DEFAULT_CONFIG, sampled, range(7))
        loaded = [m for m in ("preliz", "pymc", "pytensor") if m in sys.modules]
        pickle.dump((drawn, loaded), sys.stdout.buffer)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300, check=True)
    drawn, loaded = pickle.loads(done.stdout)
    assert loaded == []
    here = sample_base(CFG, sampled, range(7))
    assert drawn.keys() == here.keys()
    for key in here:
        np.testing.assert_array_equal(drawn[key], here[key])


def test_loading_preliz_keeps_matplotlib_settings(monkeypatch):
    import matplotlib

    parse_prior({"dist": "Beta", "alpha": 2, "beta": 5})  # preliz and its submodules are loaded
    # load preliz's package module afresh (it sets savefig.bbox to "tight" when it runs)
    monkeypatch.delitem(sys.modules, "preliz")
    monkeypatch.setitem(matplotlib.rcParams, "savefig.bbox", "standard")
    before = dict(matplotlib.rcParams)
    parse_prior({"dist": "Gamma", "alpha": 2, "beta": 5})
    assert "preliz" in sys.modules
    assert {k: v for k, v in matplotlib.rcParams.items() if before[k] != v} == {}


# --------------------------------------------------------------------------- parsing
def test_prior_object_and_dict_forms_give_the_same_spec():
    prior_cls = _prior_class()
    prior = prior_cls("Beta", alpha=2, beta=5)
    expected = PriorSpec("Beta", (("alpha", 2.0), ("beta", 5.0)))
    assert parse_prior(prior) == expected
    assert parse_prior({"dist": "Beta", "alpha": 2, "beta": 5}) == expected
    assert parse_prior(prior.to_dict()) == expected  # {"dist": ..., "kwargs": {...}}


def test_prior_object_and_dict_give_identical_draws():
    prior_cls = _prior_class()
    from_object = sample_base(CFG, parse_priors({"transforms.adstock_alpha": prior_cls("Beta", alpha=2, beta=5)}, CFG),
                              range(50))
    from_dict = sample_base(CFG, parse_priors({"transforms.adstock_alpha": {"dist": "Beta", "alpha": 2, "beta": 5}},
                                              CFG), range(50))
    np.testing.assert_array_equal(from_object["transforms.adstock_alpha"], from_dict["transforms.adstock_alpha"])


def test_hierarchical_and_transformed_priors_are_refused():
    prior_cls = _prior_class()
    with pytest.raises(ConfigError, match="hierarchical"):
        parse_prior(prior_cls("Normal", mu=0, sigma=prior_cls("HalfNormal", sigma=1)))
    with pytest.raises(ConfigError, match="transform"):
        parse_prior(prior_cls("Normal", mu=0, sigma=1, transform="sigmoid"))


@pytest.mark.parametrize(
    ("prior", "match"),
    [
        ({"dist": "Betta", "alpha": 1, "beta": 1}, r"unknown distribution 'Betta'; supported: Beta, "),
        ({"dist": "Beta", "alpha": 1, "gamma": 1}, r"Beta has no parameter 'gamma'; its parameters are alpha, beta"),
        ({"dist": "Beta", "alpha": 1}, "give alpha and beta, mu and sigma, or mu and nu"),
        ({"dist": "Gamma", "alpha": 1, "sigma": 1}, "give alpha and beta, or mu and sigma"),
        ({"dist": "InverseGamma", "beta": 1}, r"give alpha \(and optionally beta\), or mu and sigma"),
        ({"dist": "Exponential", "lam": 1, "scale": 1}, "Exponential: give lam or scale"),
        ({"dist": "StudentT", "nu": 3, "sigma": 1, "lam": 1}, "StudentT: give sigma or tau, not both"),
        ({"dist": "LogNormal", "sigma": 1, "tau": 2}, "LogNormal: give sigma or tau, not both"),
        ({"dist": "Cauchy", "alpha": 0}, "Cauchy: missing 1 required positional argument: 'beta'"),
        ({"dist": "SkewNormal", "beta": 1}, "SkewNormal has no parameter 'beta'; its parameters are alpha, mu, sigma, tau"),
        ({"dist": "Uniform", "lower": [0, 1], "upper": [1, 2, 3]}, "lists need one length.*lower with 2, upper with 3"),
        ({"dist": "Gamma", "alpha": -1, "beta": 1}, "not a valid distribution"),
        ({"dist": "Normal", "mu": "a"}, "must be a number"),
        ({"alpha": 1}, "needs a 'dist' key"),
        (3.0, "must be a Prior"),
    ],
)
def test_bad_distributions(prior, match):
    with pytest.raises(ConfigError, match=match):
        parse_prior(prior)


def test_valid_paths_are_the_base_value_keys():
    assert valid_paths(CFG) == [
        "regions.base_sales_rate", "regions.sales_trend", "regions.sales_volatility", "regions.seasonal_amplitude",
        "channels.base_spend", "channels.base_effectiveness", "controls.base_value", "controls.base_effectiveness",
        "transforms.adstock_alpha", "transforms.saturation_slope", "transforms.saturation_kappa",
    ]
    assert prior_variable_name("transforms.adstock_alpha") == "prior_transforms_adstock_alpha"


def test_unknown_path_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown parameter path 'channels.alpha'; valid paths are "
                                          r"regions.base_sales_rate, .*transforms.adstock_alpha"):
        parse_priors({"channels.alpha": {"dist": "Beta", "alpha": 1, "beta": 1}}, CFG)


@pytest.mark.parametrize(
    ("priors", "match"),
    [
        ({"channels[Radio].base_spend": {"dist": "HalfNormal"}}, "unknown name 'Radio'; the names are 'x-TV'"),
        ({"regions[geo_a].base_sales_rate": {"dist": "HalfNormal"}}, "unknown parameter path"),
        ({"channels.base_spend": {"dist": "HalfNormal"}, "channels[x-TV].base_spend": {"dist": "HalfNormal"}},
         "given twice"),
        ({"channels[x-TV].base_spend": {"dist": "HalfNormal", "sigma": [1.0, 2.0, 3.0]}}, "must be one value"),
        ({"channels.base_spend": {"dist": "HalfNormal", "sigma": [1.0, 2.0]}}, "a list of 3"),
        (["channels.base_spend"], "must be a mapping"),
    ],
)
def test_bad_prior_arguments(priors, match):
    with pytest.raises(ConfigError, match=match):
        parse_priors(priors, CFG)


def test_parameter_without_a_channel_using_it():
    config = DEFAULT_CONFIG.copy()
    config.transforms.saturation_fun = ["hill_function", "logistic_saturation", "hill_function"]
    config.transforms.saturation_kwargs = [{}, {}, {}]
    with pytest.raises(ConfigError, match="'x-Search''s function has no such parameter"):
        parse_priors({"transforms[x-Search].saturation_kappa": {"dist": "Beta", "alpha": 2, "beta": 2}}, config)
    # all channels: only the ones using the parameter are drawn, the others stay NaN
    (entry,) = parse_priors({"transforms.saturation_kappa": {"dist": "HalfNormal", "sigma": 1.0}}, config)
    assert entry.items == (0, 2)
    drawn = sample_base(config, [entry], range(5))["transforms.saturation_kappa"]
    assert np.isnan(drawn[:, 1]).all() and np.isfinite(drawn[:, [0, 2]]).all()


# --------------------------------------------------------------------------- draws
def test_beta_draws_have_the_moments_of_the_distribution():
    sampled = parse_priors({"transforms.adstock_alpha": {"dist": "Beta", "alpha": 2, "beta": 5}}, CFG)
    drawn = sample_base(CFG, sampled, range(4000))["transforms.adstock_alpha"]
    assert drawn.shape == (4000, 3)
    mean, var = 2 / 7, 2 * 5 / (7**2 * 8)
    se_mean = math.sqrt(var / 4000)
    np.testing.assert_allclose(drawn.mean(axis=0), mean, atol=4 * se_mean)
    np.testing.assert_allclose(drawn.var(axis=0), var, rtol=0.1)
    # draws of different channels are independent
    assert abs(np.corrcoef(drawn.T)[0, 1]) < 0.06
    # and uniform in probability: a Kolmogorov-Smirnov test does not reject
    assert stats.kstest(drawn[:, 0], stats.beta(2, 5).cdf).pvalue > 1e-3


def test_draws_depend_only_on_the_replicate_number():
    sampled = parse_priors({"channels.base_spend": {"dist": "Gamma", "mu": 4000, "sigma": 800},
                            "regions.sales_trend": {"dist": "Normal", "mu": 0, "sigma": 0.001}}, CFG)
    many = sample_base(CFG, sampled, range(20))
    for r in (0, 7, 19):
        one = sample_base(CFG, sampled, [r])
        for key in many:
            np.testing.assert_array_equal(one[key][0], many[key][r])


def test_one_channel_draws_what_all_channels_draw_for_it():
    dist = {"dist": "HalfNormal", "sigma": 0.3}
    every = sample_base(CFG, parse_priors({"channels.base_effectiveness": dist}, CFG), range(10))
    for path in ("channels[x-Search].base_effectiveness", "channels.x-Search.base_effectiveness",
                 "channels[1].base_effectiveness"):
        one = sample_base(CFG, parse_priors({path: dist}, CFG), range(10))["channels.base_effectiveness"]
        np.testing.assert_array_equal(one[:, 1], every["channels.base_effectiveness"][:, 1])
        # the other channels keep their configured values
        np.testing.assert_array_equal(one[:, 0], CFG.channels[0].base_effectiveness)
        np.testing.assert_array_equal(one[:, 2], CFG.channels[2].base_effectiveness)


def test_per_channel_parameters():
    sampled = parse_priors({"channels.base_spend": {"dist": "Uniform", "lower": [1.0, 10.0, 100.0],
                                                    "upper": [2.0, 20.0, 200.0]}}, CFG)
    drawn = sample_base(CFG, sampled, range(200))["channels.base_spend"]
    assert ((drawn >= [1, 10, 100]) & (drawn <= [2, 20, 200])).all()


def test_other_seed_other_draws():
    sampled = parse_priors({"regions.base_sales_rate": {"dist": "LogNormal", "mu": 9, "sigma": 0.2}}, CFG)
    other = CFG.copy()
    other.seed = 43
    a = sample_base(CFG, sampled, range(10))["regions.base_sales_rate"]
    b = sample_base(other, sampled, range(10))["regions.base_sales_rate"]
    assert not np.array_equal(a, b)


@pytest.mark.parametrize(
    ("path", "dist", "match"),
    [
        ("transforms.adstock_alpha", {"dist": "Normal", "mu": 0.5, "sigma": 1.0},
         r"replicate \d+ drew adstock_alpha of 'x-\w+' = .*, but adstock_alpha must be in \[0, 1\]"),
        ("regions.base_sales_rate", {"dist": "Normal", "mu": 100, "sigma": 100},
         r"base_sales_rate = .*must be > 0"),
        ("regions.seasonal_amplitude", {"dist": "Uniform", "lower": 0.5, "upper": 1.5},
         r"seasonal_amplitude must be in \[0, 1\]"),
    ],
)
def test_draws_outside_the_valid_range_name_parameter_and_replicate(path, dist, match):
    sampled = parse_priors({path: dist}, CFG)
    with pytest.raises(ConfigError, match=match):
        sample_base(CFG, sampled, range(200))


def test_valid_range_follows_each_channels_transform():
    config = DEFAULT_CONFIG.copy()
    config.transforms.saturation_fun = ["hill_function", "logistic_saturation", "hill_function"]
    config.transforms.saturation_kwargs = [{}, {}, {}]
    spec = xmmm.transforms.get_transform("saturation", "logistic_saturation")
    assert "lam" in [p.name for p in spec.numeric_parameters]
    sampled = parse_priors({"transforms.saturation_lam": {"dist": "Normal", "mu": 1.0, "sigma": 2.0}}, config)
    with pytest.raises(ConfigError, match="saturation_lam of 'x-Search'"):
        sample_base(config, sampled, range(100))
