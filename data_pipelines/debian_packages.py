"""Files from Debian packages, downloaded and unpacked without installing them.

Recorded speech and sound with free licences ship in the Debian archive;
`apt-get download` fetches a package as the system's own sources give it (no
root, nothing installed) and `dpkg-deb -x` unpacks it under a folder.
"""
import subprocess
from pathlib import Path


def unpack(packages, folder) -> Path:
    """folder/root holding the packages' files; each package is downloaded
    into folder/debs and unpacked once (later calls reuse both)."""
    folder = Path(folder)
    root, debs = folder / "root", folder / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    for package in packages:
        if not list(debs.glob(f"{package}_*.deb")):
            print(f"downloading {package} (apt-get download)")
            subprocess.run(["apt-get", "download", package], cwd=debs, check=True)
        marker = root / f".{package}"
        if not marker.exists():
            deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            marker.touch()
    return root
