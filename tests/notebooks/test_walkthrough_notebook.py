"""notebooks/17_Estimator_API.ipynb, the walkthrough: its smoke run (the fast tier runs it), its
committed full run, the Estimator calls it teaches, and its model_fn is the package's network.
"""

import os
from pathlib import Path

import tutorial17
from tutorial17 import models
from tutorial17.checkpoints import checkpoint_step

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import notebook_checks
from conftest import descendants
from notebook_cells import build, code, notebook_model_fn
from notebook_checks import (
    NOTEBOOKS_DIR,
    NUM_PREDICTED,
    WALKTHROUGH_FLOORS,
    CommittedChecks,
    Expected,
    SmokeRunChecks,
    check_committed_accuracies,
    read,
)
from scripts import run_notebooks

NOTEBOOK = NOTEBOOKS_DIR / "17_Estimator_API.ipynb"
# Figures: the nine test images, with each model's predictions, both training curves.
EXPECTED = Expected(accuracy_lines=2, prediction_lines=2, figures=4, curve_cells=1,
                    committed_floors=WALKTHROUGH_FLOORS)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    return notebook_checks.smoke_run(NOTEBOOK, tmp_path_factory)


class TestSmokeRun(SmokeRunChecks):
    EXPECTED = EXPECTED


class TestCommittedCopy(CommittedChecks):
    NOTEBOOK = NOTEBOOK
    EXPECTED = EXPECTED


def test_the_walkthrough_notebook_exists():
    assert NOTEBOOK in run_notebooks.notebook_paths()


def test_every_notebook_has_its_test_file():
    """A new notebook in notebooks/ gets the checks every notebook gets from its own file."""
    tested = {path.name for test_file in Path(__file__).parent.glob("test_*_notebook.py")
              for path in NOTEBOOKS_DIR.glob("*.ipynb") if f'"{path.name}"' in
              test_file.read_text(encoding="utf-8")}
    assert {path.name for path in run_notebooks.notebook_paths()} <= tested


def test_walkthrough_smoke_checkpoints_hold_the_smoke_steps(smoke_run):
    _, _, _, model_root = smoke_run
    for model in ("dnn", "cnn"):
        model_dir = models.default_model_dir(model, model_root / "notebook-smoke")
        assert checkpoint_step(model_dir) == tutorial17.SMOKE_STEPS


def test_walkthrough_tells_how_to_open_tensorboard_and_starts_none(smoke_run):
    """The TensorBoard magic is there, guarded: the smoke run prints the command instead."""
    _, nb, _, _ = smoke_run
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "%tensorboard" in c.source]
    assert "OPEN_TENSORBOARD = False" in cell.source and "%load_ext tensorboard" in cell.source
    assert [output.text for output in cell.outputs] == [
        "In a terminal: python -m tutorial17 tensorboard --model-root "
        "$TUTORIAL17_MODEL_ROOT/notebook-smoke\n"]
    assert [pid for pid in descendants(os.getpid()).values() if "tensorboard" in _cmdline(pid)] \
        == []


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:  # gone meanwhile
        return ""


def test_committed_walkthrough_is_a_full_run_within_bounds():
    nb = read(NOTEBOOK)
    text = run_notebooks.all_text(nb)
    assert "Smoke mode: False" in text and "Training steps per model: 2000" in text
    check_committed_accuracies(nb, EXPECTED)
    for classes in run_notebooks.predicted_classes(nb):
        assert len(classes) == NUM_PREDICTED


@pytest.mark.parametrize("call", [
    "tf.estimator.inputs.numpy_input_fn(", "tf.feature_column.numeric_column(",
    "tf.estimator.DNNClassifier(", "tf.estimator.RunConfig(", ".train(", ".evaluate(",
    ".predict(", "tf.estimator.EstimatorSpec(", "tf.estimator.Estimator(model_fn=",
])
def test_walkthrough_shows_the_estimator_calls(call):
    """The API being taught stays visible in the notebook's own cells."""
    assert call in code(NOTEBOOK)


def test_walkthrough_has_three_input_functions():
    assert code(NOTEBOOK).count("tf.estimator.inputs.numpy_input_fn(") == 3


@pytest.mark.parametrize("mode", [tf.estimator.ModeKeys.TRAIN, tf.estimator.ModeKeys.EVAL,
                                  tf.estimator.ModeKeys.PREDICT])
def test_notebook_model_fn_is_the_package_network(mode, tiny_data):
    images, cls = tiny_data.test.images[:16], tiny_data.test.cls[:16]
    ours = build(notebook_model_fn(), mode, images, cls)
    package = build(models.cnn_model_fn, mode, images, cls)
    assert ours[0] == package[0]  # variable names and shapes
    assert ("layer_conv1/kernel", (5, 5, 1, 16)) in ours[0]
    assert ours[1] == package[1]  # the same operations in the same order
    np.testing.assert_allclose(ours[2], package[2], rtol=1e-6)  # same seeded weights
