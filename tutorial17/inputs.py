"""The three input functions of the walkthrough (step 4), built by factories.

Each factory checks its arrays first (one clear line on bad input), then wraps
them with ``numpy_input_fn`` exactly as the original did: features as a dict
with the single key ``"x"``, labels as integer classes, batches of 128.
``one_hot=True`` takes one-hot float32 labels (``data.train.labels``) instead
(exercise 6).
"""

import contextlib
import functools
import random

import tensorflow.compat.v1 as tf

from .errors import InputError
from .validation import check_classes, check_images, check_one_hot

BATCH_SIZE = 128


@contextlib.contextmanager
def _python_random_from_graph_seed():
    """Seed Python's ``random`` from the graph's seed while ``numpy_input_fn`` builds.

    ``numpy_input_fn`` reseeds Python's ``random`` from the OS (``random.seed(None)``)
    to pick where a shuffled pass starts, and ``tf.layers`` draw their initial
    weights' seeds from the same generator afterwards. Seeding it from the
    RunConfig's ``tf_random_seed`` instead makes a training run repeat.
    """
    seed = tf.get_default_graph().seed
    if seed is None:
        yield
        return
    reseed = random.seed
    reseed(seed)
    random.seed = lambda *args, **kwargs: None  # numpy_input_fn's random.seed(None)
    try:
        yield
    finally:
        random.seed = reseed


def _repeatable(input_fn):
    @functools.wraps(input_fn)
    def wrapped():
        with _python_random_from_graph_seed():
            return input_fn()
    return wrapped


def make_train_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=None, shuffle=True,
                        one_hot=False):
    """Training input: loops forever over shuffled batches by default.

    ``cls`` holds class numbers, or one-hot rows when ``one_hot=True``.
    """
    x = check_images(images)
    y = _check_labels(cls, len(x), one_hot)
    return _repeatable(tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=y, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle))


def make_test_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=1, shuffle=False,
                       one_hot=False):
    """Evaluation input: one pass over the data in order.

    ``cls`` holds class numbers, or one-hot rows when ``one_hot=True``.
    """
    x = check_images(images)
    y = _check_labels(cls, len(x), one_hot)
    return _repeatable(tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=y, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle))


def make_predict_input_fn(images, batch_size=BATCH_SIZE, num_epochs=1, shuffle=False):
    """Prediction input: images only, one pass, in order."""
    x = check_images(images)
    return _repeatable(tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=None, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle))


def _check_labels(labels, num_images, one_hot):
    """Class numbers, or one-hot rows when ``one_hot`` is True, checked."""
    if one_hot not in (True, False):
        raise InputError(f"one_hot: {one_hot!r}, expected True or False")
    return check_one_hot(labels, num_images) if one_hot else check_classes(labels, num_images)
