"""Checks on arrays before any graph is built, each failing with one clear line."""

import numpy as np

from .data import img_shape, img_size_flat, num_classes
from .errors import InputError


def check_images(images, name="images"):
    """Return ``images`` as a C-contiguous float32 (N, 784) array, or raise InputError.

    Accepts (N, 784) or (N, 28, 28) arrays of floats in [0, 1] (float64 is cast).
    """
    if isinstance(images, dict):
        if "x" not in images:
            raise InputError(f"{name}: got a dict without the key 'x' (keys {sorted(images)}); "
                             "pass the image array itself")
        raise InputError(f"{name}: got a dict; pass the image array itself, {name}['x'] "
                         "(the input function puts it under the key 'x')")
    arr = np.asarray(images)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"{name}: dtype {arr.dtype}, expected float32 pixel values in [0, 1]")
    if not np.issubdtype(arr.dtype, np.floating):
        raise InputError(f"{name}: dtype {arr.dtype}, expected float32 in [0, 1] "
                         "(integer pixels? divide by 255 first)")
    if arr.ndim == 3 and arr.shape[1:] == img_shape:
        arr = arr.reshape(len(arr), img_size_flat)
    if arr.ndim != 2 or arr.shape[1] != img_size_flat:
        raise InputError(f"{name}: shape {arr.shape}, expected (N, {img_size_flat}) or "
                         f"(N, {img_shape[0]}, {img_shape[1]})")
    if len(arr) == 0:
        raise InputError(f"{name}: empty array (0 images), expected at least one")
    if not np.isfinite(arr).all():
        raise InputError(f"{name}: contains NaN or inf, expected finite values in [0, 1]")
    return np.ascontiguousarray(arr, dtype=np.float32)


def check_classes(cls, num_images, name="labels"):
    """Return integer class numbers as an int64 (N,) array, or raise InputError."""
    arr = np.asarray(cls)
    if arr.ndim == 2 and arr.shape[1] == num_classes:
        raise InputError(f"{name}: shape {arr.shape} looks one-hot; pass the class numbers "
                         "(data.train.cls), shape (N,), or ask for one_hot=True")
    if arr.ndim != 1:
        raise InputError(f"{name}: shape {arr.shape}, expected (N,) class numbers")
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"{name}: dtype {arr.dtype}, expected integer class numbers 0-9")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InputError(f"{name}: contains NaN or inf, expected integer class numbers 0-9")
        if not np.all(arr == np.round(arr)):
            raise InputError(f"{name}: non-integer values, expected integer class numbers 0-9")
    if len(arr) != num_images:
        raise InputError(f"{name}: {len(arr)} labels for {num_images} images; "
                         "expected one label per image")
    if len(arr) and (arr.min() < 0 or arr.max() >= num_classes):
        raise InputError(f"{name}: values from {arr.min()} to {arr.max()}, "
                         f"expected class numbers 0-{num_classes - 1}")
    return arr.astype(np.int64)


def check_one_hot(labels, num_images, name="labels"):
    """Return one-hot labels as a float32 (N, 10) array, or raise InputError.

    Each row must hold nine 0s and one 1 (``data.train.labels`` has this form).
    """
    arr = np.asarray(labels)
    if arr.ndim == 1:
        raise InputError(f"{name}: shape {arr.shape} looks like class numbers; with "
                         f"one_hot=True pass one-hot rows (data.train.labels), shape "
                         f"(N, {num_classes})")
    if arr.ndim != 2 or arr.shape[1] != num_classes:
        raise InputError(f"{name}: shape {arr.shape}, expected one-hot rows (N, {num_classes})")
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"{name}: dtype {arr.dtype}, expected float32 one-hot rows of 0s and 1s")
    if len(arr) != num_images:
        raise InputError(f"{name}: {len(arr)} labels for {num_images} images; "
                         "expected one label per image")
    if not np.isfinite(arr).all():
        raise InputError(f"{name}: contains NaN or inf, expected one-hot rows of 0s and 1s")
    if not (np.isin(arr, (0, 1)).all() and (arr.sum(axis=1) == 1).all()):
        bad = int(np.flatnonzero(~(np.isin(arr, (0, 1)).all(axis=1) & (arr.sum(axis=1) == 1)))[0])
        raise InputError(f"{name}: row {bad} is {arr[bad].tolist()}, expected one 1 and "
                         f"{num_classes - 1} 0s per row")
    return np.ascontiguousarray(arr, dtype=np.float32)
