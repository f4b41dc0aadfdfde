"""Temporary files and atomic writes: a file is either written whole or not at all.

**Writes are atomic.**  The content goes to a hidden temporary file in the
target's folder, named ``.<target name>.xmmm-<host>-<pid>-<random>.tmp``, is
flushed to disk and only then replaces the target (:func:`os.replace`; a Zarr
store, a folder, is moved aside first).  If anything fails, or the write is
interrupted, the temporary file is removed and an existing target is left as it
was.  A run killed outright (``kill -9``) cannot clean up: the next write to the
same target removes such leftovers of processes that no longer run (only names
of exactly that pattern, never other files).  The Python functions replace an
existing target, as xarray does; the ``xmmm`` command refuses unless given
``--overwrite``.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path

__all__ = ["remove_stale_temps"]


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _temp_path(target: Path, ending: str = "tmp") -> Path:
    """``.<name>.xmmm-<host>-<pid>-<random>.<ending>`` next to ``target``: ours, and whose."""
    return target.with_name(f".{target.name}.xmmm-{_host_tag()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.{ending}")


def _temp_pattern(target: Path) -> re.Pattern:
    return re.compile(rf"\.{re.escape(target.name)}\.xmmm-(?P<host>[0-9a-f]{{8}})-(?P<pid>\d+)-[0-9a-f]{{8}}\.(tmp|old)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


#: leftovers written from another machine (a shared disk) are removed once they are this old
_FOREIGN_STALE_SECONDS = 24 * 3600


def remove_stale_temps(path: str | PathLike) -> list[Path]:
    """Remove the temporary files of earlier, killed writes to ``path``; return what was removed.

    Only names of xmmm's own pattern (``.<name>.xmmm-<host>-<pid>-<random>.tmp``
    or ``.old``) are considered, and only those of a process that no longer runs
    on this machine (or, written from another machine, older than a day): a
    write still running elsewhere keeps its file.  Every write calls this first.

    Examples
    --------
    >>> remove_stale_temps(tmp_path / "sales.nc")                 # doctest: +SKIP
    []
    """
    target = Path(path).expanduser()
    pattern = _temp_pattern(target)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    host, now = _host_tag(), time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        if match["host"] == host:
            if int(match["pid"]) == os.getpid() or _alive(int(match["pid"])):
                continue
        else:
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime < _FOREIGN_STALE_SECONDS:
                    continue
        _remove(Path(entry.path))
        removed.append(Path(entry.path))
    return removed


def _remove(path: Path, *, patience: float = 0.0) -> None:
    """Remove a file or a folder; with ``patience`` (seconds), until it stays gone for a moment.

    Zarr writes from a thread of its own: after an interrupt, its last writes
    can land in a folder just removed and create it again.
    """
    deadline = time.monotonic() + patience
    gone_since = None
    while True:
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists() or path.is_symlink():
                path.unlink()
        now = time.monotonic()
        if path.exists() or path.is_symlink():
            gone_since = None
        elif gone_since is None:
            gone_since = now
        if now >= deadline or (gone_since is not None and now - gone_since >= min(0.3, patience)):
            if not (path.exists() or path.is_symlink()) or now >= deadline:
                return
        time.sleep(0.05)


#: temporary outputs of writes that were aborted: removed once more when the interpreter exits
_ABORTED: set[Path] = set()


@atexit.register
def _remove_aborted() -> None:
    for path in list(_ABORTED):
        _remove(path)


def _named(err: BaseException, temp: Path, target: Path) -> BaseException:
    """The same error, naming the target instead of the hidden temporary file."""
    if isinstance(err, OSError) and err.errno is not None and err.strerror:
        return type(err)(err.errno, err.strerror, str(target))
    text = str(err).replace(str(temp), str(target)).replace(temp.name, target.name)
    try:
        return type(err)(f"{target}: {text}" if str(target) not in text else text)
    except Exception:  # noqa: BLE001 - an exception type that takes other arguments
        return err


def _atomic_write(targets: Sequence[Path], write: Callable[..., None]) -> None:
    """Write several files all-or-nothing: ``write(*temp_paths)`` then replace each target.

    The temporary files live in each target's folder so that :func:`os.replace`
    is a rename on one file system.  They are fsynced before the rename and
    removed if anything fails (an interrupt included), so an existing target is
    never half-written; an error names the target, not the temporary file.
    """
    temps: list[Path] = []
    try:
        for target in targets:
            remove_stale_temps(target)
            temps.append(_temp_path(target))  # noted before it exists: an interrupt cannot leak it
            fd = os.open(temps[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        write(*temps)
        for temp, target in zip(temps, targets, strict=True):
            _fsync(temp)
            _set_mode(temp, target)
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
        for folder in {t.parent for t in targets}:
            _fsync_dir(folder)
    except BaseException as err:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        if isinstance(err, (OSError, RuntimeError)) and temps:
            failed = next((t for t in temps if str(t) in str(err) or t.name in str(err)), temps[0])
            named = _named(err, failed, targets[temps.index(failed)])
            if named is not err:
                raise named from None
        raise


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    # makes the rename itself durable; not possible on every platform
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _set_mode(temp: Path, target: Path) -> None:
    """Give the new file the target's permissions, or the usual ones (temporary files are 0600)."""
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with contextlib.suppress(OSError):
        os.chmod(temp, mode)


def _target(path: str | PathLike) -> Path:
    target = Path(path).expanduser()
    if not target.parent.is_dir():
        raise FileNotFoundError(f"{target}: the folder {target.parent} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"{target}: is a folder, not a file name")
    return target


def _one_line(err: BaseException) -> str:
    """The first line of an error's message, for the messages that name a file (read or written)."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
