"""A checkpoint that no longer fits the network (exercise 3): a short error, nothing deleted."""

from tutorial17 import Predictor, inputs, models, workflow
from tutorial17._runtime.locking import LOCK_FILE_NAME
from tutorial17.checkpoints import compare, is_optimizer_state
from tutorial17.errors import CheckpointMismatchError

import pytest
import tensorflow.compat.v1 as tf

STEPS = 2


def changed_cnn_model_fn(features, labels, mode, params):
    """The walkthrough's CNN with 32 filters in layer_conv1 and a third conv layer:
    a learner's edit of the network inside the Estimator."""
    net = tf.reshape(features["x"], [-1, 28, 28, 1])
    net = tf.layers.conv2d(inputs=net, name="layer_conv1", padding="same",
                           filters=32, kernel_size=5, activation=tf.nn.relu)
    net = tf.layers.max_pooling2d(inputs=net, pool_size=2, strides=2)
    net = tf.layers.conv2d(inputs=net, name="layer_conv2", padding="same",
                           filters=36, kernel_size=5, activation=tf.nn.relu)
    net = tf.layers.max_pooling2d(inputs=net, pool_size=2, strides=2)
    net = tf.layers.conv2d(inputs=net, name="layer_conv3", padding="same",
                           filters=36, kernel_size=3, activation=tf.nn.relu)
    net = tf.layers.flatten(net)
    net = tf.layers.dense(inputs=net, name="layer_fc1", units=128, activation=tf.nn.relu)
    logits = tf.layers.dense(inputs=net, name="layer_fc2", units=10)
    y_pred_cls = tf.argmax(logits, axis=1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode=mode, predictions=y_pred_cls)
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.train.AdamOptimizer(params["learning_rate"]).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode=mode, loss=loss, train_op=train_op,
                                      eval_metric_ops={"accuracy": tf.metrics.accuracy(
                                          labels, y_pred_cls)})


def sgd_cnn_model_fn(features, labels, mode, params):
    """The walkthrough's CNN trained with plain gradient descent instead of Adam:
    the same network, so its checkpoint still fits."""
    spec = models.cnn_model_fn(features, labels, tf.estimator.ModeKeys.PREDICT, params)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return spec
    logits = tf.get_default_graph().get_tensor_by_name("layer_fc2/BiasAdd:0")
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.train.GradientDescentOptimizer(0.01).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode=mode, loss=loss, train_op=train_op)


def snapshot(directory):
    """Every file under ``directory`` with its size and modification time.

    The trainer's lock file is left out: ``train`` takes it (writing its process
    id) before the model is built and the mismatch is found; it holds no model data.
    """
    return sorted((str(p.relative_to(directory)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in directory.rglob("*") if p.is_file() and p.name != LOCK_FILE_NAME)


@pytest.fixture(scope="module")
def cnn_dir(tiny_data, tmp_path_factory):
    """A model directory holding a checkpoint of the walkthrough's CNN."""
    model_dir = tmp_path_factory.mktemp("cnn")
    estimator = models.make_cnn_estimator(model_dir=model_dir)
    workflow.train(estimator, inputs.make_train_input_fn(tiny_data.train.images,
                                                         tiny_data.train.cls),
                   steps=STEPS, progress=False)
    return model_dir


def calls(estimator, data):
    """train, evaluate and predict, each as a function of no arguments."""
    train_fn = inputs.make_train_input_fn(data.train.images, data.train.cls)
    test_fn = inputs.make_test_input_fn(data.test.images, data.test.cls)
    predict_fn = inputs.make_predict_input_fn(data.test.images[:9])
    return {
        "train": lambda: workflow.train(estimator, train_fn, steps=1, progress=False),
        "evaluate": lambda: workflow.evaluate(estimator, test_fn),
        "predict": lambda: workflow.predict_classes(estimator, predict_fn),
        "Predictor": lambda: Predictor(estimator),
    }


@pytest.mark.parametrize("call", ["train", "evaluate", "predict", "Predictor"])
def test_changed_cnn_is_refused_with_the_differing_variables(call, cnn_dir, tiny_data):
    before = snapshot(cnn_dir)
    estimator = models.make_cnn_estimator(model_dir=cnn_dir, model_fn=changed_cnn_model_fn)
    with pytest.raises(CheckpointMismatchError) as info:
        calls(estimator, tiny_data)[call]()
    message = str(info.value)
    assert "\n" not in message
    assert "layer_conv1/kernel (5, 5, 1, 16) -> (5, 5, 1, 32)" in message
    assert "layer_conv2/kernel (5, 5, 16, 36) -> (5, 5, 32, 36)" in message
    assert "missing from the checkpoint: layer_conv3/bias, layer_conv3/kernel" in message
    assert "fresh model directory" in message and "nothing was deleted" in message
    assert "Adam" not in message  # the slots of a changed layer would only crowd it
    error = info.value
    assert error.changed["layer_conv1/bias"] == ((16,), (32,))
    assert "layer_conv3/kernel" in error.missing and error.unexpected == []
    assert snapshot(cnn_dir) == before  # nothing deleted, nothing written


def test_the_unchanged_cnn_still_trains_evaluates_and_predicts(cnn_dir, tiny_data):
    estimator = models.make_cnn_estimator(model_dir=cnn_dir)
    run = calls(estimator, tiny_data)
    assert run["evaluate"]()["global_step"] == STEPS
    assert run["predict"]().shape == (9,)
    run["Predictor"]().close()


def test_a_removed_layer_is_named_as_unexpected(tiny_data, tmp_path):
    estimator = models.make_dnn_classifier(model_dir=tmp_path)
    workflow.train(estimator, inputs.make_train_input_fn(tiny_data.train.images,
                                                         tiny_data.train.cls),
                   steps=1, progress=False)
    smaller = models.make_dnn_classifier(model_dir=tmp_path, hidden_units=(512, 256))
    with pytest.raises(CheckpointMismatchError) as info:
        workflow.evaluate(smaller, inputs.make_test_input_fn(tiny_data.test.images,
                                                             tiny_data.test.cls))
    message = str(info.value)
    assert "in the checkpoint but not in the model: dnn/hiddenlayer_2/bias, " \
           "dnn/hiddenlayer_2/kernel" in message
    assert "dnn/logits/kernel (128, 10) -> (256, 10)" in message


def test_another_optimizer_on_the_same_network_is_not_a_mismatch(tiny_data, tmp_path):
    """Adam's slots left in the checkpoint do not stop gradient descent from going on."""
    train_fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    workflow.train(models.make_cnn_estimator(model_dir=tmp_path), train_fn, steps=1,
                   progress=False)
    sgd = models.make_cnn_estimator(model_dir=tmp_path, model_fn=sgd_cnn_model_fn)
    assert workflow.train(sgd, train_fn, steps=1, progress=False) == 2


def test_optimizer_state_is_recognised():
    names = {"layer_fc1/kernel", "layer_fc1/kernel/Adam", "layer_fc1/kernel/Adam_1",
             "beta1_power", "beta2_power", "dnn/logits/kernel",
             "dnn/logits/kernel/t_0/Adagrad", "global_step"}
    optimizer = {n for n in names if is_optimizer_state(n, names)}
    assert optimizer == {"layer_fc1/kernel/Adam", "layer_fc1/kernel/Adam_1", "beta1_power",
                         "beta2_power", "dnn/logits/kernel/t_0/Adagrad"}


def test_mirrored_strategy_slots_are_optimizer_state():
    # MirroredStrategy names the canned DNN's Adagrad slots with the scope twice.
    names = {"dnn/logits/kernel", "dnn/dnn/logits/kernel/Adagrad", "dnn/extra/kernel",
             "global_step"}
    optimizer = {n for n in names if is_optimizer_state(n, names)}
    assert optimizer == {"dnn/dnn/logits/kernel/Adagrad"}


def test_compare_sorts_out_the_three_kinds():
    model = {"a/kernel": (3, 4), "b/kernel": (4, 2), "c/kernel": (2, 2)}
    ckpt = {"a/kernel": (3, 4), "a/kernel/Adam": (3, 4), "b/kernel": (4, 5),
            "d/kernel": (5, 1)}
    missing, unexpected, changed = compare(model, ckpt)
    assert missing == ["c/kernel"]
    assert unexpected == ["d/kernel"]  # a/kernel/Adam is optimizer state
    assert changed == {"b/kernel": ((4, 5), (4, 2))}
    assert compare(model, dict(model)) == ([], [], {})
