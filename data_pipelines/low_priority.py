"""Training batches from an input pipeline whose threads run at low priority.

On a CPU the training step and tf.data's threads share the cores. XLA splits
each op of the step between its worker threads and the op ends when the last
of them does, so a pipeline thread that takes a core from one worker for a
millisecond stalls both. Measured with `benchmarks/pipeline_speed.py`, the
quickstart's model fed with its augmented pipeline ran at 90-93% of its rate
on a fixed batch, though the augmentations took only 3-4% of the cores; with
the pipeline's threads at nice 19 it ran at 98-100%: a niced thread gives way
whenever a worker wakes, and the pipeline runs in the gaps the step leaves.

Threads take the nice value of the thread that starts them, so the iterator
is made, and its first batch taken, in a short-lived thread that has lowered
its own priority: all of the pipeline's threads start from there, and the
others (the main thread, XLA's) keep theirs. (On Linux nice is per thread; on
other systems it is per process, so there the pipeline keeps normal priority.)

A niced pipeline gets little of a core that another program keeps busy, and a
thread cannot raise its priority back without privileges. So the time spent
waiting for batches is watched: when it passes `max_wait_share` of the time
over `window` batches, the pipeline is rebuilt at normal priority from the
step it had reached. Its stream is a function of (seed, step) (pipeline.py),
so the new one goes on with exactly the batches the old one would have given.
"""
import os
import sys
import threading
import time
from typing import Callable, Iterator

# Linux's least favourable nice value: the thread runs when nothing else wants the core.
LOWEST = 19


class LowPriorityBatches:
    """Iterator over `make(start_step)`'s batches, made with its threads at
    `nice` (0: as the caller's); rebuilt at normal priority if it starves the
    consumer (see the module's docstring)."""

    def __init__(self, make: Callable[[int], Iterator], start_step: int = 0, nice: int = LOWEST,
                 window: int = 50, max_wait_share: float = 0.2):
        if not 0 <= nice <= LOWEST:
            raise ValueError(f"nice={nice}: must lie in 0..{LOWEST} (a higher priority than "
                             "the caller's would need privileges)")
        self._make, self._step = make, start_step
        self._window, self._max_wait_share = window, max_wait_share
        self.nice = nice if sys.platform.startswith("linux") else 0
        self._iterator, self._next_batch = self._start()
        self._count, self._waited, self._since = 0, 0.0, time.perf_counter()
        self.wait_share = 0.0  # of the last full window's time, spent waiting for batches

    def _start(self):
        """(iterator, its first batch) made in a thread at `self.nice`."""
        made = {}

        def start():
            try:
                if self.nice:
                    os.setpriority(os.PRIO_PROCESS, 0, self.nice)  # this thread alone, on Linux
                iterator = self._make(self._step)
                made["value"] = iterator, next(iterator)
            except BaseException as error:  # raised again in the caller's thread
                made["error"] = error

        thread = threading.Thread(target=start, name="input-pipeline-start", daemon=True)
        thread.start()
        thread.join()
        if "error" in made:
            raise made["error"]
        return made["value"]

    def __iter__(self):
        return self

    def __next__(self):
        if self._next_batch is not None:  # the first batch, taken by the starting thread
            batch, self._next_batch = self._next_batch, None
        else:
            began = time.perf_counter()
            batch = next(self._iterator)
            self._waited += time.perf_counter() - began
        self._step += 1
        self._count += 1
        if self._count == self._window:
            self._check_starving()
        return batch

    def _check_starving(self):
        share = self.wait_share = self._waited / max(time.perf_counter() - self._since, 1e-9)
        if self.nice and share > self._max_wait_share:
            print(f"the input pipeline at nice {self.nice} kept training waiting "
                  f"{share:.0%} of the last {self._window} steps (other programs busy?): "
                  f"restarted at normal priority from step {self._step}", flush=True)
            self._iterator = None  # the old pipeline's threads end with it
            self.nice = 0
            self._iterator, self._next_batch = self._start()
        self._count, self._waited, self._since = 0, 0.0, time.perf_counter()
