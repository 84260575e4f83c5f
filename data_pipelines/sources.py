"""Turning corpus files into examples, for every builder.

Corpora come in two shapes: noisy/clean pairs recorded or mixed together
(VoiceBank-DEMAND, LibriMix, DNS test sets), and separate folders of clean
speech and of noise (DNS training data, a user's own folders). Both become
the same examples (audio.example). A file that cannot be used (missing
partner, unreadable, empty, NaN) is skipped with a warning that names it, and
each split ends with a count of what was skipped; a split with nothing usable
is an error.
"""
import logging
import zlib
from pathlib import Path

import numpy as np

from data_pipelines.audio import INT16_SCALE, AudioError, example, read_audio

log = logging.getLogger(__name__)
AUDIO_SUFFIXES = (".wav", ".flac")


def audio_files(folder) -> list[Path]:
    """Every wav/flac file under `folder`, sorted; an error if there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AudioError(f"{folder}: no such folder")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise AudioError(f"{folder}: holds no .wav or .flac files")
    return files


def split_by_name(items, held_out: dict[str, float], rest: str = "train") -> dict:
    """Split (file_id, ...) tuples into fixed parts chosen by a hash of file_id.

    Items are ranked by the hash; each held-out split takes its fraction of
    them (at least one) in turn, and `rest` takes what is left. The choice
    depends on names alone, so it survives re-downloads and reordering.
    """
    ranked = sorted(items, key=lambda item: zlib.crc32(item[0].encode()))
    parts, start = {}, 0
    for split, fraction in held_out.items():
        size = max(1, round(fraction * len(ranked)))
        parts[split], start = ranked[start:start + size], start + size
    parts[rest] = ranked[start:]
    return parts


class _Tally:
    def __init__(self, what):
        self.what, self.kept, self.skipped = what, 0, 0

    def skip(self, err):
        self.skipped += 1
        log.warning("%s: skipped: %s", self.what, err)

    def close(self):
        if self.skipped:
            log.warning("%s: skipped %d of %d examples", self.what, self.skipped,
                        self.kept + self.skipped)
        if not self.kept:
            raise AudioError(f"{self.what}: no usable examples")


def paired_examples(pairs, rate: int, what: str):
    """(key, example) from (file_id, speaker, noisy_path, clean_path) tuples."""
    tally = _Tally(what)
    for file_id, speaker, noisy_path, clean_path in pairs:
        try:
            for path, partner in ((noisy_path, clean_path), (clean_path, noisy_path)):
                if not Path(path).is_file():
                    raise AudioError(f"{path}: missing; it is the partner of {partner}")
            ex = example(read_audio(noisy_path, rate), read_audio(clean_path, rate), speaker,
                         file_id)
        except AudioError as err:
            tally.skip(err)
            continue
        tally.kept += 1
        yield file_id, ex
    tally.close()


def unpaired_examples(speech, noise_paths, rate: int, what: str):
    """(key, example) from (file_id, speaker, clean_path) tuples and noise files.

    Each utterance gets a noise file and a start in it, both fixed by its
    file_id (an unusable noise file, unreadable or silent, is left out once,
    logged, and the next one taken); the noise is looped to the utterance's
    length and added at its own level. The training pipeline re-pairs speech and noise at random SNRs
    anyway: this pairing only gives every example a noise to carry.
    """
    tally = _Tally(what)
    unusable = set()

    def noise_from(key):
        for step in range(len(noise_paths)):
            path = noise_paths[(key + step) % len(noise_paths)]
            if path in unusable:
                continue
            try:
                noise = read_audio(path, rate)
                if np.abs(noise).max() < 1 / INT16_SCALE:
                    raise AudioError(f"{path}: silent (no sample reaches one 16-bit step)")
                return noise
            except AudioError as err:
                unusable.add(path)
                log.warning("%s: noise file left out: %s", what, err)
        raise AudioError(f"{what}: none of the {len(noise_paths)} noise files is usable")

    for file_id, speaker, clean_path in speech:
        key = zlib.crc32(file_id.encode())
        try:
            clean = read_audio(clean_path, rate)
        except AudioError as err:
            tally.skip(err)
            continue
        noise = np.roll(np.resize(noise_from(key), len(clean)), key % len(clean))
        tally.kept += 1
        yield file_id, example(clean + noise, clean, speaker, file_id)
    tally.close()
