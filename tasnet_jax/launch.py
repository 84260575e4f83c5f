"""The command line every experiment shares.

    python experiments/NAME.py --workdir DIR [--config.FIELD=VALUE ...]
        [--coordinator HOST:PORT --num_processes N --process_id I]

Config fields are overridden from the command line (ml_collections), e.g.
--config.optim.learning_rate=5e-4. --config.init_from=SOURCE fine-tunes a
model (a run, an Asteroid file, a Hub id): the model config is the source's,
and a --config.model field that contradicts it is an error. For a run over several hosts, each process
gets the coordinator's address, the process count and its own id (on TPU pods
and SLURM, jax.distributed.initialize finds them itself: pass --distributed).
"""
from absl import app, flags
from absl import logging as absl_logging
from ml_collections import config_flags


def launch(get_config):
    """Parse flags for an experiment whose config comes from `get_config()`, then train."""
    from tasnet_jax.host_memory import restart_with_huge_pages

    restart_with_huge_pages()
    flags.DEFINE_string("workdir", None, "checkpoints, history and summary go here; "
                        "running again with the same workdir resumes", required=True)
    config_flags.DEFINE_config_dict("config", get_config())
    flags.DEFINE_bool("distributed", False, "call jax.distributed.initialize() first")
    flags.DEFINE_string("coordinator", None, "HOST:PORT of process 0, for a multi-process run")
    flags.DEFINE_integer("num_processes", None, "processes in a multi-process run")
    flags.DEFINE_integer("process_id", None, "this process's id in a multi-process run")
    flags.DEFINE_integer("heartbeat_timeout", 100, "seconds without a sign of life from a "
                         "process before the others of a multi-process run stop with an error")

    def main(argv):
        del argv
        from tasnet_jax.host_memory import keep_freed_memory_if_asked

        keep_freed_memory_if_asked()  # before JAX starts its threads
        import jax

        from tasnet_jax.compile_cache import enable_from_env

        enable_from_env()

        from tasnet_jax.train import model_from_source, train_and_evaluate

        absl_logging.set_verbosity(absl_logging.WARNING)  # orbax reports every file at INFO
        options = flags.FLAGS
        if options.coordinator:
            jax.distributed.initialize(options.coordinator, options.num_processes,
                                       options.process_id,
                                       heartbeat_timeout_seconds=options.heartbeat_timeout)
        elif options.distributed:
            jax.distributed.initialize(heartbeat_timeout_seconds=options.heartbeat_timeout)
        if options.config.init_from:  # the model is the source's
            given = [key.split(".", 1)[1] for key in flags.FLAGS["config"].override_values
                     if key.startswith("model.")]
            model_from_source(options.config, given)
        summary = train_and_evaluate(options.config, options.workdir)
        if jax.process_index() == 0:
            print(f"test ({summary['test_examples']} utterances, best step "
                  f"{summary['best_step']}): SI-SNR {summary['test_si_snr']:.2f} dB, "
                  f"SI-SNRi {summary['test_si_snri']:.2f} dB, SDR {summary['test_sdr']:.2f} dB "
                  f"(+{summary['test_sdr_improvement']:.2f}), PESQ {summary['test_pesq']:.2f} "
                  f"(+{summary['test_pesq_improvement']:.2f}), STOI {summary['test_stoi']:.3f} "
                  f"(+{summary['test_stoi_improvement']:.3f})\ndenoised example: "
                  f"{summary['sample']}")

    app.run(main)
