"""Fixtures shared across test files: expensive things are built once per session."""
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter


@pytest.fixture(scope="session")
def tiny_builder(tmp_path_factory):
    """tiny_noisy_speech, prepared once in a temporary data_dir."""
    from data_pipelines.tiny_noisy_speech import TinyNoisySpeech

    builder = TinyNoisySpeech(data_dir=str(tmp_path_factory.mktemp("tfds")))
    builder.download_and_prepare()
    return builder


@pytest.fixture(scope="session")
def prepare():
    """prepare(builder, manual_dir) -> ({split: {file_id: example}}, [log messages]).

    Builds the dataset and collects what data_pipelines logged while doing so
    (caplog is per test; the builds are shared by a module's tests)."""
    import logging

    import tensorflow_datasets as tfds

    def run(builder, manual_dir):
        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logger = logging.getLogger("data_pipelines")
        logger.addHandler(handler)
        try:
            builder.download_and_prepare(
                download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
        finally:
            logger.removeHandler(handler)
        splits = {split: {ex["file_id"].decode(): ex
                          for ex in tfds.as_numpy(builder.as_dataset(split=split))}
                  for split in builder.info.splits}
        return splits, [r.getMessage() for r in records]

    return run


@pytest.fixture(scope="session")
def write_audio():
    """write_audio(path, seconds=0.1, rate=16000, channels=1, seed=0): random 16-bit audio."""
    import numpy as np
    import soundfile as sf

    def write(path, seconds=0.1, rate=16000, channels=1, seed=0):
        path.parent.mkdir(parents=True, exist_ok=True)
        audio = np.random.default_rng(seed).uniform(-0.3, 0.3, (int(seconds * rate), channels))
        sf.write(path, audio, rate, subtype="PCM_16")

    return write
