"""Fixtures shared across test files: expensive things are built once per session."""
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
# Compiled programs are shared by the test processes (the experiments the tests
# launch compile the same tiny model), in a folder of this session's, not the
# user's cache.
os.environ.setdefault("TASNET_JAX_COMPILE_CACHE", tempfile.mkdtemp(prefix="tasnet-jax-xla-"))

# XLA's per-call buffers are reused instead of page-faulted in again on every
# call (tasnet_jax/host_memory.py): the tests' models are small, so the heap's
# growth costs little and the suite runs faster.
from tasnet_jax.host_memory import keep_freed_memory  # noqa: E402

keep_freed_memory()
# The experiments and the CLI the tests start as programs would restart
# themselves once to ask glibc for huge pages, importing TensorFlow and JAX
# twice; tests that check that restart ask for it.
os.environ.setdefault("TASNET_JAX_HUGE_PAGES", "0")

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="session")
def benchmark_script():
    """load(name): benchmarks/NAME.py as a module; its siblings (timing,
    real_recordings) import as they do when it runs as a script."""
    def load(name):
        sys.path.insert(0, str(BENCHMARKS))
        try:
            spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(BENCHMARKS))
        return module
    return load


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


# A model small enough to run in milliseconds; fields of small_config.
TINY_MODEL = dict(n_filters=32, bottleneck_channels=16, hidden_channels=32, skip_channels=16,
                  blocks_per_repeat=3, repeats=1)


@pytest.fixture(scope="session")
def make_run(tmp_path_factory):
    """make_run(scores={step: val_si_snr}, **model_fields) -> (workdir, model, {step: state}).

    A workdir with checkpoints saved as the training loop saves them (the
    quickstart experiment's config), of a tiny model with different random
    parameters at each step. A score of None saves that step without
    metrics, as the loop saves between evaluations."""
    import dataclasses
    import sys
    from pathlib import Path

    import jax
    import jax.numpy as jnp

    from tasnet_jax.checkpoints import Checkpoints
    from tasnet_jax.model import ConvTasNet, small_config
    from tasnet_jax.optim import OptimConfig, Plateau, make_optimizer
    from tasnet_jax.parallel import make_mesh
    from tasnet_jax.step import create_train_state

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))
    from quickstart import get_config

    def make(scores=None, **model_fields):
        model_config = small_config(**{**TINY_MODEL, **model_fields})
        config = get_config()
        config.model = dataclasses.asdict(model_config)
        model = ConvTasNet(model_config)
        optimizer = make_optimizer(OptimConfig(**config.optim))
        workdir = tmp_path_factory.mktemp("run")
        checkpoints = Checkpoints(workdir / "checkpoints", asynchronous=False)
        states = {}
        for step, score in (scores or {1: 0.0}).items():
            state = create_train_state(model, optimizer, jax.random.key(step),
                                       jnp.zeros((1, 16)), make_mesh(jax.devices()[:1]))
            state = state.replace(step=jnp.int32(step))
            record = {"config": config.to_dict(), "plateau": dataclasses.asdict(Plateau()),
                      "stopped": False}
            checkpoints.save(step, state, record,
                             None if score is None else {"val_si_snr": score})
            states[step] = state
        checkpoints.close()
        return workdir, model, states

    return make


# Tones standing in for recorded voices: (voice in recorded_voices.VOICES, tone Hz).
RECORDED_TONES = {"asterisk_en": 440.0, "asterisk_it": 700.0, "klettres_fr": 1000.0}


@pytest.fixture(scope="session")
def recorded_root(tmp_path_factory):
    """Unpacked packages as recorded_voices reads them, holding 0.5 s tones padded
    with silence: G.722 for the Asterisk voices, 44.1 kHz stereo Ogg for KLettres;
    one empty .g722 and one corrupt .ogg."""
    from pathlib import Path

    import G722
    import numpy as np
    import soundfile as sf

    from data_pipelines.recorded_voices import VOICES

    folder = tmp_path_factory.mktemp("recorded")
    root = folder / "root"
    for name, hz in RECORDED_TONES.items():
        voice = VOICES[name]
        (root / f".{voice.package}").parent.mkdir(parents=True, exist_ok=True)
        (root / f".{voice.package}").touch()
        base = Path(voice.pattern.split("*")[0])
        rate = 16000 if name.startswith("asterisk") else 44100
        t = np.arange(int(0.5 * rate)) / rate
        tone = np.concatenate([np.zeros(rate // 5), 0.3 * np.sin(2 * np.pi * hz * t),
                               np.zeros(rate // 4)])
        for i in range(14):
            if name.startswith("asterisk"):
                path = root / base / f"prompt_{i}.g722"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(G722.G722(16000, 64000).encode(
                    np.round(tone * 32767).astype(np.int16)))
            else:
                path = root / base / "alpha" / f"letter_{i}.ogg"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(path, np.stack([tone, tone], axis=1), rate, format="OGG")
    (root / Path(VOICES["asterisk_en"].pattern.split("*")[0]) / "empty.g722").write_bytes(b"")
    (root / Path(VOICES["klettres_fr"].pattern.split("*")[0]) / "alpha/broken.ogg").write_bytes(
        b"not an ogg file")
    return folder


@pytest.fixture(scope="session")
def recorded_builder(recorded_root, tmp_path_factory, prepare):
    """(recorded_voices built on recorded_root, {split: {file_id: example}}, log messages)."""
    from data_pipelines.recorded_voices import RecordedVoices

    builder = RecordedVoices(data_dir=str(tmp_path_factory.mktemp("tfds_recorded")))
    return (builder, *prepare(builder, recorded_root))


NOISE_TONE_HZ = 3000.0  # what recorded_noises_root's usable sounds hold


@pytest.fixture(scope="session")
def recorded_noises_builder(tmp_path_factory, prepare):
    """(recorded_noises built on a layout of two sources' packages, {split: {id: ex}},
    log messages). Usable sounds are tones at NOISE_TONE_HZ; beside them a voice
    (by its name), a silent file, a click too short, a corrupt file."""
    import numpy as np
    import soundfile as sf

    from data_pipelines.recorded_noises import RecordedNoises

    folder = tmp_path_factory.mktemp("recorded_noises")
    root = folder / "root"
    games = root / "usr/share/games"

    def tone(path, seconds, rate=16000, channels=1, amplitude=0.2):
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(seconds * rate)) / rate
        audio = amplitude * np.sin(2 * np.pi * NOISE_TONE_HZ * t) + 0.05
        sf.write(path, np.repeat(audio[:, None], channels, axis=1), rate)

    tone(games / "megaglest/tilesets/forest/sounds/birds.wav", 2.0, rate=44100, channels=2)
    unit = games / "megaglest/techs/megapack/factions/egypt/units/warrior/sounds"
    tone(unit / "sword_attack1.wav", 1.0)
    tone(unit / "warrior_ack1.wav", 1.0)
    sounds = games / "wesnoth/1.16/data/core/sounds"
    tone(sounds / "long.wav", 61.0)
    tone(sounds / "click.wav", 0.05)
    tone(sounds / "silence.wav", 1.0, amplitude=0.0)
    (sounds / "broken.ogg").write_bytes(b"not an ogg file")
    for package in ("megaglest-data", "wesnoth-1.16-data"):
        (root / f".{package}").touch()
    builder = RecordedNoises(data_dir=str(tmp_path_factory.mktemp("tfds_noises")))
    return (builder, *prepare(builder, folder))
