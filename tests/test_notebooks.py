"""The notebooks: each runs top to bottom in smoke mode, their committed outputs come
from a clean full run, and the walkthrough's model_fn is the package's network.

A new notebook in ``notebooks/`` is picked up by the generic tests; add its expected
output counts to ``EXPECTED`` for the stricter ones.
"""

import random
import shutil
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import tutorial17
from tutorial17 import models, notebook

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "scripts"))
import run_notebooks  # noqa: E402

NOTEBOOKS = run_notebooks.notebook_paths()
WALKTHROUGH = run_notebooks.NOTEBOOKS_DIR / "17_Estimator_API.ipynb"
SMOKE_ENV = {"TUTORIAL17_SMOKE": "1"}
NUM_PREDICTED = 9

# Per notebook: how many accuracy and prediction lines it prints, and the accuracy
# floors its committed full run must reach (the foundation issue's bounds), in order.
EXPECTED = {
    "17_Estimator_API.ipynb": {"accuracy_lines": 2, "prediction_lines": 2,
                               "committed_floors": [0.968, 0.973]},
}


def _machine_paths():
    return (REPO_ROOT, Path.home())


def test_the_walkthrough_notebook_exists():
    assert WALKTHROUGH in NOTEBOOKS


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda path: path.name)
def smoke_run(request, tmp_path_factory):
    """(name, executed notebook, working directory, model root) of a smoke run of a
    copy of the notebook, in a temporary working directory. A failing cell fails here."""
    workdir = tmp_path_factory.mktemp("notebook-cwd")
    model_root = tmp_path_factory.mktemp("notebook-models")
    copy = workdir / request.param.name
    shutil.copy(request.param, copy)
    nb = run_notebooks.execute_notebook(
        copy, cwd=workdir, env={**SMOKE_ENV, "TUTORIAL17_MODEL_ROOT": str(model_root)})
    return request.param.name, nb, workdir, model_root


def test_smoke_run_executes_every_cell_in_order(smoke_run):
    _, nb, _, _ = smoke_run
    assert run_notebooks.execution_order_ok(nb)


def test_smoke_run_outputs_are_quiet_and_pathless(smoke_run):
    """No TensorFlow log lines, stderr only the progress line, no machine paths."""
    _, nb, _, _ = smoke_run
    assert run_notebooks.output_problems(nb, forbidden_paths=_machine_paths()) == []


def test_smoke_accuracies_are_fractions(smoke_run):
    name, nb, _, _ = smoke_run
    found = run_notebooks.accuracies(nb)
    if name in EXPECTED:
        assert len(found) == EXPECTED[name]["accuracy_lines"]
    assert all(0.0 <= accuracy <= 1.0 for accuracy in found)


def test_smoke_predictions_are_nine_class_numbers(smoke_run):
    name, nb, _, _ = smoke_run
    found = run_notebooks.predicted_classes(nb)
    if name in EXPECTED:
        assert len(found) == EXPECTED[name]["prediction_lines"]
    for classes in found:
        assert len(classes) == NUM_PREDICTED
        assert all(0 <= c < tutorial17.num_classes for c in classes)


def test_smoke_run_writes_only_under_its_model_root(smoke_run):
    name, _, workdir, model_root = smoke_run
    assert sorted(p.name for p in workdir.iterdir()) == [name]
    assert all(p.name.endswith("-smoke") for p in model_root.iterdir())


def test_walkthrough_smoke_checkpoints_hold_the_smoke_steps(smoke_run):
    name, _, _, model_root = smoke_run
    if name != WALKTHROUGH.name:
        pytest.skip("walkthrough only")
    for model in ("dnn", "cnn"):
        model_dir = models.default_model_dir(model, model_root / "notebook-smoke")
        assert notebook.checkpoint_step(model_dir) == tutorial17.SMOKE_STEPS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_committed_copy_is_one_clean_run(path):
    nb = nbformat.read(str(path), as_version=4)
    assert run_notebooks.execution_order_ok(nb), "run it top to bottom: make notebooks"
    assert run_notebooks.output_problems(nb, forbidden_paths=_machine_paths()) == []


def test_committed_walkthrough_is_a_full_run_within_bounds():
    nb = nbformat.read(str(WALKTHROUGH), as_version=4)
    text = run_notebooks.all_text(nb)
    assert "Smoke mode: False" in text and "Training steps per model: 2000" in text
    floors = EXPECTED[WALKTHROUGH.name]["committed_floors"]
    found = run_notebooks.accuracies(nb)
    assert len(found) == len(floors)
    assert all(floor <= accuracy <= 1.0 for accuracy, floor in zip(found, floors)), found
    for classes in run_notebooks.predicted_classes(nb):
        assert len(classes) == NUM_PREDICTED


def _code(path):
    return "\n".join(cell.source for cell in nbformat.read(str(path), as_version=4).cells
                     if cell.cell_type == "code")


@pytest.mark.parametrize("call", [
    "tf.estimator.inputs.numpy_input_fn(", "tf.feature_column.numeric_column(",
    "tf.estimator.DNNClassifier(", "tf.estimator.RunConfig(", ".train(", ".evaluate(",
    ".predict(", "tf.estimator.EstimatorSpec(", "tf.estimator.Estimator(model_fn=",
])
def test_walkthrough_shows_the_estimator_calls(call):
    """The API being taught stays visible in the notebook's own cells."""
    assert call in _code(WALKTHROUGH)


def test_walkthrough_has_three_input_functions():
    assert _code(WALKTHROUGH).count("tf.estimator.inputs.numpy_input_fn(") == 3


def notebook_model_fn(path=WALKTHROUGH):
    """The ``model_fn`` defined in the notebook, exec'd from its cell's source."""
    cells = [cell.source for cell in nbformat.read(str(path), as_version=4).cells
             if cell.cell_type == "code" and "def model_fn(" in cell.source]
    assert len(cells) == 1, "expected exactly one cell defining model_fn"
    namespace = {"tf": tf, "img_size": tutorial17.img_size,
                 "num_channels": tutorial17.num_channels, "num_classes": tutorial17.num_classes}
    exec(compile(cells[0], f"{path.name}:model_fn", "exec"), namespace)
    return namespace["model_fn"]


def _build(model_fn, mode, images, cls):
    """Build ``model_fn`` in a fresh seeded graph; return its structure and the
    predictions (PREDICT) or loss (TRAIN, EVAL) on one batch at initial weights."""
    # tf.layers' initializers take their seeds from Python's random on TensorFlow 2.15
    # (Keras), from the graph seed on 1.15: seed both.
    random.seed(models.DEFAULT_SEED)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(models.DEFAULT_SEED)
        tf.train.get_or_create_global_step()
        features = {"x": tf.constant(images)}
        labels = None if mode == tf.estimator.ModeKeys.PREDICT else tf.constant(cls)
        spec = model_fn(features, labels, mode, {"learning_rate": models.CNN_LEARNING_RATE})
        variables = [(v.op.name, tuple(v.shape.as_list())) for v in tf.global_variables()]
        operations = [(op.name, op.type) for op in graph.get_operations()]
        fetch = spec.predictions if mode == tf.estimator.ModeKeys.PREDICT else spec.loss
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            value = session.run(fetch)
    return variables, operations, value


@pytest.mark.parametrize("mode", [tf.estimator.ModeKeys.TRAIN, tf.estimator.ModeKeys.EVAL,
                                  tf.estimator.ModeKeys.PREDICT])
def test_notebook_model_fn_is_the_package_network(mode, tiny_data):
    images, cls = tiny_data.test.images[:16], tiny_data.test.cls[:16]
    ours = _build(notebook_model_fn(), mode, images, cls)
    package = _build(models.cnn_model_fn, mode, images, cls)
    assert ours[0] == package[0]  # variable names and shapes
    assert ("layer_conv1/kernel", (5, 5, 1, 16)) in ours[0]
    assert ours[1] == package[1]  # the same operations in the same order
    np.testing.assert_allclose(ours[2], package[2], rtol=1e-6)  # same seeded weights
