"""librimix on a fake Libri1Mix laid out like the generated one."""
import csv

import numpy as np
import soundfile as sf
import pytest
import tensorflow_datasets as tfds

from data_pipelines.librimix import Librimix

IDS = {"train-100": ["103-1240-0000", "103-1240-0001", "19-198-0000", "19-198-0001"],
       "dev": ["84-121123-0000"], "test": ["61-70968-0000", "61-70968-0001"]}


@pytest.fixture(scope="module")
def manual_dir(tmp_path_factory, write_audio):
    root = tmp_path_factory.mktemp("librimix")
    mode_dir = root / "Libri1Mix/wav16k/min"
    elsewhere = "/home/someone/data/Libri1Mix/wav16k/min"  # paths as written by the generator
    for folder, ids in IDS.items():
        rows = []
        for i, mix_id in enumerate(ids):
            for kind, seed in (("mix_single", i), ("s1", 50 + i), ("noise", 90 + i)):
                write_audio(mode_dir / folder / kind / f"{mix_id}.wav", seed=seed)
            rows.append(dict(mixture_ID=mix_id,
                             mixture_path=f"{elsewhere}/{folder}/mix_single/{mix_id}.wav",
                             source_1_path=f"{elsewhere}/{folder}/s1/{mix_id}.wav",
                             noise_path=f"{elsewhere}/{folder}/noise/{mix_id}.wav", length=1600))
        (mode_dir / "metadata").mkdir(parents=True, exist_ok=True)
        with open(mode_dir / f"metadata/mixture_{folder}_mix_single.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    train = mode_dir / "train-100"
    write_audio(train / "mix_single/103-1240-0001.wav", channels=2, seed=7)  # stereo
    write_audio(train / "mix_single/19-198-0000.wav", rate=8000, seed=8)  # 8 kHz in a 16k set
    write_audio(train / "s1/19-198-0000.wav", rate=8000, seed=9)
    (train / "s1/19-198-0001.wav").unlink()  # missing partner
    (mode_dir / "test/mix_single/61-70968-0001.wav").write_bytes(b"corrupt")
    return root


@pytest.fixture(scope="module")
def built(manual_dir, tmp_path_factory, prepare):
    builder = Librimix(config="16k_min", data_dir=str(tmp_path_factory.mktemp("tfds")))
    return (builder, *prepare(builder, manual_dir))


def test_generated_splits_are_found_and_filled(built):
    builder, splits, _ = built
    assert set(splits) == {"train_100", "validation", "test"}  # no train-360 was generated
    assert sorted(splits["train_100"]) == ["103-1240-0000", "103-1240-0001", "19-198-0000"]
    assert list(splits["validation"]) == ["84-121123-0000"]
    assert list(splits["test"]) == ["61-70968-0000"]
    assert splits["train_100"]["19-198-0000"]["speaker"] == b"19"
    assert builder.info.metadata["sample_rate"] == 16000


def test_examples_are_16k_with_exact_noise(built):
    _, splits, _ = built
    for split in splits.values():
        for ex in split.values():
            assert len(ex["noisy"]) == 1600
            np.testing.assert_array_equal(ex["noisy"].astype(np.int32), ex["clean"] + ex["noise"])


def test_missing_and_corrupt_files_are_skipped_named_and_counted(built):
    _, _, messages = built
    text = "\n".join(messages)
    assert "train-100/s1/19-198-0001.wav: missing" in text
    assert "test/mix_single/61-70968-0001.wav: not readable audio" in text
    assert "librimix/train_100: skipped 1 of 4 examples" in text


def test_a_folder_without_libri1mix_is_named(tmp_path):
    builder = Librimix(config="8k_max", data_dir=str(tmp_path / "data"))
    with pytest.raises(ValueError, match="wav8k/max/metadata: no mixture_<split>_mix_single.csv"):
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))


def test_two_speaker_separation_config_keeps_both_speakers(tmp_path, write_audio, prepare):
    mode_dir = tmp_path / "Libri2Mix/wav8k/min"
    rows = []
    for i, mix_id in enumerate(["103-1240-0000_19-198-0001", "61-70968-0000_84-121123-0002"]):
        for kind in ("mix_clean", "s1", "s2"):
            write_audio(mode_dir / "test" / kind / f"{mix_id}.wav", rate=8000, seed=10 * i + len(kind))
        rows.append(f"{mix_id},/elsewhere/test/mix_clean/{mix_id}.wav,"
                    f"/elsewhere/test/s1/{mix_id}.wav,/elsewhere/test/s2/{mix_id}.wav,800")
    (mode_dir / "metadata").mkdir(parents=True)
    (mode_dir / "metadata/mixture_test_mix_clean.csv").write_text(
        "mixture_ID,mixture_path,source_1_path,source_2_path,length\n" + "\n".join(rows) + "\n")
    builder = Librimix(config="sep_clean_8k_min", data_dir=str(tmp_path / "data"))
    splits, _ = prepare(builder, tmp_path)
    assert builder.info.metadata["sample_rate"] == 8000 and set(splits) == {"test"}
    ex = splits["test"]["103-1240-0000_19-198-0001"]
    mix, _ = sf.read(mode_dir / "test/mix_clean/103-1240-0000_19-198-0001.wav", dtype="int16")
    s1, _ = sf.read(mode_dir / "test/s1/103-1240-0000_19-198-0001.wav", dtype="int16")
    np.testing.assert_array_equal(ex["noisy"], mix)
    np.testing.assert_array_equal(ex["clean"], s1)
    np.testing.assert_array_equal(ex["noise"], mix.astype(np.int32) - s1)  # speaker 2's place
    assert ex["speaker"] == b"103"
