"""The ground-truth dict: built from whole arrays, identical to the per-pair reference."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import xmmm
from reference.ground_truth_v01 import ground_truth_dict_v01
from xmmm.ground_truth import ground_truth_dict


def assert_same(a, b, path="truth"):
    """Equal values of equal types, recursively; frames exactly equal."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} vs {list(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def _dataset(preset: str):
    config = xmmm.customize_preset(preset, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xmmm.XmmmWarning)
        return xmmm.generate_dataset(config)


@pytest.mark.parametrize("preset", ["basic", "multi_region", "research", "traditional_media", "high_frequency"])
def test_ground_truth_dict_equals_the_per_pair_reference(preset):
    # research and traditional_media mix adstock families (NaN parameters, structural columns)
    ds = _dataset(preset)
    assert_same(ground_truth_dict(ds), ground_truth_dict_v01(ds))


def test_ground_truth_dict_of_a_file_equals_the_reference(tmp_path):
    # a Dataset read back from NetCDF (lazy arrays, decoded dtypes) gives the same dict
    path = tmp_path / "demo.nc"
    _dataset("demo").to_netcdf(path)
    with xmmm.open_dataset(path) as ds:
        assert_same(ground_truth_dict(ds), ground_truth_dict_v01(ds))


def _lookups(ds, monkeypatch) -> int:
    calls = []
    original = type(ds).__getitem__

    def counting(self, key):
        calls.append(key)
        return original(self, key)

    with monkeypatch.context() as m:
        m.setattr(type(ds), "__getitem__", counting)
        ground_truth_dict(ds)
    return len(calls)


def test_ground_truth_dict_lookups_do_not_grow_with_geos_and_channels(monkeypatch):
    # whole arrays, one read per variable: twice the regions and channels, the same look-ups
    small = xmmm.customize_preset("multi_region", seed=3, regions={"n_regions": 3})
    large = xmmm.customize_preset("multi_region", seed=3, regions={"n_regions": 12})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xmmm.XmmmWarning)
        ds_small, ds_large = xmmm.generate_dataset(small), xmmm.generate_dataset(large)
    n_small, n_large = _lookups(ds_small, monkeypatch), _lookups(ds_large, monkeypatch)
    assert n_small == n_large <= 2 * len(ds_large.variables)


def test_ground_truth_dict_values_are_python_scalars():
    truth = ground_truth_dict(_dataset("basic"))
    entry = next(iter(next(iter(truth["transformation_parameters"]["channels"].values())).values()))
    assert all(type(v) is float for v in entry["adstock_params"].values() if not isinstance(v, (bool, int, str)))
    assert type(entry["adstock_params"]["l_max"]) is int and type(entry["adstock_params"]["normalize"]) is bool
    assert all(type(v) is float for row in truth["roas_values"].values() for v in row.values())
    assert np.isfinite(list(truth["media_share"].values())).all()
