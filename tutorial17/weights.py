"""Reaching the trained model: its variables as numpy arrays, and what its layers output.

Every function takes an estimator, a model directory or a checkpoint path and
reads the latest checkpoint; nothing is trained or written.
"""

import difflib

import numpy as np
import tensorflow.compat.v1 as tf

from .checkpoints import checkpoint_variables, is_optimizer_state, resolve_checkpoint
from .errors import InputError
from .validation import check_images

CLOSE_MATCHES = 3


def list_variables(model, include_optimizer=False):
    """Return ``{name: shape}`` of the checkpoint's variables, sorted by name.

    Optimizer state (``…/Adam``, ``…/t_0/Adagrad``, ``beta1_power``…) is left out
    unless ``include_optimizer=True``. ``global_step`` is listed.
    """
    found = checkpoint_variables(resolve_checkpoint(model))
    return {name: shape for name, shape in sorted(found.items())
            if include_optimizer or not is_optimizer_state(name, found)}


def get_variable(model, name):
    """Return the value of one variable as a numpy array.

    ``name`` is e.g. ``"layer_conv1/kernel"`` or ``"dnn/hiddenlayer_0/kernel"``.
    """
    path = resolve_checkpoint(model)
    found = checkpoint_variables(path)
    if name not in found:
        network = [n for n in found if not is_optimizer_state(n, found)]
        close = difflib.get_close_matches(name, network, n=CLOSE_MATCHES)
        hint = f"did you mean {', '.join(close)}?" if close else "see list_variables()"
        raise InputError(f"no variable {name!r} in {path}; {hint}")
    return np.asarray(tf.train.load_variable(path, name))


def get_variables(model, include_optimizer=False):
    """Return ``{name: numpy array}`` of every variable :func:`list_variables` lists."""
    path = resolve_checkpoint(model)
    return {name: np.asarray(tf.train.load_variable(path, name))
            for name in list_variables(path, include_optimizer)}


def layer_names(graph):
    """Return the names of the layers in ``graph`` that own a kernel, e.g. ``layer_conv1``."""
    names = []
    for var in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES):
        name = getattr(var, "_save_slice_info", None)
        name = name.full_name if name is not None else var.op.name
        if name.endswith("/kernel"):
            names.append(name[:-len("/kernel")])
    return names


def layer_tensor(graph, layer):
    """Return the output tensor of ``layer`` (a name scope such as ``layer_conv1``) in ``graph``.

    That is the last operation directly in the layer's scope with a batch
    dimension: the activation (``Relu``) if there is one, else ``BiasAdd``.
    """
    prefix = layer.rstrip("/") + "/"
    found = None
    for op in graph.get_operations():
        rest = op.name[len(prefix):] if op.name.startswith(prefix) else None
        if rest is None or "/" in rest or not op.outputs:
            continue
        out = op.outputs[0]
        # dimension_value: TF 1.15 gives an unknown dimension as Dimension(None), not None.
        if out.dtype.is_floating and out.shape.rank and out.shape.rank >= 2 \
                and tf.dimension_value(out.shape[0]) is None:
            found = out
    if found is None:
        raise InputError(f"no layer {layer!r} in the model; its layers: "
                         f"{', '.join(layer_names(graph)) or 'none found'}")
    return found


def layer_output(predictor, images, layer="layer_conv1"):
    """Return what ``layer`` outputs for ``images`` with the trained weights, as a numpy array.

    Its shape is (N, 28, 28, 16) for ``layer_conv1``, (N, 14, 14, 36) for ``layer_conv2``.

    ``predictor`` is a :class:`~tutorial17.predictor.Predictor` or an estimator
    (a Predictor is then made for this call: it builds the model's PREDICT graph
    and restores the latest checkpoint).
    """
    from .predictor import Predictor

    images = check_images(images)  # before any graph is built
    if isinstance(predictor, Predictor):
        return predictor.run(layer_tensor(predictor.graph, layer), images)
    with Predictor(predictor) as made:
        return made.run(layer_tensor(made.graph, layer), images)
