"""The three input functions of the walkthrough (step 4), built by factories.

Each factory checks its arrays first (one clear line on bad input), then wraps
them with ``numpy_input_fn`` exactly as the original did: features as a dict
with the single key ``"x"``, labels as integer classes, batches of 128.
``one_hot=True`` takes one-hot float32 labels (``data.train.labels``) instead
(exercise 6).

``make_fast_train_input_fn`` (and ``make_fast_test_input_fn``) give the same
features and labels from arrays staged in a variable: what the package trains
with outside the notebook (CLI ``train`` and ``walkthrough``); see docs/benchmarks.md.
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


def repeatable(input_fn):
    """Return ``input_fn`` made to seed Python's ``random`` from the graph seed while it builds.

    Every input function of the package is wrapped so, so that a model starts
    from the same weights on every run (see :func:`_python_random_from_graph_seed`).
    """
    @functools.wraps(input_fn)
    def wrapped():
        with _python_random_from_graph_seed():
            return input_fn()
    return wrapped


def make_train_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=None, shuffle=True,
                        one_hot=False):
    """Return the training input function: it loops forever over shuffled batches by default.

    ``cls`` holds class numbers, or one-hot rows when ``one_hot=True``.
    """
    x = check_images(images)
    y = _check_labels(cls, len(x), one_hot)
    return repeatable(tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=y, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle))


def make_test_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=1, shuffle=False,
                       one_hot=False):
    """Return the evaluation input function: one pass over the data in order.

    ``cls`` holds class numbers, or one-hot rows when ``one_hot=True``.
    """
    return make_train_input_fn(images, cls, batch_size=batch_size, num_epochs=num_epochs,
                               shuffle=shuffle, one_hot=one_hot)


def make_predict_input_fn(images, batch_size=BATCH_SIZE, num_epochs=1, shuffle=False):
    """Return the prediction input function: images only, one pass, in order."""
    x = check_images(images)
    return repeatable(tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=None, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle))


def _check_labels(labels, num_images, one_hot):
    """Return the checked class numbers, or one-hot rows when ``one_hot`` is True."""
    if one_hot not in (True, False):
        raise InputError(f"one_hot: {one_hot!r}, expected True or False")
    return check_one_hot(labels, num_images) if one_hot else check_classes(labels, num_images)


# --- The recommended input for training outside the faithful walkthrough. ---
#
# numpy_input_fn feeds every batch from a Python thread through a queue; on a
# 2-core machine that thread competes with the training step itself. The
# functions below copy the arrays once per session into a TensorFlow variable
# and only move indices through tf.data, so a step's input is a gather of 128
# rows. The arrays are NOT graph constants: the variable's initial value comes
# from a py-function, so graph.pbtxt, the .meta files and the events file stay
# small. The variable is local (never checkpointed) and lives as long as the graph.

STAGED_IMAGES = "staged_images"
STAGED_CLASSES = "staged_classes"


def _staged_variable(array, name):
    """Return a local, untrainable variable holding ``array``, filled at session start."""
    # numpy_function is stateful (the default on TF 2.15, the only kind on 1.15, which
    # has no such argument): a stateless op without inputs would be constant-folded by
    # the graph optimizer, keeping a second copy of the array in memory (+160 MB for MNIST).
    value = tf.numpy_function(lambda: array, [], tf.as_dtype(array.dtype),
                              name=f"{name}_value")
    value.set_shape(array.shape)
    return tf.Variable(value, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES],
                       name=name, use_resource=True)


def make_fast_train_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=None, shuffle=True,
                             seed=None):
    """Return a training input like :func:`make_train_input_fn`, several times cheaper per step.

    Each epoch visits every example once, in a fresh random order when
    ``shuffle`` (reproducible: the op seed comes from the RunConfig's graph seed,
    or pass ``seed``); ``num_epochs=None`` repeats forever. Batches run across
    epoch boundaries; with a finite ``num_epochs`` only the last batch can be short.
    Features are ``{"x": float32 (batch, 784)}``, labels int64 ``(batch,)``, as before.
    """
    x = check_images(images)
    y = check_classes(cls, len(x))
    return _staged_input_fn(x, y, batch_size, num_epochs, shuffle, seed)


def make_fast_test_input_fn(images, cls, batch_size=BATCH_SIZE):
    """Return an evaluation input like :func:`make_test_input_fn`, staged in a variable.

    One pass over the data, in order.
    """
    x = check_images(images)
    y = check_classes(cls, len(x))
    return _staged_input_fn(x, y, batch_size, num_epochs=1, shuffle=False, seed=None)


def _without_autotune():
    """Return dataset options that turn tf.data's autotuning off.

    The staged pipeline has nothing to tune (one batch prefetched), and the tuning thread
    can hold up closing the session: without this, ending a 300-step CNN run waited up to
    17 s for it, in 7 of 21 runs (docs/benchmarks.md).
    """
    options = tf.data.Options()
    if hasattr(options, "autotune"):  # TensorFlow 2 moved the switch
        options.autotune.enabled = False
    else:
        options.experimental_optimization.autotune = False
    return options


def _staged_input_fn(x, y, batch_size, num_epochs, shuffle, seed):
    count = len(x)

    def input_fn():
        images = _staged_variable(x, STAGED_IMAGES)
        classes = _staged_variable(y, STAGED_CLASSES)
        indices = tf.data.Dataset.range(count)
        if shuffle:
            indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        indices = indices.repeat(num_epochs).batch(batch_size).prefetch(1)
        batch = tf.data.make_one_shot_iterator(indices.with_options(_without_autotune())).get_next()
        return {"x": tf.gather(images, batch)}, tf.gather(classes, batch)

    # Seeds Python's random from the graph seed, as for numpy_input_fn: the CNN's
    # tf.layers take their initializers' seeds from it.
    return repeatable(input_fn)
