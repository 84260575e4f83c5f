"""game_voices on a queen.1c laid out by hand (MP3 tones at 11,025 Hz stand in for lines)."""
import io
import struct

import numpy as np
import pytest
import soundfile as sf
import tensorflow_datasets as tfds

from data_pipelines.audio import AudioError
from data_pipelines.game_voices import GAMES, GameVoices, queen_speech
from data_pipelines.recorded_voices import LEVEL_DBFS, UTTERANCE_SECONDS

RATE = 16000
LINE_RATE = 11025
TONE_HZ = 700.0


def _mp3_line(seconds=1.0):
    t = np.arange(int(seconds * LINE_RATE)) / LINE_RATE
    audio = np.concatenate([np.zeros(LINE_RATE // 5), 0.3 * np.sin(2 * np.pi * TONE_HZ * t),
                            np.zeros(LINE_RATE // 4)])
    buffer = io.BytesIO()
    sf.write(buffer, audio, LINE_RATE, format="MP3")
    return buffer.getvalue()


def write_queen(path, entries, tag=b"QTBL", codec=1):
    """A queen.1c as ScummVM's compressor writes it; returns {name: (offset, size)}."""
    table_size = 15 + 21 * len(entries)
    offset, table, where = table_size, b"", {}
    for name, data in entries:
        table += struct.pack(">12sBII", name.encode(), 1, offset, len(data))
        where[name] = (offset, len(data))
        offset += len(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack(">4s6s2xBH", tag, b"CEM10\0", codec, len(entries)) + table
                     + b"".join(data for _, data in entries))
    return where


@pytest.fixture(scope="module")
def game_root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("game_voices")
    package, archive, _ = GAMES["fotaq"]
    entries = [(f"0200{i:02d}J1.SB", _mp3_line(1.0 + 0.1 * i)) for i in range(12)]
    entries += [("ROOM01.PCX", b"\x0a" * 300), ("BROKEN.SB", b"not an mp3 at all" * 20)]
    where = write_queen(folder / "root" / archive, entries)
    (folder / "root" / f".{package}").touch()
    return folder, where


@pytest.fixture(scope="module")
def game_builder(game_root, tmp_path_factory, prepare):
    builder = GameVoices(data_dir=str(tmp_path_factory.mktemp("tfds_game_voices")))
    return prepare(builder, game_root[0])


def test_the_table_lists_every_spoken_line_where_it_was_written(game_root):
    folder, where = game_root
    lines = queen_speech(folder / "root" / GAMES["fotaq"][1])
    assert {name: (offset, size) for name, offset, size in lines} == {
        name: spot for name, spot in where.items() if name.endswith(".SB")}


def test_lines_become_utterances_at_16k_and_one_level(game_builder):
    splits, _ = game_builder
    assert set(splits) == {"train"}
    # 12 lines of 1.0-2.1 s (18.6 s): an utterance takes 2 or 3 of them, so 3 to 6 utterances.
    assert 3 <= len(splits["train"]) <= 6
    for ex in splits["train"].values():
        clean = ex["clean"].astype(np.float64) / 32768
        assert ex["speaker"] == b"fotaq_cast" and not np.any(ex["noise"])
        assert UTTERANCE_SECONDS * RATE <= clean.size <= (3 * 2.1 + 2 * 0.3) * RATE
        assert abs(10 * np.log10(np.mean(clean**2)) - LEVEL_DBFS) < 0.05
        spectrum = np.abs(np.fft.rfft(clean))
        assert abs(np.argmax(spectrum) * RATE / clean.size - TONE_HZ) < 2


def test_a_broken_line_is_named_and_a_foreign_archive_is_an_error(game_builder, tmp_path):
    _, messages = game_builder
    assert any("queen.1c:BROKEN.SB: not readable audio" in m for m in messages)
    other = tmp_path / "queen.1c"
    write_queen(other, [("A.SB", _mp3_line())], tag=b"QTBX")
    with pytest.raises(AudioError, match=f"{other}: not a compressed queen.1c"):
        queen_speech(other)
    write_queen(other, [("A.SB", _mp3_line())], codec=0)  # the uncompressed CD original
    with pytest.raises(AudioError, match="codec 0"):
        queen_speech(other)
    write_queen(other, [("A.SB", _mp3_line())])
    other.write_bytes(other.read_bytes()[:20])
    with pytest.raises(AudioError, match="cut short"):
        queen_speech(other)


def test_a_missing_package_is_named(tmp_path, prepare):
    (tmp_path / "root").mkdir()
    with pytest.raises(AudioError, match="no game under .* makes an utterance"):
        prepare(GameVoices(data_dir=str(tmp_path / "tfds")), tmp_path)
