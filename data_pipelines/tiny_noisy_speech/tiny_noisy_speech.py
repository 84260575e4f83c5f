"""tiny_noisy_speech: the embedded default corpus, for the quickstart and the tests.

What it is: 228 utterances (11.6 minutes) of SYNTHETIC speech, 38 voices from
the espeak-ng, flite and festival speech synthesizers (English accents and
other languages' voices, formant, diphone, unit-selection and HTS synthesis,
each with its own rate and pitch) reading 64 sentences written for this
project; 16 kHz, mono. Synthetic voices are not real speech: the training
pipeline's augmentations (rooms, microphones, speed, several noises) carry
much of what a model needs for real recordings. The speech ships in the
repository (speech/, made by make_corpus.py); the noise is made from seeds
when the dataset is built (synthetic_noise.py: 13 kinds from white noise to
synthesized music, and babble of 13 voices that are never a target).

Splits share no speaker, babbler and sentence: train 32 speakers (192
utterances, each paired with 3 noises of different kinds: 576 examples),
validation 3 (18), test 3 (18). Each pairing's noise kind, seed and SNR
(drawn from [-5, 15] dB) are fixed by the example id; the training pipeline
remixes speech and noise at random instead.

Licence: the sentences, the synthesized speech and the generated noise are
released under CC0 1.0 by the tasnet-jax authors.
"""
import csv
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf
import tensorflow_datasets as tfds

from data_pipelines.audio import INT16_SCALE, example
from data_pipelines.features import noisy_speech_info
from data_pipelines.tiny_noisy_speech import synthetic_noise
from data_pipelines.tiny_noisy_speech.synthetic_noise import KINDS, RATE, make_noise

SPEECH_DIR = Path(__file__).parent / "speech"
SNR_RANGE_DB = (-5.0, 15.0)
NOISES_PER_UTTERANCE = {"train": 3, "validation": 1, "test": 1}


class TinyNoisySpeech(tfds.core.GeneratorBasedBuilder):
    """A few minutes of synthetic noisy speech that ships with tasnet-jax."""

    VERSION = tfds.core.Version("2.0.0")
    # What a build is made from; data_pipelines.prepare rebuilds when they change.
    SOURCES = (SPEECH_DIR, Path(synthetic_noise.__file__), Path(__file__))
    RELEASE_NOTES = {
        "1.0.0": "First release.",
        "2.0.0": "14 more training voices, held-out babble voices, 13 noise kinds, "
                 "3 noises per training utterance.",
    }

    def _info(self):
        return noisy_speech_info(self, sample_rate=RATE, description=__doc__, license="CC0-1.0")

    def _split_generators(self, dl_manager):
        with open(SPEECH_DIR / "manifest.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        return {split: self._generate_examples(
                    [r for r in rows if r["split"] == split and r["use"] == "speech"],
                    [r for r in rows if r["split"] == split and r["use"] == "babble"],
                    NOISES_PER_UTTERANCE[split])
                for split in ("train", "validation", "test")}

    def _generate_examples(self, rows, babble_rows, noises_per_utterance):
        def read(row):
            return sf.read(SPEECH_DIR / row["file"], dtype="int16")[0] / INT16_SCALE

        babblers = [read(r) for r in babble_rows]
        for i, row in enumerate(rows):
            clean = read(row)
            for j in range(noises_per_utterance):
                file_id = Path(row["file"]).stem + (f"_n{j}" if noises_per_utterance > 1 else "")
                rng = np.random.default_rng(zlib.crc32(file_id.encode()))
                kind = KINDS[(i * noises_per_utterance + j) % len(KINDS)]
                noise = make_noise(kind, len(clean), rng, babblers)
                snr = rng.uniform(*SNR_RANGE_DB)
                noise *= np.sqrt(np.mean(clean**2) / 10 ** (snr / 10))
                yield file_id, example(clean + noise, clean, row["speaker"], file_id)
