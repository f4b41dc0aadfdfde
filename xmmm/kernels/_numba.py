"""The Numba options of every xmmm kernel, and when a kernel runs on several threads.

Two decorators:

- :func:`jit` for small per-series helpers (weights, one row), compiled in
  ``nopython`` mode on first call and cached on disk.
- :func:`series_kernel` for the drivers that loop over a stack of series with
  ``numba.prange``.  Each has a serial and a parallel version, both cached on
  disk; :data:`POLICY` picks one per call.

Nothing is compiled when this module is imported: ``numba.njit`` without a
signature compiles lazily, and each version is only built when first needed.
``fastmath`` stays off so the kernels agree with pymc-marketing to rounding.
``error_model="numpy"`` makes a division by zero give ``inf``/``nan`` (as NumPy
and pytensor do) instead of raising inside a loop.

Threading policy
----------------
Every series is computed on its own, so the serial and the parallel version
give the same bits; the choice only changes the time.  On an idle machine
the parallel version of a large stack is faster; on a busy one it can be many
times slower than serial, because the call waits for its slowest thread and a
thread that the operating system has parked on a busy core holds everybody
up (measured on two shared cores: adstock of 1000 x 520 series, minimum
0.46 ms in parallel, median 14 ms; serial median 1.2 ms).  Hence
:class:`ThreadPolicy`, in ``"auto"`` mode (the default):

- stacks with fewer than :data:`PARALLEL_MIN_SIZE` output elements, and calls
  from any thread but the main one (a dask or thread-pool worker, which
  already runs chunks in parallel; Numba's threading layers must not be
  entered from two threads at once), always run serially;
- so do calls expected to take less than :attr:`ThreadPolicy.min_seconds`
  (1 ms) on one thread: they have little to win and, when a thread is
  parked, a lot to lose;
- otherwise each kernel keeps the time per element of its last few serial
  and parallel calls and runs in parallel only while the median parallel
  time beats the median serial time by :attr:`ThreadPolicy.margin`; the
  losing version is tried again now and then (after 4, 8, 16, ... up to
  :attr:`ThreadPolicy.max_interval` calls) so that the choice follows the
  machine's load.

So under a concurrent load a kernel falls back to serial after a probe or
two, and on an idle machine it keeps its parallel speed-up.  The environment
variable ``XMMM_PARALLEL`` (``auto``, ``serial`` or ``parallel``) sets the mode
at import; :func:`set_parallel_mode` changes it at run time.
"""

from __future__ import annotations

import functools
import os
import statistics
import threading
import time
import types
from collections import deque
from collections.abc import Callable

import numba

__all__ = [
    "MODES",
    "OPTIONS",
    "PARALLEL_MIN_SIZE",
    "POLICY",
    "ThreadPolicy",
    "jit",
    "series_kernel",
    "set_parallel_mode",
]

OPTIONS: dict[str, object] = {"cache": True, "nogil": True, "error_model": "numpy"}

#: Outputs with fewer elements than this always run on one thread.
PARALLEL_MIN_SIZE = 100_000

#: The modes of :class:`ThreadPolicy`.
MODES = ("auto", "serial", "parallel")


def jit(func: Callable) -> Callable:
    """Compile ``func`` lazily with xmmm's Numba options (a serial helper)."""
    return numba.njit(**OPTIONS)(func)


class _Timings:
    """Recent seconds per output element of one kernel's two versions."""

    def __init__(self, window: int) -> None:
        self.serial: deque[float] = deque(maxlen=window)
        self.parallel: deque[float] = deque(maxlen=window)
        self.interval = 4  # calls before the losing version is tried again
        self.countdown = 0

    def winner(self, margin: float) -> bool:
        """True when the parallel version is the faster one (by ``margin``)."""
        return statistics.median(self.parallel) * margin < statistics.median(self.serial)


class ThreadPolicy:
    """Chooses the serial or the parallel version of each call of a kernel.

    Parameters
    ----------
    mode : {"auto", "serial", "parallel"}
        ``"auto"`` decides from measured times (see the module notes);
        ``"serial"`` and ``"parallel"`` force a version (calls off the main
        thread and small stacks stay serial in every mode).
    min_size : int
        Outputs smaller than this run serially.
    window : int
        How many recent calls of each version the medians are taken over.
    margin : float
        How much faster the parallel median must be to be chosen.
    min_seconds : float
        Calls expected to take less than this serially are not run in parallel.
    max_interval : int
        The longest wait, in calls, before the losing version is tried again.

    Examples
    --------
    >>> policy = ThreadPolicy(mode="serial")
    >>> policy.use_parallel("a kernel", 10**6)
    False
    """

    def __init__(
        self,
        mode: str = "auto",
        *,
        min_size: int = PARALLEL_MIN_SIZE,
        window: int = 5,
        margin: float = 1.15,
        min_seconds: float = 1e-3,
        max_interval: int = 128,
    ) -> None:
        self.mode = _check_mode(mode)
        self.min_size = min_size
        self.window = window
        self.margin = margin
        self.min_seconds = min_seconds
        self.max_interval = max_interval
        self._timings: dict[object, _Timings] = {}

    def measures(self, size: int) -> bool:
        """Whether a call of this size is timed: ``auto`` mode, a large stack, the main thread."""
        return (
            self.mode == "auto"
            and size >= self.min_size
            and threading.current_thread() is threading.main_thread()
        )

    def use_parallel(self, key: object, size: int) -> bool:
        """Whether a call of kernel ``key`` with ``size`` output elements runs in parallel."""
        if size < self.min_size or threading.current_thread() is not threading.main_thread():
            return False
        if self.mode != "auto":
            return self.mode == "parallel"
        t = self._timings.get(key)
        if t is None or not t.serial:
            return False
        if statistics.median(t.serial) * size < self.min_seconds:
            return False  # a short call has little to win and, on a busy machine, much to lose
        if not t.parallel:
            return True
        faster = t.winner(self.margin)
        if t.countdown > 0:
            t.countdown -= 1
            return faster
        return not faster  # probe the losing version

    def record(self, key: object, parallel: bool, seconds: float, size: int) -> None:
        """Note the time of one call that :meth:`use_parallel` chose."""
        t = self._timings.setdefault(key, _Timings(self.window))
        before = t.winner(self.margin) if t.serial and t.parallel else None
        probed, other = (t.parallel, t.serial) if parallel else (t.serial, t.parallel)
        per_element = seconds / size
        probed.append(per_element)
        if not other:
            return
        if before is None:  # both versions measured for the first time
            t.countdown = t.interval
        elif t.countdown == 0 and parallel != before:
            # a probe of the losing version: if it alone beats the winner, the machine has
            # changed and the older times of the probed version are stale
            best = statistics.median(other)
            if (per_element * self.margin < best) if parallel else (best * self.margin >= per_element):
                probed.clear()
                probed.append(per_element)
            lost = t.winner(self.margin) == before
            # if it lost again, wait longer for the next probe
            t.interval = min(2 * t.interval, self.max_interval) if lost else 4
            t.countdown = t.interval

    def reset(self) -> None:
        """Forget every measured time."""
        self._timings.clear()


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"parallel mode must be one of {', '.join(MODES)}; got {mode!r}")
    return mode


#: The policy every :class:`series_kernel` asks.
POLICY = ThreadPolicy(os.environ.get("XMMM_PARALLEL", "auto").strip().lower() or "auto")


def set_parallel_mode(mode: str) -> str:
    """Set :data:`POLICY`'s mode and return the previous one.

    Parameters
    ----------
    mode : {"auto", "serial", "parallel"}

    Examples
    --------
    >>> previous = set_parallel_mode("serial")
    >>> set_parallel_mode(previous)
    'serial'
    """
    previous, POLICY.mode = POLICY.mode, _check_mode(mode)
    return previous


class series_kernel:  # noqa: N801 - used as a decorator
    """Decorator for a driver looping over series with ``numba.prange``.

    The wrapped function writes into its last argument and returns nothing;
    :data:`POLICY` decides, call by call, whether its serial or its parallel
    version runs.

    Parameters
    ----------
    func : callable
        The Python function, a loop ``for i in numba.prange(n_series)``.
    """

    def __init__(self, func: Callable) -> None:
        self.py_func = func
        functools.update_wrapper(self, func)

    @functools.cached_property
    def parallel(self) -> Callable:
        """The parallel, disk-cached dispatcher."""
        return numba.njit(parallel=True, **OPTIONS)(self.py_func)

    @functools.cached_property
    def serial(self) -> Callable:
        """The serial, disk-cached dispatcher.

        Numba names a function's cache files after its qualified name, so the
        serial version is compiled from a clone renamed ``<name>_serial``;
        otherwise the two versions would overwrite each other's cache.
        """
        func = self.py_func
        clone = types.FunctionType(
            func.__code__, func.__globals__, func.__name__ + "_serial", func.__defaults__, func.__closure__
        )
        clone.__qualname__ = func.__qualname__ + "_serial"
        return numba.njit(parallel=False, **OPTIONS)(clone)

    def __call__(self, *args) -> None:
        size = args[-1].size
        parallel = POLICY.use_parallel(self, size)
        version = self.parallel if parallel else self.serial
        if not POLICY.measures(size):
            version(*args)
            return
        compiled = len(version.signatures)
        start = time.perf_counter()
        version(*args)
        seconds = time.perf_counter() - start
        if len(version.signatures) == compiled:  # a call that compiled (or loaded the cache) is no timing
            POLICY.record(self, parallel, seconds, size)
