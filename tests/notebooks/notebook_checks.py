"""What every notebook's tests check, and how: a smoke run of a copy of the notebook, and its
committed copy, a clean full run.

Each notebook's test file (``test_<notebook>_notebook.py`` here) subclasses
:class:`SmokeRunChecks` and :class:`CommittedChecks` with its notebook and its
:class:`Expected` outputs, and adds the checks of its own.
"""

import shutil
from collections import namedtuple
from pathlib import Path

import tutorial17
from tutorial17._runtime.report import IS_TF1

import nbformat
import pytest

from scripts import run_notebooks, tf1_api

REPO_ROOT = run_notebooks.REPO_ROOT
NOTEBOOKS_DIR = run_notebooks.NOTEBOOKS_DIR
SMOKE_ENV = {"TUTORIAL17_SMOKE": "1"}
NUM_PREDICTED = 9
SMOKE_TEST_IMAGES = tutorial17.SMOKE_DATA_ARGS["num_test_records"]
FULL_TEST_IMAGES = 10000
# The foundation issue's bounds for the walkthrough's DNN and CNN after 2,000 steps; the
# other notebooks' models of 2,000 steps are held to them too.
WALKTHROUGH_FLOORS = [0.968, 0.973]
# Notebooks that need TensorFlow 2 (scripts/tf1_api.py): on 1.15 their smoke runs are skipped.
TF2_ONLY_NOTEBOOKS = {REPO_ROOT / rel for rel in tf1_api.TF2_ONLY_FILES if rel.endswith(".ipynb")}

# What a notebook shows: how many accuracy and prediction lines, figures and training-curves
# cells, and the accuracy floors its committed full run must reach, in order.
Expected = namedtuple("Expected", ["accuracy_lines", "prediction_lines", "figures",
                                   "curve_cells", "committed_floors"])


def machine_paths():
    return (REPO_ROOT, Path.home())


def execute_smoke(path, tmp_path_factory, model_root=None):
    """(name, executed notebook, working directory, model root) of a smoke run of a
    copy of ``path`` in a temporary working directory, with a fresh model root unless
    one is given. A failing cell fails here."""
    workdir = tmp_path_factory.mktemp("notebook-cwd")
    if model_root is None:
        model_root = tmp_path_factory.mktemp("notebook-models")
    copy = workdir / path.name
    shutil.copy(path, copy)
    nb = run_notebooks.execute_notebook(
        copy, cwd=workdir, env={**SMOKE_ENV, "TUTORIAL17_MODEL_ROOT": str(model_root)})
    return path.name, nb, workdir, model_root


def smoke_run(path, tmp_path_factory):
    """The smoke run of ``path`` (see :func:`execute_smoke`); skipped where it cannot run."""
    if IS_TF1 and path in TF2_ONLY_NOTEBOOKS:
        pytest.skip(f"{path.name} moves the models to Keras 2.15 or 3, which need TensorFlow 2")
    return execute_smoke(path, tmp_path_factory)


def read(path):
    return nbformat.read(str(path), as_version=4)


def figures(nb):
    """Return how many figures (PNG outputs) each code cell shows, by the cell's source."""
    return [(cell.source, sum("image/png" in output.get("data", {}) for output in cell.outputs))
            for cell in nb.cells if cell.cell_type == "code"]


def check_figures(nb, expected):
    """Fail unless ``nb`` shows its expected figures, one for each training-curves call."""
    shown = figures(nb)
    curves = [count for source, count in shown if "plot_training_curves(" in source]
    assert sum(count for _, count in shown) == expected.figures
    assert len(curves) == expected.curve_cells
    assert curves == [1] * len(curves), "each plot_training_curves cell: one figure"


def check_committed_accuracies(nb, expected):
    """Fail unless the committed ``nb`` shows its accuracies, each within its floor and 1."""
    floors = expected.committed_floors
    found = run_notebooks.accuracies(nb)
    assert len(found) == len(floors)
    assert all(floor <= accuracy <= 1.0 for accuracy, floor in zip(found, floors)), found


class SmokeRunChecks:
    """The checks of every notebook's smoke run; the test module provides ``smoke_run``."""

    EXPECTED = None  # an Expected

    def test_executes_every_cell_in_order(self, smoke_run):
        _, nb, _, _ = smoke_run
        assert run_notebooks.execution_order_ok(nb)

    def test_outputs_are_quiet_and_pathless(self, smoke_run):
        """No TensorFlow log lines, stderr only the progress line, no machine paths."""
        _, nb, _, _ = smoke_run
        assert run_notebooks.output_problems(nb, forbidden_paths=machine_paths()) == []

    def test_accuracies_are_fractions(self, smoke_run):
        _, nb, _, _ = smoke_run
        found = run_notebooks.accuracies(nb)
        assert len(found) == self.EXPECTED.accuracy_lines
        assert all(0.0 <= accuracy <= 1.0 for accuracy in found)

    def test_predictions_are_nine_class_numbers(self, smoke_run):
        _, nb, _, _ = smoke_run
        found = run_notebooks.predicted_classes(nb)
        assert len(found) == self.EXPECTED.prediction_lines
        for classes in found:
            assert len(classes) == NUM_PREDICTED
            assert all(0 <= c < tutorial17.num_classes for c in classes)

    def test_shows_its_figures_and_training_curves(self, smoke_run):
        _, nb, _, _ = smoke_run
        check_figures(nb, self.EXPECTED)

    def test_writes_only_under_its_model_root(self, smoke_run):
        name, _, workdir, model_root = smoke_run
        assert sorted(p.name for p in workdir.iterdir()) == [name]
        assert all(p.name.endswith("-smoke") for p in model_root.iterdir())


class CommittedChecks:
    """The checks of every notebook's committed copy."""

    NOTEBOOK = None  # its path
    EXPECTED = None  # an Expected

    def test_kernelspec_is_the_one_jupyter_installs(self):
        """With another kernel name, JupyterLab rewrites it on opening: the notebook shows
        modified."""
        from jupyter_client.kernelspec import KernelSpecManager

        installed = KernelSpecManager().get_kernel_spec("python3")
        kernelspec = read(self.NOTEBOOK).metadata.kernelspec
        assert (kernelspec.name, kernelspec.display_name) == ("python3", installed.display_name)

    def test_is_one_clean_run(self):
        nb = read(self.NOTEBOOK)
        assert run_notebooks.execution_order_ok(nb), "run it top to bottom: make notebooks"
        assert run_notebooks.output_problems(nb, forbidden_paths=machine_paths()) == []
        check_figures(nb, self.EXPECTED)
