"""Figures read back after drawing: every plotted value inside its axes, no legend over annotations or bars,
and a figure that leaves geos out says how many.

These tests draw each figure with the Agg renderer and inspect the artists, so they fail on a figure
that hides data even though a file was written.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import Collection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import xmmm  # noqa: E402
from xmmm import plot  # noqa: E402

PLOTS = {
    "channel_spend": (plot.plot_channel_spend, {}),
    "channel_contributions": (plot.plot_channel_contributions, {"baseline": True}),
    "roas_comparison": (plot.plot_roas_comparison, {"mroas": True}),
    "regional_comparison": (plot.plot_regional_comparison, {}),
    "data_quality": (plot.plot_data_quality, {}),
    "response_curves": (plot.plot_response_curves, {}),
    "adstock_kernels": (plot.plot_adstock_kernels, {}),
}


@pytest.fixture(scope="module")
def multi_region():
    # the case whose TV peaks ran off the top of the shared spend axes
    return xmmm.generate_mmm_dataset(xmmm.get_preset_config("multi_region")).dataset


@pytest.fixture(scope="module")
def demo():
    return xmmm.generate_mmm_dataset(xmmm.get_preset_config("demo")).dataset


@pytest.fixture(scope="module")
def many_geos():
    return xmmm.generate_mmm_dataset(xmmm.customize_preset("basic", regions={"n_regions": 9})).dataset


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _outside(values: np.ndarray, low: float, high: float) -> np.ndarray:
    values = values[np.isfinite(values)]
    slack = 1e-9 * max(abs(high - low), 1.0)
    return values[(values < low - slack) | (values > high + slack)]


def hidden_values(fig) -> list[str]:
    """Every data value drawn in data coordinates that falls outside its axes' limits."""
    fig.canvas.draw()
    problems = []
    for ax in fig.axes:
        if not ax.axison or ax.get_label() == "<colorbar>":
            continue
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        points = []
        for line in ax.get_lines():
            if line.get_transform() == ax.transData and line.get_visible():
                points.append((f"line {line.get_label()!r}", np.asarray(line.get_xydata(), float)))
        for patch in ax.patches:
            if isinstance(patch, Rectangle) and patch.get_transform() == ax.transData and patch.get_visible():
                x, y, w, h = patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()
                points.append(("bar", np.array([[x, y], [x + w, y + h]], float)))
        for coll in ax.collections:
            if isinstance(coll, Collection) and coll.get_transform() == ax.transData:
                for path in coll.get_paths():
                    points.append((f"collection {coll.get_label()!r}", np.asarray(path.vertices, float)))
        for what, xy in points:
            if xy.size == 0:
                continue
            bad_x, bad_y = _outside(xy[:, 0], x0, x1), _outside(xy[:, 1], y0, y1)
            if bad_x.size or bad_y.size:
                problems.append(f"{ax.get_title() or fig.get_suptitle()}: {what} outside limits "
                                f"x {x0:.4g}..{x1:.4g} {bad_x[:3]}, y {y0:.4g}..{y1:.4g} {bad_y[:3]}")
    return problems


def legend_overlaps(fig) -> list[str]:
    """Legends (of the axes or the figure) that cover a bar label, an annotation or a bar."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [lg for lg in fig.legends] + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    problems = []
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            for text in ax.texts:
                if text.get_visible() and text.get_text() and box.overlaps(text.get_window_extent(renderer)):
                    problems.append(f"legend over the label {text.get_text()!r}")
            if legend in fig.legends:
                continue
            for patch in ax.patches:
                if isinstance(patch, Rectangle) and patch.get_height() and box.overlaps(
                        patch.get_window_extent(renderer)):
                    problems.append(f"legend over a bar of height {patch.get_height():.3g}")
                    break
    return problems


@pytest.mark.parametrize("which", ["multi_region", "demo"])
@pytest.mark.parametrize("name", list(PLOTS))
def test_every_plotted_value_is_inside_its_axes(request, which, name):
    fn, kwargs = PLOTS[name]
    fig = fn(request.getfixturevalue(which), **kwargs)
    assert hidden_values(fig) == []


def test_shared_spend_axes_hold_the_highest_panel(multi_region):
    fig = plot.plot_channel_spend(multi_region)
    top = float(multi_region["spend"].max())
    for ax in fig.axes:
        assert ax.get_ylim()[1] >= top  # every panel, not only the first one drawn
    assert len({ax.get_ylim() for ax in fig.axes}) == 1


@pytest.mark.parametrize("which", ["multi_region", "demo"])
def test_roas_legend_covers_no_bar_label(request, which):
    fig = plot.plot_roas_comparison(request.getfixturevalue(which), mroas=True)
    assert any(ax.texts for ax in fig.axes)  # the bars are labelled
    assert legend_overlaps(fig) == []


def test_regional_decomposition_legend_covers_no_bar(multi_region):
    assert legend_overlaps(plot.plot_regional_comparison(multi_region)) == []


def test_roas_legend_in_a_given_axes_covers_no_bar_label(demo):
    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    plot.plot_roas_comparison(demo, ax=ax, geos="north")
    assert legend_overlaps(fig) == []


@pytest.fixture(scope="module")
def feet(many_geos, tmp_path_factory) -> dict[str, str]:
    """The title (suptitle) of every figure save_all_plots writes for a 9-geo dataset."""
    found = {}
    close = plt.close
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plot.plt, "close", lambda fig=None: (found.setdefault(len(found), fig.get_suptitle()),
                                                         close(fig)))
        plot.save_all_plots(many_geos, tmp_path_factory.mktemp("many"), dpi=30)
    return {name: found[i] for i, name in enumerate(plot.PLOT_NAMES)}


@pytest.mark.parametrize("name", ["channel_spend", "channel_contributions", "adstock_kernels", "response_curves"])
def test_saved_figure_says_how_many_geos_it_leaves_out(many_geos, feet, name):
    n = many_geos.sizes["geo"]
    assert f"Showing 6 of {n} geos; {n - 6} left out" in feet[name]


@pytest.mark.parametrize("name", ["roas_comparison", "regional_comparison", "data_quality"])
def test_saved_figure_of_every_geo_says_nothing(feet, name):
    assert "left out" not in feet[name]


def test_figure_showing_every_geo_says_nothing(demo, tmp_path, monkeypatch):
    figures = []
    close = plt.close
    monkeypatch.setattr(plot.plt, "close", lambda fig=None: (figures.append(fig), close(fig)))
    plot.save_all_plots(demo, tmp_path, dpi=30)
    assert all("left out" not in fig.get_suptitle() for fig in figures)


def test_half_life_of_geometric_kernels_is_ln_half_over_ln_alpha(multi_region):
    """On the dataset's own kernels (the weights the generator applied), geo by geo."""
    from xmmm.quality import adstock_weights, half_life

    for channel in multi_region["channel"].values:
        if str(multi_region["adstock_function"].sel(channel=channel).item()) != "geometric_adstock":
            continue
        alpha = multi_region["adstock_alpha"].sel(channel=channel).values
        np.testing.assert_allclose(half_life(adstock_weights(multi_region, str(channel))),
                                   np.log(0.5) / np.log(alpha), rtol=1e-9)


def test_adstock_legend_states_the_analyst_half_life():
    ds = xmmm.generate_dataset(xmmm.MMMDataConfig(
        n_periods=30, regions=xmmm.RegionConfig(n_regions=1),
        channels=[xmmm.ChannelConfig(name="TV")],
        transforms=xmmm.TransformConfig(adstock_fun="geometric_adstock", adstock_kwargs={"alpha": 0.5, "l_max": 8}),
        seed=1,
    ))
    fig = plot.plot_adstock_kernels(ds)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["TV (geometric_adstock), half-life 1.0 week"]
