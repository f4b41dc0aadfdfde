"""Simulation studies: many replicates of one config, optionally with sampled ground truth.

:func:`simulate` runs the generator's numeric core
(:class:`xmmm.plan.Plan` and :func:`xmmm.engine.run`) for replicates ``first_replicate ...
first_replicate + n_replicates - 1`` and labels the result as one Dataset with
a leading ``replicate`` dim.  Every random number of replicate ``r`` comes from
streams named by the seed and ``r`` (see :mod:`xmmm.random`), and every sampled
parameter from a uniform named the same way (see :mod:`xmmm.priors`), so
replicate ``r`` is the same numbers whether it is computed alone, in a block of
seven, lazily by dask, on a cluster or streamed to disk.  Replicate 0 without
priors is :func:`xmmm.generate_dataset` of the same config.

The work is done in *blocks* of replicates (``chunks`` of them; by default a
block of about 64 MB): one block is one call of the core returning every
variable, so nothing is computed twice.  Blocks run

* in the calling process (default; Numba kernels use all cores),
* in a local thread pool (``scheduler="threads"``),
* on a dask cluster (``scheduler=`` a ``distributed.Client`` or an address,
  or the ``XMMM_SCHEDULER`` environment variable),

and go to memory, to a lazy dask-backed Dataset (``chunks=`` without ``path``)
or to a NetCDF / Zarr file (``path=``) written block by block, so memory is
bounded by the block size.  Files are written under a temporary name next to
the target and renamed when complete: an interrupted run leaves nothing
behind.

Examples
--------
>>> import xmmm
>>> from xmmm import simulate, replicate_dataset
>>> study = simulate(xmmm.DEFAULT_CONFIG, 4, priors={"transforms.adstock_alpha": {"dist": "Beta",
...                                                  "alpha": 2, "beta": 5}})
>>> study["y"].dims
('replicate', 'date', 'geo')
>>> study["prior_transforms_adstock_alpha"].dims
('replicate', 'channel')
>>> one = replicate_dataset(study, 2)        # an ordinary single dataset
>>> len(xmmm.to_long_dataframe(one)) == one.sizes["date"] * one.sizes["geo"]
True
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from xmmm.config import MMMDataConfig
from xmmm.errors import ConfigError, GenerationError, XmmmWarning
from xmmm.blocks.outcome import check_finite, check_non_negative
from xmmm.dataset import to_dataset
from xmmm.generate import _resolve_config, simulate_arrays
from xmmm.io import StudyWriter, open_study, replicate_dataset, study_target, with_base_values
from xmmm.plan import Plan
from xmmm.suspicious import suspicious
from xmmm.priors import (
    SampledParameter,
    parse_priors,
    prior_variable_name,
    priors_to_json,
    sample_base,
)

__all__ = ["simulate", "replicate_dataset", "replicate_config", "SCHEDULER_ENV"]

#: environment variable holding a dask scheduler address used when ``scheduler`` is None
SCHEDULER_ENV = "XMMM_SCHEDULER"

#: output bytes per block when ``chunks`` is not given
_BLOCK_BYTES = 64 * 2**20

_PRIOR_PREFIX = "prior:"


# --------------------------------------------------------------------------- one block
@dataclass(frozen=True)
class _Job:
    """Everything a worker needs to compute a block of replicates (small and picklable)."""

    config: MMMDataConfig
    sampled: tuple[SampledParameter, ...]
    on_negative: str

    def block(self, replicates: Sequence[int]) -> dict[str, np.ndarray]:
        """Every array of the given replicates: the core's output plus the drawn base values."""
        reps = [int(r) for r in replicates]
        base = sample_base(self.config, self.sampled, reps)
        arrays = simulate_arrays(self.config, reps, base or None)
        config = self.config
        labels = dict(replicates=reps, geos=config.region_names, dates=config.dates)
        try:
            check_finite(arrays, channels=config.channel_names, controls=config.control_names, **labels)
            if self.on_negative == "raise":
                check_non_negative(arrays, **labels)
        except GenerationError as err:
            if len(reps) == 1 and f"replicate {reps[0]}" not in str(err):
                # the checks leave replicate 0 unnamed when it is alone (a single dataset)
                raise GenerationError(f"replicate {reps[0]}: {err}") from None
            raise
        for key, values in base.items():
            arrays[_PRIOR_PREFIX + key] = values
        return arrays

    def plan(self, replicates: Sequence[int]) -> Plan:
        """The parameter plan of the given replicates."""
        reps = [int(r) for r in replicates]
        return Plan.build(self.config, reps, sample_base(self.config, self.sampled, reps) or None)

    def __dask_tokenize__(self):
        return (
            "xmmm-simulate",
            json.dumps(self.config.to_dict(), sort_keys=True, default=repr),
            priors_to_json(self.sampled),
            self.on_negative,
        )


#: the former name of :class:`_Job`
_Plan = _Job


# --------------------------------------------------------------------------- the API
def simulate(
    config: MMMDataConfig | Mapping | None,
    n_replicates: int,
    *,
    priors: Mapping | None = None,
    chunks: int | None = None,
    path: str | os.PathLike | None = None,
    scheduler=None,
    progress: bool | None = None,
    first_replicate: int = 0,
    on_negative: str = "raise",
) -> xr.Dataset:
    """Simulate ``n_replicates`` datasets of one config as one Dataset with a ``replicate`` dim.

    Parameters
    ----------
    config : MMMDataConfig, dict or None
        The study's config (a dict is read with ``MMMDataConfig.from_dict``);
        ``None`` is :data:`xmmm.DEFAULT_CONFIG`.  A config without a seed gets
        a random one, stored in the result's attributes.
    n_replicates : int
        Number of replicates, >= 1.
    priors : mapping, optional
        Parameters drawn once per replicate instead of fixed, from parameter
        path to distribution: ``{"transforms.adstock_alpha": Prior("Beta",
        alpha=2, beta=5), "channels[TV].base_effectiveness": {"dist":
        "HalfNormal", "sigma": 0.3}}``.  See :func:`xmmm.priors.parse_priors`
        for the paths and :mod:`xmmm.priors` for the distributions.  The drawn
        values are stored as ``prior_<path>`` variables (dims ``replicate``
        and ``channel`` or ``control`` where they apply); the regional
        parameters made from them (``adstock_alpha``, ``effectiveness``, ...)
        are in the Dataset as in a single dataset.
    chunks : int, optional
        Replicates per block.  Without ``path`` the result is a lazy,
        dask-backed Dataset chunked by ``chunks`` along ``replicate`` (nothing
        is computed until it is used; needs dask).  With ``path`` it is the
        block size of the writes and of the file's chunks.  Default: computed
        now, in blocks of about 64 MB.
    path : str or path-like, optional
        Write the study to this file, block by block, and return it opened
        lazily: ``*.nc`` (NetCDF-4, via netCDF4) or ``*.zarr`` (a Zarr store
        in format 2 with consolidated metadata; needs dask and zarr).  The file appears only when complete; an
        existing file (or Zarr store) of that name is replaced.
    scheduler : distributed.Client, str or None
        Where blocks run: a ``distributed.Client``, a scheduler address
        (``"tcp://host:8786"``), ``"threads"`` (a local thread pool) or
        ``"synchronous"`` (the calling thread).  ``None`` uses the address in
        the ``XMMM_SCHEDULER`` environment variable if set, else the calling
        process (for a lazy result: whatever dask scheduler computes it).
    progress : bool, optional
        Show a progress bar on stderr while computing or writing; default:
        only when stderr is a terminal.
    first_replicate : int
        Number of the first replicate, >= 0: ``simulate(c, 10,
        first_replicate=90)`` is replicates 90 ... 99 of the same study.
    on_negative : {"raise", "allow"}
        What to do when ``y`` is negative somewhere: raise
        :class:`~xmmm.errors.GenerationError` naming the replicate, geo and
        date, or keep the values.

    Returns
    -------
    xarray.Dataset
        Dims ``replicate, date, geo, channel, control``; every variable of a
        single dataset with a leading ``replicate`` dim (except per-channel
        labels such as ``adstock_function``), the ``prior_*`` variables, and
        attributes ``xmmm_config``, ``seed``, ``n_replicates``,
        ``first_replicate`` and ``xmmm_priors`` (JSON).

    Raises
    ------
    ConfigError
        A bad config, argument, prior, or a drawn value outside its
        parameter's range (naming the replicate).
    GenerationError
        ``y`` would be negative in some replicate (see ``on_negative``).

    Notes
    -----
    Warnings about suspicious settings (a channel that never spends, a flat
    saturation curve, ...) are checked once, on the first replicate.

    Examples
    --------
    >>> import xmmm
    >>> study = simulate(xmmm.DEFAULT_CONFIG, 3)
    >>> study.sizes["replicate"], int(study["replicate"][0])
    (3, 0)
    >>> lazy = simulate(xmmm.DEFAULT_CONFIG, 100, chunks=25)   # doctest: +SKIP
    >>> simulate(xmmm.DEFAULT_CONFIG, 10_000, path="study.zarr")  # doctest: +SKIP
    """
    config = _study_config(config)
    n = _count("n_replicates", n_replicates, 1)
    first = _count("first_replicate", first_replicate, 0)
    block = None if chunks is None else _count("chunks", chunks, 1)
    if on_negative not in ("raise", "allow"):
        raise ConfigError(f"on_negative must be 'raise' or 'allow'; got {on_negative!r}")
    target = None if path is None else study_target(path)
    sampled = tuple(parse_priors(priors, config))
    job = _Job(config, sampled, on_negative)

    # one replicate now: bad priors and negative outcomes fail early, warnings are
    # checked once, and it is the template (names, shapes, dtypes, labels) of every block
    probe = job.block([first])
    for message in suspicious(job.plan([first]), probe):
        warnings.warn(f"{message} (checked on replicate {first} only)", XmmmWarning, stacklevel=2)
    reps = np.arange(first, first + n, dtype=np.int64)
    attrs = {"n_replicates": n, "first_replicate": first, "xmmm_priors": priors_to_json(sampled)}
    runner = _Runner.of(scheduler, lazy=chunks is not None and target is None)
    if block is None:
        per_replicate = sum(a.nbytes for a in probe.values())
        block = int(max(1, min(n, _BLOCK_BYTES // max(per_replicate, 1))))
        # enough blocks to keep every worker busy
        block = max(1, min(block, -(-n // (4 * runner.workers)))) if runner.workers > 1 else block
    blocks = [reps[i : i + block] for i in range(0, n, block)]
    show = _want_progress(progress)
    try:
        if target is not None:
            template = _label(probe, config, sampled, reps[:1], attrs)
            writer = StudyWriter.for_path(target, template, reps, block)
            with _Progress(n, show) as bar, contextlib.closing(runner.map(job, blocks)) as results:
                writer.run(_laid_out(results, template, first), bar.update)
            return open_study(target, block)
        if chunks is not None:
            return _lazy(job, probe, blocks, config, sampled, reps, attrs)
        arrays = {name: np.empty((n,) + a.shape[1:], dtype=a.dtype) for name, a in probe.items()}
        with _Progress(n, show) as bar, contextlib.closing(runner.map(job, blocks)) as results:
            for reps_b, values in results:
                lo = int(reps_b[0] - first)
                for name, a in values.items():
                    arrays[name][lo : lo + len(reps_b)] = a
                bar.update(len(reps_b))
        return _label(arrays, config, sampled, reps, attrs)
    finally:
        runner.close()


def replicate_config(config: MMMDataConfig, replicate: int, priors: Mapping | None = None) -> MMMDataConfig:
    """The config of one replicate: ``config`` with the replicate's drawn values put in.

    Channel and control values go into ``channels[i]`` / ``control_variables[i]``,
    transform parameters into per-channel ``transforms.<family>_kwargs``.  The
    replicate's data are :func:`xmmm.generate.simulate_arrays` of this config for
    ``[replicate]`` (its random streams are those of the replicate number).

    Parameters
    ----------
    config : MMMDataConfig
        With a seed (the study's).
    replicate : int
    priors : mapping, optional
        As for :func:`simulate`.

    Examples
    --------
    >>> import xmmm
    >>> c = replicate_config(xmmm.DEFAULT_CONFIG, 7, {"channels.base_spend": {"dist": "Gamma",
    ...                      "mu": 4000, "sigma": 500}})
    >>> c.channels[0].base_spend != xmmm.DEFAULT_CONFIG.channels[0].base_spend
    True
    """
    config = _study_config(config)
    sampled = parse_priors(priors, config)
    return with_base_values(config, sample_base(config, sampled, [int(replicate)]))


# --------------------------------------------------------------------------- helpers
def _study_config(config) -> MMMDataConfig:
    if isinstance(config, Mapping):
        config = MMMDataConfig.from_dict(config)
    return _resolve_config(config, {})


def _count(name: str, value, lower: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < lower:
        raise ConfigError(f"{name} must be an integer >= {lower}; got {value!r}")
    return int(value)


def _label(arrays, config, sampled, reps, attrs) -> xr.Dataset:
    """The core's arrays (numpy or dask) plus drawn values as a study Dataset."""
    core = {k: v for k, v in arrays.items() if not k.startswith(_PRIOR_PREFIX)}
    ds = to_dataset(core, config, replicate_axis=True, replicates=reps)
    for key in dict.fromkeys(e.key for e in sampled):
        group = key.split(".", 1)[0]
        dims = ("replicate",) + (() if group == "regions" else ("control",) if group == "controls" else ("channel",))
        paths = [e.path for e in sampled if e.key == key]
        ds[prior_variable_name(key)] = (
            dims,
            arrays[_PRIOR_PREFIX + key],
            {
                "long_name": f"Drawn base value of {key} ({', '.join(paths)})",
                "parameter": key,
                "priors": json.dumps({e.path: e.prior.to_dict() for e in sampled if e.key == key}, sort_keys=True),
            },
        )
    ds.attrs.update(attrs)
    return ds


def _lazy(job, probe, blocks, config, sampled, reps, attrs) -> xr.Dataset:
    """A dask-backed study: one delayed call of the core per block, shared by all variables."""
    try:
        import dask
        import dask.array as da
    except ImportError:  # pragma: no cover - dask is an optional dependency
        raise ImportError("simulate(chunks=...) needs dask: pip install 'xmmm[dask]'") from None
    token = dask.base.tokenize(job, reps[0], len(reps), len(blocks[0]))
    parts: dict[str, list] = {name: [] for name in probe}
    for i, reps_b in enumerate(blocks):
        values = dask.delayed(job.block, pure=True)(reps_b, dask_key_name=f"xmmm-block-{token}-{i}")
        for name, a in probe.items():
            parts[name].append(
                da.from_delayed(values[name], shape=(len(reps_b),) + a.shape[1:], dtype=a.dtype,
                                name=f"xmmm-{name}-{token}-{i}")
            )
    arrays = {name: da.concatenate(p, axis=0) if len(p) > 1 else p[0] for name, p in parts.items()}
    return _label(arrays, config, sampled, reps, attrs)


def _dataset_layout(template: xr.Dataset, name: str, values: np.ndarray) -> np.ndarray:
    """A core array (..., time last) in the order of the Dataset variable's dims."""
    dims = template[name].dims
    return np.moveaxis(values, -1, 1) if len(dims) > 1 and dims[1] == "date" else values


def _laid_out(results, template: xr.Dataset, first: int):
    """``(lo, hi, {variable: values})`` of each block, as the study Dataset lays its variables out."""
    for reps_b, values in results:
        lo = int(reps_b[0]) - first
        yield lo, lo + len(reps_b), {
            _variable_of(k): _dataset_layout(template, _variable_of(k), a) for k, a in values.items()
        }


def _variable_of(name: str) -> str:
    return prior_variable_name(name[len(_PRIOR_PREFIX) :]) if name.startswith(_PRIOR_PREFIX) else name


# --------------------------------------------------------------------------- where blocks run
def resolve_scheduler(scheduler, *, keep_client_open: bool = False) -> tuple[str, object, bool]:
    """``(kind, client, owned)`` for a ``scheduler=`` argument (shared by studies and recovery studies).

    ``kind`` is ``"serial"``, ``"threads"`` or ``"distributed"``; ``owned``
    says that the client was opened here (from an address) and is to be closed
    when the work is done.  ``None`` reads :data:`SCHEDULER_ENV`.

    Examples
    --------
    >>> resolve_scheduler(None)[0], resolve_scheduler("threads")[0]
    ('serial', 'threads')
    >>> resolve_scheduler(3)
    Traceback (most recent call last):
    ...
    xmmm.errors.ConfigError: scheduler must be a distributed.Client, a scheduler address, 'threads', 'synchronous' or None; got 3
    """
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    if scheduler is None or scheduler in ("synchronous", "sync", "single-threaded"):
        return "serial", None, False
    if scheduler == "threads":
        return "threads", None, False
    if isinstance(scheduler, str):
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover
            raise ImportError("a scheduler address needs dask.distributed: pip install 'xmmm[dask]'") from None
        return "distributed", Client(scheduler), not keep_client_open
    if hasattr(scheduler, "submit") and hasattr(scheduler, "gather"):
        return "distributed", scheduler, False
    raise ConfigError(
        "scheduler must be a distributed.Client, a scheduler address, 'threads', 'synchronous' or None; "
        f"got {scheduler!r}"
    )


class _Runner:
    """Runs blocks in order: in the calling thread, a thread pool or a dask cluster."""

    def __init__(self, kind: str, client=None, owned: bool = False) -> None:
        self.kind, self.client, self.owned = kind, client, owned

    @property
    def workers(self) -> int:
        """How many blocks can run at once."""
        if self.kind == "threads":
            return os.cpu_count() or 1
        if self.kind == "distributed":
            return max(1, sum(self.client.nthreads().values()))
        return 1

    @classmethod
    def of(cls, scheduler, lazy: bool) -> _Runner:
        # a lazy result is computed later by dask's default scheduler: keep the client open
        return cls(*resolve_scheduler(scheduler, keep_client_open=lazy))

    def map(self, job: _Job, blocks: Sequence[np.ndarray]) -> Iterator[tuple[np.ndarray, dict]]:
        """``(replicates, arrays)`` of each block, in order, with a bounded number in flight."""
        if self.kind == "serial":
            for reps in blocks:
                yield reps, job.block(reps)
            return
        if self.kind == "threads":
            from concurrent.futures import ThreadPoolExecutor

            workers = self.workers
            with ThreadPoolExecutor(workers) as pool:
                yield from _ordered(lambda reps: pool.submit(job.block, reps), blocks, 2 * workers,
                                    lambda f: f.result(), lambda f: f.cancel())
            return
        client, workers = self.client, self.workers
        remote = client.scatter(job, broadcast=True, hash=False)
        yield from _ordered(lambda reps: client.submit(_run_block, remote, reps, pure=False), blocks,
                            2 * workers, lambda f: f.result(), lambda f: f.cancel())

    def close(self) -> None:
        if self.owned:
            self.client.close()


def _run_block(job: _Job, reps) -> dict[str, np.ndarray]:
    return job.block(reps)


def _ordered(submit, blocks, window: int, result, cancel) -> Iterator:
    pending: collections.deque = collections.deque()
    todo = iter(blocks)
    try:
        for reps in todo:
            pending.append((reps, submit(reps)))
            if len(pending) >= window:
                reps_done, future = pending.popleft()
                yield reps_done, result(future)
        while pending:
            reps_done, future = pending.popleft()
            yield reps_done, result(future)
    finally:
        for _, future in pending:
            cancel(future)


# --------------------------------------------------------------------------- progress
def _want_progress(progress: bool | None) -> bool:
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


class _Progress:
    """A one-line text progress bar on stderr (no dependency)."""

    width = 30

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.done = total, enabled, 0
        self.start = time.perf_counter()
        self.last = 0.0

    def __enter__(self) -> _Progress:
        if self.enabled:
            self._draw()
        return self

    def update(self, k: int) -> None:
        self.done += k
        now = time.perf_counter()
        if self.enabled and (now - self.last > 0.1 or self.done >= self.total):
            self.last = now
            self._draw()

    def _draw(self) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(round(share * self.width))
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(
            f"\rsimulate [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} replicates"
            f" {rate:,.0f}/s"
        )
        sys.stderr.flush()

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._draw()
            sys.stderr.write("\n")
            sys.stderr.flush()
