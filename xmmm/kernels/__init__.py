"""Numba kernels for adstock and saturation over stacks of series.

Plain NumPy in, NumPy out: ``x`` has shape ``(n_series, n_time)`` (time last,
C-contiguous ``float64``) and every numeric parameter is a 1-D array with one
value per series.  No labels, shapes juggling, validation or randomness live
here; :mod:`xmmm.transforms` is the checked, labelled entry point.  Kernels are
compiled on first call and cached on disk; whether a large stack runs on
several threads is decided call by call (see :mod:`xmmm.kernels._numba` and
:func:`set_parallel_mode`).  :mod:`xmmm.kernels.effects` computes a stack's
adstock, saturation, contributions and mROAS pass in one kernel call.
"""

from xmmm.kernels import adstock, saturation
from xmmm.kernels._numba import set_parallel_mode

__all__ = ["adstock", "saturation", "set_parallel_mode"]
