"""Keep freed host memory in the process, so XLA:CPU does not page-fault its way
through every step.

XLA:CPU allocates one temporary buffer per call of a compiled function (2.3 GB
for the small model's training step, 17 GB for the paper model's) and frees it
when the call ends. glibc's malloc serves any block over 32 MB with a fresh
mmap and unmaps it on free, so the next call touches every page for the first
time again: the kernel zeroes each 4 KiB page on a fault, 560,000 faults per
small training step; without them the step is 36% faster on a 2-core machine
(benchmarks/RESULTS.md). tcmalloc or jemalloc keep the memory, but choosing
them takes LD_PRELOAD before the process starts. glibc can be told the same
while running, through mallopt:

    M_ARENA_MAX=1        XLA's worker threads allocate from the main heap (a
                         thread arena cannot grow past 64 MB and would mmap)
    M_MMAP_MAX=0         large blocks come from that heap, not from mmap
    M_TRIM_THRESHOLD=-1  (read as the largest size_t) freed memory is never
                         handed back to the kernel, so the next call reuses it

The price is memory. The heap keeps its peak for the life of the process, and
it fragments: when small blocks land in the hole a freed buffer left, the next
call's buffer no longer fits there and the heap grows by another one; a long
paper-model training loop on a 24 GB machine was stopped by the OOM killer.
So it is opt-in: the training and CLI entry points apply it when
TASNET_JAX_KEEP_HOST_MEMORY=1, for models whose buffers fit twice or three
times in memory; tcmalloc (LD_PRELOAD) is the other way to the same speed.
"""
import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8
ENV = "TASNET_JAX_KEEP_HOST_MEMORY"


def keep_freed_memory_if_asked() -> bool:
    """keep_freed_memory() when TASNET_JAX_KEEP_HOST_MEMORY=1."""
    return os.environ.get(ENV) == "1" and keep_freed_memory()


def keep_freed_memory() -> bool:
    """Tune glibc malloc as above; True if it was done. Call it before the
    first JAX computation: threads that already hold an arena keep it.
    Without glibc (macOS, musl) this does nothing."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        if not hasattr(libc, "gnu_get_libc_version"):  # mallopt's numbers are glibc's
            return False
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all([mallopt(_M_ARENA_MAX, 1), mallopt(_M_MMAP_MAX, 0),
                mallopt(_M_TRIM_THRESHOLD, -1)])
