"""Train state, the jitted train step and the evaluation step.

The step is a pure function of (state, batch); a step whose loss or
gradients are not finite leaves the state as it was and is counted, so a bad
batch cannot poison the parameters or Adam's moments.
"""
import functools
from typing import Any, Callable

import flax.struct
import jax
import jax.numpy as jnp
import optax

from tasnet_jax.parallel import batch_sharding, replicated


@flax.struct.dataclass
class TrainState:
    step: jnp.ndarray
    params: Any
    batch_stats: Any  # {} unless the model uses batch norm
    opt_state: Any
    skipped: jnp.ndarray  # non-finite steps, in all
    skipped_in_a_row: jnp.ndarray

    def variables(self) -> dict:
        """The model variables, as `model.apply` takes them."""
        variables = {"params": self.params}
        if self.batch_stats:
            variables["batch_stats"] = self.batch_stats
        return variables


def create_train_state(model, optimizer, rng, example_mixture, mesh) -> TrainState:
    """Initialize on the mesh (parameters replicated)."""
    def init():
        variables = model.init(rng, example_mixture)
        params = variables["params"]
        zero = jnp.zeros((), jnp.int32)
        return TrainState(step=zero, params=params, batch_stats=variables.get("batch_stats", {}),
                          opt_state=optimizer.init(params), skipped=zero, skipped_in_a_row=zero)

    return jax.jit(init, out_shardings=replicated(mesh))()


def train_step(state: TrainState, batch: dict, teacher_variables=None, *, model, optimizer,
               loss_fn: Callable, teacher_model=None):
    """One update on a global batch: mean loss, gradients, optimizer step. With a
    teacher (teacher.py), loss_fn also gets its estimates of the batch."""
    taught = {}
    if teacher_model is not None:
        # Outside loss_of: constants to the gradient, computed once per step.
        taught["teacher"] = teacher_model.apply(teacher_variables, batch["mixture"],
                                                batch["length"])

    def loss_of(params):
        variables = {"params": params, "batch_stats": state.batch_stats}
        estimates, updates = model.apply(variables, batch["mixture"], batch["length"],
                                         train=True, mutable=["batch_stats"])
        losses = loss_fn(estimates, batch["sources"], batch["length"], **taught)
        return jnp.mean(losses), updates.get("batch_stats", state.batch_stats)

    (loss, batch_stats), grads = jax.value_and_grad(loss_of, has_aux=True)(state.params)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    grad_norm = optax.tree.norm(grads)
    finite = jnp.isfinite(loss) & jnp.isfinite(grad_norm)

    def keep_if_finite(new, old):
        return jax.tree.map(lambda n, o: jnp.where(finite, n, o), new, old)

    state = TrainState(
        step=state.step + 1,
        params=keep_if_finite(params, state.params),
        batch_stats=keep_if_finite(batch_stats, state.batch_stats),
        opt_state=keep_if_finite(opt_state, state.opt_state),
        skipped=state.skipped + (~finite),
        skipped_in_a_row=jnp.where(finite, 0, state.skipped_in_a_row + 1),
    )
    return state, {"loss": loss, "grad_norm": grad_norm, "finite": finite}


def jit_train_step(model, optimizer, loss_fn, mesh, teacher=None):
    """train_step compiled for `mesh`: the batch split over devices, the state
    replicated and donated (updated in place). It is called as step(state,
    batch), or with a teacher as step(state, batch, teacher.variables): its
    variables go in as an argument, not as constants baked into the program."""
    step = functools.partial(train_step, model=model, optimizer=optimizer, loss_fn=loss_fn,
                             teacher_model=None if teacher is None else teacher.model)
    shardings = (replicated(mesh), batch_sharding(mesh)) + (
        () if teacher is None else (replicated(mesh),))
    return jax.jit(step, in_shardings=shardings,
                   out_shardings=(replicated(mesh), replicated(mesh)), donate_argnums=0)
