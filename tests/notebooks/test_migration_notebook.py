"""notebooks/17_Estimator_to_Keras.ipynb, the migration: its smoke run (slow tier), its committed
full run, and the Keras networks written in its cells are the ones migrate fills.
"""

import re

import tutorial17
from tutorial17 import models
from tutorial17._runtime.report import IS_TF1

import pytest

import notebook_checks
from notebook_cells import cell_defining
from notebook_checks import (
    FULL_TEST_IMAGES,
    NOTEBOOKS_DIR,
    SMOKE_TEST_IMAGES,
    WALKTHROUGH_FLOORS,
    CommittedChecks,
    Expected,
    SmokeRunChecks,
    check_committed_accuracies,
    read,
)
from scripts import run_notebooks

NOTEBOOK = NOTEBOOKS_DIR / "17_Estimator_to_Keras.ipynb"
# The Estimators' DNN and CNN, then the Keras DNN and CNN trained from scratch; the
# predictions of all four and of the exported SavedModel. Figure: the served predictions.
EXPECTED = Expected(accuracy_lines=4, prediction_lines=5, figures=1, curve_cells=0,
                    committed_floors=WALKTHROUGH_FLOORS * 2)
AGREEMENT = re.compile(r"^(DNN|CNN): the Estimator's class for (\d+) of (\d+) test images, "
                       r"largest logit difference ([\d.e+-]+)$", re.MULTILINE)
RUN_END = re.compile(r"^Run (\d) ended at step (\d+)", re.MULTILINE)
MAX_LOGIT_DIFFERENCE = 1e-4


def migration_checks(nb, num_test_images, resume_steps):
    """Assert what the migration notebook's outputs must show on any run."""
    text = run_notebooks.all_text(nb)
    agreement = AGREEMENT.findall(text)
    assert [model for model, *_ in agreement] == ["DNN", "CNN"]
    for _, same, total, difference in agreement:
        assert int(same) == int(total) == num_test_images
        assert float(difference) <= MAX_LOGIT_DIFFERENCE
    # Run 2 started over; run 3 loaded run 1's file and went on.
    assert [(int(run), int(step)) for run, step in RUN_END.findall(text)] == \
        [(1, resume_steps), (2, resume_steps), (3, 2 * resume_steps)]
    assert "Refused. Missing from the checkpoint: layer_conv1/bias" in text
    predicted = run_notebooks.predicted_classes(nb)
    assert predicted[-1] == predicted[1], "the exported CNN predicts as its Estimator did"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    return notebook_checks.smoke_run(NOTEBOOK, tmp_path_factory)


@pytest.mark.slow
class TestSmokeRun(SmokeRunChecks):
    EXPECTED = EXPECTED


class TestCommittedCopy(CommittedChecks):
    NOTEBOOK = NOTEBOOK
    EXPECTED = EXPECTED


@pytest.mark.slow
def test_migration_smoke_run_converts_and_resumes(smoke_run):
    _, nb, _, _ = smoke_run
    migration_checks(nb, SMOKE_TEST_IMAGES, resume_steps=tutorial17.SMOKE_STEPS)


def test_committed_migration_is_a_full_run_within_bounds():
    nb = read(NOTEBOOK)
    text = run_notebooks.all_text(nb)
    assert "Smoke mode: False" in text and "Training steps per model: 2000" in text
    check_committed_accuracies(nb, EXPECTED)
    migration_checks(nb, FULL_TEST_IMAGES, resume_steps=200)


def _notebook_function(path, name, namespace):
    """The function ``name`` defined in a code cell of ``path``, exec'd in ``namespace``."""
    source = "\n".join(line for line in cell_defining(path, name).splitlines()
                       if not line.startswith(("keras.utils.set_random_seed", "keras_")))
    exec(compile(source, f"{path.name}:{name}", "exec"), namespace)
    return namespace[name]


@pytest.mark.skipif(IS_TF1, reason="Keras 2.15 or 3 need TensorFlow 2")
@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_migration_notebook_networks_are_the_converters(model):
    """The Keras networks written out in the notebook are the ones to_keras fills."""
    from tutorial17 import migrate

    import keras

    namespace = {"keras": keras, "models": models, "img_size_flat": tutorial17.img_size_flat,
                 "img_shape": tutorial17.img_shape, "num_channels": tutorial17.num_channels,
                 "num_classes": tutorial17.num_classes}
    ours = _notebook_function(NOTEBOOK, f"build_keras_{model}", namespace)()
    package = migrate.build(model)

    def layout(keras_model):
        return [(type(layer).__name__, tuple(tuple(w.shape) for w in layer.weights),
                 layer.name if layer.weights else None) for layer in keras_model.layers]

    assert layout(ours) == layout(package)
