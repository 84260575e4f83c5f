"""recorded_voices: people's recorded voices from Debian packages, as training speech.

Synthesized voices teach a model synthesized speech. This corpus holds
speech that people recorded, in free packages of the Debian archive, to be
trained on beside another corpus's speech (config.data.extra, with noise
weight 0: it holds no noise):

    python -m data_pipelines.recorded_voices DIR      # apt-get download + unpack, ~95 MB
    python -m data_pipelines.prepare recorded_voices --manual_dir DIR

Voices (VOICES):
  asterisk-core-sounds-{en,es,fr,it,ru}-g722: Asterisk's telephone prompts,
    studio recordings at 16 kHz in G.722 (decoded by PyPI's public-domain
    G722 package: pip install 'tasnet-jax[recorded]'): Allison Smith
    (English and Spanish; CC BY-SA 3.0), June Wallack (Canadian French; CC
    BY-SA 3.0), Carlo Flora (Italian; CC BY 3.0), Maxim Topal / ivrvoice.ru
    (Russian; CC BY 3.0). Recorded by Allison Smith (theivrvoice.com), June
    Wallack (junewallack.com), Carlo Flora and IVRvoice.ru; financial
    contributions by Digium, Inc.
  klettres-data: KDE's KLettres, letters and syllables read by a native
    speaker of each language at 44.1 kHz (GPL-2+). English, German and
    Ukrainian are left out: KDE's KTuberling speaks those in
    benchmarks/real_recordings.py, perhaps with the same people; so is Low
    German, whose recordings carry a hiss 25 dB below the voice.

Each voice's clips lose their mean and their leading and trailing silence,
are shuffled by a fixed seed and joined with 0.1-0.3 s pauses into
utterances of at least UTTERANCE_SECONDS, each at -25 dBFS RMS. One split,
train. A clip that cannot be read is skipped with a warning naming it; a
voice whose package is not in manual_dir is left out with a warning.
"""
import dataclasses
import logging
import zlib
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from data_pipelines import debian_packages
from data_pipelines.audio import AudioError, example, read_audio, resample

log = logging.getLogger(__name__)

UTTERANCE_SECONDS = 3.0
PAUSE_SECONDS = (0.1, 0.3)
LEVEL_DBFS = -25.0
SILENCE_DB = -40.0  # below the clip's loudest 10 ms, a frame counts as silence
ASTERISK = "usr/share/asterisk/sounds"
KLETTRES = "usr/share/klettres"


@dataclasses.dataclass(frozen=True)
class Voice:
    package: str
    pattern: str  # glob under the unpacked packages
    speaker: str


VOICES = {
    "asterisk_en": Voice("asterisk-core-sounds-en-g722", f"{ASTERISK}/en_US_f_Allison/**/*.g722",
                         "allison_smith"),
    "asterisk_es": Voice("asterisk-core-sounds-es-g722", f"{ASTERISK}/es_MX_f_Allison/**/*.g722",
                         "allison_smith"),
    "asterisk_fr": Voice("asterisk-core-sounds-fr-g722", f"{ASTERISK}/fr_CA_f_June/**/*.g722",
                         "june_wallack"),
    "asterisk_it": Voice("asterisk-core-sounds-it-g722", f"{ASTERISK}/it_IT_m_Carlo/**/*.g722",
                         "carlo_flora"),
    "asterisk_ru": Voice("asterisk-core-sounds-ru-g722",
                         f"{ASTERISK}/ru_RU_f_IvrvoiceRU/**/*.g722", "ivrvoice_ru"),
    **{f"klettres_{lang}": Voice("klettres-data", f"{KLETTRES}/{lang}/*/*.ogg", f"klettres_{lang}")
       for lang in ("ar", "cs", "da", "es", "fr", "he", "hu", "it", "lt", "ml", "nb", "nl",
                    "pt_BR", "ru", "tn")},
}
PACKAGES = tuple(dict.fromkeys(voice.package for voice in VOICES.values()))
G722_RATE = 16000


def read_g722(path, rate: int) -> np.ndarray:
    """Float32 samples at `rate` of a raw 64 kbit/s G.722 file (16 kHz)."""
    try:
        import G722
    except ImportError as err:
        raise ImportError("reading .g722 files needs the G722 package: "
                          "pip install 'tasnet-jax[recorded]'") from err
    data = Path(path).read_bytes()
    if not data:
        raise AudioError(f"{path}: holds no samples")
    audio = np.asarray(G722.G722(G722_RATE, 64000).decode(data), np.float32) / 32768
    return resample(audio, G722_RATE, rate)


def trimmed(audio: np.ndarray, rate: int) -> np.ndarray:
    """`audio` less its mean, from its first to its last 10 ms frame within
    SILENCE_DB of its loudest; an error if nothing is left."""
    audio = audio - audio.mean()
    frame = rate // 100
    frames = audio[:audio.size // frame * frame].reshape(-1, frame)
    power = np.mean(frames.astype(np.float64) ** 2, axis=1)
    if power.size == 0 or power.max() == 0:
        raise AudioError("silent")
    loud = np.flatnonzero(power >= power.max() * 10 ** (SILENCE_DB / 10))
    return audio[loud[0] * frame:(loud[-1] + 1) * frame]


def clips(root: Path, voice: Voice, rate: int):
    """The voice's readable clips, trimmed, in an order fixed by their names."""
    paths = sorted(root.glob(voice.pattern),
                   key=lambda p: zlib.crc32(str(p.relative_to(root)).encode()))
    for path in paths:
        try:
            audio = read_g722(path, rate) if path.suffix == ".g722" else read_audio(path, rate)
            if not np.all(np.isfinite(audio)):
                raise AudioError("holds NaN or infinite samples")
            yield trimmed(audio, rate)
        except AudioError as err:
            log.warning("recorded_voices: skipped: %s", err if str(path) in str(err)
                        else f"{path}: {err}")


def utterances(name: str, clips, rate: int):
    """(file_id, samples) of each utterance that `clips` (trimmed, at `rate`)
    make, joined in their order with pauses drawn from a generator seeded by
    `name`; the clips left over at the end, too few for one, are dropped."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    parts, length, count = [], 0, 0
    for clip in clips:
        if parts:
            pause = np.zeros(int(rng.uniform(*PAUSE_SECONDS) * rate), np.float32)
            parts.append(pause)
            length += pause.size
        parts.append(clip)
        length += clip.size
        if length >= UTTERANCE_SECONDS * rate:
            speech = np.concatenate(parts)
            speech *= 10 ** (LEVEL_DBFS / 20) / np.sqrt(np.mean(speech.astype(np.float64) ** 2))
            yield f"{name}_{count:04d}", speech
            parts, length, count = [], 0, count + 1


class RecordedVoices(debian_packages.PackagedCorpus):
    """Recorded human voices (speech only) from Debian packages."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Asterisk's G.722 prompts and KLettres' letters and syllables."}

    def examples(self, root, rate):
        kept = 0
        for name, voice in VOICES.items():
            if not debian_packages.unpacked(root, voice.package):
                log.warning("recorded_voices: %s left out: %s is not unpacked under %s", name,
                            voice.package, root)
                continue
            for file_id, speech in utterances(name, clips(root, voice, rate), rate):
                kept += 1
                yield file_id, example(speech, speech, voice.speaker, file_id)
        if not kept:
            raise AudioError(f"recorded_voices: no voice under {root} makes an utterance; "
                             "run python -m data_pipelines.recorded_voices on its folder")


if __name__ == "__main__":
    debian_packages.fetch_main("recorded_voices", PACKAGES)
