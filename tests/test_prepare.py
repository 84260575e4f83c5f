"""The prepare command: one line per corpus, and clear refusals."""
import pytest

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
