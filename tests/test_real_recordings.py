"""benchmarks/real_recordings.py: the clip conditioning removes only what no
listener hears (the set itself needs Debian packages and is not built here)."""

import numpy as np


def test_without_subsonic_keeps_the_audible_band_in_phase(benchmark_script):
    script = benchmark_script("real_recordings")
    t = np.arange(3 * script.RATE) / script.RATE
    audible = 0.3 * np.sin(2 * np.pi * 110 * t) + 0.1 * np.sin(2 * np.pi * 3000 * t + 1.0)
    offset = np.where(t < 1.5, 0.2, -0.1)  # two clips' DC offsets joined: a step
    drift = 0.2 * np.sin(2 * np.pi * 3 * t)
    out = script.without_subsonic((audible + offset + drift).astype(np.float32))
    # Away from the ends and from the step's click (which is audible, and stays).
    away = ((t > 0.5) & (t < 1.4)) | ((t > 1.6) & (t < 2.5))
    assert out.dtype == np.float32
    assert abs(out[away].mean()) < 1e-3
    # What is left is the audible part, unshifted: a zero-phase filter delays nothing.
    error = out[away] - audible[away]
    assert np.sqrt(np.mean(error**2)) < 0.005 * np.sqrt(np.mean(audible[away] ** 2))
