"""Which side of a real recording costs a model more: the voice or the noise?

    python benchmarks/domain_gap.py runs/quickstart [runs/other ...] [--noise_variants]

Mixes at 0 and 5 dB SNR the four pairings of {real, synthetic} speech with
{real, synthetic} noise and gives each run's SI-SNR improvement on each:
  real speech       the 24 utterances of benchmarks/real_recordings.py's set
  synthetic speech  the embedded corpus's 18 test utterances (held-out voices)
  real noise        that set's recorded noises (music, household, crowd, animals)
  synthetic noise   the embedded corpus's noise generator, every kind but
                    babble (which is made of voices), drawn from seed 1000+
Each utterance meets four noises of its family, chosen by names as the set
chooses them, at both SNRs (192 or 144 pairs a cell). Synthetic speech in
synthetic noise is what the models learned; the drop to each other cell is
what that side of reality costs. Do not train on the real cells' recordings.

--noise_variants adds a second table: real speech in the real noises, and in
three transforms of each noise that keep one of its properties and drop the
rest (all at the same SNR, so a transform that moves power out of the speech
band is easier for any model, not only for one that learned it):
  stationary    the noise's whole-clip magnitude spectrum with random phases:
                its long-term spectrum, its time course gone
  flat          each 32 ms frame's spectrum flattened to the frame's level,
                phases kept: its time course, its spectral shape gone
  envelope      white noise under its 50 ms amplitude envelope
"""
import argparse

import numpy as np
import scipy.signal

from data_pipelines.audio import read_audio
from data_pipelines.tiny_noisy_speech.synthetic_noise import KINDS, make_noise
from data_pipelines.tiny_noisy_speech.tiny_noisy_speech import SPEECH_DIR
from real_recordings import (NOISE, RATE, SNRS_DB, _rank, _readable,  # benchmarks/ is on the path
                             add_set_dir, build_set, noise_under, utterances)
from tasnet_jax import inference
from tasnet_jax.evaluate_files import si_snr_db

NOISES_PER_UTTERANCE = 4
NOISE_SECONDS = 8.0


def at_level(audio, dbfs=-25.0):
    return audio * 10 ** (dbfs / 20) / np.sqrt(np.mean(audio**2))


def families(set_dir):
    """{"real"/"synthetic": {name: audio}} for speech and for noise."""
    root = set_dir / "root"
    real_noise = {}
    for kind, patterns in NOISE.items():
        paths = (path for pattern in patterns for path in root.glob(pattern))
        real_noise.update((f"{kind}/{path.name}", audio) for path, audio in _readable(paths))
    rng = np.random.default_rng(1000)
    synthetic_noise = {f"{kind}/{n}": make_noise(kind, int(NOISE_SECONDS * RATE), rng)
                       for kind in KINDS if kind != "babble" for n in range(4)}
    synthetic_speech = {path.stem: at_level(read_audio(path, RATE))
                        for path in sorted(SPEECH_DIR.glob("test/*/*.flac"))}
    return ({"real": utterances(root), "synthetic": synthetic_speech},
            {"real": real_noise, "synthetic": synthetic_noise})


def pairs(speech, noises):
    """(clean, noisy) of each utterance with NOISES_PER_UTTERANCE noises of
    different kinds (the first of each kind by a hash of the names), at each SNR."""
    by_kind = {}
    for name in noises:
        by_kind.setdefault(name.split("/")[0], []).append(name)
    for utterance, clean in speech.items():
        kinds = _rank(by_kind, utterance)[:NOISES_PER_UTTERANCE]
        for kind in kinds:
            noise = noises[_rank(by_kind[kind], utterance)[0]]
            for snr in SNRS_DB:
                yield clean, (clean + noise_under(clean, noise, utterance, snr)).astype(np.float32)


def stationary(noise, rng):
    spectrum = np.fft.rfft(noise)
    phases = np.exp(2j * np.pi * rng.random(spectrum.size))
    phases[0] = 1
    return np.fft.irfft(np.abs(spectrum) * phases, noise.size)


def flat(noise, rng):
    _, _, frames = scipy.signal.stft(noise, RATE, nperseg=512)
    level = np.sqrt(np.mean(np.abs(frames) ** 2, axis=0, keepdims=True))
    return scipy.signal.istft(level * np.exp(1j * np.angle(frames)), RATE,
                              nperseg=512)[1][:noise.size]


def envelope(noise, rng):
    window = int(0.05 * RATE)
    level = np.sqrt(np.convolve(noise**2, np.ones(window) / window, mode="same"))
    return rng.standard_normal(noise.size) * level


NOISE_VARIANTS = {"real": lambda noise, rng: noise, "stationary": stationary, "flat": flat,
                  "envelope": envelope}


def noise_variants(noises):
    """{variant: {name: transformed noise}}, the random draws fixed by a seed."""
    out = {}
    for variant, transform in NOISE_VARIANTS.items():
        rng = np.random.default_rng(0)
        out[variant] = {name: transform(noise.astype(np.float64), rng).astype(np.float32)
                        for name, noise in noises.items()}
    return out


def improvement(denoiser, speech, noises) -> float:
    return float(np.mean([si_snr_db(denoiser(noisy)[0], clean) - si_snr_db(noisy, clean)
                          for clean, noisy in pairs(speech, noises)]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="run workdirs (or anything inference.load takes)")
    add_set_dir(parser)
    parser.add_argument("--noise_variants", action="store_true",
                        help="also real speech in transforms of the real noises")
    args = parser.parse_args()
    speech, noises = families(build_set(args.set_dir))
    cells = [(s, n) for s in ("synthetic", "real") for n in ("synthetic", "real")]
    print(f"{'run':40} " + " ".join(f"{s[:5]} sp/{n[:5]} nz" for s, n in cells))
    denoisers = {run: inference.load(run) for run in args.runs}
    for run, denoiser in denoisers.items():
        scores = [improvement(denoiser, speech[s], noises[n]) for s, n in cells]
        print(f"{run:40} " + " ".join(f"{v:+17.2f}" for v in scores))
    if args.noise_variants:
        variants = noise_variants(noises["real"])
        print(f"\nreal speech in real noise and its transforms\n{'run':40} "
              + " ".join(f"{v:>10}" for v in variants))
        for run, denoiser in denoisers.items():
            print(f"{run:40} " + " ".join(f"{improvement(denoiser, speech['real'], v):+10.2f}"
                                          for v in variants.values()))


if __name__ == "__main__":
    main()
