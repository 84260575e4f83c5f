"""`python -m tasnet_jax ...` is the `tasnet-jax` command."""
import sys

from tasnet_jax.cli import main

sys.exit(main())
