"""recorded_noises on unpacked packages laid out on disk (tones stand in for sounds)."""
import numpy as np

from conftest import NOISE_TONE_HZ
from data_pipelines.recorded_noises import MAX_SECONDS

RATE = 16000


def test_each_usable_sound_is_one_example_of_noise_alone(recorded_noises_builder):
    _, splits, _ = recorded_noises_builder
    train = splits["train"]
    assert sorted(train) == [
        "megaglest/usr/share/games/megaglest/techs/megapack/factions/egypt/units/warrior/"
        "sounds/sword_attack1.wav",
        "megaglest/usr/share/games/megaglest/tilesets/forest/sounds/birds.wav",
        "wesnoth/usr/share/games/wesnoth/1.16/data/core/sounds/long.wav"]
    lengths = {file_id.rsplit("/", 1)[1]: ex["noise"].size for file_id, ex in train.items()}
    # 2 s of 44.1 kHz stereo, resampled; 61 s cut to a minute.
    assert lengths == {"sword_attack1.wav": RATE, "birds.wav": 2 * RATE,
                       "long.wav": int(MAX_SECONDS * RATE)}
    for ex in train.values():
        assert not np.any(ex["clean"])
        np.testing.assert_array_equal(ex["noise"], ex["noisy"])
        noise = ex["noise"].astype(np.float64) / 32768
        assert abs(np.abs(noise).max() - 0.9) < 1e-3  # peak 0.9
        assert abs(noise.mean()) < 1e-3  # the 0.05 offset is gone
        spectrum = np.abs(np.fft.rfft(noise))
        assert abs(np.argmax(spectrum) * RATE / noise.size - NOISE_TONE_HZ) < 2


def test_voices_are_left_out_and_bad_files_named(recorded_noises_builder):
    _, _, messages = recorded_noises_builder
    assert not any("warrior_ack1" in m for m in messages)  # left out by name, silently
    for name, why in (("click.wav", "shorter than 0.1 s"), ("silence.wav", "silent"),
                      ("broken.ogg", "not readable audio")):
        assert any(f"{name}: {why}" in m for m in messages), (name, messages)
    assert any("hedgewars left out: none of ('hedgewars-data',) is unpacked" in m
               for m in messages)
