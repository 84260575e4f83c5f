"""Synthesize the speech of the tiny_noisy_speech corpus (run once; output is committed).

    apt-get install espeak-ng flite
    python data_pipelines/tiny_noisy_speech/make_corpus.py

Writes speech/<split>/<speaker>/<speaker>_<n>.flac (16 kHz, 16-bit, mono, RMS
normalized to -25 dBFS) and speech/manifest.csv. 24 synthetic speakers (espeak-ng
accents and variants, and flite voices), each with its own rate and pitch,
read the project's own sentences (sentences.txt). Splits share no speaker and
no sentence. Noise is not stored: the builder makes it from seeds.
"""
import csv
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE = 16000
HERE = Path(__file__).parent
# (speaker id, synthesizer, voice, words per minute, pitch 0-99). flite's
# voices have fixed rate and pitch.
SPEAKERS = {
    "train": [
        ("spk01", "espeak", "en-us+m1", 165, 40), ("spk02", "espeak", "en-us+f2", 150, 65),
        ("spk03", "espeak", "en-gb+m3", 175, 45), ("spk04", "espeak", "en-gb+f1", 160, 70),
        ("spk05", "espeak", "en-gb-scotland+m2", 155, 35),
        ("spk06", "espeak", "en-gb-scotland+f3", 170, 60),
        ("spk07", "espeak", "en-gb-x-rp+m4", 145, 50), ("spk08", "espeak", "en-gb-x-rp+f4", 165, 75),
        ("spk09", "espeak", "en-029+m5", 160, 30), ("spk10", "espeak", "en-029+f5", 150, 55),
        ("spk11", "espeak", "en-us-nyc+m6", 180, 45), ("spk12", "espeak", "en-us-nyc+f1", 155, 80),
        ("spk13", "espeak", "en-gb-x-gbclan+m7", 150, 40),
        ("spk14", "espeak", "en-gb-x-gbcwmd+f2", 170, 65),
        ("spk15", "flite", "slt", 0, 0), ("spk16", "flite", "awb", 0, 0),
        ("spk17", "espeak", "en-us+m3", 140, 55), ("spk18", "espeak", "en-gb+f5", 175, 85),
    ],
    "validation": [
        ("spk19", "flite", "rms", 0, 0), ("spk20", "espeak", "en-gb-x-rp+f3", 160, 70),
        ("spk21", "espeak", "en-us-nyc+m2", 150, 35),
    ],
    "test": [
        ("spk22", "flite", "kal16", 0, 0), ("spk23", "espeak", "en-029+f4", 165, 60),
        ("spk24", "espeak", "en-gb-scotland+m7", 155, 45),
    ],
}
SENTENCES = {"train": range(0, 48), "validation": range(48, 56), "test": range(56, 64)}
UTTERANCES_PER_SPEAKER = 6


def synthesize(kind, voice, wpm, pitch, text, tmp) -> tuple[np.ndarray, int]:
    out = Path(tmp) / "utt.wav"
    if kind == "espeak":
        cmd = ["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(out), text]
    else:
        cmd = ["flite", "-voice", voice, "-t", text, "-o", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    audio, rate = sf.read(out, dtype="float64")
    return audio, rate


def main():
    sentences = (HERE / "sentences.txt").read_text().splitlines()
    out_dir = HERE / "speech"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for split, speakers in SPEAKERS.items():
            pool = list(SENTENCES[split])
            for k, (speaker, kind, voice, wpm, pitch) in enumerate(speakers):
                for n in range(UTTERANCES_PER_SPEAKER):
                    index = pool[(k * UTTERANCES_PER_SPEAKER + n) % len(pool)]
                    audio, rate = synthesize(kind, voice, wpm, pitch, sentences[index], tmp)
                    if rate != RATE:
                        audio = soxr.resample(audio, rate, RATE, quality="HQ")
                    audio *= 10 ** (-25 / 20) / np.sqrt(np.mean(audio**2))
                    path = out_dir / split / speaker / f"{speaker}_{n}.flac"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    sf.write(path, np.clip(audio, -1, 1), RATE, subtype="PCM_16", compression_level=1.0)
                    rows.append(dict(split=split, speaker=speaker, file=path.relative_to(out_dir),
                                     voice=f"{kind}:{voice}", sentence=index,
                                     seconds=round(len(audio) / RATE, 3)))
    with open(out_dir / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    total = sum(r["seconds"] for r in rows)
    print(f"{len(rows)} utterances, {total / 60:.1f} minutes, in {out_dir}")


if __name__ == "__main__":
    main()
