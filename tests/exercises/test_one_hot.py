"""Exercise 6: one-hot labels through the input functions and the one-hot model_fn."""

from tutorial17 import inputs, models, workflow
from tutorial17.errors import InputError
from tutorial17.exercises import one_hot

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

STEPS = 3


def test_one_hot_input_fn_yields_float_rows(tiny_data):
    fn = inputs.make_test_input_fn(tiny_data.test.images, tiny_data.test.labels,
                                   batch_size=9, one_hot=True)
    with tf.Graph().as_default():
        features, labels = fn()
        assert labels.dtype == tf.float32 and features["x"].dtype == tf.float32
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord=coord)
            try:
                y = sess.run(labels)
            finally:
                coord.request_stop()
                coord.join(threads)
    assert y.shape == (9, 10)
    np.testing.assert_array_equal(y.argmax(axis=1), tiny_data.test.cls[:9])


@pytest.mark.parametrize("labels, one_hot_flag, message", [
    (lambda d: d.train.cls, True, "looks like class numbers"),
    (lambda d: d.train.labels, False, "one_hot=True"),
    (lambda d: d.train.labels * 2, True, "expected one 1 and 9 0s"),
    (lambda d: d.train.labels[:10], True, "10 labels for 300 images"),
    (lambda d: d.train.labels[:, :9], True, r"expected one-hot rows \(N, 10\)"),
    (lambda d: d.train.labels, "yes", "expected True or False"),
])
def test_wrong_labels_get_one_line(tiny_data, labels, one_hot_flag, message):
    with pytest.raises(InputError, match=message):
        inputs.make_test_input_fn(tiny_data.train.images, labels(tiny_data),
                                  one_hot=one_hot_flag)


def test_one_hot_model_trains_like_the_class_number_model(tiny_data, tmp_path):
    """Same seed, so the same initial weights and batches; exact one-hot rows give the
    same losses as class numbers, so both models end with (nearly) the same weights."""
    sparse = models.make_cnn_estimator(model_dir=tmp_path / "sparse")
    dense = one_hot.make_one_hot_estimator(model_dir=tmp_path / "dense")
    workflow.train(sparse, inputs.make_train_input_fn(
        tiny_data.train.images, tiny_data.train.cls), STEPS, progress=False)
    workflow.train(dense, inputs.make_train_input_fn(
        tiny_data.train.images, tiny_data.train.labels, one_hot=True), STEPS, progress=False)
    assert sorted(sparse.get_variable_names()) == sorted(dense.get_variable_names())
    for name in ("layer_conv1/kernel", "layer_fc2/kernel"):
        np.testing.assert_allclose(dense.get_variable_value(name),
                                   sparse.get_variable_value(name), atol=1e-5)

    m_sparse = workflow.evaluate(sparse, inputs.make_test_input_fn(tiny_data.test.images,
                                                                    tiny_data.test.cls))
    m_dense = workflow.evaluate(dense, inputs.make_test_input_fn(
        tiny_data.test.images, tiny_data.test.labels, one_hot=True))
    assert m_dense["accuracy"] == pytest.approx(m_sparse["accuracy"], abs=1 / 300)
    assert m_dense["loss"] == pytest.approx(m_sparse["loss"], rel=1e-3)
    first9 = inputs.make_predict_input_fn(tiny_data.test.images[:9])
    assert workflow.predict_classes(dense, first9).tolist() == \
        workflow.predict_classes(sparse, first9).tolist()


def test_label_smoothing_changes_the_loss(tiny_data, tmp_path):
    fn = inputs.make_test_input_fn(tiny_data.test.images, tiny_data.test.labels, one_hot=True)
    train_fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.labels,
                                          one_hot=True)
    plain = one_hot.make_one_hot_estimator(model_dir=tmp_path / "plain")
    smooth = one_hot.make_one_hot_estimator(model_dir=tmp_path / "smooth", label_smoothing=0.5)
    workflow.train(plain, train_fn, 1, progress=False)
    workflow.train(smooth, train_fn, 1, progress=False)
    # Same weights after the first step would need the same gradient: smoothing changes it.
    assert not np.allclose(plain.get_variable_value("layer_fc2/kernel"),
                           smooth.get_variable_value("layer_fc2/kernel"))
    assert np.isfinite(workflow.evaluate(smooth, fn)["loss"])


def test_label_smoothing_out_of_range(tmp_path):
    with pytest.raises(InputError, match=r"label_smoothing: 1.0, expected a value in \[0, 1\)"):
        one_hot.make_one_hot_estimator(model_dir=tmp_path, label_smoothing=1.0)
