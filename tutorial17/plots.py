"""Plots of the walkthrough. Figures are returned (never only shown) so they can be
saved to a file on a machine without a display."""

import matplotlib.pyplot as plt  # picks a non-GUI backend by itself when there is no display
import numpy as np

from .data import img_shape
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
    dicts that :func:`tutorial17.experiments.accuracy_at_steps` returns. The x
    axis is symmetric-log so that step 0 and 10,000 both show. Returns the Figure.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, results in results_by_model.items():
        steps = [r["step"] for r in results]
        accuracy = [100 * r["accuracy"] for r in results]
        ax.plot(steps, accuracy, marker="o", label=name)
        for s, a in zip(steps, accuracy):
            ax.annotate(f"{a:.2f}", (s, a), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=8)
    ax.set_xscale("symlog", linthresh=1000)
    ax.set_xlabel("Training steps (global step)")
    ax.set_ylabel("Test accuracy (%)")
    ax.set_ylim(0, 105)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(title)
    return fig
