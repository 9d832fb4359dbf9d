"""The staged input functions: same tensors as numpy_input_fn, every example once per
epoch, repeatable training, and the arrays kept out of the saved graph."""

from tutorial17 import inputs, models, workflow
from tutorial17.errors import InputError

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

MAX_GRAPH_BYTES = 1_000_000  # the graph without data is ~100 kB; the 300 images alone ~1 MB


def _batches(input_fn, count, seed=None):
    """The first ``count`` batches of ``input_fn`` as numpy arrays."""
    with tf.Graph().as_default():
        if seed is not None:
            tf.set_random_seed(seed)
        features, labels = input_fn()
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            return [sess.run((features["x"], labels)) for _ in range(count)]


def test_fast_train_input_fn_gives_float_images_and_int64_classes(tiny_data):
    fn = inputs.make_fast_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    with tf.Graph().as_default():
        features, labels = fn()
        assert list(features) == ["x"]
        assert features["x"].dtype == tf.float32 and labels.dtype == tf.int64
    (x, y), = _batches(fn, 1)
    assert x.shape == (inputs.BATCH_SIZE, 784) and y.shape == (inputs.BATCH_SIZE,)


def test_one_epoch_visits_every_example_once_with_images_and_labels_together(tiny_data):
    images, cls = tiny_data.train.images, tiny_data.train.cls  # 300 examples
    fn = inputs.make_fast_train_input_fn(images, cls, batch_size=100, num_epochs=1)
    batches = _batches(fn, 3, seed=1)
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    # Recover each row's index from its pixels: a permutation of all 300, labels matching.
    index = {row.tobytes(): i for i, row in enumerate(images)}
    order = np.array([index[row.tobytes()] for row in x])
    assert sorted(order) == list(range(len(images)))
    assert not np.array_equal(order, np.arange(len(images)))  # shuffled
    np.testing.assert_array_equal(y, cls[order])


def test_shuffle_repeats_with_the_graph_seed_and_changes_without(tiny_data):
    fn = inputs.make_fast_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    first = _batches(fn, 2, seed=17)
    again = _batches(fn, 2, seed=17)
    other = _batches(fn, 2, seed=18)
    np.testing.assert_array_equal(first[1][1], again[1][1])
    assert not np.array_equal(first[1][1], other[1][1])


def test_fast_test_input_fn_keeps_order_and_stops(tiny_data):
    images, cls = tiny_data.test.images[:20], tiny_data.test.cls[:20]
    fn = inputs.make_fast_test_input_fn(images, cls, batch_size=8)
    with tf.Graph().as_default():
        features, labels = fn()
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            got = [sess.run(labels) for _ in range(3)]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(labels)
    assert [len(g) for g in got] == [8, 8, 4]
    np.testing.assert_array_equal(np.concatenate(got), cls)


@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_training_repeats_and_the_data_stay_out_of_the_model_dir(model, tiny_data, tmp_path):
    """DEFAULT_SEED makes two runs equal; graph.pbtxt and .meta hold no image data."""
    kernels = []
    for run in ("first", "second"):
        estimator = models.make_estimator(model, model_dir=tmp_path / run)
        fn = inputs.make_fast_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
        assert workflow.train(estimator, fn, steps=5, progress=False) == 5
        name = "layer_fc1/kernel" if model == "cnn" else "dnn/hiddenlayer_0/kernel"
        kernels.append(estimator.get_variable_value(name))
    np.testing.assert_array_equal(kernels[0], kernels[1])
    graph_files = list((tmp_path / "first").glob("graph.pbtxt")) + list(
        (tmp_path / "first").glob("*.meta"))
    assert len(graph_files) >= 2
    assert all(f.stat().st_size < MAX_GRAPH_BYTES for f in graph_files), \
        [(f.name, f.stat().st_size) for f in graph_files]
    # The staged arrays are local variables: never in a checkpoint.
    names = [n for n, _ in tf.train.list_variables(str(tmp_path / "first"))]
    assert not any(inputs.STAGED_IMAGES in n or inputs.STAGED_CLASSES in n for n in names)


def test_fast_input_refuses_bad_input_in_one_line():
    with pytest.raises(InputError, match="3 labels for 4 images") as info:
        inputs.make_fast_train_input_fn(np.zeros((4, 784), np.float32), np.array([0, 1, 2]))
    assert "\n" not in str(info.value)
