"""Provenance: every file carries the content hash of its data and the versions that made it; the hash is
well defined (the documented recipe, independent of format, compression and chunking); verify regenerates."""

from __future__ import annotations

import hashlib
import json

import numba
import numpy as np
import pytest
import xarray as xr

import xmmm
from xmmm import io

PRIORS = {"transforms.adstock_alpha": {"dist": "Beta", "alpha": 2, "beta": 5}}


def small_config():
    return xmmm.customize_preset("basic", n_periods=20, regions={"n_regions": 2})


@pytest.fixture(scope="module")
def dataset() -> xr.Dataset:
    return xmmm.generate_dataset(small_config())


@pytest.fixture(scope="module")
def study() -> xr.Dataset:
    return xmmm.simulate(small_config(), 5, priors=PRIORS)


def documented_hash(ds: xr.Dataset) -> str:
    """The recipe of :func:`xmmm.content_hash`'s docstring, written out independently."""
    kinds = {"f": "float", "i": "int", "u": "uint", "b": "bool", "M": "datetime", "m": "timedelta",
             "U": "string", "S": "string", "O": "string"}
    total = hashlib.sha256(b"xmmm-content-hash-v1\n")
    for name in sorted(map(str, ds.variables)):
        var = ds[name].variable
        values = np.asarray(var.values)
        kind = values.dtype.kind
        if kind in "USO":
            items = [str(v).encode() for v in values.ravel()]
            data = b"".join(len(b).to_bytes(8, "little") for b in items) + b"".join(items)
        elif kind == "f":
            data = np.where(np.isnan(values), np.nan, values).astype("<f8").tobytes()
        elif kind == "i":
            data = values.astype("<i8").tobytes()
        elif kind == "u":
            data = values.astype("<u8").tobytes()
        elif kind == "b":
            data = values.astype("u1").tobytes()
        else:
            data = values.astype(values.dtype.str[:3] + "[ns]").view("<i8").tobytes()
        total.update(json.dumps([name, list(var.dims), list(var.shape), kinds[kind]]).encode() + b"\n")
        total.update(hashlib.sha256(data).hexdigest().encode() + b"\n")
    return "sha256:" + total.hexdigest()


# --------------------------------------------------------------------------- the hash
def test_hash_is_the_documented_recipe(dataset, study):
    assert xmmm.content_hash(dataset) == documented_hash(dataset)
    assert xmmm.content_hash(study) == documented_hash(study)


def test_hash_does_not_depend_on_format_compression_or_chunking(dataset, study, tmp_path):
    io.to_netcdf(dataset, tmp_path / "z.nc")
    io.to_netcdf(dataset, tmp_path / "plain.nc", compress=False)
    expected = xmmm.content_hash(dataset)
    for name in ("z.nc", "plain.nc"):
        assert xmmm.provenance(tmp_path / name)["content_hash"] == expected
        assert xmmm.content_hash(xmmm.open_dataset(tmp_path / name)) == expected
    expected = xmmm.content_hash(study)
    for path, chunks in ((tmp_path / "s.nc", 2), (tmp_path / "s.zarr", 3), (tmp_path / "one.nc", None)):
        xmmm.simulate(small_config(), 5, priors=PRIORS, chunks=chunks, path=path).close()
        assert xmmm.provenance(path)["content_hash"] == expected, path
        assert xmmm.content_hash(xmmm.open_dataset(path)) == expected, path
    assert xmmm.content_hash(xmmm.simulate(small_config(), 5, priors=PRIORS, chunks=2)) == expected  # lazy


@pytest.mark.parametrize("change", ["value", "nan", "new variable", "label", "dim name"])
def test_hash_sees_every_change(dataset, change):
    changed = dataset.copy(deep=True)
    if change == "value":
        changed["y"].values[3, 1] = np.nextafter(changed["y"].values[3, 1], np.inf)  # one ulp
    elif change == "nan":
        changed["roas"].values[0, 0] = np.nan
    elif change == "new variable":  # variables added later are covered without a change here
        changed["lift"] = changed["y"] * 0.0
    elif change == "label":
        changed = changed.assign_coords(geo=["geo_1", "other"])
    else:
        changed = changed.rename_dims(control="controls")
    assert xmmm.content_hash(changed) != xmmm.content_hash(dataset)


def test_attributes_are_not_hashed(dataset):
    other = dataset.copy()
    other.attrs = {**other.attrs, "title": "another title"}
    other["y"].attrs = {"units": "euros"}
    assert xmmm.content_hash(other) == xmmm.content_hash(dataset)


# --------------------------------------------------------------------------- what files carry
def test_every_data_file_carries_hash_and_versions(dataset, tmp_path):
    io.to_netcdf(dataset, tmp_path / "d.nc")
    io.to_csv(dataset, tmp_path / "d.csv")
    xmmm.simulate(small_config(), 2, path=tmp_path / "s.zarr").close()
    versions = {"xmmm_version": xmmm.__version__, "numpy_version": np.__version__,
                "numba_version": numba.__version__}
    for path in (tmp_path / "d.nc", tmp_path / "s.zarr"):
        record = xmmm.provenance(path)
        assert record["content_hash"].startswith("sha256:")
        assert {k: record[k] for k in versions} == versions
    sidecar = json.loads((tmp_path / "d.csv.truth.json").read_text())
    assert sidecar["provenance"] == {"content_hash": xmmm.content_hash(dataset), **versions}


def test_reading_back_is_identical_and_keeps_provenance_apart(dataset, tmp_path):
    io.to_netcdf(dataset, tmp_path / "d.nc")
    back = xmmm.open_dataset(tmp_path / "d.nc")
    xr.testing.assert_identical(back, dataset)  # attrs included: the provenance is not in them
    assert back.encoding["xmmm_provenance"]["content_hash"] == xmmm.content_hash(dataset)


def test_rewriting_unchanged_data_keeps_the_recorded_versions(dataset, tmp_path):
    io.to_netcdf(dataset, tmp_path / "a.nc")
    back = xmmm.open_dataset(tmp_path / "a.nc")
    back.encoding["xmmm_provenance"]["numba_version"] = "0.0-made-elsewhere"
    io.to_netcdf(back, tmp_path / "b.nc")
    assert xmmm.provenance(tmp_path / "b.nc")["numba_version"] == "0.0-made-elsewhere"
    changed = back.copy(deep=True)
    changed["y"].values[0, 0] += 1.0
    io.to_netcdf(changed, tmp_path / "c.nc")
    assert xmmm.provenance(tmp_path / "c.nc")["numba_version"] == numba.__version__


# --------------------------------------------------------------------------- verify
def test_verify_identical_files(dataset, tmp_path):
    io.to_netcdf(dataset, tmp_path / "d.nc")
    io.to_csv(dataset, tmp_path / "d.csv")
    xmmm.simulate(small_config(), 4, priors=PRIORS, chunks=3, path=tmp_path / "s.zarr", first_replicate=7).close()
    for name in ("d.nc", "d.csv", "s.zarr"):
        report = xmmm.verify(tmp_path / name)
        assert report.identical, str(report)
        assert report.regenerated_hash == report.file_hash or name.endswith(".csv")
    assert xmmm.verify(tmp_path / "s.zarr").replicates == 4


def test_verify_names_the_first_variable_that_differs(dataset, tmp_path):
    changed = dataset.copy(deep=True)
    changed["spend"].values[2, 0, 1] *= 1.5
    changed["y"].values[5, 1] += 1.0
    io.to_netcdf(changed, tmp_path / "d.nc")
    report = xmmm.verify(tmp_path / "d.nc")
    assert not report.identical
    assert report.variable == "spend"  # before y in name order
    assert "1 of" in report.difference and "geo=" in report.difference and "max relative difference 0.5" in \
        report.difference
    assert "DIFFERS" in str(report)


def test_verify_sees_an_edited_hash(dataset, tmp_path):
    import netCDF4

    io.to_netcdf(dataset, tmp_path / "d.nc")
    with netCDF4.Dataset(tmp_path / "d.nc", "a") as nc:
        nc.setncattr(io.HASH_ATTR, "sha256:" + "0" * 64)
    report = xmmm.verify(tmp_path / "d.nc")
    assert not report.identical and "stored in the file" in report.difference


def test_verify_a_replicate_exported_alone(study, tmp_path):
    one = xmmm.replicate_dataset(study, 3)
    io.to_netcdf(one.load(), tmp_path / "r3.nc")
    assert xmmm.verify(tmp_path / "r3.nc").identical


# --------------------------------------------------------------------------- studies read like datasets
def test_open_dataset_and_open_result_take_a_replicate(study, tmp_path):
    xmmm.simulate(small_config(), 5, priors=PRIORS, path=tmp_path / "s.zarr").close()
    one = xmmm.open_dataset(tmp_path / "s.zarr", replicate=2)
    xr.testing.assert_identical(one, xmmm.replicate_dataset(study, 2).load())
    result = xmmm.open_result(tmp_path / "s.zarr", replicate=2)
    xr.testing.assert_identical(xmmm.generate_dataset(result.config, replicate=2), result.dataset)
    with pytest.raises(xmmm.DataFileError, match=r"5 replicates; choose one with open_result\(path, replicate=N\)"):
        xmmm.open_result(tmp_path / "s.zarr")
    with pytest.raises(xmmm.DataFileError, match="replicate 9 is not in the study"):
        xmmm.open_dataset(tmp_path / "s.zarr", replicate=9)
