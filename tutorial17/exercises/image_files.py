"""Exercise 7: input functions that read image files instead of numpy arrays.

Images are stored as 28x28 greyscale PNG files named ``<index>_<class>.png``
(e.g. ``00000_7.png``): the zero-padded index keeps the files in the order of the
array they came from, and the class after the underscore is the label. The
input function is a ``tf.data`` pipeline: list the files, read and decode each,
scale its pixels to [0, 1], batch.
"""

import re
from pathlib import Path

import numpy as np
import tensorflow.compat.v1 as tf

from ..data import img_shape, img_size_flat, num_channels
from ..errors import InputError
from ..inputs import BATCH_SIZE, repeatable
from ..validation import check_classes, check_images

FILE_PATTERN = "*.png"
LABELLED_NAME = re.compile(r"^(\d+)_(\d)\.png$")
"""A labelled file's name: index, underscore, class digit, ``.png``."""
_LABEL_FROM_PATH = r"^.*_(\d)\.png$"  # the same rule for tf.strings.regex_replace
PIXEL_MAX = 255.0
_PIXEL_VALUES = np.arange(int(PIXEL_MAX) + 1, dtype=np.float32) / PIXEL_MAX
"""Byte -> float32 pixel, computed as ``read_data_sets`` does (numpy, byte / 255)."""


def file_name(index, cls=None, width=5):
    """Return the file name ``00042_7.png`` for index 42 and class 7, ``00042.png`` without."""
    return f"{index:0{width}d}.png" if cls is None else f"{index:0{width}d}_{int(cls)}.png"


def encode_png_images(images):
    """Return the PNG bytes of each of ``images``, (N, 784) or (N, 28, 28) floats in [0, 1]."""
    images = check_images(images)
    pixels = np.round(np.clip(images, 0.0, 1.0) * PIXEL_MAX).astype(np.uint8)
    pixels = pixels.reshape(len(pixels), *img_shape, num_channels)
    with tf.Graph().as_default():
        image = tf.placeholder(tf.uint8, shape=(*img_shape, num_channels))
        encoded = tf.image.encode_png(image)
        with tf.Session() as session:
            return [session.run(encoded, {image: p}) for p in pixels]


def write_png_images(images, out_dir, cls=None, start=0):
    """Write each image as a greyscale PNG file in ``out_dir``; return the paths in order.

    Files are named by :func:`file_name` from ``start`` on, with the class when
    ``cls`` is given. A file that already exists is left alone when it holds the
    same bytes; a different one raises InputError instead of being overwritten.
    """
    images = check_images(images)
    if cls is not None:
        cls = check_classes(cls, len(images), name="cls")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    width = max(5, len(str(start + len(images) - 1)))
    paths = []
    for i, png in enumerate(encode_png_images(images)):
        path = out_dir / file_name(start + i, None if cls is None else cls[i], width)
        if path.exists() and path.read_bytes() != png:
            raise InputError(f"{path}: a different file already exists; write the images to "
                             "an empty directory")
        if not path.exists():
            path.write_bytes(png)
        paths.append(path)
    return paths


def list_image_files(directory, pattern=FILE_PATTERN, labelled=False):
    """Return the image files in ``directory`` in the order the input function reads them (sorted).

    Raises InputError when there is none, or, with ``labelled=True``, when a
    name does not carry its class as ``<index>_<class>.png``.
    """
    directory = Path(directory)
    paths = sorted(directory.glob(pattern))
    if not paths:
        raise InputError(f"{directory}: no files match {pattern!r}; write some first "
                         "(write_png_images) or pass the right directory")
    if labelled:
        bad = [p.name for p in paths if not LABELLED_NAME.match(p.name)]
        if bad:
            raise InputError(f"{directory}: {len(bad)} file name(s) without a class, e.g. "
                             f"{bad[0]!r}; expected <index>_<class>.png such as 00000_7.png")
    return paths


def classes_from_names(paths):
    """Return the class numbers in the names of labelled files, as an int64 array."""
    found = [LABELLED_NAME.match(Path(p).name) for p in paths]
    if not all(found):
        raise InputError("classes_from_names: expected names <index>_<class>.png")
    return np.array([int(m.group(2)) for m in found], dtype=np.int64)


def _load_image(path):
    """Read one PNG file as 784 float32 pixels in [0, 1]."""
    image = tf.image.decode_png(tf.io.read_file(path), channels=num_channels)
    # A table, not a division: inside tf.data, TensorFlow 1.15 multiplies by 1/255
    # instead, which is one float32 step off the arrays' pixels for half the bytes.
    image = tf.gather(_PIXEL_VALUES, tf.cast(image, tf.int32))
    return tf.reshape(image, [img_size_flat])


def _label_from_path(path):
    """Return the class number in a ``<index>_<class>.png`` file name."""
    digit = tf.strings.regex_replace(path, _LABEL_FROM_PATH, r"\1")
    return tf.strings.to_number(digit, out_type=tf.int64)


def make_image_files_input_fn(directory, labels=False, batch_size=BATCH_SIZE,
                              pattern=FILE_PATTERN, num_epochs=1, shuffle=False):
    """Return an input function that reads the PNG files of ``directory`` with ``tf.data``.

    Args:
        directory: folder of 28x28 greyscale PNG files.
        labels: also yield each file's class from its name (for train and evaluate);
            False yields images only (for predict).
        batch_size: images per batch.
        pattern: which files of ``directory`` to read.
        num_epochs: passes over the files (None: forever, for training).
        shuffle: shuffle the files on every pass (training); False keeps sorted order.

    The files are checked when the function is made, so a wrong directory or a
    name without a class fails at once with one line.
    """
    if int(batch_size) <= 0:
        raise InputError(f"batch_size: {batch_size}, expected a positive number")
    paths = list_image_files(directory, pattern, labelled=labels)
    glob = str(Path(directory) / pattern)
    num_files = len(paths)

    def input_fn():
        files = tf.data.Dataset.list_files(glob, shuffle=False)
        if shuffle:
            files = files.shuffle(num_files, reshuffle_each_iteration=True)
        files = files.repeat(num_epochs)
        if labels:
            dataset = files.map(lambda p: ({"x": _load_image(p)}, _label_from_path(p)))
        else:
            dataset = files.map(lambda p: {"x": _load_image(p)})
        return dataset.batch(int(batch_size)).prefetch(1)

    # Seeds Python's random from the graph seed, as the array input functions do,
    # so that a model trained on files starts from the same weights every run.
    return repeatable(input_fn)
