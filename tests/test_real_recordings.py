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


def test_voice_scores_average_each_voices_pairs(benchmark_script):
    script = benchmark_script("real_recordings")
    manifest = [dict(file=f"{kind}_0dB/{name}.wav", speech=name)
                for kind in ("music", "crowd") for name in ("ktuberling_en_0", "ktuberling_en_1",
                                                            "tuxpaint_ro_0")]
    rows = [dict(file=m["file"], si_snr=snr, mixture_si_snr=0.5)
            for m, snr in zip(manifest, (4.5, 6.5, 2.5, 3.5, 5.5, 1.5))]
    rows.append(dict(file="crowd_0dB/tuxpaint_ro_0.wav", error="unreadable"))
    kept = {"ktuberling_en_0": 20.0, "ktuberling_en_1": 10.0, "tuxpaint_ro_0": 12.0}
    scores = script.voice_scores(rows, manifest, kept)
    assert list(scores) == ["ktuberling_en", "tuxpaint_ro"]
    assert scores["ktuberling_en"] == {"pairs": 4, "si_snri": 4.5, "clean_kept_db": 15.0}
    # The failed row is left out, as in the noise kinds' table.
    assert scores["tuxpaint_ro"] == {"pairs": 2, "si_snri": 1.5, "clean_kept_db": 12.0}
