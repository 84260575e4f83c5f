"""voicebank_demand: the noisy VoiceBank corpus of Valentini-Botinhao et al. (2017).

Real read speech (VCTK speakers) mixed with DEMAND and synthetic noises at
several SNRs; 11,572 training utterances from 28 speakers and 824 test
utterances from 2 others, published at 48 kHz. Configs: `16k` (default,
resampled with soxr) and `48k` (as published). Splits: train (26 speakers),
validation (p286 and p287, held out of the published training set) and test
(as published). `noise` is noisy - clean.
"""
from pathlib import Path

import tensorflow_datasets as tfds

from data_pipelines.features import RateConfig, noisy_speech_info
from data_pipelines.sources import audio_files, paired_examples

VALIDATION_SPEAKERS = ("p286", "p287")
FOLDERS = {  # split -> (clean folder, noisy folder), as the zip files unpack
    "train": ("clean_trainset_28spk_wav", "noisy_trainset_28spk_wav"),
    "test": ("clean_testset_wav", "noisy_testset_wav"),
}


class VoicebankDemand(tfds.core.GeneratorBasedBuilder):
    """Noisy speech database for speech enhancement (VoiceBank-DEMAND)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [
        RateConfig(name="16k", sample_rate=16000, description="resampled to 16 kHz"),
        RateConfig(name="48k", sample_rate=48000, description="as published"),
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Download from https://datashare.ed.ac.uk/handle/10283/2791 the four zip files
    clean_trainset_28spk_wav.zip, noisy_trainset_28spk_wav.zip,
    clean_testset_wav.zip and noisy_testset_wav.zip, unzip them all into one
    folder and pass it as manual_dir. It then holds the four folders
    clean_trainset_28spk_wav/, noisy_trainset_28spk_wav/, clean_testset_wav/
    and noisy_testset_wav/, each with files like p226_001.wav.
    """

    def _info(self):
        return noisy_speech_info(
            self, sample_rate=self.builder_config.sample_rate, description=__doc__,
            homepage="https://datashare.ed.ac.uk/handle/10283/2791", license="CC-BY-4.0",
            citation="Valentini-Botinhao, C. et al. (2017). Noisy speech database for training "
                     "speech enhancement algorithms and TTS models. University of Edinburgh.")

    def _split_generators(self, dl_manager):
        root = Path(dl_manager.manual_dir)
        train = self._pairs(root, "train")
        return {
            "train": self._generate_examples(
                [p for p in train if p[1] not in VALIDATION_SPEAKERS], "train"),
            "validation": self._generate_examples(
                [p for p in train if p[1] in VALIDATION_SPEAKERS], "validation"),
            "test": self._generate_examples(self._pairs(root, "test"), "test"),
        }

    @staticmethod
    def _pairs(root, split):
        clean_dir, noisy_dir = (root / folder for folder in FOLDERS[split])
        # Names from both folders, so a file missing from either is reported.
        names = sorted({p.name for p in audio_files(clean_dir) + audio_files(noisy_dir)})
        return [(Path(n).stem, n.split("_")[0], noisy_dir / n, clean_dir / n) for n in names]

    def _generate_examples(self, pairs, split):
        yield from paired_examples(pairs, self.builder_config.sample_rate,
                                   f"voicebank_demand/{split}")
