"""Reaching the trained model: variables as numpy arrays, layer outputs and their plots."""

from tutorial17 import Predictor, inputs, models, plots, weights, workflow
from tutorial17.errors import InputError, NoCheckpointError

import matplotlib.pyplot as plt
import numpy as np
import pytest

STEPS = 2


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _trained(model, tiny_data, tmp_path_factory):
    estimator = models.make_estimator(model, model_dir=tmp_path_factory.mktemp(model))
    workflow.train(estimator, inputs.make_train_input_fn(tiny_data.train.images,
                                                         tiny_data.train.cls),
                   steps=STEPS, progress=False)
    return estimator


@pytest.fixture(scope="module")
def cnn(tiny_data, tmp_path_factory):
    return _trained("cnn", tiny_data, tmp_path_factory)


@pytest.fixture(scope="module")
def dnn(tiny_data, tmp_path_factory):
    return _trained("dnn", tiny_data, tmp_path_factory)


def test_cnn_variables_without_optimizer_slots(cnn):
    listed = weights.list_variables(cnn)
    assert listed == {
        "global_step": (), "layer_conv1/bias": (16,), "layer_conv1/kernel": (5, 5, 1, 16),
        "layer_conv2/bias": (36,), "layer_conv2/kernel": (5, 5, 16, 36),
        "layer_fc1/bias": (128,), "layer_fc1/kernel": (1764, 128),
        "layer_fc2/bias": (10,), "layer_fc2/kernel": (128, 10)}
    everything = weights.list_variables(cnn.model_dir, include_optimizer=True)
    assert {"layer_conv1/kernel/Adam", "layer_conv1/kernel/Adam_1", "beta1_power"} \
        <= set(everything) and set(listed) < set(everything)


def test_dnn_variables_and_values(dnn):
    listed = weights.list_variables(dnn)
    assert listed["dnn/hiddenlayer_0/kernel"] == (784, 512)
    assert listed["dnn/logits/kernel"] == (128, 10)
    assert not any("Adagrad" in name for name in listed)
    kernel = weights.get_variable(dnn, "dnn/hiddenlayer_0/kernel")
    assert isinstance(kernel, np.ndarray) and kernel.shape == (784, 512)
    np.testing.assert_array_equal(kernel, dnn.get_variable_value("dnn/hiddenlayer_0/kernel"))
    assert set(weights.get_variables(dnn)) == set(listed)


def test_unknown_variable_suggests_close_names(cnn):
    with pytest.raises(InputError, match="did you mean layer_conv1/kernel") as info:
        weights.get_variable(cnn, "layer_conv1/kernal")
    assert "Adam" not in str(info.value)


def test_no_checkpoint(tmp_path):
    with pytest.raises(NoCheckpointError, match="no checkpoint"):
        weights.list_variables(tmp_path)


def manual_conv1(image, kernel, bias):
    """layer_conv1 by hand: 5x5 'same' cross-correlation of one 28x28 image, plus bias, ReLU."""
    padded = np.pad(image.reshape(28, 28), 2)
    out = np.zeros((28, 28, kernel.shape[3]))
    for a in range(5):
        for b in range(5):
            out += padded[a:a + 28, b:b + 28, None] * kernel[a, b, 0]
    return np.maximum(out + bias, 0)


def test_layer_output_comes_from_the_trained_checkpoint(cnn, tiny_data):
    images = tiny_data.test.images[:3]
    out = weights.layer_output(cnn, images, "layer_conv1")
    assert out.shape == (3, 28, 28, 16)
    kernel = weights.get_variable(cnn, "layer_conv1/kernel")
    bias = weights.get_variable(cnn, "layer_conv1/bias")
    for i in range(3):
        np.testing.assert_allclose(out[i], manual_conv1(images[i], kernel, bias),
                                   rtol=1e-4, atol=1e-5)
    with Predictor(cnn) as predictor:
        assert weights.layer_output(predictor, images, "layer_conv2").shape == (3, 14, 14, 36)


def test_layer_output_of_an_unknown_layer_lists_the_layers(cnn, tiny_data):
    with pytest.raises(InputError, match="its layers: layer_conv1, layer_conv2, layer_fc1"):
        weights.layer_output(cnn, tiny_data.test.images[:1], "layer_conv9")


def test_layer_output_checks_images_first(tmp_path):
    # No checkpoint there: the image error must come before any graph or checkpoint work.
    estimator = models.make_cnn_estimator(model_dir=tmp_path)
    with pytest.raises(InputError, match="NaN or inf"):
        weights.layer_output(estimator, np.full((1, 784), np.nan, np.float32))


def visible_images(fig):
    return [ax.images[0].get_array() for ax in fig.axes if ax.get_visible() and ax.images]


def test_plot_conv_weights(cnn, tmp_path):
    fig = plots.plot_conv_weights(cnn)
    shown = visible_images(fig)
    assert len(shown) == 16
    kernel = weights.get_variable(cnn, "layer_conv1/kernel")
    np.testing.assert_array_equal(shown[3], kernel[:, :, 0, 3])
    fig = plots.plot_conv_weights(cnn.model_dir, input_channel=5, layer="layer_conv2")
    assert len(visible_images(fig)) == 36
    fig.savefig(tmp_path / "conv2.png")
    assert (tmp_path / "conv2.png").stat().st_size > 1000
    fig = plots.plot_conv_weights(np.ones((3, 3, 2, 5)))
    assert len(visible_images(fig)) == 5 and len(fig.axes) == 9


@pytest.mark.parametrize("args, message", [
    ((np.ones((5, 5, 16)),), r"shape \(5, 5, 16\), expected a conv kernel"),
    ((np.ones((5, 5, 1, 16)), 1), "input_channel 1, expected 0-0"),
])
def test_plot_conv_weights_bad_input(args, message):
    with pytest.raises(InputError, match=message):
        plots.plot_conv_weights(*args)


def test_plot_layer_output(cnn, tiny_data):
    image = tiny_data.test.images[0]
    fig = plots.plot_layer_output(cnn, image)
    shown = visible_images(fig)
    assert len(shown) == 16
    expected = weights.layer_output(cnn, image[None], "layer_conv1")[0]
    np.testing.assert_allclose(shown[7], expected[:, :, 7])
    fig = plots.plot_layer_output(cnn, image.reshape(28, 28), "layer_conv2")
    assert len(visible_images(fig)) == 36


@pytest.mark.parametrize("image, layer, message", [
    (np.zeros((2, 784), np.float32), "layer_conv1", r"image of shape \(2, 784\), expected one"),
    (np.zeros(784, np.uint8), "layer_conv1", "dtype uint8"),
    (np.zeros(784, np.float32), "layer_fc1", "expected a conv layer"),
])
def test_plot_layer_output_bad_input(cnn, image, layer, message):
    with pytest.raises(InputError, match=message):
        plots.plot_layer_output(cnn, image, layer)
