"""Files from Debian packages, downloaded and unpacked without installing them.

Recorded speech and sound with free licences ship in the Debian archive;
`apt-get download` fetches a package as the system's own sources give it (no
root, nothing installed) and `dpkg-deb -x` unpacks it under a folder.
"""
import argparse
import logging
import subprocess
import sys
from pathlib import Path

import tensorflow_datasets as tfds

from data_pipelines.features import RateConfig, noisy_speech_info

log = logging.getLogger(__name__)


def unpacked(root: Path, package: str) -> bool:
    """Whether `unpack` has unpacked `package` under `root`."""
    return (Path(root) / f".{package}").exists()


def unpack(packages, folder, missing_ok=False) -> Path:
    """folder/root holding the packages' files; each package is downloaded
    into folder/debs and unpacked once (later calls reuse both). An item of
    `packages` may be a tuple of alternatives (names change between
    releases): the first one apt has is taken. With `missing_ok`, an item apt
    has none of is named in a warning and skipped; otherwise it is an error."""
    folder = Path(folder)
    root, debs = folder / "root", folder / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    for item in packages:
        alternatives = (item,) if isinstance(item, str) else tuple(item)
        if any(unpacked(root, package) for package in alternatives):
            continue
        for package in alternatives:
            if not list(debs.glob(f"{package}_*.deb")):
                print(f"downloading {package} (apt-get download)")
                done = subprocess.run(["apt-get", "download", package], cwd=debs,
                                      capture_output=True, text=True)
                if done.returncode:
                    log.info("%s: %s", package, done.stderr.strip())
                    continue
            deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            (root / f".{package}").touch()
            break
        else:
            message = f"apt-get download found none of {alternatives}"
            if not missing_ok:
                raise RuntimeError(message)
            log.warning("%s; left out", message)
    return root


def fetch_main(corpus: str, packages, missing_ok=False, argv=None):
    """The command line that fetches a corpus's packages into a folder."""
    parser = argparse.ArgumentParser(description=f"Download and unpack the packages {corpus} "
                                     "reads (apt-get download, nothing installed).")
    parser.add_argument("folder", type=Path)
    root = unpack(packages, parser.parse_args(argv).folder, missing_ok)
    print(f"unpacked under {root}; training prepares {corpus} from it (or: python -m "
          f"data_pipelines.prepare {corpus} --manual_dir {root.parent})")


class PackagedCorpus(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """A corpus made from unpacked packages (manual_dir/root), one split,
    train, at 16 kHz (default) or 8 kHz; subclasses write examples(root, rate)."""

    BUILDER_CONFIGS = [RateConfig(name="16k", sample_rate=16000),
                       RateConfig(name="8k", sample_rate=8000)]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.MANUAL_DOWNLOAD_INSTRUCTIONS = (
            f"Run `python -m {cls.__module__} DIR` (apt-get download and dpkg-deb -x, "
            "nothing installed) and pass DIR as manual_dir.")

    def _info(self):
        return noisy_speech_info(self, sample_rate=self.builder_config.sample_rate,
                                 description=sys.modules[type(self).__module__].__doc__)

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(Path(dl_manager.manual_dir) / "root")}

    def _generate_examples(self, root):
        # Each subclass's examples(root, rate) yields (key, example) pairs.
        yield from self.examples(root, self.builder_config.sample_rate)
