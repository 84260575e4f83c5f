"""Deliberate kills for the fault tests, at places a kill from outside cannot time.

TASNET_JAX_KILL_AT="PLACE:STEP" makes the process SIGKILL itself (no clean-up,
as a preemption or the OOM killer) when it reaches PLACE at training step STEP:

    validation        inside the validation pass after STEP, its first batch done
    checkpoint_write  just after STEP's checkpoint was handed to the background
                      writer, before it is on disk
    test              inside the test phase (STEP: the run's last step), its
                      first utterance done

Unset (always, outside the tests), nothing happens.
"""
import os
import signal

ENV = "TASNET_JAX_KILL_AT"


def kill_point(place: str, step: int):
    if os.environ.get(ENV) == f"{place}:{step}":
        os.kill(os.getpid(), signal.SIGKILL)


def kill_inside(items, place: str, step: int):
    """`items`, reaching kill_point(place, step) once the first has been used."""
    for i, item in enumerate(items):
        if i == 1:
            kill_point(place, step)
        yield item
