"""tutorial17.registry: each model described once, and what it says is what gets built.

The names, titles and sizes are checked against the Estimators the factories
build (their TRAIN graph's variables) and the Keras networks the builders make
(their layers' weights), and every older name for them reads the registry.
"""

import importlib

from tutorial17 import models, registry, walkthrough
from tutorial17._runtime.report import IS_TF1
from tutorial17.checkpoints import graph_variables, is_optimizer_state
from tutorial17.errors import InputError

import pytest
import tensorflow.compat.v1 as tf

needs_keras = pytest.mark.skipif(IS_TF1, reason="the Keras networks need TensorFlow 2")


def test_the_two_models_in_the_walkthrough_order():
    assert registry.MODEL_NAMES == ("dnn", "cnn") == models.MODEL_NAMES
    assert [spec.name for spec in registry.MODELS.values()] == list(registry.MODEL_NAMES)
    assert registry.get("cnn") is registry.CNN and registry.get("dnn") is registry.DNN


@pytest.mark.parametrize("bad", ["rnn", "", None, ["dnn"]])
def test_an_unknown_model_gets_one_line(bad):
    with pytest.raises(InputError, match="unknown model .*expected one of \\['dnn', 'cnn'\\]") \
            as caught:
        registry.get(bad)
    assert "\n" not in str(caught.value)
    with pytest.raises(InputError, match="unknown model"):
        models.make_estimator(bad)


def test_the_old_names_read_the_registry(tmp_path):
    assert walkthrough.MODEL_TITLES == {"dnn": "DNNClassifier", "cnn": "custom CNN"}
    assert {n: s.loss_note for n, s in registry.MODELS.items()} == walkthrough.LOSS_NOTES
    assert "summed" in walkthrough.LOSS_NOTES["dnn"] and "mean" in walkthrough.LOSS_NOTES["cnn"]
    assert models.DNN_HIDDEN_UNITS == (512, 256, 128)
    assert (models.CNN_FILTERS, models.CNN_KERNEL_SIZE, models.CNN_FC_UNITS) == ((16, 36), 5, 128)
    for spec in registry.MODELS.values():
        assert models.default_model_dir(spec.name, tmp_path) == tmp_path / spec.model_dir_name
    if not IS_TF1:
        migrate = importlib.import_module("tutorial17.migrate")
        assert migrate.MODELS == registry.MODEL_NAMES
        assert migrate.MODEL_TITLES == {"dnn": "the walkthrough's DNNClassifier",
                                        "cnn": "the walkthrough's CNN"}
        assert {n: s.logits_tensor for n, s in registry.MODELS.items()} == migrate.LOGITS_TENSORS
        for spec in registry.MODELS.values():
            assert migrate.checkpoint_layout(spec.name) == spec.checkpoint_layout()


def test_the_layouts_of_the_walkthrough():
    assert registry.CNN.checkpoint_layout() == {
        "global_step": (),
        "layer_conv1/kernel": (5, 5, 1, 16), "layer_conv1/bias": (16,),
        "layer_conv2/kernel": (5, 5, 16, 36), "layer_conv2/bias": (36,),
        "layer_fc1/kernel": (7 * 7 * 36, 128), "layer_fc1/bias": (128,),
        "layer_fc2/kernel": (128, 10), "layer_fc2/bias": (10,)}
    assert [layer.kernel_shape for layer in registry.DNN.layers] == [
        (784, 512), (512, 256), (256, 128), (128, 10)]
    assert registry.DNN.layers[-1].scope == "dnn/logits"


def network_variables(estimator):
    """Return ``{name: shape}`` of the estimator's TRAIN graph, optimizer state aside."""
    with tf.Graph().as_default() as graph:
        tf.train.get_or_create_global_step()
        features = {"x": tf.placeholder(tf.float32, [None, 784])}
        labels = tf.placeholder(tf.int64, [None])
        estimator.model_fn(features, labels, tf.estimator.ModeKeys.TRAIN, estimator.config)
        found = graph_variables(graph)
    return {name: shape for name, shape in found.items() if not is_optimizer_state(name, found)}


@pytest.mark.parametrize("model", registry.MODEL_NAMES)
def test_the_built_estimator_has_the_registrys_variables(model, tmp_path):
    spec = registry.get(model)
    estimator = spec.make_estimator(model_dir=tmp_path)
    assert network_variables(estimator) == spec.checkpoint_layout()
    assert registry.model_of(estimator) == model


@needs_keras
@pytest.mark.parametrize("model", registry.MODEL_NAMES)
def test_the_keras_network_has_the_registrys_layers(model):
    spec = registry.get(model)
    network = spec.build_keras()
    assert network.name == model and network.output_shape == (None, 10)
    assert network.input_shape == (None, 784)
    for layer in spec.layers:
        kernel, bias = network.get_layer(layer.name).get_weights()
        assert kernel.shape == layer.kernel_shape and bias.shape == layer.kernel_shape[-1:]
    assert sum(len(layer.weights) for layer in network.layers) == 2 * len(spec.layers)


def test_only_the_factories_make_a_registry_model(tmp_path):
    assert registry.model_of(models.make_dnn_classifier(model_dir=tmp_path / "a")) == "dnn"
    assert registry.model_of(models.make_cnn_estimator(model_dir=tmp_path / "b")) == "cnn"
    # Another network is not the registry's, whatever made it.
    narrow = models.make_dnn_classifier(model_dir=tmp_path / "c", hidden_units=(64,))
    own_fn = models.make_cnn_estimator(model_dir=tmp_path / "d",
                                       model_fn=lambda features, labels, mode, params: None)
    custom = tf.estimator.Estimator(model_fn=models.cnn_model_fn, model_dir=str(tmp_path / "e"),
                                    params={"learning_rate": models.CNN_LEARNING_RATE})
    for estimator in (narrow, own_fn, custom, "cnn", 42):
        assert registry.model_of(estimator) is None
