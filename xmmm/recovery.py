"""Recovery studies: generate, hand off, fit, score, store; rerun to resume.

:func:`recovery_study` runs, for each replicate ``r`` of a config (with
sampled truth from ``priors``, exactly as :func:`xmmm.simulate` makes it):

1. the replicate's dataset and its hand-off to the target library
   (:func:`xmmm.to_pymc_marketing` or :func:`xmmm.to_meridian`);
2. the user's ``fit(handoff) -> arviz.InferenceData`` (ready ones in
   :mod:`xmmm.fits`), timed, with its peak memory measured;
3. :func:`xmmm.score` of the posterior against the hand-off's truth, plus the
   convergence diagnostics of every estimand and of the fit;
4. one Parquet file of rows (one per estimand) in the results store.

The **results store** at ``path`` is a folder of Parquet files, one per
(study, fit, replicate), each written under a hidden temporary name and
renamed into place when complete, so a file under its final name is always
whole.  ``pandas.read_parquet(path)`` (or any Parquet reader) reads the folder
as one table without xmmm.  A file's name holds the study hash (config,
priors, target and interval probability), a hash of the fit's name and the
replicate number; a rerun skips the replicates already there, so an
interrupted study (Ctrl-C, a killed job, a lost worker) resumes where it
stopped.

:func:`summarise` turns the rows into coverage per estimand with exact
(Clopper-Pearson) intervals, mean bias with its standard error, mean interval
score and CRPS, convergence and cost, and a figure.

Examples
--------
>>> import xmmm
>>> fit = xmmm.fits.pymc_marketing(draws=200, sampler="pymc")
>>> rows = xmmm.recovery_study("basic", 20, fit, path="results.parquet")   # doctest: +SKIP
>>> summary = xmmm.summarise("results.parquet")                            # doctest: +SKIP
>>> summary.by_variable[["variable", "coverage", "coverage_lower", "coverage_upper"]]  # doctest: +SKIP
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import re
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from xmmm._version import __version__
from xmmm.config import MMMDataConfig
from xmmm.errors import ConfigError, DataFileError, XmmmWarning
from xmmm.scoring import STATISTICS, _prob, clopper_pearson, score

__all__ = [
    "recovery_study",
    "summarise",
    "load_results",
    "RecoverySummary",
    "study_key",
    "TARGETS",
    "RESULT_COLUMNS",
]

#: hand-off targets; ``None`` means the fit's ``target`` attribute, else pymc-marketing
TARGETS = ("pymc-marketing", "meridian")

#: columns of every results row besides the statistics of :data:`xmmm.scoring.STATISTICS`
RESULT_COLUMNS = (
    "config_hash", "fit", "replicate", "seed", "target", "prob",
    "estimand", "variable", "kind", "geo", "channel", "control",
    *STATISTICS,
    "r_hat", "ess_bulk", "ess_tail", "ess_per_second",
    "divergences", "n_chains", "n_draws", "wall_time", "sampling_time", "peak_memory",
    "xmmm_version",
)

_FILE = re.compile(r"^(?P<key>[0-9a-f]{16})-(?P<fit>[0-9a-f]{8})-r(?P<replicate>\d+)\.parquet$")


# --------------------------------------------------------------------------- one replicate
@dataclass(frozen=True)
class _Task:
    """Everything a worker needs for one replicate (small and picklable)."""

    config: MMMDataConfig
    priors: Mapping | None
    target: str
    fit: Callable
    fit_name: str
    key: str
    prob: float
    scorers: tuple = ()

    def run(self, replicate: int) -> pd.DataFrame:
        """Generate, hand off, fit, score: the replicate's rows."""
        dataset = _replicate_dataset(self.config, self.priors, replicate)
        with warnings.catch_warnings():
            # the hand-off's caveats were shown once, on the first replicate, by recovery_study
            warnings.simplefilter("ignore", XmmmWarning)
            handoff = _handoff(dataset, self.target)
        with _PeakMemory() as memory:
            start = time.perf_counter()
            posterior = self.fit(handoff)
            wall = time.perf_counter() - start
        frames = [_rows(score(handoff.truth, posterior, prob=self.prob, convergence=True))]
        for scorer in self.scorers:
            frames.append(_rows(scorer(dataset, handoff, posterior)))
        rows = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) \
            else frames[0]
        fit_level = _fit_diagnostics(posterior)
        rows["ess_per_second"] = rows.get("ess_bulk", np.nan) / wall if wall > 0 else np.nan
        rows = rows.assign(
            config_hash=self.key, fit=self.fit_name, replicate=int(replicate), seed=int(self.config.seed),
            target=self.target, prob=self.prob, wall_time=wall, peak_memory=memory.peak,
            xmmm_version=__version__, **fit_level,
        )
        return _columns(rows)


def _run_task(task: _Task, replicate: int) -> pd.DataFrame:
    return task.run(replicate)


def _replicate_dataset(config: MMMDataConfig, priors, replicate: int) -> xr.Dataset:
    """Replicate ``replicate`` exactly as :func:`xmmm.simulate` makes it."""
    from xmmm.study import replicate_dataset, simulate

    with warnings.catch_warnings():
        # suspicious-setting warnings were shown once, on the first replicate, by recovery_study
        warnings.simplefilter("ignore", XmmmWarning)
        study = simulate(config, 1, priors=priors, first_replicate=int(replicate), scheduler="synchronous",
                         progress=False)
    return replicate_dataset(study, int(replicate)).load()


def _handoff(dataset: xr.Dataset, target: str):
    from xmmm.handoff import to_meridian, to_pymc_marketing

    # a world with missing rows: as a careful modeller would, fill them in time within each geo
    # (Meridian takes no NaN; pymc-marketing would read an absent row as 0); no effect on complete data
    if target == "meridian":
        return to_meridian(dataset, missing="interpolate")
    return to_pymc_marketing(dataset, missing="interpolate")


def _rows(scores: xr.Dataset) -> pd.DataFrame:
    """A score Dataset (dim ``estimand``) as rows."""
    if "estimand" not in scores.dims:
        raise ValueError("a scorer must return a Dataset with an 'estimand' dim (the layout of xmmm.score)")
    columns = {"estimand": scores["estimand"].values}
    for name in list(scores.coords) + list(scores.data_vars):
        if name != "estimand" and scores[name].dims == ("estimand",):
            columns[name] = scores[name].values
    return pd.DataFrame(columns)


def _columns(rows: pd.DataFrame) -> pd.DataFrame:
    for name in RESULT_COLUMNS:
        if name not in rows.columns:
            rows[name] = np.nan
    first = [c for c in RESULT_COLUMNS if c in rows.columns]
    rows = rows[first + [c for c in rows.columns if c not in first]]
    for name in ("estimand", "variable", "kind", "geo", "channel", "control", "config_hash", "fit", "target",
                 "xmmm_version"):
        rows[name] = rows[name].astype(str)
    return rows.reset_index(drop=True)


def _fit_diagnostics(posterior) -> dict:
    """Divergences, chains, draws and the sampler's own time, from an InferenceData."""
    post = getattr(posterior, "posterior", posterior)
    stats = getattr(posterior, "sample_stats", None) if hasattr(posterior, "groups") else None
    divergences = np.nan
    if stats is not None and "diverging" in stats:
        divergences = int(np.asarray(stats["diverging"].values).sum())
    sampling_time = post.attrs.get("sampling_time", np.nan)
    try:
        sampling_time = float(sampling_time)
    except (TypeError, ValueError):
        sampling_time = np.nan
    return {
        "divergences": divergences,
        "n_chains": int(post.sizes["chain"]),
        "n_draws": int(post.sizes["draw"]),
        "sampling_time": sampling_time,
    }


class _PeakMemory:
    """Peak resident memory (bytes) of this process, or of its largest child, during a block.

    On Linux the process's high-water mark is reset first (``/proc/self/clear_refs``),
    so the figure belongs to the block; sampler subprocesses (PyMC with
    ``cores > 1``) are counted by the largest child's peak.  NaN where neither
    is available.
    """

    def __enter__(self) -> _PeakMemory:
        self.peak = np.nan
        self._reset = False
        with contextlib.suppress(OSError):
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self._reset = True
        return self

    def __exit__(self, *exc) -> None:
        values = []
        if self._reset:
            with contextlib.suppress(OSError, ValueError):
                with open("/proc/self/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            values.append(int(line.split()[1]) * 1024)
        with contextlib.suppress(ImportError, OSError):
            import resource

            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            if children:
                values.append(children)
            if not self._reset:
                values.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        self.peak = float(max(values)) if values else np.nan


# --------------------------------------------------------------------------- the store
def study_key(config: MMMDataConfig, priors=None, target: str = "pymc-marketing", prob: float = 0.94) -> str:
    """Hash (16 hex digits) naming a study: its config, priors, target and interval probability.

    Examples
    --------
    >>> import xmmm
    >>> a = study_key(xmmm.get_preset_config("basic"))
    >>> a == study_key(xmmm.get_preset_config("basic")), a == study_key(xmmm.get_preset_config("basic", seed=1))
    (True, False)
    """
    from xmmm.priors import parse_priors, priors_to_json

    sampled = tuple(parse_priors(priors, config))
    text = json.dumps(
        {"config": config.to_dict(), "priors": priors_to_json(sampled), "target": target, "prob": float(prob)},
        sort_keys=True, default=repr,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _fit_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def _file_name(key: str, fit_name: str, replicate: int) -> str:
    return f"{key}-{_fit_hash(fit_name)}-r{int(replicate):06d}.parquet"


def _store(path) -> Path:
    store = Path(os.fspath(path))
    if store.exists() and not store.is_dir():
        raise ConfigError(f"path: {str(store)!r} is a file; a results store is a folder (e.g. results.parquet/)")
    if not store.parent.is_dir():
        raise ConfigError(f"path: directory {str(store.parent)!r} does not exist")
    return store


def _done(store: Path, key: str, fit_name: str) -> set[int]:
    if not store.is_dir():
        return set()
    fit = _fit_hash(fit_name)
    done = set()
    for entry in os.scandir(store):
        m = _FILE.match(entry.name)
        if m and m["key"] == key and m["fit"] == fit:
            done.add(int(m["replicate"]))
    return done


def _write(store: Path, rows: pd.DataFrame, key: str, fit_name: str, replicate: int) -> Path:
    """One replicate's rows, under a hidden temporary name first, then renamed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    store.mkdir(exist_ok=True)
    final = store / _file_name(key, fit_name, replicate)
    tmp = store / f".{final.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        table = pa.Table.from_pandas(rows, preserve_index=False)
        pq.write_table(table, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return final


def load_results(path, *, config_hash: str | None = None, fit: str | None = None) -> pd.DataFrame:
    """The rows of a results store (every file under its final name), optionally of one study or fit.

    Parameters
    ----------
    path : str or path-like
        The store folder written by :func:`recovery_study`.
    config_hash : str, optional
        Only this study (see :func:`study_key`).
    fit : str, optional
        Only this fit name.

    Returns
    -------
    pandas.DataFrame
        One row per (replicate, estimand), columns :data:`RESULT_COLUMNS`
        (plus any a scorer added), sorted by fit, replicate and estimand.

    Examples
    --------
    >>> rows = load_results("results.parquet")          # doctest: +SKIP
    >>> import pandas; rows = pandas.read_parquet("results.parquet")   # the same, without xmmm  # doctest: +SKIP
    """
    import pyarrow.parquet as pq

    store = Path(os.fspath(path))
    if not store.is_dir():
        raise FileNotFoundError(f"{str(store)}: no results store (a folder of Parquet files) there")
    names = sorted(e.name for e in os.scandir(store) if _FILE.match(e.name))
    if config_hash is not None:
        names = [n for n in names if n.startswith(config_hash + "-")]
    if fit is not None:
        names = [n for n in names if _FILE.match(n)["fit"] == _fit_hash(fit)]
    frames = [pq.read_table(store / n).to_pandas() for n in names]
    if not frames:
        return _columns(pd.DataFrame(columns=list(RESULT_COLUMNS)))
    rows = pd.concat(frames, ignore_index=True)
    return rows.sort_values(["fit", "replicate"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- the study
def recovery_study(
    config,
    n_replicates: int,
    fit: Callable,
    *,
    priors: Mapping | None = None,
    target: str | None = None,
    path,
    scheduler=None,
    prob: float = 0.94,
    first_replicate: int = 0,
    scorers: Sequence[Callable] = (),
    on_error: str = "raise",
    progress: bool | None = None,
    fit_name: str | None = None,
) -> pd.DataFrame:
    """Fit a model to many replicates and score each fit against the truth, resumably.

    Parameters
    ----------
    config : MMMDataConfig, dict or str
        The study's config (a dict is read with ``MMMDataConfig.from_dict``,
        a string is a preset name).  It needs a seed: the seed names the
        study, so that a rerun finds its replicates.
    n_replicates : int
        Replicates ``first_replicate ... first_replicate + n_replicates - 1``.
    fit : callable
        ``fit(handoff) -> arviz.InferenceData``, e.g.
        ``xmmm.fits.pymc_marketing(draws=500)``; it must pickle to run on a
        cluster (a module-level function or a fit object of :mod:`xmmm.fits`).
    priors : mapping, optional
        Parameters drawn once per replicate, as for :func:`xmmm.simulate`.
    target : {"pymc-marketing", "meridian"}, optional
        The hand-off the fit takes; default the fit's ``target`` attribute,
        else ``"pymc-marketing"``.
    path : str or path-like
        The results store: a folder (created if missing, its parent must
        exist) of one Parquet file per finished replicate.
    scheduler : distributed.Client, str or None
        Where fits run, one fit per task, as for :func:`xmmm.simulate`: a
        ``distributed.Client``, a scheduler address, ``"threads"``,
        ``"synchronous"``, or ``None`` (the ``XMMM_SCHEDULER`` environment
        variable if set, else the calling process).  Results are written by
        the calling process as they arrive, so workers need no shared disk.
    prob : float
        Probability of the scored intervals (default 0.94, ArviZ's).
    first_replicate : int
    scorers : sequence of callables, optional
        More scores per replicate: ``scorer(dataset, handoff, posterior) ->
        xarray.Dataset`` in the layout of :func:`xmmm.score` (an ``estimand``
        dim; any of its statistics, e.g. a decision's ``truth`` and ``mean``).
        This is where a budget-regret score of the fitted model's optimal
        allocation plugs in.
    on_error : {"raise", "skip"}
        A fit that raises: stop the study (finished replicates stay stored),
        or warn and go on (the replicate is not stored, so a rerun tries it again).
    progress : bool, optional
        A progress bar on stderr; default only when stderr is a terminal.
    fit_name : str, optional
        The fit's name in the store; default ``fit.name``, else its qualified name.

    Returns
    -------
    pandas.DataFrame
        Every row of this study and fit in the store (earlier runs
        included): one per (replicate, estimand), columns
        :data:`RESULT_COLUMNS` -- the statistics of :func:`xmmm.score`, the
        estimand's ``r_hat``, ``ess_bulk``, ``ess_tail`` and
        ``ess_per_second`` (bulk ESS per second of the fit's wall time), and
        per fit ``divergences``, ``n_chains``, ``n_draws``, ``wall_time``
        (seconds in ``fit``, compilation included), ``sampling_time`` (the
        sampler's own, when it reports one) and ``peak_memory`` (bytes).

    Raises
    ------
    ConfigError
        Bad arguments, a config without a seed, bad priors.
    KeyboardInterrupt
        Interrupted; the replicates finished so far are stored, the one
        running is not.

    Examples
    --------
    >>> import xmmm
    >>> fit = xmmm.fits.pymc_marketing(draws=100, tune=100, sampler="pymc")
    >>> rows = recovery_study("basic", 3, fit, path="results.parquet")       # doctest: +SKIP
    >>> rows.groupby("variable")["covered"].mean()                          # doctest: +SKIP
    """
    from xmmm.study import _count, _study_config

    if isinstance(config, str):
        from xmmm.presets import get_preset_config

        config = get_preset_config(config)
    if config is not None and not isinstance(config, (MMMDataConfig, Mapping)):
        raise ConfigError(f"config must be an MMMDataConfig, a dict or a preset name; got {type(config).__name__}")
    seedless = config is None or (config.get("seed") if isinstance(config, Mapping) else config.seed) is None
    if seedless:
        raise ConfigError(
            "config.seed must be set for a recovery study (the seed names the study, so that a rerun "
            "finds its finished replicates); got None"
        )
    config = _study_config(config)
    n = _count("n_replicates", n_replicates, 1)
    first = _count("first_replicate", first_replicate, 0)
    prob = _prob(prob)
    if not callable(fit):
        raise ConfigError(f"fit must be a callable fit(handoff) -> InferenceData; got {type(fit).__name__}")
    target = target if target is not None else getattr(fit, "target", "pymc-marketing")
    if target not in TARGETS:
        raise ConfigError(f"target must be one of {', '.join(map(repr, TARGETS))} or None; got {target!r}")
    if on_error not in ("raise", "skip"):
        raise ConfigError(f"on_error must be 'raise' or 'skip'; got {on_error!r}")
    scorers = tuple(scorers or ())
    for s in scorers:
        if not callable(s):
            raise ConfigError(f"scorers must be callables scorer(dataset, handoff, posterior); got {s!r}")
    name = fit_name or getattr(fit, "name", None) or getattr(fit, "__qualname__", type(fit).__name__)
    store = _store(path)
    key = study_key(config, priors, target, prob)

    # the first replicate here: bad priors, configs the hand-off cannot take and suspicious
    # settings show now, once, not once per task
    from xmmm.study import replicate_dataset, simulate

    probe = replicate_dataset(simulate(config, 1, priors=priors, first_replicate=first, progress=False,
                                       scheduler="synchronous"), first)
    _handoff(probe, target)

    done = _done(store, key, name)
    todo = [r for r in range(first, first + n) if r not in done]
    task = _Task(config, priors, target, fit, name, key, prob, scorers)
    runner = _Runner.of(scheduler)
    show = progress if progress is not None else bool(getattr(sys.stderr, "isatty", lambda: False)())
    try:
        with _Progress(n, len(done & set(range(first, first + n))), show) as bar:
            for replicate, rows, error in runner.map(task, todo):
                if error is not None:
                    if on_error == "raise":
                        raise error
                    warnings.warn(f"replicate {replicate}: the fit failed ({type(error).__name__}: {error}); "
                                  "not stored, a rerun tries it again", XmmmWarning, stacklevel=2)
                    bar.update(0, failed=1)
                    continue
                _write(store, rows, key, name, replicate)
                bar.update(1, seconds=float(rows["wall_time"].iloc[0]) if len(rows) else None)
    finally:
        runner.close()
    rows = load_results(store, config_hash=key, fit=name)
    return rows[(rows["replicate"] >= first) & (rows["replicate"] < first + n)].reset_index(drop=True)


# --------------------------------------------------------------------------- where fits run
class _Runner:
    """One fit per task: in the calling thread, a thread pool or on a dask cluster."""

    def __init__(self, kind: str, client=None, owned: bool = False) -> None:
        self.kind, self.client, self.owned = kind, client, owned

    @classmethod
    def of(cls, scheduler) -> _Runner:
        from xmmm.study import resolve_scheduler

        return cls(*resolve_scheduler(scheduler))

    def map(self, task: _Task, replicates: Sequence[int]) -> Iterator[tuple[int, pd.DataFrame | None, BaseException | None]]:
        """``(replicate, rows, error)`` as fits finish (in order when serial)."""
        if self.kind == "serial":
            for r in replicates:
                try:
                    yield r, task.run(r), None
                except Exception as err:  # noqa: BLE001 - reported to the caller, which decides
                    yield r, None, err
            return
        if self.kind == "threads":
            from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

            workers = os.cpu_count() or 1
            with ThreadPoolExecutor(workers) as pool:
                pending = {}
                todo = collections.deque(replicates)
                try:
                    while todo or pending:
                        while todo and len(pending) < workers:
                            r = todo.popleft()
                            pending[pool.submit(task.run, r)] = r
                        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for future in finished:
                            r = pending.pop(future)
                            error = future.exception()
                            yield r, (None if error else future.result()), error
                finally:
                    for future in pending:
                        future.cancel()
            return
        from distributed import as_completed

        client = self.client
        remote = client.scatter(task, broadcast=True, hash=False)
        futures = {client.submit(_run_task, remote, r, pure=False, key=f"xmmm-fit-{task.key}-{r}-{uuid.uuid4().hex[:6]}"): r
                   for r in replicates}
        try:
            for future in as_completed(futures):
                r = futures[future]
                if future.status == "error":
                    yield r, None, future.exception()
                else:
                    yield r, future.result(), None
        finally:
            client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        if self.owned:
            self.client.close()


class _Progress:
    """A one-line progress bar on stderr: fits done, time per fit, time left."""

    width = 30

    def __init__(self, total: int, already: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, already, enabled
        self.already, self.failed, self.seconds = already, 0, []
        self.start = time.perf_counter()

    def __enter__(self) -> _Progress:
        self._draw()
        return self

    def update(self, k: int, *, seconds: float | None = None, failed: int = 0) -> None:
        self.done += k
        self.failed += failed
        if seconds is not None:
            self.seconds.append(seconds)
        self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        share = self.done / self.total if self.total else 1.0
        filled = int(round(share * self.width))
        new = self.done - self.already
        elapsed = time.perf_counter() - self.start
        left = (self.total - self.done - self.failed) * elapsed / new if new else float("nan")
        text = f"\rrecovery [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} fits"
        if self.already:
            text += f" ({self.already} already stored)"
        if self.failed:
            text += f", {self.failed} failed"
        if self.seconds:
            text += f", {np.median(self.seconds):.1f} s per fit"
        if np.isfinite(left):
            text += f", about {left:.0f} s left"
        sys.stderr.write(text)
        sys.stderr.flush()

    def __exit__(self, *exc) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# --------------------------------------------------------------------------- the summary
_GROUP = ["fit", "variable", "kind", "geo", "channel", "control"]


@dataclass
class RecoverySummary:
    """What :func:`summarise` returns.

    Attributes
    ----------
    by_estimand : pandas.DataFrame
        One row per (fit, estimand): ``n`` replicates, ``covered`` (count),
        ``coverage`` with its exact Clopper-Pearson interval
        ``coverage_lower``/``coverage_upper`` (at ``confidence``), the same
        for the HDI (``hdi_coverage...``), ``mean_bias`` with ``bias_se``
        (standard deviation over replicates / sqrt(n)), ``mean_relative_error``,
        ``rmse``, ``mean_interval_width``, ``mean_interval_score``,
        ``mean_crps``, ``mean_pit``, ``max_r_hat``, ``min_ess_bulk`` and
        ``median_ess_per_second``.
    by_variable : pandas.DataFrame
        The same pooled over the elements of each variable (all geos and
        channels).  Elements of one replicate share its data, so the pooled
        interval treats them as independent and is narrower than it should be
        where they are correlated: read it as a guide, the per-estimand rows
        as the test.
    fits : pandas.DataFrame
        One row per (fit, replicate): divergences, wall time, sampling
        time, peak memory, worst r-hat and ESS per second.
    prob : float
        Nominal probability of the scored intervals.
    confidence : float
        Confidence of the binomial intervals.
    """

    by_estimand: pd.DataFrame
    by_variable: pd.DataFrame
    fits: pd.DataFrame
    prob: float
    confidence: float = 0.95
    rows: pd.DataFrame = field(default=None, repr=False)

    def to_markdown(self, table: str = "by_variable", digits: int = 3) -> str:
        """One of the tables as Markdown (no extra dependency)."""
        frame = getattr(self, table)
        columns = ["fit", "variable", "geo", "channel", "control", "n", "coverage", "coverage_lower",
                   "coverage_upper", "mean_bias", "bias_se", "mean_relative_error", "mean_interval_score",
                   "mean_crps", "max_r_hat"] if table != "fits" else list(frame.columns)
        columns = [c for c in columns if c in frame.columns and not (frame[c].astype(str) == "").all()]
        if table != "fits" and frame["fit"].nunique() == 1:
            columns.remove("fit")
        head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
        lines = []
        for _, row in frame[columns].iterrows():
            cells = []
            for c in columns:
                v = row[c]
                cells.append(f"{v:.{digits}g}" if isinstance(v, (float, np.floating)) else str(v))
            lines.append("| " + " | ".join(cells) + " |")
        return head + "\n".join(lines)

    def __str__(self) -> str:
        n = int(self.fits["replicate"].nunique()) if len(self.fits) else 0
        return (f"recovery study: {n} replicates, {self.prob:.0%} intervals, coverage with exact "
                f"{self.confidence:.0%} binomial intervals\n{self.to_markdown()}")

    def plot(self, *, max_panels: int = 12):
        """Coverage per estimand against the nominal level, and truth vs posterior mean per variable.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return _plot_summary(self, max_panels=max_panels)


def summarise(study_results, *, confidence: float = 0.95) -> RecoverySummary:
    """Coverage, bias, interval score and cost of a recovery study.

    Parameters
    ----------
    study_results : pandas.DataFrame, str, path-like or xarray.Dataset
        The rows of :func:`recovery_study` (its return value), a results
        store folder, or :func:`xmmm.score` outputs concatenated along a
        ``replicate`` dim.
    confidence : float
        Confidence of the Clopper-Pearson intervals of the coverage.

    Returns
    -------
    RecoverySummary
        ``.by_estimand``, ``.by_variable``, ``.fits`` tables and ``.plot()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rows = pd.DataFrame({"fit": "f", "replicate": np.arange(50), "variable": "roas", "kind": "derived",
    ...                      "estimand": "roas[TV]", "geo": "", "channel": "TV", "control": "",
    ...                      "covered": np.arange(50) < 46, "bias": 0.1, "prob": 0.94})
    >>> s = summarise(rows).by_estimand.iloc[0]
    >>> int(s["covered"]), int(s["n"]), round(float(s["coverage_lower"]), 3), round(float(s["coverage_upper"]), 3)
    (46, 50, 0.808, 0.978)
    """
    rows = _as_rows(study_results)
    confidence = _prob(confidence, "confidence")
    if rows.empty:
        raise DataFileError("no results to summarise (the store is empty or has no finished replicate)")
    probs = pd.unique(rows["prob"].dropna()) if "prob" in rows else []
    prob = float(probs[0]) if len(probs) else float("nan")
    for c in ("fit", "kind", "geo", "channel", "control"):
        if c not in rows:
            rows[c] = ""
    by_estimand = _aggregate(rows, _GROUP + ["estimand"], confidence)
    by_variable = _aggregate(rows, ["fit", "variable", "kind"], confidence)
    for c in ("geo", "channel", "control"):
        by_variable[c] = ""
    fit_columns = [c for c in ("divergences", "wall_time", "sampling_time", "peak_memory", "n_chains", "n_draws")
                   if c in rows]
    per_fit = rows.groupby(["fit", "replicate"], sort=True)
    fits = per_fit[fit_columns].first() if fit_columns else per_fit.size().to_frame("n_estimands")
    if "r_hat" in rows:
        fits["max_r_hat"] = per_fit["r_hat"].max()
    if "ess_per_second" in rows:
        fits["min_ess_per_second"] = per_fit["ess_per_second"].min()
    return RecoverySummary(by_estimand=by_estimand, by_variable=by_variable, fits=fits.reset_index(),
                           prob=prob, confidence=confidence, rows=rows)


def _as_rows(results) -> pd.DataFrame:
    if isinstance(results, pd.DataFrame):
        return results.copy()
    if isinstance(results, (str, os.PathLike)):
        return load_results(results)
    if isinstance(results, xr.Dataset):
        if "estimand" not in results.dims:
            raise ValueError("a Dataset of scores needs an 'estimand' dim (xmmm.score's layout)")
        frame = results.to_dataframe().reset_index()
        if "replicate" not in frame:
            frame["replicate"] = 0
        frame["prob"] = results.attrs.get("prob", np.nan)
        frame["fit"] = str(results.attrs.get("fit", ""))
        return frame
    raise TypeError(
        f"study_results must be a DataFrame, a results store path or a Dataset of scores; got {type(results).__name__}"
    )


def _aggregate(rows: pd.DataFrame, keys: list[str], confidence: float) -> pd.DataFrame:
    keys = [k for k in keys if k in rows]
    groups = rows.groupby(keys, sort=False, dropna=False)
    out = groups.size().to_frame("n")

    def mean(column):
        return groups[column].mean() if column in rows else np.nan

    for prefix, column in (("", "covered"), ("hdi_", "hdi_covered")):
        if column in rows:
            # rows of other scorers may have no interval: they count neither way
            k = groups[column].apply(lambda s: int(s.dropna().astype(bool).sum())).values
            m = groups[column].apply(lambda s: int(s.notna().sum())).values
            lo, hi = clopper_pearson(k, m, confidence)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[f"{prefix}covered"] = k
                out[f"{prefix}coverage"] = np.where(m > 0, k / np.maximum(m, 1), np.nan)
                out[f"{prefix}coverage_lower"] = np.where(m > 0, lo, np.nan)
                out[f"{prefix}coverage_upper"] = np.where(m > 0, hi, np.nan)
    if "bias" in rows:
        out["mean_bias"] = groups["bias"].mean()
        out["bias_se"] = groups["bias"].std(ddof=1) / np.sqrt(out["n"])
        out["rmse"] = np.sqrt(groups["bias"].apply(lambda s: float(np.mean(np.square(s)))))
    for column, name in (("relative_error", "mean_relative_error"), ("interval_width", "mean_interval_width"),
                         ("interval_score", "mean_interval_score"), ("crps", "mean_crps"), ("pit", "mean_pit"),
                         ("truth", "mean_truth"), ("mean", "mean_posterior_mean")):
        if column in rows:
            out[name] = mean(column)
    if "r_hat" in rows:
        out["max_r_hat"] = groups["r_hat"].max()
    if "ess_bulk" in rows:
        out["min_ess_bulk"] = groups["ess_bulk"].min()
    if "ess_per_second" in rows:
        out["median_ess_per_second"] = groups["ess_per_second"].median()
    return out.reset_index()


def _plot_summary(summary: RecoverySummary, *, max_panels: int):
    import matplotlib.pyplot as plt

    table = summary.by_estimand
    rows = summary.rows
    variables = list(dict.fromkeys(table["variable"]))
    shown = variables[:max_panels]
    n_cols = min(4, max(1, len(shown)))
    n_grid = -(-len(shown) // n_cols)
    height_cov = max(2.5, 0.22 * len(table) + 1.0)
    fig = plt.figure(figsize=(3.4 * n_cols + 1.5, height_cov + 2.8 * n_grid), layout="constrained")
    grid = fig.add_gridspec(1 + n_grid, n_cols, height_ratios=[height_cov] + [2.8] * n_grid)

    ax = fig.add_subplot(grid[0, :])
    y = np.arange(len(table))[::-1]
    labels = [str(e) for e in table["estimand"]]
    if table["fit"].nunique() > 1:
        labels = [f"{f}: {e}" for f, e in zip(table["fit"], labels)]
    inside = ((table["coverage_lower"] <= summary.prob) & (summary.prob <= table["coverage_upper"])).values
    for mask, colour in ((inside, "tab:blue"), (~inside, "tab:red")):
        part = table[mask]
        if len(part):
            ax.errorbar(part["coverage"], y[mask], xerr=[part["coverage"] - part["coverage_lower"],
                                                         part["coverage_upper"] - part["coverage"]],
                        fmt="o", color=colour, ecolor=colour, markersize=4, elinewidth=1.5, capsize=2)
    if np.isfinite(summary.prob):
        ax.axvline(summary.prob, color="black", linestyle="--", linewidth=1, label=f"nominal {summary.prob:.0%}")
        ax.legend(loc="lower left", fontsize=8)
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.7, len(table) - 0.3)
    n = int(rows["replicate"].nunique()) if rows is not None and "replicate" in rows else int(table["n"].max())
    ax.set_xlabel(f"coverage of the {summary.prob:.0%} central interval over {n} replicates "
                  f"(bars: exact {summary.confidence:.0%} Clopper-Pearson; red: excludes the nominal level)")
    ax.set_title("Coverage per estimand")
    ax.grid(axis="x", alpha=0.3)

    for i, variable in enumerate(shown):
        panel = fig.add_subplot(grid[1 + i // n_cols, i % n_cols])
        part = rows[rows["variable"] == variable] if rows is not None else None
        if part is None or not {"truth", "mean"} <= set(part.columns):
            panel.set_axis_off()
            continue
        covered = part["covered"].astype(bool).values if "covered" in part else np.ones(len(part), bool)
        if {"lower", "upper"} <= set(part.columns):
            panel.errorbar(part["truth"], part["mean"], yerr=[part["mean"] - part["lower"], part["upper"] - part["mean"]],
                           fmt="none", ecolor="0.7", elinewidth=0.8)
        panel.scatter(part["truth"][covered], part["mean"][covered], s=14, color="tab:blue", label="covered", zorder=3)
        panel.scatter(part["truth"][~covered], part["mean"][~covered], s=14, color="tab:red", label="missed", zorder=3)
        values = np.concatenate([part["truth"].values, part["mean"].values])
        values = values[np.isfinite(values)]
        if values.size:
            lo, hi = values.min(), values.max()
            pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1e-9) * 0.1
            panel.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="black", linewidth=0.8, linestyle="--")
        panel.set_title(variable, fontsize=9)
        panel.set_xlabel("truth", fontsize=8)
        panel.set_ylabel("posterior mean", fontsize=8)
        panel.tick_params(labelsize=7)
        panel.locator_params(nbins=4)
        panel.ticklabel_format(style="sci", scilimits=(-3, 4), useMathText=True)
        panel.xaxis.get_offset_text().set_fontsize(7)
        panel.yaxis.get_offset_text().set_fontsize(7)
        if i == 0:
            panel.legend(fontsize=7, loc="upper left")
    if len(variables) > len(shown):
        fig.suptitle(f"{len(variables) - len(shown)} more variables not shown (max_panels={max_panels})", fontsize=8)
    return fig


# --------------------------------------------------------------------------- command line
def study_command(config, *, replicates: int, fit: str, out, priors=None, scheduler=None, target=None,
                  prob: float = 0.94, progress: bool = False, **fit_options) -> str:
    """``xmmm study``: run (or resume) a study into ``out`` and return its summary as text.

    Examples
    --------
    >>> text = study_command(xmmm_config, replicates=3, fit="pymc-marketing", out="r.parquet")  # doctest: +SKIP
    """
    from xmmm.fits import by_name

    fit_function = by_name(fit, **{k: v for k, v in fit_options.items() if v is not None})
    rows = recovery_study(config, replicates, fit_function, priors=priors, target=target, path=out,
                          scheduler=scheduler, prob=prob, progress=progress)
    return str(summarise(rows))


def summarise_command(path, *, plot=None, table: str = "by_variable") -> str:
    """``xmmm summarise``: the summary of a results store as text; the figure to ``plot`` if given.

    Examples
    --------
    >>> print(summarise_command("results.parquet", plot="coverage.png"))   # doctest: +SKIP
    """
    if table not in ("by_variable", "by_estimand", "fits"):
        raise ConfigError(f"table must be 'by_variable', 'by_estimand' or 'fits'; got {table!r}")
    summary = summarise(path)
    if plot is not None:
        _save_figure(summary.plot(), plot)
    head = str(summary).split("\n", 1)[0]
    return head + "\n" + summary.to_markdown(table)


def _save_figure(fig, path) -> None:
    import matplotlib.pyplot as plt

    target = Path(os.fspath(path))
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp{target.suffix}")
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, target)
    finally:
        plt.close(fig)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
