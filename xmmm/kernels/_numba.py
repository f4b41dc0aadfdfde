"""The Numba options of every xmmm kernel, in one place.

Two decorators:

- :func:`jit` for small per-series helpers (weights, one row), compiled in
  ``nopython`` mode on first call and cached on disk.
- :func:`series_kernel` for the drivers that loop over a stack of series with
  ``numba.prange``.  The parallel version runs for large stacks on the main
  thread.  Small stacks (where starting the thread pool costs more than the
  work) and calls from any other thread (a dask or thread-pool worker, which
  already runs chunks in parallel) use a serial version, because Numba's
  default ``workqueue`` threading layer must not be entered from two threads
  at once.  Both versions are cached on disk.

Nothing is compiled when this module is imported: ``numba.njit`` without a
signature compiles lazily, and the serial fallback is only built when needed.
``fastmath`` stays off so the kernels agree with pymc-marketing to rounding.
``error_model="numpy"`` makes a division by zero give ``inf``/``nan`` (as NumPy
and pytensor do) instead of raising inside a loop.
"""

from __future__ import annotations

import functools
import threading
import types
from collections.abc import Callable

import numba

__all__ = ["OPTIONS", "PARALLEL_MIN_SIZE", "jit", "series_kernel"]

OPTIONS: dict[str, object] = {"cache": True, "nogil": True, "error_model": "numpy"}

#: Outputs with fewer elements than this run on one thread.
PARALLEL_MIN_SIZE = 100_000


def jit(func: Callable) -> Callable:
    """Compile ``func`` lazily with xmmm's Numba options (a serial helper)."""
    return numba.njit(**OPTIONS)(func)


class series_kernel:  # noqa: N801 - used as a decorator
    """Decorator for a driver looping over series with ``numba.prange``.

    The wrapped function writes into its last argument and returns nothing.

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
        # Small stacks run serially: starting the thread pool costs more than
        # the work.  Worker threads (dask, thread pools) always run serially.
        out = args[-1]
        if out.size >= PARALLEL_MIN_SIZE and threading.current_thread() is threading.main_thread():
            return self.parallel(*args)
        return self.serial(*args)
