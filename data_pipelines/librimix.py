"""librimix: Libri1Mix for speech enhancement (Cosentino et al., 2020).

Real read speech (LibriSpeech) mixed with WHAM! noise, made by the user with
the LibriMix scripts. This builder reads the "enh_single" task: mix_single
(noisy), s1 (clean); `noise` is mix_single - s1. Configs: 8k_min, 8k_max,
16k_min, 16k_max (sample rate, and min or max mixture length). Splits:
train_360, train_100 (whichever were generated), validation (LibriMix's dev)
and test.
"""
import csv
import dataclasses
from pathlib import Path

import tensorflow_datasets as tfds

from data_pipelines.audio import AudioError
from data_pipelines.features import RateConfig, noisy_speech_info
from data_pipelines.sources import paired_examples

SPLITS = {"train_360": "train-360", "train_100": "train-100", "validation": "dev",
          "test": "test"}


@dataclasses.dataclass
class LibriMixConfig(RateConfig):
    mode: str = "min"  # mixtures as long as the shorter ("min") or longer ("max") source


class Librimix(tfds.core.GeneratorBasedBuilder):
    """Libri1Mix, enhancement of a single speaker in noise."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [
        LibriMixConfig(name=f"{rate // 1000}k_{mode}", sample_rate=rate, mode=mode,
                       description=f"{rate} Hz, {mode} mode")
        for rate in (16000, 8000) for mode in ("min", "max")
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Generate Libri1Mix with https://github.com/JorisCos/LibriMix (it needs
    LibriSpeech and WHAM! noise), then pass as manual_dir the folder that holds
    Libri1Mix/. This builder reads Libri1Mix/wav{8k,16k}/{min,max}/: the
    metadata/mixture_<split>_mix_single.csv files and the mix_single/ and s1/
    folders of each split.
    """

    def _info(self):
        return noisy_speech_info(
            self, sample_rate=self.builder_config.sample_rate, description=__doc__,
            homepage="https://github.com/JorisCos/LibriMix", license="CC-BY-4.0 (LibriSpeech), "
            "CC-BY-NC-4.0 (WHAM! noise)",
            citation="Cosentino, J. et al. (2020). LibriMix: An open-source dataset for "
                     "generalizable speech separation. arXiv:2005.11262.")

    def _split_generators(self, dl_manager):
        cfg = self.builder_config
        root = Path(dl_manager.manual_dir) / "Libri1Mix" / f"wav{cfg.sample_rate // 1000}k" / cfg.mode
        metadata = {split: root / "metadata" / f"mixture_{folder}_mix_single.csv"
                    for split, folder in SPLITS.items()}
        found = {split: path for split, path in metadata.items() if path.is_file()}
        if not found:
            raise AudioError(f"{root / 'metadata'}: no mixture_<split>_mix_single.csv; is "
                             "manual_dir the folder that holds Libri1Mix/?")
        return {split: self._generate_examples(root, SPLITS[split], path, split)
                for split, path in found.items()}

    def _generate_examples(self, root, folder, metadata, split):
        with open(metadata, newline="") as f:
            rows = list(csv.DictReader(f))
        # Metadata paths are absolute on the machine that generated them; the
        # layout under the split folder is fixed, so only the file name is used.
        pairs = [(row["mixture_ID"], row["mixture_ID"].split("-")[0],
                  root / folder / "mix_single" / Path(row["mixture_path"]).name,
                  root / folder / "s1" / Path(row["source_1_path"]).name) for row in rows]
        yield from paired_examples(pairs, self.builder_config.sample_rate, f"librimix/{split}")
