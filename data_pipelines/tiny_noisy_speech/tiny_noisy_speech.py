"""tiny_noisy_speech: the embedded default corpus, for the quickstart and the tests.

What it is: 144 utterances (6.9 minutes) of SYNTHETIC speech, 24 voices from
the espeak-ng and flite speech synthesizers (several accents, male and female
variants, each voice with its own rate and pitch) reading 64 sentences written
for this project; 16 kHz, mono. Synthetic voices are not real speech: a model
trained here learns the task and the pipeline, not a denoiser for real
recordings. The speech ships in the repository (speech/, made by
make_corpus.py); the noise is made from seeds when the dataset is built: white,
pink, brown, mains hum, engine, clicks, siren sweeps and babble of other
voices of the same split.

Splits share no speaker and no sentence: train 18 speakers (108 utterances),
validation 3 (18), test 3 (18). Every utterance is paired with one noise at an
SNR drawn from [-5, 15] dB, both fixed by the utterance id; the training
pipeline remixes speech and noise at random instead.

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
from data_pipelines.tiny_noisy_speech.synthetic_noise import KINDS, RATE, make_noise

SPEECH_DIR = Path(__file__).parent / "speech"
SNR_RANGE_DB = (-5.0, 15.0)


class TinyNoisySpeech(tfds.core.GeneratorBasedBuilder):
    """A few minutes of synthetic noisy speech that ships with tasnet-jax."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}

    def _info(self):
        return noisy_speech_info(self, sample_rate=RATE, description=__doc__, license="CC0-1.0")

    def _split_generators(self, dl_manager):
        with open(SPEECH_DIR / "manifest.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        return {split: self._generate_examples([r for r in rows if r["split"] == split])
                for split in ("train", "validation", "test")}

    def _generate_examples(self, rows):
        speech = [sf.read(SPEECH_DIR / r["file"], dtype="int16")[0] / INT16_SCALE for r in rows]
        for i, (row, clean) in enumerate(zip(rows, speech)):
            file_id = Path(row["file"]).stem
            rng = np.random.default_rng(zlib.crc32(file_id.encode()))
            others = [s for r, s in zip(rows, speech) if r["speaker"] != row["speaker"]]
            noise = make_noise(KINDS[i % len(KINDS)], len(clean), rng, others)
            snr = rng.uniform(*SNR_RANGE_DB)
            noise *= np.sqrt(np.mean(clean**2) / 10 ** (snr / 10))
            yield file_id, example(clean + noise, clean, row["speaker"], file_id)
