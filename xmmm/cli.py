"""The ``xmmm`` command: presets, generate, describe, plot, simulate, verify, study, summarise.

Thin: each subcommand parses its arguments and calls the library.  Exit codes:

* 0 success;
* 2 anything the user can fix -- bad arguments or values, a bad, missing,
  foreign or incomplete file, an output that exists (pass ``--overwrite``), a
  folder that does not exist, an unreachable scheduler, too little memory for
  the size asked for -- reported as one line on stderr naming what and where;
* 3 ``xmmm verify``: the file is not what its config generates;
* 130 interrupted (Ctrl-C): ``xmmm: interrupted``, within seconds, and
  no temporary file left behind, whatever the output format;
* 1 anything unexpected, i.e. a bug (one line and a hint; set
  ``XMMM_DEBUG=1`` for the traceback).

Status lines go to stderr only when it is a terminal; warnings and notes are
always shown, one line each.

Examples
--------
.. code-block:: console

    $ xmmm presets
    $ xmmm generate --preset seasonal --seed 7 --out seasonal.nc
    $ xmmm generate --config my_config.yaml --periods 104 --regions 5 --out data.csv
    $ xmmm describe seasonal.nc
    $ xmmm plot seasonal.nc --out figures/
    $ xmmm simulate --preset research --replicates 200 --chunk 20 --out study.zarr
    $ xmmm plot study.zarr --replicate 3 --geos geo_a,geo_b --out figures/
    $ xmmm verify seasonal.nc
    $ xmmm study --preset basic --replicates 20 --fit pymc-marketing --out results.parquet
    $ xmmm summarise results.parquet --plot summary.png
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import socket
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xmmm._version import __version__
from xmmm.errors import ConfigError, DataFileError, GenerationError

__all__ = ["main", "build_parser"]

_DATA_WRITERS = {".nc": "to_netcdf", ".csv": "to_csv", ".parquet": "to_parquet"}
#: exit code of ``xmmm verify`` for a file that its config does not reproduce
EXIT_DIFFERS = 3
#: how long ``simulate`` waits for a scheduler to answer before giving up
SCHEDULER_TIMEOUT = 3.0


class UsageError(Exception):
    """A problem with the command line itself (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """Reports a usage problem as one line instead of usage text plus exit."""

    def error(self, message: str):  # noqa: D401 - argparse's API
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- output helpers
def _tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _status(message: str) -> None:
    if _tty():
        print(message, file=sys.stderr, flush=True)


def _one_line(text: str) -> str:
    """Several lines as one: ``2 problems:\n- a\n- b`` reads ``2 problems: a; b``."""
    lines = [line.strip() for line in str(text).splitlines()]
    lines = [line[2:] if line.startswith("- ") else line for line in lines]  # bullets of a problem list
    out = ""
    for line in filter(None, lines):
        out += line if not out else (" " if out.endswith(":") else "; ") + line
    return out


# --------------------------------------------------------------------------- configs
def _config_from_args(args: argparse.Namespace):
    """The config named by --preset / --config (default: DEFAULT_CONFIG) with --seed etc. applied."""
    from xmmm.config import DEFAULT_CONFIG, apply_overrides

    if getattr(args, "config", None):
        from xmmm.io import load_config

        config = load_config(args.config)
        source = str(args.config)
    elif getattr(args, "preset", None):
        presets = _optional_module("xmmm.presets", "presets")
        config = presets.get_preset_config(args.preset)
        source = f"preset {args.preset!r}"
    else:
        config = DEFAULT_CONFIG
        source = "the default config"
    if getattr(args, "target", None):
        from xmmm.targets import to_target

        config = to_target(config, args.target)
        source += f" moved into the {args.target} family"
    overrides: dict[str, Any] = {}
    if getattr(args, "seed", None) is not None:
        overrides["seed"] = args.seed
    if getattr(args, "periods", None) is not None:
        overrides["n_periods"] = args.periods
    if getattr(args, "regions", None) is not None:
        overrides["regions.n_regions"] = args.regions
    return (apply_overrides(config, overrides) if overrides else config), source


def _optional_module(name: str, what: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name == name:
            raise UsageError(f"{what} are not available in this installation of xmmm ({name} is missing)") from None
        raise


def _data_suffix(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in _DATA_WRITERS:
        raise UsageError(
            f"cannot tell the format of {path!r} from its extension; "
            "use .nc (NetCDF, everything), .csv or .parquet (long table + .truth.json sidecar)"
        )
    return suffix


# --------------------------------------------------------------------------- subcommands
def _cmd_presets(args: argparse.Namespace) -> int:
    presets = _optional_module("xmmm.presets", "presets")
    available = presets.list_available_presets()
    if not isinstance(available, dict):
        available = {name: "" for name in available}
    width = max((len(n) for n in available), default=4)
    print(f"{'name':<{width}}  description")
    for name, description in available.items():
        print(f"{name:<{width}}  {description}")
    return 0


def _refuse_existing(paths: Sequence[Path], overwrite: bool) -> None:
    existing = [str(p) for p in paths if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise UsageError(f"{' and '.join(existing)} already exist{'s' * (len(existing) == 1)}; "
                         "pass --overwrite to replace it")


def _available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux), or None when unknown."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    return None


def _check_size(config, source: str) -> None:
    """Refuse, naming the sizes, a dataset that cannot fit in memory (instead of failing deep inside)."""
    n_series = 4 * len(config.channels) + 2 * len(config.control_variables) + 6
    cells = float(config.n_periods) * float(config.regions.n_regions)
    needed = 8.0 * cells * n_series * 2  # every series once, plus the working copies of the largest
    available = _available_memory()
    if available is not None and needed > available:
        raise UsageError(
            f"{source}: n_periods={config.n_periods} x regions.n_regions={config.regions.n_regions} with "
            f"{len(config.channels)} channels needs about {needed / 2**30:,.1f} GiB of memory; "
            f"{available / 2**30:,.1f} GiB are available: use fewer periods (--periods) or regions (--regions)"
        )


def _cmd_generate(args: argparse.Namespace) -> int:
    from xmmm import io
    from xmmm.generate import generate_dataset

    suffix = _data_suffix(args.out)
    out = Path(args.out)
    if not out.parent.exists():
        raise UsageError(f"the folder {str(out.parent)!r} of --out does not exist")
    if out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a folder; give a file name")
    written = [out] if suffix == ".nc" else [out, io.truth_sidecar_path(out)]
    _refuse_existing(written, args.overwrite)
    config, source = _config_from_args(args)
    _check_size(config, source)
    _status(
        f"generating from {source}: {config.n_periods} periods x {config.regions.n_regions} regions, "
        f"{len(config.channels)} channels, seed {config.seed}"
    )
    dataset = generate_dataset(config)
    getattr(io, _DATA_WRITERS[suffix])(dataset, out)
    _status("wrote " + ", ".join(str(p) for p in written))
    return 0


def _open(path: str, replicate: int | None = None):
    from xmmm.io import NETCDF_SUFFIXES, open_dataset

    suffix = Path(path).suffix.lower()
    if suffix not in NETCDF_SUFFIXES + (".zarr",):
        raise UsageError(
            f"{path}: xmmm reads its NetCDF files (.nc) and study stores (.zarr); CSV and Parquet tables "
            "carry their truth in the .truth.json sidecar"
        )
    return open_dataset(path, replicate=replicate)


def _cmd_describe(args: argparse.Namespace) -> int:
    dataset = _open(args.file)
    print(describe(dataset, name=str(args.file)))
    return 0


def describe(dataset, name: str = "dataset") -> str:
    """A readable summary of an xmmm Dataset: sizes, dates, channels, regions, ROAS, attribution."""
    import pandas as pd

    lines = []
    header = f"{name}: xmmm {dataset.attrs.get('xmmm_version', '?')} dataset, seed {dataset.attrs.get('seed', '?')}"
    if "replicate" in dataset.dims:
        header += f"; {dataset.sizes['replicate']} replicates (figures below: the first)"
        dataset = dataset.isel(replicate=0)
    lines.append(header)
    dates = pd.DatetimeIndex(dataset["date"].values)
    frequency = dataset.attrs.get("frequency") or pd.infer_freq(dates) or "?"
    lines.append(
        f"  {dataset.sizes['date']} periods (frequency {frequency}), "
        f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}"
    )
    geos = [str(g) for g in dataset["geo"].values]
    lines.append(f"  {len(geos)} region{'s' * (len(geos) != 1)}: {', '.join(geos)}")
    channels = [str(c) for c in dataset["channel"].values]
    columns = [str(c) for c in dataset["channel_column"].values]
    lines.append(f"  {len(channels)} channel{'s' * (len(channels) != 1)}: {', '.join(columns)}")
    controls = [str(c) for c in dataset["control_column"].values]
    lines.append(f"  {len(controls)} control{'s' * (len(controls) != 1)}: {', '.join(controls) or '-'}")
    adstocks = sorted({str(v) for v in dataset["adstock_function"].values})
    saturations = sorted({str(v) for v in dataset["saturation_function"].values})
    lines.append(f"  transforms: adstock {', '.join(adstocks)}; saturation {', '.join(saturations)}")
    lines += [f"  {phrase}" for phrase in _world_phrases(dataset)]
    y = dataset["y"]
    lines.append(f"  y: total {float(y.sum()):,.0f}, mean per period and region {float(y.mean()):,.1f}")

    from xmmm.ground_truth import channel_summary

    table = channel_summary(dataset)
    lines.append("")
    if "revenue" in table:
        lines.append(f"  y is a KPI ({dataset.attrs.get('kpi_type', 'non_revenue')}); ROAS is in revenue "
                     "(revenue = contribution x revenue per KPI)")
    ratio = "revenue / spend" if "revenue" in table else "contribution / spend"
    lines.append(f"Ground truth, all regions (ROAS = {ratio}; mROAS for +1% spend):")
    lines.append(
        table.to_string(
            formatters={
                "spend": "{:,.0f}".format,
                "contribution": "{:,.0f}".format,
                "revenue": "{:,.0f}".format,
                "ROAS": "{:.3f}".format,
                "mROAS": "{:.3f}".format,
                "attribution %": "{:.1f}".format,
            }
        )
    )
    if len(geos) > 1:
        lines.append("")
        lines.append("ROAS by region:")
        per_geo = dataset["roas"].transpose("geo", "channel").to_pandas()
        per_geo.index = pd.Index(geos, name="region")
        per_geo.columns = columns
        lines.append(per_geo.to_string(float_format="{:.3f}".format))
    share = ", ".join(f"{g} {float(v):.1f}%" for g, v in zip(geos, dataset["media_share"].values))
    lines.append("")
    lines.append(f"Media share of y: {share}")
    record = dataset.encoding.get("xmmm_provenance") or {}
    if record.get("content_hash"):
        lines.append(
            f"Provenance: content hash {record['content_hash']}; xmmm {record.get('xmmm_version', '?')}, "
            f"numpy {record.get('numpy_version', '?')}, numba {record.get('numba_version', '?')} "
            "(check with 'xmmm verify')"
        )
    if "causal_graph" in dataset.attrs:
        import json

        from xmmm.graph import graph_lines

        lines.append("")
        lines.append("Causal graph (cause -> effect):")
        lines.extend(graph_lines(json.loads(dataset.attrs["causal_graph"])))

    if "channel_kind" not in dataset.coords:  # the optimal budget is a spend-only question
        from xmmm.counterfactuals import budget_summary

        lines.append("")
        lines.append(budget_summary(dataset))
    return "\n".join(lines)


def _world_phrases(dataset) -> list[str]:
    """The harder-world options of the dataset's config (none for a file without one)."""
    import json

    from xmmm.config import MMMDataConfig
    from xmmm.world import describe_world

    try:
        config = MMMDataConfig.from_dict(json.loads(dataset.attrs["xmmm_config"]))
    except (KeyError, TypeError, ValueError):  # no config, or one this version cannot read: say nothing
        return []
    return describe_world(config)


def _cmd_plot(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file; give a folder")
    if not out.parent.exists():
        raise UsageError(f"the folder {str(out.parent)!r} of --out does not exist")
    from xmmm.io import provenance

    record = provenance(args.file) if Path(args.file).exists() else {}
    replicate = args.replicate
    note = None
    if "n_replicates" in record:
        replicate = 0 if replicate is None else replicate
        note = (f"xmmm: note: {args.file} is a study of {record['n_replicates']} replicates; plotting replicate "
                f"{replicate} (choose another with --replicate N)")
    elif replicate is not None:
        raise UsageError(f"{args.file} holds one dataset, not a study; leave out --replicate")
    dataset = _open(args.file, replicate=replicate)
    if note:
        print(note, file=sys.stderr)
    plot = _optional_module("xmmm.plot", "plots")
    geos = _geos(args.geos, dataset)
    stems = list(plot.plot_names(dataset))
    _refuse_existing([out / f"{stem}.png" for stem in stems], args.overwrite)
    _status(f"plotting {args.file} into {out}")
    kwargs = {} if geos is None else {"geos": geos, "max_geos": None}
    written = plot.save_all_plots(dataset, out, **kwargs)
    for path in written:
        print(path)
    return 0


def _geos(text: str | None, dataset):
    """``--geos``: None (the default selection), every geo for ``all``, else the named ones."""
    if text is None:
        return None
    names = [str(g) for g in dataset["geo"].values]
    if text.strip().lower() == "all":
        return names
    chosen = [g.strip() for g in text.split(",") if g.strip()]
    unknown = [g for g in chosen if g not in names]
    if unknown or not chosen:
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
        raise UsageError(f"--geos: unknown geo(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
                         f"the file has {shown}; or give 'all'")
    return chosen


def _check_scheduler(address: str) -> None:
    """Fail within seconds, naming the address, when nothing answers there."""
    if address in ("threads", "synchronous", "sync", "single-threaded"):
        return
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return  # other transports (inproc, ucx, ...) are left to distributed
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError:
        raise UsageError(f"--scheduler {address!r}: not a valid address (e.g. tcp://host:8786)") from None
    try:
        with socket.create_connection((host, port), timeout=SCHEDULER_TIMEOUT):
            pass
    except OSError as err:
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise UsageError(f"cannot reach the dask scheduler at {address} ({reason.lower()}); "
                         "start it or give another --scheduler / XMMM_SCHEDULER") from None


@contextlib.contextmanager
def _connect_timeout(seconds: float | None):
    """dask.distributed's connect timeout (30 s by default) while a study connects to its scheduler.

    The address answered the reachability check; something that is not a dask
    scheduler then fails (an OSError, exit 2) within ``seconds`` instead of 30.
    """
    if seconds is None:
        yield
        return
    try:
        import dask
    except ImportError:  # pragma: no cover - the address needs distributed anyway
        yield
        return
    with dask.config.set({"distributed.comm.timeouts.connect": f"{max(seconds, 1.0):g}s"}):
        yield


def _cmd_simulate(args: argparse.Namespace) -> int:
    simulate_module = _optional_module("xmmm.study", "simulation studies")
    from xmmm.io import study_target

    if args.replicates < 1:
        raise UsageError("--replicates must be >= 1")
    if args.chunk is not None and args.chunk < 1:
        raise UsageError("--chunk must be >= 1")
    target = study_target(args.out)
    _refuse_existing([target], args.overwrite)
    config, source = _config_from_args(args)
    priors = None
    if args.priors is not None:
        from xmmm.io import load_priors
        from xmmm.priors import parse_priors

        priors = load_priors(args.priors)
        try:
            parse_priors(priors, config)
        except ConfigError as err:  # name the file the bad entry is in
            raise ConfigError(f"{args.priors}: {err}") from None
    scheduler = args.scheduler or os.environ.get("XMMM_SCHEDULER") or None
    if scheduler:
        _check_scheduler(scheduler)
    _status(f"simulating {args.replicates} replicates of {source} into {args.out}")
    with _connect_timeout(SCHEDULER_TIMEOUT if scheduler else None):
        study = simulate_module.simulate(
            config,
            n_replicates=args.replicates,
            priors=priors,
            chunks=args.chunk,
            path=args.out,
            scheduler=args.scheduler,
            progress=_tty(),
        )
    with contextlib.suppress(AttributeError):
        study.close()
    _status(f"wrote {args.out}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from xmmm.reproduce import verify

    if not Path(args.file).exists():
        raise UsageError(f"{args.file}: no such file")
    report = verify(args.file)
    print(report)
    return 0 if report.identical else EXIT_DIFFERS


def _cmd_study(args: argparse.Namespace) -> int:
    recovery = _optional_module("xmmm.recovery", "recovery studies")
    if args.replicates < 1:
        raise UsageError("--replicates must be >= 1")
    config, source = _config_from_args(args)
    priors = None
    if args.priors is not None:
        from xmmm.io import load_priors

        priors = load_priors(args.priors)
    _status(f"recovery study: {args.replicates} replicates of {source}, fit {args.fit}, into {args.out}")
    print(recovery.study_command(
        config, replicates=args.replicates, fit=args.fit, out=args.out, priors=priors, scheduler=args.scheduler,
        target=args.target, prob=args.prob, progress=_tty(),
        draws=args.draws, tune=args.tune, chains=args.chains, sampler=args.sampler,
    ))
    return 0


def _cmd_summarise(args: argparse.Namespace) -> int:
    recovery = _optional_module("xmmm.recovery", "recovery studies")
    print(recovery.summarise_command(args.results, plot=args.plot, table=args.table))
    return 0


# --------------------------------------------------------------------------- parser
def _add_source(parser: argparse.ArgumentParser, *, required: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--preset", metavar="NAME", help="a preset name (see 'xmmm presets')")
    group.add_argument("--config", metavar="FILE", help="a config file (.yaml, .yml or .json)")
    parser.add_argument("--seed", type=int, metavar="N", help="override the config's seed")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``xmmm`` command."""
    parser = _Parser(
        prog="xmmm",
        description="Synthetic marketing mix datasets with exact, known ground truth.",
        epilog="Exit codes: 0 ok, 2 usage or input error, 3 'verify' found a difference, 130 interrupted, "
        "1 unexpected failure (a bug).",
    )
    parser.add_argument("--version", action="version", version=f"xmmm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("presets", help="list the presets with their descriptions")
    p.set_defaults(func=_cmd_presets)

    p = sub.add_parser(
        "generate",
        help="generate a dataset and write it (.nc, .csv or .parquet)",
        description="Generate one dataset from a preset, a config file or (neither given) the default "
        "config, and write it; the format follows the extension of --out.",
    )
    _add_source(p, required=False)
    p.add_argument("--periods", type=int, metavar="N", help="override the number of periods")
    p.add_argument("--regions", type=int, metavar="N", help="override the number of regions (the first names are kept, new regions get default names)")
    p.add_argument("--target", choices=("pymc-marketing", "meridian"),
                   help="move the config inside that library's model family, so its hand-off is exact")
    p.add_argument("--out", required=True, metavar="FILE", help="output file: .nc, .csv or .parquet")
    _add_overwrite(p)
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("describe", help="summarise an xmmm file (.nc, or a study's .nc or .zarr)")
    p.add_argument("file", metavar="FILE", help="an xmmm .nc file or .zarr study store")
    p.set_defaults(func=_cmd_describe)

    p = sub.add_parser(
        "plot",
        help="write every figure of an xmmm file as PNG",
        description="Write every figure of an xmmm dataset as PNG; of a study, one replicate's.",
    )
    p.add_argument("file", metavar="FILE", help="an xmmm .nc file or .zarr study store")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the PNG files (created if missing)")
    p.add_argument("--replicate", type=int, metavar="N", help="the replicate of a study to plot (default 0)")
    p.add_argument("--geos", metavar="NAMES",
                   help="comma-separated geos to plot, or 'all' (default: the first 6; each figure says how many "
                        "are left out)")
    _add_overwrite(p)
    p.set_defaults(func=_cmd_plot)

    p = sub.add_parser(
        "verify",
        help="regenerate a file from its embedded config and compare",
        description="Regenerate a dataset (or every replicate of a study, or a table from its .truth.json "
        "sidecar) from the config the file carries and report whether it is identical, or the first variable "
        f"that differs and by how much. Exit code 0 identical, {EXIT_DIFFERS} differs, 2 not an xmmm file.",
    )
    p.add_argument("file", metavar="FILE", help="an xmmm .nc, .zarr, .csv or .parquet file")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser(
        "simulate",
        help="a simulation study: many replicates, written in chunks",
        description="Generate N replicates of a config (sampled ground truth as the config says) "
        "and write them to PATH chunk by chunk, optionally on a dask.distributed scheduler.",
    )
    _add_source(p, required=True)
    p.add_argument("--periods", type=int, metavar="N", help="override the number of periods")
    p.add_argument("--regions", type=int, metavar="N", help="override the number of regions (the first names are kept, new regions get default names)")
    p.add_argument("--replicates", type=int, required=True, metavar="N", help="number of replicates")
    p.add_argument("--chunk", type=int, metavar="K", help="replicates per chunk")
    p.add_argument("--priors", metavar="FILE",
                   help="YAML/JSON file mapping parameter paths to distributions, e.g. "
                        "'transforms.adstock_alpha: {dist: Beta, alpha: 2, beta: 5}'")
    p.add_argument("--out", required=True, metavar="PATH", help="output store: .nc (NetCDF) or .zarr")
    p.add_argument("--scheduler", metavar="ADDRESS", help="address of a dask.distributed scheduler")
    _add_overwrite(p)
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser(
        "study",
        help="a recovery study: fit a model to N replicates and score it against the truth",
        description="Generate N replicates, fit each with a library, score the posterior against the truth "
        "and append the scores to a results store (a folder of Parquet files); rerunning skips the "
        "replicates already there.",
    )
    _add_source(p, required=True)
    p.add_argument("--replicates", type=int, required=True, metavar="N", help="number of replicates")
    p.add_argument("--fit", required=True, metavar="NAME", help="pymc-marketing or meridian")
    p.add_argument("--out", required=True, metavar="PATH", help="results store, e.g. results.parquet")
    p.add_argument("--draws", type=int, metavar="N", help="draws per chain (default 500)")
    p.add_argument("--tune", type=int, metavar="N", help="tuning steps per chain (default: --draws)")
    p.add_argument("--chains", type=int, metavar="N", help="chains (default 2)")
    p.add_argument("--sampler", choices=("nutpie", "pymc"), help="pymc-marketing's NUTS sampler (default nutpie)")
    p.add_argument("--target", choices=("pymc-marketing", "meridian"), help="hand-off (default: the fit's)")
    p.add_argument("--prob", type=float, default=0.94, metavar="P", help="interval probability (default 0.94)")
    p.add_argument("--priors", metavar="FILE", help="YAML/JSON file of parameter distributions (as for simulate)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="address of a dask.distributed scheduler")
    p.set_defaults(func=_cmd_study)

    p = sub.add_parser("summarise", help="coverage, bias and interval scores of a recovery study's results")
    p.add_argument("results", metavar="PATH", help="a results store written by 'xmmm study'")
    p.add_argument("--plot", metavar="FILE", help="also write the summary figure (PNG)")
    p.add_argument("--table", choices=("by_variable", "by_estimand", "fits"), default="by_variable",
                   help="which table to print (default by_variable)")
    p.set_defaults(func=_cmd_summarise)
    return parser


def _add_overwrite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true", help="replace existing output (refused otherwise)")


# --------------------------------------------------------------------------- entry point
def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"xmmm: warning: {_one_line(str(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``xmmm`` command; return its exit code (0 ok, 1 unexpected failure, 2 usage/input error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as err:
        print(f"{_one_line(str(err))}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    if args.command is None:
        print(
            "xmmm: give a command: presets, generate, describe, plot, simulate, verify, study or summarise "
            "(see 'xmmm --help')",
            file=sys.stderr,
        )
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            return int(args.func(args) or 0)
        except BrokenPipeError:
            # the reader went away (``xmmm describe f.nc | head``): not an error of ours
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return 0
        except UsageError as err:
            print(f"xmmm: error: {_one_line(str(err))}", file=sys.stderr)
            return 2
        except (ConfigError, DataFileError, GenerationError) as err:
            print(f"xmmm: error: {_one_line(str(err))}", file=sys.stderr)
            return 2
        except OSError as err:  # a missing, unreadable or unwritable file, a full disk, a refused connection
            print(f"xmmm: error: {_one_line(_os_message(err))}", file=sys.stderr)
            return 2
        except MemoryError:
            print("xmmm: error: not enough memory for the size asked for; use fewer periods, regions or "
                  "replicates (or --chunk for a study)", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("xmmm: interrupted", file=sys.stderr)
            return 130
        except ImportError as err:
            print(f"xmmm: error: {_one_line(str(err))}", file=sys.stderr)
            return 1
        except Exception as err:  # noqa: BLE001 - the last line of defence of a command
            if os.environ.get("XMMM_DEBUG"):
                traceback.print_exc()
            print(
                f"xmmm: unexpected error: {type(err).__name__}: {_one_line(str(err))} "
                "(hint: this is likely a bug in xmmm; rerun with XMMM_DEBUG=1 for the traceback and report it)",
                file=sys.stderr,
            )
            return 1


def _os_message(err: OSError) -> str:
    if err.filename and err.strerror:
        return f"{err.filename}: {err.strerror.lower()}"
    return str(err) or type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
