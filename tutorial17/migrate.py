"""From the Estimator to Keras: the walkthrough's two networks in Keras, filled from a checkpoint.

:func:`to_keras` reads the latest checkpoint of a model directory (of either
model, trained by the package or by the walkthrough notebook's own cells),
checks that it holds the network asked for, and returns a Keras model with its
weights that outputs the 10 logits (the networks themselves are built by
:mod:`tutorial17.keras_models`, re-exported here as :func:`build`, :func:`build_dnn`
and :func:`build_cnn`). :func:`export_saved_model` writes such a model as a
SavedModel that plain TensorFlow 2 loads and serves.

TensorFlow 2 only, with ``import keras``: Keras 2.15 on the reference stack,
Keras 3 on TensorFlow 2.21. The Estimator's optimizer state (Adagrad and Adam
slots) and its global step are not converted: the Keras model is for
predicting, or for training on with a fresh optimizer.
"""

import contextlib
import io

import tensorflow as tf

from ._runtime.staging import staged_directory
from .checkpoints import checkpoint_variables, compare, mismatch_error, resolve_checkpoint
from .data import img_size_flat
from .errors import UnsupportedStackError
from .keras_models import INPUT_NAME, build, build_cnn, build_dnn  # noqa: F401  (re-exported)
from .predictor import Predictor
from .progress import show_step, step_bar
from .registry import (
    CNN,
    DNN_HIDDEN_UNITS,
    DNN_SCOPE,  # noqa: F401  (re-exported)
    MODEL_NAMES,
    dnn_weight_layers,
)
from .registry import MODELS as REGISTRY
from .registry import get as get_spec

if int(tf.__version__.split(".")[0]) < 2:
    raise UnsupportedStackError(
        f"tutorial17.migrate needs TensorFlow 2 (Keras 2.15 or 3); this is TensorFlow "
        f"{tf.__version__}: use the reference stack (Python 3.9-3.11) or 3.12-3.13")

import keras  # noqa: E402  (Keras 2.15 with TensorFlow 2.15, Keras 3 with 2.21)

# The registry's names, under the names this module has always offered.
MODELS = MODEL_NAMES
SIGNATURE_KEY = "serving_default"
OUTPUT_KEYS = ("logits", "probabilities", "classes")
LOGITS_TENSORS = {name: spec.logits_tensor for name, spec in REGISTRY.items()}
"""The logits in each Estimator's PREDICT graph: the last dense layer's output."""
MODEL_TITLES = {name: spec.description for name, spec in REGISTRY.items()}
CONVERT_ADVICE = ("to_keras converts the walkthrough's two networks only: for another network, "
                  "build it in Keras and copy its variables from tf.train.load_checkpoint(...)")


def dnn_layers(hidden_units=DNN_HIDDEN_UNITS):
    """Return the DNN's dense layers as ``(Keras layer name, checkpoint scope, units)``."""
    return [(layer.name, layer.scope, layer.kernel_shape[-1])
            for layer in dnn_weight_layers(hidden_units)]


def cnn_layers():
    """Return the CNN's layers with weights as ``(name, kernel shape)``, as in ``cnn_logits``."""
    return [(layer.name, layer.kernel_shape) for layer in CNN.layers]


def checkpoint_layout(model):
    """Return ``{variable name: shape}`` that a checkpoint of ``model`` holds, optimizer aside.

    These are the weights :func:`to_keras` copies, and the global step.
    """
    return get_spec(model).checkpoint_layout()


def to_keras(model_dir, model):
    """Return a Keras model holding the weights of the latest checkpoint in ``model_dir``.

    ``model`` is ``"dnn"`` (the canned DNNClassifier) or ``"cnn"`` (the custom
    model_fn); ``model_dir`` may also be an Estimator or a checkpoint prefix.
    The model takes flat images (N, 784) and returns the 10 logits; it is not
    compiled. A checkpoint of another network raises
    :class:`~tutorial17.errors.CheckpointMismatchError` naming what differs,
    before anything is built.
    """
    spec = get_spec(model)
    checkpoint = resolve_checkpoint(model_dir)
    missing, unexpected, changed = compare(spec.checkpoint_layout(),
                                           checkpoint_variables(checkpoint))
    if missing or unexpected or changed:
        raise mismatch_error(checkpoint, missing, unexpected, changed,
                             model=spec.description, advice=CONVERT_ADVICE)
    reader = tf.train.load_checkpoint(checkpoint)
    keras_model = build(model)
    for layer in spec.layers:
        keras_model.get_layer(layer.name).set_weights(
            [reader.get_tensor(f"{layer.scope}/kernel"), reader.get_tensor(f"{layer.scope}/bias")])
    return keras_model


def estimator_logits(model, estimator, images):
    """Return the logits, (N, 10) float32, of ``model``'s Estimator for flat ``images``.

    The walkthrough's CNN predicts class numbers only, so its logits come from
    the PREDICT graph through :meth:`Predictor.run`; the same is done for the DNN.
    """
    logits = get_spec(model).logits_tensor
    with Predictor.from_estimator(estimator) as predictor:
        return predictor.run(logits, images)


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

