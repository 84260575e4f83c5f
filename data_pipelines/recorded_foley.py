"""recorded_foley: work, machine and nature sounds of seven more free games.

recorded_noises' games are mostly battle and arcade sounds; the noise around
a voice at home or at work is more often tools, engines, animals and
weather. This corpus holds such sounds from other packages of the Debian
archive, trained on beside another corpus like recorded_noises
(config.data.extra with speech weight 0: it holds no speech):

    python -m data_pipelines.recorded_foley DIR     # apt-get download + unpack, ~520 MB
    python -m data_pipelines.prepare recorded_foley --manual_dir DIR

Sources (SOURCES: packages, folders, licence): Widelands' workers, animals
and farms (sawing, hammering, smithing, mills, birds, cattle; GPL-2+, CC
BY-SA 3.0), Simutrans' pak64 (traffic, a jackhammer, a buzzsaw, a harbour,
weather; Artistic-1.0), Minetest Game (digging, footsteps, doors, fire,
water; CC BY-SA 3.0, CC0), Freeciv's sounds (GPL-2+), Lugaru HD (fights,
footsteps, wind, fire, dogs; CC BY-SA 3.0/4.0), Extreme Tux Racer's slides
and hits (GPL-2+), BZFlag (GPL-2+) and Seven Kingdoms' weather (GPL-2+).
Game music is left out (recorded_music holds instruments), and so are
Widelands' taverns and lobby, whose sounds are people talking. None is a
package benchmarks/real_recordings.py takes its noise from.

Each file becomes one example of noise alone, stored as recorded_noises
stores its sounds (mono, mean removed, at most a minute, peak 0.9); files
named as voices are left out, unusable files skipped with a warning naming
them, a source whose package is not in manual_dir left out with a warning.
One split, train.
"""
import tensorflow_datasets as tfds

from data_pipelines import debian_packages
from data_pipelines.recorded_noises import GAMES, Source, audio_globs, noise_examples, source_clips

WIDELANDS = f"{GAMES}/widelands/data/sound"
MINETEST = f"{GAMES}/minetest/games/minetest_game/mods"
SOURCES = {
    # Taverns and the lobby: people talking.
    "widelands": Source(("widelands-data",), audio_globs(f"{WIDELANDS}/**"),
                        skip=r"taverns|lobby"),
    "simutrans": Source(("simutrans-pak64",), audio_globs(f"{GAMES}/simutrans/pak/sound")),
    "minetest": Source(("minetest-data",), audio_globs(f"{MINETEST}/*/sounds")),
    "freeciv": Source(("freeciv-data",), audio_globs(f"{GAMES}/freeciv/stdsounds")),
    "lugaru": Source(("lugaru-data",), audio_globs(f"{GAMES}/lugaru/Sounds"),
                     skip=r"/Music[^/]*$"),
    "extremetuxracer": Source(("extremetuxracer-data",), audio_globs(f"{GAMES}/etr/sounds")),
    "bzflag": Source(("bzflag-data",), audio_globs(f"{GAMES}/bzflag")),
    "7kaa": Source(("7kaa-data",), (f"{GAMES}/7kaa/SOUND/*.WAV",)),
}
PACKAGES = tuple(source.packages for source in SOURCES.values())


class RecordedFoley(debian_packages.PackagedCorpus):
    """Work, machine and nature sounds (noise only) from Debian packages."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Sounds of seven games and Seven Kingdoms' weather."}

    def examples(self, root, rate):
        return noise_examples("recorded_foley", root,
                              source_clips("recorded_foley", root, SOURCES, rate))


if __name__ == "__main__":
    debian_packages.fetch_main("recorded_foley", PACKAGES, missing_ok=True)
