"""A notebook's own code cells, run in this process: what the notebook tests and the lesson
tests (tests/test_notebook_lessons.py, tests/test_migrate.py) share.
"""

import random

import tutorial17
from tutorial17 import models

import nbformat
import tensorflow.compat.v1 as tf

from scripts.run_notebooks import NOTEBOOKS_DIR

WALKTHROUGH = NOTEBOOKS_DIR / "17_Estimator_API.ipynb"


def code(path):
    """Return the source of every code cell of the notebook ``path``, joined."""
    return "\n".join(cell.source for cell in nbformat.read(str(path), as_version=4).cells
                     if cell.cell_type == "code")


def cell_defining(path, name):
    """Return the source of the one code cell of ``path`` that defines the function ``name``."""
    cells = [cell.source for cell in nbformat.read(str(path), as_version=4).cells
             if cell.cell_type == "code" and f"def {name}(" in cell.source]
    assert len(cells) == 1, f"expected exactly one cell defining {name}"
    return cells[0]


def notebook_model_fn(path=WALKTHROUGH, name="model_fn"):
    """The model function ``name`` defined in the notebook, exec'd from its cell's source."""
    namespace = {"tf": tf, "img_size": tutorial17.img_size,
                 "num_channels": tutorial17.num_channels, "num_classes": tutorial17.num_classes}
    exec(compile(cell_defining(path, name), f"{path.name}:{name}", "exec"), namespace)
    return namespace[name]


def build(model_fn, mode, images, cls):
    """Build ``model_fn`` in a fresh seeded graph; return its structure and the
    predictions (PREDICT) or loss (TRAIN, EVAL) on one batch at initial weights."""
    # tf.layers' initializers take their seeds from Python's random on TensorFlow 2.15
    # (Keras), from the graph seed on 1.15: seed both. (tf.keras.utils.set_random_seed is
    # TF 2.7+, and leaves a Keras seed generator behind that later tests' seeded input
    # functions no longer control.)
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
