"""The Numba options of every xmmm kernel, in one place.

Two decorators:

- :func:`jit` for small per-series helpers (weights, one row), compiled in
  ``nopython`` mode on first call and cached on disk.
- :func:`series_kernel` for the drivers that loop over a stack of series with
  ``numba.prange``.  The parallel version runs on the main thread; called from
  any other thread (a dask or thread-pool worker, which already runs chunks in
  parallel) a serial version is used instead, because Numba's default
  ``workqueue`` threading layer must not be entered from two threads at once.

Nothing is compiled when this module is imported: ``numba.njit`` without a
signature compiles lazily, and the serial fallback is only built when needed.
``fastmath`` stays off so the kernels agree with pymc-marketing to rounding.
``error_model="numpy"`` makes a division by zero give ``inf``/``nan`` (as NumPy
and pytensor do) instead of raising inside a loop.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numba

__all__ = ["OPTIONS", "jit", "series_kernel"]

OPTIONS: dict[str, object] = {"cache": True, "nogil": True, "error_model": "numpy"}


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
        """The serial dispatcher for worker threads (not cached on disk).

        It shares its bytecode with :attr:`parallel`, and Numba's cache index
        does not tell the two apart, so only the parallel one is cached.
        """
        options = {**OPTIONS, "cache": False}
        return numba.njit(parallel=False, **options)(self.py_func)

    def __call__(self, *args) -> None:
        if threading.current_thread() is threading.main_thread():
            return self.parallel(*args)
        return self.serial(*args)
