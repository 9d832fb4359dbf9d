"""``tf.data`` input for distribution strategies (``tutorial17.cluster.dataset_inputs``)."""

from tutorial17.cluster.dataset_inputs import check_dataset_input_fn, make_dataset_input_fn
from tutorial17.cluster.task import shuffle_seed
from tutorial17.errors import InputError
from tutorial17.inputs import make_train_input_fn

import numpy as np
import pytest
import tensorflow.compat.v1 as tf


def test_each_trainer_shuffles_differently(tiny_data):
    first_batches = []
    for seed in (shuffle_seed("chief", 0), shuffle_seed("worker", 0)):
        with tf.Graph().as_default():
            features, labels = tf.data.make_one_shot_iterator(make_dataset_input_fn(
                tiny_data.train.images, tiny_data.train.cls, seed=seed)()).get_next()
            with tf.Session() as sess:
                x, y = sess.run([features["x"], labels])
        assert x.shape == (128, 784) and y.shape == (128,)
        first_batches.append(y)
    assert not np.array_equal(*first_batches)


def test_dataset_eval_input_is_one_ordered_pass(tiny_data):
    input_fn = make_dataset_input_fn(tiny_data.test.images, tiny_data.test.cls, shuffle=False)
    with tf.Graph().as_default():
        _, labels = tf.data.make_one_shot_iterator(input_fn()).get_next()
        seen = []
        with tf.Session() as sess, pytest.raises(tf.errors.OutOfRangeError):
            while True:
                seen.append(sess.run(labels))
    assert [len(b) for b in seen] == [128, 128, 44]
    np.testing.assert_array_equal(np.concatenate(seen), tiny_data.test.cls)


def test_a_queue_fed_input_fn_is_refused(tiny_data):
    numpy_fn = make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    with pytest.raises(InputError, match="tf.data.Dataset"):
        check_dataset_input_fn(numpy_fn)
