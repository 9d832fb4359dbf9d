# Two commands do everything on a fresh machine:
#   make run    the full walkthrough on MNIST (both models, 2,000 steps each)
#   make test   the lint (make lint), then the test suite, notebooks included, on a tiny MNIST slice
# Both create .venv/ first (pinned versions; see pyproject.toml and requirements-lock.txt).

SHELL := /bin/bash
# The first of Python 3.11, 3.10, 3.9 on PATH: TensorFlow 2.15 has wheels for no others.
PYTHON ?= $(shell for p in python3.11 python3.10 python3.9 python3; do \
             if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3,9) <= sys.version_info[:2] <= (3,11))' 2>/dev/null; then echo $$p; break; fi; done)
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(shell date -u +%Y%m%d-%H%M%S)
RUN_DIR ?= runs/$(RUN_STAMP)

.PHONY: run test lint venv notebook notebooks clean-venv

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-lock.txt
	@if [ -z "$(PYTHON)" ]; then echo "error: need Python 3.9, 3.10 or 3.11 on PATH (TensorFlow 2.15 has no wheels for others); set PYTHON=/path/to/python3.11" >&2; exit 2; fi
	@$(PYTHON) -c 'import sys; v=sys.version_info[:2]; ok=(3,9)<=v<=(3,11); ok or print("error: %s is Python %d.%d; tutorial17 needs 3.9, 3.10 or 3.11" % (sys.executable, *v), file=sys.stderr); sys.exit(0 if ok else 2)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# The lock file pins every package as tested on Python 3.11; other versions use pyproject's pins.
	if $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
	  $(BIN)/python -m pip install --quiet -c requirements-lock.txt -e ".[dev]"; \
	else \
	  $(BIN)/python -m pip install --quiet -e ".[dev]"; \
	fi
	$(BIN)/python -m pip check
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

run: venv
	mkdir -p $(RUN_DIR)
	$(BIN)/python -m tutorial17 walkthrough --steps 2000 --model-root $(RUN_DIR) \
	  --json $(RUN_DIR)/results.json --plots $(RUN_DIR)/plots

# ruff (settings in pyproject.toml): the package, tests, scripts, benchmarks and notebooks.
lint: venv
	$(BIN)/ruff check .

test: venv lint
	$(BIN)/python -m pytest -q

notebook: venv
	cd notebooks && ../$(BIN)/jupyter lab

# Execute the notebooks in place on full MNIST (the committed outputs: 2,000 steps per model in
# the walkthrough, up to 10,000 in the exercises), training into a fresh model root so earlier
# checkpoints are neither reused nor touched. NOTEBOOKS=notebooks/X.ipynb runs just one.
NOTEBOOK_MODEL_ROOT ?= runs/$(RUN_STAMP)-notebooks
notebooks: venv
	$(BIN)/python scripts/run_notebooks.py --model-root $(NOTEBOOK_MODEL_ROOT) $(NOTEBOOKS)

clean-venv:
	rm -rf $(VENV)

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
	PYTHONPATH=$(CURDIR) $(VENV_TF1)/bin/python -m pytest -q

# Training-speed benchmark: writes docs/benchmarks.md (about 10 min on 2 cores).
# MEASURE_LOCK=<file> runs it under `flock <file>`, so no other timed run overlaps it;
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--device gpu".
MEASURE_LOCK ?=
BENCH_ARGS ?=
.PHONY: benchmarks
benchmarks: venv
	$(if $(MEASURE_LOCK),flock $(MEASURE_LOCK)) $(BIN)/python benchmarks/training_speed.py $(BENCH_ARGS)
