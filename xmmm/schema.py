"""The long table's output schema: :func:`validate_output_schema`.

Does a long table follow the output contract of the product description
(``date, geo, y, x1-..., c1-...``, unique sorted rows, no missing or negative
values)?  The answer is the list of violations, each naming the column or
rows; an empty list means valid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["validate_output_schema"]

_CHANNEL_COLUMN = re.compile(r"^x(\d+)-(.+)$")
_CONTROL_COLUMN = re.compile(r"^c(\d+)-(.+)$")
#: media input columns: exposures, reach, frequency, treatment values of channel <i>
_MEDIA_COLUMN = re.compile(r"^([erft])(\d+)-(.+)$")
_REQUIRED = ("date", "geo", "y")
#: at most this many row labels are shown in a message
_SHOW = 5


def _rows(labels: Sequence) -> str:
    labels = list(labels)
    shown = ", ".join(str(v) for v in labels[:_SHOW])
    more = f" (and {len(labels) - _SHOW} more)" if len(labels) > _SHOW else ""
    return f"{shown}{more}"


def _is_string_column(s: pd.Series) -> bool:
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return True
    if s.dtype == object:
        return bool(s.map(lambda v: isinstance(v, str)).all())
    return False


def _is_number_column(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _numbered(columns: list[str], pattern: re.Pattern, letter: str, kind: str) -> list[str]:
    numbers = [int(pattern.match(c).group(1)) for c in columns]
    if numbers != list(range(1, len(numbers) + 1)):
        expected = ", ".join(f"{letter}{i}" for i in range(1, len(numbers) + 1))
        return [
            f"{kind} columns must be numbered {expected} in column order; got {', '.join(map(repr, columns))}"
        ]
    return []


def _media_columns(media_cols: list[str], channel_cols: list[str]) -> list[str]:
    """Each media input column names a channel of the table (``e2-Search`` needs ``x2-Search``), in order."""
    problems = []
    channels = {c[1:] for c in channel_cols}
    for c in media_cols:
        if c[1:] not in channels:
            problems.append(f"media input column {c!r} has no channel column {'x' + c[1:]!r}")
    for letter in "erft":
        numbers = [int(_MEDIA_COLUMN.match(c).group(2)) for c in media_cols if c[0] == letter]
        if numbers != sorted(set(numbers)):
            problems.append(f"{letter}<i>- columns must follow the channel order; got "
                            f"{', '.join(c for c in media_cols if c[0] == letter)}")
    return problems


def validate_output_schema(df: pd.DataFrame, config=None) -> list[str]:
    """Every violation of the long-table output schema.

    The schema: columns ``date`` (datetime), ``geo`` (string) and ``y``, then
    one numeric column per channel named ``x<i>-<label>`` with ``i`` = 1..n in
    column order, then the media inputs of the channels that have them --
    exposures ``e<i>-<label>``, reach ``r<i>-``, frequency ``f<i>-``,
    treatment values ``t<i>-`` (``i`` the channel's number) -- then one per
    control named ``c<j>-<label>``; no other
    columns; one row per (date, geo), sorted by date then geo; no missing
    values; numeric values finite and non-negative.

    Parameters
    ----------
    df : pandas.DataFrame
        The long table, e.g. ``result["data"]`` or a CSV read back with
        ``parse_dates=["date"]``.
    config : MMMDataConfig, optional
        When given, the column names, the row count, the geo names and the
        dates must also be the ones this config produces.

    Returns
    -------
    list of str
        One message per violation, naming the column or the rows (by index
        label); empty when the table is valid.

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(n_periods=52)
    >>> validate_output_schema(result["data"], result.config)
    []
    >>> validate_output_schema(result["data"].drop(columns="y"))
    ["missing required column 'y'"]
    """
    if not isinstance(df, pd.DataFrame):
        return [f"the data must be a pandas DataFrame; got {type(df).__name__}"]
    problems: list[str] = []
    columns = [str(c) for c in df.columns]
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        problems.append(f"duplicate column names: {', '.join(map(repr, dupes))}")
        return problems  # every per-column check below would be ambiguous
    for name in _REQUIRED:
        if name not in columns:
            problems.append(f"missing required column {name!r}")

    channel_cols = [c for c in columns if _CHANNEL_COLUMN.match(c)]
    media_cols = [c for c in columns if _MEDIA_COLUMN.match(c)]
    control_cols = [c for c in columns if _CONTROL_COLUMN.match(c)]
    known = set(_REQUIRED) | set(channel_cols) | set(media_cols) | set(control_cols)
    for c in [c for c in columns if c not in known]:
        problems.append(
            f"unexpected column {c!r}: the table holds only date, geo, y, channel columns "
            "x<i>-<label>, media input columns e/r/f/t<i>-<label> and control columns c<j>-<label>"
        )
    if not channel_cols:
        problems.append("no channel columns: expected at least one named x1-<label>")
    problems += _numbered(channel_cols, _CHANNEL_COLUMN, "x", "channel")
    problems += _media_columns(media_cols, channel_cols)
    problems += _numbered(control_cols, _CONTROL_COLUMN, "c", "control")

    if len(df) == 0:
        problems.append("the table has no rows")

    # types
    if "date" in columns and not pd.api.types.is_datetime64_any_dtype(df["date"].dtype):
        problems.append(f"column 'date' must be datetime; got dtype {df['date'].dtype}")
    if "geo" in columns and not _is_string_column(df["geo"]):
        problems.append(f"column 'geo' must hold strings; got dtype {df['geo'].dtype}")
    value_cols = [c for c in ("y", *channel_cols, *media_cols, *control_cols) if c in columns]
    numeric = []
    for c in value_cols:
        if _is_number_column(df[c]):
            numeric.append(c)
        else:
            problems.append(f"column {c!r} must be numeric; got dtype {df[c].dtype}")

    # values
    for c in columns:
        missing = df[c].isna().to_numpy()
        if missing.any():
            problems.append(f"column {c!r} has {int(missing.sum())} missing value(s) in rows {_rows(df.index[missing])}")
    for c in numeric:
        values = df[c].to_numpy(dtype=float, na_value=np.nan)
        infinite = np.isinf(values)
        if infinite.any():
            problems.append(
                f"column {c!r} has {int(infinite.sum())} infinite value(s) in rows {_rows(df.index[infinite])}"
            )
        with np.errstate(invalid="ignore"):
            negative = values < 0
        if negative.any():
            problems.append(
                f"column {c!r} has {int(negative.sum())} negative value(s) in rows {_rows(df.index[negative])}"
                f" (smallest {np.nanmin(values):.4g})"
            )

    # rows: unique and sorted
    if "date" in columns and "geo" in columns and len(df):
        dup = df.duplicated(subset=["date", "geo"], keep="first").to_numpy()
        if dup.any():
            problems.append(
                f"{int(dup.sum())} repeated (date, geo) pair(s): rows {_rows(df.index[dup])} repeat earlier rows"
            )
        problems += _check_sorted(df)

    if config is not None:
        problems += _check_against_config(df, columns, config)
    return problems


def _check_sorted(df: pd.DataFrame) -> list[str]:
    try:
        order = np.lexsort((df["geo"].astype(str).to_numpy(), df["date"].to_numpy()))
    except (TypeError, ValueError):
        return ["rows cannot be ordered by date then geo (mixed value types)"]
    out_of_place = np.flatnonzero(order != np.arange(len(df)))
    if out_of_place.size == 0:
        return []
    # ties (repeated pairs) may legally come in any order; compare keys, not positions
    keys = list(zip(df["date"].to_numpy(), df["geo"].astype(str).to_numpy()))
    for i in range(1, len(keys)):
        if keys[i] < keys[i - 1]:
            return [
                f"rows are not sorted by date then geo: row {df.index[i]} "
                f"({pd.Timestamp(keys[i][0]).date() if _is_time(keys[i][0]) else keys[i][0]}, {keys[i][1]}) "
                f"comes after row {df.index[i - 1]}"
            ]
    return []


def _is_time(value) -> bool:
    return isinstance(value, (np.datetime64, pd.Timestamp))


def _check_against_config(df: pd.DataFrame, columns: list[str], config) -> list[str]:
    problems = []
    expected = ["date", "geo", "y", *config.channel_columns, *config.media_input_columns, *config.control_columns]
    if columns != expected:
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        if missing:
            problems.append(f"columns missing for this config: {', '.join(map(repr, missing))}")
        if extra:
            problems.append(f"columns not in this config: {', '.join(map(repr, extra))}")
        if not missing and not extra:
            problems.append(f"columns must be in the order {', '.join(expected)}; got {', '.join(columns)}")
    n_rows = config.n_periods * len(config.region_names)
    issues = getattr(config, "data_issues", None)
    if issues is not None and (issues.missing or issues.missing_share):
        # the config leaves rows out: the table holds some of its rows, on its dates and geos
        return problems + _subset_of_config(df, columns, config, n_rows)
    if len(df) != n_rows:
        problems.append(
            f"the config makes {n_rows} rows ({config.n_periods} dates x {len(config.region_names)} geos); "
            f"got {len(df)}"
        )
    if "geo" in columns:
        present = {str(g) for g in df["geo"].dropna().unique()}
        names = set(config.region_names)
        if present - names:
            problems.append(f"geo values not in the config: {', '.join(sorted(present - names))}")
        if names - present:
            problems.append(f"geos of the config missing from the table: {', '.join(sorted(names - present))}")
    if "date" in columns and pd.api.types.is_datetime64_any_dtype(df["date"].dtype):
        dates = pd.DatetimeIndex(df["date"].dropna().unique()).sort_values()
        expected_dates = config.dates
        if len(dates) != len(expected_dates) or not (dates.as_unit("ns") == expected_dates.as_unit("ns")).all():
            problems.append(
                f"dates differ from the config's {len(expected_dates)} dates "
                f"({expected_dates[0].date()} to {expected_dates[-1].date()}, frequency {config.frequency!r})"
            )
    return problems




def _subset_of_config(df: pd.DataFrame, columns: list[str], config, n_rows: int) -> list[str]:
    """For a config with missing rows: at most its rows, only its geos and dates."""
    problems = []
    if len(df) > n_rows:
        problems.append(f"the config makes at most {n_rows} rows ({config.n_periods} dates x "
                        f"{len(config.region_names)} geos, some left out by data_issues); got {len(df)}")
    if "geo" in columns:
        extra = {str(g) for g in df["geo"].dropna().unique()} - set(config.region_names)
        if extra:
            problems.append(f"geo values not in the config: {', '.join(sorted(extra))}")
    if "date" in columns and pd.api.types.is_datetime64_any_dtype(df["date"].dtype):
        dates = pd.DatetimeIndex(df["date"].dropna().unique())
        if not dates.as_unit("ns").isin(config.dates.as_unit("ns")).all():
            problems.append(f"dates not among the config's {config.n_periods} dates "
                            f"({config.dates[0].date()} to {config.dates[-1].date()}, frequency {config.frequency!r})")
    return problems
