"""noisy_folders on a user's folders: nested, mixed formats, rates and channels."""
import numpy as np
import pytest

from data_pipelines.noisy_folders import NoisyFolders


@pytest.fixture(scope="module")
def manual_dir(tmp_path_factory, write_audio):
    root = tmp_path_factory.mktemp("folders")
    for speaker in ("alice", "bob", "carol"):
        for i in range(10):
            write_audio(root / f"clean/{speaker}/take_{i}.wav", seed=hash((speaker, i)) % 1000)
    write_audio(root / "clean/alice/take_0.wav", rate=44100, channels=2, seed=1)  # stereo 44.1k
    (root / "clean/alice/take_0.flac").write_bytes(b"")  # empty, unreadable
    write_audio(root / "clean/loose.wav", seed=2)  # not in a speaker folder
    write_audio(root / "noise/fan.wav", rate=8000, seconds=0.3, seed=3)
    write_audio(root / "noise/street/cars.flac", rate=48000, seconds=0.3, channels=3, seed=4)
    return root


@pytest.fixture(scope="module")
def built(manual_dir, tmp_path_factory, prepare):
    builder = NoisyFolders(config="8k", data_dir=str(tmp_path_factory.mktemp("tfds")))
    return (builder, *prepare(builder, manual_dir))


def test_splits_partition_the_usable_files(built):
    builder, splits, messages = built
    ids = [i for split in splits.values() for i in split]
    assert len(ids) == len(set(ids)) == 31  # 30 takes + loose.wav; the empty flac is skipped
    assert [len(splits[s]) for s in ("train", "validation", "test")] == [25, 3, 3]
    assert builder.info.metadata["sample_rate"] == 8000
    assert any("alice/take_0.flac: not readable audio" in m for m in messages)


def test_speakers_come_from_folders_and_audio_is_converted(built):
    _, splits, _ = built
    every = {i: ex for split in splits.values() for i, ex in split.items()}
    assert every["alice/take_0"]["speaker"] == b"alice"
    assert every["loose"]["speaker"] == b"unknown"
    assert len(every["alice/take_0"]["clean"]) == 800  # 0.1 s of 44.1 kHz stereo at 8 kHz
    for ex in every.values():
        np.testing.assert_array_equal(ex["noisy"].astype(np.int32), ex["clean"] + ex["noise"])
        assert np.any(ex["noise"] != 0)
