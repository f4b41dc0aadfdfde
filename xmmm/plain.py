"""Dataclasses to plain data and back: how configs are stored in files and Dataset attributes.

Generic over dataclasses: the caller says which fields hold nested
dataclasses (:class:`Schema`).  Plain data is what JSON and YAML hold: dicts
with string keys, lists, numbers, strings, booleans and ``None``; a callable
is stored as ``{"callable": "module:qualname"}`` and imported back.

Errors name the source (a file), the key path and the problem, e.g.
``study.yaml: channels[1] ('TV').base_spend must be >= 0; got -5``.
"""

from __future__ import annotations

import dataclasses
import importlib
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xmmm.errors import ConfigError

__all__ = ["Schema", "to_plain", "from_plain", "set_path", "import_callable"]


@dataclass(frozen=True)
class Schema:
    """Which fields of which dataclass hold other dataclasses.

    Parameters
    ----------
    nested : mapping
        ``(class name, field) -> class`` of fields holding one dataclass.
    lists : mapping
        ``(class name, field) -> class`` of fields holding a list of them.
    callables : tuple of str
        Field names whose plain form ``{"callable": "module:qualname"}`` is imported.
    """

    nested: Mapping[tuple[str, str], type] = field(default_factory=dict)
    lists: Mapping[tuple[str, str], type] = field(default_factory=dict)
    callables: tuple[str, ...] = ()


def to_plain(obj: Any, keep_callables: bool = False) -> Any:
    """Plain-data form of a dataclass (recursively); callables become ``{"callable": ...}``.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Point:
    ...     x: float
    ...     tags: list
    >>> to_plain(Point(1, ["a"]))
    {'x': 1, 'tags': ['a']}
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name), keep_callables) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v, keep_callables) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v, keep_callables) for v in obj]
    if callable(obj):
        if keep_callables:
            return obj
        return {"callable": f"{obj.__module__}:{obj.__qualname__}"}
    if isinstance(obj, numbers.Integral) and not isinstance(obj, bool):
        return int(obj)
    if isinstance(obj, numbers.Real) and not isinstance(obj, bool):
        return float(obj)
    return obj


def from_plain(cls: type, data: Any, schema: Schema, path: str = "", source: str | None = None,
               legacy: Mapping[str, tuple[str, ...]] | None = None) -> Any:
    """Build ``cls`` from its plain-data form.

    Parameters
    ----------
    cls : type
        A dataclass.
    data : mapping
    schema : Schema
    path : str
        Key path of ``data`` in the whole, e.g. ``"channels[0]."``.
    source : str, optional
        Where the data came from (a file name), for messages.
    legacy : mapping, optional
        ``class name -> field names`` accepted and dropped: fields of older
        versions that never had an effect (old files keep loading).

    Raises
    ------
    ConfigError
        An unknown key, a wrong type or a bad value, naming the source, the
        key path and the problem.
    """
    where = f"{source}: " if source else ""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}{path or 'config'} must be a mapping of fields; got {data!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    dropped = set((legacy or {}).get(cls.__name__, ()))
    unknown = sorted(set(data) - names - dropped)
    if unknown:
        raise ConfigError(
            f"{where}unknown key {path + unknown[0]!r} in {cls.__name__}; valid keys: {', '.join(sorted(names))}"
        )
    kwargs = {}
    for key, value in data.items():
        if key in dropped and key not in names:
            continue
        nested = schema.nested.get((cls.__name__, key))
        listed = schema.lists.get((cls.__name__, key))
        if nested is not None and value is not None:
            kwargs[key] = from_plain(nested, value, schema, f"{path}{key}.", source, legacy)
        elif listed is not None and value is not None:
            if not isinstance(value, list):
                raise ConfigError(f"{where}{path}{key} must be a list; got {value!r}")
            kwargs[key] = [
                from_plain(listed, v, schema, f"{path}{key}[{i}].", source, legacy) for i, v in enumerate(value)
            ]
        elif key in schema.callables and isinstance(value, Mapping):
            kwargs[key] = import_callable(value.get("callable"), f"{where}{path}{key}")
        else:
            kwargs[key] = value
    try:
        return cls(**kwargs)
    except ConfigError as err:
        raise ConfigError(where + relabel(str(err), path)) from None
    except TypeError as err:  # a required field is missing
        raise ConfigError(f"{where}{path or cls.__name__}: {err}") from None


def relabel(message: str, path: str) -> str:
    """Name problems by their path in the file: ``channels[0] ('TV').x`` for ``ChannelConfig('TV').x``."""
    if not path:
        return message
    location = path.rstrip(".")
    return re.sub(
        r"(^|- )\w+Config(\('[^']*'\))?\.",
        lambda m: f"{m.group(1)}{location}{' (' + m.group(2)[1:-1] + ')' if m.group(2) else ''}.",
        message,
        flags=re.MULTILINE,
    )


def import_callable(spec: Any, where: str) -> Callable:
    """The function named ``"module:qualname"``."""
    if not isinstance(spec, str) or ":" not in spec:
        raise ConfigError(f"{where} must name a function as 'module:qualname'; got {spec!r}")
    module_name, qualname = spec.split(":", 1)
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise ConfigError(
            f"{where}: cannot import custom pattern function {spec!r}; "
            "define it at module level in an importable module"
        ) from None
    return obj


def set_path(obj: Any, path: list[str], value: Any, full_key: str,
             on_set: Callable[[Any, str, Any], None] | None = None) -> None:
    """Set the field at ``path`` (a list of field names) of nested dataclasses.

    A mapping given for a dataclass-valued field sets that dataclass's fields
    one by one.  ``on_set(obj, name, value)`` runs before each assignment.

    Raises
    ------
    ConfigError
        An unknown field (naming the valid ones).
    """
    name = path[0]
    if isinstance(obj, list):  # channels.0.pattern or channels.TV.pattern: one element of a list of configs
        labels = [getattr(item, "name", None) for item in obj]
        if name.lstrip("-").isdigit() and -len(obj) <= int(name) < len(obj):
            item = obj[int(name)]
        elif name in labels:
            item = obj[labels.index(name)]
        else:
            raise ConfigError(f"unknown override {full_key!r}: {name!r} is neither a position 0..{len(obj) - 1} "
                              f"nor a name of the list ({', '.join(str(n) for n in labels if n is not None)})")
        if len(path) == 1:
            raise ConfigError(f"override {full_key!r} names a whole list element; name one of its fields, "
                              f"e.g. {full_key}.{dataclasses.fields(item)[0].name}")
        set_path(item, path[1:], value, full_key, on_set)
        return
    if not dataclasses.is_dataclass(obj):
        raise ConfigError(f"unknown override {full_key!r}: {name!r} is below a plain value, which has no fields")
    names = [f.name for f in dataclasses.fields(obj)]
    if name not in names:
        where = type(obj).__name__
        raise ConfigError(
            f"unknown override {full_key!r}: {where} has no field {name!r}; valid fields: {', '.join(names)}"
        )
    if len(path) > 1:
        set_path(getattr(obj, name), path[1:], value, full_key, on_set)
        return
    current = getattr(obj, name)
    if dataclasses.is_dataclass(current) and isinstance(value, Mapping):
        for sub_key, sub_value in value.items():
            set_path(current, [sub_key], sub_value, f"{full_key}.{sub_key}", on_set)
        return
    if on_set is not None:
        on_set(obj, name, value)
    setattr(obj, name, value)
