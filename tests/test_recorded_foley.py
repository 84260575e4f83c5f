"""recorded_foley on unpacked packages laid out on disk: which files it keeps."""
import numpy as np
import soundfile as sf

from data_pipelines.recorded_foley import RecordedFoley

RATE = 16000
GAMES = "usr/share/games"


def noise(path, seconds=0.5):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.random.default_rng(len(str(path))).uniform(-0.5, 0.5, int(seconds * RATE)),
             RATE)


def test_work_sounds_are_kept_and_talk_music_and_bad_files_left_out(tmp_path, prepare):
    root = tmp_path / "packages" / "root"
    sound = root / GAMES / "widelands/data/sound"
    for name in ("atlanteans/saw/sawing_00.ogg", "farm/sheep_00.ogg", "click.ogg",
                 "barbarians/taverns/inn_00.ogg", "lobby_chat.ogg"):
        noise(sound / name)
    lugaru = root / GAMES / "lugaru/Sounds"
    for name in ("Wind.ogg", "MetalHit.ogg", "Music1Grass.ogg"):
        noise(lugaru / name)
    noise(root / GAMES / "7kaa/SOUND/RAIN.WAV")
    noise(root / GAMES / "etr/sounds/pickup1.wav", seconds=0.05)
    for package in ("widelands-data", "lugaru-data", "7kaa-data", "extremetuxracer-data"):
        (root / f".{package}").touch()

    builder = RecordedFoley(data_dir=str(tmp_path / "tfds"))
    splits, messages = prepare(builder, tmp_path / "packages")

    kept = {file_id.split("/", 1)[0] + ":" + file_id.rsplit("/", 1)[1]
            for file_id in splits["train"]}
    assert kept == {"widelands:sawing_00.ogg", "widelands:sheep_00.ogg", "widelands:click.ogg",
                    "lugaru:Wind.ogg", "lugaru:MetalHit.ogg", "7kaa:RAIN.WAV"}
    for ex in splits["train"].values():
        assert not np.any(ex["clean"]) and np.any(ex["noise"])
    assert any("pickup1.wav: shorter than 0.1 s" in m for m in messages), messages
    assert any("simutrans left out: none of ('simutrans-pak64',) is unpacked" in m
               for m in messages), messages
