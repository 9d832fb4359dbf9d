"""From the Estimator to Keras: the walkthrough's two networks in Keras, filled from a checkpoint.

:func:`to_keras` reads the latest checkpoint of a model directory (of either
model, trained by the package or by the walkthrough notebook's own cells),
checks that it holds the network asked for, and returns a Keras model with its
weights that outputs the 10 logits. :func:`export_saved_model` writes such a
model as a SavedModel that plain TensorFlow 2 loads and serves.

TensorFlow 2 only, with ``import keras``: Keras 2.15 on the reference stack,
Keras 3 on TensorFlow 2.21. The Estimator's optimizer state (Adagrad and Adam
slots) and its global step are not converted: the Keras model is for
predicting, or for training on with a fresh optimizer.
"""

import contextlib
import io

import tensorflow as tf

from . import models
from ._runtime.staging import staged_directory
from .checkpoints import checkpoint_variables, compare, mismatch_error, resolve_checkpoint
from .data import img_shape, img_size_flat, num_channels, num_classes
from .errors import InputError, UnsupportedStackError
from .models import CNN_FC_UNITS, CNN_FILTERS, CNN_KERNEL_SIZE, CNN_POOL_SIZE
from .predictor import Predictor
from .progress import show_step, step_bar

if int(tf.__version__.split(".")[0]) < 2:
    raise UnsupportedStackError(
        f"tutorial17.migrate needs TensorFlow 2 (Keras 2.15 or 3); this is TensorFlow "
        f"{tf.__version__}: use the reference stack (Python 3.9-3.11) or 3.12-3.13")

import keras  # noqa: E402  (Keras 2.15 with TensorFlow 2.15, Keras 3 with 2.21)

MODELS = ("dnn", "cnn")
INPUT_NAME = "x"
"""The input's name: the Estimator's feature key, and the SavedModel signature's input."""
SIGNATURE_KEY = "serving_default"
OUTPUT_KEYS = ("logits", "probabilities", "classes")

DNN_SCOPE = "dnn"
"""The name scope of the canned DNNClassifier's variables in its checkpoint."""

LOGITS_TENSORS = {"dnn": f"{DNN_SCOPE}/logits/BiasAdd:0", "cnn": "layer_fc2/BiasAdd:0"}
"""The logits in each Estimator's PREDICT graph: the last dense layer's output."""
MODEL_TITLES = {"dnn": "the walkthrough's DNNClassifier", "cnn": "the walkthrough's CNN"}
CONVERT_ADVICE = ("to_keras converts the walkthrough's two networks only: for another network, "
                  "build it in Keras and copy its variables from tf.train.load_checkpoint(...)")


def dnn_layers(hidden_units=models.DNN_HIDDEN_UNITS):
    """Return the DNN's dense layers as ``(Keras layer name, checkpoint scope, units)``."""
    names = [f"hiddenlayer_{i}" for i in range(len(hidden_units))] + ["logits"]
    return [(name, f"{DNN_SCOPE}/{name}", units)
            for name, units in zip(names, list(hidden_units) + [num_classes])]


def cnn_layers():
    """Return the CNN's layers with weights as ``(name, kernel shape)``, as in ``cnn_logits``."""
    size = img_shape[0] // CNN_POOL_SIZE ** len(CNN_FILTERS)  # 28 -> 14 -> 7
    in_channels = (num_channels,) + CNN_FILTERS[:-1]
    convs = [(f"layer_conv{i + 1}", (CNN_KERNEL_SIZE, CNN_KERNEL_SIZE, c_in, c_out))
             for i, (c_in, c_out) in enumerate(zip(in_channels, CNN_FILTERS))]
    return convs + [("layer_fc1", (size * size * CNN_FILTERS[-1], CNN_FC_UNITS)),
                    ("layer_fc2", (CNN_FC_UNITS, num_classes))]


def checkpoint_layout(model):
    """Return ``{variable name: shape}`` that a checkpoint of ``model`` holds, optimizer aside.

    These are the weights :func:`to_keras` copies, and the global step.
    """
    _check_model(model)
    if model == "dnn":
        layers, fan_in = [], img_size_flat
        for _, scope, units in dnn_layers():
            layers.append((scope, (fan_in, units)))
            fan_in = units
    else:
        layers = cnn_layers()
    layout = {"global_step": ()}
    for scope, kernel_shape in layers:
        layout[f"{scope}/kernel"] = kernel_shape
        layout[f"{scope}/bias"] = kernel_shape[-1:]
    return layout


def build_dnn():
    """Return the DNN in Keras: 784 pixels, ReLU layers of 512, 256, 128 units, 10 logits."""
    inputs = keras.Input(shape=(img_size_flat,), name=INPUT_NAME)
    net = inputs
    for name, _, units in dnn_layers():
        activation = None if name == "logits" else "relu"
        net = keras.layers.Dense(units, activation=activation, name=name)(net)
    return keras.Model(inputs, net, name="dnn")


def build_cnn():
    """Return the CNN in Keras, its layers named as in ``cnn_logits``; it outputs 10 logits."""
    inputs = keras.Input(shape=(img_size_flat,), name=INPUT_NAME)
    net = keras.layers.Reshape(img_shape + (num_channels,))(inputs)
    for i, filters in enumerate(CNN_FILTERS):
        net = keras.layers.Conv2D(filters, CNN_KERNEL_SIZE, padding="same", activation="relu",
                                  name=f"layer_conv{i + 1}")(net)
        net = keras.layers.MaxPooling2D(pool_size=CNN_POOL_SIZE, strides=CNN_POOL_SIZE)(net)
    net = keras.layers.Flatten()(net)
    net = keras.layers.Dense(CNN_FC_UNITS, activation="relu", name="layer_fc1")(net)
    logits = keras.layers.Dense(num_classes, name="layer_fc2")(net)
    return keras.Model(inputs, logits, name="cnn")


def build(model):
    """Return the untrained Keras network of ``model`` (``"dnn"`` or ``"cnn"``)."""
    _check_model(model)
    return build_dnn() if model == "dnn" else build_cnn()


def to_keras(model_dir, model):
    """Return a Keras model holding the weights of the latest checkpoint in ``model_dir``.

    ``model`` is ``"dnn"`` (the canned DNNClassifier) or ``"cnn"`` (the custom
    model_fn); ``model_dir`` may also be an Estimator or a checkpoint prefix.
    The model takes flat images (N, 784) and returns the 10 logits; it is not
    compiled. A checkpoint of another network raises
    :class:`~tutorial17.errors.CheckpointMismatchError` naming what differs,
    before anything is built.
    """
    _check_model(model)
    checkpoint = resolve_checkpoint(model_dir)
    missing, unexpected, changed = compare(checkpoint_layout(model),
                                           checkpoint_variables(checkpoint))
    if missing or unexpected or changed:
        raise mismatch_error(checkpoint, missing, unexpected, changed,
                             model=MODEL_TITLES[model], advice=CONVERT_ADVICE)
    reader = tf.train.load_checkpoint(checkpoint)
    keras_model = build(model)
    for name, scope in _weight_scopes(model):
        keras_model.get_layer(name).set_weights(
            [reader.get_tensor(f"{scope}/kernel"), reader.get_tensor(f"{scope}/bias")])
    return keras_model


def estimator_logits(model, estimator, images):
    """Return the logits, (N, 10) float32, of ``model``'s Estimator for flat ``images``.

    The walkthrough's CNN predicts class numbers only, so its logits come from
    the PREDICT graph through :meth:`Predictor.run`; the same is done for the DNN.
    """
    _check_model(model)
    with Predictor(estimator) as predictor:
        return predictor.run(LOGITS_TENSORS[model], images)


def export_saved_model(keras_model, export_dir):
    """Write ``keras_model`` (flat images to logits) as a SavedModel; return ``export_dir``.

    Its ``serving_default`` signature takes ``x``, float32 (N, 784), and returns
    ``logits`` (N, 10), ``probabilities`` (N, 10) and ``classes`` (N,) int64;
    ``tf.saved_model.load(export_dir)`` serves it without this package.
    ``export_dir`` must not exist yet, or be empty; a failed export leaves
    nothing behind.
    """
    usable_after_estimator(keras_model)

    def serve(x):
        logits = keras_model(x, training=False)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits),
                "classes": tf.argmax(logits, axis=1, output_type=tf.int64)}

    archive = keras.export.ExportArchive()
    archive.track(keras_model)
    archive.add_endpoint(
        name=SIGNATURE_KEY, fn=serve,
        input_signature=[tf.TensorSpec(shape=(None, img_size_flat), dtype=tf.float32,
                                       name=INPUT_NAME)])
    # Keras prints a summary of the endpoints (Keras 3 has an option against it, 2.15 has not).
    with staged_directory(export_dir, "export_saved_model") as staging, \
            contextlib.redirect_stdout(io.StringIO()):
        archive.write_out(str(staging))
    return export_dir


def usable_after_estimator(keras_model):
    """Return ``keras_model``, usable again after an Estimator built its graph (Keras 2.15).

    Keras 2 switches its layer classes to their graph-mode (v1) versions when an
    Estimator builds layers in a ``tf.Graph``, and a Keras model made before
    that and first called after it fails with "Your Layer or Model is in an
    invalid state". Cloning the model in eager mode makes a layer of every class
    it uses, which switches them back. Keras 3 keeps its own classes apart from
    the Estimator's Keras 2 (``tf_keras``): nothing to do there.
    """
    if keras.__version__.startswith("2."):
        keras.models.clone_model(keras_model)
    return keras_model


class KerasProgress(keras.callbacks.Callback):
    """Show ``Model.fit`` as the package's one progress line (:func:`.progress.step_bar`).

    Keras's own bar, ``verbose=1``, redraws per epoch and prints to stdout; this one
    looks like the Estimators' line: steps done, the step count of the optimizer
    and the loss Keras reports (the mean since the epoch began).
    """

    def __init__(self, num_steps, desc, file=None):
        super().__init__()
        self._num_steps = num_steps
        self._desc = desc
        self._file = file  # default: stderr
        self._bar = None

    def on_train_begin(self, logs=None):
        self._first_step = int(self.model.optimizer.iterations.numpy())
        self._runs = 0
        self._bar = step_bar(self._num_steps, self._desc, self._file)

    def on_train_batch_end(self, batch, logs=None):
        # Counted, not read from the optimizer: reading a variable every step costs time.
        self._runs += 1
        loss = (logs or {}).get("loss")
        show_step(self._bar, self._runs, self._first_step + self._runs,
                  None if loss is None else float(loss))

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _weight_scopes(model):
    if model == "dnn":
        return [(name, scope) for name, scope, _ in dnn_layers()]
    return [(name, name) for name, _ in cnn_layers()]


def _check_model(model):
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}, expected one of {list(MODELS)}")
