"""The walkthrough's two Estimators: the canned DNNClassifier (step 5) and the custom CNN (step 6).

Their names, titles and layer sizes are described once in :mod:`tutorial17.registry`;
this module builds them in TensorFlow 1 (the Keras twins are in :mod:`.keras_models`).
"""

from pathlib import Path

import tensorflow.compat.v1 as tf

from .checkpoints import checked_model_fn
from .data import img_shape, img_size, num_channels, num_classes
from .paths import MODEL_ROOT_ENV as MODEL_ROOT_ENV  # their home is paths.py; public here too
from .paths import default_model_root as default_model_root
from .registry import (  # noqa: F401  (the sizes, re-exported: notebooks read them here)
    CNN,
    CNN_FC_UNITS,
    CNN_FILTERS,
    CNN_KERNEL_SIZE,
    CNN_POOL_SIZE,
    DNN,
    DNN_HIDDEN_UNITS,
    MODEL_NAMES,
    remember_model,
)
from .registry import get as get_spec

DNN_MODEL_DIR = DNN.model_dir_name
CNN_MODEL_DIR = CNN.model_dir_name

CNN_LEARNING_RATE = 1e-4
DEFAULT_SEED = 17
"""Graph-level random seed put in every RunConfig, so runs repeat."""


def default_model_dir(model, root=None):
    """Return ``<root>/checkpoints_tutorial17-1`` for ``"dnn"``, ``-2`` for ``"cnn"``."""
    name = get_spec(model).model_dir_name
    return Path(root if root is not None else default_model_root()) / name


def make_run_config(model_dir, seed=DEFAULT_SEED, **kwargs):
    """Return a RunConfig with a fixed random seed; extra keyword arguments go to RunConfig."""
    return tf.estimator.RunConfig(model_dir=str(model_dir), tf_random_seed=seed, **kwargs)


def feature_columns():
    """Return the only feature column: the 28x28 image under the key ``"x"``."""
    return [tf.feature_column.numeric_column("x", shape=img_shape)]


def make_dnn_classifier(model_dir=None, hidden_units=DNN_HIDDEN_UNITS, seed=DEFAULT_SEED,
                        config=None, **kwargs):
    """Return the TF1 (v1) canned ``DNNClassifier``: ReLU layers of 512, 256, 128 units.

    Its loss is summed over the batch and its optimizer is Adagrad (lr 0.05), as
    in the original. Extra keyword arguments go to ``DNNClassifier``. Like every
    estimator made here, it checks that the checkpoint in its model directory
    fits it before train, evaluate and predict restore it (see :mod:`.checkpoints`).
    """
    model_dir = model_dir if model_dir is not None else default_model_dir("dnn")
    estimator = tf.estimator.DNNClassifier(
        feature_columns=feature_columns(),
        hidden_units=list(hidden_units),
        activation_fn=tf.nn.relu,
        n_classes=num_classes,
        config=config if config is not None else make_run_config(model_dir, seed),
        **kwargs)
    # The canned class builds its model_fn inside __init__ and Estimator forbids
    # overriding train/evaluate/predict, so the check goes around that model_fn.
    estimator._model_fn = checked_model_fn(estimator._model_fn)
    if tuple(hidden_units) == DNN_HIDDEN_UNITS:
        remember_model(estimator, DNN.name)
    return estimator


def cnn_logits(x):
    """Build the CNN's layers from the flat images ``x`` (N, 784) to the 10 logits.

    Two 5x5 conv layers (16, 36 filters) with 2x2 max-pooling, a 128-unit dense
    layer and 10 logits, named ``layer_conv1``, ``layer_conv2``, ``layer_fc1``,
    ``layer_fc2`` (the names the checkpoint stores them under).
    """
    net = tf.reshape(x, [-1, img_size, img_size, num_channels])

    net = tf.layers.conv2d(inputs=net, name="layer_conv1", padding="same",
                           filters=CNN_FILTERS[0], kernel_size=CNN_KERNEL_SIZE,
                           activation=tf.nn.relu)
    net = tf.layers.max_pooling2d(inputs=net, pool_size=CNN_POOL_SIZE, strides=CNN_POOL_SIZE)
    net = tf.layers.conv2d(inputs=net, name="layer_conv2", padding="same",
                           filters=CNN_FILTERS[1], kernel_size=CNN_KERNEL_SIZE,
                           activation=tf.nn.relu)
    net = tf.layers.max_pooling2d(inputs=net, pool_size=CNN_POOL_SIZE, strides=CNN_POOL_SIZE)

    net = tf.layers.flatten(net)  # tf.contrib.layers.flatten in the TF 1.4 original
    net = tf.layers.dense(inputs=net, name="layer_fc1", units=CNN_FC_UNITS,
                          activation=tf.nn.relu)
    return tf.layers.dense(inputs=net, name="layer_fc2", units=num_classes)


def cnn_model_fn(features, labels, mode, params):
    """Build the custom CNN (:func:`cnn_logits`) for ``mode``: the ``model_fn``.

    PREDICT returns the class ids only; TRAIN and EVAL minimise the mean sparse
    softmax cross-entropy with Adam.
    """
    logits = cnn_logits(features["x"])

    y_pred = tf.nn.softmax(logits=logits)
    y_pred_cls = tf.argmax(y_pred, axis=1)

    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode=mode, predictions=y_pred_cls)

    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    loss = tf.reduce_mean(cross_entropy)
    return cnn_train_spec(mode, params, loss, labels, y_pred_cls)


def cnn_train_spec(mode, params, loss, cls_true, cls_pred):
    """Return the CNN's TRAIN and EVAL EstimatorSpec: Adam minimises ``loss``; metric accuracy.

    ``params["learning_rate"]`` is Adam's learning rate; ``cls_true`` and
    ``cls_pred`` are the true and the predicted class numbers.
    """
    optimizer = tf.train.AdamOptimizer(learning_rate=params["learning_rate"])
    train_op = optimizer.minimize(loss=loss, global_step=tf.train.get_global_step())
    metrics = {"accuracy": tf.metrics.accuracy(cls_true, cls_pred)}
    return tf.estimator.EstimatorSpec(mode=mode, loss=loss, train_op=train_op,
                                      eval_metric_ops=metrics)


def make_cnn_estimator(model_dir=None, learning_rate=CNN_LEARNING_RATE, model_fn=cnn_model_fn,
                       seed=DEFAULT_SEED, config=None, params=None):
    """Return a ``tf.estimator.Estimator`` around ``model_fn`` (default :func:`cnn_model_fn`).

    ``params`` defaults to ``{"learning_rate": learning_rate}``. Pass your own
    ``model_fn`` (an edited network, say): train, evaluate and predict first
    check that the checkpoint in ``model_dir`` fits it, and raise
    :class:`~tutorial17.errors.CheckpointMismatchError` naming the variables
    that differ if it does not.
    """
    model_dir = model_dir if model_dir is not None else default_model_dir("cnn")
    estimator = tf.estimator.Estimator(
        model_fn=checked_model_fn(model_fn),
        params=params if params is not None else {"learning_rate": learning_rate},
        config=config if config is not None else make_run_config(model_dir, seed))
    if model_fn is cnn_model_fn:  # another model_fn is another network, not the registry's CNN
        remember_model(estimator, CNN.name)
    return estimator


def make_estimator(model, model_dir=None, **kwargs):
    """Return ``make_dnn_classifier(...)`` for ``"dnn"``, ``make_cnn_estimator(...)`` for "cnn".

    The factory is the one :mod:`tutorial17.registry` names for ``model``; an
    unknown name raises :class:`~tutorial17.errors.InputError`.
    """
    return get_spec(model).make_estimator(model_dir=model_dir, **kwargs)
