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
