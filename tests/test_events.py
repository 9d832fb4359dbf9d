"""Training curves from the event files: both models, a resumed run, a cut-short run,
a directory without events, and the figure drawn from them.

The Estimator writes a summary every ``save_summary_steps`` steps (100 by default,
more than a test trains), so the models here write one every 2 steps.
"""

import math

from tutorial17 import events, inputs, models, plots, workflow
from tutorial17.errors import NoEventsError

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

SUMMARY_EVERY = 2
FIRST_STEPS, MORE_STEPS = 8, 4



def _train(model, model_dir, data, steps):
    config = models.make_run_config(model_dir, save_summary_steps=SUMMARY_EVERY)
    estimator = models.make_estimator(model, model_dir=model_dir, config=config)
    workflow.train(estimator, inputs.make_fast_train_input_fn(data.train.images, data.train.cls),
                   steps=steps, progress=False)
    return estimator


@pytest.fixture(scope="module")
def trained(tiny_data, tmp_path_factory):
    """Both models: trained FIRST_STEPS, evaluated, trained MORE_STEPS more (a resumed run).

    Returns ``{model: (model_dir, accuracy of the evaluation)}``.
    """
    root = tmp_path_factory.mktemp("curves")
    found = {}
    for model in ("dnn", "cnn"):
        model_dir = root / model
        estimator = _train(model, model_dir, tiny_data, FIRST_STEPS)
        metrics = workflow.evaluate(estimator, inputs.make_test_input_fn(tiny_data.test.images,
                                                                         tiny_data.test.cls))
        _train(model, model_dir, tiny_data, MORE_STEPS)
        found[model] = (model_dir, metrics)
    return found


@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_loss_curve_covers_both_runs_of_a_resumed_model(model, trained):
    model_dir, _ = trained[model]
    steps, values = events.training_curves(model_dir).loss
    assert steps[0] == 1 and steps[-1] > FIRST_STEPS  # from the first run and the resumed one
    assert np.all(np.diff(steps) > 0)
    assert np.all(np.diff(steps) <= SUMMARY_EVERY)
    assert np.all(np.isfinite(values)) and np.all(values > 0)


def test_the_canned_loss_is_summed_over_the_batch_the_cnn_loss_is_a_mean(trained):
    """At the first step both guess about uniformly: a cross-entropy near ln 10 per image."""
    first = {model: events.training_curves(trained[model][0]).loss[1][0] for model in trained}
    assert first["cnn"] == pytest.approx(math.log(10), rel=0.3)
    assert first["dnn"] == pytest.approx(inputs.BATCH_SIZE * math.log(10), rel=0.3)


@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_accuracy_curve_is_the_evaluation(model, trained):
    model_dir, metrics = trained[model]
    curves = events.training_curves(model_dir)
    steps, values = curves.accuracy
    assert steps.tolist() == [metrics["global_step"]] == [FIRST_STEPS]
    assert values[0] == pytest.approx(metrics["accuracy"])


def _write_events(event_dir, suffix, losses, start_at=None):
    """Write an event file of ``{step: loss}``, opened by a SessionLog.START at ``start_at``."""
    with tf.Graph().as_default():
        writer = tf.summary.FileWriter(str(event_dir), filename_suffix=suffix)
        if start_at is not None:
            writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), start_at)
        for step, loss in losses.items():
            writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="loss",
                                                                  simple_value=loss)]), step)
        writer.close()


def test_a_run_cut_short_before_its_checkpoint_is_replaced_by_the_rerun(tmp_path):
    """As in TensorBoard: a run that restarts from step 6 supersedes the old steps 6 on."""
    _write_events(tmp_path, ".1", {step: 10.0 + step for step in range(1, 11)})
    _write_events(tmp_path, ".2", {step: 100.0 + step for step in range(6, 9)}, start_at=6)
    steps, values = events.read_scalars(tmp_path)["loss"]
    assert steps.tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert values.tolist() == [11.0, 12.0, 13.0, 14.0, 15.0, 106.0, 107.0, 108.0]


def test_a_directory_without_events_is_one_line(tmp_path):
    for where, message in [(tmp_path, "no event files in it"),
                           (tmp_path / "nowhere", "no such directory")]:
        with pytest.raises(NoEventsError, match=message) as error:
            events.training_curves(where)
        assert "\n" not in str(error.value)
        with pytest.raises(NoEventsError, match=message):
            plots.plot_training_curves(where)


def test_plot_shows_each_models_loss_and_accuracy(trained, tmp_path):
    labels = {"DNN (summed)": trained["dnn"][0], "CNN (mean)": trained["cnn"][0]}
    fig = plots.plot_training_curves(labels)
    loss_ax, accuracy_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == list(labels)
    assert loss_ax.get_yscale() == "log"
    for line, model_dir in zip(loss_ax.get_lines(), labels.values()):
        steps, values = events.training_curves(model_dir).loss
        np.testing.assert_array_equal(line.get_xdata(), steps)
        np.testing.assert_allclose(line.get_ydata(), values)
    for line, model in zip(accuracy_ax.get_lines(), ("dnn", "cnn")):
        assert line.get_ydata()[0] == pytest.approx(100 * trained[model][1]["accuracy"])
    fig.savefig(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_plot_of_one_unevaluated_directory_has_the_loss_panel_only(tmp_path):
    _write_events(tmp_path, ".1", {1: 2.0, 3: 1.0})
    fig = plots.plot_training_curves(tmp_path)
    (loss_ax,) = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == [tmp_path.name]
