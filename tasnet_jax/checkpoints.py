"""Orbax checkpoints of a training run: the state and what is needed to resume it.

Each checkpoint holds the TrainState (parameters, optimizer state with its
learning rate, step, skip counters) and a JSON record: the run's config, the
plateau tracker and the metrics of the evaluation it was saved after, if any.
The data position is the step itself (the pipeline is a function of seed and
step). Orbax writes to a temporary folder and renames it when complete, so a
run killed mid-save leaves the previous checkpoints intact. Kept: the latest,
plus the `keep_best` best by validation SI-SNR, also across restarts (each
checkpoint carries its score).
"""
import logging
import warnings
from pathlib import Path

import jax
import orbax.checkpoint as ocp

BEST_METRIC = "val_si_snr"


def _score(metrics):
    return metrics[BEST_METRIC]


class _WithoutMetricsNotice(logging.Filter):
    """Orbax warns at every save without metrics once best_fn is set; most of
    ours have none by design (only evaluations score a checkpoint)."""

    def filter(self, record):
        return "did not provide metrics" not in record.getMessage()


logging.getLogger("absl").addFilter(_WithoutMetricsNotice())


def checkpoints_folder(path) -> Path:
    """A run's checkpoints folder, given its workdir or that folder itself, as
    given (not made absolute: it is quoted in messages and records);
    FileNotFoundError if there is neither."""
    path = Path(path)
    folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
    if not folder.is_dir():
        raise FileNotFoundError(f"no checkpoints at {path}")
    return folder


class Checkpoints:
    def __init__(self, directory, keep_best: int = 3, asynchronous: bool = True):
        policy = ocp.checkpoint_managers.AnyPreservationPolicy([
            ocp.checkpoint_managers.LatestN(n=1),
            ocp.checkpoint_managers.BestN(get_metric_fn=_score, n=keep_best,
                                          keep_checkpoints_without_metrics=False),
        ])
        self.directory = Path(directory).absolute()
        # best_fn makes orbax write each checkpoint's metrics into it and read
        # them back when a manager opens the folder: without it the policy
        # forgot the scores of the checkpoints saved before a restart and
        # deleted the best of them.
        self._manager = ocp.CheckpointManager(
            self.directory,
            options=ocp.CheckpointManagerOptions(preservation_policy=policy, best_fn=_score,
                                                 best_mode="max",
                                                 enable_async_checkpointing=asynchronous))

    def save(self, step: int, state, record: dict, metrics: dict | None = None):
        """Save (in the background when asynchronous); `record` and `metrics` must be
        JSON. The metrics also go into the record, where best_step finds them."""
        try:  # a full disk, a lost mount: stop the run, saying what is still there
            self._manager.save(step, args=ocp.args.Composite(
                state=ocp.args.StandardSave(state),
                record=ocp.args.JsonSave({**record, "metrics": metrics})),
                metrics=metrics, force=True)
        except OSError as err:
            raise self._failed(step, err) from err

    def steps(self) -> list[int]:
        """The kept steps, oldest first."""
        return list(self._manager.all_steps())

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def scores(self) -> dict[int, float]:
        """{kept step: its validation SI-SNR}, for the steps saved after an evaluation."""
        scored = {step: (self.read_record(step).get("metrics") or {}).get(BEST_METRIC)
                  for step in self.steps()}
        return {step: score for step, score in scored.items() if score is not None}

    def best_step(self) -> int | None:
        """The kept step with the highest validation SI-SNR (None before any evaluation)."""
        scored = self.scores()
        return max(scored, key=scored.get) if scored else None

    def restore(self, step: int, like):
        """(state, record) saved at `step`; `like` is a state of the same
        structure whose shapes, dtypes and shardings the restored one takes."""
        abstract = jax.tree.map(
            lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), like)
        restored = self._manager.restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract), record=ocp.args.JsonRestore()))
        return restored["state"], restored["record"]

    def restore_variables(self, step: int) -> dict:
        """{"params", "batch_stats"} saved at `step`, whatever the layout of the
        optimizer state beside them (models saved before the optimizer's state
        became one vector load too), on this process's first device: not the
        devices it was saved from, which another machine, or another process of
        a run of several, does not have."""
        saved = ocp.StandardCheckpointHandler().metadata(self.directory / str(step) / "state")
        here = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
        abstract = jax.tree.map(
            lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=here), saved.tree)
        restored = self._manager.restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract)))["state"]
        return {"params": restored["params"], "batch_stats": restored.get("batch_stats") or {}}

    def restore_newest_intact(self, like):
        """(step, state, record) of the newest checkpoint that restores, or None
        if there is no checkpoint. A damaged one (a file missing or cut short:
        a disk fault, a copy that stopped) is moved aside as STEP.damaged and
        named in a warning, so the run goes on from the one before it and later
        saves of that step do not collide; if every checkpoint is damaged the
        error says so rather than starting again from step 0."""
        damaged = []
        for step in reversed(self.steps()):
            try:
                state, record = self.restore(step, like)
                return step, state, record
            except Exception as err:  # orbax raises many kinds for a bad file
                if self._reads_as_saved(step):
                    raise ValueError(
                        f"checkpoint {step} in {self.directory} is intact but holds a training "
                        "state of another layout than this run's optimizer makes (another "
                        "optimizer, or a tasnet-jax from before the optimizer state became one "
                        "vector); resume it with what saved it, or start a new workdir with "
                        f"--config.init_from={self.directory.parent} to keep its parameters"
                    ) from err
                aside = self.directory / f"{step}.damaged"
                if jax.process_index() == 0:
                    (self.directory / str(step)).rename(aside)
                warnings.warn(f"checkpoint {step} in {self.directory} is damaged and was moved "
                              f"to {aside.name} ({type(err).__name__}: {err}); trying the one "
                              "before it")
                damaged.append(step)
                self._manager.reload()
        if damaged:
            raise RuntimeError(f"every checkpoint in {self.directory} is damaged (steps "
                               f"{damaged}, moved aside as STEP.damaged); not starting over "
                               "from step 0: delete the folder to do that")
        return None

    def _reads_as_saved(self, step: int) -> bool:
        """Whether `step` restores in the structure it was saved in: intact files."""
        try:
            self._manager.restore(step, args=ocp.args.Composite(
                state=ocp.args.StandardRestore(), record=ocp.args.JsonRestore()))
            return True
        except Exception:
            return False

    def read_record(self, step: int) -> dict:
        """Only the JSON record (config, metrics), without loading the state."""
        try:
            restored = self._manager.restore(step, args=ocp.args.Composite(
                record=ocp.args.JsonRestore()))
        except KeyError as err:  # orbax names the items the checkpoint has
            raise ValueError(f"{self.directory}/{step} is not a tasnet-jax checkpoint: it has "
                             f"no record of a run ({err})") from err
        return restored["record"]

    def wait(self):
        """Block until background saves are written."""
        try:
            self._manager.wait_until_finished()
        except OSError as err:
            raise self._failed(self.latest_step(), err) from err

    def _failed(self, step, err) -> OSError:
        return OSError(err.errno, f"could not save checkpoint {step} in {self.directory} "
                       f"({err.strerror or err}); the run stopped, and the checkpoints saved "
                       f"before it are intact: steps {self.steps()}")

    def close(self):
        self._manager.close()
