"""What the notebooks teach in their own cells, checked against the package's copies.

The cells are read from the committed notebooks and run in-process on the tiny
slice: the first cell that works outside a clone, the walkthrough's hook, the
migration notebook's progress callback and checkpoint conversion, the exercises'
one-hot model function and image-file input function.
"""

import ast
import builtins
import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import tutorial17
from tutorial17 import inputs, models, workflow
from tutorial17._runtime.report import IS_TF1
from tutorial17.checkpoints import checkpoint_step
from tutorial17.exercises import image_files, one_hot

import nbformat
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from notebook_cells import build, notebook_model_fn

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
WALKTHROUGH = NOTEBOOKS_DIR / "17_Estimator_API.ipynb"
MIGRATION = NOTEBOOKS_DIR / "17_Estimator_to_Keras.ipynb"
EXERCISES = NOTEBOOKS_DIR / "17_Estimator_API_Exercises.ipynb"
STEPS = 4

needs_keras = pytest.mark.skipif(IS_TF1, reason="Keras 2.15 or 3 need TensorFlow 2")


def repository_url():
    """``[project.urls] Repository`` of pyproject.toml (read without tomllib: Python 3.7 too)."""
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    table = re.search(r"^\[project\.urls\]\n(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    assert table, "pyproject.toml has no [project.urls] table"
    url = re.search(r'^Repository\s*=\s*"([^"]+)"', table.group(1), re.MULTILINE)
    assert url, "[project.urls] has no Repository"
    return url.group(1)


def code_cells(path):
    return [cell.source for cell in nbformat.read(str(path), as_version=4).cells
            if cell.cell_type == "code"]


def cell_defining(path, name):
    """The source of the one code cell of ``path`` that defines ``name``."""
    pattern = re.compile(rf"^(def|class) {name}\b|^{name} = ", re.MULTILINE)
    cells = [source for source in code_cells(path) if pattern.search(source)]
    assert len(cells) == 1, f"{path.name}: expected one cell defining {name}, found {len(cells)}"
    return cells[0]


def _defines(node, names):
    """Tell whether the top-level statement ``node`` defines one of ``names``."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name in names
    if isinstance(node, ast.Assign):
        for target in node.targets:
            while isinstance(target, ast.Subscript):  # NAME["key"] = ...
                target = target.value
            if isinstance(target, ast.Name) and target.id in names:
                return True
    return False


def run_cells(path, names, namespace):
    """Exec, in ``namespace``, the statements of ``path``'s code cells that define ``names``.

    The rest of those cells (a training run, a print) is left out.
    """
    sources = []
    for name in names:
        source = cell_defining(path, name)
        if source not in sources:
            sources.append(source)
    for source in sources:
        tree = ast.parse(source)
        tree.body = [node for node in tree.body if _defines(node, names)]
        exec(compile(tree, f"{path.name}:{names}", "exec"), namespace)
    missing = [name for name in names if name not in namespace]
    assert not missing, missing
    return namespace


# --- The first code cell: a clone, or a hosted runtime without tutorial17 -------------

def first_cell(path):
    return code_cells(path)[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_first_cell_names_the_repository_of_pyproject(path):
    assert f'REPOSITORY = "{repository_url()}"' in first_cell(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_first_cell_imports_neither_tensorflow_nor_tutorial17(path):
    """tutorial17 must load before TensorFlow (it quiets the logs and supplies tf.estimator)."""
    imported = set()
    for node in ast.walk(ast.parse(first_cell(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported and imported <= {"importlib", "os", "subprocess", "sys"}, imported


def _run_first_cell(path, monkeypatch, install=False):
    """Exec the first cell in a fresh namespace; return the commands it would have run."""
    source = first_cell(path)
    flag = "INSTALL_TUTORIAL17 = False"
    assert source.count(flag) == 1
    if install:
        source = source.replace(flag, "INSTALL_TUTORIAL17 = True")
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: commands.append(command))
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(source, f"{path.name}:first cell", "exec"), {"__builtins__": builtins})
    return commands


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_first_cell_does_nothing_in_a_clone(path, monkeypatch, capsys):
    assert _run_first_cell(path, monkeypatch) == []
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_first_cell_without_tutorial17_prints_one_line_saying_what_to_run(
        path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tutorial17", None)  # find_spec: not importable
    assert importlib.util.find_spec("tutorial17") is None
    assert _run_first_cell(path, monkeypatch) == []
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    assert f"git clone {repository_url()}" in lines[0]
    assert "pip install -e tutorial17" in lines[0] and "INSTALL_TUTORIAL17 = True" in lines[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_first_cell_with_the_flag_clones_and_installs(path, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "tutorial17", None)
    monkeypatch.chdir(tmp_path)
    commands = _run_first_cell(path, monkeypatch, install=True)
    assert commands == [
        ["git", "clone", "--depth", "1", repository_url()],
        [sys.executable, "-m", "pip", "install", "--quiet", "-e", "tutorial17"],
    ]
    assert capsys.readouterr().out == ""
    assert sys.path[0] == os.path.abspath("tutorial17")


# --- The walkthrough's hook -----------------------------------------------------------

def test_walkthrough_hook_prints_the_loss_every_n_steps(tiny_data, tmp_path, capsys):
    namespace = run_cells(WALKTHROUGH, ["LossPrinter"], {"tf": tf})
    estimator = models.make_estimator("cnn", model_dir=tmp_path / "cnn")
    train_fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    for _ in range(2):  # the second call resumes from the checkpoint, and so does the count
        estimator.train(train_fn, steps=STEPS, hooks=[namespace["LossPrinter"](every_n_steps=2)])
    lines = capsys.readouterr().out.splitlines()
    found = [re.match(r"^step +(\d+): loss (\d+\.\d\d)$", line) for line in lines]
    assert all(found), lines
    assert [int(m.group(1)) for m in found] == [2, 4, 6, 8]
    assert all(0 < float(m.group(2)) < 10 for m in found)  # a mean cross-entropy
    assert checkpoint_step(estimator.model_dir) == 2 * STEPS


# --- The migration notebook: progress callback and checkpoint conversion --------------

def _progress_text(callback_class):
    """What ``callback_class`` draws for two batches of a model at optimizer step 3."""
    shown = io.StringIO()
    callback = callback_class(2, "keras dnn", file=shown)
    callback.set_model(SimpleNamespace(optimizer=SimpleNamespace(
        iterations=SimpleNamespace(numpy=lambda: 3))))
    callback.on_train_begin()
    callback.on_train_batch_end(0, {"loss": 0.5})
    callback.on_train_batch_end(1, {"loss": 0.25})
    callback.on_train_end()
    # Elapsed time, time left and rate vary between two runs.
    return re.sub(r"\d+:\d+|[\d.?]+(step/s|s/step)|\?", "", shown.getvalue())


@needs_keras
def test_migration_notebook_callback_is_the_packages(monkeypatch):
    from tutorial17 import migrate
    from tutorial17.progress import show_step, step_bar

    import keras

    namespace = run_cells(MIGRATION, ["ProgressCallback"],
                          {"keras": keras, "show_step": show_step, "step_bar": step_bar})
    ours = _progress_text(namespace["ProgressCallback"])
    assert "2/2" in ours and "step=5 loss=0.25" in ours, ours
    assert ours == _progress_text(migrate.KerasProgress)


@pytest.fixture(scope="module")
def trained_dirs(tiny_data, tmp_path_factory):
    """Both walkthrough models trained a few steps: {model: model directory}."""
    dirs = {}
    for model in ("dnn", "cnn"):
        estimator = models.make_estimator(model, model_dir=tmp_path_factory.mktemp(model))
        train_fn = inputs.make_fast_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
        workflow.train(estimator, train_fn, steps=STEPS, progress=False)
        dirs[model] = Path(estimator.model_dir)
    return dirs


def _migration_cells():
    import keras
    import tensorflow as tf2

    namespace = {"keras": keras, "tf": tf2, "models": models, "MODELS": ("dnn", "cnn"),
                 "img_size_flat": tutorial17.img_size_flat, "img_shape": tutorial17.img_shape,
                 "num_channels": tutorial17.num_channels, "num_classes": tutorial17.num_classes}
    return run_cells(MIGRATION, ["build_keras_dnn", "build_keras_cnn", "network_variables",
                                 "NUM_HIDDEN_LAYERS", "LAYER_SCOPES", "checkpoint_to_keras"],
                     namespace)


@needs_keras
@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_migration_notebook_conversion_is_migrate_to_keras(model, trained_dirs, tiny_data,
                                                           capsys):
    from tutorial17 import migrate

    cells = _migration_cells()
    model_dir = trained_dirs[model]
    network = cells["network_variables"](model_dir)
    layout = migrate.checkpoint_layout(model)
    assert network == {name: list(shape) for name, shape in layout.items()
                       if name != "global_step"}
    build = cells["build_keras_" + model]
    ours = cells["checkpoint_to_keras"](model_dir, build(), cells["LAYER_SCOPES"][model])
    package = migrate.to_keras(model_dir, model)
    assert len(ours.get_weights()) == len(package.get_weights()) == len(layout) - 1
    for mine, theirs in zip(ours.get_weights(), package.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    images = tiny_data.test.images
    np.testing.assert_array_equal(ours.predict(images, verbose=0),
                                  package.predict(images, verbose=0))


# --- The exercises notebook: one-hot labels and image files ---------------------------

@pytest.mark.parametrize("mode", [tf.estimator.ModeKeys.TRAIN, tf.estimator.ModeKeys.EVAL,
                                  tf.estimator.ModeKeys.PREDICT])
def test_exercises_one_hot_model_fn_is_the_packages(mode, tiny_data):
    images, labels = tiny_data.test.images[:16], tiny_data.test.labels[:16]
    ours = build(notebook_model_fn(EXERCISES, "one_hot_model_fn"), mode, images, labels)
    package = build(one_hot.cnn_one_hot_model_fn, mode, images, labels)
    assert ours[0] == package[0]  # variable names and shapes
    assert ("layer_conv1/kernel", (5, 5, 1, 16)) in ours[0]
    np.testing.assert_allclose(ours[2], package[2], rtol=1e-6)  # same loss or predictions


def _batches(input_fn):
    """Everything ``input_fn`` yields, as numpy arrays: (images, labels or None)."""
    with tf.Graph().as_default():
        iterator = tf.data.make_one_shot_iterator(input_fn())
        element = iterator.get_next()
        images, labels = [], []
        with tf.Session() as session:
            while True:
                try:
                    value = session.run(element)
                except tf.errors.OutOfRangeError:
                    break
                features = value[0] if isinstance(value, tuple) else value
                images.append(features["x"])
                if isinstance(value, tuple):
                    labels.append(value[1])
    return np.concatenate(images), (np.concatenate(labels) if labels else None)


@pytest.mark.parametrize("labels", [False, True])
def test_exercises_image_files_input_fn_is_the_packages(labels, tiny_data, tmp_path):
    count = 20
    image_files.write_png_images(tiny_data.test.images[:count], tmp_path,
                                 cls=tiny_data.test.cls[:count])
    namespace = run_cells(EXERCISES, ["PIXEL_VALUES", "load_image", "label_from_path",
                                     "make_files_input_fn"],
                          {"tf": tf, "np": np, "Path": Path,
                           "num_channels": tutorial17.num_channels,
                           "img_size_flat": tutorial17.img_size_flat})
    ours = _batches(namespace["make_files_input_fn"](tmp_path, labels=labels, batch_size=8))
    package = _batches(image_files.make_image_files_input_fn(tmp_path, labels=labels,
                                                             batch_size=8))
    np.testing.assert_array_equal(ours[0], package[0])
    np.testing.assert_array_equal(ours[0], tiny_data.test.images[:count])  # bit for bit
    if labels:
        np.testing.assert_array_equal(ours[1], package[1])
        np.testing.assert_array_equal(ours[1], tiny_data.test.cls[:count])
    else:
        assert ours[1] is None and package[1] is None


# --- make notebooks off the reference stack -------------------------------------------

def test_make_notebooks_stops_off_the_reference_stack(monkeypatch, capsys):
    from scripts import run_notebooks

    assert run_notebooks.reference_stack_problem((3, 11)) is None
    problem = run_notebooks.reference_stack_problem((3, 12))
    assert "Python 3.12" in problem and "OTHER_STACK=1" in problem
    monkeypatch.setattr(run_notebooks, "reference_stack_problem", lambda: problem)
    monkeypatch.setattr(run_notebooks, "execute_notebook",
                        lambda *args, **kwargs: pytest.fail("a notebook was run"))
    assert run_notebooks.main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and problem in err
