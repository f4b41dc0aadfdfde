"""recovery_study: generate, fit, score, store, resume; summarise with exact binomial intervals."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

import xmmm
from xmmm.errors import ConfigError, XmmmWarning
from xmmm.recovery import RESULT_COLUMNS, load_results, recovery_study, study_key, summarise


def tiny_config(seed: int = 3) -> xmmm.MMMDataConfig:
    """One geo, two channels, a flat baseline: the model pymc-marketing's MMM fits as specified."""
    return xmmm.MMMDataConfig(
        n_periods=40,
        channels=[
            xmmm.ChannelConfig("TV", pattern="on_off", base_spend=5000, spend_volatility=0.3,
                               base_effectiveness=0.25, activation_probability=0.6),
            xmmm.ChannelConfig("Search", pattern="linear_trend", base_spend=3000, spend_volatility=0.4,
                               base_effectiveness=0.15),
        ],
        regions=xmmm.RegionConfig(n_regions=1, base_sales_rate=50_000, sales_trend=0.0, seasonal_amplitude=0.0,
                                  sales_volatility=0.02),
        transforms=xmmm.TransformConfig(
            adstock_fun="geometric_adstock", adstock_kwargs={"alpha": 0.5, "l_max": 4},
            saturation_fun="logistic_saturation", saturation_kwargs={"lam": 2.0},
        ),
        seed=seed,
    )


PRIORS = {"transforms.adstock_alpha": {"dist": "Beta", "alpha": 4, "beta": 4}}


class OracleFit:
    """A calibrated synthetic posterior: centre ~ N(truth, s), draws ~ N(centre, s), s = rel * |truth|.

    The truth is inside the central p-interval of such a posterior with probability p exactly,
    so coverage over replicates is binomial(n, p).  Module-level, so it pickles to dask workers.
    """

    target = "pymc-marketing"

    def __init__(self, rel: float = 0.1, shift: float = 0.0, chains: int = 2, draws: int = 400) -> None:
        self.rel, self.shift, self.chains, self.draws = rel, shift, chains, draws
        self.name = f"oracle(rel={rel}, shift={shift})"

    def __call__(self, handoff):
        import arviz as az

        rng = np.random.default_rng(zlib.crc32(handoff.y.to_numpy().tobytes()))
        post = {}
        for name in ("adstock_alpha", "saturation_lam", "saturation_beta", "y_sigma", "intercept_contribution"):
            t = handoff.truth[name]
            s = self.rel * np.abs(t.values)
            centre = t.values + s * (self.shift + rng.standard_normal(t.shape))
            post[name] = (("chain", "draw") + t.dims,
                          centre + s * rng.standard_normal((self.chains, self.draws) + t.shape))
        contribution = handoff.truth["channel_contribution"]
        # one factor per channel, so that contribution shares vary too
        n_channel = contribution.sizes["channel"]
        factor = 1 + self.rel * (self.shift + rng.standard_normal(n_channel)) \
            + self.rel * rng.standard_normal((self.chains, self.draws, 1, 1, n_channel))
        post["channel_contribution"] = (("chain", "draw") + contribution.dims, contribution.values * factor)
        spend = handoff.X.set_index(["date", "geo"])[list(handoff.truth["channel"].values)]
        channel_data = spend.to_xarray().to_array("channel").transpose("date", "geo", "channel")
        return az.InferenceData(
            posterior=xr.Dataset(post, coords=handoff.truth.coords, attrs={"sampling_time": 0.01}),
            sample_stats=xr.Dataset({"diverging": (("chain", "draw"), np.zeros((self.chains, self.draws), bool))}),
            constant_data=xr.Dataset({"channel_data": channel_data, "target_scale": handoff.truth["target_scale"]}),
        )


class InterruptedFit:
    """Runs the wrapped fit, but raises KeyboardInterrupt (as Ctrl-C does) on call number ``at``."""

    target = "pymc-marketing"

    def __init__(self, fit, at: int) -> None:
        self.fit, self.at, self.calls = fit, at, 0

    @property
    def name(self) -> str:
        return self.fit.name

    def __call__(self, handoff):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return self.fit(handoff)


class CountingFit(InterruptedFit):
    def __init__(self, fit) -> None:
        super().__init__(fit, at=-1)


class FailingFit(OracleFit):
    def __call__(self, handoff):
        if float(handoff.truth["adstock_alpha"].values.ravel()[0]) > 0.5:
            raise RuntimeError("the sampler gave up")
        return super().__call__(handoff)


def _store_files(path) -> list[str]:
    return sorted(os.listdir(path))


# --------------------------------------------------------------------------- with pymc-marketing
@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning", "ignore::FutureWarning",
                            "ignore::DeprecationWarning")
def test_an_interrupted_pymc_marketing_study_resumes_with_the_remaining_replicates(tmp_path):
    """Three replicates: Ctrl-C during the second fit; the rerun fits only replicates 1 and 2."""
    path = tmp_path / "results.parquet"
    fit = xmmm.fits.pymc_marketing(draws=40, tune=60, chains=2, sampler="pymc", nuts={"max_treedepth": 5})
    interrupted = InterruptedFit(fit, at=2)
    with pytest.raises(KeyboardInterrupt):
        recovery_study(tiny_config(), 3, interrupted, priors=PRIORS, path=path)
    assert interrupted.calls == 2
    assert len(_store_files(path)) == 1 and not any(f.startswith(".") for f in _store_files(path))
    first = pd.read_parquet(path)  # a valid store, read without xmmm
    assert set(first["replicate"]) == {0}

    counting = CountingFit(fit)
    rows = recovery_study(tiny_config(), 3, counting, priors=PRIORS, path=path)
    assert counting.calls == 2
    assert sorted(set(rows["replicate"])) == [0, 1, 2]
    pd.testing.assert_frame_equal(rows[rows["replicate"] == 0].reset_index(drop=True), first)

    # the truth in the rows is the truth of each replicate, as simulate makes it
    study = xmmm.simulate(tiny_config(), 3, priors=PRIORS)
    for r in range(3):
        alpha = rows[(rows["replicate"] == r) & (rows["estimand"] == "adstock_alpha[geo_1, x1-TV]")]["truth"]
        assert float(alpha.iloc[0]) == float(study["adstock_alpha"].sel(replicate=r).isel(geo=0, channel=0))
    # diagnostics of a real fit
    one = rows[rows["replicate"] == 1]
    assert (one["n_chains"] == 2).all() and (one["n_draws"] == 40).all()
    assert (one["wall_time"] > 0).all() and (one["sampling_time"] > 0).all() and (one["peak_memory"] > 0).all()
    assert one["r_hat"].notna().all() and (one["ess_bulk"] > 0).all()
    assert set(one["variable"]) >= {"adstock_alpha", "saturation_lam", "saturation_beta", "y_sigma",
                                    "intercept_contribution", "roas", "contribution_share", "incremental_outcome"}

    summary = summarise(path)
    for _, row in summary.by_estimand.iterrows():
        ci = stats.binomtest(int(row["covered"]), int(row["n"])).proportion_ci(method="exact")
        assert (row["coverage_lower"], row["coverage_upper"]) == pytest.approx((ci.low, ci.high), abs=1e-12)


# --------------------------------------------------------------------------- the machinery, with a fast fit
def test_rows_have_every_column_and_the_store_reads_without_xmmm(tmp_path):
    path = tmp_path / "r.parquet"
    rows = recovery_study(tiny_config(), 4, OracleFit(), priors=PRIORS, path=path)
    assert list(rows.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert sorted(set(rows["replicate"])) == [0, 1, 2, 3]
    assert (rows["config_hash"] == study_key(tiny_config(), PRIORS)).all()
    assert (rows["fit"] == "oracle(rel=0.1, shift=0.0)").all()
    assert (rows["divergences"] == 0).all()
    plain = pd.read_parquet(path)
    assert len(plain) == len(rows) and set(plain.columns) == set(rows.columns)
    assert rows.equals(load_results(path))


def test_rerun_skips_by_study_replicate_and_fit(tmp_path):
    path = tmp_path / "r.parquet"
    counting = CountingFit(OracleFit())
    recovery_study(tiny_config(), 2, counting, path=path)
    assert counting.calls == 2
    recovery_study(tiny_config(), 5, counting, path=path)  # only 2, 3, 4 are new
    assert counting.calls == 5
    other_fit = CountingFit(OracleFit(rel=0.2))
    recovery_study(tiny_config(), 2, other_fit, path=path)  # another fit: its own replicates
    assert other_fit.calls == 2
    other_study = CountingFit(OracleFit())
    rows = recovery_study(tiny_config(seed=4), 2, other_study, path=path)  # another seed: another study
    assert other_study.calls == 2 and set(rows["seed"]) == {4}
    assert len(_store_files(path)) == 5 + 2 + 2
    assert len(load_results(path)["config_hash"].unique()) == 2


def test_coverage_of_a_calibrated_posterior_is_nominal_and_of_a_shifted_one_is_not(tmp_path):
    calibrated = recovery_study(tiny_config(), 30, OracleFit(), priors=PRIORS, path=tmp_path / "a.parquet")
    shifted = recovery_study(tiny_config(), 30, OracleFit(shift=10.0), priors=PRIORS, path=tmp_path / "b.parquet")
    good, bad = summarise(calibrated).by_variable, summarise(shifted).by_variable
    for _, row in good.iterrows():
        assert row["coverage_lower"] <= 0.94 <= row["coverage_upper"], row["variable"]
    # every channel's contribution is shifted by the same factor, so the shares are not
    shares = bad["variable"] == "contribution_share"
    assert (bad[~shares]["coverage"] == 0.0).all() and (bad[shares]["coverage"] > 0.5).all()
    good, bad = good[~shares.values], bad[~shares]
    assert (bad["mean_interval_score"].values > 5 * good["mean_interval_score"].values).all()
    # bias of a shifted posterior: +10 s on average, s = 0.1 |truth|; its standard error is honest
    alpha = summarise(shifted).by_estimand.set_index("estimand").loc["adstock_alpha[geo_1, x1-TV]"]
    truth = calibrated[calibrated["estimand"] == "adstock_alpha[geo_1, x1-TV]"]["truth"]
    assert alpha["mean_bias"] == pytest.approx(float(truth.mean()), rel=0.05)
    assert alpha["bias_se"] == pytest.approx(
        shifted[shifted["estimand"] == "adstock_alpha[geo_1, x1-TV]"]["bias"].std() / np.sqrt(30))


def test_summary_intervals_equal_scipys_and_the_tables_add_up(tmp_path):
    rows = recovery_study(tiny_config(), 12, OracleFit(rel=0.05), priors=PRIORS, path=tmp_path / "r.parquet")
    summary = summarise(rows)
    for table in (summary.by_estimand, summary.by_variable):
        for _, row in table.iterrows():
            ci = stats.binomtest(int(row["covered"]), int(row["n"])).proportion_ci(method="exact")
            assert row["coverage_lower"] == pytest.approx(ci.low, abs=1e-12)
            assert row["coverage_upper"] == pytest.approx(ci.high, abs=1e-12)
    assert (summary.by_estimand["n"] == 12).all()
    grouped = rows.groupby("estimand")
    by = summary.by_estimand.set_index("estimand")
    np.testing.assert_allclose(by["mean_bias"], grouped["bias"].mean().loc[by.index])
    np.testing.assert_allclose(by["mean_interval_score"], grouped["interval_score"].mean().loc[by.index])
    assert len(summary.fits) == 12 and (summary.fits["divergences"] == 0).all()
    text = str(summary)
    assert "coverage" in text and "adstock_alpha" in text


def test_summary_plot(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    rows = recovery_study(tiny_config(), 8, OracleFit(), priors=PRIORS, path=tmp_path / "r.parquet")
    fig = summarise(rows).plot()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "Coverage per estimand"
    assert {"adstock_alpha", "roas", "y_sigma"} <= set(titles[1:])
    fig.savefig(tmp_path / "summary.png")
    assert (tmp_path / "summary.png").stat().st_size > 10_000


def test_on_error_skip_warns_and_leaves_the_replicate_for_a_rerun(tmp_path):
    path = tmp_path / "r.parquet"
    priors = {"transforms.adstock_alpha": {"dist": "Beta", "alpha": 2, "beta": 2}}
    with pytest.warns(XmmmWarning, match="the fit failed .*RuntimeError: the sampler gave up"):
        rows = recovery_study(tiny_config(), 6, FailingFit(), priors=priors, path=path, on_error="skip")
    stored = set(rows["replicate"])
    assert 0 < len(stored) < 6
    with pytest.raises(RuntimeError, match="the sampler gave up"):
        recovery_study(tiny_config(), 6, FailingFit(), priors=priors, path=path)
    assert set(load_results(path)["replicate"]) == stored


def test_threads_give_the_same_rows(tmp_path):
    serial = recovery_study(tiny_config(), 4, OracleFit(), priors=PRIORS, path=tmp_path / "a.parquet")
    threads = recovery_study(tiny_config(), 4, OracleFit(), priors=PRIORS, path=tmp_path / "b.parquet",
                             scheduler="threads")
    _compare(serial, threads)


def _compare(a: pd.DataFrame, b: pd.DataFrame) -> None:
    varying = ["wall_time", "peak_memory", "ess_per_second"]
    pd.testing.assert_frame_equal(a.drop(columns=varying), b.drop(columns=varying))


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning", "ignore::UserWarning")
def test_one_fit_per_task_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = recovery_study(tiny_config(), 3, OracleFit(), priors=PRIORS, path=tmp_path / "a.parquet")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  death_timeout=120) as cluster, distributed.Client(cluster) as client:
        rows = recovery_study(tiny_config(), 3, OracleFit(), priors=PRIORS, path=tmp_path / "b.parquet",
                              scheduler=client)
        workers = client.run(os.getpid)
    _compare(serial, rows)
    assert len(workers) == 2


def test_the_scorers_hook_adds_rows(tmp_path):
    def regret(dataset, handoff, posterior):
        # e.g. a budget-regret score: truth 0, the fitted plan's regret as the "posterior mean"
        return xr.Dataset({"truth": ("estimand", [0.0]), "mean": ("estimand", [1.5]), "bias": ("estimand", [1.5])},
                          coords={"estimand": ["budget_regret"], "variable": ("estimand", ["budget_regret"]),
                                  "kind": ("estimand", ["decision"])})

    rows = recovery_study(tiny_config(), 2, OracleFit(), path=tmp_path / "r.parquet", scorers=[regret])
    extra = rows[rows["variable"] == "budget_regret"]
    assert len(extra) == 2 and (extra["mean"] == 1.5).all()
    table = summarise(rows).by_variable.set_index("variable")
    assert table.loc["budget_regret", "mean_bias"] == 1.5
    assert np.isnan(table.loc["budget_regret", "coverage"])  # no interval: no coverage
    assert table.loc["adstock_alpha", "n"] == 2 * 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_replicates": 0}, "n_replicates must be an integer >= 1; got 0"),
        ({"fit": 3}, "fit must be a callable"),
        ({"target": "robyn"}, "target must be one of 'pymc-marketing', 'meridian' or None; got 'robyn'"),
        ({"prob": 0.0}, "prob must be a number in \\(0, 1\\); got 0.0"),
        ({"on_error": "ignore"}, "on_error must be 'raise' or 'skip'; got 'ignore'"),
        ({"scheduler": 5}, "scheduler must be"),
        ({"config": tiny_config(seed=None)}, "config.seed must be set"),
        ({"priors": {"transforms.adstock_beta": {"dist": "Beta", "alpha": 2, "beta": 2}}}, "adstock_beta"),
    ],
)
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    arguments = {"config": tiny_config(), "n_replicates": 2, "fit": OracleFit(), "path": tmp_path / "r.parquet"}
    arguments.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        recovery_study(arguments.pop("config"), arguments.pop("n_replicates"), arguments.pop("fit"), **arguments)
    assert not (tmp_path / "r.parquet").exists()


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "r.parquet").write_text("not a folder")
    with pytest.raises(ConfigError, match="is a file; a results store is a folder"):
        recovery_study(tiny_config(), 1, OracleFit(), path=tmp_path / "r.parquet")


def test_a_killed_study_leaves_a_valid_store(tmp_path):
    """A subprocess killed (SIGKILL) in the middle of writing leaves only whole files under final names."""
    path = tmp_path / "r.parquet"
    script = f"""
import sys, os, signal
sys.path.insert(0, {os.path.dirname(__file__)!r})
import xmmm.recovery as recovery
from test_recovery import OracleFit, tiny_config
real = recovery._write
def write(store, rows, key, fit_name, replicate):
    if replicate == 2:
        import pyarrow as pa, pyarrow.parquet as pq
        # half a file under the temporary name, then the process dies
        pq.write_table(pa.Table.from_pandas(rows.iloc[:3]), store / ".half.parquet.tmp")
        os.kill(os.getpid(), signal.SIGKILL)
    return real(store, rows, key, fit_name, replicate)
recovery._write = write
recovery.recovery_study(tiny_config(), 4, OracleFit(), path={str(path)!r})
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == -9, done.stderr
    final = [f for f in _store_files(path) if not f.startswith(".")]
    assert len(final) == 2
    assert set(pd.read_parquet(path)["replicate"]) == {0, 1}  # hidden temporary files are not read
    counting = CountingFit(OracleFit())
    rows = recovery_study(tiny_config(), 4, counting, path=path)
    assert counting.calls == 2 and set(rows["replicate"]) == {0, 1, 2, 3}


# --------------------------------------------------------------------------- command line
def test_cli_summarise_prints_the_table_and_writes_the_figure(tmp_path, capsys):
    from xmmm.cli import main

    path = tmp_path / "results.parquet"
    recovery_study(tiny_config(), 3, OracleFit(), path=path)
    assert main(["summarise", str(path), "--plot", str(tmp_path / "summary.png")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("recovery study: 3 replicates, 94% intervals")
    assert "| adstock_alpha |" in out and "coverage_lower" in out
    assert (tmp_path / "summary.png").stat().st_size > 10_000
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]
    assert main(["summarise", str(path), "--table", "fits"]) == 0
    assert "wall_time" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["study", "--preset", "basic", "--replicates", "2", "--fit", "stan", "--out", "{tmp}/r.parquet"],
         "fit must be one of 'pymc-marketing', 'meridian'; got 'stan'"),
        (["study", "--preset", "basic", "--replicates", "0", "--fit", "pymc-marketing", "--out", "{tmp}/r.parquet"],
         "--replicates must be >= 1"),
        (["study", "--preset", "nope", "--replicates", "1", "--fit", "pymc-marketing", "--out", "{tmp}/r.parquet"],
         "nope"),
        (["summarise", "{tmp}/missing.parquet"], "no results store"),
    ],
)
def test_cli_user_errors_exit_2_with_one_line(tmp_path, capsys, argv, message):
    from xmmm.cli import main

    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not (tmp_path / "r.parquet").exists()


@pytest.mark.slow
def test_cli_study_with_pymc_marketing_then_summarise(tmp_path):
    """The documented commands, end to end in a subprocess (a real fit per replicate)."""
    path = tmp_path / "results.parquet"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    config = tmp_path / "tiny.json"
    xmmm.save_config(tiny_config(), config)
    run = subprocess.run(
        [sys.executable, "-m", "xmmm", "study", "--config", str(config), "--replicates", "2", "--fit",
         "pymc-marketing", "--sampler", "pymc", "--draws", "30", "--tune", "30", "--chains", "2",
         "--out", str(path)],
        capture_output=True, text=True, timeout=1800, env=env,
    )
    assert run.returncode == 0, run.stderr
    assert "| adstock_alpha |" in run.stdout
    again = subprocess.run([sys.executable, "-m", "xmmm", "summarise", str(path)], capture_output=True, text=True,
                           timeout=600, env=env)
    assert again.returncode == 0 and again.stdout.startswith("recovery study: 2 replicates")


def test_summarise_takes_scores_concatenated_along_replicate():
    rng = np.random.default_rng(2)
    truth = xr.Dataset({"y_sigma": ("geo", [1.0, 2.0])}, coords={"geo": ["a", "b"]})
    scores = []
    for _ in range(25):
        centre = truth["y_sigma"].values + 0.1 * rng.standard_normal(2)
        draws = centre + 0.1 * rng.standard_normal((2, 300, 2))
        scores.append(xmmm.score(truth, xr.Dataset({"y_sigma": (("chain", "draw", "geo"), draws)},
                                                   coords={"geo": ["a", "b"]})))
    stacked = xr.concat(scores, dim="replicate")
    table = summarise(stacked).by_estimand.set_index("estimand")
    for estimand in ("y_sigma[a]", "y_sigma[b]"):
        k = int(stacked["covered"].sel(estimand=estimand).sum())
        assert table.loc[estimand, "covered"] == k and table.loc[estimand, "n"] == 25
        ci = stats.binomtest(k, 25).proportion_ci(method="exact")
        assert table.loc[estimand, "coverage_lower"] == pytest.approx(ci.low, abs=1e-12)
