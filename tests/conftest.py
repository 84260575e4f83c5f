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
