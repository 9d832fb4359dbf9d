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
