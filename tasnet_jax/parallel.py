"""Device mesh and shardings: the same code on 1 CPU, 8 GPUs or many hosts.

One mesh axis, "data": each device holds a slice of the global batch and a
full copy of the parameters; jit inserts the gradient all-reduce. Multi-host
runs call jax.distributed.initialize() first; each process then feeds its own
slice of the batch (data_pipelines.pipeline reads a disjoint shard per
process) and make_array_from_process_local_data assembles the global array.
"""
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"


def make_mesh(devices=None) -> Mesh:
    devices = jax.devices() if devices is None else devices
    return Mesh(np.asarray(devices), (DATA_AXIS,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """Split the leading (batch) axis across the mesh."""
    return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def replicated(mesh: Mesh) -> NamedSharding:
    """A full copy on every device (parameters and optimizer state, for now)."""
    return NamedSharding(mesh, PartitionSpec())


def global_batch(local_batch: dict, mesh: Mesh) -> dict:
    """This process's numpy batch -> global jax.Arrays sharded over the mesh."""
    sharding = batch_sharding(mesh)
    size = mesh.devices.size
    for name, value in local_batch.items():
        if value.shape[0] * jax.process_count() % size:
            raise ValueError(f"batch field {name!r} has {value.shape[0]} examples per process; "
                             f"the global batch must divide among {size} devices")
    return {name: jax.make_array_from_process_local_data(sharding, np.asarray(value))
            for name, value in local_batch.items()}
