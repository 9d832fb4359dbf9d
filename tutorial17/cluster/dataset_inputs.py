"""``tf.data`` input functions over in-memory arrays, fed by a Python generator.

Distribution strategies (``MirroredStrategy``) need an input function that
returns a ``tf.data.Dataset``; ``numpy_input_fn`` feeds through queue runners
instead. ``Dataset.from_tensor_slices(arrays)`` would embed the arrays in the
graph as constants (hundreds of MB in every ``graph.pbtxt``, ``.meta`` and
events file, and 3-4x slower), so the batches come from a generator: the graph
holds only a ``py_func`` call, the arrays stay in Python memory.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from ..data import img_size_flat
from ..errors import InputError
from ..inputs import BATCH_SIZE
from ..validation import check_classes, check_images

# Modules whose input functions feed through queue runners, which a distribution
# strategy cannot split across replicas.
_QUEUE_INPUT_MODULES = ("numpy_io", "pandas_io")


def _shuffled_batches(num_examples, batch_size, seed):
    """Yield index batches of ``batch_size`` without end, reshuffled every epoch.

    Like ``numpy_input_fn(num_epochs=None, shuffle=True)``, every batch is full.
    """
    rng = np.random.RandomState(seed)
    pending = np.empty(0, dtype=np.int64)
    while True:
        while len(pending) < batch_size:
            pending = np.concatenate([pending, rng.permutation(num_examples)])
        yield pending[:batch_size]
        pending = pending[batch_size:]


def _ordered_batches(num_examples, batch_size, num_epochs):
    """Yield index batches in order, ``num_epochs`` times; an epoch's last may be short."""
    for _ in range(num_epochs):
        for start in range(0, num_examples, batch_size):
            yield np.arange(start, min(start + batch_size, num_examples))


def make_dataset_input_fn(images, cls=None, batch_size=BATCH_SIZE, shuffle=True, seed=None,
                          num_epochs=None):
    """Return an input function yielding a ``tf.data.Dataset`` of ``({"x": images}, classes)``.

    Args:
        images: N x 784 float32 images in [0, 1].
        cls: N integer classes, or None for prediction (features only).
        batch_size: examples per batch.
        shuffle: True: endless shuffled batches (training; ``num_epochs`` must be
            None); False: ``num_epochs`` passes in order (evaluation, prediction).
        seed: shuffle seed; give each worker of a cluster its own so they see
            the data in different orders.
        num_epochs: passes over the data when not shuffling (default 1).
    """
    x = check_images(images)
    y = check_classes(cls, len(x)) if cls is not None else None
    if shuffle and num_epochs is not None:
        raise InputError("shuffled dataset input is endless: leave num_epochs=None")
    if not shuffle and num_epochs is None:
        num_epochs = 1

    def batches():
        if shuffle:
            indices = _shuffled_batches(len(x), batch_size, seed)
        else:
            indices = _ordered_batches(len(x), batch_size, num_epochs)
        for idx in indices:
            if y is None:
                yield {"x": x[idx]}
            else:
                yield {"x": x[idx]}, y[idx]

    # output_types/output_shapes rather than TF 2.4's output_signature: TF 1.15 has only these.
    types, shapes = {"x": tf.float32}, {"x": tf.TensorShape([None, img_size_flat])}
    if y is not None:
        types, shapes = (types, tf.int64), (shapes, tf.TensorShape([None]))

    def input_fn():
        dataset = tf.data.Dataset.from_generator(batches, output_types=types,
                                                 output_shapes=shapes)
        return dataset.prefetch(1)

    input_fn.is_dataset_input_fn = True
    return input_fn


def check_dataset_input_fn(input_fn, why="a distribution strategy"):
    """Refuse an input function that feeds through queue runners (``numpy_input_fn``).

    Raises :class:`InputError` saying to use :func:`make_dataset_input_fn` instead.
    """
    module = getattr(input_fn, "__module__", "") or ""
    if any(module.endswith(name) for name in _QUEUE_INPUT_MODULES):
        raise InputError(
            f"{why} needs an input function that returns a tf.data.Dataset; "
            f"numpy_input_fn feeds through queue runners, which it cannot split: "
            f"use tutorial17.cluster.dataset_inputs.make_dataset_input_fn")
    return input_fn
