"""librimix: LibriMix (Cosentino et al., 2020), for enhancement or separation.

Real read speech (LibriSpeech) mixed with WHAM! noise, made by the user with
the LibriMix scripts. Two tasks, each at 8k/16k and min/max mixture length:

    enh_single  Libri1Mix: mix_single (noisy), s1 (clean); noise = mix - s1.
                Configs 16k_min (default), 16k_max, 8k_min, 8k_max.
    sep_clean   Libri2Mix: mix_clean (noisy), s1 (clean) and, in the noise
                field, mix - s1 = speaker 2. Configs sep_clean_8k_min, ...
                Train with a permutation-invariant loss; the training pipeline
                then remixes random speaker pairs at a random relative level.

Splits: train_360, train_100 (whichever were generated), validation
(LibriMix's dev) and test.
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
    task: str = "enh_single"  # or "sep_clean"


# task -> (LibriMix folder, mixture subfolder and metadata suffix)
TASKS = {"enh_single": ("Libri1Mix", "mix_single"), "sep_clean": ("Libri2Mix", "mix_clean")}


class Librimix(tfds.core.GeneratorBasedBuilder):
    """LibriMix: one speaker in noise, or two speakers."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [
        LibriMixConfig(name=f"{'' if task == 'enh_single' else task + '_'}{rate // 1000}k_{mode}",
                       sample_rate=rate, mode=mode, task=task,
                       description=f"{task}, {rate} Hz, {mode} mode")
        for task in TASKS for rate in (16000, 8000) for mode in ("min", "max")
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Generate LibriMix with https://github.com/JorisCos/LibriMix (it needs
    LibriSpeech and WHAM! noise), then pass as manual_dir the folder that holds
    Libri1Mix/ (enh_single) or Libri2Mix/ (sep_clean). This builder reads
    Libri1Mix/wav{8k,16k}/{min,max}/: metadata/mixture_<split>_mix_single.csv
    and the mix_single/ and s1/ folders of each split; for sep_clean the same
    under Libri2Mix/ with mix_clean.
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
        corpus, mixture = TASKS[cfg.task]
        root = Path(dl_manager.manual_dir) / corpus / f"wav{cfg.sample_rate // 1000}k" / cfg.mode
        metadata = {split: root / "metadata" / f"mixture_{folder}_{mixture}.csv"
                    for split, folder in SPLITS.items()}
        found = {split: path for split, path in metadata.items() if path.is_file()}
        if not found:
            raise AudioError(f"{root / 'metadata'}: no mixture_<split>_{mixture}.csv; is "
                             f"manual_dir the folder that holds {corpus}/?")
        return {split: self._generate_examples(root, SPLITS[split], mixture, path, split)
                for split, path in found.items()}

    def _generate_examples(self, root, folder, mixture, metadata, split):
        with open(metadata, newline="") as f:
            rows = list(csv.DictReader(f))
        # Metadata paths are absolute on the machine that generated them; the
        # layout under the split folder is fixed, so only the file name is used.
        pairs = [(row["mixture_ID"], row["mixture_ID"].split("-")[0],
                  root / folder / mixture / Path(row["mixture_path"]).name,
                  root / folder / "s1" / Path(row["source_1_path"]).name) for row in rows]
        yield from paired_examples(pairs, self.builder_config.sample_rate, f"librimix/{split}")
