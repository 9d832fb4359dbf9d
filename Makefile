# Two commands do everything on a fresh machine:
#   make run    the full walkthrough on MNIST (both models, 2,000 steps each)
#   make test   the lint (make lint), then the fast tier of the tests on a tiny MNIST slice
#               (in-process, the walkthrough notebook's smoke run included; a few minutes)
#   make test-all  the lint, then every test: the fast tier plus those marked slow (clusters of
#               processes, every notebook, the other stack, servers); what .ci/run runs
# Both create .venv-X.Y/ first for the interpreter they pick (pinned versions: requirements-lock.txt
# for 3.11, requirements-lock-tf221.txt for 3.12 and 3.13, requirements-reference-pins.txt for 3.9
# and 3.10; pyproject.toml declares the ranges the package installs with elsewhere).

SHELL := /bin/bash
# The first supported Python: 3.11, 3.10, 3.9 (TensorFlow 2.15.1, the reference stack), then
# 3.12, 3.13 (TensorFlow 2.21 through the package's estimator bridge), on PATH or under
# `pyenv root`. PYTHON=/path/to/python3.13 make run picks another.
PYTHON ?= $(shell scripts/find_python.sh)
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# One virtual environment per interpreter, so switching never mixes two stacks.
VENV ?= .venv-$(PYTHON_VERSION)
BIN := $(VENV)/bin
# Every package pinned as tested: the reference stack on 3.11, the bridged stack on 3.12 and
# 3.13 (the same pins for both); 3.9 and 3.10 pin the reference stack's own packages (their
# other packages within pyproject.toml's ranges), since pyproject.toml declares ranges only.
LOCK := $(if $(filter 3.11,$(PYTHON_VERSION)),requirements-lock.txt,$(if $(filter 3.12 3.13,$(PYTHON_VERSION)),requirements-lock-tf221.txt,requirements-reference-pins.txt))
RUN_STAMP := $(shell date -u +%Y%m%d-%H%M%S)
RUN_DIR ?= runs/$(RUN_STAMP)
STEPS ?= 2000

.PHONY: run test test-all lint venv gpu notebook notebooks tensorboard clean-venv python-check test-matrix
.DEFAULT_GOAL := venv

# Every goal but these needs Python 3.9-3.13: stop at once, in one line (status 2), without one.
SUPPORTED_PYTHON_VERSIONS := 3.9 3.10 3.11 3.12 3.13
NO_PYTHON_GOALS := clean-venv venv-tf1 test-tf1
WHICH_PYTHON := $(if $(PYTHON),$(PYTHON) is Python $(or $(PYTHON_VERSION),of unknown version),no Python 3.9-3.13 found on PATH or under pyenv)
ifneq ($(filter-out $(NO_PYTHON_GOALS),$(or $(MAKECMDGOALS),$(.DEFAULT_GOAL))),)
ifeq ($(filter $(SUPPORTED_PYTHON_VERSIONS),$(PYTHON_VERSION)),)
$(error $(WHICH_PYTHON); tutorial17 needs Python 3.9-3.13 (3.9-3.11: TensorFlow 2.15.1; 3.12-3.13: TensorFlow 2.21): get one with `uv python install 3.12`, `pyenv install 3.12` or your distribution's python3.12 package, then run PYTHON=/path/to/python3.12 make)
endif
endif

python-check:
	@echo "$(PYTHON): Python $(PYTHON_VERSION)"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(if $(LOCK),-c $(LOCK)) -e ".[dev]"
	$(BIN)/python -m pip check
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# The GPU build's CUDA libraries (Linux, NVIDIA): CUDA 12.2 on 3.9-3.11, CUDA 12.5 on 3.12-3.13.
gpu: venv
	$(BIN)/python -m pip install --quiet $(if $(LOCK),-c $(LOCK)) -e ".[gpu,dev]"
	$(BIN)/python -m pip check
	$(BIN)/python -m tutorial17 info

run: venv
	mkdir -p $(RUN_DIR)
	$(BIN)/python -m tutorial17 walkthrough --steps $(STEPS) --model-root $(RUN_DIR) \
	  --json $(RUN_DIR)/results.json --plots $(RUN_DIR)/plots

# ruff (settings in pyproject.toml): the package, tests, scripts, benchmarks and notebooks.
lint: venv
	$(BIN)/ruff check .

# The fast tier runs on TEST_WORKERS processes (pytest-xdist; a test file stays on one of them);
# the slow tier runs on one, since clusters and servers time themselves against the clock.
TEST_WORKERS ?= 2
test: venv lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test-all: venv lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile
	$(BIN)/python -m pytest -q -m slow

# JupyterLab at the repository root (so the notebooks' links to docs/ work), the walkthrough open;
# the arguments live in scripts/jupyter_lab.py, which the links test starts the same way.
notebook: venv
	$(BIN)/python scripts/jupyter_lab.py

# TensorBoard on runs/: every model directory of make run, the notebooks and their exercises
# is a run. MODEL_ROOT=DIR shows another directory, PORT=N another port (0: any free one).
tensorboard: venv
	$(BIN)/python -m tutorial17 tensorboard $(if $(MODEL_ROOT),--model-root $(MODEL_ROOT)) \
	  $(if $(PORT),--port $(PORT))

# Execute the notebooks in place on full MNIST (the committed outputs: 2,000 steps per model in
# the walkthrough, up to 10,000 in the exercises), training into a fresh model root so earlier
# checkpoints are neither reused nor touched. NOTEBOOKS=notebooks/X.ipynb runs just one.
# The committed outputs come from the reference stack: on Python 3.12/3.13 it stops unless
# OTHER_STACK=1.
NOTEBOOK_MODEL_ROOT ?= runs/$(RUN_STAMP)-notebooks
notebooks: venv
	$(BIN)/python scripts/run_notebooks.py --model-root $(NOTEBOOK_MODEL_ROOT) \
	  $(if $(OTHER_STACK),--other-stack) $(NOTEBOOKS)

clean-venv:
	rm -rf $(VENV)

# Every TensorFlow release the package supports (2.15.1, 2.16 ... 2.21), one environment each under
# .matrix/: the fast tests and the walkthrough notebook in smoke mode, then a table (not part of
# CI; docs/python-versions.md). MATRIX_ARGS passes options, e.g. MATRIX_ARGS="--releases 2.20 --speed".
MATRIX_ARGS ?=
test-matrix:
	$(PYTHON) scripts/tf_matrix.py $(MATRIX_ARGS)

# The original stack, TensorFlow 1.15, on the CPU (docs/tf1.md): needs a Python 3.7, e.g.
#   make test-tf1 PYTHON37=~/.pyenv/versions/3.7.16/bin/python
# The package cannot be pip-installed there (it declares Python >= 3.9), so PYTHONPATH finds it.
PYTHON37 ?= python3.7
VENV_TF1 ?= .venv-tf1

.PHONY: venv-tf1 test-tf1

venv-tf1: $(VENV_TF1)/.installed

$(VENV_TF1)/.installed: requirements-tf1.txt
	@$(PYTHON37) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 7))' 2>/dev/null || { \
	  echo "error: PYTHON37=$(PYTHON37) is not a Python 3.7 (TensorFlow 1.15 has wheels for 3.5-3.7 only)" >&2; exit 2; }
	$(PYTHON37) -m venv $(VENV_TF1)
	$(VENV_TF1)/bin/python -m pip install --quiet --upgrade "pip<24.1"
	$(VENV_TF1)/bin/python -m pip install --quiet -r requirements-tf1.txt
	$(VENV_TF1)/bin/python -m pip check
	$(VENV_TF1)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

test-tf1: venv-tf1
	PYTHONPATH=$(CURDIR) $(VENV_TF1)/bin/python -m pytest -q --run-slow

# Training-speed benchmark: writes docs/benchmarks.md (about 10 min on 2 cores).
# MEASURE_LOCK=<file> runs it under `flock <file>`, so no other timed run overlaps it;
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--device gpu".
MEASURE_LOCK ?=
BENCH_ARGS ?=
.PHONY: benchmarks
benchmarks: venv
	$(if $(MEASURE_LOCK),flock $(MEASURE_LOCK)) $(BIN)/python benchmarks/training_speed.py $(BENCH_ARGS)
