"""Ctrl-C and kill -9 on the installed command: exit 130 within seconds, nothing left behind.

Each test starts ``xmmm`` in a subprocess, waits until its hidden temporary output exists (the write is
under way), then interrupts it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xmmm import cli, io

XMMM = str(Path(sys.executable).parent / "xmmm") if (Path(sys.executable).parent / "xmmm").exists() else (
    shutil.which("xmmm"))
pytestmark = pytest.mark.skipif(XMMM is None, reason="the xmmm console script is not installed")


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([XMMM, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_temp(proc: subprocess.Popen, folder: Path, timeout: float = 120.0) -> list[Path]:
    """The hidden temporary outputs, as soon as one exists (the write has started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        temps = [p for p in folder.iterdir() if p.name.startswith(".") and ".xmmm-" in p.name]
        if temps:
            return temps
        if proc.poll() is not None:
            pytest.fail(f"finished before its write could be interrupted: {proc.communicate()}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no temporary file appeared")


CASES = {
    # a NetCDF write of ~20 MB compressed: the case that used to hang on xarray's file lock
    "generate-nc": ["generate", "--preset", "basic", "--regions", "4000", "--out", "big.nc"],
    "generate-csv": ["generate", "--preset", "basic", "--regions", "100", "--periods", "520", "--out", "big.csv"],
    "simulate-nc": ["simulate", "--preset", "basic", "--replicates", "3000", "--chunk", "100", "--out", "s.nc"],
    "simulate-zarr": ["simulate", "--preset", "basic", "--replicates", "3000", "--chunk", "100", "--out", "s.zarr"],
}


@pytest.mark.parametrize("name", list(CASES))
def test_ctrl_c_exits_130_quickly_and_leaves_nothing(name, tmp_path):
    proc = _start(CASES[name], tmp_path)
    _wait_for_temp(proc, tmp_path)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{name}: still running 10 s after Ctrl-C")
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "xmmm: interrupted", err
    assert time.monotonic() - sent < 10
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_a_killed_write_are_removed_by_the_next_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / ".big.nc.backup.tmp").write_text("not xmmm's pattern")
    proc = _start(CASES["generate-nc"], tmp_path)
    temps = _wait_for_temp(proc, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert all(t.exists() for t in temps)  # kill -9: nothing could clean up

    # a write of another target leaves them; the next write to the same target removes them
    assert cli.main(["generate", "--periods", "30", "--out", str(tmp_path / "other.nc")]) == 0
    assert all(t.exists() for t in temps)
    assert cli.main(["generate", "--periods", "30", "--out", str(tmp_path / "big.nc")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".big.nc.backup.tmp", "big.nc", "notes.txt", "other.nc"]


def test_stale_temps_of_live_processes_are_kept(tmp_path):
    target = tmp_path / "data.nc"
    live = io._temp_path(target)  # this process: a write in progress
    live.write_text("")
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = live.with_name(live.name.replace(f"-{os.getpid()}-", f"-{int(done.stdout)}-"))
    dead.write_text("")
    stale_store = dead.with_name(dead.name[:-4] + ".old")
    stale_store.mkdir()
    (stale_store / "chunk").write_text("")
    foreign = tmp_path / ".data.nc.xmmm-notahost-1-00000000.tmp"
    foreign.write_text("")
    assert sorted(io.remove_stale_temps(target)) == sorted([dead, stale_store])
    assert live.exists() and foreign.exists() and not dead.exists() and not stale_store.exists()
