"""Synthesize the speech of the tiny_noisy_speech corpus (run once; output is committed).

    apt-get install espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k \
        festvox-us-slt-hts festvox-italp16k festvox-itapc16k festvox-czech-dita \
        festvox-czech-machac festvox-ru festvox-suopuhe-lj festvox-suopuhe-mv festvox-ca-ona-hts
    python data_pipelines/tiny_noisy_speech/make_corpus.py

Writes speech/<split>/<speaker>/<speaker>_<n>.flac (16 kHz, 16-bit, mono, RMS
normalized to -25 dBFS) and speech/manifest.csv. 38 synthetic speakers read
the project's own sentences (sentences.txt): espeak-ng's English accents and
other languages' rules, each voice with its own rate and pitch, flite's
voices, and festival's diphone, unit-selection and HTS voices (English,
Italian, Russian, Catalan). A further 13 voices (Czech, Finnish and
espeak-ng's Hungarian, Turkish, Swahili, ...) are babble only, under
speech/babble/<split>/, so no voice is both a target and a babbler. Splits
share no speaker, babbler or sentence. Noise is not stored: the builder makes
it from seeds.
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
        ("spk25", "festival", "kal_diphone", 0, 0), ("spk26", "festival", "ked_diphone", 0, 0),
        ("spk27", "festival", "cmu_us_slt_arctic_hts", 0, 0),
        ("spk28", "festival", "lp_diphone", 0, 0), ("spk29", "festival", "pc_diphone", 0, 0),
        ("spk30", "festival", "msu_ru_nsh_clunits", 0, 0),
        ("spk31", "festival", "upc_ca_ona_hts", 0, 0),
        ("spk32", "espeak", "de+m2", 150, 40), ("spk33", "espeak", "fr-fr+f3", 160, 65),
        ("spk34", "espeak", "es+m4", 170, 35), ("spk35", "espeak", "pl+f2", 145, 70),
        ("spk36", "espeak", "nl+m1", 155, 50), ("spk37", "espeak", "pt-br+f4", 165, 60),
        ("spk38", "espeak", "sv+m3", 150, 45),
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
BABBLERS = {
    "train": [
        ("bab01", "festival", "czech_dita", 0, 0), ("bab02", "festival", "suo_fi_lj_diphone", 0, 0),
        ("bab03", "festival", "hy_fi_mv_diphone", 0, 0), ("bab04", "espeak", "hu+m1", 160, 40),
        ("bab05", "espeak", "tr+f2", 150, 65), ("bab06", "espeak", "id+m3", 170, 45),
        ("bab07", "espeak", "sw+f1", 155, 70), ("bab08", "espeak", "hi+m2", 165, 35),
        ("bab09", "espeak", "vi+f3", 150, 60),
    ],
    "validation": [("bab10", "festival", "czech_machac", 0, 0),
                   ("bab11", "espeak", "fi+f2", 160, 65)],
    "test": [("bab12", "festival", "czech_ph", 0, 0), ("bab13", "espeak", "da+m5", 155, 40)],
}
BABBLE_PER_VOICE = 3
SENTENCES = {"train": range(0, 48), "validation": range(48, 56), "test": range(56, 64)}
UTTERANCES_PER_SPEAKER = 6


def synthesize(kind, voice, wpm, pitch, text, tmp) -> tuple[np.ndarray, int]:
    out = Path(tmp) / "utt.wav"
    if kind == "espeak":
        cmd = ["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(out), text]
    elif kind == "flite":
        cmd = ["flite", "-voice", voice, "-t", text, "-o", str(out)]
    else:
        (Path(tmp) / "text.txt").write_text(text)
        cmd = ["text2wave", "-eval", f"(voice_{voice})", "-o", str(out), str(Path(tmp) / "text.txt")]
    subprocess.run(cmd, check=True, capture_output=True)
    audio, rate = sf.read(out, dtype="float64")
    return audio, rate


def main():
    sentences = (HERE / "sentences.txt").read_text().splitlines()
    out_dir = HERE / "speech"
    rows = []
    jobs = [(use, split, k, speaker, count)
            for use, table, count in (("speech", SPEAKERS, UTTERANCES_PER_SPEAKER),
                                      ("babble", BABBLERS, BABBLE_PER_VOICE))
            for split, speakers in table.items() for k, speaker in enumerate(speakers)]
    with tempfile.TemporaryDirectory() as tmp:
        for use, split, k, (speaker, kind, voice, wpm, pitch), count in jobs:
            pool = list(SENTENCES[split])
            folder = out_dir / split if use == "speech" else out_dir / "babble" / split
            for n in range(count):
                index = pool[(k * count + n) % len(pool)]
                audio, rate = synthesize(kind, voice, wpm, pitch, sentences[index], tmp)
                if rate != RATE:
                    audio = soxr.resample(audio, rate, RATE, quality="HQ")
                audio *= 10 ** (-25 / 20) / np.sqrt(np.mean(audio**2))
                path = folder / speaker / f"{speaker}_{n}.flac"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(path, np.clip(audio, -1, 1), RATE, subtype="PCM_16", compression_level=1.0)
                rows.append(dict(split=split, use=use, speaker=speaker,
                                 file=path.relative_to(out_dir), voice=f"{kind}:{voice}",
                                 sentence=index, seconds=round(len(audio) / RATE, 3)))
    with open(out_dir / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    total = sum(r["seconds"] for r in rows)
    print(f"{len(rows)} utterances, {total / 60:.1f} minutes, in {out_dir}")


if __name__ == "__main__":
    main()
