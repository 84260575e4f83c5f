"""What a model takes from real speech, and what it lets through, on the real-recordings set.

    python benchmarks/error_split.py RUN [--set_dir DIR]

1. Clean speech in, by frequency band: the residual of the least-squares fit
   of the speech output to its input (what the model removed), for the set's
   24 utterances as the packages hold them (DC offsets and subsonic content
   kept, as version 1 of the set had them) and as the set holds them now.
2. Noisy pairs, distortion against leaked noise: encoder and decoder are
   linear, so the speech estimate is D(M E(s)) + D(M E(n)) with M the
   speech mask. After the SI-SNR scale, speech over its distortion and speech
   over the noise let through, per noise kind and SNR, and on the embedded
   corpus's synthetic test split. Whole utterances, no chunking.
3. Pauses against speech: the share of the SI-SNR error that falls where
   the clean speech is silent (10 ms frames 40 dB below the utterance's
   loudest), and what the SI-SNR would gain if those frames held no error.

Needs the set built by benchmarks/real_recordings.py (same --set_dir) and the
tiny_noisy_speech corpus (built on first use).
"""
import argparse
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import scipy.signal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import real_recordings  # noqa: E402  (benchmarks/ is on the path when run as a script)
from data_pipelines.audio import read_audio  # noqa: E402
from tasnet_jax import inference  # noqa: E402
from tasnet_jax.model import ConvTasNet, Decoder, Encoder, Separator  # noqa: E402

BANDS_HZ = (0, 30, 80, 160, 500, 1500, 3000, 8000)


def band_energies(audio, rate):
    """Energy of `audio` in each of BANDS_HZ (Welch's estimate, 512-sample frames, offsets kept)."""
    freqs, power = scipy.signal.welch(audio, rate, nperseg=512, detrend=False)
    return np.array([power[(freqs >= lo) & (freqs < hi)].sum()
                     for lo, hi in zip(BANDS_HZ[:-1], BANDS_HZ[1:])])


def removed_by_band(denoiser, speech):
    """(input energy per band, residual energy per band) summed over `speech`."""
    inputs, residuals = 0.0, 0.0
    for clean in speech:
        out = denoiser(clean)[0]
        residual = clean - out * np.dot(out, clean) / np.dot(out, out)
        inputs = inputs + band_energies(clean, denoiser.sample_rate)
        residuals = residuals + band_energies(residual, denoiser.sample_rate)
    return inputs, residuals


def mask_parts(denoiser):
    """f(mixture, speech, noise) -> (D(M E(speech)), D(M E(noise))), jitted."""
    cfg, variables = denoiser.config, denoiser.variables
    model = ConvTasNet(cfg)
    encoder = Encoder(cfg.n_filters, cfg.filter_length, cfg.stride)
    decoder = Decoder(cfg.n_filters, cfg.filter_length, cfg.stride)

    @jax.jit
    def parts(mixture, speech, noise):
        _, seen = model.apply(variables, mixture[None], capture_intermediates=lambda module, _:
                              isinstance(module, Separator))
        mask = seen["intermediates"]["separator"]["__call__"][0][0, 0]
        through = [decoder.apply({"params": variables["params"]["decoder"]},
                                 mask * encoder.apply({"params": variables["params"]["encoder"]},
                                                      x[None])[0]) for x in (speech, noise)]
        return tuple(through)

    return parts


def distortion_and_leak(parts, pairs):
    """(speech / distortion dB, speech / leaked noise dB) over (mixture, speech) pairs."""
    speech_energy = distortion = leak = 0.0
    for mixture, speech in pairs:
        from_speech, from_noise = (np.asarray(x) for x in parts(
            jnp.asarray(mixture), jnp.asarray(speech), jnp.asarray(mixture - speech)))
        n = from_speech.size
        speech = speech[:n]
        estimate = from_speech + from_noise
        scale = np.dot(estimate, speech) / np.dot(estimate, estimate)
        speech_energy += np.sum(speech**2)
        distortion += np.sum((scale * from_speech - speech) ** 2)
        leak += np.sum((scale * from_noise) ** 2)
    return 10 * np.log10(speech_energy / distortion), 10 * np.log10(speech_energy / leak)


def pause_split(estimates_and_speech, frame=160, floor_db=40.0):
    """(pauses' share of the time, their share of the SI-SNR error, mean SI-SNR gain in dB
    if the pauses held no error) over (estimate, clean speech) pairs."""
    pause_time, pause_error, all_error, gains = [], 0.0, 0.0, []
    for estimate, speech in estimates_and_speech:
        n = min(estimate.size, speech.size) // frame * frame
        estimate, speech = estimate[:n], speech[:n]
        target = speech * np.dot(estimate, speech) / np.dot(speech, speech)
        speech_energy = np.sum((target.reshape(-1, frame)) ** 2, axis=1)
        error_energy = np.sum((estimate - target).reshape(-1, frame) ** 2, axis=1)
        pause = speech_energy < speech_energy.max() * 10 ** (-floor_db / 10)
        pause_time.append(pause.mean())
        pause_error += error_energy[pause].sum()
        all_error += error_energy.sum()
        gains.append(10 * np.log10(error_energy.sum() / error_energy[~pause].sum()))
    return float(np.mean(pause_time)), float(pause_error / all_error), float(np.mean(gains))


def synthetic_test_pairs():
    import tensorflow_datasets as tfds

    from data_pipelines.audio import INT16_SCALE
    from data_pipelines.prepare import prepare

    builder = prepare("tiny_noisy_speech")
    return [(ex["noisy"] / INT16_SCALE, ex["clean"] / INT16_SCALE)
            for ex in tfds.as_numpy(builder.as_dataset(split="test"))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a run's workdir (or anything inference.load takes)")
    real_recordings.add_set_dir(parser)
    args = parser.parse_args()
    set_dir = real_recordings.build_set(args.set_dir)
    denoiser = inference.load(args.run)

    print(f"{args.run}: what it removes from clean real speech, by band "
          "(residual / input energy, and the band's share of all that is removed)")
    root = set_dir / "root"
    for name, condition in (("as the packages hold it", lambda x: x),
                            (f"version {real_recordings.SET_VERSION} of the set",
                             real_recordings.without_subsonic)):
        speech = list(real_recordings.utterances(root, condition).values())
        inputs, residuals = removed_by_band(denoiser, speech)
        total = 10 * np.log10(residuals.sum() / inputs.sum())
        print(f"  {name}: all bands {total:.1f} dB")
        for lo, hi, into, left in zip(BANDS_HZ[:-1], BANDS_HZ[1:], inputs, residuals):
            print(f"    {lo:5d}-{hi:5d} Hz  input share {into / inputs.sum():.3f}  "
                  f"removed {10 * np.log10(left / into):6.1f} dB  "
                  f"share of removed {left / residuals.sum():.3f}")

    print("speech / its distortion, speech / leaked noise (dB, after the SI-SNR scale)")
    parts = mask_parts(denoiser)
    manifest = real_recordings.read_manifest(set_dir)
    real_pairs = [(read_audio(set_dir / "noisy" / m["file"], denoiser.sample_rate),
                   read_audio(set_dir / "clean" / m["file"], denoiser.sample_rate))
                  for m in manifest]
    for kind in real_recordings.NOISE:
        for snr in real_recordings.SNRS_DB:
            pairs = [pair for pair, m in zip(real_pairs, manifest)
                     if m["kind"] == kind and int(m["snr_db"]) == snr]
            print(f"  real {kind:9} {snr} dB: %.2f, %.2f" % distortion_and_leak(parts, pairs))
    synthetic_pairs = synthetic_test_pairs()
    print("  synthetic test split: %.2f, %.2f" % distortion_and_leak(parts, synthetic_pairs))

    print("pauses: share of the time, share of the SI-SNR error, SI-SNR gain if they held none")
    for name, pairs in (("real set", real_pairs), ("synthetic test split", synthetic_pairs)):
        shares = pause_split((denoiser(mixture)[0], speech) for mixture, speech in pairs)
        print(f"  {name}: %.3f, %.3f, %+.2f dB" % shares)


if __name__ == "__main__":
    main()
