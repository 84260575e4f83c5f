"""Build a corpus into tfds's format, once, before training.

    python -m data_pipelines.prepare NAME [--manual_dir DIR] [--data_dir DIR] [--config NAME]

NAME is one of BUILDERS; all but tiny_noisy_speech read a corpus the user has
downloaded into --manual_dir (each builder's MANUAL_DOWNLOAD_INSTRUCTIONS say
what goes there). --data_dir defaults to tfds's (~/tensorflow_datasets).

tfds keeps a built corpus by name, config and version only, so a build can
outlive what it was built from: a user's folder that gained or lost files, or
an embedded corpus whose files changed under the same version. Beside each
build, SOURCES_FILE records what it came from (the manual folder's file count
and bytes, or a digest of the embedded corpus's files and code). A later
prepare that finds them changed rebuilds an embedded corpus (a minute's work)
with a warning, and refuses a user's corpus with an error that names the
build and the folder, since rebuilding it may take hours. Builds made before
this record existed are trusted as they are.
"""
import argparse
import hashlib
import json
import logging
import shutil
import sys
from pathlib import Path

import tensorflow_datasets as tfds

from data_pipelines.dns_challenge import DnsChallenge
from data_pipelines.game_voices import GameVoices
from data_pipelines.librimix import Librimix
from data_pipelines.noisy_folders import NoisyFolders
from data_pipelines.recorded_foley import RecordedFoley
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
    "recorded_foley": RecordedFoley,
    "game_voices": GameVoices,
}
SOURCES_FILE = "tasnet_sources.json"
log = logging.getLogger(__name__)


def builder(name: str, data_dir=None, config=None) -> tfds.core.DatasetBuilder:
    """The builder called `name` (and `config`, else its default), reading `data_dir`."""
    if name not in BUILDERS:
        raise ValueError(f"unknown corpus {name!r}; choose one of {tuple(BUILDERS)}")
    cls = BUILDERS[name]
    configs = [c.name for c in cls.BUILDER_CONFIGS]
    if config is not None and config not in configs:
        raise ValueError(f"{name} has no config {config!r}; choose one of {tuple(configs) or '()'}")
    return cls(config=config, data_dir=None if data_dir is None else str(data_dir))


def _files_under(folder: Path, skip: Path | None = None):
    return (p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != SOURCES_FILE
            and (skip is None or skip not in p.parents))


def sources_of(ready: tfds.core.DatasetBuilder, manual_dir) -> dict:
    """What a build comes from: the manual folder's files (count and bytes; their
    names and sizes digested), or the digest of an embedded corpus's SOURCES."""
    digest = hashlib.sha256()
    if manual_dir is None:
        for root in getattr(ready, "SOURCES", ()):
            for path in [root] if root.is_file() else _files_under(root):
                digest.update(f"{path.relative_to(root.parent)}\n".encode())
                digest.update(path.read_bytes())
        return {"digest": digest.hexdigest()}
    count = size = 0
    folder = Path(manual_dir).resolve()
    # A data_dir inside manual_dir holds builds, not sources.
    for path in _files_under(folder, Path(ready.data_dir_root).resolve()):
        count, size = count + 1, size + path.stat().st_size
        digest.update(f"{path.relative_to(folder)}\t{path.stat().st_size}\n".encode())
    return {"files": count, "bytes": size, "digest": digest.hexdigest()}


def _stale_build(name, ready, manual_dir, old, new):
    """Rebuild an embedded corpus; refuse a user's (see the module's docstring)."""
    where = ready.data_dir
    if manual_dir is None:
        log.warning("%s in %s was built from other files than this tasnet-jax ships; "
                    "building it again", name, where)
        shutil.rmtree(where)
        return
    raise ValueError(
        f"{name} in {where} is stale: the files in {manual_dir} changed since it was built "
        f"(then {old['files']} files, {old['bytes']:,} bytes; now {new['files']} files, "
        f"{new['bytes']:,} bytes, or other names or sizes). Delete {where} to build it again "
        "from them, or pass another data_dir.")


def prepare(name: str, data_dir=None, manual_dir=None, config=None) -> tfds.core.DatasetBuilder:
    """Build the corpus if it is not built yet, or if what it was built from
    changed (module docstring); returns the ready builder. Folders may start
    with ~ (the user's home)."""
    data_dir, manual_dir = (None if d is None else Path(d).expanduser()
                            for d in (data_dir, manual_dir))
    ready = builder(name, data_dir, config)
    needs_manual = bool(getattr(ready, "MANUAL_DOWNLOAD_INSTRUCTIONS", None))
    if needs_manual and (manual_dir is None or not Path(manual_dir).is_dir()):
        given = None if manual_dir is None else str(manual_dir)
        raise ValueError(f"{name} reads a corpus you download yourself; pass its folder as "
                         f"manual_dir (got {given!r}).\n{ready.MANUAL_DOWNLOAD_INSTRUCTIONS}")
    if not needs_manual:
        manual_dir = None
    record = Path(ready.data_dir) / SOURCES_FILE
    if ready.is_prepared() and record.exists():
        old, new = json.loads(record.read_text()), sources_of(ready, manual_dir)
        if old != new:
            _stale_build(name, ready, manual_dir, old, new)
            ready = builder(name, data_dir, config)
    ready.download_and_prepare(download_config=tfds.download.DownloadConfig(
        manual_dir=None if manual_dir is None else str(manual_dir)))
    if not record.exists():
        partial = record.with_name(record.name + ".partial")
        partial.write_text(json.dumps(sources_of(ready, manual_dir)))
        partial.replace(record)  # whole or absent, should another process read it
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
