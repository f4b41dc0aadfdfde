"""The long table read back into a Dataset: the inverse of to_long_dataframe for what the table holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm.export import from_long_dataframe, to_long_dataframe


@pytest.fixture(scope="module")
def result():
    return xmmm.generate_mmm_dataset(n_periods=20)


def _same(back: xr.Dataset, ds: xr.Dataset, var: str) -> None:
    dims = back[var].dims
    expected = ds[var].transpose(*dims).sel(geo=back["geo"].values)
    np.testing.assert_array_equal(back[var].values, expected.values)


def test_round_trip(result):
    ds = result.dataset
    back = from_long_dataframe(to_long_dataframe(ds))
    assert dict(back.sizes) == {"date": 20, "geo": 3, "channel": 3, "control": 2}
    for var in ("spend", "control_value", "y"):
        _same(back, ds, var)
    assert set(back.data_vars) == {"spend", "control_value", "y"}
    np.testing.assert_array_equal(back["date"].values, ds["date"].values)
    assert list(back["geo"].values) == sorted(str(g) for g in ds["geo"].values)
    assert list(back["channel_column"].values) == list(ds["channel_column"].values)
    assert list(back["control_column"].values) == list(ds["control_column"].values)
    # labels are the column names without the x<i>- prefix
    assert list(back["channel"].values) == ["TV", "Search", "Social"]
    assert list(back["control"].values) == ["price", "promotion"]
    assert back.attrs["xmmm_source"] == "long table"
    assert back.attrs["frequency"].startswith("W")
    # and the table made again from it is the same table
    pd.testing.assert_frame_equal(to_long_dataframe(back), to_long_dataframe(ds))


def test_round_trip_channel_names_without_prefix():
    config = xmmm.MMMDataConfig(n_periods=12, channels=[xmmm.ChannelConfig("TV"), xmmm.ChannelConfig("Radio")],
                                control_variables=[], seed=1)
    ds = xmmm.generate_mmm_dataset(config).dataset
    back = from_long_dataframe(to_long_dataframe(ds))
    xr.testing.assert_equal(back["spend"], ds["spend"].transpose(*back["spend"].dims))
    assert back.sizes["control"] == 0


def test_rows_in_any_order(result):
    df = to_long_dataframe(result.dataset)
    shuffled = df.sample(frac=1.0, random_state=0)
    xr.testing.assert_identical(from_long_dataframe(shuffled), from_long_dataframe(df))


def test_contribution_frame(result):
    frame = result["ground_truth"]["transformed_spend"].reset_index()
    back = from_long_dataframe(frame)
    assert set(back.data_vars) == {"contribution", "control_value"}
    assert list(back["channel_column"].values) == ["x1-TV", "x2-Search", "x3-Social"]
    _same(back, result.dataset, "contribution")


def test_table_with_contributions_too(result):
    df = to_long_dataframe(result.dataset)
    contributions = result["ground_truth"]["transformed_spend"].reset_index(drop=True)
    back = from_long_dataframe(pd.concat([df, contributions.iloc[:, ::-1]], axis=1))
    _same(back, result.dataset, "contribution")
    _same(back, result.dataset, "spend")
    with pytest.raises(ValueError, match="do not match the channel columns"):
        from_long_dataframe(pd.concat([df, contributions.iloc[:, :2]], axis=1))


def test_dates_as_strings_are_read(result):
    df = to_long_dataframe(result.dataset)
    back = from_long_dataframe(df.assign(date=df["date"].dt.strftime("%Y-%m-%d")))
    _same(back, result.dataset, "spend")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda df: df.drop(columns="geo"), "no 'geo' column"),
        (lambda df: df.drop(columns=["date", "geo"]), "no 'date' and no 'geo' column"),
        (lambda df: pd.concat([df, df.iloc[[3]]]), r"1 repeated \(date, geo\) pair\(s\), e.g. \(2020-01-12, geo_a\)"),
        (lambda df: df.iloc[1:], r"1 \(date, geo\) pair\(s\) are missing"),
        (lambda df: df[["date", "geo", "y"]], "no channel columns .* and no contribution columns"),
        (lambda df: df.assign(**{"x1-TV": "a lot"}), "column 'x1-TV' must be numeric"),
        (lambda df: df.assign(geo=None), "column 'geo' has 60 missing value"),
    ],
)
def test_errors_name_the_problem(result, change, message):
    with pytest.raises(ValueError, match=message):
        from_long_dataframe(change(to_long_dataframe(result.dataset)))


def test_not_a_frame(result):
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        from_long_dataframe(result.dataset)
