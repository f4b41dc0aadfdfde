"""Config files: configs and study priors in YAML or JSON.

* **Configs** (:func:`load_config`, :func:`save_config`): YAML (``.yaml``,
  ``.yml``) or JSON (``.json``) holding :meth:`MMMDataConfig.to_dict` output.
  :func:`load_priors` reads a study's priors from the same kinds of file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xmmm.errors import ConfigError
from xmmm.io.atomic import _atomic_write, _one_line, _target

if TYPE_CHECKING:  # pragma: no cover
    from xmmm.config import MMMDataConfig

__all__ = ["load_config", "load_priors", "save_config", "CONFIG_SUFFIXES"]

#: File name endings understood by :func:`load_config` / :func:`save_config`.
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


def _yaml_loader():
    import yaml

    class _Loader(yaml.SafeLoader):
        """SafeLoader that leaves dates as strings (``start_date: 2020-01-01`` stays text)."""

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _Loader


def _config_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in CONFIG_SUFFIXES:
        raise ConfigError(
            f"{path}: unknown config file type {suffix or '(no extension)'!r}; use .yaml, .yml or .json"
        )
    return "json" if suffix == ".json" else "yaml"


def load_config(path: str | PathLike) -> MMMDataConfig:
    """Read a config from a YAML (``.yaml``/``.yml``) or JSON (``.json``) file.

    The file holds the fields of :class:`~xmmm.config.MMMDataConfig` as
    written by :func:`save_config` (or :meth:`MMMDataConfig.to_dict`); fields
    left out take their defaults.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    MMMDataConfig

    Raises
    ------
    FileNotFoundError
        No such file.
    ConfigError
        A syntax error (naming the file, line and column), an unknown key, a
        wrong type or a bad value (naming the file and the key path, e.g.
        ``channels[1].base_spend``).

    Examples
    --------
    >>> import xmmm
    >>> xmmm.save_config(xmmm.DEFAULT_CONFIG, tmp_path / "config.yaml")   # doctest: +SKIP
    >>> xmmm.load_config(tmp_path / "config.yaml") == xmmm.DEFAULT_CONFIG  # doctest: +SKIP
    True
    """
    from xmmm.config import MMMDataConfig

    source, data = _read_mapping(path, "config fields (n_periods, channels, ...)")
    return MMMDataConfig.from_dict(data, source=str(source))


def load_priors(path: str | PathLike) -> dict:
    """Read the priors of a simulation study from a YAML or JSON file.

    The file maps parameter paths to distributions in the dict form, e.g.
    ``transforms.adstock_alpha: {dist: Beta, alpha: 2, beta: 5}``; see
    :func:`xmmm.simulate`.  The paths and distributions are checked when the
    study starts.

    Raises
    ------
    FileNotFoundError
        No such file.
    ConfigError
        A syntax error (naming the file, line and column) or a file that is not a mapping.
    """
    return dict(_read_mapping(path, "parameter paths and distributions")[1])


def _read_mapping(path: str | PathLike, what: str) -> tuple[Path, Mapping]:
    """The mapping held by a YAML or JSON file, with errors that name the file."""
    source = Path(path).expanduser()
    kind = _config_format(source)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not a text file (it is not UTF-8)") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a folder, not a config file") from None
    data = _parse_json(text, source) if kind == "json" else _parse_yaml(text, source)
    if data is None:
        raise ConfigError(f"{source}: the file is empty; it must hold a mapping of {what}")
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the file must hold a mapping of {what}; got a {type(data).__name__}")
    return source, data


def _parse_json(text: str, source: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{source}: line {err.lineno}, column {err.colno}: invalid JSON: {err.msg}") from None


def _parse_yaml(text: str, source: Path) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or _one_line(err)
        context = getattr(err, "context", None)
        detail = f"{context} {problem}" if context else problem
        raise ConfigError(f"{source}: {where}invalid YAML: {detail}") from None


def save_config(config: MMMDataConfig, path: str | PathLike) -> None:
    """Write a config to a YAML (``.yaml``/``.yml``) or JSON (``.json``) file, atomically.

    :func:`load_config` reads it back equal.  A custom pattern function is
    stored by its import name (``module:qualname``), so it must be defined at
    module level in an importable module to be read back.

    Raises
    ------
    ConfigError
        ``config`` is not an :class:`~xmmm.config.MMMDataConfig`, or the file
        extension is not one of ``.yaml``, ``.yml``, ``.json``.
    """
    from xmmm.config import MMMDataConfig

    if not isinstance(config, MMMDataConfig):
        raise ConfigError(f"save_config takes an MMMDataConfig; got {type(config).__name__}")
    target = _target(path)
    kind = _config_format(target)
    data = config.to_dict()
    if kind == "json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    _atomic_write([target], lambda temp: temp.write_text(text, encoding="utf-8"))
