"""The counterfactual benchmark runs (at a tiny size), so it never rots."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_counterfactual  # noqa: E402


def test_the_benchmark_runs_every_case(capsys):
    times = bench_counterfactual.main(["--quick"])
    assert all(len(v) == 1 and v[0] > 0 for v in times.values())
    assert "counterfactual / generation" in capsys.readouterr().out
