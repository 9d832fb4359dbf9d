"""tutorial17.migrate: an Estimator checkpoint becomes a Keras model that answers the same.

Each model is trained a few steps with the Estimator on the tiny slice; the
Estimator's logits are read before any Keras model exists (see
``migrate.usable_after_estimator`` for why the order matters on Keras 2.15).
"""

import importlib
import json
import os
import subprocess
import sys

from tutorial17 import inputs, models, workflow
from tutorial17._runtime.report import IS_TF1
from tutorial17.errors import (
    CheckpointMismatchError,
    InputError,
    NoCheckpointError,
    UnsupportedStackError,
)

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

migrate = None if IS_TF1 else importlib.import_module("tutorial17.migrate")
needs_keras = pytest.mark.skipif(
    IS_TF1, reason="the migration is to Keras 2.15 or 3, which need TensorFlow 2 "
                   "(test_migrate_refuses_tensorflow_1 runs here)")

STEPS = 10
LOGIT_TOLERANCE = 1e-4


def estimator_logits(model, estimator, images):
    """The Estimator's logits for ``images``, (N, 10) float32: the canned DNN predicts
    them as 'logits'; the walkthrough's CNN predicts class numbers only, so they come
    from its PREDICT graph through the Predictor (tested against the DNN's below)."""
    if model == "dnn":
        predictions = estimator.predict(inputs.make_predict_input_fn(images))
        return np.array([p["logits"] for p in predictions])
    return migrate.estimator_logits(model, estimator, images)


@pytest.fixture(scope="module", params=["dnn", "cnn"])
def trained(request, tiny_data, tmp_path_factory):
    """(model, estimator, its logits and classes on the test images) after STEPS steps."""
    model = request.param
    estimator = models.make_estimator(model, model_dir=tmp_path_factory.mktemp(model))
    train_fn = inputs.make_fast_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    workflow.train(estimator, train_fn, steps=STEPS, progress=False)
    images = tiny_data.test.images
    logits = estimator_logits(model, estimator, images)
    classes = workflow.predict_classes(estimator, inputs.make_predict_input_fn(images))
    return model, estimator, logits, classes


@pytest.fixture(scope="module")
def converted(trained):
    model, estimator, _, _ = trained
    return migrate.to_keras(estimator.model_dir, model)


@needs_keras
def test_converted_model_predicts_the_estimators_classes(trained, converted, tiny_data):
    _, _, _, classes = trained
    logits = converted.predict(tiny_data.test.images, verbose=0)
    assert logits.shape == (len(tiny_data.test.images), 10) and logits.dtype == np.float32
    np.testing.assert_array_equal(logits.argmax(axis=1), classes)


@needs_keras
def test_converted_logits_equal_the_estimators(trained, converted, tiny_data):
    _, _, expected, _ = trained
    got = converted.predict(tiny_data.test.images, verbose=0)
    assert np.abs(got - expected).max() <= LOGIT_TOLERANCE


@needs_keras
def test_estimator_logits_through_the_predictor_are_the_predicted_ones(trained, tiny_data):
    model, estimator, expected, _ = trained
    got = migrate.estimator_logits(model, estimator, tiny_data.test.images)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@needs_keras
def test_checkpoint_layout_is_the_estimators_and_the_keras_models(trained, converted):
    from tutorial17.checkpoints import checkpoint_variables, is_optimizer_state, resolve_checkpoint

    model, estimator, _, _ = trained
    stored = checkpoint_variables(resolve_checkpoint(estimator))
    network = {n: s for n, s in stored.items() if not is_optimizer_state(n, stored)}
    assert migrate.checkpoint_layout(model) == network
    keras_shapes = sorted(tuple(w.shape) for w in converted.weights)
    layout_shapes = sorted(s for n, s in network.items() if n != "global_step")
    assert keras_shapes == layout_shapes


@pytest.mark.slow  # serves in a second process
@needs_keras
def test_exported_model_serves_the_same_without_the_package(trained, converted, tiny_data,
                                                            tmp_path):
    _, _, expected_logits, expected_classes = trained
    export_dir = tmp_path / "export"
    assert migrate.export_saved_model(converted, export_dir) == export_dir
    images = tiny_data.test.images[:50]
    np.save(tmp_path / "images.npy", images)
    # Plain TensorFlow 2 in a fresh interpreter: no tutorial17, no Keras model code.
    script = (
        "import json, sys, numpy as np, tensorflow as tf\n"
        f"loaded = tf.saved_model.load({str(export_dir)!r})\n"
        "serve = loaded.signatures['serving_default']\n"
        "spec = serve.structured_input_signature[1]['x']\n"
        f"out = serve(x=tf.constant(np.load({str(tmp_path / 'images.npy')!r})))\n"
        "print(json.dumps({'input': [spec.shape.as_list(), spec.dtype.name],\n"
        "  'dtypes': {k: v.dtype.name for k, v in out.items()},\n"
        "  'values': {k: v.numpy().tolist() for k, v in out.items()},\n"
        "  'tutorial17': 'tutorial17' in sys.modules}))\n")
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    served = json.loads(done.stdout.strip().splitlines()[-1])
    assert served["tutorial17"] is False
    assert served["input"] == [[None, 784], "float32"]
    assert served["dtypes"] == {"logits": "float32", "probabilities": "float32",
                                "classes": "int64"}
    values = {k: np.array(v) for k, v in served["values"].items()}
    np.testing.assert_array_equal(values["classes"], expected_classes[:50])
    assert np.abs(values["logits"] - expected_logits[:50]).max() <= LOGIT_TOLERANCE
    np.testing.assert_allclose(values["probabilities"].sum(axis=1), 1.0, rtol=1e-5)


@needs_keras
def test_export_refuses_a_non_empty_directory(converted, tmp_path):
    export_dir = tmp_path / "taken"
    export_dir.mkdir()
    (export_dir / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="already exists"):
        migrate.export_saved_model(converted, export_dir)
    assert [p.name for p in export_dir.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no staging left behind


@needs_keras
def test_another_models_checkpoint_is_refused(trained):
    model, estimator, _, _ = trained
    other = "cnn" if model == "dnn" else "dnn"
    with pytest.raises(CheckpointMismatchError) as caught:
        migrate.to_keras(estimator.model_dir, other)
    message = str(caught.value)
    assert "\n" not in message and "does not fit the walkthrough's" in message
    assert "missing from the checkpoint" in message


def _narrow_cnn_model_fn(features, labels, mode, params):
    """The walkthrough's CNN with 64 units in layer_fc1 instead of 128: an edited model_fn."""
    net = tf.reshape(features["x"], [-1, 28, 28, 1])
    for name, filters in (("layer_conv1", 16), ("layer_conv2", 36)):
        net = tf.layers.conv2d(net, filters, 5, padding="same", activation=tf.nn.relu, name=name)
        net = tf.layers.max_pooling2d(net, 2, 2)
    net = tf.layers.dense(tf.layers.flatten(net), 64, activation=tf.nn.relu, name="layer_fc1")
    logits = tf.layers.dense(net, 10, name="layer_fc2")
    cls = tf.argmax(logits, axis=1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode=mode, predictions=cls)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    return models.cnn_train_spec(mode, params, loss, labels, cls)


@needs_keras
def test_an_edited_network_is_refused_before_anything_is_built(tiny_data, tmp_path,
                                                               monkeypatch):
    estimator = models.make_cnn_estimator(model_dir=tmp_path / "narrow",
                                          model_fn=_narrow_cnn_model_fn)
    workflow.train(estimator, inputs.make_train_input_fn(tiny_data.train.images,
                                                         tiny_data.train.cls),
                   steps=1, progress=False)

    def must_not_build(model):
        raise AssertionError("built a Keras model for a checkpoint that does not fit")

    monkeypatch.setattr(migrate, "build", must_not_build)
    with pytest.raises(CheckpointMismatchError) as caught:
        migrate.to_keras(tmp_path / "narrow", "cnn")
    message = str(caught.value)
    assert "layer_fc1/kernel (1764, 64) -> (1764, 128)" in message
    assert "\n" not in message and "to_keras converts" in message


@needs_keras
def test_bad_arguments_get_one_line(tmp_path):
    with pytest.raises(InputError, match="unknown model 'rnn'"):
        migrate.to_keras(tmp_path, "rnn")
    with pytest.raises(NoCheckpointError, match="train the model first"):
        migrate.to_keras(tmp_path, "cnn")


@needs_keras
def test_notebook_model_fn_checkpoint_converts(tiny_data, tmp_path):
    """The walkthrough notebook's own model_fn (its cells, not the package's) converts too."""
    from notebook_cells import notebook_model_fn

    estimator = tf.estimator.Estimator(model_fn=notebook_model_fn(), model_dir=str(tmp_path),
                                       params={"learning_rate": models.CNN_LEARNING_RATE})
    train_fn = inputs.make_fast_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    workflow.train(estimator, train_fn, steps=STEPS, progress=False)
    images = tiny_data.test.images
    expected = workflow.predict_classes(estimator, inputs.make_predict_input_fn(images))
    converted = migrate.to_keras(tmp_path, "cnn")
    np.testing.assert_array_equal(converted.predict(images, verbose=0).argmax(axis=1), expected)


@needs_keras
def test_a_keras_model_made_before_an_estimator_graph_works_once_repaired(tiny_data, tmp_path):
    """Keras 2.15 switches its classes to graph mode when an Estimator builds layers."""
    import keras

    early = migrate.build("cnn")
    estimator = models.make_cnn_estimator(model_dir=tmp_path)
    train_fn = inputs.make_fast_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    workflow.train(estimator, train_fn, steps=1, progress=False)
    images = tiny_data.test.images[:8]
    if keras.__version__.startswith("2."):  # the pitfall itself; Keras 3 does not have it
        with pytest.raises(ValueError, match="invalid state"):
            early(images)
    logits = migrate.usable_after_estimator(early)(images)
    assert tuple(logits.shape) == (8, 10)
    assert migrate.to_keras(estimator.model_dir, "cnn").predict(images, verbose=0).shape == (8, 10)


def test_migrate_refuses_tensorflow_1(monkeypatch):
    """On TensorFlow 1.15 (or made to look like it) the import stops in one line."""
    import tensorflow

    monkeypatch.setattr(tensorflow, "__version__", "1.15.0")
    monkeypatch.delitem(sys.modules, "tutorial17.migrate", raising=False)
    with pytest.raises(UnsupportedStackError, match="needs TensorFlow 2") as caught:
        importlib.import_module("tutorial17.migrate")
    assert "\n" not in str(caught.value)


@needs_keras
def test_keras_progress_draws_one_line_with_the_optimizer_step(tiny_data, tmp_path):
    import io

    import keras

    model = migrate.build("dnn")
    model.compile(optimizer="sgd",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    shown = io.StringIO()
    images, cls = tiny_data.train.images[:64], tiny_data.train.cls[:64]
    for _ in range(2):  # the second fit continues the optimizer's step count
        progress = migrate.KerasProgress(num_steps=4, desc="keras dnn", file=shown)
        model.fit(images, cls, batch_size=16, epochs=1, verbose=0, callbacks=[progress])
    assert int(model.optimizer.iterations.numpy()) == 8
    text = shown.getvalue()
    assert "4/4" in text and "step=4 loss=" in text and "step=8 loss=" in text
