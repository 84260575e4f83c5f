"""recorded_music: recorded instruments from Debian packages, as training noise.

The embedded corpus's music is synthesized (notes with envelopes and
timbres); music around a voice is played on instruments. This corpus holds
recordings of instruments, trained on beside another corpus
(config.data.extra with speech weight 0: it holds no speech):

    python -m data_pipelines.recorded_music DIR     # apt-get download + unpack, ~140 MB
    python -m data_pipelines.prepare recorded_music --manual_dir DIR

Sources:
  soundfont  FluidR3 GM (fluid-soundfont-gm, MIT): about 900 recorded notes
             of some 130 instruments and drum kits. Each note becomes one
             phrase of PHRASE_SECONDS, as a sampler plays it: the recording
             at the pitches of a random walk on a scale (soxr resampling),
             at a random tempo, some notes as triads, held through the
             soundfont's loop points and released with a short fade.
  sonic_pi   Sonic Pi's samples (sonic-pi-samples; CC0, some CC BY-SA 4.0,
             MIT, zlib): drum hits, loops, bass, guitar, ambience, vinyl, as
             they are (the pipeline loops short clips).
Neither is a package benchmarks/real_recordings.py takes its noise from.
Voices are left out by name (choirs, "vox", "ahh", the robot voices): a
voice in the noise teaches a model to remove voices.

Each phrase or file is one example of noise alone (clean is zero), mono at
the corpus's rate, mean removed, peak 0.9 (as recorded_noises stores its
sounds). Unusable files and notes are skipped with a warning naming them;
a source whose package is not in manual_dir is left out with a warning.
One split, train.
"""
import dataclasses
import logging
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import soxr
import tensorflow_datasets as tfds

from data_pipelines import debian_packages
from data_pipelines.audio import AudioError
from data_pipelines.recorded_noises import (Source, audio_globs, noise_examples, source_clips,
                                            stored_noise)

log = logging.getLogger(__name__)

PHRASE_SECONDS = 6.0
RELEASE_SECONDS = 0.08  # fade at a held note's end, as a sampler's release
MAX_SEMITONES = 7  # of the walk, either side of the recorded pitch
SCALES = ((0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10))  # major, natural minor
SOUNDFONT = "usr/share/sounds/sf2/FluidR3_GM.sf2"
SOUNDFONT_PACKAGE = "fluid-soundfont-gm"
# "Ahh Choir", "Ohh Voices", "Solo Vox", "SynthVz", "mehackit_robot1" (FluidR3's
# "Alto", "Tenor", "Baritone" and "Soprano" notes are its saxophones: kept).
VOICE_NAMES = re.compile(r"(choir|voice|vox|vz|ahh|ohh|robot|burp)", re.IGNORECASE)
SAMPLE_RIGHT = 2  # sfSampleType bit of a stereo pair's right half: the left half is kept
SOURCES = {"sonic_pi": Source(("sonic-pi-samples",), audio_globs("usr/share/sonic-pi/samples"))}
PACKAGES = (SOUNDFONT_PACKAGE,) + tuple(source.packages for source in SOURCES.values())


@dataclasses.dataclass(frozen=True)
class Note:
    """One recorded note of a soundfont: float32 mono at its own rate, with the
    [start, end) of its sustain loop (None for a one-shot sound: a drum hit)."""

    name: str
    audio: np.ndarray
    rate: int
    loop: tuple[int, int] | None


def _chunks(data: bytes, start: int, end: int):
    """(id, offset, size) of the RIFF chunks between start and end."""
    while start + 8 <= end:
        chunk_id, size = struct.unpack_from("<4sI", data, start)
        yield chunk_id, start + 8, size
        start += 8 + size + (size & 1)


def soundfont_notes(path: Path) -> list[Note]:
    """The notes of a SoundFont 2 file (its sample headers over its 16-bit
    sample data), less right channels and voices; `path` named in any error."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise AudioError(f"{path}: not a SoundFont 2 file")
    found = {}
    for chunk_id, offset, size in _chunks(data, 12, len(data)):
        if chunk_id == b"LIST":
            found.update((sub, (o, s)) for sub, o, s in _chunks(data, offset + 4, offset + size))
    if b"smpl" not in found or b"shdr" not in found:
        raise AudioError(f"{path}: no sample data or sample headers")
    offset, size = found[b"smpl"]
    pcm = np.frombuffer(data, "<i2", size // 2, offset)
    offset, size = found[b"shdr"]
    notes = []
    for i in range(size // 46 - 1):  # the last header is the terminal "EOS"
        (name, start, end, loop_start, loop_end, rate, _, _, _, kind) = struct.unpack_from(
            "<20sIIIIIBbHH", data, offset + 46 * i)
        name = name.split(b"\0")[0].decode("latin-1").strip()
        if kind & SAMPLE_RIGHT or VOICE_NAMES.search(name):
            continue
        if not 0 <= start < end <= pcm.size or rate <= 0:
            log.warning("recorded_music: %s: note %r skipped: its header points outside "
                        "the sample data", path, name)
            continue
        loop = (loop_start - start, loop_end - start)
        looped = 0 <= loop[0] and loop[0] + 32 <= loop[1] <= end - start
        notes.append(Note(name, pcm[start:end].astype(np.float32) / 32768, rate,
                          loop if looped else None))
    return notes


def play(note: Note, semitones: float, seconds: float, rate: int) -> np.ndarray:
    """The note `semitones` above its recorded pitch, held for `seconds` (through
    its loop) or, for a one-shot sound, as long as it lasts, at `rate` Hz."""
    ratio = 2.0 ** (semitones / 12)
    needed = int(seconds * note.rate * ratio) + 1
    audio = note.audio
    if note.loop is not None and needed > note.loop[1]:
        head, cycle = audio[:note.loop[1]], audio[note.loop[0]:note.loop[1]]
        repeats = -(-(needed - head.size) // cycle.size)
        audio = np.concatenate([head, np.tile(cycle, repeats)])
    audio = audio[:needed]
    # Played ratio times faster: the recording as if taken at rate * ratio.
    out = soxr.resample(audio, note.rate * ratio, rate, quality="HQ").astype(np.float32)
    out = out[:int(seconds * rate)]
    fade = min(out.size, int(RELEASE_SECONDS * rate))
    out[out.size - fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return out


def phrase(note: Note, rate: int, rng: np.random.Generator,
           seconds: float = PHRASE_SECONDS) -> np.ndarray:
    """PHRASE_SECONDS of the note played as a tune: on each beat of a random
    tempo, most often a note of a random walk on a scale, sometimes a triad,
    held one to four beats at a random loudness."""
    out = np.zeros(int(seconds * rate), np.float32)
    scale = SCALES[rng.integers(len(SCALES))]
    steps = [s + 12 * octave for octave in (-1, 0, 1) for s in scale]
    steps = [s for s in steps if abs(s) <= MAX_SEMITONES]
    degree = steps.index(0)
    beat = rng.uniform(0.12, 0.5)
    for onset in np.arange(0.0, seconds, beat):
        if rng.random() > 0.75:
            continue  # a rest
        degree = int(np.clip(degree + rng.integers(-2, 3), 0, len(steps) - 1))
        chord = (0, 2, 4) if rng.random() < 0.3 else (0,)
        held = beat * rng.integers(1, 5)
        loudness = rng.uniform(0.3, 1.0)
        first = int(onset * rate)
        for offset in chord:
            semitones = steps[min(degree + offset, len(steps) - 1)]
            sound = play(note, semitones, held, rate)[:out.size - first]
            out[first:first + sound.size] += loudness * sound
    return out


class RecordedMusic(debian_packages.PackagedCorpus):
    """Recorded instruments (noise only) from Debian packages."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "FluidR3 GM's notes as phrases; Sonic Pi's samples."}

    def examples(self, root, rate):
        return noise_examples("recorded_music", root, self._sounds(root, rate))

    def _sounds(self, root, rate):
        """(file_id, source name, audio) of every usable phrase and file."""
        if debian_packages.unpacked(root, SOUNDFONT_PACKAGE):
            try:
                notes = soundfont_notes(root / SOUNDFONT)
            except (AudioError, OSError) as err:
                log.warning("recorded_music: soundfont left out: %s", err)
                notes = []
            for index, note in enumerate(notes):
                file_id = f"soundfont/{index:04d}_{note.name}"
                # Seeded by the note, so a rebuild makes the same phrases.
                rng = np.random.default_rng(zlib.crc32(file_id.encode()))
                try:
                    audio = stored_noise(phrase(note, rate, rng), rate, file_id)
                except AudioError as err:
                    log.warning("recorded_music: skipped: %s", err)
                    continue
                yield file_id, "soundfont", audio
        else:
            log.warning("recorded_music: soundfont left out: %s is not unpacked under %s",
                        SOUNDFONT_PACKAGE, root)
        yield from source_clips("recorded_music", root, SOURCES, rate, VOICE_NAMES)


if __name__ == "__main__":
    debian_packages.fetch_main("recorded_music", PACKAGES)
