# Two entry points for a fresh machine; each builds the virtual environment it needs.
#   make demo   install, train the quickstart model on the embedded corpus, denoise a sample
#               (in the test phase, again with the tasnet-jax command, and with the
#               trained models in pretrained/)
#   make test   install with the test extras (PyTorch + Asteroid reference) and run the tests
#   make recorded  the quickstart with recorded voices and sounds from Debian packages
#               (apt-get download, about 800 MB, into ~/.cache/tasnet-jax), denoising the same sample
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test recorded clean

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
	$(BIN)/tasnet-jax denoise pretrained/robust_foley runs/quickstart/samples/noisy.wav \
		-o runs/quickstart/denoised_by_robust_foley --overwrite --quiet

RECORDED := $(HOME)/.cache/tasnet-jax

$(VENV)/.recorded: $(VENV)/.base
	$(PIP) -e '.[recorded]'
	touch $@

recorded: $(VENV)/.recorded
	$(BIN)/python -m data_pipelines.recorded_voices $(RECORDED)/recorded_voices
	$(BIN)/python -m data_pipelines.recorded_noises $(RECORDED)/recorded_noises
	$(BIN)/python experiments/quickstart_recorded.py --workdir runs/quickstart_recorded
	$(BIN)/tasnet-jax denoise runs/quickstart_recorded runs/quickstart_recorded/samples/noisy.wav \
		-o runs/quickstart_recorded/denoised --overwrite --quiet

test: $(VENV)/.test
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) *.egg-info
