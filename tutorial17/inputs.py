"""The three input functions of the walkthrough (step 4), built by factories.

Each factory checks its arrays first (one clear line on bad input), then wraps
them with ``numpy_input_fn`` exactly as the original did: features as a dict
with the single key ``"x"``, labels as integer classes, batches of 128.
``one_hot=True`` takes one-hot float32 labels (``data.train.labels``) instead
(exercise 6).
"""

import tensorflow.compat.v1 as tf

from .errors import InputError
from .validation import check_classes, check_images, check_one_hot

BATCH_SIZE = 128


def make_train_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=None, shuffle=True,
                        one_hot=False):
    """Training input: loops forever over shuffled batches by default.

    ``cls`` holds class numbers, or one-hot rows when ``one_hot=True``.
    """
    x = check_images(images)
    y = _check_labels(cls, len(x), one_hot)
    return tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=y, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle)


def make_test_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=1, shuffle=False,
                       one_hot=False):
    """Evaluation input: one pass over the data in order.

    ``cls`` holds class numbers, or one-hot rows when ``one_hot=True``.
    """
    x = check_images(images)
    y = _check_labels(cls, len(x), one_hot)
    return tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=y, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle)


def make_predict_input_fn(images, batch_size=BATCH_SIZE, num_epochs=1, shuffle=False):
    """Prediction input: images only, one pass, in order."""
    x = check_images(images)
    return tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=None, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle)


def _check_labels(labels, num_images, one_hot):
    """Class numbers, or one-hot rows when ``one_hot`` is True, checked."""
    if one_hot not in (True, False):
        raise InputError(f"one_hot: {one_hot!r}, expected True or False")
    return check_one_hot(labels, num_images) if one_hot else check_classes(labels, num_images)
