# Two entry points for a fresh machine; each builds the virtual environment it needs.
#   make demo   install, train the quickstart model on the embedded corpus, denoise a sample
#               (in the test phase, again with the tasnet-jax command, and with the
#               GPU-trained model in pretrained/embedded_robust)
#   make test   install with the test extras (PyTorch + Asteroid reference) and run the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test clean

$(VENV)/.base: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

# torch is pinned to the CPU build on this machine's disk (a looser pin pulls a
# multi-GB CUDA build); Asteroid goes in without its training-only dependencies.
$(VENV)/.test: $(VENV)/.base
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test,torch,recorded]'
	$(PIP) --no-deps asteroid==0.7.0
	touch $@

demo: $(VENV)/.base
	$(BIN)/python experiments/quickstart.py --workdir runs/quickstart
	$(BIN)/tasnet-jax denoise runs/quickstart runs/quickstart/samples/noisy.wav \
		-o runs/quickstart/denoised --overwrite --quiet
	$(BIN)/tasnet-jax denoise pretrained/embedded_robust runs/quickstart/samples/noisy.wav \
		-o runs/quickstart/denoised_by_pretrained --overwrite --quiet

test: $(VENV)/.test
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) *.egg-info
