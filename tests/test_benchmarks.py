"""The benchmark scripts without a test of their own run at a tiny size here, so they never rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_threads_benchmark_runs_quick(capsys):
    from xmmm.kernels._numba import POLICY

    mode = POLICY.mode
    rows = load("bench_threads").main(["--quick"])
    assert POLICY.mode == mode  # the benchmark leaves the policy as it found it
    assert {r["mode"] for r in rows} == {"serial", "parallel", "auto"}
    assert all(r["min_ms"] <= r["median_ms"] and r["vs_serial"] > 0 for r in rows)
    assert "median / serial" in capsys.readouterr().out


def test_cold_start_benchmark_runs_quick(capsys):
    rows = load("bench_cold").main(["--quick"])
    assert [r["environment"] for r in rows] == ["as installed"]
    # a process that also generates a dataset cannot be cheaper than one that only imports
    assert rows[0]["a_cpu_median"] > 0 and rows[0]["ratio_cpu"] > 0
    assert "A/B" in capsys.readouterr().out
