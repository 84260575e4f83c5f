# Issue 13's GPU measurements in one run, for a session lent a device:
#   run(command="bash benchmarks/gpu_check.sh", carry=[".whl"], timeout_s=580)
# after `pip download --no-deps -d .whl asteroid==0.7.0 asteroid-filterbanks julius
# soundfile cffi pycparser` here (the device has jax, flax, optax and torch, no network).
# Each stage gets what is left of 550 s; the tables land in $OUT.
left() { echo $((550 - SECONDS)); }
nvidia-smi --query-gpu=name,memory.total,clocks.max.memory --format=csv
python3 --version
for wheel in .whl/*.whl; do  # one by one: a wheel for another Python must not stop the rest
  pip install --no-deps --no-index -q "$wheel" 2>&1 | tail -1
done
python3 -c "import asteroid, jax, flax, torch; print('asteroid', asteroid.__version__, 'jax', jax.__version__, 'flax', flax.__version__, 'torch', torch.__version__)"
export JAX_COMPILATION_CACHE_DIR=/tmp/jaxcache
echo "== roofline at $SECONDS s"
timeout $(left) python3 benchmarks/roofline.py --repeats 10 2>&1 | grep -v -i warning | tee $OUT/roofline.txt
echo "== versus at $SECONDS s"
timeout $(left) python3 benchmarks/versus_asteroid.py --cases paper --tasks train --train-batch 16 --dtypes float32 bfloat16 --repeats 10 2>&1 | tee $OUT/versus.txt
echo "== startup at $SECONDS s"
timeout $(left) python3 benchmarks/startup.py --configs paper --batch 16 2>&1 | grep -v -i warning | tee $OUT/startup.txt
echo "== startup, autotune off, at $SECONDS s"
XLA_FLAGS=--xla_gpu_autotune_level=0 timeout $(left) python3 benchmarks/startup.py --configs paper --batch 16 2>&1 | grep -v -i warning | tee $OUT/startup_autotune0.txt
echo "== done at $SECONDS s"
