"""Every figure renders to PNG for one and several geos, with the panels, series and labels it promises."""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import xmmm  # noqa: E402
from xmmm import plot  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTS = {
    "channel_spend": plot.plot_channel_spend,
    "channel_contributions": plot.plot_channel_contributions,
    "roas_comparison": plot.plot_roas_comparison,
    "regional_comparison": plot.plot_regional_comparison,
    "data_quality": plot.plot_data_quality,
    "response_curves": plot.plot_response_curves,
    "adstock_kernels": plot.plot_adstock_kernels,
}


@pytest.fixture(scope="module")
def multi():
    return xmmm.generate_mmm_dataset(n_periods=60)


@pytest.fixture(scope="module")
def single():
    return xmmm.generate_mmm_dataset(n_periods=60, regions={"n_regions": 1, "region_names": None})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _data(request, which):
    return request.getfixturevalue(which)


def _plotted_lines(ax):
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


# --------------------------------------------------------------------------- every plot renders
@pytest.mark.parametrize("which", ["single", "multi"])
@pytest.mark.parametrize("name", list(PLOTS))
def test_every_plot_has_labelled_panels(request, which, name):
    fig = PLOTS[name](_data(request, which))
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.axison:
            continue
        assert ax.get_ylabel(), f"{name}: a panel without a y label"
        assert ax.get_title() or ax.get_title(loc="left") or fig.get_suptitle(), f"{name}: a panel without a title"


@pytest.mark.parametrize("name", list(PLOTS))
def test_every_plot_renders_png_multi_geo(multi, name, tmp_path):
    # the single-geo PNGs are rendered by test_save_all_plots
    fig = PLOTS[name](multi.dataset)
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=20)
    assert path.read_bytes()[:8] == PNG_MAGIC


# --------------------------------------------------------------------------- content
def test_channel_spend_facets_per_geo(multi):
    fig = plot.plot_channel_spend(multi)
    geos = list(multi.dataset["geo"].values)
    assert len(fig.axes) == len(geos)
    assert [ax.get_title() for ax in fig.axes] == geos
    assert fig.get_suptitle() == "Channel spend over time"
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines()] == ["x-TV", "x-Search", "x-Social"]
        assert ax.get_ylabel() == "spend (currency per week)"
    assert fig.axes[-1].get_xlabel() == "date"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["x-TV", "x-Search", "x-Social"]


def test_channel_spend_single_geo_and_selection(single, multi):
    fig = plot.plot_channel_spend(single)
    (ax,) = fig.axes
    assert ax.get_title() == "Channel spend — geo_1"
    fig = plot.plot_channel_spend(multi, geos=["geo_b"], channels="x-TV")
    (ax,) = fig.axes
    assert ax.get_title() == "Channel spend — geo_b"
    assert [line.get_label() for line in ax.get_lines()] == ["x-TV"]


def test_ax_is_used_for_one_panel(multi):
    fig, ax = plt.subplots()
    assert plot.plot_channel_spend(multi, geos="geo_a", ax=ax) is fig
    assert len(ax.get_lines()) == 3 and ax.get_legend() is not None
    fig, ax = plt.subplots()
    assert plot.plot_roas_comparison(multi, ax=ax) is fig
    fig, ax = plt.subplots()
    assert plot.plot_response_curves(multi, channels="x-TV", ax=ax) is fig
    fig, ax = plt.subplots()
    assert plot.plot_adstock_kernels(multi, geos="geo_c", ax=ax) is fig
    fig, ax = plt.subplots()
    assert plot.plot_channel_contributions(multi, geos="geo_c", ax=ax) is fig
    assert len(fig.axes) == 1


@pytest.mark.parametrize(
    "name", ["channel_spend", "channel_contributions", "adstock_kernels", "response_curves"]
)
def test_ax_with_several_panels_is_refused(multi, name):
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="ax= draws one panel"):
        PLOTS[name](multi, ax=ax)


def test_unknown_geo_or_channel(multi):
    with pytest.raises(ValueError, match="unknown geo\\(s\\) 'mars'; valid: geo_a, geo_b, geo_c"):
        plot.plot_channel_spend(multi, geos="mars")
    with pytest.raises(ValueError, match="unknown channel\\(s\\) 'Radio'"):
        plot.plot_response_curves(multi, channels=["x-TV", "Radio"])


def test_channel_contributions_stacks(multi, single):
    fig = plot.plot_channel_contributions(multi)
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 3
        assert ax.get_ylabel() == "contribution (units of y per week)"
    fig = plot.plot_channel_contributions(single, baseline=True)
    (ax,) = fig.axes
    assert ax.get_title() == "Decomposition of y — geo_1"
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 4  # baseline + 3 channels
    assert [line.get_label() for line in ax.get_lines()] == ["y (sales)"]
    fig = plot.plot_channel_contributions(single, kind="line")
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["x-TV", "x-Search", "x-Social"]
    with pytest.raises(ValueError, match="kind must be"):
        plot.plot_channel_contributions(single, kind="pie")


def test_roas_bars_per_channel_grouped_by_geo(multi, single):
    fig = plot.plot_roas_comparison(multi, mroas=True)
    (ax,) = fig.axes
    assert len(ax.patches) == 3 * 3
    assert [t.get_text() for t in ax.get_xticklabels()] == ["geo_a", "geo_b", "geo_c"]
    assert ax.get_ylabel() == "ROAS (y per unit of spend)"
    assert ax.get_title() == "True ROAS and marginal ROAS by channel and geo"
    markers = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert len(markers) == 3 and all(len(m.get_xdata()) == 3 for m in markers)
    # bar heights are the true ROAS
    tv = [p.get_height() for p in ax.patches[:3]]
    assert tv == pytest.approx(multi.dataset["roas"].sel(channel="x-TV").values)
    fig = plot.plot_roas_comparison(single)
    assert len(fig.axes[0].patches) == 3
    assert fig.axes[0].get_title() == "True ROAS by channel and geo"


@pytest.mark.parametrize("which", ["single", "multi"])
def test_regional_comparison(request, which):
    result = _data(request, which)
    n_geo = result.dataset.sizes["geo"]
    fig = plot.plot_regional_comparison(result)
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Sales over time", "Distribution of sales", "Average sales per week, decomposed",
                      "Media share of sales"]
    assert len(fig.axes[0].get_lines()) == n_geo
    share = fig.axes[3]
    assert [p.get_height() for p in share.patches] == pytest.approx(result.dataset["media_share"].values)
    assert share.get_ylabel() == "media contribution / y (%)"
    # baseline bar + one per channel, per geo
    assert len(fig.axes[2].patches) == 4 * n_geo


def test_data_quality_dashboard(multi):
    fig = plot.plot_data_quality(multi)
    titles = [ax.get_title() for ax in fig.axes]
    for title in ("Sales over time", "Distribution of sales", "Decomposition of sales (sum over geos)",
                  "Spend correlation (mean over geos)", "Zero-spend share per channel"):
        assert title in titles
    assert len(fig.axes) == 7  # six panels and the correlation colour bar
    text_panel = next(ax for ax in fig.axes if ax.get_title(loc="left") == "Quality check")
    assert text_panel.texts[0].get_text().startswith("Data quality: passed")
    heatmap = next(ax for ax in fig.axes if ax.get_title().startswith("Spend correlation"))
    assert heatmap.images[0].get_array().shape == (3, 3)
    assert fig.get_suptitle() == "Data quality — 3 geos"


def test_response_curves(multi, single):
    fig = plot.plot_response_curves(multi)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == [f"{c} (hill_function)" for c in ("x-TV", "x-Search", "x-Social")]
    for ax in fig.axes:
        assert ax.get_xlabel() == "spend (currency per week, sustained)"
        assert ax.get_ylabel() == "contribution (y per week)"
        # per geo: the whole curve, the observed range, the mean-spend dot
        assert len(ax.get_lines()) == 3 * 3
    # the curve is contribution in y units: coefficient * hill(spend / scale) for normalised kernels
    ds = single.dataset
    fig = plot.plot_response_curves(single, channels="x-Search")
    (ax,) = fig.axes
    whole = ax.get_lines()[0]
    s, c = whole.get_xdata(), whole.get_ydata()
    kappa = float(ds["saturation_kappa"].sel(channel="x-Search")[0])
    slope = float(ds["saturation_slope"].sel(channel="x-Search")[0])
    x = s / float(ds["spend_scale"].sel(channel="x-Search")[0])
    expected = float(ds["channel_coefficient"].sel(channel="x-Search")[0]) * x**slope / (kappa**slope + x**slope)
    assert c == pytest.approx(expected, rel=1e-9)
    observed = ax.get_lines()[1]
    spend = ds["spend"].sel(channel="x-Search", geo="geo_1").values
    assert observed.get_xdata().min() >= spend[spend > 0].min()
    assert observed.get_xdata().max() <= spend.max()


def test_adstock_kernels(multi):
    fig = plot.plot_adstock_kernels(multi)
    assert len(fig.axes) == 3
    l_max = multi.dataset["adstock_l_max"].values
    for ax, geo in zip(fig.axes, multi.dataset["geo"].values):
        assert len(ax.patches) == l_max.sum()
        assert ax.get_xlabel() == "lag (weeks after the spend)"
        assert ax.get_ylabel() == "weight (share of total effect)"
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        # the half-life an analyst quotes for a geometric kernel: ln 0.5 / ln alpha
        alpha = float(multi.dataset["adstock_alpha"].sel(geo=geo, channel="x-TV"))
        assert labels[0] == f"x-TV (geometric_adstock), half-life {np.log(0.5) / np.log(alpha):.1f} weeks"
    # normalised kernels: the bars of one channel sum to 1
    tv = [p.get_height() for p in fig.axes[0].patches[: l_max[0]]]
    assert sum(tv) == pytest.approx(1.0)


# --------------------------------------------------------------------------- bundle and files
def test_result_plotter_methods(multi):
    plotter = plot.ResultPlotter(multi)
    for name in PLOTS:
        fig = getattr(plotter, name)(geos="geo_a")
        assert isinstance(fig, Figure)
    assert "channel_spend" in repr(plotter)


def test_save_all_plots(single, tmp_path):
    paths = plot.save_all_plots(single, tmp_path / "out", dpi=20)
    assert [p.name for p in paths] == [f"{name}.png" for name in PLOTS]
    for p in paths:
        assert p.read_bytes()[:8] == PNG_MAGIC
    assert plt.get_fignums() == []  # every figure closed


def test_import_xmmm_does_not_import_matplotlib():
    code = (
        "import sys, xmmm, xmmm.quality\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "xmmm.plot_channel_spend\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "MPLBACKEND": "Agg"})


# --------------------------------------------------------------------------- the description's inputs
def _png(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=50)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_channel_spend_from_table(multi, tmp_path):
    fig = xmmm.plot_channel_spend(multi["data"])
    _png(fig, tmp_path, "spend")
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["geo_a", "geo_b", "geo_c"]
    assert [line.get_label() for line in _plotted_lines(fig.axes[0])] == ["TV", "Search", "Social"]
    tv = fig.axes[1].get_lines()[0].get_ydata()
    assert list(tv) == pytest.approx(multi.dataset["spend"].sel(geo="geo_b", channel="x-TV").values)
    fig = xmmm.plot_channel_spend(multi["data"], geos="geo_c", channels="Search")
    assert len(fig.axes) == 1 and len(_plotted_lines(fig.axes[0])) == 1


@pytest.mark.parametrize("which", ["single", "multi"])
def test_regional_comparison_from_table(request, which, tmp_path):
    result = _data(request, which)
    n_geo = result.dataset.sizes["geo"]
    fig = xmmm.plot_regional_comparison(result["data"])
    _png(fig, tmp_path, "regional")
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes] == ["Sales over time", "Distribution of sales",
                                                   "Average sales per week (± std)", "Average spend per week"]
    assert len(fig.axes[0].get_lines()) == n_geo
    mean = [p.get_height() for p in fig.axes[2].patches]
    assert mean == pytest.approx(result.dataset["y"].mean("date").values)
    assert len(fig.axes[3].patches) == 3 * n_geo  # one stacked bar per channel and geo


def test_data_quality_from_table(multi, tmp_path):
    fig = xmmm.plot_data_quality(multi["data"])
    _png(fig, tmp_path, "quality")
    assert len(fig.axes) == 7
    titles = [ax.get_title() for ax in fig.axes]
    for title in ("Sales over time", "Distribution of sales", "Spend by channel (sum over geos)",
                  "Spend correlation (mean over geos)", "Zero-spend share per channel"):
        assert title in titles
    assert not any(t.startswith("Decomposition") for t in titles)
    spend = next(ax for ax in fig.axes if ax.get_title().startswith("Spend by channel"))
    assert len(spend.collections) == 3
    text_panel = next(ax for ax in fig.axes if ax.get_title(loc="left") == "Quality check")
    text = text_panel.texts[0].get_text()
    assert text.startswith("Data quality: passed") and "no ground truth" in text
    fig = xmmm.plot_data_quality(multi["data"], geos="geo_a")
    assert fig.get_suptitle() == "Data quality — geo_a"


def test_roas_from_ground_truth(multi, tmp_path):
    fig = xmmm.plot_roas_comparison(multi["ground_truth"], mroas=True)
    _png(fig, tmp_path, "roas")
    ax = fig.axes[0]
    assert len(ax.patches) == 9
    assert [p.get_height() for p in ax.patches[:3]] == pytest.approx(multi.dataset["roas"].sel(channel="x-TV").values)
    assert len([line for line in ax.get_lines() if line.get_marker() == "D"]) == 3
    fig = xmmm.plot_roas_comparison(multi["ground_truth"], geos="geo_b", channels=["x-TV", "x-Search"])
    assert len(fig.axes[0].patches) == 2


def test_contributions_from_transformed_spend(multi, tmp_path):
    frame = multi["ground_truth"]["transformed_spend"].reset_index()
    fig = xmmm.plot_channel_contributions(frame)
    _png(fig, tmp_path, "contributions")
    assert len(fig.axes) == 3
    assert sum(isinstance(c, PolyCollection) for c in fig.axes[0].collections) == 3
    fig = xmmm.plot_channel_contributions(frame, kind="line", geos="geo_a")
    top = _plotted_lines(fig.axes[0])
    assert [line.get_label() for line in top] == ["TV", "Search", "Social"]
    assert list(top[0].get_ydata()) == pytest.approx(
        multi.dataset["contribution"].sel(geo="geo_a", channel="x-TV").values)
    with pytest.raises(ValueError, match=r"plot_channel_contributions with baseline=True needs 'baseline', 'y'"):
        xmmm.plot_channel_contributions(frame, baseline=True)


@pytest.mark.parametrize(
    "name, data, needs",
    [
        ("plot_response_curves", "data", "'spend_scale'"),
        ("plot_adstock_kernels", "data", "'adstock_function'"),
        ("plot_channel_contributions", "data", "'contribution'"),
        ("plot_roas_comparison", "data", "'roas'"),
        ("plot_channel_spend", "ground_truth", "'spend'"),
        ("plot_regional_comparison", "ground_truth", "'y'"),
        ("plot_data_quality", "ground_truth", "'y', 'spend'"),
    ],
)
def test_impossible_inputs_say_what_is_missing(multi, name, data, needs):
    with pytest.raises(ValueError, match=rf"{name} needs {needs}.*\(`result` or `result.dataset`\)"):
        getattr(xmmm, name)(multi[data])


def test_save_all_plots_refuses_a_long_table_before_writing(single, tmp_path):
    table = single["data"]
    with pytest.raises(ValueError, match="save_all_plots needs .* pass the full dataset"):
        plot.save_all_plots(table, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_gallery_script_writes_every_plot_of_the_demo_preset(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "gallery.py"
    spec = importlib.util.spec_from_file_location("gallery", path)
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    written = gallery.main([str(tmp_path / "gallery"), "--dpi", "20"])
    assert sorted(p.name for p in written) == sorted(f"{name}.png" for name in PLOTS)
    assert all(p.stat().st_size > 0 for p in written)


# --------------------------------------------------------------------------- media inputs
@pytest.fixture(scope="module")
def kinds():
    return xmmm.generate_dataset(xmmm.get_preset_config("meridian_full"))


def test_media_inputs_has_a_panel_per_input_and_population_and_revenue_per_kpi(kinds, tmp_path):
    fig = plot.plot_media_inputs(kinds)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["TV (paid)", "Display (paid)", "YouTube (paid reach & frequency)", "Newsletter (organic)",
                      "Promotion (non-media treatment)", "Population", "Revenue per KPI (y is not revenue)"]
    by_title = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    # reach as a share of the population, within 0-100 %, frequency on the twin axis at least 1
    rf = by_title["YouTube (paid reach & frequency)"]
    share = _plotted_lines(rf)[0].get_ydata()
    expected = 100 * kinds.reach.sel(channel="YouTube").sum("geo") / kinds.population.sum()
    assert share == pytest.approx(expected.values, rel=1e-12)
    assert ((share > 0) & (share < 100)).all() and rf.get_ylabel() == "reach, % of population"
    twin = next(ax for ax in fig.axes if ax is not rf and ax.get_ylabel() == "average frequency")
    assert (twin.get_lines()[0].get_ydata() >= 1).all()
    # the CPM of a paid impressions channel: 1000 x spend / impressions
    tv = next(ax for ax in fig.axes if ax.get_ylabel() == "CPM (currency)")
    cpm = 1000 * kinds.spend.sel(channel="TV").sum("geo") / kinds.exposure.sel(channel="TV").sum("geo")
    assert tv.get_lines()[0].get_ydata() == pytest.approx(cpm.values, rel=1e-12)
    # the treatment's baseline value is drawn
    promo = by_title["Promotion (non-media treatment)"]
    assert "baseline value" in [line.get_label() for line in promo.get_lines()]
    path = tmp_path / "inputs.png"
    fig.savefig(path, dpi=20)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_media_inputs_needs_media_inputs(multi):
    with pytest.raises(ValueError, match="spend only"):
        plot.plot_media_inputs(multi)


def test_response_curves_follow_each_kind(kinds):
    fig = plot.plot_response_curves(kinds)
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert labels == ["impressions (per week, sustained)"] * 2 + [
        "reach (people per week, sustained, at the mean frequency)", "impressions (per week, sustained)",
        "value - baseline value (sustained)"]
    # a treatment's response is linear: coefficient x deviation
    promo = fig.axes[4].get_lines()[0]
    gamma = float(kinds.channel_coefficient.sel(channel="Promotion").isel(geo=0))
    assert promo.get_ydata() == pytest.approx(gamma * promo.get_xdata(), rel=1e-12)


def test_save_all_plots_adds_media_inputs(kinds, tmp_path):
    paths = plot.save_all_plots(kinds, tmp_path, dpi=20)
    assert [p.name for p in paths] == [f"{name}.png" for name in PLOTS] + ["media_inputs.png"]
