"""The timer every benchmark here uses."""
import statistics
import time


def median_seconds(fn, repeats: int, after_warm_up=lambda: None) -> float:
    """Median wall time of `fn()` over `repeats` calls, after one warm-up call
    (compilation, allocator, thread pools) and then `after_warm_up()`."""
    fn()
    after_warm_up()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
