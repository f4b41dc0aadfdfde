"""The command's contract, case by case: 0 ok, 2 anything the user can fix (one line naming what and
where), 3 ``verify`` found a difference, 1 only for a bug.

Every case runs :func:`xmmm.cli.main` in a fresh folder holding the files it needs; it checks the exit
code, that an error is one line naming the pieces listed, and that nothing is left behind: no hidden
temporary file, and no output file after a failure.
"""

from __future__ import annotations

import errno
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import xarray as xr

import xmmm
from xmmm import cli, io

@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Files the cases copy into their folder."""
    base = tmp_path_factory.mktemp("contract")
    out = {}
    out["data.nc"] = base / "data.nc"
    io.to_netcdf(xmmm.generate_dataset(n_periods=20), out["data.nc"])
    out["study.nc"] = base / "study.nc"
    xmmm.simulate(xmmm.customize_preset("basic", n_periods=20), 3, path=out["study.nc"]).close()
    out["study.zarr"] = base / "study.zarr"
    xmmm.simulate(xmmm.customize_preset("basic", n_periods=20), 2, path=out["study.zarr"]).close()
    cut = xmmm.open_dataset(out["data.nc"]).drop_vars(["mroas", "contribution"])
    out["cut.nc"] = base / "cut.nc"
    io.to_netcdf(cut, out["cut.nc"])
    out["foreign.nc"] = base / "foreign.nc"
    xr.Dataset({"a": ("x", [1.0, 2.0])}).to_netcdf(out["foreign.nc"], engine="netcdf4")
    return out


# --------------------------------------------------------------------------- set-ups
def _copy(*names):
    def setup(folder: Path, files: dict) -> None:
        for name in names:
            source = files[name]
            (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    return setup


def _text(name: str, text: str):
    def setup(folder: Path, files: dict) -> None:
        (folder / name).write_text(text)
    return setup


def _folder(name: str, *inside: str):
    def setup(folder: Path, files: dict) -> None:
        (folder / name).mkdir()
        for child in inside:
            (folder / name / child).write_text("keep")
    return setup


def _both(*setups):
    def setup(folder: Path, files: dict) -> None:
        for s in setups:
            s(folder, files)
    return setup


def _edited(name: str):
    """A copy of data.nc with one value of y changed (as a hand edit would)."""
    def setup(folder: Path, files: dict) -> None:
        import netCDF4

        shutil.copy(files["data.nc"], folder / name)
        with netCDF4.Dataset(folder / name, "a") as nc:
            nc["y"][3, 1] = nc["y"][3, 1] * 1.01
    return setup


def _config(body: str):
    return _text("c.yaml", "channels:\n  - name: TV\n" + body)


@dataclass
class Case:
    id: str
    argv: list[str]
    code: int
    pieces: tuple[str, ...] = ()
    setup: object = None
    xfail: str | None = None
    #: output that must exist afterwards (success) -- every other new file is an error
    outputs: tuple[str, ...] = field(default_factory=tuple)
    stdout: tuple[str, ...] = ()


CASES = [
    # ----- sizes and values (issue item 2 and 3)
    Case("periods-1e8", ["generate", "--periods", "100000000", "--out", "x.nc"], 2, ("n_periods", "100000000")),
    Case("config-periods-1e9", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2, ("n_periods",),
         setup=_text("c.yaml", "n_periods: 1000000000\nchannels:\n  - name: TV\n")),
    Case("config-periods-nan", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2, ("n_periods", "nan"),
         setup=_text("c.yaml", "n_periods: .nan\nchannels:\n  - name: TV\n")),
    Case("base-spend-1e308", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2, ("base_spend",),
         setup=_config("    base_spend: 1.0e+308\n")),
    Case("base-effectiveness-1e300", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2,
         ("base_effectiveness",), setup=_config("    base_effectiveness: 1.0e+300\n")),
    Case("spend-volatility-1e6", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2, ("spend_volatility",),
         setup=_config("    spend_volatility: 1.0e+6\n")),
    Case("periods-zero", ["generate", "--periods", "0", "--out", "x.nc"], 2, ("n_periods", "0")),
    Case("regions-zero", ["generate", "--regions", "0", "--out", "x.nc"], 2, ("n_regions",)),
    Case("seed-negative", ["generate", "--seed", "-1", "--out", "x.nc"], 2, ("seed", "-1")),
    Case("seed-too-large", ["generate", "--seed", str(2**64), "--out", "x.nc"], 2,
         ("seed", "9223372036854775808"), ),
    Case("two-problems", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2,
         ("2 problems: ", "base_spend", "spend_volatility"), setup=_config("    base_spend: -5\n    spend_volatility: -1\n")),
    # ----- config files
    Case("config-is-folder", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2, ("c.yaml", "folder"),
         setup=_folder("c.yaml")),
    Case("config-not-utf8", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2, ("c.yaml", "UTF-8"),
         setup=lambda folder, files: (folder / "c.yaml").write_bytes(b"\xff\xfe\x00garbage")),
    Case("config-bad-key", ["generate", "--config", "c.yaml", "--out", "x.nc"], 2, ("c.yaml", "colour"),
         setup=_config("    colour: red\n")),
    # ----- outputs
    Case("out-exists", ["generate", "--periods", "10", "--out", "data.nc"], 2, ("data.nc", "--overwrite"),
         setup=_copy("data.nc")),
    Case("out-exists-overwrite", ["generate", "--periods", "10", "--out", "data.nc", "--overwrite"], 0,
         setup=_copy("data.nc"), outputs=("data.nc",)),
    Case("sidecar-exists", ["generate", "--periods", "10", "--out", "t.csv"], 2, ("t.csv.truth.json", "--overwrite"),
         setup=_text("t.csv.truth.json", "{}")),
    Case("out-is-folder", ["generate", "--periods", "10", "--out", "x.nc"], 2, ("x.nc", "folder"),
         setup=_folder("x.nc")),
    Case("out-folder-missing", ["generate", "--out", "nope/x.nc"], 2, ("nope", "does not exist")),
    Case("out-bad-extension", ["generate", "--out", "x.txt"], 2, ("x.txt", ".nc")),
    Case("simulate-existing-store", ["simulate", "--preset", "basic", "--replicates", "2", "--out", "study.zarr"], 2,
         ("study.zarr", "--overwrite"), setup=_copy("study.zarr")),
    Case("simulate-existing-store-overwrite", ["simulate", "--preset", "basic", "--periods", "12", "--replicates",
                                               "2", "--out", "study.zarr", "--overwrite"], 0,
         setup=_copy("study.zarr"), outputs=("study.zarr",)),
    Case("simulate-existing-nc", ["simulate", "--preset", "basic", "--replicates", "2", "--out", "study.nc"], 2,
         ("study.nc", "--overwrite"), setup=_copy("study.nc")),
    Case("simulate-folder-not-a-store", ["simulate", "--preset", "basic", "--replicates", "2", "--out", "s.zarr",
                                         "--overwrite"], 2, ("s.zarr", "not a Zarr store"),
         setup=_folder("s.zarr", "precious.txt")),
    Case("simulate-file-named-zarr", ["simulate", "--preset", "basic", "--replicates", "2", "--out", "s.zarr"], 2,
         ("s.zarr", "not a Zarr store"), setup=_text("s.zarr", "not a store")),
    Case("simulate-folder-named-nc", ["simulate", "--preset", "basic", "--replicates", "2", "--out", "s.nc"], 2,
         ("s.nc", "directory"), setup=_folder("s.nc")),
    Case("simulate-bad-extension", ["simulate", "--preset", "basic", "--replicates", "2", "--out", "s.csv"], 2,
         ("s.csv", ".zarr")),
    Case("simulate-unreachable-scheduler", ["simulate", "--preset", "basic", "--replicates", "2", "--out", "s.nc",
                                            "--scheduler", "tcp://127.0.0.1:9"], 2,
         ("cannot reach", "tcp://127.0.0.1:9")),
    Case("simulate-bad-priors", ["simulate", "--preset", "basic", "--replicates", "2", "--priors", "p.yaml",
                                 "--out", "s.nc"], 2, ("p.yaml",),
         setup=_text("p.yaml", "transforms.adstock_alpha: {dist: Nope}\n")),
    # ----- inputs
    Case("describe-study-nc", ["describe", "study.nc"], 0, setup=_copy("study.nc"), stdout=("3 replicates",)),
    Case("describe-study-zarr", ["describe", "study.zarr"], 0, setup=_copy("study.zarr"),
         stdout=("2 replicates", "Provenance: content hash sha256:")),
    Case("describe-cut-file", ["describe", "cut.nc"], 2, ("cut.nc", "incomplete", "mroas"), setup=_copy("cut.nc")),
    Case("describe-foreign", ["describe", "foreign.nc"], 2, ("foreign.nc", "not an xmmm dataset"),
         setup=_copy("foreign.nc")),
    Case("describe-junk", ["describe", "junk.nc"], 2, ("junk.nc", "not a readable"),
         setup=lambda folder, files: (folder / "junk.nc").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)),
    Case("describe-empty-file", ["describe", "empty.nc"], 2, ("empty.nc",), setup=_text("empty.nc", "")),
    Case("describe-folder", ["describe", "f.zarr"], 2, ("f.zarr", "not a Zarr store"), setup=_folder("f.zarr")),
    Case("describe-missing", ["describe", "missing.nc"], 2, ("missing.nc",)),
    Case("describe-csv", ["describe", "t.csv"], 2, ("t.csv", ".nc")),
    Case("plot-study", ["plot", "study.nc", "--out", "figs"], 0, ("replicate 0", "--replicate"),
         setup=_copy("study.nc"), outputs=("figs",)),
    Case("plot-zarr-replicate", ["plot", "study.zarr", "--replicate", "1", "--out", "figs"], 0, ("replicate 1",),
         setup=_copy("study.zarr"), outputs=("figs",)),
    Case("plot-replicate-missing", ["plot", "study.zarr", "--replicate", "7", "--out", "figs"], 2,
         ("study.zarr", "replicate 7"), setup=_copy("study.zarr")),
    Case("plot-replicate-of-single", ["plot", "data.nc", "--replicate", "1", "--out", "figs"], 2,
         ("data.nc", "--replicate"), setup=_copy("data.nc")),
    Case("plot-cut-file", ["plot", "cut.nc", "--out", "figs"], 2, ("cut.nc", "incomplete"), setup=_copy("cut.nc")),
    Case("plot-out-is-file", ["plot", "data.nc", "--out", "data.nc"], 2, ("data.nc", "file"), setup=_copy("data.nc")),
    Case("plot-unknown-geo", ["plot", "data.nc", "--geos", "geo_a,atlantis", "--out", "figs"], 2,
         ("atlantis", "geo_a"), setup=_copy("data.nc")),
    Case("plot-figures-exist", ["plot", "data.nc", "--out", "figs"], 2, ("roas_comparison.png", "--overwrite"),
         setup=_both(_copy("data.nc"), _folder("figs", "roas_comparison.png"))),
    # ----- verify
    Case("verify-identical", ["verify", "data.nc"], 0, setup=_copy("data.nc"), stdout=("identical",)),
    Case("verify-study", ["verify", "study.zarr"], 0, setup=_copy("study.zarr"), stdout=("identical", "2 replicates")),
    Case("verify-edited", ["verify", "edited.nc"], cli.EXIT_DIFFERS, setup=_edited("edited.nc"),
         stdout=("DIFFERS", "'y'", "1 of")),
    Case("verify-foreign", ["verify", "foreign.nc"], 2, ("foreign.nc", "not an xmmm dataset"),
         setup=_copy("foreign.nc")),
    Case("verify-missing", ["verify", "missing.nc"], 2, ("missing.nc",)),
    # ----- the command line itself
    Case("unknown-command", ["frobnicate"], 2, ("frobnicate",)),
    Case("no-command", [], 2, ("give a command", "verify")),
    Case("not-an-int", ["generate", "--periods", "ten", "--out", "x.nc"], 2, ("--periods", "ten")),
    Case("unknown-preset", ["generate", "--preset", "nope", "--out", "x.nc"], 2, ("nope", "basic")),
]


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
     for c in CASES],
)
def test_exit_codes(case, files, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    if case.setup is not None:
        case.setup(tmp_path, files)
    before = {p.name for p in tmp_path.iterdir()}
    start = time.perf_counter()
    code = cli.main(case.argv)
    elapsed = time.perf_counter() - start
    captured = capsys.readouterr()
    assert code == case.code, captured.err
    assert "Traceback" not in captured.err and "bug" not in captured.err
    lines = [line for line in captured.err.splitlines() if line]
    if case.code == 2:
        assert len(lines) == 1, captured.err  # one line
        assert lines[0].startswith("xmmm"), lines[0]
        assert ":;" not in lines[0]
    for piece in case.pieces:
        assert piece in captured.err, (piece, captured.err)
    for piece in case.stdout:
        assert piece in captured.out, (piece, captured.out)
    after = {p.name for p in tmp_path.iterdir()}
    assert not [n for n in after if n.startswith(".")], after  # no hidden temporary file
    assert after - before == set(case.outputs) - before, after - before
    assert elapsed < 120  # nothing waits on a lock or a timeout (generous: CI machines are shared)


def test_scheduler_that_does_not_answer_fails_within_seconds(tmp_path, capsys, monkeypatch):
    """A listening socket that never speaks: the check times out after SCHEDULER_TIMEOUT, not 30 s."""
    import socket

    monkeypatch.setattr(cli, "SCHEDULER_TIMEOUT", 1.0)
    # a routable address that drops packets is not available in a sandbox; an unreachable port is the
    # honest stand-in for the connect phase, and the timeout bounds the rest
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
    start = time.perf_counter()
    argv = ["simulate", "--preset", "basic", "--replicates", "2", "--out", str(tmp_path / "s.nc"),
            "--scheduler", f"tcp://127.0.0.1:{port}"]
    assert cli.main(argv) == 2
    assert time.perf_counter() - start < 5
    assert f"127.0.0.1:{port}" in capsys.readouterr().err


def test_failed_write_names_the_target_not_the_temporary_file(tmp_path, capsys, monkeypatch):
    def full(self, name, values, start=0):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(io._NetCDFFile, "write", full)
    assert cli.main(["generate", "--periods", "30", "--out", str(tmp_path / "x.nc")]) == 2
    line = capsys.readouterr().err.strip()
    assert line == f"xmmm: error: {tmp_path / 'x.nc'}: no space left on device"
    assert list(tmp_path.iterdir()) == []


def test_a_genuine_bug_is_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("xmmm.generate.generate_dataset", lambda config: 1 / 0)
    monkeypatch.delenv("XMMM_DEBUG", raising=False)
    assert cli.main(["generate", "--periods", "10", "--out", str(tmp_path / "x.nc")]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err


def test_overwrite_replaces_a_study_store(files, tmp_path):
    target = tmp_path / "study.zarr"
    shutil.copytree(files["study.zarr"], target)
    argv = ["simulate", "--preset", "basic", "--periods", "12", "--replicates", "3", "--out", str(target),
            "--overwrite"]
    assert cli.main(argv) == 0
    assert xmmm.open_dataset(target).sizes["replicate"] == 3
