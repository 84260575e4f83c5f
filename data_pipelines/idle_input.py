"""Training batches from an input pipeline that runs on the CPU time training leaves.

On a CPU the training step and tf.data's threads share the cores. XLA splits
each op of the step between its worker threads and the op ends when the last
of them does, so a pipeline thread that takes a core from one worker for a
millisecond stalls the whole op. On the 2-core machine the quickstart's steps
ran about 10% slower with its augmentations on, though they take 3-4% of the
cores and the model waited for input 1-2% of the time: contention, not a
pipeline falling behind. Nice 19 did not remove it. Linux's SCHED_IDLE
policy, under which a thread runs only when nothing else wants the core,
does most of it: the pipeline fills its buffers in the gaps the step leaves
(benchmarks/input_priority.py; RESULTS.md, session 17).

The pipeline is made, and its first batch taken (which fills its buffers), in
the caller's thread at normal priority; then every thread that appeared
meanwhile, tf.data's, is put at SCHED_IDLE (lowering a thread's priority needs
no privileges), and so are the threads those start later. The others (the
main thread, XLA's, the fetcher below) keep normal priority.

An idle pipeline gets nothing of a core that another program keeps busy, and
an unprivileged thread cannot leave SCHED_IDLE. So a fetcher thread at normal
priority hands the batches over through a queue, and the consumer watches how
long it waits: when one batch takes longer than `patience_s`, or waiting takes
more than `max_wait_share` of the time in two windows of `window_s` seconds
in a row, the pipeline is rebuilt at normal priority from the step the consumer
had reached. Its stream is a function of (seed, step) (pipeline.py), so the
new one goes on with exactly the batches the old one would have given.
(The augmentations are Python under the GIL: an idle thread that holds it
while other programs keep the cores busy holds up the main thread too, one
more reason not to wait long.) On systems without SCHED_IDLE the pipeline
runs at normal priority.
"""
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

log = logging.getLogger(__name__)

TASKS = Path("/proc/self/task")  # one entry per thread of this process, on Linux
IDLE_AVAILABLE = hasattr(os, "SCHED_IDLE") and TASKS.is_dir()


def thread_ids() -> set[int]:
    return {int(task.name) for task in TASKS.iterdir()}


class IdleBatches:
    """Iterator over `make(start_step)`'s batches, its pipeline's threads at
    SCHED_IDLE when `idle` (and the system has it); rebuilt at normal priority
    if that starves the consumer (see the module's docstring). Call `close()`
    when done, so the fetcher thread ends before the interpreter does."""

    def __init__(self, make: Callable[[int], Iterator], start_step: int = 0, idle: bool = True,
                 patience_s: float = 5.0, window_s: float = 5.0, max_wait_share: float = 0.25):
        self._make, self._step = make, start_step
        self.idle = idle and IDLE_AVAILABLE
        self._patience_s, self._window_s = patience_s, window_s
        self._max_wait_share = max_wait_share
        self._generation, self._error = 0, None
        self.waited_s = 0.0  # in all, spent in __next__ waiting for batches
        self._start()

    def _start(self):
        """The pipeline made from `self._step` and its first batch queued; its threads idle."""
        before = thread_ids() if self.idle else set()
        iterator = self._make(self._step)
        first = next(iterator)
        if self.idle:
            for thread in thread_ids() - before:
                try:
                    os.sched_setscheduler(thread, os.SCHED_IDLE, os.sched_param(0))
                except ProcessLookupError:  # ended meanwhile
                    pass
                except OSError as error:  # a sandbox that forbids it: run as before
                    log.warning("the input pipeline stays at normal priority: %s", error)
                    self.idle = False
                    break
        self._batches = queue.Queue(maxsize=1)
        self._batches.put((None, first))
        self._fetcher = threading.Thread(
            target=self._fetch, args=(self._generation, iterator, self._batches),
            name="input-fetcher", daemon=True)
        self._fetcher.start()
        self._waited, self._since, self._windows_over = 0.0, None, 0

    def _fetch(self, generation, iterator, out):
        try:
            while generation == self._generation:
                out.put((None, next(iterator)))
        except BaseException as error:  # raised again in the consumer's thread
            if generation == self._generation:
                out.put((error, None))

    def __iter__(self):
        return self

    def __next__(self):
        if self._error is not None:  # the pipeline ended or broke: it stays so
            raise self._error
        began = time.perf_counter()
        try:
            error, batch = self._batches.get(timeout=self._patience_s if self.idle else None)
        except queue.Empty:
            self._fall_back(f"gave no batch in {self._patience_s:g} s")
            return next(self)
        if error is not None:
            self._error = error
            raise error
        self._step += 1
        now = time.perf_counter()
        self.waited_s += now - began
        if self.idle:
            self._watch(now, now - began)
        return batch

    def _watch(self, now, waited):
        """Falls back when waiting took more than its share over two windows in a row."""
        if self._since is None:  # the windows start after the first batch
            self._since = now
            return
        self._waited += waited
        if now - self._since < self._window_s:
            return
        share = self._waited / max(now - self._since, 1e-9)
        self._windows_over = self._windows_over + 1 if share > self._max_wait_share else 0
        self._waited, self._since = 0.0, now
        if self._windows_over == 2:
            self._fall_back(f"kept training waiting more than {self._max_wait_share:.0%} of "
                            f"the time for {2 * self._window_s:g} s")

    def _fall_back(self, reason):
        log.warning("the input pipeline at idle priority %s (other programs busy?): "
                    "restarted at normal priority from step %d", reason, self._step)
        self._retire()
        self.idle = False
        self._start()

    def _retire(self):
        """Lets the current fetcher end: at its next batch it sees it is retired."""
        self._generation += 1
        try:  # frees a fetcher blocked on a full queue
            self._batches.get_nowait()
        except queue.Empty:
            pass

    def close(self, timeout_s: float = 5.0):
        self._retire()
        self._fetcher.join(timeout_s)
