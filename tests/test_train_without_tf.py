"""benchmarks/train_without_tf.py: the corpus travels exactly; a run made there
loads like one trained here."""
import dataclasses
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import tensorflow_datasets as tfds

from tasnet_jax import inference

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "train_without_tf.py"


def test_export_train_import_round_trip(tiny_builder, tmp_path, benchmark_script):
    script = benchmark_script("train_without_tf")
    data_dir = Path(tiny_builder.data_dir).parents[1]
    arrays = tmp_path / "corpus.npz"
    script.export(ROOT / "experiments" / "quickstart.py", arrays,
                  [f"data.data_dir={data_dir}", "num_steps=2", "log_every_steps=1"])

    # Every training utterance once, every noise clip in order, sample for sample
    # (noise = noisy - clean can leave the int16 range).
    saved = np.load(arrays)

    def decoded(name):
        blob, offsets = saved[name + "_flac"], saved[name + "_offsets"]
        return [sf.read(io.BytesIO(blob[a:b].tobytes()), dtype="float64")[0]
                for a, b in zip(offsets[:-1], offsets[1:])]

    train = list(tfds.as_numpy(tiny_builder.as_dataset(split="train", shuffle_files=False)))
    noises = decoded("noise")
    assert len(noises) == len(train) == 576
    for ex, noise in zip(train, noises):
        np.testing.assert_array_equal(np.round(noise * 2 * 32768), ex["noise"])
    assert max(np.abs(ex["noise"]).max() for ex in train) > 32767
    speech = {np.round(s * 2 * 32768).astype(np.int16).tobytes() for s in decoded("speech")}
    assert speech == {ex["clean"].tobytes() for ex in train}

    out = tmp_path / "out"
    subprocess.run([sys.executable, str(SCRIPT), "train", str(arrays), str(out), "--workers",
                    "1"], check=True, cwd=ROOT, timeout=600)
    assert len((out / "history.jsonl").read_text().splitlines()) == 2
    script.import_params(out, tmp_path / "run")
    denoiser = inference.load(tmp_path / "run")
    from experiments import quickstart

    assert denoiser.step == 2
    assert dataclasses.asdict(denoiser.config) == quickstart.get_config().model.to_dict()


def test_extra_corpora_travel_with_their_weights(tiny_builder, recorded_builder, recorded_root,
                                                 tmp_path, benchmark_script):
    """quickstart_recorded's way of adding a corpus: recorded voices as half the
    speech and none of the noise. Its utterances travel exactly, and the speech
    stream draws about half its clips from them."""
    script = benchmark_script("train_without_tf")
    recorded, _, _ = recorded_builder
    data_dir = Path(tiny_builder.data_dir).parents[1]
    # Built already (data_dir/recorded_voices/16k/VERSION): prepare finds it there.
    extra = (dict(corpus="recorded_voices", data_dir=str(Path(recorded.data_dir).parents[2]),
                  manual_dir=str(recorded_root), speech=1.0, noise=0.0),)
    arrays = tmp_path / "corpus.npz"
    script.export(ROOT / "experiments" / "quickstart.py", arrays,
                  [f"data.data_dir={data_dir}", f"data.extra={extra!r}"])
    saved = np.load(arrays)
    np.testing.assert_array_equal(saved["speech_weights"], [1.0, 1.0])
    np.testing.assert_array_equal(saved["noise_weights"], [1.0, 0.0])
    assert "extra1_noise_flac" not in saved.files
    utterances = {ex["clean"].tobytes()
                  for ex in tfds.as_numpy(recorded.as_dataset(split="train"))}
    travelled = script._unflac(saved["extra1_speech_flac"], saved["extra1_speech_offsets"])
    assert {np.round(u * 32768).astype(np.int16).tobytes() for u in travelled} == utterances

    speech, noise = script._pools(saved, "speech"), script._pools(saved, "noise")
    assert [w for _, w in speech] == [1.0, 1.0] and len(noise) == 1
    drawn = [script._draw(speech, 0, i) for i in range(400)]
    from_recorded = sum(np.round(c * 32768).astype(np.int16).tobytes() in utterances
                        for c in drawn)
    assert 160 <= from_recorded <= 240  # of 400, each one half and half
    again = [script._draw(speech, 0, i) for i in range(400)]
    assert all(np.array_equal(a, b) for a, b in zip(drawn, again))


def test_a_file_exported_before_extra_corpora_loads_as_one_corpus(tmp_path, benchmark_script):
    script = benchmark_script("train_without_tf")
    clips = [np.full(800, 1000 * (i + 1), np.int16) for i in range(3)]
    blob, offsets = script._flac_blob(clips, 16000)
    old = tmp_path / "old.npz"
    np.savez(old, speech_flac=blob, speech_offsets=offsets, noise_flac=blob,
             noise_offsets=offsets, sample_rate=16000, config="{}")
    for kind in ("speech", "noise"):
        (pool, weight), = script._pools(np.load(old), kind)
        assert weight == 1.0
        np.testing.assert_array_equal([np.round(c * 32768) for c in pool], clips)
