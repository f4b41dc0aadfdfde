"""Output schema validation, data-quality diagnostics and config validation messages."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import xmmm
from xmmm import ChannelConfig, ConfigError, MMMDataConfig, RegionConfig, TransformConfig, XmmmWarning
from xmmm.quality import QualityReport, check_data_quality, half_life, validate_output_schema


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def default_result():
    return xmmm.generate_mmm_dataset()


@pytest.fixture
def frame(default_result):
    return default_result["data"].copy()


def small_config(channels=None, *, n_periods=104, adstock=None, saturation=None, regions=None, **kw):
    """One geo, no controls, little noise: a dataset that passes every check unless told otherwise."""
    channels = channels or [
        ChannelConfig("A", pattern="seasonal", base_spend=1000.0, seasonal_phase=0.0, base_effectiveness=0.2),
        ChannelConfig("B", pattern="linear_trend", base_spend=800.0, spend_trend=0.01, base_effectiveness=0.2),
    ]
    n = len(channels)
    return MMMDataConfig(
        n_periods=n_periods,
        channels=channels,
        regions=regions or RegionConfig(n_regions=1, sales_volatility=0.01),
        transforms=TransformConfig(
            adstock_fun="geometric_adstock",
            adstock_kwargs=adstock or [{"alpha": 0.3, "l_max": 4}] * n,
            saturation_fun="hill_function",
            saturation_kwargs=saturation or [{"slope": 1.0, "kappa": 0.5}] * n,
        ),
        seed=3,
        **kw,
    )


def quality(config, *, generator_warns=False, **kw) -> QualityReport:
    """Generate and check without emitting; ``generator_warns``: the generator itself warns too."""
    if generator_warns:
        with pytest.warns(XmmmWarning):
            result = xmmm.generate_mmm_dataset(config)
    else:
        result = xmmm.generate_mmm_dataset(config)
    return check_data_quality(result, warn=False, **kw)


def only(messages, text):
    hits = [m for m in messages if text in m]
    assert hits, f"no message contains {text!r}: {messages}"
    return hits


# --------------------------------------------------------------------------- schema: valid
def test_generated_table_is_valid(default_result):
    assert validate_output_schema(default_result["data"]) == []
    assert validate_output_schema(default_result["data"], default_result.config) == []


def test_single_geo_without_controls_is_valid():
    result = xmmm.generate_mmm_dataset(small_config())
    assert validate_output_schema(result["data"], result.config) == []


def test_object_geo_column_is_accepted(frame):
    frame["geo"] = frame["geo"].astype(object)
    assert validate_output_schema(frame) == []


# --------------------------------------------------------------------------- schema: one rule each
def _drop_y(df):
    return df.drop(columns="y")


def _underscore_channel(df):
    return df.rename(columns={"x1-TV": "x1_TV"})


def _extra_column(df):
    return df.assign(notes="n/a")


def _gap_in_channel_numbers(df):
    return df.rename(columns={"x2-Search": "x4-Search"})


def _channels_out_of_order(df):
    cols = list(df.columns)
    i, j = cols.index("x1-TV"), cols.index("x2-Search")
    cols[i], cols[j] = cols[j], cols[i]
    return df[cols]


def _gap_in_control_numbers(df):
    return df.rename(columns={"c1-price": "c0-price"})


def _no_channels(df):
    return df.drop(columns=[c for c in df.columns if c.startswith("x")])


def _duplicate_row(df):
    return pd.concat([df.iloc[:1], df]).reset_index(drop=True)


def _unsorted(df):
    return df.iloc[::-1].reset_index(drop=True)


def _missing_value(df):
    df.loc[3, "y"] = np.nan
    return df


def _negative_spend(df):
    df.loc[5, "x1-TV"] = -1.0
    return df


def _negative_control(df):
    df.loc[6, "c1-price"] = -0.5
    return df


def _infinite_value(df):
    df.loc[7, "x2-Search"] = np.inf
    return df


def _text_y(df):
    return df.assign(y=df["y"].astype(str))


def _bool_control(df):
    return df.assign(**{"c2-promotion": df["c2-promotion"] > 0})


def _text_date(df):
    return df.assign(date=df["date"].dt.strftime("%Y-%m-%d"))


def _integer_geo(df):
    return df.assign(geo=df["geo"].map({"geo_a": 1, "geo_b": 2, "geo_c": 3}))


def _no_rows(df):
    return df.iloc[:0]


def _duplicate_column_names(df):
    out = df.copy()
    out.columns = ["date", "geo", "y", "x1-TV", "x1-TV", "x3-Social", "c1-price", "c2-promotion"]
    return out


SCHEMA_CASES = {
    "missing y": (_drop_y, ["missing required column 'y'"]),
    "bad channel name": (_underscore_channel, ["unexpected column 'x1_TV'"]),
    "extra column": (_extra_column, ["unexpected column 'notes'"]),
    "channel numbering gap": (_gap_in_channel_numbers, ["channel columns must be numbered x1, x2, x3", "'x4-Search'"]),
    "channels out of order": (_channels_out_of_order, ["channel columns must be numbered"]),
    "control numbering": (_gap_in_control_numbers, ["control columns must be numbered c1, c2", "'c0-price'"]),
    "no channels": (_no_channels, ["no channel columns"]),
    "repeated date-geo": (_duplicate_row, ["1 repeated (date, geo) pair(s): rows 1 repeat"]),
    "unsorted": (_unsorted, ["rows are not sorted by date then geo: row 1"]),
    "missing value": (_missing_value, ["column 'y' has 1 missing value(s) in rows 3"]),
    "negative spend": (_negative_spend, ["column 'x1-TV' has 1 negative value(s) in rows 5"]),
    "negative control": (_negative_control, ["column 'c1-price' has 1 negative value(s) in rows 6"]),
    "infinite value": (_infinite_value, ["column 'x2-Search' has 1 infinite value(s) in rows 7"]),
    "text y": (_text_y, ["column 'y' must be numeric"]),
    "boolean control": (_bool_control, ["column 'c2-promotion' must be numeric; got dtype bool"]),
    "text date": (_text_date, ["column 'date' must be datetime"]),
    "integer geo": (_integer_geo, ["column 'geo' must hold strings"]),
    "no rows": (_no_rows, ["the table has no rows"]),
    "duplicate column names": (_duplicate_column_names, ["duplicate column names: 'x1-TV'"]),
}


@pytest.mark.parametrize("case", list(SCHEMA_CASES))
def test_each_schema_rule(frame, case):
    breaker, expected = SCHEMA_CASES[case]
    problems = validate_output_schema(breaker(frame))
    joined = "\n".join(problems)
    for text in expected:
        assert text in joined, f"{text!r} not in:\n{joined}"


def test_rows_are_listed_and_truncated(frame):
    frame.loc[:9, "y"] = np.nan
    (message,) = validate_output_schema(frame)
    assert "10 missing value(s) in rows 0, 1, 2, 3, 4 (and 5 more)" in message


def test_not_a_dataframe():
    assert validate_output_schema({"date": []}) == ["the data must be a pandas DataFrame; got dict"]


def test_several_violations_are_all_listed(frame):
    frame.loc[2, "y"] = -3.0
    frame = frame.assign(extra=1).drop(columns="geo")
    problems = validate_output_schema(frame)
    assert any("missing required column 'geo'" in p for p in problems)
    assert any("unexpected column 'extra'" in p for p in problems)
    assert any("column 'y' has 1 negative value(s) in rows 2" in p for p in problems)


# --------------------------------------------------------------------------- schema: against a config
def test_config_checks_row_count_and_dates(default_result):
    other = default_result.config.copy()
    other.n_periods = 52
    problems = validate_output_schema(default_result["data"], other)
    assert any("the config makes 156 rows (52 dates x 3 geos); got 387" in p for p in problems)
    assert any("dates differ from the config's 52 dates" in p for p in problems)


def test_config_checks_geo_names(frame, default_result):
    frame["geo"] = frame["geo"].str.replace("geo_c", "geo_z")
    problems = validate_output_schema(frame, default_result.config)
    assert any("geo values not in the config: geo_z" in p for p in problems)
    assert any("geos of the config missing from the table: geo_c" in p for p in problems)


def test_config_checks_column_names(frame, default_result):
    renamed = frame.rename(columns={"x3-Social": "x3-Display"})
    problems = validate_output_schema(renamed, default_result.config)
    assert "columns missing for this config: 'x3-Social'" in problems
    assert "columns not in this config: 'x3-Display'" in problems


def test_config_checks_column_order(frame, default_result):
    cols = list(frame.columns)
    reordered = frame[cols[:-2] + cols[-2:][::-1]]
    problems = validate_output_schema(reordered, default_result.config)
    assert any(p.startswith("columns must be in the order date, geo, y") for p in problems)


# --------------------------------------------------------------------------- config validation
def test_validate_config_lists_every_problem():
    config = xmmm.DEFAULT_CONFIG.copy()
    config.n_periods = 0
    config.channels[0].base_spend = -5.0
    config.regions.sales_volatility = -1.0
    with pytest.raises(ConfigError) as info:
        xmmm.validate_config(config)
    message = str(info.value)
    assert message.startswith("3 problems:")
    assert "n_periods must be >= 1; got 0" in message
    assert "channels[0] ('x-TV').base_spend must be >= 0; got -5.0" in message
    assert "regions.sales_volatility must be >= 0; got -1.0" in message


# --------------------------------------------------------------------------- quality: the clean case
def test_default_dataset_passes_without_warnings(default_result):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_data_quality(default_result)
    assert report.passed and report.issues == [] and report.warnings == []
    m = report.metrics
    assert m["roas"].dims == ("geo", "channel")
    assert m["spend_correlation"].dims == ("geo", "channel", "other_channel")
    np.testing.assert_allclose(np.diagonal(m["spend_correlation"].values, axis1=1, axis2=2), 1.0)
    assert m["signal_to_noise"].dims == ("geo",)
    # the on/off channel is the only one with zero-spend periods
    assert (m["zero_spend_share"].sel(channel="x-Social") > 0).all()
    assert (m["zero_spend_share"].sel(channel=["x-TV", "x-Search"]) == 0).all()
    # bounded Hill curves: levels are shares of the ceiling
    assert ((m["saturation_level"] > 0) & (m["saturation_level"] <= 1)).all()
    table = report.table()
    assert table.index.names == ["geo", "channel"] and len(table) == 9


def test_summary_is_readable(default_result):
    report = check_data_quality(default_result, warn=False)
    text = str(report)
    assert text == report.summary()
    assert text.startswith("Data quality: passed (0 issue(s), 0 warning(s))")
    for channel in ("x-TV", "x-Search", "x-Social"):
        assert channel in text
    assert "Signal-to-noise" in text


def test_accepts_result_dataset_and_file(default_result, tmp_path):
    from_result = check_data_quality(default_result, warn=False)
    from_dataset = check_data_quality(default_result.dataset, warn=False)
    assert from_result.metrics.identical(from_dataset.metrics)
    io = pytest.importorskip("xmmm.io")
    path = tmp_path / "d.nc"
    io.to_netcdf(default_result.dataset, path)
    from_file = check_data_quality(io.open_dataset(path), warn=False)
    assert from_file.passed
    np.testing.assert_allclose(from_file.metrics["adstock_half_life"], from_result.metrics["adstock_half_life"])
    np.testing.assert_allclose(from_file.metrics["saturation_level"], from_result.metrics["saturation_level"])


def test_rejects_other_input(default_result):
    with pytest.raises(TypeError, match="expected an MMMResult"):
        check_data_quality(default_result["data"].to_numpy())
    with pytest.raises(ValueError, match="select a replicate"):
        check_data_quality(default_result.dataset.expand_dims(replicate=2))
    with pytest.raises(ValueError, match="not an xmmm dataset"):
        check_data_quality(default_result.dataset.drop_vars("roas"))


def test_broken_data_is_an_issue(default_result):
    ds = default_result.dataset.copy(deep=True)
    ds["y"][0, 0] = np.nan
    ds["spend"][1, 0, 0] = -1.0
    report = check_data_quality(ds, warn=False)
    assert not report.passed
    assert any("column 'y' has 1 missing value(s)" in i for i in report.issues)
    assert any("column 'x1-TV' has 1 negative value(s)" in i for i in report.issues)
    assert any("y has 1 missing or infinite value(s)" in i for i in report.issues)
    assert str(report).startswith("Data quality: FAILED")


# --------------------------------------------------------------------------- quality: one warning each
def test_collinear_spend_warns():
    twins = [
        ChannelConfig("A", pattern="seasonal", base_spend=1000.0, spend_volatility=0.0, base_effectiveness=0.2),
        ChannelConfig("B", pattern="seasonal", base_spend=500.0, spend_volatility=0.0, base_effectiveness=0.2),
        ChannelConfig("C", pattern="linear_trend", base_spend=800.0, spend_trend=0.01, base_effectiveness=0.2),
    ]
    report = quality(small_config(twins))
    (message,) = only(report.warnings, "spend correlation above 0.9")
    assert message.startswith("channels 'A' and 'B'") and "geo_1 (1.000)" in message
    assert float(report.metrics["spend_correlation"].sel(geo="geo_1", channel="A", other_channel="B")) > 0.999


def test_negligible_channel_warns_attribution_and_roas():
    channels = [
        ChannelConfig("A", pattern="seasonal", base_spend=1000.0, base_effectiveness=0.3),
        ChannelConfig("Tiny", pattern="linear_trend", base_spend=1000.0, base_effectiveness=0.0005),
    ]
    report = quality(small_config(channels))
    (attribution,) = only(report.warnings, "attribution below 1%")
    assert attribution.startswith("channel 'Tiny'")
    (roas,) = only(report.warnings, "true ROAS outside [0.05, 20]")
    assert roas.startswith("channel 'Tiny'")


def test_huge_roas_warns():
    channels = [
        ChannelConfig("A", pattern="seasonal", base_spend=1000.0, base_effectiveness=0.2),
        ChannelConfig("Cheap", pattern="linear_trend", base_spend=5.0, base_effectiveness=0.2),
    ]
    report = quality(small_config(channels))
    (message,) = only(report.warnings, "true ROAS outside")
    assert message.startswith("channel 'Cheap'")


def test_weak_signal_warns():
    channels = [
        ChannelConfig("A", pattern="seasonal", base_spend=1000.0, base_effectiveness=0.01),
        ChannelConfig("B", pattern="linear_trend", base_spend=1000.0, base_effectiveness=0.01),
    ]
    config = small_config(channels, regions=RegionConfig(n_regions=1, sales_volatility=0.2, base_sales_rate=1e5))
    report = quality(config)
    (message,) = only(report.warnings, "media signal is weak against noise")
    assert "geo_1" in message
    assert float(report.metrics["signal_to_noise"][0]) < 1


def test_linear_only_saturation_warns():
    config = small_config(saturation=[{"slope": 1.0, "kappa": 0.5}, {"slope": 1.0, "kappa": 50.0}])
    report = quality(config, generator_warns=True)
    (message,) = only(report.warnings, "never leaves the nearly linear start")
    assert message.startswith("channel 'B'")


def test_always_saturated_warns():
    config = small_config(saturation=[{"slope": 1.0, "kappa": 0.001}, {"slope": 1.0, "kappa": 0.5}])
    report = quality(config, generator_warns=True)
    (message,) = only(report.warnings, "the channel sits saturated")
    assert message.startswith("channel 'A'")


def test_long_adstock_warns():
    config = small_config(n_periods=30, adstock=[{"alpha": 0.97, "l_max": 30}, {"alpha": 0.3, "l_max": 4}])
    report = quality(config)
    (message,) = only(report.warnings, "adstock half-life (periods) longer than 0.25 of the 30-period series")
    assert message.startswith("channel 'A'")
    assert float(report.metrics["adstock_half_life"].sel(channel="A")[0]) > 7.5


def test_mostly_zero_spend_warns():
    channels = [
        ChannelConfig("A", pattern="seasonal", base_spend=1000.0, base_effectiveness=0.2),
        ChannelConfig("Rare", pattern="delayed_start", start_period=95, ramp_up_periods=1, base_spend=1000.0,
                      base_effectiveness=0.2),
    ]
    report = quality(small_config(channels))
    (message,) = only(report.warnings, "zero spend in more than 80% of periods")
    assert message.startswith("channel 'Rare'") and "geo_1 (91%)" in message


def test_warn_true_emits_each_warning():
    channels = [
        ChannelConfig("A", pattern="seasonal", base_spend=1000.0, base_effectiveness=0.3),
        ChannelConfig("Tiny", pattern="linear_trend", base_spend=1000.0, base_effectiveness=0.0005),
    ]
    result = xmmm.generate_mmm_dataset(small_config(channels))
    with pytest.warns(XmmmWarning) as record:
        report = check_data_quality(result)
    assert [str(w.message) for w in record] == report.warnings
    assert report.passed  # warnings never fail a dataset


def test_thresholds_are_adjustable(default_result):
    report = check_data_quality(default_result, warn=False, max_zero_share=0.1)
    only(report.warnings, "zero spend in more than 10% of periods")


# --------------------------------------------------------------------------- half-life
@pytest.mark.parametrize(
    ("weights", "expected"),
    # periods from the peak until the weight is half the peak (the kernel is zero after its last lag)
    [([1.0, 0.0, 0.0], 0.5), ([0.5, 0.25, 0.125], 1.0), ([1.0, 1.0, 1.0, 1.0], 3.5), ([0.0, 0.0, 1.0], 0.5),
     ([1.0], 0), ([0.2, 0.8, 0.4, 0.2], 1.0)],
)
def test_half_life(weights, expected):
    assert half_life(np.array(weights)) == pytest.approx(expected)


# --------------------------------------------------------------------------- quality: the long table
def test_long_table_report_has_only_what_the_table_supports(default_result):
    report = check_data_quality(default_result["data"], warn=False)
    assert report.passed and report.warnings == []
    m = report.metrics
    assert set(m.data_vars) == {"zero_spend_share", "spend_correlation", "y_mean", "y_std", "y_min", "y_max"}
    assert m.attrs["source"] == "long table"
    full = check_data_quality(default_result, warn=False).metrics
    np.testing.assert_allclose(m["zero_spend_share"].values, full["zero_spend_share"].values)
    np.testing.assert_allclose(m["spend_correlation"].values, full["spend_correlation"].values)
    y = default_result.dataset["y"]
    np.testing.assert_allclose(m["y_mean"].values, y.mean("date").values)
    np.testing.assert_allclose(m["y_max"].values, y.max("date").values)
    assert list(m["channel"].values) == ["TV", "Search", "Social"]
    text = report.summary()
    assert text.startswith("Data quality: passed") and "no ground truth" in text
    assert list(report.table().columns) == ["zero_spend_share"]


def test_long_table_schema_issues_and_warnings():
    twins = [
        ChannelConfig("A", pattern="seasonal", base_spend=1000.0, spend_volatility=0.0, base_effectiveness=0.2),
        ChannelConfig("B", pattern="seasonal", base_spend=500.0, spend_volatility=0.0, base_effectiveness=0.2),
    ]
    result = xmmm.generate_mmm_dataset(small_config(twins))
    df = result["data"].iloc[::-1].reset_index(drop=True)
    df.loc[0, "x1-A"] = -5.0
    with pytest.warns(XmmmWarning, match="spend correlation above 0.9"):
        report = check_data_quality(df)
    assert not report.passed
    assert any("rows are not sorted" in i for i in report.issues)
    assert any("column 'x1-A' has 1 negative value(s)" in i for i in report.issues)
    assert only(report.warnings, "spend correlation above 0.9")


def test_long_table_mostly_zero_spend_warns(default_result):
    df = default_result["data"].copy()
    df.loc[df.index[: int(0.9 * len(df))], "x1-TV"] = 0.0
    report = check_data_quality(df, warn=False)
    assert only(report.warnings, "channel 'TV': zero spend in more than 80% of periods")


def test_unreadable_table_is_an_issue_without_metrics(frame):
    report = check_data_quality(pd.concat([frame, frame.iloc[:2]]), warn=False)
    assert not report.passed
    assert any("repeated (date, geo) pair(s)" in i for i in report.issues)
    assert any(i.startswith("the table cannot be read") for i in report.issues)
    assert len(report.metrics.data_vars) == 0
    assert str(report).startswith("Data quality: FAILED")


def test_ground_truth_dict_is_refused_with_a_pointer(default_result):
    with pytest.raises(ValueError, match=r"check_data_quality needs 'spend'.*ground-truth dict.*result\.dataset"):
        check_data_quality(default_result["ground_truth"])


def test_as_dataset_of_ground_truth_and_table(default_result):
    from xmmm.quality import as_dataset

    ds = default_result.dataset
    truth = as_dataset(default_result["ground_truth"], needs=("roas",))
    assert set(truth.data_vars) == {"roas", "mroas", "attribution"}
    for var in truth.data_vars:
        np.testing.assert_allclose(truth[var].transpose("geo", "channel").values,
                                   ds[var].transpose("geo", "channel").values)
    assert list(truth["channel"].values) == list(ds["channel"].values)
    with pytest.raises(ValueError, match=r"plot_x needs 'roas', which a long table .* \(`result` or `result.dataset`\)"):
        as_dataset(default_result["data"], needs=("roas", "spend"), caller="plot_x")
    with pytest.raises(ValueError, match="must map geo -> channel -> value"):
        as_dataset({"roas_values": [1.0]})


def test_check_data_quality_takes_the_config_as_second_argument():
    result = xmmm.generate_mmm_dataset(n_periods=52)
    assert xmmm.check_data_quality(result["data"], result["config"], warn=False).passed
    report = xmmm.check_data_quality(result["data"].iloc[:-3], result["config"], warn=False)
    assert not report.passed
    assert any("the config makes 156 rows" in issue for issue in report.issues)
