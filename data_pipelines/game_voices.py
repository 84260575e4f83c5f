"""game_voices: a free adventure game's cast, as training speech.

recorded_voices holds 20 voices reading prompts and letters; a talkie game
holds dozens of actors playing characters, men and women, young and old,
calm and shouting. Flight of the Amazon Queen (1995, John Passfield and
Steve Stamatiadis; freeware: free to copy, not to sell; Debian package
flight-of-the-amazon-queen, 35 MB) ships its CD version for ScummVM: 6,745
spoken lines, about 4 hours, recorded at 11,025 Hz (so nothing above
5.5 kHz) and kept as MP3 inside one archive, queen.1c:

    python -m data_pipelines.game_voices DIR      # apt-get download + unpack
    python -m data_pipelines.prepare game_voices --manual_dir DIR

Trained on beside another corpus's speech, like recorded_voices
(config.data.extra, noise weight 0). The lines are joined into utterances
as recorded_voices joins its clips (mean and silent ends trimmed, an order
fixed by a seed, 0.1-0.3 s pauses, at least 3 s, -25 dBFS RMS); lines
follow each other in that shuffled order, so one utterance may hold two
characters. One split, train. A line that cannot be decoded is skipped with
a warning naming it; an archive that is not ScummVM's compressed queen.1c is
an error naming it.
"""
import io
import logging
import struct
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf
import tensorflow_datasets as tfds

from data_pipelines import debian_packages
from data_pipelines.audio import AudioError, example, resample
from data_pipelines.recorded_voices import trimmed, utterances

log = logging.getLogger(__name__)

# name: (package, archive under the unpacked packages, speaker label)
GAMES = {"fotaq": ("flight-of-the-amazon-queen",
                   "usr/share/scummvm/flight-of-the-amazon-queen/queen.1c", "fotaq_cast")}
PACKAGES = tuple(package for package, _, _ in GAMES.values())

# ScummVM's compressed queen.1c: b"QTBL", a 6-byte version, 2 bytes, the
# codec, the number of entries; then per entry a 12-byte name (NUL-padded),
# a bundle byte, its offset and its size. Integers are big-endian.
QUEEN_HEADER = struct.Struct(">4s6s2xBH")
QUEEN_ENTRY = struct.Struct(">12sBII")
QUEEN_CODECS = {1: "MP3", 2: "OGG", 3: "FLAC"}
SPEECH_SUFFIX = ".SB"


def queen_speech(path: Path) -> list[tuple[str, int, int]]:
    """(name, offset, size) of every spoken line (.SB entry) in a compressed
    queen.1c; an AudioError naming `path` if it is not one."""
    with open(path, "rb") as archive:
        header = archive.read(QUEEN_HEADER.size)
        if len(header) < QUEEN_HEADER.size:
            raise AudioError(f"{path}: too short for a queen.1c table")
        tag, _, codec, count = QUEEN_HEADER.unpack(header)
        if tag != b"QTBL" or codec not in QUEEN_CODECS:
            raise AudioError(f"{path}: not a compressed queen.1c (tag {tag!r}, codec {codec}; "
                             f"readable codecs: {QUEEN_CODECS})")
        table = archive.read(count * QUEEN_ENTRY.size)
    if len(table) < count * QUEEN_ENTRY.size:
        raise AudioError(f"{path}: its table of {count} entries is cut short")
    lines = []
    for raw_name, _, offset, size in QUEEN_ENTRY.iter_unpack(table):
        name = raw_name.split(b"\0")[0].decode("ascii", "replace")
        if name.endswith(SPEECH_SUFFIX):
            lines.append((name, offset, size))
    return lines


def read_line(path: Path, offset: int, size: int, rate: int) -> np.ndarray:
    """One line's samples, mono float32 at `rate`."""
    with open(path, "rb") as archive:
        archive.seek(offset)
        data = archive.read(size)
    if len(data) < size:
        raise AudioError(f"ends past the archive's end ({offset} + {size})")
    try:
        audio, line_rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(f"not readable audio ({err})") from err
    if audio.shape[0] == 0 or not np.all(np.isfinite(audio)):
        raise AudioError("holds no samples, or NaN")
    return resample(audio.mean(axis=1), line_rate, rate)


def clips(path: Path, rate: int):
    """The archive's readable lines, trimmed, in an order fixed by their names."""
    lines = sorted(queen_speech(path), key=lambda line: zlib.crc32(line[0].encode()))
    for name, offset, size in lines:
        try:
            yield trimmed(read_line(path, offset, size, rate), rate)
        except AudioError as err:
            log.warning("game_voices: skipped: %s:%s: %s", path, name, err)


class GameVoices(debian_packages.PackagedCorpus):
    """Voice actors' lines (speech only) from free games in the Debian archive."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Flight of the Amazon Queen's cast."}

    def examples(self, root, rate):
        kept = 0
        for name, (package, archive, speaker) in GAMES.items():
            if not debian_packages.unpacked(root, package):
                log.warning("game_voices: %s left out: %s is not unpacked under %s", name,
                            package, root)
                continue
            for file_id, speech in utterances(name, clips(Path(root) / archive, rate), rate):
                kept += 1
                yield file_id, example(speech, speech, speaker, file_id)
        if not kept:
            raise AudioError(f"game_voices: no game under {root} makes an utterance; "
                             "run python -m data_pipelines.game_voices on its folder")


if __name__ == "__main__":
    debian_packages.fetch_main("game_voices", PACKAGES)
