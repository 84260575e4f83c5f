"""recorded_music: a SoundFont 2 file written here byte by byte, notes played from
it checked by their spectra, and the builder on unpacked packages laid out on disk."""
import struct

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from data_pipelines.recorded_music import (SOUNDFONT, Note, phrase, play, soundfont_notes)

RATE = 16000
NOTE_RATE = 22050
TONE_HZ = 441.0  # 50 samples a period at NOTE_RATE, so a loop of 2,200 samples is seamless
LOOP = (2200, 4400)


def _chunk(chunk_id: bytes, payload: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


def _tone(seconds, hz=TONE_HZ, rate=NOTE_RATE, amplitude=0.5):
    return amplitude * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)


def write_soundfont(path):
    """A SoundFont 2 file: a looped tone, a one-shot decaying burst, a stereo pair,
    a choir (a voice) and a header pointing past the data. Returns its notes' audio."""
    rng = np.random.default_rng(0)
    burst = rng.standard_normal(int(0.2 * NOTE_RATE)) * np.exp(-np.arange(4410) / 800) * 0.3
    # (name, audio, loop or (0, 0), sample type: 1 mono, 4 left, 2 right)
    samples = [("Flute A4", _tone(0.3), LOOP, 1), ("Snare", burst, (0, 0), 1),
               ("Strings(L)", _tone(0.3, 600), LOOP, 4), ("Strings(R)", _tone(0.3, 600), LOOP, 2),
               ("Ahh Choir C4", _tone(0.3, 262), LOOP, 1)]
    pcm, headers, kept = [], [], {}
    start = 0
    for name, audio, loop, kind in samples:
        ints = np.round(audio * 32767).astype("<i2")
        kept[name] = ints.astype(np.float32) / 32768
        headers.append(struct.pack("<20sIIIIIBbHH", name.encode(), start, start + ints.size,
                                   start + loop[0], start + loop[1], NOTE_RATE, 69, 0, 0, kind))
        pcm.append(ints)
        pcm.append(np.zeros(46, "<i2"))  # the format's guard samples between notes
        start += ints.size + 46
    headers.append(struct.pack("<20sIIIIIBbHH", b"Outside", start, start + 10**6, 0, 0,
                               NOTE_RATE, 60, 0, 0, 1))
    headers.append(struct.pack("<20sIIIIIBbHH", b"EOS", 0, 0, 0, 0, 0, 0, 0, 0, 0))
    sdta = b"sdta" + _chunk(b"smpl", np.concatenate(pcm).tobytes())
    pdta = b"pdta" + _chunk(b"shdr", b"".join(headers))
    info = b"INFO" + _chunk(b"ifil", struct.pack("<HH", 2, 1))
    body = b"sfbk" + _chunk(b"LIST", info) + _chunk(b"LIST", sdta) + _chunk(b"LIST", pdta)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return kept


def _peak_hz(audio, rate=RATE):
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return np.argmax(spectrum) * rate / audio.size


def test_soundfont_notes_are_its_samples_less_right_channels_and_voices(tmp_path, caplog):
    kept = write_soundfont(tmp_path / "test.sf2")
    notes = soundfont_notes(tmp_path / "test.sf2")
    assert [n.name for n in notes] == ["Flute A4", "Snare", "Strings(L)"]
    for note in notes:
        np.testing.assert_array_equal(note.audio, kept[note.name])
        assert note.rate == NOTE_RATE
    assert [n.loop for n in notes] == [LOOP, None, LOOP]
    assert "'Outside' skipped: its header points outside the sample data" in caplog.text


def test_a_file_that_is_no_soundfont_is_named(tmp_path):
    (tmp_path / "fake.sf2").write_bytes(b"RIFF\0\0\0\0WAVEfmt ")
    with pytest.raises(ValueError, match="fake.sf2: not a SoundFont 2 file"):
        soundfont_notes(tmp_path / "fake.sf2")


FLUTE = Note("flute", _tone(0.3).astype(np.float32), NOTE_RATE, LOOP)


@pytest.mark.parametrize("semitones", [-12, -5, 0, 7, 12])
def test_a_looped_note_sounds_at_its_pitch_for_as_long_as_it_is_held(semitones):
    out = play(FLUTE, semitones, 1.5, RATE)  # five times the recording's length
    assert out.size == int(1.5 * RATE)
    hz = TONE_HZ * 2 ** (semitones / 12)
    assert abs(_peak_hz(out[:RATE]) - hz) < 1.5
    # Held through the loop: as loud at the end (before the release) as at the start.
    start, end = out[1000:4000], out[-6000:-3000]
    assert np.sqrt(np.mean(end ** 2)) == pytest.approx(np.sqrt(np.mean(start ** 2)), rel=0.02)
    assert abs(out[-1]) < 1e-3  # released


def test_a_one_shot_sound_lasts_as_recorded():
    burst = Note("snare", np.ones(4410, np.float32) * 0.1, NOTE_RATE, None)
    assert play(burst, 0, 2.0, RATE).size == pytest.approx(0.2 * RATE, abs=2)
    assert play(burst, 12, 2.0, RATE).size == pytest.approx(0.1 * RATE, abs=2)  # twice as fast


def test_a_phrase_plays_the_note_on_a_scale_around_its_pitch():
    out = phrase(FLUTE, RATE, np.random.default_rng(3))
    assert out.size == int(6.0 * RATE)
    np.testing.assert_array_equal(out, phrase(FLUTE, RATE, np.random.default_rng(3)))
    # Every spectral peak is the tone moved a whole number of semitones, at most 7 + 7
    # (a triad's top note on the walk's highest degree stays within the steps too).
    spectrum = np.abs(np.fft.rfft(out))
    peaks, _ = scipy.signal.find_peaks(spectrum, height=0.2 * spectrum.max(), distance=60)
    semitones = 12 * np.log2(peaks * RATE / out.size / TONE_HZ)
    assert np.all(np.abs(semitones - np.round(semitones)) < 0.1)
    assert np.all(np.abs(semitones) <= 7.1)
    assert len(set(np.round(semitones).astype(int))) >= 3  # a tune, not one note


@pytest.fixture(scope="module")
def music_builder(tmp_path_factory, prepare):
    """recorded_music built on a soundfont and Sonic Pi's folder: a loop (a tone),
    a choir, a silent file and a corrupt one beside it."""
    from data_pipelines.recorded_music import RecordedMusic

    folder = tmp_path_factory.mktemp("recorded_music")
    root = folder / "root"
    write_soundfont(root / SOUNDFONT)
    samples = root / "usr/share/sonic-pi/samples"
    samples.mkdir(parents=True)
    sf.write(samples / "loop_tone.flac", _tone(1.0, 1000, 44100, 0.2) + 0.05, 44100)
    sf.write(samples / "ambi_choir.flac", _tone(1.0, 300, 44100), 44100)
    sf.write(samples / "silent.flac", np.zeros(44100), 44100)
    (samples / "broken.flac").write_bytes(b"not a flac file")
    for package in ("fluid-soundfont-gm", "sonic-pi-samples"):
        (root / f".{package}").touch()
    builder = RecordedMusic(data_dir=str(tmp_path_factory.mktemp("tfds_music")))
    return (builder, *prepare(builder, folder))


def test_each_note_is_a_phrase_and_each_sample_a_clip_of_noise_alone(music_builder):
    _, splits, messages = music_builder
    train = splits["train"]
    assert sorted(train) == ["sonic_pi/usr/share/sonic-pi/samples/loop_tone.flac",
                             "soundfont/0000_Flute A4", "soundfont/0001_Snare",
                             "soundfont/0002_Strings(L)"]
    for file_id, ex in train.items():
        assert not np.any(ex["clean"])
        np.testing.assert_array_equal(ex["noise"], ex["noisy"])
        noise = ex["noise"].astype(np.float64) / 32768
        assert abs(np.abs(noise).max() - 0.9) < 1e-3
        assert abs(noise.mean()) < 2e-3
        seconds = noise.size / RATE
        assert seconds == (1.0 if file_id.startswith("sonic_pi") else 6.0)
    loop = train["sonic_pi/usr/share/sonic-pi/samples/loop_tone.flac"]["noise"]
    assert abs(_peak_hz(loop.astype(np.float64)) - 1000) < 2
    assert not any("choir" in m for m in messages)  # left out by name, silently
    for name, why in (("silent.flac", "silent"), ("broken.flac", "not readable audio")):
        assert any(f"{name}: {why}" in m for m in messages), (name, messages)


def test_a_missing_package_is_named_and_a_corrupt_soundfont_left_out(tmp_path, prepare, caplog):
    from data_pipelines.recorded_music import RecordedMusic

    root = tmp_path / "music" / "root"
    (root / SOUNDFONT).parent.mkdir(parents=True)
    (root / SOUNDFONT).write_bytes(b"RIFF\0\0\0\0sfbkLIST")  # cut short
    (root / ".fluid-soundfont-gm").touch()
    builder = RecordedMusic(data_dir=str(tmp_path / "tfds"))
    with pytest.raises(ValueError, match="no usable sound"):
        prepare(builder, tmp_path / "music")
    assert "soundfont left out: " in caplog.text
    assert "no sample data or sample headers" in caplog.text
    assert "sonic_pi left out: none of ('sonic-pi-samples',) is unpacked" in caplog.text
