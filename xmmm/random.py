"""Seeded, counter-based random streams: one independent stream per series.

Every random series in a dataset (the spend noise of one channel in one geo,
the on/off bursts of that channel, the baseline noise of a geo, a region's
variation factor, ...) draws from its own stream.  A stream is named by a
64-bit *key* derived from the seed and the series' *names* (replicate number,
role, geo name, channel name), never from positions or counters shared with
other series.  Hence:

* the same seed gives bit-identical data on any machine and in any chunking;
* adding, removing or reordering a channel, control or region leaves every
  other series unchanged;
* no two series share a stream, and no global random state is read or written.

The generator is SplitMix64 used as a counter-based generator: draw ``i`` of
the stream with key ``k`` is ``mix64(k + (i + 1) * GAMMA)``, where ``mix64``
is the SplitMix64 output function (Steele, Lea & Flood, 2014).  Because a draw
depends only on ``(key, i)``, all streams are filled in one parallel Numba
loop, with no per-series Python call.
"""

from __future__ import annotations

import functools
import hashlib
import numbers
from collections.abc import Sequence

import numpy as np

from numba import prange

from xmmm.kernels._numba import jit, series_kernel

__all__ = ["stream_key", "stream_keys", "uniforms", "normals"]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_POW_M53 = 1.0 / 9007199254740992.0
_BELOW_ONE = 1.0 - _TWO_POW_M53  # the largest double below 1


def _canonical(part: object) -> str:
    """A name part as it is hashed: ``"str:<text>"`` for any string, ``"int:<n>"`` for any integer.

    Labels are normalised first, so a ``numpy.str_`` channel name or a
    ``numpy.int64`` replicate number names the same stream as the plain
    ``str`` or ``int``.
    """
    if isinstance(part, str):
        return f"str:{str(part)}"
    if isinstance(part, numbers.Integral) and not isinstance(part, (bool, np.bool_)):
        return f"int:{int(part)}"
    return f"{type(part).__name__}:{part}"


@functools.lru_cache(maxsize=65536, typed=True)
def _hash_name(part: object) -> int:
    """Stable 64-bit hash of one name part (independent of PYTHONHASHSEED)."""
    data = _canonical(part).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def stream_key(seed: int, *parts: object) -> np.uint64:
    """Key of the stream named by ``seed`` and ``parts``.

    Parameters
    ----------
    seed : int
        The dataset's seed.
    *parts : object
        Names that identify the stream, e.g. ``("spend_noise", "geo_a", "TV")``.
        Parts are hashed through their ``str``; the same names give the same
        key in every process.

    Returns
    -------
    numpy.uint64
    """
    data = "\x1f".join(_canonical(p) for p in (seed, *parts)).encode()
    return np.uint64(int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little"))


def stream_keys(
    seed: int, role: str, *axes: Sequence[object], replicates: Sequence[int] | None = None
) -> np.ndarray:
    """Keys of a whole grid of streams, one per combination of axis labels.

    Parameters
    ----------
    seed : int
        The dataset's seed.
    role : str
        What the streams are for (``"spend_noise"``, ``"bursts"``, ...).
    *axes : sequence of labels
        One sequence per grid axis, e.g. geo names and channel names.
    replicates : sequence of int, optional
        Replicate numbers of a simulation study.  When given, the result has a
        leading replicate axis; when omitted, the keys are those of replicate 0
        without that axis (a single dataset *is* replicate 0).

    Returns
    -------
    numpy.ndarray of uint64
        Shape ``(len(replicates),) + tuple(len(a) for a in axes)``, or without
        the leading axis.  The key of one cell depends only on the seed, the
        role and that cell's labels, never on the other labels.
    """
    keys = np.full((), stream_key(seed, role), dtype=np.uint64)
    reps = [0] if replicates is None else [int(r) for r in replicates]
    keys = _combine(keys[..., None], np.array([_hash_name(r) for r in reps], dtype=np.uint64))
    for labels in axes:
        hashes = np.array([_hash_name(label) for label in labels], dtype=np.uint64)
        keys = _combine(keys[..., None], hashes)
    if replicates is None:
        keys = keys[0]
    return np.ascontiguousarray(keys)


def _combine(keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Mix label hashes into keys (tiny arrays: NumPy's wrapping uint64 arithmetic)."""
    return _mix64_np(_mix64_np(keys) ^ (hashes + _GAMMA))


def _mix64_np(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def _mix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def _open_unit(bits):
    """A uniform on the open interval (0, 1) from 64 random bits.

    The top 53 bits, shifted half a step so that 0 never occurs; the largest
    value would round to 1.0 and is moved to the largest double below 1.
    """
    u = ((bits >> _S11) + 0.5) * _TWO_POW_M53
    return u if u < 1.0 else _BELOW_ONE


@series_kernel
def _uniform_kernel(keys, n, out):
    for s in prange(keys.size):
        key = keys[s]
        for i in range(n):
            out[s, i] = _open_unit(_mix64(key + np.uint64(i + 1) * _GAMMA))


@series_kernel
def _normal_kernel(keys, n, out):
    two_pi = 2.0 * np.pi
    for s in prange(keys.size):
        key = keys[s]
        for i in range(n):
            b1 = _mix64(key + np.uint64(2 * i + 1) * _GAMMA)
            b2 = _mix64(key + np.uint64(2 * i + 2) * _GAMMA)
            u1 = ((b1 >> _S11) + 0.5) * _TWO_POW_M53
            u2 = ((b2 >> _S11) + 0.5) * _TWO_POW_M53
            out[s, i] = np.sqrt(-2.0 * np.log(u1)) * np.cos(two_pi * u2)


def uniforms(keys: np.ndarray, n: int) -> np.ndarray:
    """``n`` uniform draws on the open interval (0, 1) from each stream.

    Parameters
    ----------
    keys : numpy.ndarray of uint64
        Stream keys, any shape.
    n : int
        Draws per stream.

    Returns
    -------
    numpy.ndarray, shape ``keys.shape + (n,)``

    Examples
    --------
    >>> from xmmm.random import stream_keys, uniforms
    >>> u = uniforms(stream_keys(42, "demo", ["geo_a", "geo_b"]), 5)
    >>> u.shape
    (2, 5)
    """
    flat = np.ascontiguousarray(keys, dtype=np.uint64).ravel()
    out = np.empty((flat.size, n))
    _uniform_kernel(flat, n, out)
    return out.reshape(np.shape(keys) + (n,))


def normals(keys: np.ndarray, n: int) -> np.ndarray:
    """``n`` standard normal draws from each stream (Box-Muller).

    Parameters
    ----------
    keys : numpy.ndarray of uint64
        Stream keys, any shape.
    n : int
        Draws per stream.

    Returns
    -------
    numpy.ndarray, shape ``keys.shape + (n,)``
    """
    flat = np.ascontiguousarray(keys, dtype=np.uint64).ravel()
    out = np.empty((flat.size, n))
    _normal_kernel(flat, n, out)
    return out.reshape(np.shape(keys) + (n,))
