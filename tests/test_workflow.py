"""tutorial17.workflow: the progress line is labelled with what the caller or the registry says.

Train, evaluate and predict themselves are tested with both models in test_models.py.
"""

import io

from tutorial17 import inputs, models, workflow

import pytest
import tensorflow.compat.v1 as tf


class Terminal(io.StringIO):
    def isatty(self):
        return True


def progress_line(estimator, data, desc=None):
    """Train one step with the progress line on; return the line."""
    out = Terminal()
    fn = inputs.make_train_input_fn(data.train.images, data.train.cls)
    workflow.train(estimator, fn, steps=1, progress=out, desc=desc)
    return out.getvalue().lstrip("\r")


def test_a_custom_estimator_is_never_taken_for_the_cnn(tiny_data, tmp_path):
    """An Estimator of one's own, even around the CNN's model_fn, is labelled by its class."""
    custom = tf.estimator.Estimator(model_fn=models.cnn_model_fn, model_dir=str(tmp_path),
                                    params={"learning_rate": models.CNN_LEARNING_RATE})
    assert workflow.progress_label(custom) == "Estimator"
    line = progress_line(custom, tiny_data)
    assert line.startswith("Estimator:") and "cnn" not in line


@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_the_packages_estimators_are_labelled_with_their_model(model, tmp_path):
    assert workflow.progress_label(models.make_estimator(model, model_dir=tmp_path)) == model


def test_labels_of_other_networks_and_of_the_caller(tiny_data, tmp_path):
    wide = models.make_dnn_classifier(model_dir=tmp_path / "wide", hidden_units=(32,))
    assert workflow.progress_label(wide) == "DNNClassifier"
    estimator = models.make_cnn_estimator(model_dir=tmp_path / "cnn")
    assert progress_line(estimator, tiny_data, desc="my run").startswith("my run:")
