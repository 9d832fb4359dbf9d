"""The walkthrough's two models, each described once: name, titles, sizes, builders.

Everything that lists the models reads them from here: the walkthrough, the
command line's ``--model`` choices, ``migrate``, the benchmarks and the tests.
A :class:`ModelSpec` holds what a model *is* (its name, how it is titled, how
its loss is reported, where its checkpoints go, its layers with weights and
their sizes) and names the two functions that build it: the TF1 Estimator in
:mod:`tutorial17.models` and the Keras network in :mod:`tutorial17.keras_models`.

This module imports neither TensorFlow nor Keras, so the command line can offer
the model names without loading them; the builders are therefore named as
``"module:function"`` (like a package's entry points) and imported on first use.
"""

import importlib
import weakref
from dataclasses import dataclass

from .data import img_size, img_size_flat, num_channels, num_classes
from .errors import InputError

DNN_HIDDEN_UNITS = (512, 256, 128)
"""The DNNClassifier's ReLU layers, input to output."""
CNN_KERNEL_SIZE = 5
CNN_FILTERS = (16, 36)
"""Filters of the CNN's two conv layers, each followed by a 2x2 max-pooling."""
CNN_POOL_SIZE = 2
CNN_FC_UNITS = 128
DNN_SCOPE = "dnn"
"""The name scope of the canned DNNClassifier's variables in its checkpoint."""


@dataclass(frozen=True)
class WeightLayer:
    """One layer with weights: its Keras name, its checkpoint scope and its kernel's shape.

    Its variables are ``<scope>/kernel`` (``kernel_shape``) and ``<scope>/bias``
    (the kernel's last dimension).
    """

    name: str
    scope: str
    kernel_shape: tuple


@dataclass(frozen=True)
class ModelSpec:
    """One of the walkthrough's models, everything the package says about it in one place."""

    name: str
    """The name users type: ``"dnn"`` or ``"cnn"``."""
    title: str
    """Short title for reports and plots, e.g. ``"DNNClassifier"``."""
    description: str
    """The model as error messages name it, e.g. ``"the walkthrough's DNNClassifier"``."""
    loss_note: str
    """How its Estimator reports the training loss (the two differ)."""
    model_dir_name: str
    """Its model directory's name under a model root, as in the original."""
    layers: tuple
    """Its layers with weights, input to logits (:class:`WeightLayer`)."""
    logits_tensor: str
    """The logits in its Estimator's PREDICT graph: the last dense layer's output."""
    estimator_factory: str
    """``"module:function"`` returning its Estimator: ``factory(model_dir=None, **kwargs)``."""
    keras_builder: str
    """``"module:function"`` returning its untrained Keras network (flat images to logits)."""

    def make_estimator(self, model_dir=None, **kwargs):
        """Return a new Estimator of this model (keyword arguments go to its factory)."""
        return _resolve(self.estimator_factory)(model_dir=model_dir, **kwargs)

    def build_keras(self, **kwargs):
        """Return this model's untrained Keras network (keyword arguments go to its builder)."""
        return _resolve(self.keras_builder)(**kwargs)

    def checkpoint_layout(self):
        """Return ``{variable name: shape}`` of its checkpoint, optimizer state aside."""
        layout = {"global_step": ()}
        for layer in self.layers:
            layout[f"{layer.scope}/kernel"] = layer.kernel_shape
            layout[f"{layer.scope}/bias"] = layer.kernel_shape[-1:]
        return layout


def dnn_weight_layers(hidden_units=DNN_HIDDEN_UNITS):
    """Return the DNN's dense layers, named as the canned DNNClassifier names them."""
    names = [f"hiddenlayer_{i}" for i in range(len(hidden_units))] + ["logits"]
    units = list(hidden_units) + [num_classes]
    fan_in = [img_size_flat] + list(hidden_units)
    return tuple(WeightLayer(name, f"{DNN_SCOPE}/{name}", (n_in, n_out))
                 for name, n_in, n_out in zip(names, fan_in, units))


def cnn_weight_layers():
    """Return the CNN's conv and dense layers, named as ``models.cnn_logits`` names them."""
    size = img_size // CNN_POOL_SIZE ** len(CNN_FILTERS)  # 28 -> 14 -> 7
    in_channels = (num_channels,) + CNN_FILTERS[:-1]
    convs = [(f"layer_conv{i + 1}", (CNN_KERNEL_SIZE, CNN_KERNEL_SIZE, c_in, c_out))
             for i, (c_in, c_out) in enumerate(zip(in_channels, CNN_FILTERS))]
    dense = [("layer_fc1", (size * size * CNN_FILTERS[-1], CNN_FC_UNITS)),
             ("layer_fc2", (CNN_FC_UNITS, num_classes))]
    return tuple(WeightLayer(name, name, shape) for name, shape in convs + dense)


DNN = ModelSpec(
    name="dnn", title="DNNClassifier", description="the walkthrough's DNNClassifier",
    # The canned class's v1 head sums the loss over the batch; the CNN takes the mean.
    loss_note="loss summed over the batch",
    model_dir_name="checkpoints_tutorial17-1",
    layers=dnn_weight_layers(),
    logits_tensor=f"{DNN_SCOPE}/logits/BiasAdd:0",
    estimator_factory="tutorial17.models:make_dnn_classifier",
    keras_builder="tutorial17.keras_models:build_dnn")

CNN = ModelSpec(
    name="cnn", title="custom CNN", description="the walkthrough's CNN",
    loss_note="loss: mean over the batch",
    model_dir_name="checkpoints_tutorial17-2",
    layers=cnn_weight_layers(),
    logits_tensor="layer_fc2/BiasAdd:0",
    estimator_factory="tutorial17.models:make_cnn_estimator",
    keras_builder="tutorial17.keras_models:build_cnn")

MODELS = {spec.name: spec for spec in (DNN, CNN)}
"""Every model by name, in the walkthrough's order (the DNN first, as in the original)."""
MODEL_NAMES = tuple(MODELS)
"""``("dnn", "cnn")``: the choices of the command line's ``--model``."""


def get(model):
    """Return the :class:`ModelSpec` of ``model`` (``"dnn"`` or ``"cnn"``), or raise InputError."""
    try:
        return MODELS[model]
    except (KeyError, TypeError):
        raise InputError(f"unknown model {model!r}, expected one of {list(MODEL_NAMES)}") \
            from None


_MADE = weakref.WeakKeyDictionary()
"""Which model each Estimator made by the package's factories is (forgotten with it)."""


def remember_model(estimator, model):
    """Record that ``estimator`` is the registry's ``model``; its factory calls this."""
    _MADE[estimator] = get(model).name


def model_of(estimator):
    """Return the name of the registry's model ``estimator`` is, or None.

    Known from the factory that made it, never guessed from its class: an
    Estimator of your own, a DNNClassifier with other layers or
    ``make_cnn_estimator(model_fn=yours)`` is None.
    """
    try:
        return _MADE.get(estimator)
    except TypeError:  # not weakly referable, so not made here
        return None


def _resolve(reference):
    """Import ``"module:function"`` and return the function."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)
