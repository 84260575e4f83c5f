"""Does a model denoise real people in real noise? Scores per noise kind and SNR.

    python benchmarks/real_recordings.py runs/quickstart [runs/other ...] [--json out.json]

Builds (once, in --set_dir) a small test set from recordings that are not
synthesized and that no tasnet-jax corpus trains on, taken from Debian
packages (`apt-get download`, no install; about 220 MB, cached in --set_dir):

  speech  people reading: Tux Paint's spoken stamp descriptions in Romanian,
          Spanish, Greek, Russian, Bulgarian and Belarusian
          (tuxpaint-stamps-default), KTuberling's spoken words in English,
          German and Ukrainian (ktuberling-data); short clips of one language
          joined into utterances of about 4 s, 24 utterances from 9 voices
  noise   recorded sound effects and instruments in four kinds:
          music      drum loops, guitar, organ, piano, strings, wind (lmms-common,
                     Tux Paint's instruments)
          household  appliances, tools, glass, a fire engine, fireworks
                     (Tux Paint, kolf)
          crowd      applause, a cheering crowd, breathing (lmms-common)
          animals    birds, mammals, insects (Tux Paint)

Every clip, speech and noise, loses its DC offset and what lies below 20 Hz
(zero-phase high-pass): joined clips of different offsets make steps, and
subsonic rumble is no part of a voice a listener hears, yet a reference that
holds them charges a model for removing them (version 1 of the set kept them;
they were more than half of what the models took from clean real speech:
benchmarks/error_split.py).
Every utterance is mixed with one noise of each kind at 0 and 5 dB SNR
(noise looped to the utterance's length, choices fixed by names), 192 pairs
at 16 kHz. Each run's best checkpoint denoises them (tasnet_jax.evaluate_files);
the table gives the SI-SNR improvement, and PESQ and STOI of the noisy input
and of the estimate, per kind and SNR. A line says how much of clean speech,
real and synthetic, the model leaves alone (SI-SNR of its output on a clean
input), and a last table gives both figures per voice: the voices differ by
more than the noise kinds do. Recordings that cannot be read are left out with a warning
naming them.
"""
import argparse
import csv
import json
import logging
import shutil
import zlib
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf

from data_pipelines import debian_packages
from data_pipelines.audio import AudioError, read_audio
from data_pipelines.tiny_noisy_speech.tiny_noisy_speech import SPEECH_DIR
from tasnet_jax import inference
from tasnet_jax.evaluate_files import evaluate_folders, si_snr_db
from tasnet_jax.metrics import summarize

log = logging.getLogger("real_recordings")
RATE = 16000
SNRS_DB = (0, 5)
UTTERANCE_SECONDS = 4.0
GAP_SECONDS = 0.2
SUBSONIC_HZ = 20
SET_VERSION = 2  # 2: clips without DC offset and subsonic content
SET_DIR = Path.home() / ".cache" / "tasnet-jax" / "real_recordings"
PACKAGES = ("tuxpaint-stamps-default", "ktuberling-data", "lmms-common", "kolf")
STAMPS = "usr/share/tuxpaint/stamps"
LMMS = "usr/share/lmms/samples"
# Globs under the unpacked packages. Voices: (clips, utterances to make).
SPEECH = {
    **{f"tuxpaint_{lang}": (f"{STAMPS}/**/*_desc_{lang}.ogg", 3)
       for lang in ("ro", "es", "el", "ru", "bg", "be")},
    **{f"ktuberling_{lang}": (f"usr/share/ktuberling/sounds/{lang}/*.ogg", 2)
       for lang in ("en", "de", "uk")},
}
NOISE = {
    "music": [f"{LMMS}/beats/{n}.ogg" for n in ("909beat01", "break01", "electro_beat01",
                                                "jungle01", "house_loop01")]
             + [f"{LMMS}/latin/{n}.ogg" for n in ("latin_guitar01", "latin_guitar02",
                                                  "latin_guitar03", "latin_brass01")]
             + [f"{LMMS}/instruments/{n}.ogg" for n in ("church_organ01", "e_piano_accord02",
                                                        "flute01", "piano02", "steel_guitar01",
                                                        "trumpet01", "cello01")]
             + [f"{LMMS}/stringsnpads/{n}.ogg" for n in ("strings01", "chorus02")]
             + [f"{STAMPS}/hobbies/music/{n}.ogg" for n in ("percussion/drumkit", "string/cello",
                                                            "string/violin", "wind/bassoon")],
    "household": [f"{STAMPS}/household/{n}.ogg" for n in (
        "Washing-machine", "toilet", "tools/saw", "dishes/glass", "kettle", "vacuum_cleaner",
        "tools/hammer", "tools/mallet_metal", "dishes/bottle")]
    + [f"{STAMPS}/{n}.ogg" for n in ("vehicles/emergency/firetruck", "space/apollo_lander",
                                     "seasonal/newyears/fireworks", "naturalforces/lightningbolt")]
    + [f"usr/share/kolf/sounds/{n}.wav" for n in ("blackhole", "holeinone", "puddle")],
    "crowd": [f"{LMMS}/misc/{n}.ogg" for n in ("applause01", "raving_crowd01", "breath01")],
    "animals": [f"{STAMPS}/animals/{n}.ogg" for n in (
        "birds/blackbird", "birds/crow", "birds/duck", "birds/seagull", "birds/penguin",
        "insects/bee", "insects/mosquito", "insects/hornet", "mammals/aquatic/dolphin",
        "mammals/aquatic/whale")]
    + [f"{STAMPS}/animals/mammals/*/{n}.ogg" for n in ("bear", "camel", "tiger", "donkey",
                                                       "horse", "rabbit", "koala", "beaver")],
}


def _rank(names, key=""):
    """Names in an order fixed by a hash of each name (and `key`)."""
    return sorted(names, key=lambda n: zlib.crc32(f"{key}{n}".encode()))


def without_subsonic(audio: np.ndarray) -> np.ndarray:
    """`audio` less its mean and its content below SUBSONIC_HZ (zero-phase, so
    nothing audible moves)."""
    sos = scipy.signal.butter(2, SUBSONIC_HZ, "highpass", fs=RATE, output="sos")
    return scipy.signal.sosfiltfilt(sos, audio - audio.mean()).astype(np.float32)


def _readable(paths, condition=without_subsonic):
    """(path, mono audio at RATE through `condition`) of each path that can be
    read; the others logged."""
    for path in paths:
        try:
            yield path, condition(read_audio(path, RATE))
        except AudioError as err:
            log.warning("left out: %s", err)


def utterances(root: Path, condition=without_subsonic) -> dict[str, np.ndarray]:
    """name -> about 4 s of one voice: its clips (through `condition`) joined
    with short gaps, -25 dBFS RMS."""
    out = {}
    gap = np.zeros(int(GAP_SECONDS * RATE), np.float32)
    for voice, (pattern, count) in SPEECH.items():
        clips = _readable(_rank(root.glob(pattern), voice), condition)
        for n in range(count):
            parts, seconds = [], 0.0
            for _, clip in clips:
                parts += [clip, gap]
                seconds += (clip.size + gap.size) / RATE
                if seconds >= UTTERANCE_SECONDS:
                    break
            if seconds < UTTERANCE_SECONDS:
                raise AudioError(f"{voice}: too few readable clips under {root}/{pattern}")
            speech = np.concatenate(parts[:-1])
            out[f"{voice}_{n}"] = speech * 10 ** (-25 / 20) / np.sqrt(np.mean(speech**2))
    return out


def noise_under(clean, noise, name: str, snr_db: float) -> np.ndarray:
    """`noise` looped to clean's length from an offset hashed from `name`,
    scaled to `snr_db` below clean."""
    offset = zlib.crc32(name.encode()) % noise.size
    noise = np.roll(np.resize(noise, clean.size + offset), -offset)[:clean.size]
    return noise * np.sqrt(np.mean(clean**2) / np.mean(noise**2) / 10 ** (snr_db / 10))


def build_set(set_dir: Path) -> Path:
    """noisy/ and clean/ folders (KIND_SNRdB/UTTERANCE.wav) and manifest.csv; returns set_dir."""
    manifest, version = set_dir / "manifest.csv", set_dir / "version"
    if manifest.exists() and version.exists() and version.read_text().strip() == str(SET_VERSION):
        return set_dir
    for folder in ("noisy", "clean"):  # an older version's pairs
        shutil.rmtree(set_dir / folder, ignore_errors=True)
    root = debian_packages.unpack(PACKAGES, set_dir)
    speech = utterances(root)
    noises = {kind: dict(_readable(path for pattern in patterns for path in root.glob(pattern)))
              for kind, patterns in NOISE.items()}
    rows = []
    for kind, clips in noises.items():
        for name, clean in speech.items():
            path = _rank(clips, name)[0]
            for snr in SNRS_DB:
                noisy = clean + noise_under(clean, clips[path], name, snr)
                peak = max(1.0, np.abs(noisy).max() / 0.99)  # no clipping at full scale
                relative = Path(f"{kind}_{snr}dB") / f"{name}.wav"
                for folder, audio in (("noisy", noisy), ("clean", clean)):
                    (set_dir / folder / relative).parent.mkdir(parents=True, exist_ok=True)
                    sf.write(set_dir / folder / relative, audio / peak, RATE, subtype="FLOAT")
                rows.append(dict(file=str(relative), kind=kind, snr_db=snr, speech=name,
                                 noise=str(path.relative_to(root))))
    with open(manifest, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    version.write_text(f"{SET_VERSION}\n")
    print(f"{len(rows)} noisy/clean pairs from {len(speech)} utterances in {set_dir}")
    return set_dir


def group_scores(rows, manifest) -> dict:
    """{group: mean scores} for each noise kind and SNR, each kind, and all pairs."""
    where = {m["file"]: m for m in manifest}
    groups = {group: [] for kind in NOISE for group in
              (f"{kind} {snr} dB" for snr in SNRS_DB)} | {kind: [] for kind in NOISE}
    groups["all"] = []
    for row in rows:
        if "error" in row:
            continue
        m = where[row["file"]]
        for group in (f"{m['kind']} {m['snr_db']} dB", m["kind"], "all"):
            groups[group].append(row)
    out = {}
    for group, members in groups.items():
        if members:
            mean = summarize([{k: v for k, v in r.items() if k != "file"} for r in members])
            out[group] = {"pairs": len(members),
                          "si_snri": mean["si_snr"] - mean["mixture_si_snr"], **mean}
    return out


def clean_kept(denoiser, paths) -> list[float]:
    """SI-SNR of the speech estimate against its input, per file, when the input
    is clean speech: how much of a voice the model leaves alone."""
    kept = []
    for path in paths:
        speech = read_audio(path, denoiser.sample_rate)
        kept.append(si_snr_db(denoiser(speech)[0], speech))
    return kept


def voice_of(utterance: str) -> str:
    """'tuxpaint_ro_2' -> 'tuxpaint_ro': utterances are named VOICE_N."""
    return utterance.rsplit("_", 1)[0]


def voice_scores(rows, manifest, kept_by_utterance) -> dict:
    """{voice: {pairs, si_snri, clean_kept_db}} over every noise kind and SNR."""
    speech_of = {m["file"]: m["speech"] for m in manifest}
    pairs = {}
    for row in rows:
        if "error" not in row:
            pairs.setdefault(voice_of(speech_of[row["file"]]), []).append(row)
    out = {}
    for voice, members in sorted(pairs.items()):
        kept = [db for name, db in kept_by_utterance.items() if voice_of(name) == voice]
        out[voice] = {"pairs": len(members),
                      "si_snri": float(np.mean([r["si_snr"] - r["mixture_si_snr"]
                                                for r in members])),
                      "clean_kept_db": float(np.mean(kept))}
    return out


def add_set_dir(parser):
    """The --set_dir option every benchmark on this set takes."""
    parser.add_argument("--set_dir", type=Path, default=SET_DIR,
                        help="where the set is built (once) and kept")


def read_manifest(set_dir) -> list[dict]:
    """The set's pairs (file, kind, snr_db, speech, noise), in order."""
    with open(Path(set_dir) / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="run workdirs (or anything inference.load takes)")
    add_set_dir(parser)
    parser.add_argument("--json", type=Path, help="write every run's table here")
    parser.add_argument("--chunk_seconds", type=float, default=10.0,
                        help="the denoiser's piece length (longer recordings are chunked)")
    parser.add_argument("--dry", type=float, default=0.0,
                        help="share of the input mixed back into the speech (Denoiser.dry)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    set_dir = build_set(args.set_dir)
    manifest = read_manifest(set_dir)
    results = {}
    for run in args.runs:
        denoiser = inference.load(run, chunk_seconds=args.chunk_seconds, dry=args.dry)
        rows, _ = evaluate_folders(denoiser, set_dir / "noisy", set_dir / "clean")
        table = results[run] = group_scores(rows, manifest)
        real_speech = sorted((set_dir / "clean" / f"{next(iter(NOISE))}_{SNRS_DB[0]}dB").glob("*"))
        kept_real = dict(zip((p.stem for p in real_speech), clean_kept(denoiser, real_speech)))
        table["clean kept"] = {
            "real_db": float(np.mean(list(kept_real.values()))),
            "synthetic_db": float(np.mean(clean_kept(
                denoiser, sorted(SPEECH_DIR.glob("test/*/*.flac")))))}
        table["voices"] = voice_scores(rows, manifest, kept_real)
        print(f"\n{run} (step {denoiser.step}): {table['all']['pairs']} pairs")
        print(f"{'':16} {'pairs':>5} {'SI-SNRi':>8} {'PESQ in -> out':>16} {'STOI in -> out':>16}")
        for group, s in table.items():
            if group in ("clean kept", "voices"):
                continue
            print(f"{group:16} {s['pairs']:5d} {s['si_snri']:8.2f} "
                  f"{s['mixture_pesq']:7.2f} -> {s['pesq']:4.2f} "
                  f"{s['mixture_stoi']:7.3f} -> {s['stoi']:5.3f}")
        kept = table["clean kept"]
        print(f"clean speech in, SI-SNR of what comes out: real {kept['real_db']:.2f} dB, "
              f"synthetic (the corpus's test voices) {kept['synthetic_db']:.2f} dB")
        print(f"{'per voice':16} {'pairs':>5} {'SI-SNRi':>8} {'clean kept':>11}")
        for voice, s in table["voices"].items():
            print(f"{voice:16} {s['pairs']:5d} {s['si_snri']:8.2f} {s['clean_kept_db']:8.2f} dB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
