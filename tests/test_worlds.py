"""Harder worlds: time-varying effects, noise models, multiplicative outcomes, data problems.

Every option is off by default; with one on, the truth stays exact: ``y`` is
the sum of its stored components, ``y - baseline_noise`` the mean, and each
data problem shows only where its mask says.  Moment checks use tolerances
derived from the sample size (each named where it is computed).
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm import (
    ChannelConfig,
    ConfigError,
    ControlConfig,
    DataIssues,
    LevelBreak,
    MissingData,
    MMMDataConfig,
    Placebo,
    RegionConfig,
    TimeVariation,
    TransformConfig,
    generate_dataset,
)
from xmmm.engine import Interventions, run
from xmmm.plan import Plan

#: z of a two-sided check: a correct implementation fails one such check in about 1.6 million
Z = 5.0

OPTIONAL = ("effectiveness_multiplier", "incremental_outcome", "log_contribution", "log_control_effect",
            "log_baseline", "baseline_drift", "baseline_break", "missing", "outlier", "y_observed",
            "spend_observed", "placebo")


def config(n_periods=80, n_regions=2, channels=None, controls=True, **kwargs) -> MMMDataConfig:
    channels = channels or [
        ChannelConfig(name="TV", pattern="seasonal", base_spend=4000.0, base_effectiveness=0.25),
        ChannelConfig(name="Search", pattern="linear_trend", base_spend=2000.0, spend_trend=0.01,
                      base_effectiveness=0.15),
        ChannelConfig(name="Social", pattern="on_off", base_spend=1500.0, base_effectiveness=0.1),
    ]
    regions = kwargs.pop("regions", {})
    return MMMDataConfig(
        n_periods=n_periods,
        channels=channels,
        regions=RegionConfig(n_regions=n_regions, base_sales_rate=20000.0, sales_trend=0.002, **regions),
        control_variables=[ControlConfig(name="price", pattern="seasonal", base_value=9.0, base_effectiveness=-0.1),
                           ControlConfig(name="promo", pattern="on_off", base_value=1.0, base_effectiveness=0.05)]
        if controls else [],
        seed=5,
        **kwargs,
    )


def parts_sum(ds: xr.Dataset) -> xr.DataArray:
    """``baseline + sum of control effects + sum of contributions``, summed as the outcome block does."""
    control = ds["control_effect"].sum("control") if ds.sizes.get("control") else 0.0
    return ds["baseline"] + control + ds["contribution"].sum("channel")


def expected_baseline(ds: xr.Dataset) -> xr.DataArray:
    total = ds["baseline_level"] + ds["baseline_trend"] + ds["baseline_seasonality"]
    for name in ("baseline_drift", "baseline_break"):
        if name in ds:
            total = total + ds[name]
    return total


# --------------------------------------------------------------------------- configuration
def test_every_option_is_off_by_default_and_adds_no_variable():
    base = config()
    assert base.outcome_model == "additive" and base.data_issues is None
    assert base.regions.noise == "normal" and base.regions.noise_ar == 0 and base.regions.level_variation is None
    assert all(c.effectiveness_variation is None for c in base.channels)
    plain = generate_dataset(base)
    assert not set(OPTIONAL) & set(plain.variables)
    # an empty DataIssues is no problem at all: the same variables and bits
    xr.testing.assert_identical(generate_dataset(config(data_issues=DataIssues())).drop_attrs(), plain.drop_attrs())


def test_options_round_trip_through_plain_data_and_dicts():
    c = config(outcome_model="multiplicative", regions={"noise": "student_t", "noise_df": 7.0, "noise_ar": 0.3,
                                                        "level_variation": {"kind": "fourier", "amplitude": 0.1}})
    c.channels[0].effectiveness_variation = {"kind": "step", "ratio": 1.5, "at": "2020-06-07"}  # set after creation
    c.data_issues = {"missing": [{"start": "2020-03-01", "end": "2020-03-15", "geos": ["geo_1"]}],
                     "breaks": [{"date": "2020-09-06", "size": -0.1}], "outlier_share": 0.01,
                     "spend_noise": {"Search": 0.2}}
    xmmm.validate_config(c)  # dicts set later are made into their dataclasses here
    assert isinstance(c.channels[0].effectiveness_variation, TimeVariation)
    assert isinstance(c.data_issues, DataIssues) and isinstance(c.data_issues.breaks[0], LevelBreak)
    back = MMMDataConfig.from_dict(c.to_dict())
    assert back.to_dict() == c.to_dict()
    xr.testing.assert_identical(generate_dataset(back), generate_dataset(c))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(outcome_model="log"), r"^outcome_model must be one of 'additive', 'multiplicative'; got 'log'$"),
        (dict(regions={"noise": "cauchy"}), r"^regions\.noise must be one of 'normal', .*; got 'cauchy'$"),
        (dict(regions={"noise": "student_t", "noise_df": 2}), r"^regions\.noise_df must be > 2; got 2$"),
        (dict(regions={"noise": "ar1"}), r"^regions\.noise_ar must be non-zero when noise='ar1'"),
        (dict(regions={"noise_ar": 1.0}), r"^regions\.noise_ar must be in \(-1, 1\); got 1\.0$"),
        (dict(regions={"level_variation": {"kind": "wiggle"}}),
         r"^regions\.level_variation\.kind must be one of 'gp', 'fourier', 'linear', 'step'; got 'wiggle'$"),
        (dict(regions={"level_variation": {"kind": "step", "at": "2031-01-01"}}),
         r"^regions\.level_variation\.at must be a date after 2020-01-05 and not after .*; got '2031-01-01'$"),
        (dict(data_issues={"breaks": [{"date": "2019-01-01"}]}), r"^data_issues\.breaks\[0\]\.date must be a date after"),
        (dict(data_issues={"missing": [{"geos": ["nowhere"]}]}), r"^data_issues\.missing\[0\]\.geos must be names"),
        (dict(data_issues={"placebo": [{"channel": "Social", "source": "TV"}]}),
         r"^data_issues\.placebo\[0\]\.channel must be a channel with base_effectiveness=0 .*; got 'Social'$"),
        (dict(data_issues={"placebo": [{"channel": "Radio", "source": "TV"}]}),
         r"^data_issues\.placebo\[0\]\.channel must be the name of a channel in channels"),
        (dict(data_issues={"outlier_share": 0.5}), r"^data_issues\.outlier_share must be in \[0, 0\.2\]; got 0\.5$"),
    ],
)
def test_bad_options_are_one_line_errors_naming_the_field(change, message):
    with pytest.raises(ConfigError, match=message) as err:
        c = config()
        for key, value in change.items():
            if key == "regions":
                for k, v in value.items():
                    setattr(c.regions, k, v)
            else:
                setattr(c, key, value)
        xmmm.validate_config(c)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("spelling", "name"), [("Student-t", "student_t"), ("t", "student_t"),
                                               ("log-normal", "lognormal"), ("AR(1)", "ar1"),
                                               ("Gaussian", "normal"), ("Heteroskedastic", "heteroscedastic")])
def test_other_spellings_of_a_noise_model_are_that_model(spelling, name):
    spelled = xmmm.customize_preset("basic", regions={"noise": spelling, "noise_ar": 0.3})
    assert spelled.regions.noise == name
    assigned = xmmm.get_preset_config("basic")
    assigned.regions.noise, assigned.regions.noise_ar = spelling, 0.3     # set after construction
    np.testing.assert_array_equal(generate_dataset(assigned)["y"].values, generate_dataset(spelled)["y"].values)
    assert xmmm.customize_preset("basic", outcome_model="Multiplicative").outcome_model == "multiplicative"


# --------------------------------------------------------------------------- time-varying effects
def _multipliers(spec: TimeVariation, n_periods=60, n_regions=40, replicates=range(50)) -> np.ndarray:
    c = config(n_periods=n_periods, n_regions=n_regions, channels=[
        ChannelConfig(name="TV", pattern="seasonal", base_spend=4000.0, base_effectiveness=0.2,
                      effectiveness_variation=spec)], controls=False)
    return run(Plan.build(c, list(replicates)))["effectiveness_multiplier"][:, :, 0, :].reshape(-1, n_periods)


@pytest.mark.parametrize("spec", [TimeVariation(kind="gp", amplitude=0.4, length_scale=8.0),
                                  TimeVariation(kind="fourier", amplitude=0.3, length_scale=30.0, n_terms=3),
                                  TimeVariation(kind="linear", ratio=2.0),
                                  TimeVariation(kind="step", ratio=0.5, at="2020-06-07")])
def test_multiplier_is_positive_with_mean_one(spec):
    m = _multipliers(spec, replicates=[0, 1])
    assert (m > 0).all()
    np.testing.assert_allclose(m.mean(axis=-1), 1.0, rtol=1e-13)


def test_linear_and_step_paths_have_their_ratio():
    m = _multipliers(TimeVariation(kind="linear", ratio=2.0), replicates=[0])
    np.testing.assert_allclose(m[:, -1] / m[:, 0], 2.0, rtol=1e-13)
    np.testing.assert_allclose(np.diff(m, 2), 0.0, atol=1e-13)          # a straight line
    m = _multipliers(TimeVariation(kind="step", ratio=0.5, at="2020-06-07"), replicates=[0])
    dates = config(n_periods=60).dates
    after = np.asarray(dates >= "2020-06-07")
    np.testing.assert_allclose(m[:, after] / m[:, [0]], 0.5, rtol=1e-13)
    np.testing.assert_allclose(m[:, ~after] / m[:, [0]], 1.0, rtol=1e-13)


def _variance_check(d: np.ndarray, expected: np.ndarray) -> None:
    """Sample variance (known mean 0) against ``expected``, within Z standard errors.

    The standard error of a variance estimate from n draws is sqrt((m4 - s^4) / n),
    with the fourth moment m4 estimated from the same draws.
    """
    n = d.shape[0]
    s2 = (d**2).mean(axis=0)
    se = np.sqrt(((d**4).mean(axis=0) - s2**2) / n)
    assert (np.abs(s2 - expected) <= Z * se).all(), (s2, expected, se)


def test_random_feature_sum_is_the_sum_of_cosines():
    from xmmm.kernels.timeseries import cosine_features

    rng = np.random.default_rng(3)
    omega, phase = rng.normal(size=(3, 4, 64)) / 2.0, rng.uniform(0, 2 * np.pi, size=(3, 4, 64))
    t = np.arange(1000.0)
    direct = np.cos(omega[..., None] * t + phase[..., None]).sum(axis=-2)
    # rotated between direct cosines every 32 periods: within rounding of the direct sum
    np.testing.assert_allclose(cosine_features(omega, phase, len(t)), direct, rtol=0, atol=1e-11)


def test_gp_path_has_the_squared_exponential_kernel():
    # log m differs from f by a constant per path, so increments carry the kernel:
    # var(f_t - f_0) = 2 a^2 (1 - exp(-t^2 / (2 l^2))), exactly for random Fourier features
    a, ell = 0.4, 8.0
    m = _multipliers(TimeVariation(kind="gp", amplitude=a, length_scale=ell), n_periods=30, replicates=range(100))
    lags = np.arange(1, 30)
    d = np.log(m[:, lags]) - np.log(m[:, [0]])
    _variance_check(d, 2 * a**2 * (1 - np.exp(-(lags**2) / (2 * ell**2))))


def test_fourier_path_has_its_variance():
    # f_t - f_0 = sum_k a_k (sin - sin0) + b_k (cos - cos0): variance (a^2 / K) sum_k 2 (1 - cos(2 pi k t / P))
    a, period, k = 0.3, 30.0, 3
    m = _multipliers(TimeVariation(kind="fourier", amplitude=a, length_scale=period, n_terms=k), replicates=range(100))
    lags = np.arange(1, 30)  # within one period: at the period itself the increment is exactly 0
    d = np.log(m[:, lags]) - np.log(m[:, [0]])
    harmonics = np.arange(1, k + 1)[:, None]
    expected = (a**2 / k) * (2 * (1 - np.cos(2 * np.pi * harmonics * lags / period))).sum(axis=0)
    _variance_check(d, expected)


def test_time_varying_effect_moves_only_its_channel():
    plain = config()
    varied = config()
    varied.channels[1].effectiveness_variation = TimeVariation(kind="gp", amplitude=0.5, length_scale=10.0)
    a, b = generate_dataset(plain), generate_dataset(varied)
    for name in ("spend", "saturated", "control_effect", "baseline", "baseline_noise"):
        xr.testing.assert_identical(a[name], b[name])
    xr.testing.assert_identical(a["contribution"].sel(channel=["TV", "Social"]),
                                b["contribution"].sel(channel=["TV", "Social"]))
    m = b["effectiveness_multiplier"]
    assert (m.sel(channel=["TV", "Social"]) == 1).all() and not (m.sel(channel="Search") == 1).all()
    # the effect follows the multiplier: the same saturated signal, scaled in time
    np.testing.assert_allclose(b["contribution"].sel(channel="Search"),
                               a["contribution"].sel(channel="Search") * m.sel(channel="Search"), rtol=1e-13)
    assert (parts_sum(b) == b["y"]).all()


def test_time_varying_baseline_level_is_a_component_of_mean_zero():
    c = config(regions={"level_variation": {"kind": "gp", "amplitude": 0.1, "length_scale": 12.0}})
    ds, plain = generate_dataset(c), generate_dataset(config())
    drift = ds["baseline_drift"]
    np.testing.assert_allclose(drift.mean("date"), 0.0, atol=1e-9 * float(ds["baseline_level"].max()))
    xr.testing.assert_identical(ds["contribution"], plain["contribution"])
    np.testing.assert_allclose(ds["baseline"] - plain["baseline"], drift, rtol=1e-12, atol=1e-9)
    assert (parts_sum(ds) == ds["y"]).all()


def test_time_varying_preset_has_a_doubling_effect_and_its_twin_with_the_same_average_response():
    config_ = xmmm.get_preset_config("time_varying")
    ds = generate_dataset(config_)
    m = ds["effectiveness_multiplier"].sel(geo="national")
    assert config_.n_periods == 104 and config_.frequency == "W"               # two years, weekly
    np.testing.assert_allclose(float(m.sel(channel="TV")[-1] / m.sel(channel="TV")[0]), 2.0, rtol=1e-12)
    assert (m.sel(channel="TV-twin") == 1).all()
    # same average response: for every sustained spend x, the twin's response equals TV's averaged over the
    # dates, mean_t m_t * beta * f(g x) = beta * f(g x), because mean_t m_t = 1 and the two channels share
    # beta, adstock and saturation (in currency units, one region)
    np.testing.assert_allclose(float(m.sel(channel="TV").mean()), 1.0, rtol=1e-13)
    plan = Plan.from_dataset(ds)
    x = np.linspace(0.0, 30000.0, 61)[None, :]
    tv, twin = plan.steady_state_contribution("TV", x), plan.steady_state_contribution("TV-twin", x)
    averaged = float(m.sel(channel="TV").mean()) * tv
    np.testing.assert_allclose(twin, averaged, rtol=1e-12)
    assert np.ptp(tv) > 0 and tv[0, -1] / tv[0, 30] < 1.9                      # the curve bends: saturation


# --------------------------------------------------------------------------- noise models
N_GEOS, N_PERIODS = 400, 500  # 200,000 errors per model


def _noise_world(noise: str, sigma: float = 0.05, **regions):
    """A large panel whose outcome is dominated by nothing but the baseline: (dataset, expected baseline)."""
    c = config(n_periods=N_PERIODS, n_regions=N_GEOS, controls=False, channels=[
        ChannelConfig(name="TV", pattern="linear_trend", base_spend=1000.0, base_effectiveness=0.1)],
        regions={"noise": noise, "sales_volatility": sigma, "seasonal_amplitude": 0.2, **regions})
    ds = generate_dataset(c)
    return ds, expected_baseline(ds).transpose("geo", "date").values


def _standardised(ds, sigma: float = 0.05) -> np.ndarray:
    return (ds["baseline_noise"] / (ds["baseline_level"] * sigma)).transpose("geo", "date").values


def _check_mean_and_variance(e: np.ndarray, rho: float = 0.0) -> None:
    """Mean 0 and variance 1 of standardised errors, within Z standard errors.

    For an AR(1) with lag-1 autocorrelation rho, the mean of n draws has variance
    (1 + rho) / (1 - rho) / n and the sample variance (normal errors) 2 (1 + rho^2) / (1 - rho^2) / n;
    for independent errors, the variance estimate's standard error is sqrt((m4 - 1) / n).
    """
    n = e.size
    inflation = (1 + rho) / (1 - rho)
    assert abs(e.mean()) <= Z * np.sqrt(inflation / n), e.mean()
    var_se = np.sqrt(2 * (1 + rho**2) / (1 - rho**2) / n) if rho else np.sqrt(((e**4).mean() - 1) / n)
    assert abs(e.var() - 1) <= Z * var_se, (e.var(), var_se)


def _hill_tail_index(x: np.ndarray, k: int) -> tuple[float, float]:
    """Hill's estimate of the tail index from the k largest |x|, and its asymptotic standard error (index / sqrt(k))."""
    top = np.sort(np.abs(x.ravel()))[-(k + 1):]
    alpha = 1.0 / np.mean(np.log(top[1:] / top[0]))
    return alpha, alpha / np.sqrt(k)


def _lag1(e: np.ndarray) -> float:
    """Pooled lag-1 autocorrelation of zero-mean series (geo, date)."""
    return float((e[:, 1:] * e[:, :-1]).sum() / (e**2).sum())


@pytest.mark.parametrize("noise", ["normal", "student_t", "ar1", "heteroscedastic", "lognormal"])
def test_y_minus_noise_is_the_exact_mean(noise):
    ds, expected = _noise_world(noise, noise_ar=0.5 if noise == "ar1" else 0.0)
    assert (parts_sum(ds) == ds["y"]).all()
    mean = expected + ds["contribution"].sum("channel").transpose("geo", "date").values
    np.testing.assert_allclose((ds["y"] - ds["baseline_noise"]).transpose("geo", "date").values, mean, rtol=1e-12)


def test_normal_errors_have_unit_variance_and_no_autocorrelation():
    ds, _ = _noise_world("normal")
    e = _standardised(ds)
    _check_mean_and_variance(e)
    assert abs(_lag1(e)) <= Z / np.sqrt(e.size)       # sd of a lag-1 autocorrelation estimate: 1 / sqrt(n)


def test_student_t_errors_have_unit_variance_and_their_tail_index():
    ds, _ = _noise_world("student_t", noise_df=10.0)
    _check_mean_and_variance(_standardised(ds))         # nu = 10: the fourth moment of the variance check exists
    heavy, _ = _noise_world("student_t", sigma=0.005, noise_df=3.0)   # small: the largest of 200,000 t(3) stays > -L
    e = _standardised(heavy, 0.005)
    # k = sqrt(n) upper order statistics: the Hill estimator's bias for a t tail, of order (k / n)^(2 / nu),
    # is then below a tenth of its standard error
    k = int(np.sqrt(e.size))
    alpha, se = _hill_tail_index(e, k)
    assert abs(alpha - 3.0) <= Z * se, (alpha, se)
    normal, _ = _noise_world("normal")
    assert _hill_tail_index(_standardised(normal), k)[0] > 3.0 + Z * se   # a normal tail is much thinner


def test_ar1_errors_have_their_autocorrelation_and_unit_variance():
    rho = 0.6
    ds, _ = _noise_world("ar1", noise_ar=rho)
    e = _standardised(ds)
    _check_mean_and_variance(e, rho)
    # standard error of the pooled estimate sqrt((1 - rho^2) / n), plus its O(1/T) bias bound (1 + 3 rho) / T
    assert abs(_lag1(e) - rho) <= Z * np.sqrt((1 - rho**2) / e.size) + (1 + 3 * rho) / N_PERIODS


def test_heteroscedastic_errors_scale_with_the_expected_baseline_on_the_same_shocks():
    ds, expected = _noise_world("heteroscedastic")
    normal, _ = _noise_world("normal")
    scaled = ds["baseline_noise"].transpose("geo", "date").values / (expected * 0.05)
    # common random numbers: the same standardised shocks as the normal model, only their scale changes
    np.testing.assert_allclose(scaled, _standardised(normal), rtol=1e-10, atol=1e-12)
    _check_mean_and_variance(scaled)
    raw = ds["baseline_noise"].transpose("geo", "date").values
    high = expected > np.median(expected)
    assert raw[high].std() > raw[~high].std()


def test_lognormal_noise_is_multiplicative_with_mean_one():
    sigma = 0.05
    ds, _ = _noise_world("lognormal")
    y = ds["y"].transpose("geo", "date").values
    mean = (ds["y"] - ds["baseline_noise"]).transpose("geo", "date").values
    log_eta = np.log(y / mean)
    n = log_eta.size
    assert abs(log_eta.mean() + sigma**2 / 2) <= Z * sigma / np.sqrt(n)
    _check_mean_and_variance((log_eta + sigma**2 / 2) / sigma)
    eta = y / mean
    assert abs(eta.mean() - 1) <= Z * eta.std() / np.sqrt(n)
    # the noise scales the whole mean, media included: the incremental outcome is the contribution times eta
    np.testing.assert_allclose(ds["incremental_outcome"].sel(channel="TV").transpose("geo", "date").values,
                               ds["contribution"].sel(channel="TV").transpose("geo", "date").values * eta,
                               rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("noise", ["normal", "student_t", "ar1", "heteroscedastic"])
def test_additive_noise_does_not_depend_on_the_media(noise):
    c = config(regions={"noise": noise, "noise_ar": 0.4 if noise == "ar1" else 0.0})
    c.channels[0].effectiveness_variation = TimeVariation(kind="gp", amplitude=0.3, length_scale=10.0)
    plan = Plan.build(c, [0])
    full = run(plan)
    assert "incremental_outcome" not in full
    off = np.ones_like(full["spend"])
    off[:, :, 0, :] = 0.0
    without = run(plan, Interventions(scale=off))
    np.testing.assert_array_equal(full["baseline_noise"], without["baseline_noise"])
    np.testing.assert_allclose(full["y"] - without["y"], full["contribution"][:, :, 0, :], rtol=1e-9, atol=1e-7)


# --------------------------------------------------------------------------- multiplicative outcome
@pytest.fixture(scope="module")
def multiplicative():
    c = config(outcome_model="multiplicative")
    c.channels[2].effectiveness_variation = TimeVariation(kind="linear", ratio=1.5)
    return generate_dataset(c)


def test_multiplicative_decomposition_adds_up_exactly(multiplicative):
    ds = multiplicative
    assert (parts_sum(ds) == ds["y"]).all()                                  # y is the sum, to the bit
    expected = expected_baseline(ds)
    mean = ds["y"] - ds["baseline_noise"]
    lift = ds["contribution"].sum("channel") + ds["control_effect"].sum("control")
    np.testing.assert_allclose(lift, mean - expected, rtol=1e-9, atol=1e-9 * float(expected.max()))
    # the log-scale decomposition: log mu = log B + sum log(1 + u_k) + sum log(1 + e_c)
    log_parts = ds["log_baseline"] + ds["log_control_effect"].sum("control") + ds["log_contribution"].sum("channel")
    np.testing.assert_allclose(np.log(mean), log_parts, rtol=1e-12)
    np.testing.assert_allclose(ds["log_baseline"], np.log(expected), rtol=1e-14)
    # each contribution has the sign of its factor's log (a price control's is negative)
    assert ((ds["contribution"] >= 0) == (ds["log_contribution"] >= 0)).all()
    assert (ds["control_effect"].sel(control="price") < 0).all()


def test_multiplicative_effects_are_shares_times_the_baseline(multiplicative):
    ds = multiplicative
    # 1 + e_c = exp(log_contribution) with e_c = effectiveness x multiplier x saturated (the effectiveness is
    # the channel coefficient: a share of the baseline)
    np.testing.assert_array_equal(ds["channel_coefficient"], ds["effectiveness"])
    share = (ds["effectiveness"] * ds["effectiveness_multiplier"] * ds["saturated"]).transpose("date", "geo", "channel")
    np.testing.assert_allclose(np.expm1(ds["log_contribution"]), share, rtol=1e-12, atol=1e-15)


def test_incremental_outcome_comes_from_paired_runs_and_differs_from_the_contribution(multiplicative):
    ds = multiplicative
    mean = ds["y"] - ds["baseline_noise"]
    # oracle from the factor form: mu - mu / (1 + e_c); the engine's figure comes from re-running it
    oracle = mean * (1.0 - np.exp(-ds["log_contribution"]))
    np.testing.assert_allclose(ds["incremental_outcome"], oracle, rtol=1e-9, atol=1e-9 * float(mean.max()))
    gap = np.abs(ds["incremental_outcome"] - ds["contribution"]).max()
    assert gap > 1e-3 * float(ds["contribution"].max())                     # the effects interact
    roas = (ds["incremental_outcome"].sum("date") / ds["spend"].sum("date")).transpose("geo", "channel")
    np.testing.assert_allclose(ds["roas"], roas, rtol=1e-12)
    np.testing.assert_allclose(ds["attribution"].sum("channel"), 100.0, rtol=1e-12)


def test_a_single_factor_gets_exactly_its_incremental_outcome():
    c = config(outcome_model="multiplicative", controls=False,
               channels=[ChannelConfig(name="TV", pattern="seasonal", base_spend=4000.0, base_effectiveness=0.3)])
    ds = generate_dataset(c)
    np.testing.assert_allclose(ds["incremental_outcome"], ds["contribution"], rtol=1e-9)


def test_multiplicative_marginal_roas_is_the_finite_difference_of_paired_runs(multiplicative):
    c = MMMDataConfig.from_dict(__import__("json").loads(multiplicative.attrs["xmmm_config"]))
    plan = Plan.build(c, [0])
    base = run(plan, paired=False)
    step = xmmm.ground_truth.MARGINAL_STEP
    for j in range(len(c.channels)):
        up = np.ones_like(base["spend"])
        up[:, :, j, :] = 1.0 + step
        extra = (run(plan, Interventions(scale=up), paired=False)["y"] - base["y"]).sum(axis=-1)
        np.testing.assert_allclose(multiplicative["mroas"].isel(channel=j),
                                   extra[0] / (step * base["spend"][0, :, j, :].sum(axis=-1)), rtol=1e-7)


# --------------------------------------------------------------------------- data problems
def placebo_config(method="shift", **placebo) -> MMMDataConfig:
    c = config(n_periods=104, n_regions=3)
    c.channels.append(ChannelConfig(name="TV-placebo", pattern="seasonal", base_effectiveness=0.0))
    c.data_issues = DataIssues(placebo=[Placebo(channel="TV-placebo", source="TV", method=method, **placebo)])
    xmmm.validate_config(c)
    return c


@pytest.mark.parametrize("method", ["shift", "permute", "mix"])
def test_placebo_has_exactly_no_effect_and_changes_nothing_else(method):
    ds = generate_dataset(placebo_config(method, **({"lag": 3} if method == "shift" else {})))
    plain = generate_dataset(config(n_periods=104, n_regions=3))
    p = ds["contribution"].sel(channel="TV-placebo")
    assert (p == 0).all() and (ds["roas"].sel(channel="TV-placebo") == 0).all()
    assert (ds["attribution"].sel(channel="TV-placebo") == 0).all()
    assert ds["placebo"].sel(channel="TV-placebo").item() and not ds["placebo"].sel(channel="TV").item()
    # the world is the one without the placebo: y, every other channel and the truth, to the bit
    for name in ("y", "baseline", "control_effect", "media_share"):
        xr.testing.assert_identical(ds[name], plain[name])
    for name in ("spend", "contribution", "roas", "attribution"):
        xr.testing.assert_identical(ds[name].sel(channel=plain["channel"].values), plain[name])
    source = ds["spend"].sel(channel="TV").transpose("geo", "date").values
    copy = ds["spend"].sel(channel="TV-placebo").transpose("geo", "date").values
    corr = np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(source, copy)])
    if method == "shift":
        np.testing.assert_array_equal(copy, np.roll(source, 3, axis=-1))
        assert (corr > 0.5).all(), corr                    # a seasonal spend three weeks later: still close
    elif method == "permute":
        np.testing.assert_array_equal(np.sort(copy, axis=-1), np.sort(source, axis=-1))
    else:
        np.testing.assert_allclose(corr, 0.7, rtol=1e-9)    # the correlation is set, not hoped for
        np.testing.assert_allclose(copy.mean(axis=-1), source.mean(axis=-1), rtol=1e-12)
    assert (copy >= 0).all()


def test_placebo_shift_without_a_lag_draws_one_per_geo():
    ds = generate_dataset(placebo_config("shift"))
    source = ds["spend"].sel(channel="TV").transpose("geo", "date").values
    copy = ds["spend"].sel(channel="TV-placebo").transpose("geo", "date").values
    for a, b in zip(source, copy):
        lags = [k for k in range(1, len(a)) if np.array_equal(np.roll(a, k), b)]
        assert len(lags) == 1


@pytest.fixture(scope="module")
def messy():
    return generate_dataset(xmmm.get_preset_config("messy"))


def test_each_problem_shows_only_where_its_mask_says(messy):
    ds = messy
    missing = ds["missing"]
    assert missing.dtype == bool and missing.any() and not missing.all()
    # reported y: y + outlier where a row exists, NaN where missing; the outlier mask is outlier != 0
    seen = ~missing
    np.testing.assert_array_equal(ds["y_observed"].where(seen), (ds["y"] + ds["outlier"]).where(seen))
    assert ds["y_observed"].where(missing).isnull().all() and ds["spend_observed"].where(missing).isnull().all()
    assert ((ds["y_observed"] != ds["y"]) & seen).equals(((ds["outlier"] != 0) & seen))
    assert int((ds["outlier"] != 0).sum()) > 0
    # spend measurement error only on the channel configured with it
    ratio = (ds["spend_observed"] / ds["spend"]).where(seen & (ds["spend"] > 0))
    assert (ratio.sel(channel=["TV", "Search", "TV-placebo"]).fillna(1) == 1).all()
    assert float(ratio.sel(channel="Social").std()) > 0.05
    # the break: exactly from its date, in every geo, of 15 % of the level
    brk = ds["baseline_break"]
    after = ds["date"] >= np.datetime64("2022-09-04")
    np.testing.assert_allclose(brk.where(after, drop=True), 0.15 * ds["baseline_level"].where(after, drop=True),
                               rtol=1e-14)
    assert (brk.where(~after, drop=True) == 0).all()
    assert (parts_sum(ds) == ds["y"]).all()
    # the late region and the outage
    assert missing.sel(geo="west", date=slice(None, "2021-04-04")).all()
    assert missing.sel(date=slice("2022-02-06", "2022-02-20")).all()


def test_a_problem_changes_nothing_but_what_it_is(messy):
    config_ = xmmm.get_preset_config("messy")
    without_break = config_.copy()
    without_break.data_issues.breaks = []
    clean = config_.copy()
    clean.data_issues = DataIssues(placebo=config_.data_issues.placebo)       # the placebo is part of the world
    a, b, c = messy, generate_dataset(without_break), generate_dataset(clean)
    np.testing.assert_allclose(a["baseline"] - b["baseline"], a["baseline_break"], rtol=1e-12,
                               atol=1e-9 * float(a["baseline_level"].max()))
    for name in ("spend", "contribution", "control_effect", "baseline_noise", "missing", "outlier"):
        xr.testing.assert_identical(a[name], b[name])
    # the truth follows the real spend: measurement error and missing rows change no effect
    for name in ("spend", "contribution", "roas", "mroas", "attribution"):
        xr.testing.assert_identical(b[name], c[name])
    xr.testing.assert_identical(c["spend_observed"].rename("spend"), c["spend"].assign_attrs(c["spend_observed"].attrs))
    assert not c["missing"].any() and (c["outlier"] == 0).all()


def test_long_table_is_what_a_modeller_receives(messy):
    ds = messy
    table = xmmm.to_long_dataframe(ds)
    assert len(table) == int((~ds["missing"]).sum())
    assert not table.isna().any().any()
    back = xmmm.from_long_dataframe(table, incomplete="fill")
    np.testing.assert_array_equal(back["missing"].values, ds["missing"].transpose("date", "geo").values)
    seen = ~ds["missing"].values
    np.testing.assert_array_equal(back["y"].values[seen], ds["y_observed"].values[seen])
    np.testing.assert_array_equal(back["spend"].values[seen], ds["spend_observed"].values[seen])
    assert xmmm.validate_output_schema(table, xmmm.get_preset_config("messy")) == []
    with pytest.raises(ValueError, match=r"pair\(s\) are missing"):
        xmmm.from_long_dataframe(table)


@pytest.mark.filterwarnings("ignore:the (pymc-marketing|Meridian) hand-off is not exact")
def test_pymc_marketing_hand_off_receives_the_observed_data(messy):
    handoff = xmmm.to_pymc_marketing(messy)
    table = xmmm.to_long_dataframe(messy)
    assert len(handoff.X) == len(table)
    np.testing.assert_array_equal(handoff.y.to_numpy(), table["y"].to_numpy())


def test_random_gaps_have_the_configured_share():
    share, run_ = 0.1, 3
    c = config(n_periods=500, n_regions=200, controls=False,
               data_issues=DataIssues(missing_share=share, missing_run=run_))
    m = generate_dataset(c)["missing"].transpose("geo", "date").values
    # gaps come in runs of mean length (1 + run) / 2: the share's standard error is that of a
    # renewal process, bounded by sqrt(share (1 - share) * mean run length / n) times 2 for the runs
    se = 2 * np.sqrt(share * (1 - share) * (1 + run_) / 2 / m.size)
    assert abs(m.mean() - share) <= Z * se, (m.mean(), se)


def test_quality_report_says_what_it_sees_and_what_it_cannot(messy):
    report = xmmm.check_data_quality(messy, warn=False)
    assert report.passed and report.warnings == []
    seen, unseen = " ".join(report.seen), " ".join(report.unseen)
    assert "rows are missing" in seen and "geo(s) with no row at all" not in seen
    assert "outlier" in seen and "level shifts on 2022-09-04" in seen
    assert "'TV-placebo' is a placebo" in unseen and "measurement error" in unseen
    true = messy["outlier"].where(~messy["missing"], 0).transpose("geo", "date").values != 0
    flags = xmmm.detect.flag_outliers(messy["y_observed"].transpose("geo", "date").values)
    assert (flags & true).sum() >= 0.5 * true.sum() and (flags & ~true).sum() <= true.sum()
    np.testing.assert_array_equal(report.metrics["outliers_true"].values, true.sum(axis=1))
    np.testing.assert_allclose(report.metrics["missing_share"].values,
                               messy["missing"].transpose("geo", "date").values.mean(axis=1))
    table = xmmm.check_data_quality(xmmm.to_long_dataframe(messy), warn=False)
    assert "rows are missing" in " ".join(table.seen)
    assert any("placebo" in u for u in table.unseen) and any("level shift" in u for u in table.unseen)
    clean = xmmm.check_data_quality(generate_dataset(config()), warn=False)
    assert clean.seen == [] and clean.unseen == []


def test_messy_study_replicates_and_files_keep_the_masks(messy, tmp_path):
    c = xmmm.get_preset_config("messy")
    study = xmmm.simulate(c, 2)
    xr.testing.assert_identical(xmmm.replicate_dataset(study, 0).drop_attrs(), messy.drop_attrs())
    path = tmp_path / "messy.nc"
    xmmm.MMMResult(messy).to_netcdf(path)
    xr.testing.assert_identical(xmmm.open_dataset(path), messy)
    streamed = xmmm.simulate(c, 2, path=tmp_path / "study.nc", chunks=1)    # block by block: masks as int8 + dtype
    assert streamed["missing"].dtype == bool
    xr.testing.assert_equal(streamed["missing"].load(), study["missing"])


# --------------------------------------------------------------------------- plots
def test_plots_of_the_new_truths(messy, tmp_path):
    import matplotlib.pyplot as plt

    from xmmm import plot

    tv = generate_dataset(xmmm.get_preset_config("time_varying"))
    fig = plot.plot_time_variation(tv)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["TV effectiveness", "Search effectiveness", "baseline level"]
    line = fig.axes[0].lines[0].get_ydata()
    np.testing.assert_allclose(line, tv["effectiveness_multiplier"].sel(geo="national", channel="TV").values)
    fig2 = plot.plot_data_issues(messy)
    assert len(fig2.axes) == 3 and "placebo: TV-placebo" in fig2.texts[0].get_text()
    plt.close("all")
    with pytest.raises(ValueError, match="needs a dataset generated with data_issues"):
        plot.plot_data_issues(tv)
    with pytest.raises(ValueError, match="needs a dataset with time-varying effects"):
        plot.plot_time_variation(messy)
    written = {p.name for p in plot.save_all_plots(messy, tmp_path, dpi=20)}
    assert "data_issues.png" in written and "time_variation.png" not in written


def test_with_placebo_adds_a_channel_with_no_effect():
    c = xmmm.with_placebo(config(), "Search", method="mix", correlation=0.5)
    assert c.channel_names == ["TV", "Search", "Social", "Search-placebo"]
    ds = generate_dataset(c)
    assert (ds["contribution"].sel(channel="Search-placebo") == 0).all()
    xr.testing.assert_identical(ds["y"], generate_dataset(config())["y"])
    with pytest.raises(ConfigError, match="source must be one of the channels"):
        xmmm.with_placebo(config(), "Radio")


@pytest.mark.filterwarnings("ignore:the (pymc-marketing|Meridian) hand-off is not exact")
def test_meridian_hand_off_receives_the_observed_data(messy):
    handoff = xmmm.to_meridian(messy)
    kpi = handoff.dataset["kpi"].transpose("geo", "time").values
    np.testing.assert_array_equal(kpi, messy["y_observed"].transpose("geo", "date").values)
    media = handoff.dataset["media_spend"].transpose("geo", "time", "media_channel").values
    np.testing.assert_array_equal(media, messy["spend_observed"].transpose("geo", "date", "channel").values)


def test_multiplicative_needs_positive_factors():
    c = config(outcome_model="multiplicative")
    c.control_variables[0].base_effectiveness = -1.5      # a price that would more than wipe out sales
    with pytest.raises(xmmm.GenerationError, match=r"a control factor 1 \+ effect is not positive in geo 'geo_1'"):
        generate_dataset(c)


def test_baseline_components_of_the_ground_truth_dict_add_up(messy):
    c = config(regions={"level_variation": {"kind": "linear", "ratio": 1.3}},
               data_issues={"breaks": [{"date": "2020-06-07", "size": 0.1}]})
    table = xmmm.MMMResult(generate_dataset(c))["ground_truth"]["baseline_components"]
    assert {"drift", "break"} <= set(table.columns)
    parts = table["level"] + table["trend"] + table["seasonality"] + table["drift"] + table["break"] + table["noise"]
    np.testing.assert_allclose(parts, table["baseline"], rtol=1e-12)


def test_worlds_benchmark_runs_quick(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_worlds.py"
    spec = importlib.util.spec_from_file_location("bench_worlds", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.main(["--quick"])
    assert [r[0] for r in rows][0] == "plain" and all(best > 0 for _, best, _, _ in rows)
    assert "ratio" in capsys.readouterr().out


def test_ground_truth_and_sidecar_hold_the_truths_a_table_cannot(messy, multiplicative, tmp_path):
    import json

    from xmmm.ground_truth import world_series

    frame = xmmm.MMMResult(messy)["ground_truth"]["world_series"]
    flat = messy.transpose("date", "geo", ...)
    np.testing.assert_array_equal(frame["missing"].to_numpy(), flat["missing"].values.ravel())
    np.testing.assert_array_equal(frame["outlier"].to_numpy(), flat["outlier"].values.ravel())
    np.testing.assert_array_equal(frame["spend_x3-Social"].to_numpy(),
                                  flat["spend"].sel(channel="Social").values.ravel())   # the real spend
    assert "multiplier_x1-TV" not in frame and "world_series" not in xmmm.MMMResult(
        generate_dataset(config()))["ground_truth"]
    # the log-scale decomposition adds up to the log of the mean in every row
    w = world_series(multiplicative)
    log_mean = np.log((multiplicative["y"] - multiplicative["baseline_noise"]).transpose("date", "geo").values.ravel())
    parts = w["log_baseline"] + w.filter(like="log_contribution_").sum(axis=1) + w.filter(like="log_effect_").sum(axis=1)
    np.testing.assert_allclose(parts.to_numpy(), log_mean, rtol=1e-12)
    np.testing.assert_array_equal(w["multiplier_x3-Social"].to_numpy(),
                                  multiplicative["effectiveness_multiplier"].sel(channel="Social").transpose(
                                      "date", "geo").values.ravel())
    xmmm.MMMResult(messy).to_csv(tmp_path / "messy.csv")
    series = json.loads((tmp_path / "messy.csv.truth.json").read_text())["series"]
    assert series["missing"] == frame["missing"].tolist() and len(series["y"]) == messy["missing"].size


def test_describe_names_the_options_of_a_harder_world(messy):
    from xmmm.cli import describe

    text = describe(messy)
    assert "data problems: 2 missing span(s)" in text and "placebo TV-placebo (shift of TV)" in text
    assert "spend measurement error on Social" in text
    tv = describe(generate_dataset(xmmm.get_preset_config("time_varying")))
    assert "time-varying effectiveness: TV (linear)" in tv
    plain = describe(generate_dataset(config()))
    # the plain world has none of those phrases (the optimum's lines speak of "incremental outcome")
    assert not any(word in plain for word in ("data problems", "time-varying", " noise", "multiplicative outcome"))


@pytest.mark.filterwarnings("ignore:the (pymc-marketing|Meridian) hand-off is not exact")
def test_recovery_studies_hand_over_a_messy_world_with_its_gaps_filled(messy):
    from xmmm.recovery import _handoff

    assert len(_handoff(messy, "pymc-marketing").X) == messy["missing"].size
    assert not np.isnan(_handoff(messy, "meridian").dataset["kpi"].values).any()


@pytest.mark.parametrize("world", ["multiplicative", "time_varying"])
def test_increments_are_whole_paired_runs_where_channels_or_periods_interact(world):
    from xmmm.engine import increments

    c = config(outcome_model="multiplicative") if world == "multiplicative" else config()
    if world == "time_varying":
        c.channels[1].effectiveness_variation = TimeVariation(kind="linear", ratio=2.0)
    plan = Plan.build(c, [0])
    n = len(c.channels)
    tv_off = Interventions(scale=np.array([0.0] + [1.0] * (n - 1))[:, None])
    half = Interventions(scale=np.full(n, 0.5)[:, None])
    lift = increments(plan, [tv_off, half])
    full = run(plan)
    np.testing.assert_array_equal(lift[0], full["y"] - run(plan, tv_off)["y"])
    np.testing.assert_array_equal(lift[1], full["y"] - run(plan, half)["y"])
    if world == "multiplicative":  # the stored truth is the same paired run
        np.testing.assert_array_equal(lift[0], full["incremental_outcome"][:, :, 0, :])
    else:  # the period's multiplier weighs the contribution, which an additive increment then equals
        np.testing.assert_allclose(lift[0], full["contribution"][:, :, 0, :], rtol=1e-9, atol=1e-7)
