"""LowPriorityBatches: the pipeline's threads niced, the stream unchanged, a starved one rebuilt."""
import itertools
import os
import queue
import sys
import threading
import time

import numpy as np
import pytest
import tensorflow_datasets as tfds

from data_pipelines.low_priority import LowPriorityBatches
from data_pipelines.pipeline import MixingConfig, train_dataset

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="nice is per thread only on Linux")


def thread_nice():
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


class ThreadedCounter:
    """Items start, start + 1, ... made by a worker thread of its own, as tf.data
    makes batches; records the worker's nice value. `delay(nice)`: seconds each
    item takes to make at that nice value."""

    def __init__(self, start, delay=lambda nice: 0.0):
        self.items, self.worker_nice = queue.Queue(maxsize=2), []
        threading.Thread(target=self._work, args=(start, delay), daemon=True).start()

    def _work(self, item, delay):
        nice = thread_nice()
        self.worker_nice.append(nice)
        while True:
            time.sleep(delay(nice))
            self.items.put(item)
            item += 1

    def __iter__(self):
        return self

    def __next__(self):
        return self.items.get()


@linux_only
def test_the_pipelines_threads_are_niced_and_the_callers_are_not():
    made = []
    before = thread_nice()
    batches = LowPriorityBatches(lambda step: made.append(ThreadedCounter(step)) or made[-1],
                                 start_step=5)
    assert list(itertools.islice(batches, 4)) == [5, 6, 7, 8]
    assert made[0].worker_nice == [19]
    assert thread_nice() == before  # the caller's thread keeps its priority


def test_a_pipeline_that_keeps_up_is_never_rebuilt():
    made = []
    batches = LowPriorityBatches(lambda step: made.append(ThreadedCounter(step)) or made[-1],
                                 window=10)
    got = []
    for item in itertools.islice(batches, 35):
        got.append(item)
        time.sleep(0.005)  # the training step: the next item is ready before it ends
    assert got == list(range(35)) and len(made) == 1


@linux_only
def test_a_starved_pipeline_goes_on_at_normal_priority_from_where_it_was(capsys):
    made = []

    def make(step):  # starved while niced: 30 ms a batch, against 0 at normal priority
        made.append(ThreadedCounter(step, delay=lambda nice: 0.03 if nice else 0.0))
        return made[-1]

    batches = LowPriorityBatches(make, start_step=100, window=5, max_wait_share=0.5)
    assert list(itertools.islice(batches, 20)) == list(range(100, 120))  # no batch lost or repeated
    assert [m.worker_nice for m in made] == [[19], [0]] and batches.nice == 0
    assert "restarted at normal priority from step 105" in capsys.readouterr().out


def test_errors_and_bad_values_reach_the_caller():
    def broken(step):
        raise FileNotFoundError("corpus gone")

    with pytest.raises(FileNotFoundError, match="corpus gone"):
        LowPriorityBatches(broken)
    with pytest.raises(ValueError, match="nice=-5"):
        LowPriorityBatches(lambda step: iter(range(step, 10)), nice=-5)


def test_the_training_pipeline_rebuilt_gives_the_batches_it_would_have(tiny_builder):
    mixing = MixingConfig(segment_seconds=0.5, shuffle_buffer=16, max_noises=2, reverb_prob=0.5)

    def make(step):
        return iter(tfds.as_numpy(train_dataset(
            tiny_builder, global_batch_size=2, seed=3, mixing=mixing, start_step=step,
            process_index=0, process_count=1)))

    # max_wait_share 0: rebuilt at normal priority after 3 batches.
    batches = LowPriorityBatches(make, window=3, max_wait_share=0.0)
    for got, want in zip(itertools.islice(batches, 6), itertools.islice(make(0), 6)):
        np.testing.assert_array_equal(got["mixture"], want["mixture"])
        np.testing.assert_array_equal(got["sources"], want["sources"])
