"""Training and evaluation pipelines on the embedded corpus."""
import itertools

import numpy as np
import pytest
import tensorflow_datasets as tfds

from data_pipelines.pipeline import MixingConfig, eval_dataset, train_dataset

SHORT = MixingConfig(segment_seconds=1.0, snr_db=(-5.0, 15.0), gain_db=(-6.0, 6.0),
                     shuffle_buffer=64)


def batches(builder, n, **kwargs):
    kwargs = {"global_batch_size": 4, "seed": 0, "mixing": SHORT, "process_count": 1,
              "process_index": 0, **kwargs}
    return list(itertools.islice(tfds.as_numpy(train_dataset(builder, **kwargs)), n))


def _snr_db(sources, length):
    speech, noise = sources[0, :length], sources[1, :length]
    return 10 * np.log10(np.sum(speech.astype(np.float64) ** 2)
                         / np.sum(noise.astype(np.float64) ** 2))


def test_batches_have_the_promised_shapes_and_exact_mixtures(tiny_builder):
    for batch in batches(tiny_builder, 3):
        assert batch["mixture"].shape == (4, 16000) and batch["mixture"].dtype == np.float32
        assert batch["sources"].shape == (4, 2, 16000) and batch["length"].shape == (4,)
        np.testing.assert_array_equal(batch["mixture"], batch["sources"][:, 0] + batch["sources"][:, 1])


@pytest.mark.parametrize("snr", [-5.0, 0.0, 12.5])
def test_realised_snr_is_the_drawn_one(tiny_builder, snr):
    mixing = MixingConfig(segment_seconds=1.0, snr_db=(snr, snr), gain_db=(-6.0, 6.0),
                          shuffle_buffer=64)
    for batch in batches(tiny_builder, 3, mixing=mixing):
        for sources, length in zip(batch["sources"], batch["length"]):
            if np.sum(sources[0, :length] ** 2) > 1e-6:  # a crop of pure silence has no SNR
                assert abs(_snr_db(sources, length) - snr) < 0.01


def test_snrs_and_gains_spread_over_their_ranges(tiny_builder):
    snrs, peaks = [], []
    for batch in batches(tiny_builder, 10):
        for sources, length in zip(batch["sources"], batch["length"]):
            snrs.append(_snr_db(sources, length))
            peaks.append(np.abs(sources[0]).max())
    assert -5.01 < min(snrs) < 0 and 10 < max(snrs) < 15.01
    assert max(peaks) / min(peaks) > 2  # +-6 dB of gain on top of the speech's own level


def test_short_utterances_are_padded_and_the_length_says_so(tiny_builder):
    mixing = MixingConfig(segment_seconds=5.0, shuffle_buffer=64)  # longer than every utterance
    batch = batches(tiny_builder, 1, mixing=mixing)[0]
    assert np.all(batch["length"] < 80000)
    for mixture, sources, length in zip(batch["mixture"], batch["sources"], batch["length"]):
        assert np.all(mixture[length:] == 0) and np.all(sources[:, length:] == 0)
        assert np.any(sources[0, :length] != 0)
        assert np.any(sources[1, length - 100:length] != 0)  # noise fills the whole length


def test_same_seed_same_data_and_resume_continues_the_stream(tiny_builder):
    unbroken = batches(tiny_builder, 6)
    again = batches(tiny_builder, 6)
    resumed = batches(tiny_builder, 2, start_step=4)
    other = batches(tiny_builder, 1, seed=1)
    for a, b in zip(unbroken, again):
        np.testing.assert_array_equal(a["mixture"], b["mixture"])
    for a, b in zip(unbroken[4:], resumed):
        np.testing.assert_array_equal(a["sources"], b["sources"])
    assert not np.array_equal(unbroken[0]["mixture"], other[0]["mixture"])


def _file_ids(builder, split, index, count):
    data = eval_dataset(builder, split=split, process_index=index, process_count=count)
    return [fid.decode() for batch in tfds.as_numpy(data) for fid in batch["file_id"]]


@pytest.mark.parametrize("count", [2, 3])
def test_process_shards_are_disjoint_and_cover_the_split(tiny_builder, count):
    everything = _file_ids(tiny_builder, "train", 0, 1)
    shards = [_file_ids(tiny_builder, "train", i, count) for i in range(count)]
    assert sorted(sum(shards, [])) == sorted(everything) and len(set(everything)) == 576


def test_training_processes_draw_speech_only_from_their_own_shard(tiny_builder):
    """With unit gain and a segment longer than any utterance, the speech
    source is a whole stored utterance, so its origin can be looked up."""
    mixing = MixingConfig(segment_seconds=5.0, gain_db=(0.0, 0.0), shuffle_buffer=64)
    ids_of = {}  # an utterance is stored once per noise it is paired with
    for ex in tfds.as_numpy(tiny_builder.as_dataset(split="train")):
        ids_of.setdefault(ex["clean"].tobytes(), set()).add(ex["file_id"].decode())
    for index in range(2):
        shard = set(_file_ids(tiny_builder, "train", index, 2))
        seen = []
        for batch in batches(tiny_builder, 8, mixing=mixing, process_index=index,
                             process_count=2, global_batch_size=8):
            for speech, length in zip(batch["sources"][:, 0], batch["length"]):
                clean = np.round(speech[:length] * 32768).astype(np.int16)
                seen.append(ids_of[clean.tobytes()])
        assert all(ids & shard for ids in seen)
        assert len({min(ids) for ids in seen}) > 24  # of 32 draws: the shard is shuffled


def test_evaluation_keeps_the_corpus_pairs_at_full_length(tiny_builder):
    stored = {ex["file_id"]: ex for ex in tfds.as_numpy(tiny_builder.as_dataset(split="test"))}
    for batch in tfds.as_numpy(eval_dataset(tiny_builder, split="test", batch_size=3)):
        for mixture, sources, length, file_id in zip(*(batch[k] for k in (
                "mixture", "sources", "length", "file_id"))):
            ex = stored[file_id]
            assert length == len(ex["noisy"])
            np.testing.assert_array_equal(mixture[:length] * 32768, ex["noisy"])
            np.testing.assert_array_equal(mixture, sources[0] + sources[1])


def test_bad_settings_are_named(tiny_builder):
    with pytest.raises(ValueError, match="global_batch_size=5 does not divide among 2"):
        train_dataset(tiny_builder, global_batch_size=5, seed=0, process_index=0,
                      process_count=2)
    with pytest.raises(ValueError, match="snr_db"):
        MixingConfig(snr_db=(10.0, 0.0))
    with pytest.raises(ValueError, match="segment_seconds"):
        MixingConfig(segment_seconds=0)


def test_extra_corpora_share_the_speech_stream_by_weight(tiny_builder, recorded_builder):
    """A speech-only corpus beside the embedded one, speech weight 1 (half the
    speech), noise weight 0 (none of the noise). With unit gain and a segment
    longer than any utterance, each speech source is one stored utterance."""
    recorded, _, _ = recorded_builder
    mixing = MixingConfig(segment_seconds=5.0, gain_db=(0.0, 0.0), shuffle_buffer=64)
    extra = [(recorded, "train", 1.0, 0.0)]
    origin = {}
    for name, builder in (("tiny", tiny_builder), ("recorded", recorded)):
        for ex in tfds.as_numpy(builder.as_dataset(split="train")):
            origin[ex["clean"].tobytes()] = name
    drawn = batches(tiny_builder, 10, mixing=mixing, extra=extra)
    sources = []
    for batch in drawn:
        for speech, noise, length in zip(batch["sources"][:, 0], batch["sources"][:, 1],
                                         batch["length"]):
            sources.append(origin[np.round(speech[:length] * 32768).astype(np.int16).tobytes()])
            assert np.any(noise[length - 100:length] != 0)  # the recorded corpus has no noise
    assert 10 <= sources.count("recorded") <= 30  # of 40 draws, each one half and half
    again = batches(tiny_builder, 10, mixing=mixing, extra=extra)
    resumed = batches(tiny_builder, 2, mixing=mixing, extra=extra, start_step=8)
    for a, b in zip(drawn, again):
        np.testing.assert_array_equal(a["mixture"], b["mixture"])
    for a, b in zip(drawn[8:], resumed):
        np.testing.assert_array_equal(a["sources"], b["sources"])
    with pytest.raises(ValueError, match="recorded_voices.*weights \\[0.0, 0.0\\]"):
        batches(tiny_builder, 1, extra=[(recorded, "train", 0.0, 0.0)])


def test_extra_corpora_share_the_noise_stream_by_weight(tiny_builder, recorded_noises_builder):
    """A noise-only corpus of tones, noise weight 1 (half the noise), speech weight 0."""
    from conftest import NOISE_TONE_HZ

    noises, _, _ = recorded_noises_builder
    tones = silent_speech = 0
    for batch in batches(tiny_builder, 10, extra=[(noises, "train", 0.0, 1.0)]):
        for speech, noise, length in zip(batch["sources"][:, 0], batch["sources"][:, 1],
                                         batch["length"]):
            silent_speech += not np.any(speech[:length])  # the noise corpus's clean is zero
            spectrum = np.abs(np.fft.rfft(noise[:length]))
            tones += abs(np.argmax(spectrum) * 16000 / length - NOISE_TONE_HZ) < 5
    assert 10 <= tones <= 30  # of 40 draws
    assert silent_speech <= 2  # a crop of an utterance's own silence, at most
