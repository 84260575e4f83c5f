"""Build a corpus into tfds's format, once, before training.

    python -m data_pipelines.prepare NAME [--manual_dir DIR] [--data_dir DIR] [--config NAME]

NAME is one of BUILDERS; all but tiny_noisy_speech read a corpus the user has
downloaded into --manual_dir (each builder's MANUAL_DOWNLOAD_INSTRUCTIONS say
what goes there). --data_dir defaults to tfds's (~/tensorflow_datasets).
"""
import argparse
import sys
from pathlib import Path

import tensorflow_datasets as tfds

from data_pipelines.dns_challenge import DnsChallenge
from data_pipelines.game_voices import GameVoices
from data_pipelines.librimix import Librimix
from data_pipelines.noisy_folders import NoisyFolders
from data_pipelines.recorded_music import RecordedMusic
from data_pipelines.recorded_noises import RecordedNoises
from data_pipelines.recorded_voices import RecordedVoices
from data_pipelines.tiny_noisy_speech import TinyNoisySpeech
from data_pipelines.voicebank_demand import VoicebankDemand

BUILDERS = {
    "tiny_noisy_speech": TinyNoisySpeech,
    "voicebank_demand": VoicebankDemand,
    "librimix": Librimix,
    "dns_challenge": DnsChallenge,
    "noisy_folders": NoisyFolders,
    "recorded_voices": RecordedVoices,
    "recorded_noises": RecordedNoises,
    "recorded_music": RecordedMusic,
    "game_voices": GameVoices,
}


def builder(name: str, data_dir=None, config=None) -> tfds.core.DatasetBuilder:
    """The builder called `name` (and `config`, else its default), reading `data_dir`."""
    if name not in BUILDERS:
        raise ValueError(f"unknown corpus {name!r}; choose one of {tuple(BUILDERS)}")
    cls = BUILDERS[name]
    configs = [c.name for c in cls.BUILDER_CONFIGS]
    if config is not None and config not in configs:
        raise ValueError(f"{name} has no config {config!r}; choose one of {tuple(configs) or '()'}")
    return cls(config=config, data_dir=None if data_dir is None else str(data_dir))


def prepare(name: str, data_dir=None, manual_dir=None, config=None) -> tfds.core.DatasetBuilder:
    """Build the corpus if it is not built yet; returns the ready builder.
    Folders may start with ~ (the user's home)."""
    data_dir, manual_dir = (None if d is None else Path(d).expanduser()
                            for d in (data_dir, manual_dir))
    ready = builder(name, data_dir, config)
    needs_manual = bool(getattr(ready, "MANUAL_DOWNLOAD_INSTRUCTIONS", None))
    if needs_manual and (manual_dir is None or not Path(manual_dir).is_dir()):
        given = None if manual_dir is None else str(manual_dir)
        raise ValueError(f"{name} reads a corpus you download yourself; pass its folder as "
                         f"manual_dir (got {given!r}).\n{ready.MANUAL_DOWNLOAD_INSTRUCTIONS}")
    ready.download_and_prepare(download_config=tfds.download.DownloadConfig(
        manual_dir=None if manual_dir is None else str(manual_dir)))
    return ready


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name", choices=BUILDERS)
    parser.add_argument("--manual_dir", help="the downloaded corpus")
    parser.add_argument("--data_dir", help="where tfds keeps built datasets")
    parser.add_argument("--config", help="builder config, e.g. 48k for voicebank_demand")
    args = parser.parse_args(argv)
    try:
        ready = prepare(args.name, args.data_dir, args.manual_dir, args.config)
    except ValueError as err:
        sys.exit(str(err))
    splits = ", ".join(f"{k}: {v.num_examples}" for k, v in ready.info.splits.items())
    print(f"{ready.info.full_name} ready in {ready.data_dir} ({splits})")


if __name__ == "__main__":
    main()
