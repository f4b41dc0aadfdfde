"""The long table: built as one block, identical to the column-by-column reference."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import xmmm
from reference.export_v01 import to_long_dataframe_v01


def _dataset(preset: str, **overrides):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xmmm.XmmmWarning)
        return xmmm.generate_dataset(xmmm.customize_preset(preset, seed=5, **overrides))


@pytest.mark.parametrize("preset", ["basic", "multi_region", "research", "high_frequency", "demo"])
def test_long_table_equals_the_reference(preset):
    ds = _dataset(preset)
    pd.testing.assert_frame_equal(xmmm.to_long_dataframe(ds), to_long_dataframe_v01(ds), check_exact=True)


def test_long_table_of_unsorted_geo_names_equals_the_reference():
    # rows are sorted by geo name whatever the Dataset's geo order
    ds = _dataset("multi_region")
    shuffled = ds.isel(geo=[3, 0, 5, 1, 4, 2])
    table = xmmm.to_long_dataframe(shuffled)
    pd.testing.assert_frame_equal(table, to_long_dataframe_v01(shuffled), check_exact=True)
    assert list(table["geo"].iloc[: ds.sizes["geo"]]) == sorted(str(g) for g in ds["geo"].values)


def test_long_table_columns_are_independent_of_the_dataset():
    # the table owns its numbers: editing it leaves the Dataset unchanged
    ds = _dataset("basic")
    before = ds["spend"].values.copy()
    table = xmmm.to_long_dataframe(ds)
    table.iloc[:, 3:] = 0.0
    assert (ds["spend"].values == before).all()
