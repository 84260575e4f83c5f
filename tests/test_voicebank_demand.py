"""voicebank_demand on a fake corpus laid out like the published one."""
import functools

import numpy as np
import pytest
import soundfile as sf
import soxr
import tensorflow_datasets as tfds

from data_pipelines.voicebank_demand import VoicebankDemand


@pytest.fixture(scope="module")
def manual_dir(tmp_path_factory, write_audio):
    root = tmp_path_factory.mktemp("voicebank")
    _write = functools.partial(write_audio, rate=48000)
    for split, names in {"trainset_28spk": ["p226_001", "p226_002", "p226_003", "p226_004",
                                           "p286_001", "p287_001"],
                         "testset": ["p232_001", "p232_002", "p257_001"]}.items():
        for i, name in enumerate(names):
            _write(root / f"clean_{split}_wav/{name}.wav", seed=i)
            _write(root / f"noisy_{split}_wav/{name}.wav", seed=100 + i)
    _write(root / "noisy_trainset_28spk_wav/p226_002.wav", channels=2, seed=7)  # stereo
    _write(root / "clean_trainset_28spk_wav/p226_003.wav", rate=16000, seed=8)  # other rate
    _write(root / "noisy_trainset_28spk_wav/p226_003.wav", rate=16000, seed=9)
    (root / "noisy_trainset_28spk_wav/p226_004.wav").unlink()  # missing partner
    (root / "clean_testset_wav/p232_002.wav").write_bytes(b"RIFF garbage")  # corrupt
    return root


@pytest.fixture(scope="module")
def built(manual_dir, tmp_path_factory, prepare):
    builder = VoicebankDemand(config="16k", data_dir=str(tmp_path_factory.mktemp("tfds")))
    return (builder, *prepare(builder, manual_dir))


def test_splits_hold_speakers_as_published_with_validation_held_out(built):
    _, splits, _ = built
    assert sorted(splits["train"]) == ["p226_001", "p226_002", "p226_003"]
    assert sorted(splits["validation"]) == ["p286_001", "p287_001"]
    assert sorted(splits["test"]) == ["p232_001", "p257_001"]
    assert {ex["speaker"].decode() for ex in splits["validation"].values()} == {"p286", "p287"}


def test_audio_is_at_16k_with_exact_noise(built, manual_dir):
    builder, splits, _ = built
    assert builder.info.metadata["sample_rate"] == 16000
    for split in splits.values():
        for ex in split.values():
            assert len(ex["clean"]) == 1600  # 0.1 s
            np.testing.assert_array_equal(ex["noisy"].astype(np.int32), ex["clean"] + ex["noise"])
    # The stereo noisy file is the mean of its channels.
    stereo, _ = sf.read(manual_dir / "noisy_trainset_28spk_wav/p226_002.wav")
    want = soxr.resample(stereo.mean(1), 48000, 16000, quality="HQ")
    np.testing.assert_allclose(splits["train"]["p226_002"]["noisy"] / 32768, want, atol=2e-4)


def test_missing_and_corrupt_files_are_skipped_named_and_counted(built):
    _, _, messages = built
    text = "\n".join(messages)
    assert "noisy_trainset_28spk_wav/p226_004.wav: missing" in text
    assert "clean_testset_wav/p232_002.wav: not readable audio" in text
    assert "voicebank_demand/train: skipped 1 of 4 examples" in text
    assert "voicebank_demand/test: skipped 1 of 3 examples" in text


def test_a_wrong_folder_is_named(tmp_path):
    builder = VoicebankDemand(config="16k", data_dir=str(tmp_path / "data"))
    with pytest.raises(ValueError, match="clean_trainset_28spk_wav: no such folder"):
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))
