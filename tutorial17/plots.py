"""Plots of the walkthrough: test images, training curves, conv weights, layer outputs.

Figures are returned (never only shown) so they can be saved to a file on a
machine without a display. The exercises' plots are in
:mod:`tutorial17.exercises.plots`.
"""

from pathlib import Path

import matplotlib.pyplot as plt  # picks a non-GUI backend by itself when there is no display
import numpy as np

from .data import img_shape, img_size_flat
from .errors import InputError

GRID = 3
NUM_GRID_IMAGES = GRID * GRID


def plot_images(images, cls_true, cls_pred=None):
    """Plot exactly 9 images in a 3x3 grid with their true (and predicted) classes.

    Returns the matplotlib Figure; in Jupyter it is also displayed.
    """
    images = np.asarray(images)
    if len(images) != NUM_GRID_IMAGES or len(cls_true) != NUM_GRID_IMAGES:
        raise InputError(f"plot_images: got {len(images)} images and {len(cls_true)} classes, "
                         f"expected exactly {NUM_GRID_IMAGES} of each")
    if cls_pred is not None and len(cls_pred) != NUM_GRID_IMAGES:
        raise InputError(f"plot_images: got {len(cls_pred)} predicted classes, "
                         f"expected {NUM_GRID_IMAGES}")
    fig, axes = plt.subplots(GRID, GRID)
    fig.subplots_adjust(hspace=0.3, wspace=0.3)
    for i, ax in enumerate(axes.flat):
        ax.imshow(images[i].reshape(img_shape), cmap="binary")
        if cls_pred is None:
            xlabel = f"True: {cls_true[i]}"
        else:
            xlabel = f"True: {cls_true[i]}, Pred: {cls_pred[i]}"
        ax.set_xlabel(xlabel)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


# --- Watching training: the curves in the model directories' event files. ---

def _labelled_dirs(model_dirs):
    """Return ``{label: directory}`` from one directory, several, or a dict of them."""
    if isinstance(model_dirs, dict):
        return {str(label): Path(path) for label, path in model_dirs.items()}
    if isinstance(model_dirs, (str, Path)):
        model_dirs = [model_dirs]
    return {Path(path).name: Path(path) for path in model_dirs}


def plot_training_curves(model_dirs):
    """Plot the training loss, and the evaluation accuracy, against the global step.

    ``model_dirs`` is one model directory, a list of them (labelled by their
    names) or a dict ``{label: model_dir}``. The curves are read from the
    directories' own event files (:mod:`tutorial17.events`), the ones
    TensorBoard shows: the training loss as each model reports it, on a log
    scale since models may sum it over the batch or average it, and, when any
    model was evaluated, a second panel with the accuracy of each evaluation.
    A directory without events raises ``NoEventsError``. Returns the Figure.
    """
    from .events import training_curves

    curves = {label: training_curves(path) for label, path in _labelled_dirs(model_dirs).items()}
    if not curves:
        raise InputError("plot_training_curves: no model directory given")
    evaluated = any(c.accuracy is not None for c in curves.values())
    fig, axes = plt.subplots(1, 2 if evaluated else 1, squeeze=False,
                             figsize=(11 if evaluated else 6.4, 4))
    loss_ax = axes[0, 0]
    for label, c in curves.items():
        steps, values = c.loss
        loss_ax.plot(steps, values, marker="." if len(steps) < 30 else None, label=label)
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("global step")
    loss_ax.set_ylabel("training loss (log scale)")
    loss_ax.set_title("Training loss")
    loss_ax.legend(fontsize="small")
    if evaluated:
        accuracy_ax = axes[0, 1]
        for label, c in curves.items():
            if c.accuracy is not None:
                steps, values = c.accuracy
                accuracy_ax.plot(steps, 100 * values, marker="o", label=label)
        accuracy_ax.set_xlabel("global step")
        accuracy_ax.set_ylabel("accuracy (%)")
        accuracy_ax.set_title("Evaluation accuracy")
        accuracy_ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


# --- Reaching the model: conv weights and layer outputs. ---

def _grid(count):
    """Return the rows and columns of the smallest square grid holding ``count`` panels."""
    side = int(np.ceil(np.sqrt(count)))
    return side, side


def plot_conv_weights(weights, input_channel=0, layer="layer_conv1"):
    """Plot a conv layer's filters for one input channel in a square grid.

    ``weights`` is the kernel array, shape (height, width, in_channels,
    filters), or an estimator / model directory / checkpoint, whose
    ``<layer>/kernel`` is then read. Red is positive, blue negative, white 0,
    on one colour scale for all filters. Returns the Figure.
    """
    if not isinstance(weights, np.ndarray):
        from .weights import get_variable

        weights = get_variable(weights, f"{layer}/kernel")
    if weights.ndim != 4:
        raise InputError(f"plot_conv_weights: shape {weights.shape}, expected a conv kernel "
                         "(height, width, in_channels, filters)")
    if not 0 <= input_channel < weights.shape[2]:
        raise InputError(f"plot_conv_weights: input_channel {input_channel}, expected "
                         f"0-{weights.shape[2] - 1}")
    num_filters = weights.shape[3]
    limit = float(np.abs(weights).max()) or 1.0
    rows, cols = _grid(num_filters)
    fig, axes = plt.subplots(rows, cols, squeeze=False)
    fig.subplots_adjust(hspace=0.3, wspace=0.3)
    for i, ax in enumerate(axes.flat):
        if i < num_filters:
            ax.imshow(weights[:, :, input_channel, i], vmin=-limit, vmax=limit,
                      interpolation="nearest", cmap="seismic")
        else:
            ax.set_visible(False)  # the square grid's spare panels
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{layer}: {num_filters} filters, input channel {input_channel}")
    return fig


def plot_layer_output(model, image, layer="layer_conv1"):
    """Plot what a conv layer outputs for one image: one panel per channel.

    ``model`` is a :class:`~tutorial17.predictor.Predictor` or an estimator
    (its latest checkpoint is used); ``image`` is one image, shape (784,) or
    (28, 28). Returns the Figure.
    """
    from .weights import layer_output

    image = np.asarray(image)
    if image.shape not in ((img_size_flat,), img_shape):
        raise InputError(f"plot_layer_output: image of shape {image.shape}, expected one image "
                         f"of shape ({img_size_flat},) or {img_shape}")
    values = layer_output(model, image[np.newaxis], layer)[0]
    if values.ndim != 3:
        raise InputError(f"plot_layer_output: {layer} outputs shape {values.shape}, "
                         "expected a conv layer (height, width, channels)")
    num_channels = values.shape[-1]
    rows, cols = _grid(num_channels)
    fig, axes = plt.subplots(rows, cols, squeeze=False)
    fig.subplots_adjust(hspace=0.3, wspace=0.3)
    for i, ax in enumerate(axes.flat):
        if i < num_channels:
            ax.imshow(values[:, :, i], interpolation="nearest", cmap="binary")
        else:
            ax.set_visible(False)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{layer}: {num_channels} channels of {values.shape[0]}x{values.shape[1]}")
    return fig
