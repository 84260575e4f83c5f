"""Noise for tiny_noisy_speech, made from a seed so the corpus need not store it.

Fourteen kinds, stationary and not:
    white, pink, brown   flat and 1/f-sloped noise
    tilted               noise with a random spectral slope and band
    hum, engine          mains hum with harmonics; a firing engine
    whine                a drifting harmonic tone (fans, motors, electronics)
    siren                a swept tone
    clicks               many short clicks (keyboard, rain)
    knocks               impacts ringing at a few resonances (doors, dishes, steps)
    bursts               noise that comes and goes: bursts, ramps, tremolo
    music                synthesized songs: chords, bass and melody with
                         envelopes and random timbres, and drums
    babble               several voices at once, from `speech_pool`
Each returns float64 samples with unit RMS.
"""
import numpy as np

RATE = 16000
KINDS = ("white", "pink", "brown", "hum", "engine", "clicks", "siren", "babble", "tilted",
         "whine", "knocks", "bursts", "music", "music")  # music twice: the richest kind


def _shaped(rng, n, exponent):
    """Gaussian noise with power spectrum ~ 1 / f**exponent (above 20 Hz)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum *= np.maximum(freqs, 20.0) ** (-exponent / 2)
    spectrum[0] = 0.0
    return np.fft.irfft(spectrum, n)


def _hum(rng, n):
    t = np.arange(n) / RATE
    mains = rng.choice([50.0, 60.0]) * rng.uniform(0.995, 1.005)
    harmonics = sum(rng.uniform(0.1, 1.0) / k * np.sin(2 * np.pi * k * mains * t + rng.uniform(0, 6.3))
                    for k in range(1, 9))
    return harmonics + 0.05 * rng.standard_normal(n)


def _engine(rng, n):
    t = np.arange(n) / RATE
    firing = rng.uniform(20, 45) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t))
    phase = 2 * np.pi * np.cumsum(firing) / RATE
    return _shaped(rng, n, 2.0) * (1.2 + np.sin(phase)) + 0.3 * np.sin(phase)


def _clicks(rng, n):
    out = np.zeros(n)
    rate_hz = rng.uniform(3, 30)
    for start in np.flatnonzero(rng.random(n) < rate_hz / RATE):
        length = int(rng.uniform(0.002, 0.02) * RATE)
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (length / 4))
        out[start:start + length] += rng.uniform(0.3, 1.0) * burst[:n - start]
    return out + 0.01 * rng.standard_normal(n)


def _siren(rng, n):
    t = np.arange(n) / RATE
    low, high = rng.uniform(500, 800), rng.uniform(1000, 1600)
    sweep = low + (high - low) * 0.5 * (1 + np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * t))
    return np.sin(2 * np.pi * np.cumsum(sweep) / RATE) + 0.05 * rng.standard_normal(n)


def _tilted(rng, n):
    noise = _shaped(rng, n, rng.uniform(-1.0, 2.5))
    low, high = sorted(rng.uniform(50, RATE / 2, size=2))
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(freqs < low) | (freqs > high)] *= 10 ** (-rng.uniform(10, 40) / 20)
    return np.fft.irfft(spectrum, n)


def _whine(rng, n):
    t = np.arange(n) / RATE
    drift = np.cumsum(rng.standard_normal(n)) / np.sqrt(n) * rng.uniform(0.005, 0.05)
    f0 = rng.uniform(80, 2500) * (1 + drift + 0.01 * np.sin(2 * np.pi * rng.uniform(0.1, 3) * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    tone = sum(rng.uniform(0, 1) / k * np.sin(k * phase + rng.uniform(0, 6.3))
               for k in range(1, rng.integers(2, 8)))
    return tone + rng.uniform(0.01, 0.3) * _shaped(rng, n, 1.0)


def _ring(rng, length, modes):
    """An impact: a noisy attack and a few exponentially decaying resonances."""
    t = np.arange(length) / RATE
    out = rng.standard_normal(length) * np.exp(-t / rng.uniform(0.001, 0.005))
    for _ in range(modes):
        freq, decay = rng.uniform(80, 5000), rng.uniform(0.01, 0.3)
        out += rng.uniform(0.2, 1) * np.sin(2 * np.pi * freq * t) * np.exp(-t / decay)
    return out


def _knocks(rng, n):
    out = np.zeros(n)
    length = int(0.5 * RATE)
    for start in np.flatnonzero(rng.random(n) < rng.uniform(0.5, 6) / RATE):
        ring = _ring(rng, length, rng.integers(1, 5))[:n - start]
        out[start:start + ring.size] += rng.uniform(0.2, 1.0) * ring
    return out + 0.003 * rng.standard_normal(n)


def _envelope(rng, n):
    """Gains that make noise come and go (0.02..1): bursts, a ramp, or a tremolo."""
    t = np.arange(n) / RATE
    shape = rng.choice(["bursts", "ramp", "tremolo"])
    if shape == "ramp":
        start, stop = np.sort(rng.uniform(0, n, 2))
        rise = np.clip((np.arange(n) - start) / max(stop - start, 1), 0, 1)
        return 0.02 + 0.98 * (rise if rng.random() < 0.5 else rise[::-1]) ** 2
    if shape == "tremolo":
        depth = rng.uniform(0.8, 0.98)
        return 1 - depth * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.3, 8) * t))
    # On and off in turn, each for 0.1-0.5 s on average, with 25 ms fades.
    lengths = rng.exponential(rng.uniform(0.1, 0.5) * RATE, size=n // 100)
    switches = np.cumsum(np.maximum(lengths, 0.05 * RATE)).astype(int)
    gains = (np.searchsorted(switches, np.arange(n), side="right") + rng.integers(2)) % 2
    return 0.02 + 0.98 * np.convolve(gains.astype(float), np.ones(400) / 400, mode="same")


def _bursts(rng, n):
    return _shaped(rng, n, rng.uniform(0, 2)) * _envelope(rng, n)


def _note(freq, length, timbre):
    """A note with harmonics weighted by `timbre` and an attack-decay envelope."""
    t = np.arange(length) / RATE
    vibrato = 1 + timbre["vibrato"] * np.sin(2 * np.pi * 5.5 * t)
    phase = 2 * np.pi * freq * np.cumsum(vibrato) / RATE
    wave = sum(w * np.sin(k * phase) for k, w in enumerate(timbre["harmonics"], start=1)
               if k * freq < RATE / 2)
    attack = np.minimum(t / timbre["attack"], 1)
    return wave * attack * np.exp(-t / timbre["decay"])


def _timbre(rng):
    return {"harmonics": rng.uniform(0, 1, 10) / np.arange(1, 11) ** rng.uniform(0.3, 2.0),
            "attack": rng.uniform(0.002, 0.15), "decay": rng.uniform(0.1, 2.0),
            "vibrato": rng.choice([0.0, rng.uniform(0.001, 0.006)])}


def _drum(rng, kind, length):
    t = np.arange(length) / RATE
    if kind == "kick":
        sweep = 2 * np.pi * np.cumsum(50 + 100 * np.exp(-t / 0.03)) / RATE
        return np.sin(sweep) * np.exp(-t / 0.15)
    if kind == "snare":
        body = 0.5 * np.sin(2 * np.pi * 190 * t)
        return (rng.standard_normal(length) + body) * np.exp(-t / 0.07)
    return np.diff(rng.standard_normal(length + 1)) * np.exp(-t / 0.02)  # hi-hat: bright noise


def _music(rng, n):
    beat = int(RATE * 60 / rng.uniform(70, 170))
    root = 110 * 2 ** (rng.integers(0, 12) / 12)
    major, minor = np.array([0, 2, 4, 5, 7, 9, 11]), np.array([0, 2, 3, 5, 7, 8, 10])
    scale = major if rng.random() < 0.6 else minor
    out = np.zeros(n + 8 * beat)
    parts = [("chords", _timbre(rng), 4), ("bass", _timbre(rng), 2), ("melody", _timbre(rng), 1)]
    drums = rng.random() < 0.7
    for bar in range(n // (4 * beat) + 1):
        degree = rng.choice([0, 3, 4, 5])  # I, IV, V, vi
        for name, timbre, beats in parts:
            for step in range(0, 4, beats):
                start = (bar * 4 + step) * beat
                if name == "chords":
                    pitches = [scale[(degree + k) % 7] + 12 * ((degree + k) // 7)
                               for k in (0, 2, 4)]
                    freqs = [2 * root * 2 ** (p / 12) for p in pitches]
                elif name == "bass":
                    freqs = [root / 2 * 2 ** (scale[degree] / 12)]
                else:
                    rest = rng.random() >= 0.8  # now and then the melody pauses
                    freqs = [] if rest else [4 * root * 2 ** (scale[rng.integers(0, 7)] / 12)]
                for freq in freqs:
                    out[start:start + beats * beat] += 0.5 * _note(freq, beats * beat, timbre)
        if drums:
            for step in range(8):
                start = bar * 4 * beat + step * beat // 2
                hits = (["hat"] + (["kick"] if step in (0, 4) else [])
                        + (["snare"] if step in (2, 6) else []))
                for hit in hits:
                    out[start:start + beat] += 0.4 * _drum(rng, hit, beat)
    return out[:n]


def _babble(rng, n, speech_pool):
    out = np.zeros(n)
    for index in rng.choice(len(speech_pool), size=min(5, len(speech_pool)), replace=False):
        voice = speech_pool[index]
        out += np.roll(np.resize(voice, n), rng.integers(n))  # looped, random start
    return out


def make_noise(kind: str, n: int, rng: np.random.Generator, speech_pool=()) -> np.ndarray:
    """`n` samples of noise of `kind`; babble mixes utterances from `speech_pool`."""
    makers = {
        "white": lambda: rng.standard_normal(n),
        "pink": lambda: _shaped(rng, n, 1.0),
        "brown": lambda: _shaped(rng, n, 2.0),
        "hum": lambda: _hum(rng, n),
        "engine": lambda: _engine(rng, n),
        "clicks": lambda: _clicks(rng, n),
        "siren": lambda: _siren(rng, n),
        "babble": lambda: _babble(rng, n, speech_pool),
        "tilted": lambda: _tilted(rng, n),
        "whine": lambda: _whine(rng, n),
        "knocks": lambda: _knocks(rng, n),
        "bursts": lambda: _bursts(rng, n),
        "music": lambda: _music(rng, n),
    }
    if kind not in makers:
        raise ValueError(f"unknown noise kind {kind!r}; choose one of {KINDS}")
    noise = makers[kind]()
    return noise / np.sqrt(np.mean(noise**2))
