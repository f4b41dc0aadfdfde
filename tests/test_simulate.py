"""Simulation studies: replicates, sampled truth, lazy blocks, files and clusters."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import xmmm
from xmmm import study as simulate_module
from xmmm.config import DEFAULT_CONFIG
from xmmm.errors import ConfigError, GenerationError, XmmmWarning
from xmmm.export import to_long_dataframe
from xmmm.generate import generate_dataset, simulate_arrays, to_dataset
from xmmm.result import MMMResult
from xmmm.study import replicate_config, replicate_dataset, simulate

REPO = Path(__file__).resolve().parents[1]
PRIORS = {
    "transforms.adstock_alpha": {"dist": "Beta", "alpha": 2, "beta": 5},
    "channels[x-TV].base_effectiveness": {"dist": "HalfNormal", "sigma": 0.3},
    "regions.base_sales_rate": {"dist": "LogNormal", "mu": 9.2, "sigma": 0.1},
    "controls.base_effectiveness": {"dist": "Normal", "mu": 0.0, "sigma": 0.05},
}


def small_config(**changes) -> xmmm.MMMDataConfig:
    """DEFAULT_CONFIG shortened to 40 weeks (quick, still every pattern and a control of each kind)."""
    config = DEFAULT_CONFIG.copy()
    config.n_periods = 40
    for key, value in changes.items():
        obj = config
        *parents, last = key.split(".")
        for p in parents:
            obj = getattr(obj, p)
        setattr(obj, last, value)
    xmmm.validate_config(config)
    return config


@pytest.fixture(scope="module")
def study() -> xr.Dataset:
    return simulate(small_config(), 9)


@pytest.fixture(scope="module")
def prior_study() -> xr.Dataset:
    return simulate(small_config(), 9, priors=PRIORS)


def assert_same_study(actual: xr.Dataset, expected: xr.Dataset) -> None:
    """Same values, dims, coordinates and attributes (string dtypes may differ after a file round trip)."""
    actual = actual.compute()
    assert set(actual.variables) == set(expected.variables)
    for name, var in expected.variables.items():
        got = actual[name]
        assert got.dims == var.dims, name
        if var.dtype.kind in "OUT":
            assert [str(v) for v in got.values.ravel()] == [str(v) for v in var.values.ravel()], name
        else:
            np.testing.assert_array_equal(got.values, var.values, err_msg=name)
        assert got.attrs == var.attrs, name
    assert actual.attrs == expected.attrs


# --------------------------------------------------------------------------- replicates
def test_dims_and_attributes(study):
    assert dict(study.sizes) == {"replicate": 9, "date": 40, "geo": 3, "channel": 3, "control": 2}
    assert study["y"].dims == ("replicate", "date", "geo")
    assert study["spend"].dims == ("replicate", "date", "geo", "channel")
    assert study["adstock_alpha"].dims == ("replicate", "geo", "channel")
    assert study["adstock_function"].dims == ("channel",)
    assert study["replicate"].values.tolist() == list(range(9))
    assert study.attrs["n_replicates"] == 9 and study.attrs["first_replicate"] == 0
    assert study.attrs["seed"] == 42 and json.loads(study.attrs["xmmm_priors"]) == {}
    assert not any(v.startswith("prior_") for v in study.data_vars)
    # replicates differ
    assert not np.array_equal(study["y"][0], study["y"][1])


def test_replicate_zero_is_generate_dataset(study):
    single = generate_dataset(small_config())
    data = study.isel(replicate=0).drop_vars("replicate")
    xr.testing.assert_identical(data.drop_attrs(deep=False), single.drop_attrs(deep=False))
    xr.testing.assert_identical(replicate_dataset(study, 0), single)  # attributes included


@pytest.mark.parametrize("r", [0, 4, 8])
def test_first_replicate_gives_the_same_replicate(study, r):
    alone = simulate(small_config(), 1, first_replicate=r)
    assert alone.attrs["first_replicate"] == r
    xr.testing.assert_identical(alone.drop_attrs(deep=False), study.sel(replicate=[r]).drop_attrs(deep=False))
    tail = simulate(small_config(), 9 - r, first_replicate=r)
    xr.testing.assert_identical(tail.drop_attrs(deep=False), study.sel(replicate=slice(r, None)).drop_attrs(deep=False))


@pytest.mark.parametrize("r", [3, 8])
def test_replicate_dataset_is_an_ordinary_dataset_that_reproduces_itself(prior_study, r):
    one = replicate_dataset(prior_study, r)
    assert "replicate" not in one.dims and one.attrs["replicate"] == r
    assert not any(v.startswith("prior_") for v in one.data_vars)
    assert not set(one.attrs) & {"n_replicates", "first_replicate", "xmmm_priors"}
    # its config holds the replicate's drawn values ...
    config = xmmm.MMMDataConfig.from_dict(json.loads(one.attrs["xmmm_config"]))
    assert config.regions.base_sales_rate == float(prior_study["prior_regions_base_sales_rate"][r])
    assert [kw["alpha"] for kw in config.transforms.adstock_kwargs] == (
        prior_study["prior_transforms_adstock_alpha"][r].values.tolist()
    )
    assert config.to_dict() == replicate_config(small_config(), r, PRIORS).to_dict()
    # ... and with the replicate number it gives exactly this dataset
    rebuilt = to_dataset(simulate_arrays(config, [r]), config, replicate_axis=False)
    xr.testing.assert_identical(rebuilt.assign_attrs(replicate=r), one)
    # downstream code takes it
    table = to_long_dataframe(one)
    assert len(table) == one.sizes["date"] * one.sizes["geo"]
    result = MMMResult(one)
    assert result.config.to_dict() == config.to_dict()
    assert set(result["ground_truth"]["roas_values"]) == {"geo_a", "geo_b", "geo_c"}


def test_replicate_dataset_errors(study):
    with pytest.raises(KeyError, match="replicate 99 is not in the study"):
        replicate_dataset(study, 99)
    with pytest.raises(ValueError, match="simulation study"):
        replicate_dataset(generate_dataset(small_config()), 0)


# --------------------------------------------------------------------------- sampled truth
def test_stored_truth_is_what_was_drawn():
    config = small_config(**{"regions.n_regions": 1, "regions.region_names": ["all"],
                             "regions.transform_variation": 0.0})
    priors = {"transforms.adstock_alpha": {"dist": "Beta", "alpha": 2, "beta": 5},
              "channels.base_effectiveness": {"dist": "Gamma", "mu": 0.2, "sigma": 0.05}}
    study = simulate(config, 30, priors=priors)
    drawn = study["prior_transforms_adstock_alpha"]
    assert drawn.dims == ("replicate", "channel")
    assert drawn.attrs["parameter"] == "transforms.adstock_alpha"
    # alpha is varied on the odds scale, which round-trips to within an ulp even with factor 1
    # (generate._vary); effectiveness is varied by multiplication, exact
    np.testing.assert_array_equal(study["adstock_alpha"].isel(geo=0).values, drawn.values)
    np.testing.assert_array_equal(study["effectiveness"].isel(geo=0).values,
                                  study["prior_channels_base_effectiveness"].values)
    # the values differ between replicates and channels, and others stay as configured
    assert len(np.unique(drawn.values)) == drawn.size
    np.testing.assert_array_equal(study["saturation_kappa"].isel(geo=0, channel=0), 0.5)
    assert json.loads(study.attrs["xmmm_priors"]) == {
        "transforms.adstock_alpha": {"dist": "Beta", "alpha": 2.0, "beta": 5.0},
        "channels.base_effectiveness": {"dist": "Gamma", "mu": 0.2, "sigma": 0.05},
    }


def test_prior_variable_dims(prior_study):
    assert prior_study["prior_regions_base_sales_rate"].dims == ("replicate",)
    assert prior_study["prior_controls_base_effectiveness"].dims == ("replicate", "control")
    tv = prior_study["prior_channels_base_effectiveness"]
    assert tv.dims == ("replicate", "channel")
    # only x-TV is drawn; the others keep their configured values
    np.testing.assert_array_equal(tv.sel(channel="x-Search"), 0.15)
    assert len(np.unique(tv.sel(channel="x-TV"))) == 9


def test_draws_do_not_depend_on_the_number_of_replicates(prior_study):
    part = simulate(small_config(), 3, priors=PRIORS, first_replicate=5)
    xr.testing.assert_identical(part.drop_attrs(deep=False),
                                prior_study.sel(replicate=[5, 6, 7]).drop_attrs(deep=False))


def test_bad_prior_fails_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match="unknown parameter path"):
        simulate(small_config(), 5, priors={"channels.bogus": {"dist": "Beta", "alpha": 1, "beta": 1}},
                 path=tmp_path / "s.nc")
    assert list(tmp_path.iterdir()) == []


def test_negative_outcome_names_the_replicate():
    priors = {"controls[price].base_effectiveness": {"dist": "Uniform", "lower": -3.0, "upper": 0.0}}
    allowed = simulate(small_config(), 40, priors=priors, on_negative="allow")
    negative = (allowed["y"] < 0).any(["date", "geo"]).values
    assert negative.any() and not negative.all()
    first_bad = int(np.flatnonzero(negative)[0])
    with pytest.raises(GenerationError, match=rf"(^replicate {first_bad}: y would be negative)|"
                                              rf"(y would be negative .* in replicate {first_bad}, geo)"):
        simulate(small_config(), 40, priors=priors)
    # in a lazy study the failing block raises when computed, naming its replicate
    good = int(next(r for r in range(39) if not negative[r] and negative[r + 1]))
    lazy = simulate(small_config(), 2, priors=priors, chunks=1, first_replicate=good)
    with pytest.raises(GenerationError, match=rf"y would be negative .* in replicate {good + 1}, geo"):
        lazy.compute(scheduler="synchronous")


# --------------------------------------------------------------------------- warnings
def test_suspicious_settings_warn_once_not_per_replicate():
    config = small_config(**{"transforms.adstock_kwargs": [{"alpha": 0.5, "l_max": 60}] * 3})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        simulate(config, 20)
    messages = [str(w.message) for w in caught if issubclass(w.category, XmmmWarning)]
    assert len(messages) == 3, messages  # one per channel, not one per replicate
    assert all("l_max (60) is longer than the series" in m and "replicate 0 only" in m for m in messages)


# --------------------------------------------------------------------------- blocks and schedulers
@pytest.mark.parametrize("chunks", [1, 3, 7])
def test_chunk_size_does_not_change_replicates(prior_study, chunks):
    lazy = simulate(small_config(), 9, priors=PRIORS, chunks=chunks)
    assert lazy["y"].chunks[0] == tuple(min(chunks, 9 - i) for i in range(0, 9, chunks))
    assert lazy["prior_transforms_adstock_alpha"].chunks[0] == lazy["y"].chunks[0]
    xr.testing.assert_identical(lazy.compute(), prior_study)


def test_lazy_study_computes_each_block_once(monkeypatch):
    calls = []

    def counting(config, replicates, base=None):
        calls.append(list(replicates))
        return simulate_arrays(config, replicates, base)

    monkeypatch.setattr(simulate_module, "simulate_arrays", counting)
    lazy = simulate(small_config(), 10, chunks=4)
    assert calls == [[0]]  # the probe only: nothing else until computed
    calls.clear()
    lazy.compute(scheduler="synchronous")
    assert sorted(calls) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_threads_scheduler_and_environment(prior_study, monkeypatch):
    xr.testing.assert_identical(simulate(small_config(), 9, priors=PRIORS, scheduler="threads"), prior_study)
    lazy = simulate(small_config(), 9, priors=PRIORS, chunks=2)
    xr.testing.assert_identical(lazy.compute(scheduler="threads", num_workers=3), prior_study)
    monkeypatch.setenv(simulate_module.SCHEDULER_ENV, "threads")
    xr.testing.assert_identical(simulate(small_config(), 9, priors=PRIORS), prior_study)


def _recording(method, seen: list):
    def wrapper(self, *args, **kwargs):
        seen.append(self.scheduler.address)
        return method(self, *args, **kwargs)

    return wrapper


def _with_timeout(func, seconds: float):
    import dask

    # a busy two-core machine can take longer than dask's default to start workers
    with dask.config.set({"distributed.comm.timeouts.connect": "90s"}):
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(func).result(timeout=seconds)


def test_client_and_address_in_process(prior_study, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")

    def run():
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            xr.testing.assert_identical(simulate(small_config(), 9, priors=PRIORS, chunks=2, scheduler=client)
                                        .compute(), prior_study)
            in_memory = simulate(small_config(), 9, priors=PRIORS, chunks=None, scheduler=cluster.scheduler_address)
            xr.testing.assert_identical(in_memory, prior_study)
            # no scheduler argument: the address in XMMM_SCHEDULER is used
            monkeypatch.setenv("XMMM_SCHEDULER", cluster.scheduler_address)
            seen = []
            monkeypatch.setattr(distributed.Client, "submit",
                                _recording(distributed.Client.submit, seen), raising=True)
            from_env = simulate(small_config(), 9, priors=PRIORS, chunks=3, path=tmp_path / "env.nc")
            try:
                xr.testing.assert_identical(from_env.load().drop_attrs(), prior_study.drop_attrs())
            finally:
                from_env.close()
            assert seen, "the study did not go through the scheduler named by XMMM_SCHEDULER"

    _with_timeout(run, 120)


def test_two_worker_processes_give_the_same_replicates(prior_study, tmp_path):
    distributed = pytest.importorskip("distributed")

    def run():
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            assert len(client.nthreads()) == 2
            written = simulate(small_config(), 9, priors=PRIORS, chunks=2, scheduler=client, path=tmp_path / "c.nc")
            try:
                assert_same_study(written, prior_study)
            finally:
                written.close()
            lazy = simulate(small_config(), 9, priors=PRIORS, chunks=1, scheduler=client)
            xr.testing.assert_identical(client.compute(lazy).result(timeout=120), prior_study)

    _with_timeout(run, 240)


# --------------------------------------------------------------------------- files
@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
@pytest.mark.parametrize("chunks", [None, 4])
def test_written_study_reads_back_equal(prior_study, tmp_path, suffix, chunks):
    target = tmp_path / f"study{suffix}"
    opened = simulate(small_config(), 9, priors=PRIORS, chunks=chunks, path=target)
    try:
        assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
        assert opened["y"].chunks is not None  # lazy, not loaded
        assert_same_study(opened, prior_study)
        if chunks:
            assert opened["spend"].chunks[0] == (4, 4, 1)
        # a replicate of the file is an ordinary dataset too
        one = replicate_dataset(opened, 5)
        assert len(to_long_dataframe(one)) == 40 * 3
    finally:
        opened.close()
    assert_same_study(xmmm.open_dataset(target), prior_study)
    # plain xarray reads the file too; the file carries its provenance besides
    reopened = xr.open_dataset(target, engine="zarr" if suffix == ".zarr" else "netcdf4")
    try:
        for name in ("y", "spend", "prior_transforms_adstock_alpha"):
            np.testing.assert_array_equal(reopened[name].values, prior_study[name].values)
        assert reopened.attrs["xmmm_content_hash"] == xmmm.content_hash(prior_study)
    finally:
        reopened.close()


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch, suffix, error):
    original = simulate_module._Plan.block
    calls = []

    def failing(self, replicates):
        calls.append(list(replicates))
        if len(calls) == 3:  # the probe, block 1, then block 2 fails
            raise error("interrupted")
        return original(self, replicates)

    monkeypatch.setattr(simulate_module._Plan, "block", failing)
    with pytest.raises(error, match="interrupted"):
        simulate(small_config(), 10, chunks=3, path=tmp_path / f"study{suffix}")
    assert calls[1:] == [[0, 1, 2], [3, 4, 5]]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_existing_file_is_replaced_only_when_complete(study, tmp_path, suffix):
    target = tmp_path / f"study{suffix}"
    simulate(small_config(), 2, path=target).close()
    simulate(small_config(), 9, path=target).close()
    back = xmmm.open_dataset(target)
    assert back.sizes["replicate"] == 9
    assert_same_study(back, study)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_directory_that_is_not_a_store_is_not_replaced(tmp_path):
    (tmp_path / "data.zarr").mkdir()
    (tmp_path / "data.zarr" / "precious.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="not a Zarr store"):
        simulate(small_config(), 2, path=tmp_path / "data.zarr")
    assert (tmp_path / "data.zarr" / "precious.txt").read_text() == "keep"


# --------------------------------------------------------------------------- arguments and progress
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_replicates": 0}, "n_replicates must be an integer >= 1; got 0"),
        ({"n_replicates": 2.5}, "n_replicates must be an integer"),
        ({"chunks": 0}, "chunks must be an integer >= 1"),
        ({"first_replicate": -1}, "first_replicate must be an integer >= 0"),
        ({"path": "study.csv"}, r"path must end in \.nc .* or \.zarr"),
        ({"path": "no/such/dir/study.nc"}, "does not exist"),
        ({"scheduler": 3}, "scheduler must be a distributed.Client"),
        ({"on_negative": "clip"}, "on_negative must be 'raise' or 'allow'"),
    ],
)
def test_bad_arguments(kwargs, match):
    kwargs = {"n_replicates": 2, **kwargs}
    with pytest.raises(ConfigError, match=match):
        simulate(small_config(), **kwargs)


def test_config_forms():
    from_dict = simulate(small_config().to_dict(), 2)
    xr.testing.assert_identical(from_dict, simulate(small_config(), 2))
    assert simulate(None, 1).attrs["seed"] == 42  # DEFAULT_CONFIG
    config = small_config()
    config.seed = None
    drawn = simulate(config, 1)
    assert isinstance(drawn.attrs["seed"], int)
    assert json.loads(drawn.attrs["xmmm_config"])["seed"] == drawn.attrs["seed"]


def test_progress_bar(capsys, tmp_path):
    simulate(small_config(), 6, chunks=2, path=tmp_path / "s.nc", progress=True).close()
    err = capsys.readouterr().err
    assert "6/6 replicates" in err and err.endswith("\n")
    simulate(small_config(), 6, progress=None)  # stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""


def test_benchmark_runs_quick():
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_simulate.py"), "--quick"],
                         capture_output=True, text=True, env=env, timeout=240, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "replicates/s" in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("store", ["netcdf", "zarr"])
def test_streaming_memory_does_not_grow_with_the_number_of_replicates(store):
    """Streaming 10x more replicates to disk needs no more memory (each case in a fresh process)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_simulate", REPO / "benchmarks" / "bench_simulate.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    small = bench.spawn(store, 2_000, threads=1)
    large = bench.spawn(store, 20_000, threads=1)
    # growth over the warmed-up process: bounded by the block size, not by n_replicates
    assert large["growth_mb"] <= 1.5 * small["growth_mb"] + 10.0
    assert large["peak_mb"] <= 1.2 * small["peak_mb"]
