"""Plots of the walkthrough. Figures are returned (never only shown) so they can be
saved to a file on a machine without a display."""

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


# --- Exercises: mistakes, confusion matrix, accuracy against steps. ---

def plot_misclassified(images, cls_true, cls_pred, max_images=NUM_GRID_IMAGES):
    """Plot up to 9 misclassified images (the first ones in order) with both classes.

    Takes the whole test set (images, true and predicted classes); the title
    counts all the mistakes. Returns the Figure.
    """
    from .analysis import misclassified

    wrong = misclassified(cls_true, cls_pred)
    images = np.asarray(images)
    if len(images) != len(np.asarray(cls_true)):
        raise InputError(f"plot_misclassified: {len(images)} images for "
                         f"{len(np.asarray(cls_true))} classes, expected one class per image")
    shown = wrong[:min(max_images, NUM_GRID_IMAGES)]
    fig, axes = plt.subplots(GRID, GRID)
    fig.subplots_adjust(hspace=0.4, wspace=0.3)
    for ax, i in zip(axes.flat, list(shown) + [None] * (NUM_GRID_IMAGES - len(shown))):
        ax.set_xticks([])
        ax.set_yticks([])
        if i is None:
            ax.axis("off")
            continue
        ax.imshow(images[i].reshape(img_shape), cmap="binary")
        ax.set_xlabel(f"True: {cls_true[i]}, Pred: {cls_pred[i]}")
    fig.suptitle(f"{len(wrong)} of {len(np.asarray(cls_true))} test images misclassified")
    return fig


def plot_confusion_matrix(matrix, title="Confusion matrix"):
    """Plot a confusion matrix (rows: true class, columns: predicted) with its counts.

    Returns the Figure.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise InputError(f"plot_confusion_matrix: shape {matrix.shape}, expected a square "
                         "matrix")
    n = len(matrix)
    fig, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax)
    threshold = matrix.max() / 2 if matrix.size else 0
    for t in range(n):
        for p in range(n):
            ax.text(p, t, str(matrix[t, p]), ha="center", va="center", fontsize=7,
                    color="white" if matrix[t, p] > threshold else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(title)
    return fig


def plot_accuracy_curves(results_by_model, title="Test accuracy against training steps"):
    """Plot test accuracy against global step, one line per model.

    ``results_by_model`` maps a model's title to the list of ``{"step", "accuracy"}``
    dicts that :func:`tutorial17.experiments.accuracy_at_steps` returns. The left
    panel shows every step on an axis that is linear up to the first positive step
    and logarithmic beyond (so that step 0 and 10,000 both show); the right panel
    zooms in on the trained steps, where the differences are small. Returns the Figure.
    """
    fig, (ax_all, ax_zoom) = plt.subplots(1, 2, figsize=(11, 4))
    all_steps = sorted({r["step"] for results in results_by_model.values() for r in results})
    positive = [s for s in all_steps if s > 0]
    best = {s: max(100 * r["accuracy"] for results in results_by_model.values()
                   for r in results if r["step"] == s) for s in all_steps}
    for ax, shown in ((ax_all, all_steps), (ax_zoom, positive)):
        for index, (name, results) in enumerate(results_by_model.items()):
            points = [(r["step"], 100 * r["accuracy"]) for r in results if r["step"] in shown]
            if not points:
                continue
            steps, accuracy = zip(*points)
            ax.plot(steps, accuracy, marker="o", color=f"C{index}", label=name)
            for step, value in points:
                # The best model's value goes above its point, the others' below.
                above = value >= best[step]
                ax.annotate(f"{value:.2f}", (step, value), textcoords="offset points",
                            xytext=(0, 7) if above else (0, -13), ha="center", fontsize=8)
        if positive:
            ax.set_xscale("symlog" if ax is ax_all else "log",
                          **({"linthresh": positive[0]} if ax is ax_all else {}))
        ax.set_xticks(shown)
        ax.set_xticklabels([f"{s:,}" for s in shown])
        ax.minorticks_off()
        ax.set_xlabel("Training steps (global step)")
        ax.grid(True, alpha=0.3)
    ax_all.set_ylim(0, 105)
    ax_all.set_ylabel("Test accuracy (%)")
    ax_all.legend(loc="lower right")
    ax_all.set_title("All measured steps")
    ax_zoom.set_title("Trained steps, zoomed in")
    ax_zoom.margins(x=0.1, y=0.25)
    if not positive:
        ax_zoom.set_visible(False)
    fig.suptitle(title)
    return fig


# --- Reaching the model: conv weights and layer outputs. ---

def _grid(count):
    """Rows and columns of the smallest square grid holding ``count`` panels."""
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
