"""Files: NetCDF round trips, atomic writes, long tables with truth sidecars, config files."""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm import io
from xmmm.config import DEFAULT_CONFIG, apply_overrides
from xmmm.errors import ConfigError, DataFileError


@pytest.fixture(scope="module")
def dataset() -> xr.Dataset:
    return xmmm.generate_dataset(n_periods=40)


@pytest.fixture(scope="module")
def no_controls() -> xr.Dataset:
    config = apply_overrides(DEFAULT_CONFIG, {"n_periods": 20, "control_variables": []})
    return xmmm.generate_dataset(config)


def _files(folder) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --------------------------------------------------------------------------- NetCDF
@pytest.mark.parametrize("which", ["dataset", "no_controls"])
def test_netcdf_round_trip_is_identical(which, request, tmp_path):
    ds = request.getfixturevalue(which)
    path = tmp_path / "data.nc"
    io.to_netcdf(ds, path)
    back = xmmm.open_dataset(path)
    xr.testing.assert_identical(back, ds)
    for name, var in ds.variables.items():
        assert back[name].dtype == var.dtype, name
    assert back.attrs == ds.attrs
    assert json.loads(back.attrs["xmmm_config"]) == json.loads(ds.attrs["xmmm_config"])
    # loaded into memory: the file can go away
    path.unlink()
    np.testing.assert_array_equal(back["y"].values, ds["y"].values)


def test_netcdf_zero_length_control_dim(no_controls, tmp_path):
    assert no_controls.sizes["control"] == 0
    io.to_netcdf(no_controls, tmp_path / "x.nc")
    back = xmmm.open_dataset(tmp_path / "x.nc")
    assert back.sizes["control"] == 0
    assert back["control_value"].shape == (20, 3, 0)


def test_netcdf_compression_flag(tmp_path):
    dataset = xmmm.generate_dataset(n_periods=300)  # spend: 300 x 3 x 3 floats, above the 16 KiB threshold
    io.to_netcdf(dataset, tmp_path / "z.nc")
    io.to_netcdf(dataset, tmp_path / "plain.nc", compress=False)
    with xr.open_dataset(tmp_path / "z.nc", engine="netcdf4") as raw:
        assert raw["spend"].encoding["zlib"] is True
        assert raw["media_share"].encoding["zlib"] is False  # tiny: stored plainly
    with xr.open_dataset(tmp_path / "plain.nc", engine="netcdf4") as raw:
        assert raw["spend"].encoding["zlib"] is False
    assert os.path.getsize(tmp_path / "z.nc") < os.path.getsize(tmp_path / "plain.nc")
    xr.testing.assert_identical(xmmm.open_dataset(tmp_path / "z.nc"), dataset)


def test_written_dataset_is_not_modified(dataset, tmp_path):
    before = dataset.copy(deep=True)
    io.to_netcdf(dataset, tmp_path / "a.nc")
    xr.testing.assert_identical(dataset, before)
    assert all("xmmm_dtype" not in v.attrs for v in dataset.variables.values())


def test_reread_file_can_be_written_again(dataset, tmp_path):
    io.to_netcdf(dataset, tmp_path / "a.nc")
    io.to_netcdf(xmmm.open_dataset(tmp_path / "a.nc"), tmp_path / "b.nc")
    xr.testing.assert_identical(xmmm.open_dataset(tmp_path / "b.nc"), dataset)


def test_config_from_file_regenerates_the_file(tmp_path):
    result = xmmm.generate_mmm_dataset(n_periods=30, seed=11)
    result.to_netcdf(tmp_path / "r.nc")
    back = xmmm.open_result(tmp_path / "r.nc")
    assert isinstance(back, xmmm.MMMResult)
    assert back.config == result.config
    xr.testing.assert_identical(xmmm.generate_dataset(back.config), back.dataset)
    pd.testing.assert_frame_equal(back["data"], result["data"])


def test_simulation_study_round_trip_and_open_result_refuses_it(dataset, tmp_path):
    study = xr.concat([dataset, dataset], dim="replicate").assign_coords(replicate=[0, 1])
    io.to_netcdf(study, tmp_path / "study.nc")
    xr.testing.assert_identical(xmmm.open_dataset(tmp_path / "study.nc"), study)
    with pytest.raises(DataFileError, match=r"study\.nc.*2 replicates"):
        xmmm.open_result(tmp_path / "study.nc")


# --------------------------------------------------------------------------- atomic writes
def _failing_netcdf(monkeypatch, error=RuntimeError("disk full")):
    """The second slab written fails, after the file has content."""
    original = io._NetCDFFile.write
    calls = []

    def fail(self, name, values, start=0):
        calls.append(name)
        if len(calls) == 2:
            raise error
        return original(self, name, values, start)

    monkeypatch.setattr(io._NetCDFFile, "write", fail)


def test_failed_write_keeps_old_file_and_leaves_no_temp(dataset, tmp_path, monkeypatch):
    path = tmp_path / "data.nc"
    io.to_netcdf(dataset, path)
    old = path.read_bytes()
    _failing_netcdf(monkeypatch)
    with pytest.raises(RuntimeError, match="disk full"):
        io.to_netcdf(dataset.isel(date=slice(5)), path)
    assert path.read_bytes() == old
    assert _files(tmp_path) == {"data.nc"}


def test_interrupted_first_write_leaves_no_file(dataset, tmp_path, monkeypatch):
    _failing_netcdf(monkeypatch)
    with pytest.raises(RuntimeError):
        io.to_netcdf(dataset, tmp_path / "new.nc")
    assert _files(tmp_path) == set()


def test_failed_table_write_keeps_both_old_files(dataset, tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    io.to_csv(dataset, path)
    old = path.read_bytes(), io.truth_sidecar_path(path).read_bytes()

    def fail(self, target, *args, **kwargs):
        with open(target, "w") as fh:
            fh.write("date,geo\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    with pytest.raises(KeyboardInterrupt):
        io.to_csv(dataset.isel(date=slice(3)), path)
    assert (path.read_bytes(), io.truth_sidecar_path(path).read_bytes()) == old
    assert _files(tmp_path) == {"t.csv", "t.csv.truth.json"}


def test_written_file_gets_normal_permissions(dataset, tmp_path):
    umask = os.umask(0o022)
    try:
        io.to_netcdf(dataset, tmp_path / "p.nc")
    finally:
        os.umask(umask)
    assert (tmp_path / "p.nc").stat().st_mode & 0o777 == 0o644


def test_write_into_missing_folder(dataset, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        io.to_netcdf(dataset, tmp_path / "nope" / "x.nc")


# --------------------------------------------------------------------------- reading bad files
def test_corrupt_file(tmp_path):
    path = tmp_path / "broken.nc"
    path.write_bytes(b"this is not a netcdf file at all" * 10)
    with pytest.raises(DataFileError, match=r"broken\.nc: not a readable NetCDF file"):
        xmmm.open_dataset(path)


def test_truncated_file(dataset, tmp_path):
    path = tmp_path / "cut.nc"
    io.to_netcdf(dataset, path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(DataFileError, match=r"cut\.nc"):
        xmmm.open_dataset(path)


def test_foreign_netcdf(tmp_path):
    path = tmp_path / "foreign.nc"
    xr.Dataset({"a": ("x", [1.0, 2.0])}, attrs={"title": "not ours"}).to_netcdf(path, engine="netcdf4")
    with pytest.raises(DataFileError, match=r"foreign\.nc: not an xmmm dataset.*xmmm_version"):
        xmmm.open_dataset(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.nc"):
        xmmm.open_dataset(tmp_path / "missing.nc")


# --------------------------------------------------------------------------- long tables
def test_csv_and_sidecar(dataset, tmp_path):
    path = tmp_path / "sales.csv"
    io.to_csv(dataset, path)
    table = pd.read_csv(path, parse_dates=["date"])
    expected = xmmm.to_long_dataframe(dataset)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    np.testing.assert_array_equal(table["y"].to_numpy(), expected["y"].to_numpy())  # exact floats

    truth = json.loads(io.truth_sidecar_path(path).read_text())
    assert truth["xmmm_version"] == xmmm.__version__
    assert truth["seed"] == dataset.attrs["seed"]
    assert truth["config"] == json.loads(dataset.attrs["xmmm_config"])
    assert xmmm.MMMDataConfig.from_dict(truth["config"]) == xmmm.MMMResult(dataset).config
    for geo in dataset["geo"].values:
        for channel in dataset["channel"].values:
            cell = dict(geo=geo, channel=channel)
            assert truth["roas_values"][geo][channel] == float(dataset["roas"].sel(cell))
            assert truth["mroas_values"][geo][channel] == float(dataset["mroas"].sel(cell))
            assert truth["attribution_percentages"][geo][channel] == float(dataset["attribution"].sel(cell))
            params = truth["transformation_parameters"]["channels"][channel][geo]
            assert params["adstock_params"]["alpha"] == float(dataset["adstock_alpha"].sel(cell))
            assert params["saturation_params"]["kappa"] == float(dataset["saturation_kappa"].sel(cell))
        assert truth["media_share"][geo] == float(dataset["media_share"].sel(geo=geo))
        for control in dataset["control"].values:
            value = float(dataset["control_coefficient"].sel(geo=geo, control=control))
            assert truth["control_coefficients"][geo][control] == value
    series = pd.DataFrame(truth["series"])
    assert list(series["geo"]) == list(table["geo"])
    assert list(series["date"]) == list(table["date"].dt.strftime("%Y-%m-%d"))
    first = dataset["channel_column"].values[0]
    np.testing.assert_array_equal(
        series[f"contribution_{first}"].to_numpy(),
        dataset["contribution"].isel(channel=0).transpose("date", "geo").values.reshape(-1),
    )


def test_sidecar_without_series_and_with_no_controls(no_controls, tmp_path):
    io.to_csv(no_controls, tmp_path / "a.csv", series=False)
    truth = json.loads((tmp_path / "a.csv.truth.json").read_text())
    assert "series" not in truth
    assert truth["controls"] == {}
    assert set(truth["control_coefficients"]["geo_a"]) == set()


def test_parquet(dataset, tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "sales.parquet"
    xmmm.MMMResult(dataset).to_parquet(path)
    table = pd.read_parquet(path)
    expected = xmmm.to_long_dataframe(dataset)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    assert (tmp_path / "sales.parquet.truth.json").exists()


def test_parquet_without_pyarrow(dataset, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r'pip install "xmmm\[parquet\]"'):
        io.to_parquet(dataset, tmp_path / "x.parquet")
    assert _files(tmp_path) == set()


def test_table_refuses_a_study(dataset, tmp_path):
    study = dataset.expand_dims(replicate=[0])
    with pytest.raises(ValueError, match="select a replicate"):
        io.to_csv(study, tmp_path / "s.csv")


def test_sidecar_name():
    assert io.truth_sidecar_path("out/sales.csv").name == "sales.csv.truth.json"
    assert io.truth_sidecar_path("sales.parquet").name == "sales.parquet.truth.json"


# --------------------------------------------------------------------------- config files
@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_config_round_trip(suffix, tmp_path):
    path = tmp_path / f"config{suffix}"
    xmmm.save_config(DEFAULT_CONFIG, path)
    assert xmmm.load_config(path) == DEFAULT_CONFIG


def test_config_round_trip_preset_with_custom_function(tmp_path):
    config = xmmm.get_preset_config("demo")
    xmmm.save_config(config, tmp_path / "demo.yaml")
    back = xmmm.load_config(tmp_path / "demo.yaml")
    assert back == config


def test_yaml_dates_stay_text(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("n_periods: 10\nstart_date: 2021-01-04\nchannels:\n  - name: TV\n")
    config = xmmm.load_config(path)
    assert config.start_date == "2021-01-04"
    assert config.to_dict()["start_date"] == "2021-01-04"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("channels:\n  - name: TV\n  - name: Radio\n    colour: red\n", ["unknown key", "channels[1].colour"]),
        (
            "channels:\n  - name: TV\n    base_spend: lots\n",
            ["channels[0]", "base_spend", "must be a number", "'lots'"],
        ),
        ("n_periods: -3\nchannels:\n  - name: TV\n", ["n_periods must be >= 1", "-3"]),
        ("channels:\n  - name: TV\nregions:\n  n_regions: two\n", ["regions", "n_regions", "integer", "'two'"]),
        ("channels:\n  - name: TV\n   base_spend: 3\n", ["line 3", "invalid YAML"]),
        ("- just\n- a list\n", ["mapping of config fields", "list"]),
        ("", ["empty"]),
    ],
    ids=["unknown-key", "wrong-type", "bad-value", "nested-wrong-type", "yaml-syntax", "not-a-mapping", "empty"],
)
def test_config_file_errors_name_file_and_key(tmp_path, text, pieces):
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(ConfigError) as err:
        xmmm.load_config(path)
    message = str(err.value)
    assert str(path) in message
    for piece in pieces:
        assert piece in message


def test_json_syntax_error_names_line(tmp_path):
    path = _write(tmp_path, "bad.json", '{"n_periods": 52,\n "channels": [{"name": "TV"}],\n}')
    with pytest.raises(ConfigError, match=r"bad\.json: line 3, column 1: invalid JSON"):
        xmmm.load_config(path)


def test_config_file_type_and_missing(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown config file type '\.toml'"):
        xmmm.load_config(_write(tmp_path, "c.toml", "x = 1"))
    with pytest.raises(FileNotFoundError, match=r"nothing\.yaml"):
        xmmm.load_config(tmp_path / "nothing.yaml")
    with pytest.raises(ConfigError, match="MMMDataConfig"):
        xmmm.save_config({"n_periods": 3}, tmp_path / "c.yaml")
    with pytest.raises(ConfigError, match=r"\.txt"):
        xmmm.save_config(DEFAULT_CONFIG, tmp_path / "c.txt")
    assert _files(tmp_path) == {"c.toml"}


def test_sidecar_values_are_json_safe(dataset):
    truth = io.truth_json(dataset)
    text = json.dumps(truth, allow_nan=False)
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in json.loads(text)["media_share"].values())
