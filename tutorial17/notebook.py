"""Settings the notebooks share: smoke mode, step count, data slice and where checkpoints go.

Smoke mode is a tiny slice of real MNIST and a few steps, for CI and quick
checks: set ``TUTORIAL17_SMOKE=1`` and the notebooks use :data:`SMOKE_DATA_ARGS`
and :data:`SMOKE_STEPS` instead of the full data and 2,000 steps.

A notebook's model directories live under ``<root>/<name>/`` where ``<root>`` is
the package's one default model root (:func:`tutorial17.paths.default_model_root`):
``$TUTORIAL17_MODEL_ROOT`` if set, else the repository's ``runs/`` (found relative
to this package, so the notebook's working directory does not matter), the same
root the command line's ``walkthrough`` and ``tensorboard`` use. Smoke runs use
``<root>/<name>-smoke/`` so they never mix with full runs.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from .checkpoints import checkpoint_step
from .models import default_model_dir
from .paths import MODEL_ROOT_ENV, REPO_ROOT, default_model_root
from .paths import RUNS_DIR as RUNS_DIR  # the default model root in a clone, public here too
from .walkthrough import NUM_STEPS

SMOKE_ENV = "TUTORIAL17_SMOKE"

# 5,300 training records keep the 5,000-record validation split of the full
# run and leave 300 for training; 300 test records hold the first 9 of the walkthrough.
SMOKE_DATA_ARGS = {"num_train_records": 5300, "num_test_records": 300}
SMOKE_STEPS = 20


def smoke_mode():
    """Return True when ``TUTORIAL17_SMOKE`` is set to something other than ``0``."""
    return os.environ.get(SMOKE_ENV, "") not in ("", "0")


def notebook_model_root(name, smoke=None):
    """Return ``<root>/<name>`` (``<name>-smoke`` in smoke mode); see the module docstring."""
    smoke = smoke_mode() if smoke is None else smoke
    return default_model_root() / (f"{name}-smoke" if smoke else name)


def display_path(path):
    """Return ``path`` relative to ``$TUTORIAL17_MODEL_ROOT``, the repository or ``~``.

    For printing: notebook outputs then carry no path of the machine they ran on.
    """
    path = Path(path).resolve()
    bases = [(REPO_ROOT, "")]
    if Path.home().resolve() != Path("/"):
        bases.append((Path.home().resolve(), "~/"))
    if os.environ.get(MODEL_ROOT_ENV):
        bases.insert(0, (Path(os.environ[MODEL_ROOT_ENV]).expanduser().resolve(),
                         f"${MODEL_ROOT_ENV}/"))
    for base, prefix in bases:
        try:
            return prefix + path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def new_run_dir(parent):
    """Create and return ``parent/run-N``, N one more than the highest run there yet.

    For what a notebook writes afresh on every run (Keras models, exports): a
    rerun never overwrites an earlier run's files.
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    taken = [int(p.name[len("run-"):]) for p in parent.glob("run-*")
             if p.name[len("run-"):].isdigit()]
    path = parent / f"run-{max(taken, default=0) + 1}"
    path.mkdir()
    return path


def describe_model_dir(model_dir):
    """Return one line: where a model's checkpoints go, and whether training continues.

    Training starts from scratch, or continues from an earlier run's checkpoint.
    """
    step = checkpoint_step(model_dir)
    state = ("no checkpoint yet, training starts at step 0" if step is None else
             f"checkpoint at global step {step} found, training continues from there")
    return f"{display_path(model_dir)}: {state}"


@dataclass(frozen=True)
class NotebookSettings:
    """What a notebook run uses: the step count, the data slice and the model root."""

    smoke: bool
    num_steps: int
    model_root: Path
    data_args: dict = field(default_factory=dict)

    def model_dir(self, model):
        """Return the model directory of ``"dnn"`` (``checkpoints_tutorial17-1``) or ``"cnn"``."""
        return default_model_dir(model, self.model_root)


def notebook_settings(name, full_steps=NUM_STEPS):
    """Return the settings of the notebook ``name``.

    Full MNIST and ``full_steps`` steps, or the tiny slice and
    :data:`SMOKE_STEPS` when ``TUTORIAL17_SMOKE`` is set.
    """
    smoke = smoke_mode()
    return NotebookSettings(
        smoke=smoke,
        num_steps=SMOKE_STEPS if smoke else full_steps,
        model_root=notebook_model_root(name, smoke),
        data_args=dict(SMOKE_DATA_ARGS) if smoke else {})
