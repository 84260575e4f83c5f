"""dns_challenge on a fake DNS-Challenge datasets/ folder."""
import zlib

import numpy as np
import pytest
import soundfile as sf

from data_pipelines.dns_challenge import DnsChallenge

N_CLEAN = 120


@pytest.fixture(scope="module")
def manual_dir(tmp_path_factory, write_audio):
    root = tmp_path_factory.mktemp("dns")
    for i in range(N_CLEAN):
        write_audio(root / f"clean/book_{i:05d}_chp_0001_reader_{i % 7:05d}_{i}.wav", seconds=0.05,
                    seed=i)
    write_audio(root / "noise/door_knock_1.wav", seconds=0.02, seed=500)  # shorter: looped
    write_audio(root / "noise/AirConditioner_2.wav", rate=48000, channels=2, seed=501)
    (root / "noise/Typing_3.wav").write_bytes(b"corrupt")
    sf.write(root / "noise/Silence_4.wav", np.zeros(800), 16000)
    test = root / "test_set/synthetic/no_reverb"
    for i in range(4):
        write_audio(test / f"noisy/clnsp{i}_train_6900{i}_1_snr15_tl-21_fileid_{i}.wav", seed=600 + i)
        write_audio(test / f"clean/clean_fileid_{i}.wav", seed=700 + i)
    (test / "clean/clean_fileid_3.wav").unlink()
    return root


@pytest.fixture(scope="module")
def built(manual_dir, tmp_path_factory, prepare):
    builder = DnsChallenge(data_dir=str(tmp_path_factory.mktemp("tfds")))
    return (builder, *prepare(builder, manual_dir))


def test_clean_files_split_by_name(built, manual_dir):
    _, splits, _ = built
    every = {p.stem for p in (manual_dir / "clean").iterdir()}
    # 2% of 120 rounds to 2: the two names with the smallest CRC-32.
    validation = set(sorted(every, key=lambda s: zlib.crc32(s.encode()))[:2])
    assert set(splits["validation"]) == validation
    assert set(splits["train"]) == every - validation
    ex = splits["train"]["book_00010_chp_0001_reader_00003_10"]
    assert ex["speaker"] == b"00003"


def test_every_utterance_carries_usable_noise_and_the_bad_file_is_named(built):
    _, splits, messages = built
    for split in ("train", "validation"):
        for ex in splits[split].values():
            assert len(ex["noisy"]) == 800
            # 320 samples of the short noise or 800 of another: never silent.
            assert np.count_nonzero(ex["noise"]) > 600
            np.testing.assert_array_equal(ex["noisy"].astype(np.int32), ex["clean"] + ex["noise"])
    left_out = [m for m in messages if "noise file left out" in m and "train" in m]
    assert len(left_out) == 2  # each bad file once, in a split of 118 utterances
    assert any("noise/Typing_3.wav: not readable audio" in m for m in left_out)
    assert any("noise/Silence_4.wav: silent" in m for m in left_out)


def test_test_set_pairs_by_fileid_and_names_the_missing_one(built):
    _, splits, messages = built
    assert sorted(splits["test"]) == ["fileid_0", "fileid_1", "fileid_2"]
    for ex in splits["test"].values():
        np.testing.assert_array_equal(ex["noisy"].astype(np.int32), ex["clean"] + ex["noise"])
    assert any("clean/clean_fileid_3.wav: missing" in m for m in messages)
