"""How glibc's malloc serves XLA:CPU's per-call buffers, so that a step does not
page-fault its way through them: huge pages by default, freed memory kept when asked.

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

What the entry points do by default costs no memory: they ask glibc (2.35 and
later) for transparent huge pages on its mmapped blocks, the tunable
glibc.malloc.hugetlb=1. The buffer is still mapped afresh every call, but in
2 MiB pages: 512 times fewer faults (the small training step 1.32-1.36 s ->
0.97-1.09 s on 2 cores in benchmarks/versus_asteroid.py, RESULTS.md). Tunables are read when a process starts, so
the entry points restart themselves once with GLIBC_TUNABLES set
(`restart_with_huge_pages`), which costs the experiments a second import of
TensorFlow and JAX (5-6 s); TASNET_JAX_HUGE_PAGES=0 turns that off. It does
nothing where the kernel's transparent huge pages are off ("never"), nor
where JAX will run on an accelerator (JAX_PLATFORMS names another platform
first, or a GPU or TPU plugin is installed): there the buffers are on the
device.
"""
import ctypes
import ctypes.util
import importlib.util
import os
import sys
from pathlib import Path

_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8
ENV = "TASNET_JAX_KEEP_HOST_MEMORY"
HUGE_PAGES_ENV = "TASNET_JAX_HUGE_PAGES"
HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1"
THP_SETTING = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def _glibc_version() -> tuple[int, ...] | None:
    """(2, 36) for glibc 2.36; None for another C library (macOS, musl)."""
    try:
        name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
    except (AttributeError, ValueError, OSError):
        return None
    return tuple(int(part) for part in version.split(".")[:2]) if name == "glibc" else None


def _jax_runs_on_cpu(environ) -> bool:
    """Whether JAX's default device will be the CPU, without importing JAX: its
    accelerator plugins live in the jax_plugins namespace package, or libtpu."""
    platforms = environ.get("JAX_PLATFORMS", "").strip()
    if platforms:
        return platforms.split(",")[0].strip() == "cpu"
    return not (importlib.util.find_spec("jax_plugins") or importlib.util.find_spec("libtpu"))


def huge_pages_environment(environ, glibc=None, thp_setting=None, on_cpu=None) -> dict | None:
    """`environ` with glibc's huge-page tunable added, or None when there is
    nothing to do: turned off, already set, no glibc 2.35+, the kernel's
    transparent huge pages off, or JAX headed for an accelerator."""
    if environ.get(HUGE_PAGES_ENV) == "0":
        return None
    if not (_jax_runs_on_cpu(environ) if on_cpu is None else on_cpu):
        return None
    tunables = environ.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.hugetlb" in tunables:
        return None
    glibc = _glibc_version() if glibc is None else glibc
    if glibc is None or glibc < (2, 35):
        return None
    if thp_setting is None:
        try:
            thp_setting = THP_SETTING.read_text()
        except OSError:
            return None
    if "[never]" in thp_setting:
        return None
    return dict(environ, GLIBC_TUNABLES=":".join(filter(None, [tunables, HUGE_PAGES_TUNABLE])))


def restart_with_huge_pages() -> None:
    """Replace this process by the same command with huge pages asked for, as
    above; returns when there is nothing to do (or the restart itself fails:
    then the process goes on as it is). For entry points only, as early as
    they can: whatever ran before it runs twice."""
    environ = huge_pages_environment(os.environ) if sys.platform.startswith("linux") else None
    if environ is not None and sys.executable:
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environ)
        except OSError:
            pass


def keep_freed_memory_if_asked() -> bool:
    """keep_freed_memory() when TASNET_JAX_KEEP_HOST_MEMORY=1."""
    return os.environ.get(ENV) == "1" and keep_freed_memory()


def keep_freed_memory() -> bool:
    """Tune glibc malloc as above; True if it was done. Call it before the
    first JAX computation: threads that already hold an arena keep it.
    Without glibc (macOS, musl) this does nothing."""
    if _glibc_version() is None:  # mallopt's numbers are glibc's
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all([mallopt(_M_ARENA_MAX, 1), mallopt(_M_MMAP_MAX, 0),
                mallopt(_M_TRIM_THRESHOLD, -1)])
