"""Both estimators train a few real steps, evaluate and predict (after official/mnist's tests)."""

import io

from tutorial17 import inputs, models, workflow

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

STEPS = 3


@pytest.fixture(scope="module", params=["dnn", "cnn"])
def trained(request, tiny_data, tmp_path_factory):
    """(model name, estimator) after STEPS training steps on the tiny slice."""
    model_dir = tmp_path_factory.mktemp(request.param)
    estimator = models.make_estimator(request.param, model_dir=model_dir)
    fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    step = workflow.train(estimator, fn, steps=STEPS, progress=False)
    assert step == STEPS
    return request.param, estimator


def test_evaluate_returns_accuracy_and_loss(trained, tiny_data):
    _, estimator = trained
    metrics = workflow.evaluate(estimator, inputs.make_test_input_fn(tiny_data.test.images,
                                                                      tiny_data.test.cls))
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert metrics["loss"] > 0 and np.isfinite(metrics["loss"])
    assert metrics["global_step"] == STEPS


def test_predict_gives_one_int_class_per_image(trained, tiny_data):
    _, estimator = trained
    predicted = workflow.predict_classes(
        estimator, inputs.make_predict_input_fn(tiny_data.test.images[:9]))
    assert predicted.dtype == np.int64 and predicted.shape == (9,)
    assert ((predicted >= 0) & (predicted <= 9)).all()


def test_raw_predictions_have_the_documented_form(trained, tiny_data):
    name, estimator = trained
    first = next(estimator.predict(inputs.make_predict_input_fn(tiny_data.test.images[:1])))
    if name == "dnn":  # the v1 canned classifier: classes as byte strings of shape [1]
        assert first["classes"].shape == (1,) and isinstance(first["classes"][0], bytes)
        assert first["probabilities"].shape == (10,)
    else:  # the custom CNN's PREDICT spec returns the class id only
        assert np.asarray(first).shape == () and np.issubdtype(np.asarray(first).dtype,
                                                               np.integer)


def test_training_again_continues_the_global_step(trained, tiny_data):
    _, estimator = trained
    fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    before = estimator.get_variable_value("global_step")
    assert workflow.train(estimator, fn, steps=2, progress=False) == before + 2


def test_cnn_layers_have_the_walkthrough_names(trained):
    name, estimator = trained
    variables = estimator.get_variable_names()
    if name == "cnn":
        for layer in ("layer_conv1", "layer_conv2", "layer_fc1", "layer_fc2"):
            assert f"{layer}/kernel" in variables
        assert estimator.get_variable_value("layer_conv1/kernel").shape == (5, 5, 1, 16)
        assert estimator.get_variable_value("layer_conv2/kernel").shape == (5, 5, 16, 36)
    else:
        shapes = [estimator.get_variable_value(f"dnn/hiddenlayer_{i}/kernel").shape
                  for i in range(3)]
        assert shapes == [(784, 512), (512, 256), (256, 128)]


def test_dnn_loss_is_summed_over_the_batch(tiny_data, tmp_path):
    """The v1 canned head sums: the first-step loss of a 128 batch is about 128 * ln(10)."""
    estimator = models.make_dnn_classifier(model_dir=tmp_path)
    fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    out = io.StringIO()
    workflow.train(estimator, fn, steps=1, progress=out)
    loss = float(out.getvalue().split("loss=")[1].split("]")[0].split()[0])
    assert 200 < loss < 400


def test_run_config_has_a_fixed_seed(tmp_path):
    assert models.make_cnn_estimator(model_dir=tmp_path).config.tf_random_seed == \
        models.DEFAULT_SEED


def test_default_model_dirs_under_a_root(tmp_path):
    assert models.default_model_dir("dnn", tmp_path) == tmp_path / "checkpoints_tutorial17-1"
    assert models.default_model_dir("cnn", tmp_path) == tmp_path / "checkpoints_tutorial17-2"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_hook_writes_one_line(tiny_data, tmp_path):
    estimator = models.make_cnn_estimator(model_dir=tmp_path)
    fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    out = Terminal()  # a log gets plain lines instead (tests/test_progress.py)
    workflow.train(estimator, fn, steps=4, progress=out)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # redrawn with \r, closed once
    assert "4/4" in text and "loss=" in text and ("step/s" in text or "s/step" in text)
    assert "step=4 loss=" in text and "step=5" not in text  # the global step after 4 runs
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("-4")


@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_same_seed_repeats_a_training_run(model, tiny_data, tmp_path):
    """DEFAULT_SEED in the RunConfig makes two runs give the same weights.

    With the staged input the package trains with, every step repeats. With the
    original ``numpy_input_fn`` the starting weights repeat (checkpoint 0), but the
    batches need not: its shuffle queue picks from whatever a feeding thread has
    enqueued so far, which depends on timing.
    """
    name = "layer_fc1/kernel" if model == "cnn" else "dnn/hiddenlayer_0/kernel"
    trained, initial = [], []
    for run in ("first", "second"):
        estimator = models.make_estimator(model, model_dir=tmp_path / run / "staged")
        fn = inputs.make_fast_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
        workflow.train(estimator, fn, steps=5, progress=False)
        trained.append(estimator.get_variable_value(name))

        model_dir = tmp_path / run / "numpy"
        estimator = models.make_estimator(model, model_dir=model_dir)
        fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
        workflow.train(estimator, fn, steps=5, progress=False)
        initial.append(tf.train.load_variable(str(model_dir / "model.ckpt-0"), name))
    np.testing.assert_array_equal(trained[0], trained[1])
    np.testing.assert_array_equal(initial[0], initial[1])
