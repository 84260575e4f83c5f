"""recorded_noises: recorded sounds from Debian packages, as training noise.

The embedded corpus's noises are made from seeds; the sounds people hear
around a voice were recorded. This corpus holds sounds recorded (or built
from recordings) for free games and desktops in the Debian archive: foley
(weapons, footsteps, doors, machines, fire, water), ambience (birds, wind,
rain, a city), animals, alerts and game music. It is trained on beside
another corpus (config.data.extra with speech weight 0: it holds no speech):

    python -m data_pipelines.recorded_noises DIR     # apt-get download + unpack, ~700 MB
    python -m data_pipelines.prepare recorded_noises --manual_dir DIR

Sources (SOURCES: packages, files, licence): Battle for Wesnoth (GPL-2+),
MegaGlest (CC BY-SA 3.0), Hedgewars (GPL-2 and others), LinCity-NG
(GPL-2+), Scorched3D (GPL-2+, CC BY-SA 3.0), SuperTux (GPL-2+/3+, CC BY-SA),
Frozen Bubble (GPL-2), the freedesktop sound theme (GPL-2+, CC BY(-SA)
3.0). None is a package benchmarks/real_recordings.py takes its noise from.
Files whose names say they hold a voice (a unit's acknowledgement, a
countdown, speech) are left out: a voice in the noise teaches a model to
remove voices.

Each file becomes one example of noise alone (clean is zero): mono at the
corpus's rate, its mean removed, at most MAX_SECONDS, scaled to a peak of
0.9 (the pipeline sets every level anew). Files that cannot be read or are
silent are skipped with a warning naming them; a source none of whose
packages is in manual_dir is left out with a warning. One split, train.
"""
import dataclasses
import logging
import re
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from data_pipelines import debian_packages
from data_pipelines.audio import AudioError, example, read_audio

log = logging.getLogger(__name__)

MAX_SECONDS = 60.0  # of one file: music tracks would outweigh everything else
MIN_SECONDS = 0.1  # a knock or a click is noise too; the pipeline loops short clips
SILENT_RMS = 1e-3
AUDIO = ("ogg", "wav", "oga", "flac")
# Word starts only: "warrior_ack1" and "voices/" hold voices, "attack" and "track" need not.
VOICE_NAMES = re.compile(r"(?<![a-z])(ack|select|voice|speech|talk|hello|yes|countdown)",
                         re.IGNORECASE)
GAMES = "usr/share/games"


@dataclasses.dataclass(frozen=True)
class Source:
    packages: tuple  # alternatives, newest first: names change between releases
    patterns: tuple  # globs under the unpacked packages
    skip: str = ""  # a regex: files whose path under the root it finds are left out


def audio_globs(*folders):
    return tuple(f"{folder}/*.{ext}" for folder in folders for ext in AUDIO)


SOURCES = {
    "wesnoth": Source(("wesnoth-1.18-data", "wesnoth-1.16-data"),
                      audio_globs(f"{GAMES}/wesnoth/*/data/core/sounds",
                             f"{GAMES}/wesnoth/*/data/core/sounds/*")),
    "megaglest": Source(("megaglest-data",),
                        audio_globs(f"{GAMES}/megaglest/tilesets/*/sounds",
                               f"{GAMES}/megaglest/data/core/water_sounds",
                               f"{GAMES}/megaglest/techs/**/sounds")),
    "hedgewars": Source(("hedgewars-data",),
                        audio_globs(f"{GAMES}/hedgewars/Data/Sounds", f"{GAMES}/hedgewars/Data/Music")),
    "lincity": Source(("lincity-ng-data",),
                      audio_globs(f"{GAMES}/lincity-ng/sounds", f"{GAMES}/lincity-ng/music")),
    "scorched3d": Source(("scorched3d-data",), audio_globs(f"{GAMES}/scorched3d/data/**")),
    "supertux": Source(("supertux-data",),
                       audio_globs(f"{GAMES}/supertux2/sounds", f"{GAMES}/supertux2/music/**")),
    "frozen_bubble": Source(("frozen-bubble-data",), audio_globs(f"{GAMES}/frozen-bubble/snd")),
    "freedesktop": Source(("sound-theme-freedesktop",),
                          audio_globs("usr/share/sounds/freedesktop/stereo")),
}
PACKAGES = tuple(source.packages for source in SOURCES.values())  # alternatives each


def source_files(root: Path, source: Source) -> list[Path]:
    """The source's audio files under root, sorted, less those named as voices
    and those its `skip` finds."""
    files = {path for pattern in source.patterns for path in root.glob(pattern) if path.is_file()}
    skip = re.compile(source.skip) if source.skip else None
    return sorted(path for path in files
                  if not VOICE_NAMES.search(path.name) and not VOICE_NAMES.search(path.parent.name)
                  and not (skip and skip.search(str(path.relative_to(root)))))


def noise_clip(path: Path, rate: int) -> np.ndarray:
    """The file as a stored noise: mono, at most MAX_SECONDS, as `stored_noise`."""
    return stored_noise(read_audio(path, rate)[:int(MAX_SECONDS * rate)], rate, path)


def stored_noise(audio: np.ndarray, rate: int, name) -> np.ndarray:
    """`audio` as the noise corpora store it: mean removed, peak 0.9. AudioError
    naming `name` when it is shorter than MIN_SECONDS or silent."""
    audio = audio - audio.mean()
    if audio.size < MIN_SECONDS * rate:
        raise AudioError(f"{name}: shorter than {MIN_SECONDS} s")
    if np.sqrt(np.mean(audio.astype(np.float64) ** 2)) < SILENT_RMS:
        raise AudioError(f"{name}: silent (RMS below {SILENT_RMS})")
    return audio * (0.9 / np.abs(audio).max())


def source_clips(corpus: str, root: Path, sources: dict, rate: int, voices=VOICE_NAMES):
    """(file_id, source name, noise_clip) of every usable file of `sources` under
    root, less those `voices` names; what is left out is logged under `corpus`."""
    for name, source in sources.items():
        if not any(debian_packages.unpacked(root, p) for p in source.packages):
            log.warning("%s: %s left out: none of %s is unpacked under %s",
                        corpus, name, source.packages, root)
            continue
        for path in source_files(root, source):
            if voices.search(path.name):
                continue
            try:
                yield f"{name}/{path.relative_to(root)}", name, noise_clip(path, rate)
            except AudioError as err:
                log.warning("%s: skipped: %s", corpus, err)


def noise_examples(corpus: str, root: Path, clips):
    """(key, example) of each (file_id, source name, audio) of `clips`, as noise
    alone (clean is zero); an AudioError naming `corpus` if there is none."""
    kept = 0
    for file_id, name, noise in clips:
        kept += 1
        yield file_id, example(noise, np.zeros_like(noise), name, file_id)
    if not kept:
        raise AudioError(f"{corpus}: no usable sound under {root}; "
                         f"run python -m data_pipelines.{corpus} on its folder")


class RecordedNoises(debian_packages.PackagedCorpus):
    """Recorded sounds (noise only) from Debian packages."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Sounds of seven games and the freedesktop sound theme."}

    def examples(self, root, rate):
        return noise_examples("recorded_noises", root,
                              source_clips("recorded_noises", root, SOURCES, rate))


if __name__ == "__main__":
    debian_packages.fetch_main("recorded_noises", PACKAGES, missing_ok=True)
