"""Plots of the exercises: mistakes (exercise 5), a confusion matrix, accuracy against steps.

Figures are returned, as in :mod:`tutorial17.plots`.
"""

import matplotlib.pyplot as plt
import numpy as np

from ..data import img_shape
from ..errors import InputError
from ..plots import GRID, NUM_GRID_IMAGES
from .analysis import misclassified


def plot_misclassified(images, cls_true, cls_pred, max_images=NUM_GRID_IMAGES):
    """Plot up to 9 misclassified images (the first ones in order) with both classes.

    Takes the whole test set (images, true and predicted classes); the title
    counts all the mistakes. Returns the Figure.
    """
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
    dicts that :func:`tutorial17.exercises.experiments.accuracy_at_steps` returns. The left
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
