"""dns_challenge: the Interspeech 2020 Deep Noise Suppression Challenge data (Reddy et al.).

Real read speech (LibriVox, about 500 hours) and noise clips (Audioset,
Freesound, DEMAND) as separate folders, for dynamic mixing; 16 kHz. Splits:
train and validation (2% of the clean files, chosen by a hash of their names),
each utterance carrying a noise clip for the pipeline to remix; test, the
published synthetic no-reverb pairs, noisy and clean matched by their fileid.
"""
import re
from pathlib import Path

import tensorflow_datasets as tfds

from data_pipelines.features import noisy_speech_info
from data_pipelines.sources import audio_files, paired_examples, split_by_name, unpaired_examples

RATE = 16000
VALIDATION_FRACTION = 0.02
FILEID = re.compile(r"fileid_(\d+)$")


class DnsChallenge(tfds.core.GeneratorBasedBuilder):
    """DNS Challenge (Interspeech 2020): clean speech, noise, synthetic test set."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Clone https://github.com/microsoft/DNS-Challenge (branch interspeech2020/master,
    with git-lfs) and pass its datasets/ folder as manual_dir. It holds clean/
    and noise/ (wav files) and test_set/synthetic/no_reverb/{clean,noisy}/,
    where noisy/..._fileid_<n>.wav pairs with clean/clean_fileid_<n>.wav.
    """

    def _info(self):
        return noisy_speech_info(
            self, sample_rate=RATE, description=__doc__,
            homepage="https://github.com/microsoft/DNS-Challenge", license="CC-BY-4.0 (see the "
            "challenge's licence notes per source)",
            citation="Reddy, C. K. A. et al. (2020). The INTERSPEECH 2020 Deep Noise Suppression "
                     "Challenge. arXiv:2001.08662.")

    def _split_generators(self, dl_manager):
        root = Path(dl_manager.manual_dir)
        speech = [(p.stem, _reader(p.stem), p) for p in audio_files(root / "clean")]
        noise = audio_files(root / "noise")
        parts = split_by_name(speech, {"validation": VALIDATION_FRACTION})
        test = self._test_pairs(root / "test_set/synthetic/no_reverb")
        return {
            "train": self._generate_examples(
                unpaired_examples(parts["train"], noise, RATE, "dns_challenge/train")),
            "validation": self._generate_examples(
                unpaired_examples(parts["validation"], noise, RATE, "dns_challenge/validation")),
            "test": self._generate_examples(paired_examples(test, RATE, "dns_challenge/test")),
        }

    def _generate_examples(self, examples):
        yield from examples  # made by the shared generators of sources.py

    @staticmethod
    def _test_pairs(folder):
        noisy = {_fileid(p): p for p in audio_files(folder / "noisy")}
        clean = {_fileid(p): p for p in audio_files(folder / "clean")}
        # Ids from both sides, so a file missing from either is reported.
        return [(f"fileid_{i}", "unknown", noisy.get(i, folder / "noisy" / f"*_fileid_{i}.wav"),
                 clean.get(i, folder / "clean" / f"clean_fileid_{i}.wav"))
                for i in sorted(noisy.keys() | clean.keys(), key=int)]


def _fileid(path):
    match = FILEID.search(path.stem)
    return match.group(1) if match else path.stem


def _reader(stem):
    """LibriVox reader id from names like book_00000_chp_0009_reader_06709_0."""
    match = re.search(r"reader_(\d+)", stem)
    return match.group(1) if match else "unknown"
