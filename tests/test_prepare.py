"""The prepare command: one line per corpus, clear refusals, and no stale builds."""
from pathlib import Path

import pytest
import tensorflow_datasets as tfds

from data_pipelines import prepare


def test_tiny_corpus_prepares_with_nothing_downloaded(tmp_path, capsys):
    prepare.main(["tiny_noisy_speech", "--data_dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "tiny_noisy_speech/2.0.0 ready" in out and "train: 576" in out


def test_a_corpus_without_its_folder_says_where_to_get_it(tmp_path):
    with pytest.raises(SystemExit, match="(?s)pass its folder as manual_dir.*datashare.ed.ac.uk"):
        prepare.main(["voicebank_demand", "--data_dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="got '/nowhere'"):
        prepare.main(["librimix", "--manual_dir", "/nowhere", "--data_dir", str(tmp_path)])


def test_unknown_names_and_configs_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown corpus 'timit'"):
        prepare.builder("timit")
    with pytest.raises(ValueError, match="voicebank_demand has no config '22k'.*'16k', '48k'"):
        prepare.builder("voicebank_demand", config="22k")


class StampedCorpus(tfds.core.GeneratorBasedBuilder):
    """An embedded corpus in miniature: one example per line of its source file."""

    VERSION = tfds.core.Version("1.0.0")
    SOURCES = ()  # set by the test

    def _info(self):
        return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict(
            {"line": tfds.features.Text()}))

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(self.SOURCES[0].read_text().splitlines())}

    def _generate_examples(self, lines):
        for i, line in enumerate(lines):
            yield str(i), {"line": line}


def _lines(ready):
    return sorted(ex["line"].decode() for ex in tfds.as_numpy(ready.as_dataset(split="train")))


def test_an_embedded_corpus_is_built_again_when_its_files_change(tmp_path, monkeypatch, caplog):
    source = tmp_path / "sentences.txt"
    source.write_text("one\ntwo\n")
    monkeypatch.setattr(StampedCorpus, "SOURCES", (source,))
    monkeypatch.setitem(prepare.BUILDERS, "stamped_corpus", StampedCorpus)
    data_dir = tmp_path / "tfds"
    assert _lines(prepare.prepare("stamped_corpus", data_dir)) == ["one", "two"]
    assert _lines(prepare.prepare("stamped_corpus", data_dir)) == ["one", "two"]
    assert "built from other files" not in caplog.text
    # The same version, other content: the old build must not be read as this one.
    source.write_text("one\ntwo\nthree\n")
    assert _lines(prepare.prepare("stamped_corpus", data_dir)) == ["one", "three", "two"]
    assert "stamped_corpus in" in caplog.text and "building it again" in caplog.text


def test_a_users_folder_that_changed_since_its_build_is_refused(tmp_path, write_audio):
    root = tmp_path / "mine"
    for speaker in ("ann", "bo"):
        for i in range(5):
            write_audio(root / f"clean/{speaker}/{i}.wav", rate=8000, seed=i)
    write_audio(root / "noise/fan.wav", rate=8000, seconds=0.3, seed=9)
    data_dir = root / "tfds"  # inside the user's folder: its builds are not sources
    built = prepare.prepare("noisy_folders", data_dir, root, "8k")
    assert built.info.splits["train"].num_examples == 8
    assert (Path(built.data_dir) / prepare.SOURCES_FILE).exists()
    prepare.prepare("noisy_folders", data_dir, root, "8k")  # unchanged: reused as it is
    write_audio(root / "clean/bo/5.wav", rate=8000, seed=5)
    with pytest.raises(ValueError, match=r"(?s)noisy_folders in .* is stale: the files in .*mine "
                                         r"changed .*then 11 files.*now 12 files.*Delete "):
        prepare.prepare("noisy_folders", data_dir, root, "8k")
    (root / "clean/bo/5.wav").unlink()  # as it was: the build is good again
    prepare.prepare("noisy_folders", data_dir, root, "8k")
