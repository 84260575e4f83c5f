"""noisy_folders: a folder of clean speech and a folder of noise, a user's own data.

manual_dir holds clean/ and noise/, each with wav or flac files at any depth,
any sample rate (resampled with soxr) and any number of channels (averaged).
Splits: validation and test hold 10% of the clean files each (at least one),
chosen by a hash of their names, and train the rest; each utterance carries a noise clip for the training pipeline to
remix. Configs set the sample rate: 16k (default) or 8k. Use one data_dir
per pair of folders: tfds caches a built dataset by name, config and version
(data_pipelines.prepare refuses a build whose folders changed since).
"""
from pathlib import Path

import tensorflow_datasets as tfds

from data_pipelines.features import RateConfig, noisy_speech_info
from data_pipelines.sources import audio_files, split_by_name, unpaired_examples

HELD_OUT = {"validation": 0.1, "test": 0.1}  # the rest is train


class NoisyFolders(tfds.core.GeneratorBasedBuilder):
    """Clean speech and noise from two folders of the user's."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [RateConfig(name="16k", sample_rate=16000),
                       RateConfig(name="8k", sample_rate=8000)]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Pass as manual_dir a folder holding clean/ (speech) and noise/ (noise), with
    .wav or .flac files in them or in their subfolders. A file's first folder
    under clean/ is taken as its speaker.
    """

    def _info(self):
        return noisy_speech_info(self, sample_rate=self.builder_config.sample_rate,
                                 description=__doc__)

    def _split_generators(self, dl_manager):
        root = Path(dl_manager.manual_dir)
        clean_dir = root / "clean"
        speech = [("/".join(p.relative_to(clean_dir).with_suffix("").parts),
                   p.relative_to(clean_dir).parts[0] if p.parent != clean_dir else "unknown", p)
                  for p in audio_files(clean_dir)]
        noise = audio_files(root / "noise")
        rate = self.builder_config.sample_rate
        return {split: self._generate_examples(unpaired_examples(
                    items, noise, rate, f"noisy_folders/{split}"))
                for split, items in split_by_name(speech, HELD_OUT).items()}

    def _generate_examples(self, examples):
        yield from examples  # made by the shared generators of sources.py
