"""Decision truth stored with the dataset: written to NetCDF, read back, described and drawn."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest
import xarray as xr

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import xmmm  # noqa: E402
from xmmm import cli  # noqa: E402


@pytest.fixture(scope="module")
def result():
    return xmmm.generate_mmm_dataset(n_periods=52, seed=9)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_decision_truth_round_trips_through_netcdf(result, tmp_path):
    stored = xmmm.with_decision_truth(result, bounds=(0.5, 1.5), carryover="full")
    ds = stored.dataset
    assert ds["response_incremental_outcome"].dims == ("scale", "channel")
    assert ds["optimal_spend"].dims == ("channel",) and ds["optimal_budget"].dims == ()
    # the generated data are untouched
    plain = ds[list(result.dataset.data_vars)]
    plain.attrs = {k: v for k, v in plain.attrs.items() if k != "xmmm_decision_truth"}
    xr.testing.assert_identical(plain, result.dataset)
    stored.to_netcdf(tmp_path / "truth.nc")
    back = xmmm.open_dataset(tmp_path / "truth.nc")
    assert back.identical(ds)
    curves, optimum = xmmm.decision_truth(back)
    xr.testing.assert_allclose(curves, xmmm.response_curves(result, carryover="full"))
    expected = xmmm.optimal_budget(result, bounds=(0.5, 1.5), carryover="full")
    xr.testing.assert_allclose(optimum, expected)
    assert json.loads(ds.attrs["xmmm_decision_truth"])["bounds"] == [0.5, 1.5]


def test_decision_truth_of_a_study_has_a_replicate_dim():
    study = xmmm.simulate(xmmm.customize_preset("basic", n_periods=30), 2)
    stored = xmmm.with_decision_truth(study, scales=[0.5, 1.0])
    assert stored["optimal_scale"].dims == ("replicate", "channel")
    assert stored["response_mroas"].dims == ("replicate", "scale", "channel")


def test_describe_shows_the_optimum(result, tmp_path, capsys):
    xmmm.with_decision_truth(result, bounds=(0.8, 1.2)).to_netcdf(tmp_path / "stored.nc")
    result.to_netcdf(tmp_path / "plain.nc")
    for name, bounds in (("stored.nc", "[0.8, 1.2]"), ("plain.nc", "[0, 2]")):
        assert cli.main(["describe", str(tmp_path / name)]) == 0
        text = capsys.readouterr().out
        assert f"Optimal budget (each channel's spend path scaled by one factor in {bounds}" in text
        best = xmmm.optimal_budget(result, bounds=tuple(json.loads(bounds)))
        assert f"{float(best['total_incremental_outcome']):,.0f} at the optimum" in text
        for column in result.dataset["channel_column"].values:
            assert str(column) in text.split("Optimal budget")[1]


@pytest.mark.parametrize("by", ["channel", ("geo", "channel")])
def test_the_plot_marks_today_and_the_optimum_on_each_curve(result, by, tmp_path):
    stored = xmmm.with_decision_truth(result, by=by)
    fig = xmmm.plot_budget_response(stored)
    axes = fig.get_axes()
    assert [a.get_title() for a in axes] == [str(c) for c in result.dataset["channel"].values]
    _, optimum = xmmm.decision_truth(stored)
    n_lines = 1 if by == "channel" else result.dataset.sizes["geo"]
    for a, channel in zip(axes, result.dataset["channel"].values):
        stars = [line for line in a.get_lines() if line.get_marker() == "*"]
        circles = [line for line in a.get_lines() if line.get_marker() == "o"]
        assert len(stars) == len(circles) == n_lines
        best = optimum["spend"].sel(channel=channel).values.reshape(-1)
        np.testing.assert_allclose(sorted(s.get_xdata()[0] for s in stars), sorted(best))
        x0, x1 = a.get_xlim()
        assert x0 <= min(best) and max(best) <= x1  # the optimum is inside the drawn range
    fig.savefig(tmp_path / "budget.png")
    assert (tmp_path / "budget.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same figure from the two Datasets, without storing them
    pair = (xmmm.response_curves(result, by=by), xmmm.optimal_budget(result, by=by))
    assert len(xmmm.plot_budget_response(pair).get_axes()) == len(axes)


def test_save_all_plots_draws_the_budget_when_the_data_holds_it(result, tmp_path):
    stored = xmmm.with_decision_truth(result)
    written = [p.name for p in xmmm.save_all_plots(stored, tmp_path / "with")]
    assert written[-1] == "budget_response.png" and (tmp_path / "with" / "budget_response.png").stat().st_size > 0
    assert "budget_response.png" not in [p.name for p in xmmm.save_all_plots(result, tmp_path / "without")]


def test_the_plot_says_what_it_needs(result):
    with pytest.raises(ValueError, match="with_decision_truth"):
        xmmm.plot_budget_response(result)
