"""The walkthrough's two networks in Keras: the one home of their Keras layers.

Each takes flat images (N, 784) under the input name ``x`` and returns the 10
logits, its layers named as the Estimator's checkpoint names them, sized as
:mod:`tutorial17.registry` says. :mod:`tutorial17.migrate` fills them from a
checkpoint; the training benchmarks train them with ``model.fit``. The
migration notebook writes its own copies in cells, tested equal to these.

Importing this module loads no Keras: each builder takes the Keras to build
with, by default ``import keras`` (Keras 2.15 with TensorFlow 2.15, Keras 3 with
2.21); the benchmarks pass ``tf.keras``, the Keras the Estimator's side uses.
"""

from .data import img_shape, img_size_flat, num_channels
from .registry import (
    CNN,
    CNN_FC_UNITS,
    CNN_FILTERS,
    CNN_KERNEL_SIZE,
    CNN_POOL_SIZE,
    DNN,
    get,
)

INPUT_NAME = "x"
"""The input's name: the Estimator's feature key, and the SavedModel signature's input."""


def build_dnn(keras=None):
    """Return the DNN in Keras: 784 pixels, ReLU layers of 512, 256, 128 units, 10 logits."""
    keras = _keras(keras)
    inputs = keras.Input(shape=(img_size_flat,), name=INPUT_NAME)
    net = inputs
    for layer in DNN.layers:  # the hidden layers (ReLU), then the logits
        activation = None if layer is DNN.layers[-1] else "relu"
        net = keras.layers.Dense(layer.kernel_shape[-1], activation=activation,
                                 name=layer.name)(net)
    return keras.Model(inputs, net, name=DNN.name)


def build_cnn(keras=None):
    """Return the CNN in Keras, its layers named as in ``models.cnn_logits``; 10 logits out."""
    keras = _keras(keras)
    inputs = keras.Input(shape=(img_size_flat,), name=INPUT_NAME)
    net = keras.layers.Reshape(img_shape + (num_channels,))(inputs)
    for i, filters in enumerate(CNN_FILTERS):
        net = keras.layers.Conv2D(filters, CNN_KERNEL_SIZE, padding="same", activation="relu",
                                  name=f"layer_conv{i + 1}")(net)
        net = keras.layers.MaxPooling2D(pool_size=CNN_POOL_SIZE, strides=CNN_POOL_SIZE)(net)
    net = keras.layers.Flatten()(net)
    net = keras.layers.Dense(CNN_FC_UNITS, activation="relu", name="layer_fc1")(net)
    logits = keras.layers.Dense(CNN.layers[-1].kernel_shape[-1], name="layer_fc2")(net)
    return keras.Model(inputs, logits, name=CNN.name)


def build(model, keras=None):
    """Return the untrained Keras network of ``model`` (``"dnn"`` or ``"cnn"``)."""
    return get(model).build_keras(keras=keras)


def _keras(keras):
    if keras is None:
        import keras  # only when a network is built: the registry and the CLI need no Keras
    return keras
