"""Compiled kernels: the model's hottest loops, compiled by numba (Lam, Pitrou & Seibert 2015,
"Numba: a LLVM-based Python JIT compiler", LLVM-HPC'15).

A kernel is THE implementation of its rule or utility (the Mesa agents call it; no Python copy of it
is kept beside it). It is compiled on its first call in a process and the machine code cached on disk
(numba's cache: ``__pycache__`` beside the source, else the user's cache directory, or
``NUMBA_CACHE_DIR``), so later processes load it in milliseconds. Where no cache directory can be
written (a read-only install, no home directory), each process compiles its kernels instead.

A kernel reads nothing from another module's globals: numba freezes the globals a kernel reads into
its machine code, and the disk cache is invalidated only when the kernel's own source file changes,
so a table defined elsewhere (the actions table, the channels) would stay as it was when the kernel
was first compiled. Such data is passed as arguments (tests/test_compiled.py checks every kernel).

Kernels use IEEE arithmetic only (numba's default: no fast-math, no fused multiply-add; and numpy's
error model, so that ``0 / 0`` is NaN as in numpy, not a ``ZeroDivisionError``), so they give the
same bits as the numpy expressions they replaced. ``exp`` stays in numpy, whose results can differ
from numba's in the last bit (1 value in 2,000,000 on [-1, 0] on this machine). ``log`` is compiled
in one kernel, the choice's Gumbel noise (:func:`sim.philox.gumbels`, the only implementation of
it): numba calls the C library's ``log``, as numpy does on CPUs without AVX-512 (the two agreed on
all of 150,000,000 values over the whole float range on such a machine); with AVX-512 numpy uses its
own vectorised ``log``, which differs in the last bit for some values (tests/test_philox.py checks
the kernel against Python's ``math.log``, the C library's, bit for bit). The choice ranks its keys
on numpy's ``log`` first, ~6x faster, and uses this kernel where two deciding keys lie within what
that last bit could change (:func:`sim.decision.choose`), so its picks are the C library's noise's.
numba would use Intel's SVML instead where the ``icc_rt`` package is installed.

numba is imported here, and this module only by code that runs a model, so that ``hedgesim --help``
and the scenario tools do not pay for it (~0.5 s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from numba import njit

F = TypeVar("F", bound=Callable)

_NO_CACHE = "no locator available"  # numba's RuntimeError when no cache directory is writable


def kernel(func: F) -> F:
    """``numba.njit(cache=True, error_model="numpy")``, or without the disk cache where no cache
    directory is writable."""
    return _compiled(func)


def inlined_kernel(func: F) -> F:
    """A small kernel that the kernels of its own file take in whole where they call it (numba's
    ``inline="always"``): a loop over replicates that calls it is then one loop the compiler can
    vectorise (the Philox rounds, :func:`sim.philox.words`: ~8x faster with AVX-512). Only kernels
    of its own file may call it, as for every kernel: numba's disk cache of a caller watches the
    caller's file only, so it would keep an inlined copy from another file after that file changed."""
    return _compiled(func, inline="always")


def _compiled(func: F, **options: str) -> F:
    try:
        return njit(cache=True, error_model="numpy", **options)(func)
    except RuntimeError as err:
        if _NO_CACHE not in str(err):
            raise
        return njit(error_model="numpy", **options)(func)
