"""debian_packages.unpack with a stand-in apt-get on PATH and the real dpkg-deb."""
import logging
import os
import shutil

import pytest

from data_pipelines import debian_packages

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")

# Builds NAME_1.0_all.deb holding usr/share/NAME/file.txt for "good-*" names,
# logs every call, and fails as apt does for any other name.
FAKE_APT = """#!/bin/sh
echo "$2" >> "{calls}"
case "$2" in
  good-*) tree=$(mktemp -d); mkdir -p "$tree/DEBIAN" "$tree/usr/share/$2"
          echo "$2" > "$tree/usr/share/$2/file.txt"
          printf 'Package: %s\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: t <t@t>\\nDescription: t\\n' "$2" > "$tree/DEBIAN/control"
          dpkg-deb --build "$tree" "$2_1.0_all.deb" > /dev/null; rm -rf "$tree";;
  *) echo "E: Unable to locate package $2" >&2; exit 100;;
esac
"""


@pytest.fixture
def apt(tmp_path, monkeypatch):
    """The names apt-get was asked for, in order (a list read after the calls)."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(FAKE_APT.format(calls=calls))
    (bin_dir / "apt-get").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return lambda: calls.read_text().split() if calls.exists() else []


def test_the_first_alternative_apt_has_is_unpacked_once(tmp_path, apt, caplog):
    folder = tmp_path / "fetched"
    packages = [("missing-new", "good-old"), "good-other", ("missing-a", "missing-b")]
    with caplog.at_level(logging.WARNING):
        root = debian_packages.unpack(packages, folder, missing_ok=True)
    assert (root / "usr/share/good-old/file.txt").read_text() == "good-old\n"
    assert (root / "usr/share/good-other/file.txt").is_file()
    assert debian_packages.unpacked(root, "good-old")
    assert not debian_packages.unpacked(root, "missing-new")
    assert "found none of ('missing-a', 'missing-b')" in caplog.text
    asked = apt()
    assert asked == ["missing-new", "good-old", "good-other", "missing-a", "missing-b"]
    debian_packages.unpack(packages[:2], folder, missing_ok=True)  # again: nothing to fetch
    assert apt() == asked


def test_a_package_apt_does_not_have_is_an_error_unless_allowed(tmp_path, apt):
    with pytest.raises(RuntimeError, match="found none of \\('missing-pkg',\\)"):
        debian_packages.unpack(["missing-pkg"], tmp_path / "fetched")
