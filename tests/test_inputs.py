"""The three input functions: tensors of the right shape and dtype, bad input refused."""

from tutorial17 import inputs
from tutorial17.errors import InputError

import numpy as np
import pytest
import tensorflow.compat.v1 as tf


def _first_batch(input_fn):
    with tf.Graph().as_default():
        features, labels = input_fn()
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord=coord)
            try:
                return sess.run((features, labels))
            finally:
                coord.request_stop()
                coord.join(threads)


def test_train_input_fn_gives_float_images_and_int64_classes(tiny_data):
    fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    with tf.Graph().as_default():
        features, labels = fn()
        assert list(features) == ["x"]
        assert features["x"].dtype == tf.float32 and labels.dtype == tf.int64
    x, y = _first_batch(fn)
    assert x["x"].shape == (inputs.BATCH_SIZE, 784) and x["x"].dtype == np.float32
    assert y.shape == (inputs.BATCH_SIZE,) and y.dtype == np.int64


def test_test_input_fn_keeps_order(tiny_data):
    x, y = _first_batch(inputs.make_test_input_fn(tiny_data.test.images, tiny_data.test.cls,
                                                  batch_size=9))
    np.testing.assert_array_equal(y, tiny_data.test.cls[:9])
    np.testing.assert_allclose(x["x"], tiny_data.test.images[:9])


def test_predict_input_fn_has_no_labels(tiny_data):
    fn = inputs.make_predict_input_fn(tiny_data.test.images[:9])
    with tf.Graph().as_default():
        features = fn()
        assert isinstance(features, dict) and features["x"].dtype == tf.float32


def test_images_of_shape_n_28_28_are_accepted(tiny_data):
    images = tiny_data.test.images[:9].reshape(9, 28, 28)
    x, _ = _first_batch(inputs.make_test_input_fn(images, tiny_data.test.cls[:9]))
    assert x["x"].shape == (9, 784)


GOOD = np.zeros((4, 784), np.float32)
GOOD_CLS = np.array([0, 1, 2, 3])


@pytest.mark.parametrize("images, cls, message", [
    (np.zeros((4, 100), np.float32), GOOD_CLS, r"shape \(4, 100\), expected \(N, 784\)"),
    (np.zeros((4, 784), np.uint8), GOOD_CLS, "dtype uint8.*divide by 255"),
    (np.full((4, 784), np.nan, np.float32), GOOD_CLS, "NaN or inf"),
    (np.zeros((0, 784), np.float32), GOOD_CLS[:0], "empty"),
    (GOOD, np.array([0, 1, 2, 10]), "expected class numbers 0-9"),
    (GOOD, np.array([0, 1, 2]), "3 labels for 4 images"),
    (GOOD, np.eye(10)[GOOD_CLS], "one-hot"),
    (GOOD, np.array(["a", "b", "c", "d"]), "dtype <U1"),
    ({"y": GOOD}, GOOD_CLS, "got a dict"),
])
def test_bad_input_gets_one_line(images, cls, message):
    with pytest.raises(InputError, match=message) as info:
        inputs.make_train_input_fn(images, cls)
    assert "\n" not in str(info.value)
