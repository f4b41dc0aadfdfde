"""The transform registry, its error messages and the labelled wrappers."""

from __future__ import annotations

import importlib.util
import inspect
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from xmmm import transforms
from xmmm.errors import ConfigError, TransformError
from xmmm.transforms import (
    ADSTOCK_TRANSFORMS,
    SATURATION_TRANSFORMS,
    Parameter,
    get_transform,
)

ALL_SPECS = [*ADSTOCK_TRANSFORMS.values(), *SATURATION_TRANSFORMS.values()]
SPEC_IDS = [f"{s.family}:{s.name}" for s in ALL_SPECS]
REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize("spec", ALL_SPECS, ids=SPEC_IDS)
def test_spec_declaration(spec):
    assert spec.family in transforms.FAMILIES
    assert spec.formula
    numeric, structural = spec.numeric_parameters, spec.structural_parameters
    assert spec.parameters == numeric + structural, "numeric parameters come first"
    for p in spec.parameters:
        assert p.default is not None, f"{spec.name}.{p.name} needs a default for the generator"
        assert p.check(spec.name, p.default) == p.default
        assert p.scale in transforms.SCALES
        if p.scale == "unit":
            assert (p.lower, p.upper) == (0.0, 1.0)
        if p.scale == "positive":
            assert p.lower == 0.0 and p.upper is None
    assert spec.resolve({}) == spec.defaults


@pytest.mark.parametrize("spec", ALL_SPECS, ids=SPEC_IDS)
def test_pymc_twin_exists_with_same_parameters(spec):
    if spec.pymc_function is None:
        assert spec.name == "none" and spec.parameters == ()
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="xtensor module is experimental")
        transformers = pytest.importorskip("pymc_marketing.mmm.transformers")
    signature = inspect.signature(getattr(transformers, spec.pymc_function))
    names = [p.name for p in spec.parameters]
    assert set(names) <= set(signature.parameters)
    pymc_numeric = [n for n in signature.parameters if n in {p.name for p in spec.numeric_parameters}]
    assert pymc_numeric == [p.name for p in spec.numeric_parameters], "kernel order = pymc order"


@pytest.mark.parametrize("spec", ALL_SPECS, ids=SPEC_IDS)
def test_spec_has_kernel(spec):
    kernels = importlib.import_module(f"xmmm.kernels.{spec.family}")
    kernel = getattr(kernels, spec.name)
    params = list(inspect.signature(kernel).parameters)
    assert params[1 : 1 + len(spec.numeric_parameters)] == [p.name for p in spec.numeric_parameters]
    if spec.family == "adstock":
        assert callable(getattr(kernels, f"{spec.name}_weights"))


def test_defaults_for_the_generator():
    assert ADSTOCK_TRANSFORMS["geometric_adstock"].resolve({}) == {
        "alpha": 0.5, "l_max": 12, "normalize": True, "mode": "After",
    }
    assert ADSTOCK_TRANSFORMS["weibull_adstock"].defaults["type"] == "PDF"
    assert SATURATION_TRANSFORMS["hill_function"].defaults == {"slope": 1.0, "kappa": 0.5}
    isl = SATURATION_TRANSFORMS["inverse_scaled_logistic_saturation"]
    assert isl.defaults["eps"] == pytest.approx(math.log(3))


def test_import_is_light():
    code = (
        "import sys, xmmm.transforms; "
        "bad = [m for m in ('pymc_marketing', 'pytensor') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# --------------------------------------------------------------------------- errors


def test_unknown_name_lists_valid_names():
    with pytest.raises(TransformError, match="unknown adstock transform 'geometric'") as err:
        get_transform("adstock", "geometric")
    for name in ADSTOCK_TRANSFORMS:
        assert repr(name) in str(err.value)
    with pytest.raises(TransformError, match="family must be one of"):
        get_transform("carryover", "geometric_adstock")


def test_transform_error_is_a_value_error():
    assert issubclass(TransformError, ConfigError)
    assert issubclass(TransformError, ValueError)


@pytest.mark.parametrize(
    ("family", "name", "kwargs", "message"),
    [
        ("adstock", "geometric_adstock", {"alpha": 1.3}, "geometric_adstock: alpha must be in [0, 1]; got 1.3"),
        ("adstock", "geometric_adstock", {"alpha": [0.2, -0.1]}, "geometric_adstock: alpha must be in [0, 1]; got -0.1"),
        ("adstock", "geometric_adstock", {"alpha": float("nan")}, "alpha must be in [0, 1]; got nan"),
        ("adstock", "geometric_adstock", {"alpha": "high"}, "alpha must be in [0, 1]; got 'high'"),
        ("adstock", "geometric_adstock", {"l_max": 0}, "geometric_adstock: l_max must be an integer >= 1; got 0"),
        ("adstock", "geometric_adstock", {"l_max": 2.5}, "l_max must be an integer >= 1; got 2.5"),
        ("adstock", "geometric_adstock", {"l_max": True}, "l_max must be an integer >= 1; got True"),
        ("adstock", "geometric_adstock", {"normalize": 1}, "normalize must be True or False; got 1"),
        (
            "adstock", "geometric_adstock", {"mode": "Sideways"},
            "mode must be one of 'After', 'Before', 'Overlap'; got 'Sideways'",
        ),
        ("adstock", "weibull_adstock", {"k": 0}, "weibull_adstock: k must be > 0; got 0"),
        ("adstock", "weibull_adstock", {"l_max": 1}, "l_max must be >= 2 when type is 'PDF'; got 1"),
        ("adstock", "delayed_adstock", {"theta": 12.0}, "theta must be <= l_max - 1 = 11; got 12.0"),
        ("saturation", "hill_function", {"kappa": -1}, "hill_function: kappa must be > 0; got -1"),
        ("saturation", "tanh_saturation_baselined", {"r": 1.0}, "r must be in (0, 1); got 1.0"),
        ("saturation", "root_saturation", {"alpha": 0.0}, "alpha must be in (0, 1]; got 0.0"),
        ("saturation", "michaelis_menten", {"alpha": -2.0}, "alpha must be >= 0; got -2.0"),
    ],
)
def test_out_of_range_message(family, name, kwargs, message):
    with pytest.raises(TransformError) as err:
        get_transform(family, name).resolve(kwargs)
    assert message in str(err.value)


def test_unknown_kwarg_names_function_kwarg_and_valid_names():
    with pytest.raises(TransformError) as err:
        get_transform("saturation", "hill_function").resolve({"slop": 2.0})
    assert str(err.value) == (
        "hill_function: unknown parameter 'slop'; valid parameters are slope, kappa"
    )
    with pytest.raises(TransformError, match="none: unknown parameter 'alpha'"):
        get_transform("adstock", "none").resolve({"alpha": 0.5})


def test_required_parameter_missing():
    spec = transforms.TransformSpec(
        "demo", "saturation", (Parameter("a", None, lower=0),), None, "f(x) = a x"
    )
    with pytest.raises(TransformError, match="demo: a is required; it must be >= 0"):
        spec.resolve({})


@pytest.mark.parametrize(
    ("parameter", "allowed"),
    [
        (Parameter("a", 0.5, lower=0, upper=1), "[0, 1]"),
        (Parameter("a", 0.5, lower=0, upper=1, lower_inclusive=False, upper_inclusive=False), "(0, 1)"),
        (Parameter("a", 1.0, lower=0, lower_inclusive=False), "> 0"),
        (Parameter("a", 1.0, lower=0), ">= 0"),
        (Parameter("a", 1.0, upper=2.5, upper_inclusive=False), "< 2.5"),
        (Parameter("a", 1.0), "a real number"),
        (Parameter("l", 12, lower=1, integer=True, structural=True), "an integer >= 1"),
        (Parameter("t", "PDF", choices=("PDF", "CDF"), structural=True), "one of 'PDF', 'CDF'"),
        (Parameter("n", True, choices=(True, False), structural=True), "True or False"),
    ],
)
def test_allowed_is_readable(parameter, allowed):
    assert parameter.allowed == allowed


def test_check_returns_canonical_values():
    alpha = ADSTOCK_TRANSFORMS["geometric_adstock"].parameters[0]
    assert alpha.check("f", 1) == 1.0 and isinstance(alpha.check("f", 1), float)
    assert alpha.check("f", np.array([0, 1])).dtype == np.float64
    da = xr.DataArray([0.1, 0.2], dims="channel")
    assert isinstance(alpha.check("f", da), xr.DataArray)
    mode = ADSTOCK_TRANSFORMS["geometric_adstock"].structural_parameters[-1]
    assert type(mode.check("f", "Before")) is str
    l_max = ADSTOCK_TRANSFORMS["geometric_adstock"].structural_parameters[0]
    assert l_max.check("f", np.int64(4)) == 4 and l_max.check("f", 4.0) == 4
    with pytest.raises(TransformError, match="l_max must be an integer >= 1"):
        l_max.check("f", [4, 5])


def test_weights_only_for_adstock():
    with pytest.raises(TransformError, match="weights exist for adstock transforms only"):
        SATURATION_TRANSFORMS["hill_function"].weights()


# --------------------------------------------------------------------------- array API


def test_apply_broadcasts_leading_axes():
    spec = ADSTOCK_TRANSFORMS["geometric_adstock"]
    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 1.0, (2, 3, 15))
    alpha = rng.uniform(0, 1, (1, 3))
    out = spec.apply(x, alpha=alpha, l_max=4)
    for g in range(2):
        for c in range(3):
            single = spec.apply(x[g, c], alpha=alpha[0, c], l_max=4)
            np.testing.assert_allclose(out[g, c], single, rtol=1e-14)
    assert spec.apply(x[0, 0].tolist(), alpha=0.3).shape == (15,)
    with pytest.raises(TransformError, match="do not broadcast"):
        spec.apply(x, alpha=np.full(15, 0.5))


def test_saturation_apply_one_value_per_series():
    spec = SATURATION_TRANSFORMS["hill_function"]
    x = np.array([[1.0, 2.0], [1.0, 2.0]])
    out = spec.apply(x, kappa=[1.0, 2.0], slope=1.0)
    np.testing.assert_allclose(out, [[0.5, 2 / 3], [1 / 3, 0.5]])
    assert spec.apply(2.0, kappa=2.0).shape == ()


def test_weights_shapes_and_normalisation():
    geometric = ADSTOCK_TRANSFORMS["geometric_adstock"]
    w = geometric.weights(alpha=np.array([[0.2, 0.5, 0.9]]), l_max=5)
    assert w.shape == (1, 3, 5)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    np.testing.assert_allclose(geometric.weights(alpha=0.5, l_max=3, normalize=False), [1, 0.5, 0.25])
    assert ADSTOCK_TRANSFORMS["none"].weights().tolist() == [1.0]


@pytest.mark.parametrize("family", ["adstock", "saturation"])
def test_none_is_identity(family):
    x = np.arange(12.0).reshape(3, 4)
    spec = get_transform(family, "none")
    out = spec.apply(x)
    np.testing.assert_array_equal(out, x)
    assert out is not x


# --------------------------------------------------------------------------- labelled wrappers


@pytest.fixture
def spend():
    rng = np.random.default_rng(1)
    return xr.DataArray(
        rng.gamma(2.0, 1.0, (20, 2, 3)),
        dims=("date", "geo", "channel"),
        coords={
            "date": np.arange(20),
            "geo": ["north", "south"],
            "channel": ["tv", "radio", "search"],
            "column": ("channel", ["x1-tv", "x2-radio", "x3-search"]),
        },
        name="spend",
    )


def test_adstock_labelled_matches_array(spend):
    alpha = xr.DataArray(
        [[0.1, 0.5, 0.9], [0.2, 0.6, 0.8]],
        dims=("geo", "channel"),
        coords={"geo": ["north", "south"], "channel": ["tv", "radio", "search"]},
    )
    # transposed and relabelled order: broadcast by name, aligned by label
    alpha_t = alpha.transpose("channel", "geo").sel(channel=["search", "tv", "radio"])
    out = transforms.adstock(spend, "geometric_adstock", alpha=alpha_t, l_max=6)
    assert out.dims == spend.dims
    xr.testing.assert_identical(out.coords.to_dataset(), spend.coords.to_dataset())
    spec = ADSTOCK_TRANSFORMS["geometric_adstock"]
    expected = spec.apply(np.moveaxis(spend.values, 0, -1), alpha=alpha.values, l_max=6)
    np.testing.assert_allclose(out.values, np.moveaxis(expected, -1, 0), rtol=1e-14)


def test_saturation_labelled_matches_array(spend):
    kappa = xr.DataArray([1.0, 2.0, 3.0], dims="channel", coords={"channel": ["tv", "radio", "search"]})
    out = transforms.saturation(spend, "hill_function", kappa=kappa, slope=2.0)
    assert out.dims == spend.dims
    assert out.name == "spend"
    expected = 1 - kappa**2 / (kappa**2 + spend**2)
    xr.testing.assert_allclose(out, expected.transpose(*spend.dims))


def test_labelled_parameter_errors(spend):
    bad = xr.DataArray([0.5, 1.5], dims="geo", coords={"geo": ["north", "south"]})
    with pytest.raises(TransformError, match=r"geometric_adstock: alpha must be in \[0, 1\]; got 1.5"):
        transforms.adstock(spend, "geometric_adstock", alpha=bad)
    missing = xr.DataArray([0.5], dims="geo", coords={"geo": ["north"]})
    with pytest.raises(TransformError, match="alpha has no value for some labels"):
        transforms.adstock(spend, "geometric_adstock", alpha=missing)
    over_time = xr.DataArray(np.full(20, 0.5), dims="date")
    with pytest.raises(TransformError, match="alpha must not vary along 'date'"):
        transforms.adstock(spend, "geometric_adstock", alpha=over_time)
    with pytest.raises(TransformError, match="dim 'week' is not a dimension"):
        transforms.adstock(spend, "geometric_adstock", dim="week")


def test_labelled_none(spend):
    xr.testing.assert_identical(transforms.adstock(spend, "none").drop_attrs(), spend.drop_attrs())
    xr.testing.assert_identical(transforms.saturation(spend, "none"), spend)


def test_labelled_with_dask(spend):
    pytest.importorskip("dask.array")
    chunked = spend.chunk({"geo": 1})
    out = transforms.adstock(chunked, "geometric_adstock", alpha=0.3)
    assert out.chunks is not None
    xr.testing.assert_allclose(out.compute(), transforms.adstock(spend, "geometric_adstock", alpha=0.3))


# --------------------------------------------------------------------------- benchmark


def test_benchmark_runs_quick(capsys):
    path = REPO / "benchmarks" / "bench_transforms.py"
    spec = importlib.util.spec_from_file_location("bench_transforms", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.main(["--quick"])
    assert {r["case"] for r in rows} == {"adstock", "hill", "adstock+hill"}
    assert all(r["xmmm_min_ms"] <= r["xmmm_ms"] and r["copy_ms"] > 0 and r["auto_vs_serial"] > 0 for r in rows)
    assert all(r["xmmm_ms"] > 0 and r["pymc_ms"] > 0 for r in rows)
    out = capsys.readouterr().out
    assert "speedup" in out and "adstock+hill+mroas" in out
