"""IdleBatches: the pipeline's threads at SCHED_IDLE, the stream unchanged, a starved
pipeline rebuilt."""
import itertools
import logging
import os
import queue
import re
import threading
import time

import numpy as np
import pytest
import tensorflow_datasets as tfds

from data_pipelines.idle_input import IDLE_AVAILABLE, IdleBatches, thread_ids
from data_pipelines.pipeline import MixingConfig, train_dataset

needs_idle = pytest.mark.skipif(not IDLE_AVAILABLE, reason="no SCHED_IDLE on this system")


class ThreadedCounter:
    """Items start, start + 1, ... made by a worker thread of its own, as tf.data
    makes batches. `delay(policy)`: seconds each item takes to make under the
    worker's scheduling policy at that time (None: it stops)."""

    def __init__(self, start, delay=lambda policy: 0.0):
        self.items = queue.Queue(maxsize=2)
        self.worker = threading.Thread(target=self._work, args=(start, delay), daemon=True)
        self.worker.start()

    def _work(self, item, delay):
        while (seconds := delay(policy())) is not None:
            time.sleep(seconds)
            self.items.put(item)
            item += 1

    def policy(self):
        return os.sched_getscheduler(self.worker.native_id)

    def __iter__(self):
        return self

    def __next__(self):
        return self.items.get()


def policy():
    return os.sched_getscheduler(0) if IDLE_AVAILABLE else None


def counters(made, delay=lambda policy: 0.0):
    def make(step):
        made.append(ThreadedCounter(step, delay))
        return made[-1]
    return make


@needs_idle
def test_the_pipelines_threads_are_idle_and_the_callers_are_not():
    made = []
    batches = IdleBatches(counters(made), start_step=5)
    assert list(itertools.islice(batches, 4)) == [5, 6, 7, 8]
    assert made[0].policy() == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    assert os.sched_getscheduler(batches._fetcher.native_id) == os.SCHED_OTHER
    batches.close()


def test_at_normal_priority_nothing_is_idle_and_nothing_is_watched():
    made = []
    batches = IdleBatches(counters(made), start_step=2, idle=False, patience_s=0.0)
    assert list(itertools.islice(batches, 3)) == [2, 3, 4]
    if IDLE_AVAILABLE:
        assert made[0].policy() == os.SCHED_OTHER
    assert len(made) == 1
    batches.close()


def test_a_pipeline_that_keeps_up_is_never_rebuilt():
    made = []
    batches = IdleBatches(counters(made), window_s=0.05)
    got = []
    for item in itertools.islice(batches, 35):
        got.append(item)
        time.sleep(0.005)  # the training step: the next item is ready before it ends
    assert got == list(range(35)) and len(made) == 1
    batches.close()


@needs_idle
def test_a_slow_idle_pipeline_goes_on_at_normal_priority_from_where_it_was(caplog):
    # 30 ms a batch while idle, none at normal priority: waiting is nearly all the time.
    made = []
    delay = lambda policy: 0.03 if policy == os.SCHED_IDLE else 0.0  # noqa: E731
    batches = IdleBatches(counters(made, delay), start_step=100, window_s=0.15,
                          max_wait_share=0.5)
    with caplog.at_level(logging.WARNING):
        assert list(itertools.islice(batches, 40)) == list(range(100, 140))  # none lost or repeated
    assert [m.policy() for m in made[1:]] == [os.SCHED_OTHER] and not batches.idle
    assert batches.waited_s > 0.1  # two windows of 0.15 s, mostly waiting, before the rebuild
    assert re.search("more than 50% of the time for 0.3 s.* from step 1[0-3][0-9]$",
                     caplog.text, re.M)
    batches.close()


@needs_idle
def test_an_idle_pipeline_that_gives_nothing_is_rebuilt_after_its_patience(caplog):
    made = []
    delay = lambda policy: None if policy == os.SCHED_IDLE else 0.0  # noqa: E731
    batches = IdleBatches(counters(made, delay), start_step=7, patience_s=0.2)
    began = time.perf_counter()
    with caplog.at_level(logging.WARNING):
        assert list(itertools.islice(batches, 10)) == list(range(7, 17))
    assert 0.2 <= time.perf_counter() - began < 5
    assert len(made) == 2 and not batches.idle
    assert re.search("gave no batch in 0.2 s .* from step (8|9|10|11)$", caplog.text, re.M)
    batches.close()


@needs_idle
def test_where_priorities_cannot_be_changed_the_pipeline_runs_as_before(monkeypatch, caplog):
    def forbidden(*args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", forbidden)
    made = []
    with caplog.at_level(logging.WARNING):
        batches = IdleBatches(counters(made), patience_s=0.0)
        assert list(itertools.islice(batches, 3)) == [0, 1, 2]
    assert not batches.idle and made[0].policy() == os.SCHED_OTHER
    assert "stays at normal priority: [Errno 1] Operation not permitted" in caplog.text
    batches.close()


def test_errors_reach_the_caller_and_stay():
    def broken(step):
        raise FileNotFoundError("corpus gone")

    with pytest.raises(FileNotFoundError, match="corpus gone"):
        IdleBatches(broken)

    def breaks_midway(step):
        yield step
        raise ValueError("corrupt record 3")

    batches = IdleBatches(breaks_midway)
    assert next(batches) == 0
    for _ in range(2):
        with pytest.raises(ValueError, match="corrupt record 3"):
            next(batches)
    assert list(IdleBatches(lambda step: iter(range(step, 3)), start_step=1)) == [1, 2]


@needs_idle
def test_the_training_pipelines_threads_are_idle_and_its_stream_unchanged(tiny_builder):
    mixing = MixingConfig(segment_seconds=0.5, shuffle_buffer=16, max_noises=2, reverb_prob=0.5)

    def make(step):
        return iter(tfds.as_numpy(train_dataset(
            tiny_builder, global_batch_size=2, seed=3, mixing=mixing, start_step=step,
            process_index=0, process_count=1)))

    def policies():
        found = []
        for thread in thread_ids():
            try:
                found.append(os.sched_getscheduler(thread))
            except ProcessLookupError:  # a thread that ended meanwhile
                pass
        return found

    before = policies().count(os.SCHED_IDLE)
    # max_wait_share -1, windows of 0 s: rebuilt at normal priority after the 3rd batch.
    batches = IdleBatches(make, window_s=0.0, max_wait_share=-1.0)
    want = make(0)
    for i, got in enumerate(itertools.islice(batches, 8)):
        if i == 1:
            assert policies().count(os.SCHED_IDLE) > before  # tf.data's threads
            assert os.sched_getscheduler(0) == os.SCHED_OTHER
        expected = next(want)
        np.testing.assert_array_equal(got["mixture"], expected["mixture"])
        np.testing.assert_array_equal(got["sources"], expected["sources"])
    assert not batches.idle  # the rebuilt pipeline went on with the same batches
    batches.close()
