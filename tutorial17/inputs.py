"""The three input functions of the walkthrough (step 4), built by factories.

Each factory checks its arrays first (one clear line on bad input), then wraps
them with ``numpy_input_fn`` exactly as the original did: features as a dict
with the single key ``"x"``, labels as integer classes, batches of 128.
"""

import tensorflow.compat.v1 as tf

from .validation import check_classes, check_images

BATCH_SIZE = 128


def make_train_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=None, shuffle=True):
    """Training input: loops forever over shuffled batches by default."""
    x = check_images(images)
    y = check_classes(cls, len(x))
    return tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=y, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle)


def make_test_input_fn(images, cls, batch_size=BATCH_SIZE, num_epochs=1, shuffle=False):
    """Evaluation input: one pass over the data in order."""
    x = check_images(images)
    y = check_classes(cls, len(x))
    return tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=y, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle)


def make_predict_input_fn(images, batch_size=BATCH_SIZE, num_epochs=1, shuffle=False):
    """Prediction input: images only, one pass, in order."""
    x = check_images(images)
    return tf.estimator.inputs.numpy_input_fn(
        x={"x": x}, y=None, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle)
