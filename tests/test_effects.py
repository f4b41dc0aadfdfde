"""The fused media-effects kernel against the separate kernels and NumPy, bit for bit."""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest

from xmmm.kernels import adstock as adstock_kernels
from xmmm.kernels import saturation as saturation_kernels
from xmmm.kernels.effects import (
    ADSTOCK_CODES,
    MAX_PARAMETERS,
    SATURATION_CODES,
    adstock_code,
    adstock_saturation,
    media_effects,
    media_effects_stack,
    pairwise_sum,
)
from xmmm.transforms import ADSTOCK_TRANSFORMS, SATURATION_TRANSFORMS, TransformError

L_MAX = 6
FACTOR = 1.0 + 0.01  # the marginal step as the generator writes it


def bits(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def assert_same_bits(new, old, what: str) -> None:
    differ = bits(new) != bits(old)
    assert not differ.any(), f"{what}: {differ.sum()} of {differ.size} values differ"


def draw(spec, n_series: int, rng: np.random.Generator, **structural) -> list[np.ndarray]:
    """Valid random parameters per series, in declaration order."""
    for _ in range(100):
        params = {}
        for p in spec.numeric_parameters:
            if p.name == "theta":
                params[p.name] = rng.uniform(0.0, structural["l_max"] - 1, n_series)
            elif p.scale == "unit":
                params[p.name] = rng.uniform(0.05, 0.95, n_series)
            else:
                params[p.name] = (p.default or 1.0) * np.exp(rng.normal(0.0, 0.5, n_series))
        try:
            spec.resolve({**params, **structural})
        except TransformError:
            continue
        return list(params.values())
    raise AssertionError(f"no valid parameters for {spec.name}")


def spend_stack(n_series: int, n_time: int, rng: np.random.Generator) -> np.ndarray:
    spend = rng.gamma(2.0, 500.0, (n_series, n_time))
    spend[rng.random(spend.shape) < 0.25] = 0.0  # idle periods
    spend[0, : n_time // 2] = 0.0  # a late start
    return spend


def unfused(spend, scale, coefficient, ad_name, ad_params, sat_name, sat_params, structural, factor):
    """The separate kernels and NumPy, as the generator combines them."""
    def transform(x):
        a = getattr(adstock_kernels, ad_name)(x, *ad_params, **structural) if ad_name != "none" else x.copy()
        return a, getattr(saturation_kernels, sat_name)(a, *sat_params)

    adstocked, saturated = transform(spend / scale[:, None])
    contribution = coefficient[:, None] * saturated
    _, up = transform(spend * factor / scale[:, None])
    marginal = (coefficient[:, None] * (up - saturated)).sum(axis=-1)
    return adstocked, saturated, contribution, contribution.sum(axis=-1), marginal


def adstock_cases():
    for name, spec in ADSTOCK_TRANSFORMS.items():
        names = [p.name for p in spec.structural_parameters]
        choices = [p.choices if p.choices else (L_MAX,) for p in spec.structural_parameters]
        for values in itertools.product(*choices):
            yield name, dict(zip(names, values))


@pytest.mark.parametrize("ad_name,structural", list(adstock_cases()),
                         ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v.values())))
def test_media_effects_have_the_bits_of_the_separate_kernels(ad_name, structural):
    rng = np.random.default_rng(zlib.crc32(f"{ad_name}{structural}".encode()))
    n_series, n_time = 5, 40
    spend = spend_stack(n_series, n_time, rng)
    scale = spend.max(axis=-1) * rng.uniform(0.5, 1.5, n_series)
    coefficient = rng.uniform(100.0, 1000.0, n_series)
    ad_params = draw(ADSTOCK_TRANSFORMS[ad_name], n_series, rng, **structural)
    for sat_name, sat_spec in SATURATION_TRANSFORMS.items():
        sat_params = draw(sat_spec, n_series, rng)
        fx = media_effects(spend, scale, coefficient, adstock=ad_name, adstock_params=ad_params,
                           saturation=sat_name, saturation_params=sat_params, factor=FACTOR,
                           **{"l_max": 1, **structural})
        expected = unfused(spend, scale, coefficient, ad_name, ad_params, sat_name, sat_params,
                           structural, FACTOR)
        for field, value in zip(fx._fields, expected, strict=True):
            assert_same_bits(getattr(fx, field), value, f"{ad_name} {structural} + {sat_name}: {field}")


def test_one_call_covers_series_with_different_transforms():
    # every adstock x saturation pair in one stack gives each series' own separate result
    rng = np.random.default_rng(11)
    pairs = list(itertools.product(
        [("geometric_adstock", {}), ("delayed_adstock", {}), ("weibull_adstock", {"type": "CDF"}),
         ("binomial_adstock", {"normalize": False}), ("none", {})],
        list(SATURATION_TRANSFORMS),
    ))
    n_time = 30
    spend = spend_stack(len(pairs), n_time, rng)
    scale = spend.max(axis=-1)
    coefficient = rng.uniform(1.0, 10.0, len(pairs))
    columns = {k: [] for k in ("ad_kind", "ad_params", "n_lags", "normalize", "shift", "sat_kind", "sat_params")}
    expected = []
    for i, ((ad_name, options), sat_name) in enumerate(pairs):
        structural = {"l_max": 5, "normalize": True, "mode": "Overlap", **options}
        if ad_name != "weibull_adstock":
            structural.pop("type", None)
        if ad_name == "none":
            structural = {}
        ad_params = [v[:1] for v in draw(ADSTOCK_TRANSFORMS[ad_name], 1, rng, **structural)]
        sat_params = [v[:1] for v in draw(SATURATION_TRANSFORMS[sat_name], 1, rng)]
        one = media_effects(spend[i:i + 1], scale[i:i + 1], coefficient[i:i + 1], adstock=ad_name,
                            adstock_params=ad_params, saturation=sat_name, saturation_params=sat_params,
                            factor=FACTOR, **structural)
        expected.append(one)
        n_lags = 1 if ad_name == "none" else structural["l_max"] + (structural.get("type") == "CDF")
        columns["ad_kind"].append(adstock_code(ad_name, structural.get("type", "PDF")))
        columns["ad_params"].append(np.pad(np.ravel(ad_params), (0, MAX_PARAMETERS - len(ad_params))))
        columns["n_lags"].append(n_lags)
        columns["normalize"].append(structural.get("normalize", False))
        columns["shift"].append((n_lags - 1) // 2)
        columns["sat_kind"].append(SATURATION_CODES[sat_name])
        columns["sat_params"].append(np.pad(np.ravel(sat_params), (0, MAX_PARAMETERS - len(sat_params))))
    fx = media_effects_stack(
        spend, scale, coefficient, adstock_kind=columns["ad_kind"], adstock_params=columns["ad_params"],
        n_lags=columns["n_lags"], normalize=columns["normalize"], shift=columns["shift"],
        saturation_kind=columns["sat_kind"], saturation_params=columns["sat_params"], factor=FACTOR,
    )
    for field in fx._fields:
        assert_same_bits(getattr(fx, field), np.concatenate([getattr(e, field) for e in expected]), field)


def test_media_effects_on_a_large_stack_match_in_both_thread_modes():
    # above the parallel threshold: the serial and the parallel version give the same bits
    from xmmm.kernels._numba import set_parallel_mode

    rng = np.random.default_rng(3)
    spend = spend_stack(400, 300, rng)
    scale, coefficient = spend.max(axis=-1), rng.uniform(1.0, 2.0, 400)
    kwargs = dict(adstock="geometric_adstock", adstock_params=[rng.uniform(0.1, 0.9, 400)],
                  saturation="hill_function", saturation_params=[rng.uniform(0.5, 3, 400), rng.uniform(0.2, 1, 400)],
                  l_max=12, normalize=True, factor=FACTOR)
    previous = set_parallel_mode("serial")
    try:
        serial = media_effects(spend, scale, coefficient, **kwargs)
        set_parallel_mode("parallel")
        parallel = media_effects(spend, scale, coefficient, **kwargs)
    finally:
        set_parallel_mode(previous)
    expected = unfused(spend, scale, coefficient, "geometric_adstock", kwargs["adstock_params"], "hill_function",
                       kwargs["saturation_params"], {"l_max": 12, "normalize": True}, FACTOR)
    for field, value in zip(serial._fields, expected, strict=True):
        assert_same_bits(getattr(serial, field), value, field)
        assert_same_bits(getattr(parallel, field), value, field)


def test_adstock_saturation_is_the_two_kernels():
    rng = np.random.default_rng(5)
    x = rng.gamma(2.0, 1.0, (4, 50))
    alpha, slope, kappa = rng.uniform(0.1, 0.9, 4), rng.uniform(0.5, 3, 4), rng.uniform(0.2, 2, 4)
    adstocked, saturated = adstock_saturation(
        x, adstock="geometric_adstock", adstock_params={"alpha": alpha}, saturation="hill_function",
        saturation_params={"slope": slope, "kappa": kappa}, l_max=8, normalize=True, mode="Before",
    )
    expected = adstock_kernels.geometric_adstock(x, alpha, l_max=8, normalize=True, mode="Before")
    assert_same_bits(adstocked, expected, "adstocked")
    assert_same_bits(saturated, saturation_kernels.hill_function(expected, slope, kappa), "saturated")


def test_without_a_factor_the_marginal_pass_is_skipped():
    spend = np.array([[1.0, 2.0, 0.0]])
    fx = media_effects(spend, 2.0, 3.0, adstock="none", adstock_params=[], saturation="none", saturation_params=[])
    assert np.isnan(fx.marginal).all()
    assert_same_bits(fx.contribution, 3.0 * (spend / 2.0), "contribution")


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 255, 256, 257, 1000, 4099])
def test_pairwise_sum_is_numpy_sum(n):
    rng = np.random.default_rng(n)
    a = rng.normal(size=(4, n)) * 10.0 ** rng.uniform(-8, 8, (4, n))
    if n:
        a[0] = -0.0
        a[1, rng.random(n) < 0.5] = 0.0
    assert_same_bits(pairwise_sum(a), a.sum(axis=-1), f"n={n}")


def test_codes_cover_every_declared_transform():
    assert {name.split("/")[0] for name in ADSTOCK_CODES} == set(ADSTOCK_TRANSFORMS)
    assert set(SATURATION_CODES) == set(SATURATION_TRANSFORMS)
    assert max(len(s.numeric_parameters) for s in (*ADSTOCK_TRANSFORMS.values(), *SATURATION_TRANSFORMS.values())) \
        <= MAX_PARAMETERS


# --------------------------------------------------------------------------- the engine's effects block


@pytest.mark.parametrize("preset", ["basic", "research", "traditional_media", "high_frequency", "enterprise"])
def test_the_effects_block_in_one_call_has_the_bits_of_the_separate_kernels(preset):
    # every channel of every geo and replicate in one call, against one kernel call per group of
    # channels and NumPy, as the 0.1 generator computed them
    import xmmm
    from xmmm.blocks.effects import contributions, media_effects, transform
    from xmmm.blocks.media import natural_spend, spend_scale
    from xmmm.ground_truth import MARGINAL_STEP
    from xmmm.plan import Plan

    config = xmmm.customize_preset(preset, seed=9)
    plan = Plan.build(config, [0, 1])
    spend = natural_spend(plan)
    scale = spend_scale(spend, config.transforms.spend_scaling)
    adstocked, saturated, contribution, extra = media_effects(plan, spend, scale, 1.0 + MARGINAL_STEP)

    expected_adstocked, expected_saturated = transform(plan, spend / scale[..., None])
    expected_contribution = contributions(plan, expected_saturated)
    _, up = transform(plan, spend * (1.0 + MARGINAL_STEP) / scale[..., None])
    expected_extra = (plan.coefficient[..., None] * (up - expected_saturated)).sum(axis=-1)
    assert_same_bits(adstocked, expected_adstocked, f"{preset}: adstocked")
    assert_same_bits(saturated, expected_saturated, f"{preset}: saturated")
    assert_same_bits(contribution, expected_contribution, f"{preset}: contribution")
    assert_same_bits(extra, expected_extra, f"{preset}: extra")


def test_the_generator_runs_the_fused_block():
    # the arrays of a generation are the fused block's (same bits as the separate kernels above)
    import xmmm
    from xmmm.blocks.effects import media_effects
    from xmmm.blocks.media import natural_spend, spend_scale
    from xmmm.engine import run
    from xmmm.plan import Plan

    plan = Plan.build(xmmm.customize_preset("research", seed=2), [0])
    arrays = run(plan)
    spend = natural_spend(plan)
    fused = media_effects(plan, spend, spend_scale(spend, plan.config.transforms.spend_scaling), FACTOR)
    for name, value in zip(("adstocked", "saturated", "contribution"), fused[:3], strict=False):
        assert_same_bits(arrays[name], value, name)
