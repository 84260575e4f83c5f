"""Noise for tiny_noisy_speech, made from a seed so the corpus need not store it.

Eight kinds, stationary and not: white, pink, brown, mains hum, engine,
clicks (keyboard or rain-like), a siren sweep, and babble (other speakers of
the same split). Each returns float64 samples with unit RMS.
"""
import numpy as np

RATE = 16000
KINDS = ("white", "pink", "brown", "hum", "engine", "clicks", "siren", "babble")


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
    }
    if kind not in makers:
        raise ValueError(f"unknown noise kind {kind!r}; choose one of {KINDS}")
    noise = makers[kind]()
    return noise / np.sqrt(np.mean(noise**2))
