"""Exercise 6: the custom CNN trained on one-hot labels instead of class numbers.

Only the loss and the accuracy metric change: the labels arrive as float32 rows
of ten (``data.train.labels``; input functions made with ``one_hot=True``), the
loss is the dense softmax cross-entropy, and the metric turns the rows back into
class numbers with ``argmax``. The network is the walkthrough's
(:func:`tutorial17.models.cnn_logits`), so its checkpoints hold the same variables.
"""

import tensorflow.compat.v1 as tf

from .. import models
from ..data import num_classes
from ..errors import InputError

ONE_HOT_MODEL_DIR = "checkpoints_tutorial17-onehot"


def cnn_one_hot_model_fn(features, labels, mode, params):
    """Build the CNN for one-hot labels of shape (batch, 10): a ``model_fn``.

    PREDICT needs no labels and is the walkthrough CNN's own. TRAIN and EVAL use
    ``softmax_cross_entropy_with_logits_v2``, which takes a probability row per
    image: with exact one-hot rows it gives the same loss as the sparse version
    the walkthrough uses, and it would also accept softened labels.
    ``params["label_smoothing"]`` (default 0) spreads that much of each row's
    weight evenly over the ten classes.
    """
    if mode == tf.estimator.ModeKeys.PREDICT:
        return models.cnn_model_fn(features, labels, mode, params)

    logits = models.cnn_logits(features["x"])
    y_pred_cls = tf.argmax(logits, axis=1)
    targets = tf.cast(labels, tf.float32)
    smoothing = params.get("label_smoothing", 0.0)
    if smoothing:
        targets = targets * (1.0 - smoothing) + smoothing / num_classes

    cross_entropy = tf.nn.softmax_cross_entropy_with_logits_v2(labels=targets, logits=logits)
    loss = tf.reduce_mean(cross_entropy)
    cls_true = tf.argmax(labels, axis=1)
    return models.cnn_train_spec(mode, params, loss, cls_true, y_pred_cls)


def make_one_hot_estimator(model_dir=None, learning_rate=models.CNN_LEARNING_RATE,
                           label_smoothing=0.0, **kwargs):
    """Return the CNN estimator around :func:`cnn_one_hot_model_fn`.

    ``model_dir`` defaults to ``checkpoints_tutorial17-onehot`` under the model
    root; other keyword arguments go to :func:`tutorial17.models.make_cnn_estimator`.
    """
    if not 0.0 <= label_smoothing < 1.0:
        raise InputError(f"label_smoothing: {label_smoothing}, expected a value in [0, 1)")
    if model_dir is None:
        model_dir = models.default_model_root() / ONE_HOT_MODEL_DIR
    params = {"learning_rate": learning_rate, "label_smoothing": label_smoothing}
    return models.make_cnn_estimator(model_dir=model_dir, model_fn=cnn_one_hot_model_fn,
                                     params=params, **kwargs)
