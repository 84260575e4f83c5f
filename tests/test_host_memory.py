"""keep_freed_memory: a large block freed and allocated again, from a worker
thread as XLA's are, must not fault its pages in again (the kernel's own
count of minor page faults is the reference)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasnet_jax import host_memory

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import ctypes, resource, sys, threading
from tasnet_jax.host_memory import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
size = 512 << 20
faults = []

def allocate_touch_free():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)

for _ in range(2):
    worker = threading.Thread(target=allocate_touch_free)
    worker.start()
    worker.join()
print(faults[1])
"""


def _second_call_faults(mode: str) -> int:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(host_memory.ENV, None)
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True,
                          env=env, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc, Linux only")
def test_freed_memory_is_reused_without_page_faults():
    # 512 MB is 131,072 pages of 4 KiB (256 if the kernel backs them with huge pages).
    assert _second_call_faults("default") > 200
    assert _second_call_faults("keep") < 50


@pytest.mark.parametrize("value", [None, "0"])
def test_entry_points_leave_malloc_alone_unless_asked(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(host_memory.ENV, raising=False)
    else:
        monkeypatch.setenv(host_memory.ENV, value)
    assert host_memory.keep_freed_memory_if_asked() is False


@pytest.mark.parametrize("environ, glibc, thp, expected", [
    ({}, (2, 36), "always [madvise] never", "glibc.malloc.hugetlb=1"),
    ({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}, (2, 36), "[always] madvise never",
     "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"),
    ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, (2, 36), "always [madvise] never", None),
    ({host_memory.HUGE_PAGES_ENV: "0"}, (2, 36), "always [madvise] never", None),
    ({}, (2, 34), "always [madvise] never", None),  # the tunable came with glibc 2.35
    ({}, (2, 36), "always madvise [never]", None),
])
def test_huge_pages_are_asked_for_only_where_they_can_be(environ, glibc, thp, expected):
    got = host_memory.huge_pages_environment(environ, glibc=glibc, thp_setting=thp, on_cpu=True)
    assert (got and got["GLIBC_TUNABLES"]) == expected
    if got:
        assert {k: v for k, v in got.items() if k != "GLIBC_TUNABLES"} == {
            k: v for k, v in environ.items() if k != "GLIBC_TUNABLES"}


@pytest.mark.parametrize("platforms, on_cpu", [("cpu", True), ("cpu,cuda", True),
                                               ("cuda", False), ("tpu,cpu", False)])
def test_no_huge_pages_where_jax_is_told_to_run_elsewhere(platforms, on_cpu):
    environ = {"JAX_PLATFORMS": platforms}
    assert host_memory._jax_runs_on_cpu(environ) == on_cpu
    got = host_memory.huge_pages_environment(environ, glibc=(2, 36),
                                             thp_setting="always [madvise] never")
    assert (got is not None) == on_cpu


RESTART = """
import ctypes, sys
print("started", flush=True)
from tasnet_jax.host_memory import restart_with_huge_pages
restart_with_huge_pages()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
block = libc.malloc(64 << 20)
ctypes.memset(block, 1, 64 << 20)
huge = [line for line in open("/proc/self/smaps_rollup") if line.startswith("AnonHugePages")]
print("args", sys.argv[1:], "huge kB", huge[0].split()[1])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc, Linux only")
@pytest.mark.parametrize("asked", ["1", "0"])
def test_the_process_restarts_once_with_its_arguments_and_gets_huge_pages(asked):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TASNET_JAX_HUGE_PAGES=asked)
    env.pop("GLIBC_TUNABLES", None)
    done = subprocess.run([sys.executable, "-c", RESTART, "a b", "c"], capture_output=True,
                          text=True, env=env, check=True)
    lines = done.stdout.splitlines()
    able = host_memory.huge_pages_environment({}) is not None
    restarted = asked == "1" and able
    assert lines[:-1] == ["started"] * (2 if restarted else 1)
    assert lines[-1].startswith("args ['a b', 'c'] huge kB")
    # The kernel's own count: a 64 MiB block touched through malloc sits in 2 MiB pages.
    # (It could fall back to small pages if no 2 MiB page were free; not on a test machine.)
    huge_kb = int(lines[-1].split()[-1])
    if restarted:
        assert huge_kb >= 32 << 10
    elif "[always]" not in _thp_setting():  # with "always" every block gets them anyway
        assert huge_kb < 32 << 10


def _thp_setting() -> str:
    try:
        return host_memory.THP_SETTING.read_text()
    except OSError:
        return ""


def test_glibc_version_agrees_with_the_platform_module():
    import platform

    library, version = platform.libc_ver()
    expected = tuple(int(p) for p in version.split(".")[:2]) if library == "glibc" else None
    assert host_memory._glibc_version() == expected
