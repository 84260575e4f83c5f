"""Augmentations of training mixtures, as numpy functions of a seeded Generator.

The training pipeline (pipeline.py) calls `make_example` once per example
with a Generator seeded by (seed, position in the stream), so every draw is a
function of where the example sits and a resumed run sees the same data.

Stages, each with a probability and ranges in MixingConfig:

    speed     the utterance resampled by a factor near 1 (tempo and pitch, as
              sox's `speed`; soxr does the resampling)
    voice     the speech alone (target too) through random shelves and peaks:
              voices and microphones differ in spectral balance, so the
              model must not take bass or hiss as a sign of noise
    noises    1 to `max_noises` noise clips, each at its own level
    reverb    speech convolved with a room impulse response made on the fly;
              the target keeps the direct path and the first 50 ms (early
              reflections), so the model also learns to remove late reverb,
              as in the DNS Challenge; the noise gets a room of its own
    snr       noise scaled against the reverberant speech
    channel   the whole mixture and the target through one microphone:
              biquad shelves and peaks, and sometimes a low-pass at 4-8 kHz
    clip      the mixture driven past full scale and clipped

The speech source is the target; the noise source is the mixture minus the
target, so whatever the model should remove (noise, late reverb, clipping
distortion) is in it and the sources always add up to the mixture.

Rooms come from a seeded statistical model, not from the image-source method:
a direct path, 4-12 early reflections in the first 50 ms, and an exponentially
decaying noise tail whose decay gives the drawn RT60 and whose energy gives
the drawn direct-to-reverberant ratio. Each example gets a new room for the
cost of one FFT convolution, with no RIR corpus to ship or compiled
dependency; what the denoiser must learn from a room (decay time, DRR,
reflection density, colouration) is in those statistics.
"""
import numpy as np
import scipy.fft
import scipy.signal
import soxr

EARLY_SECONDS = 0.05


def speed(audio: np.ndarray, factor: float, rate: int) -> np.ndarray:
    """`audio` played `factor` times faster: 1/factor as long, pitch times factor."""
    return soxr.resample(audio, rate * factor, rate, quality="HQ").astype(np.float32)


def speed_window(rng: np.random.Generator, audio: np.ndarray, factor: float, size: int,
                 rate: int, margin: int = 256) -> np.ndarray:
    """`audio` sped up by `factor`: all of it if it is short, else `size` samples
    from a random place. Only the stretch that will be heard is resampled (soxr's
    cost grows with the length, and an utterance may be several segments long);
    `margin` input samples either side keep the cut's filter transients out."""
    need = int(np.ceil(size * factor)) + 2 * margin
    if audio.size <= need:
        return speed(audio, factor, rate)
    start = rng.integers(0, audio.size - need + 1)
    fast = speed(audio[start:start + need], factor, rate)
    skip = int(round(margin / factor))
    return fast[skip:skip + size]


def room_impulse_response(rng: np.random.Generator, rate: int, rt60: float,
                          drr_db: float) -> np.ndarray:
    """A room's impulse response: 1 at sample 0 (the direct path), reflections
    after it whose energy is `drr_db` below the direct path's and whose level
    falls 60 dB in `rt60` seconds."""
    n = int(rate * 1.2 * rt60) + 1
    t = np.arange(n) / rate
    decay = np.exp(-3 * np.log(10) * t / rt60)  # amplitude: 60 dB of energy in rt60
    reflections = np.zeros(n)
    early = int(EARLY_SECONDS * rate)
    at = rng.integers(int(0.001 * rate), early, size=rng.integers(4, 13))
    reflections[at] += rng.choice([-1.0, 1.0], at.size) * rng.uniform(0.3, 1.0, at.size)
    # The diffuse tail builds up over a few ms after the direct sound, and loses
    # its highs faster (air and wall absorption): a gentle random low-pass.
    onset = rng.uniform(0.002, 0.01)
    tail = rng.standard_normal(n) * np.clip((t - 0.001) / onset, 0, 1)
    cutoff = rng.uniform(0.25, 0.9) * rate / 2
    tail = scipy.signal.sosfilt(butter_lowpass(1, cutoff, rate), tail)
    reverb = (reflections + 0.5 * tail) * decay
    reverb[0] = 0.0
    reverb *= np.sqrt(10 ** (-drr_db / 10) / np.sum(reverb**2))
    reverb[0] = 1.0
    return reverb


def butter_lowpass(order: int, cutoff: float, rate: int) -> np.ndarray:
    """Second-order sections of the `order`-th order Butterworth low-pass at
    `cutoff` Hz, as scipy.signal.butter(order, cutoff, fs=rate, output="sos")
    gives them (bilinear transform, cutoff prewarped), written out: scipy's
    general design costs more than the filtering it is for."""
    k = np.tan(np.pi * cutoff / rate)
    k2 = k * k
    sos = []
    if order % 2:  # the real pole: k / (s + k) through the bilinear transform
        sos.append([k, k, 0, 1 + k, k - 1, 0])
    for i in range(order // 2):  # each pair of poles: a 2nd-order section with its own Q
        q = 1 / (2 * np.cos(np.pi * (2 * i + 1 + order % 2) / (2 * order)))
        sos.append([k2, 2 * k2, k2, k2 + k / q + 1, 2 * (k2 - 1), k2 - k / q + 1])
    sos = np.array(sos, dtype=np.float64)
    return sos / sos[:, 3:4]


def _biquad_shelf_or_peak(kind: str, freq: float, gain_db: float, q: float, rate: int):
    """(b, a) of the Audio EQ Cookbook's (R. Bristow-Johnson) peaking and shelving
    filters: `gain_db` at `freq` (peak), below it (low shelf) or above it (high
    shelf); shelves with slope 1."""
    a_ = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq / rate
    cos, sin = np.cos(w0), np.sin(w0)
    if kind == "peak":
        alpha = sin / (2 * q)
        b = [1 + alpha * a_, -2 * cos, 1 - alpha * a_]
        a = [1 + alpha / a_, -2 * cos, 1 - alpha / a_]
        return np.array(b), np.array(a)
    alpha = sin / 2 * np.sqrt(2)
    root = 2 * np.sqrt(a_) * alpha
    sign = 1 if kind == "low" else -1
    b = [a_ * ((a_ + 1) - sign * (a_ - 1) * cos + root),
         sign * 2 * a_ * ((a_ - 1) - sign * (a_ + 1) * cos),
         a_ * ((a_ + 1) - sign * (a_ - 1) * cos - root)]
    a = [(a_ + 1) + sign * (a_ - 1) * cos + root,
         -sign * 2 * ((a_ - 1) + sign * (a_ + 1) * cos),
         (a_ + 1) + sign * (a_ - 1) * cos - root]
    return np.array(b), np.array(a)


def random_channel(rng: np.random.Generator, rate: int, gain_db: tuple[float, float],
                   lowpass_prob: float, lowpass_hz: tuple[float, float]) -> np.ndarray:
    """Second-order sections of a random microphone: a low shelf, a high shelf and
    one or two peaks, each with a gain drawn from `gain_db`, and with
    probability `lowpass_prob` a 4th-order Butterworth low-pass."""
    nyquist = rate / 2
    filters = [_biquad_shelf_or_peak("low", rng.uniform(100, 400), rng.uniform(*gain_db), 0, rate),
               _biquad_shelf_or_peak("high", rng.uniform(0.25, 0.6) * nyquist,
                                     rng.uniform(*gain_db), 0, rate)]
    for _ in range(rng.integers(1, 3)):
        filters.append(_biquad_shelf_or_peak("peak", rng.uniform(200, 0.8 * nyquist),
                                             rng.uniform(*gain_db), rng.uniform(0.5, 4), rate))
    sos = [np.concatenate([b / a[0], a / a[0]]) for b, a in filters]
    if rng.random() < lowpass_prob:
        cutoff = min(rng.uniform(*lowpass_hz), 0.95 * nyquist)
        sos.extend(butter_lowpass(4, cutoff, rate))
    return np.array(sos)


def convolve_head(signal: np.ndarray, kernels: list[np.ndarray]) -> list[np.ndarray]:
    """The first len(signal) samples of `signal` convolved with each kernel: one
    FFT of the signal for all of them, and no kernel taps past the signal's end
    (they only reach samples that are cut off)."""
    kernels = [k[:signal.size] for k in kernels]
    size = scipy.fft.next_fast_len(signal.size + max(k.size for k in kernels) - 1, real=True)
    spectrum = scipy.fft.rfft(signal, size)
    return [scipy.fft.irfft(spectrum * scipy.fft.rfft(k, size), size)[:signal.size]
            for k in kernels]


def crop_or_pad(rng: np.random.Generator, audio: np.ndarray, size: int):
    """(a random window of `size` samples or the whole shorter clip zero-padded, real length)."""
    start = rng.integers(0, max(audio.size - size, 0) + 1)
    window = audio[start:start + size]
    return np.pad(window, (0, size - window.size)), window.size


def loop_to(rng: np.random.Generator, audio: np.ndarray, size: int) -> np.ndarray:
    """`size` samples of `audio` looped, from a random start. Only those samples
    are read: clips run many times the segment's length."""
    start = rng.integers(audio.size)
    return np.take(audio, np.arange(start, start + size), mode="wrap")


def _power(x, length):
    return float(np.sum(np.square(x[:length], dtype=np.float64)) / max(length, 1))


def make_example(rng: np.random.Generator, speech: np.ndarray, noises: list[np.ndarray],
                 segment: int, rate: int, mixing):
    """(mixture [segment], sources [2, segment], length) from one utterance and
    noise clips (the first `max_noises` of them are used); float32."""
    if rng.random() < mixing.speed_prob:
        speech = speed_window(rng, speech, rng.uniform(*mixing.speed_factor), segment, rate)
    speech, length = crop_or_pad(rng, speech, segment)
    speech = speech.astype(np.float64)
    if rng.random() < mixing.speech_eq_prob:  # voices differ in spectral balance
        speech = scipy.signal.sosfilt(random_channel(rng, rate, mixing.channel_gain_db, 0, (1, 1)),
                                      speech)
    valid = np.arange(segment) < length

    count = rng.integers(1, min(mixing.max_noises, len(noises)) + 1)
    noise = np.zeros(segment)
    for i, clip in enumerate(noises[:count]):
        clip = loop_to(rng, clip, segment).astype(np.float64) * valid
        power = _power(clip, length)
        if power > 1e-10:  # a silent stretch of noise adds nothing
            level_db = 0.0 if i == 0 else rng.uniform(*mixing.extra_noise_db)
            noise += clip * 10 ** (level_db / 20) / np.sqrt(power)

    target = reverberant = speech
    if rng.random() < mixing.reverb_prob:
        rir = room_impulse_response(rng, rate, rng.uniform(*mixing.rt60_s),
                                    rng.uniform(*mixing.drr_db))
        reverberant, target = convolve_head(speech, [rir, rir[:int(EARLY_SECONDS * rate)]])
    if rng.random() < mixing.noise_reverb_prob:
        rir = room_impulse_response(rng, rate, rng.uniform(*mixing.rt60_s),
                                    rng.uniform(*mixing.drr_db))
        noise, = convolve_head(noise, [rir])

    snr = rng.uniform(*mixing.snr_db)
    speech_power, noise_power = _power(reverberant, length), _power(noise, length)
    # Silent speech or silent noise has no SNR to set: leave the noise as it is.
    if speech_power > 1e-10 and noise_power > 1e-10:
        noise *= np.sqrt(speech_power / (noise_power * 10 ** (snr / 10)))
    mixture = reverberant + noise

    if rng.random() < mixing.channel_prob:
        sos = random_channel(rng, rate, mixing.channel_gain_db, mixing.lowpass_prob,
                             mixing.lowpass_hz)
        mixture, target = scipy.signal.sosfilt(sos, np.stack([mixture, target]))

    gain = 10 ** (rng.uniform(*mixing.gain_db) / 20)
    mixture, target = gain * mixture, gain * target
    if rng.random() < mixing.clip_prob:
        peak = np.abs(mixture).max()
        if peak > 0:
            drive = 10 ** (rng.uniform(*mixing.clip_db) / 20) / peak
            mixture, target = np.clip(drive * mixture, -1, 1), drive * target

    target = (target * valid).astype(np.float32)
    rest = (mixture * valid).astype(np.float32) - target
    return target + rest, np.stack([target, rest]), np.int32(length)
