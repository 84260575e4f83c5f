"""recorded_voices on unpacked packages laid out on disk (tones stand in for voices)."""
import numpy as np
import pytest
import tensorflow_datasets as tfds

from conftest import RECORDED_TONES
from data_pipelines.audio import AudioError
from data_pipelines.recorded_voices import (LEVEL_DBFS, PAUSE_SECONDS, UTTERANCE_SECONDS,
                                            RecordedVoices, trimmed)

RATE = 16000


def test_trimming_keeps_what_lies_between_the_first_and_last_sound():
    rng = np.random.default_rng(0)
    tone = 0.5 * np.sin(2 * np.pi * 300 * np.arange(8000) / RATE)
    audio = np.concatenate([np.zeros(3200), tone, np.zeros(4800)]) + 0.1
    audio += 1e-4 * rng.standard_normal(audio.size)  # a floor 70 dB below the tone
    out = trimmed(audio.astype(np.float32), RATE)
    assert abs(out.size - tone.size) <= 160  # within one 10 ms frame
    assert abs(out.mean()) < 0.01  # the offset is gone
    with pytest.raises(AudioError, match="silent"):
        trimmed(np.zeros(RATE, np.float32), RATE)


def test_utterances_join_a_voices_clips_at_one_level(recorded_builder):
    _, splits, _ = recorded_builder
    assert set(splits) == {"train"}
    for file_id, ex in splits["train"].items():
        clean = ex["clean"].astype(np.float64) / 32768
        np.testing.assert_array_equal(ex["noisy"], ex["clean"])  # speech alone
        assert not np.any(ex["noise"])
        assert clean.size >= UTTERANCE_SECONDS * RATE
        assert abs(10 * np.log10(np.mean(clean**2)) - LEVEL_DBFS) < 0.05
        # Pauses between clips: silent runs no longer than the longest pause (the
        # clips' own silence was trimmed).
        silent = np.abs(clean) < 1e-3
        edges = np.flatnonzero(np.diff(np.concatenate([[0], silent, [0]]).astype(int)))
        runs = edges[1::2] - edges[::2]
        assert runs.max() <= PAUSE_SECONDS[1] * RATE + 2 * RATE // 100
        assert np.sum(runs > PAUSE_SECONDS[0] * RATE * 0.9) >= 2


def test_each_voice_is_decoded_at_its_own_pitch_with_its_speaker(recorded_builder):
    _, splits, _ = recorded_builder
    speakers = {"asterisk_en": b"allison_smith", "asterisk_it": b"carlo_flora",
                "klettres_fr": b"klettres_fr"}
    seen = set()
    for file_id, ex in splits["train"].items():
        voice = file_id.rsplit("_", 1)[0]
        seen.add(voice)
        spectrum = np.abs(np.fft.rfft(ex["clean"].astype(np.float64)))
        peak_hz = np.argmax(spectrum) * RATE / ex["clean"].size
        assert abs(peak_hz - RECORDED_TONES[voice]) < 2
        assert ex["speaker"] == speakers[voice]
    assert seen == set(RECORDED_TONES)


def test_bad_clips_and_missing_packages_are_named(recorded_builder, recorded_root, tmp_path):
    _, _, messages = recorded_builder
    assert any("empty.g722: holds no samples" in m for m in messages)
    assert any("broken.ogg: not readable audio" in m for m in messages)
    assert any("asterisk_fr left out: asterisk-core-sounds-fr-g722 is not unpacked" in m
               for m in messages)
    (tmp_path / "root").mkdir()
    with pytest.raises(AudioError, match="no voice under .* makes an utterance"):
        RecordedVoices(data_dir=str(tmp_path / "tfds")).download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))
