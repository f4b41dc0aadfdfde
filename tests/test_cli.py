"""The ``xmmm`` command: outputs, exit codes and one-line errors.

A few tests run the installed entry point in a subprocess (each start costs a
second or two); the rest call :func:`xmmm.cli.main` in-process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm
from xmmm import cli, io


def _entry_point() -> str | None:
    candidate = Path(sys.executable).parent / "xmmm"
    if candidate.exists():
        return str(candidate)
    return shutil.which("xmmm")


XMMM = _entry_point()
needs_entry_point = pytest.mark.skipif(XMMM is None, reason="the xmmm console script is not installed")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([XMMM, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture(scope="module")
def small_nc(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "small.nc"
    io.to_netcdf(xmmm.generate_dataset(n_periods=20), path)
    return path


# --------------------------------------------------------------------------- the installed command
@needs_entry_point
def test_entry_point_presets(tmp_path):
    done = _run("presets", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    names = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert set(xmmm.list_available_presets()) == set(names)


@needs_entry_point
def test_entry_point_generate_then_describe(tmp_path):
    done = _run("generate", "--preset", "demo", "--seed", "3", "--periods", "60", "--regions", "2",
                "--out", "demo.nc", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""  # quiet when stderr is not a terminal
    result = xmmm.open_result(tmp_path / "demo.nc")
    assert result.config.seed == 3
    assert result.dataset.sizes["date"] == 60 and result.dataset.sizes["geo"] == 2
    expected = xmmm.customize_preset("demo", seed=3, n_periods=60, **{"regions.n_regions": 2})
    assert result.config == expected

    done = _run("describe", "demo.nc", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for column in result.dataset["channel_column"].values:
        assert column in done.stdout
    assert "ROAS" in done.stdout and "Media share" in done.stdout and "60 periods" in done.stdout


@needs_entry_point
def test_entry_point_bad_config_exits_2_with_one_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("channels:\n  - name: TV\n    colour: red\n")
    done = _run("generate", "--config", "bad.yaml", "--out", "x.nc", cwd=tmp_path)
    assert done.returncode == 2
    line = _one_error_line(done.stderr)
    assert "bad.yaml" in line and "channels[0].colour" in line
    assert not (tmp_path / "x.nc").exists()


@needs_entry_point
def test_python_dash_m_and_corrupt_file(tmp_path):
    (tmp_path / "junk.nc").write_bytes(b"\x00garbage" * 50)
    done = subprocess.run([sys.executable, "-m", "xmmm", "describe", "junk.nc"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "junk.nc" in _one_error_line(done.stderr)


# --------------------------------------------------------------------------- in-process
def test_generate_csv_and_parquet(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    assert cli.main(["generate", "--periods", "12", "--seed", "5", "--out", str(tmp_path / "d.csv")]) == 0
    assert cli.main(["generate", "--periods", "12", "--seed", "5", "--out", str(tmp_path / "d.parquet")]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    csv = pd.read_csv(tmp_path / "d.csv", parse_dates=["date"])
    parquet = pd.read_parquet(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
    assert len(csv) == 12 * 3
    truth = json.loads((tmp_path / "d.csv.truth.json").read_text())
    assert truth["seed"] == 5 and (tmp_path / "d.parquet.truth.json").exists()


def test_generate_regions_keep_the_first_names(tmp_path):
    assert cli.main(["generate", "--periods", "30", "--regions", "4", "--out", str(tmp_path / "r.nc")]) == 0
    ds = xmmm.open_dataset(tmp_path / "r.nc")
    assert list(ds["geo"].values) == ["geo_a", "geo_b", "geo_c", "geo_4"]
    # the regions that were there keep their data
    xr.testing.assert_identical(ds["spend"].sel(geo=["geo_a", "geo_b", "geo_c"]).drop_vars("geo"),
                                xmmm.generate_dataset(n_periods=30)["spend"].drop_vars("geo"))


def test_generate_from_config_file(tmp_path):
    config = xmmm.customize_preset("basic", n_periods=15)
    xmmm.save_config(config, tmp_path / "basic.json")
    assert cli.main(["generate", "--config", str(tmp_path / "basic.json"), "--out", str(tmp_path / "b.nc")]) == 0
    xr.testing.assert_identical(xmmm.open_dataset(tmp_path / "b.nc"), xmmm.generate_dataset(config))


@pytest.mark.parametrize(
    ("argv", "pieces"),
    [
        (["generate", "--preset", "nope", "--out", "x.nc"], ["nope", "basic"]),
        (["generate", "--out", "x.txt"], ["x.txt", ".nc"]),
        (["generate", "--out", "missing_folder/x.nc"], ["missing_folder", "does not exist"]),
        (["generate", "--periods", "0", "--out", "x.nc"], ["n_periods"]),
        (["generate", "--config", "none.yaml", "--out", "x.nc"], ["none.yaml"]),
        (["generate", "--preset", "demo", "--config", "c.yaml", "--out", "x.nc"], ["not allowed"]),
        (["generate", "--periods", "ten", "--out", "x.nc"], ["--periods", "ten"]),
        (["generate"], ["--out"]),
        (["describe", "missing.nc"], ["missing.nc"]),
        (["describe", "table.csv"], ["table.csv", ".nc"]),
        (["frobnicate"], ["frobnicate"]),
        (["simulate", "--preset", "demo", "--replicates", "0", "--out", "s.zarr"], ["--replicates"]),
        ([], ["give a command", "generate"]),
    ],
    ids=["unknown-preset", "bad-extension", "missing-folder", "bad-periods", "missing-config", "both-sources",
         "not-an-int", "no-out", "missing-file", "describe-csv", "unknown-command", "zero-replicates", "no-command"],
)
def test_input_errors_exit_2(argv, pieces, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "xmmm.study", types.SimpleNamespace(simulate=lambda *a, **k: None))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    _one_error_line(err)
    for piece in pieces:
        assert piece in err
    assert list(tmp_path.iterdir()) == []


def test_foreign_netcdf_exits_2(tmp_path, capsys):
    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(tmp_path / "f.nc", engine="netcdf4")
    assert cli.main(["describe", str(tmp_path / "f.nc")]) == 2
    assert "not an xmmm dataset" in _one_error_line(capsys.readouterr().err)


def test_help_and_version(capsys):
    assert cli.main(["--version"]) == 0
    assert xmmm.__version__ in capsys.readouterr().out
    assert cli.main(["generate", "--help"]) == 0
    assert "--preset" in capsys.readouterr().out


def test_unexpected_failure_exits_1_with_hint(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("xmmm.generate.generate_dataset", broken)
    monkeypatch.delenv("XMMM_DEBUG", raising=False)
    assert cli.main(["generate", "--out", str(tmp_path / "x.nc")]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "RuntimeError: kaboom" in line and "hint" in line and "XMMM_DEBUG" in line


def test_status_lines_only_on_a_terminal(tmp_path, capsys, monkeypatch):
    assert cli.main(["generate", "--periods", "30", "--out", str(tmp_path / "a.nc")]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(cli, "_tty", lambda: True)
    assert cli.main(["generate", "--periods", "30", "--out", str(tmp_path / "b.nc")]) == 0
    err = capsys.readouterr().err
    assert "generating" in err and "wrote" in err and "b.nc" in err


def test_warnings_are_one_line(tmp_path, capsys, monkeypatch):
    real = xmmm.generate.generate_dataset

    def noisy(config):
        warnings.warn("first line\nsecond line", xmmm.XmmmWarning, stacklevel=2)
        return real(config)

    monkeypatch.setattr("xmmm.generate.generate_dataset", noisy)
    assert cli.main(["generate", "--periods", "30", "--out", str(tmp_path / "w.nc")]) == 0
    assert capsys.readouterr().err == "xmmm: warning: first line; second line\n"


def test_presets_table(capsys):
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    for name, description in xmmm.list_available_presets().items():
        assert name in out and description in out


def test_describe_study(small_nc, tmp_path, capsys):
    ds = xmmm.open_dataset(small_nc)
    io.to_netcdf(xr.concat([ds, ds], dim="replicate"), tmp_path / "study.nc")
    assert cli.main(["describe", str(tmp_path / "study.nc")]) == 0
    assert "2 replicates" in capsys.readouterr().out


def test_plot_calls_save_all_plots(small_nc, tmp_path, capsys, monkeypatch):
    calls = []

    def save_all_plots(data, out_dir):
        calls.append((data, Path(out_dir)))
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        return [Path(out_dir) / "one.png", Path(out_dir) / "two.png"]

    fake = types.SimpleNamespace(save_all_plots=save_all_plots, plot_names=lambda dataset: ("one", "two"))
    monkeypatch.setitem(sys.modules, "xmmm.plot", fake)
    assert cli.main(["plot", str(small_nc), "--out", str(tmp_path / "figs")]) == 0
    (data, out_dir), = calls
    xr.testing.assert_identical(data, xmmm.open_dataset(small_nc))
    assert out_dir == tmp_path / "figs"
    assert capsys.readouterr().out.split() == [str(tmp_path / "figs" / "one.png"), str(tmp_path / "figs" / "two.png")]


def test_simulate_passes_arguments(tmp_path, monkeypatch):
    calls = []
    fake = types.SimpleNamespace(simulate=lambda config, **kwargs: calls.append((config, kwargs)))
    monkeypatch.setitem(sys.modules, "xmmm.study", fake)
    monkeypatch.setattr(cli, "_check_scheduler", lambda address: None)
    argv = ["simulate", "--preset", "demo", "--replicates", "7", "--chunk", "3", "--seed", "9",
            "--out", str(tmp_path / "s.zarr"), "--scheduler", "tcp://127.0.0.1:8786"]
    assert cli.main(argv) == 0
    (config, kwargs), = calls
    assert config == xmmm.get_preset_config("demo", seed=9)
    assert kwargs == {"n_replicates": 7, "chunks": 3, "path": str(tmp_path / "s.zarr"), "priors": None,
                      "scheduler": "tcp://127.0.0.1:8786", "progress": False}


def test_simulate_with_a_priors_file(tmp_path):
    priors = tmp_path / "priors.yaml"
    priors.write_text("transforms.adstock_alpha: {dist: Beta, alpha: 2, beta: 5}\n")
    out = tmp_path / "study.nc"
    argv = ["simulate", "--preset", "basic", "--replicates", "6", "--chunk", "4", "--priors", str(priors),
            "--out", str(out)]
    assert cli.main(argv) == 0
    study = xmmm.open_dataset(out)
    assert study.sizes["replicate"] == 6
    drawn = study["prior_transforms_adstock_alpha"].values
    assert drawn.shape == (6, 3) and len(np.unique(drawn)) == drawn.size


def test_simulate_with_a_bad_priors_file(tmp_path, capsys):
    priors = tmp_path / "priors.yaml"
    priors.write_text("transforms.adstock_alpha: {dist: Beta, alpha: 2\n")
    argv = ["simulate", "--preset", "basic", "--replicates", "2", "--priors", str(priors),
            "--out", str(tmp_path / "s.nc")]
    assert cli.main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "priors.yaml" in line and "invalid YAML" in line
    assert not (tmp_path / "s.nc").exists()


def test_simulate_without_the_module(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "xmmm.study", None)
    assert cli.main(["simulate", "--preset", "demo", "--replicates", "2", "--out", str(tmp_path / "s")]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "simulation studies are not available" in line
