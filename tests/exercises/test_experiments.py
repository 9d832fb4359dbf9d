"""Exercises 1, 2 and 4: accuracy as training goes on, and batch sizes compared."""

import math

from tutorial17 import inputs, models, workflow
from tutorial17.errors import InputError
from tutorial17.exercises import experiments

import numpy as np
import pytest

STEPS = (0, 2, 5)


@pytest.fixture(scope="module")
def fns(tiny_data):
    return (inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls),
            inputs.make_test_input_fn(tiny_data.test.images, tiny_data.test.cls))


@pytest.fixture(scope="module")
def curve(fns, tmp_path_factory):
    """(estimator, results) after accuracy_at_steps on a fresh CNN."""
    model_dir = tmp_path_factory.mktemp("curve")
    config = models.make_run_config(model_dir, keep_checkpoint_max=experiments.KEEP_ALL_CHECKPOINTS)
    estimator = models.make_cnn_estimator(config=config)
    return estimator, experiments.accuracy_at_steps(estimator, *fns, steps=STEPS,
                                                    progress=False)


def test_one_result_per_step_in_order(curve):
    estimator, results = curve
    assert [r["step"] for r in results] == list(STEPS)
    assert all(0 <= r["accuracy"] <= 1 and np.isfinite(r["loss"]) for r in results)
    assert [r["trained_steps"] for r in results] == [0, 2, 3]
    assert math.isnan(results[0]["steps_per_second"])
    assert results[2]["steps_per_second"] > 0
    assert experiments.global_step(estimator) == 5


def test_each_step_is_its_own_checkpoint(curve, fns):
    """Step 0 is the untrained network; the figures are those of each checkpoint."""
    estimator, results = curve
    for r in results:
        again = experiments.evaluate_at_step(estimator, fns[1], r["step"])
        assert again["accuracy"] == pytest.approx(r["accuracy"])
        assert again["global_step"] == r["step"]
    assert results[0]["loss"] == pytest.approx(np.log(10), abs=0.3)  # random guessing
    assert results[-1]["loss"] < results[0]["loss"]


def test_running_again_only_evaluates(curve, fns):
    estimator, results = curve
    again = experiments.accuracy_at_steps(estimator, *fns, steps=STEPS, progress=False)
    assert [r["trained_steps"] for r in again] == [0, 0, 0]
    assert [r["accuracy"] for r in again] == pytest.approx([r["accuracy"] for r in results])
    assert experiments.global_step(estimator) == 5


def test_a_removed_checkpoint_gets_a_clear_error(fns, tmp_path):
    estimator = models.make_cnn_estimator(
        config=models.make_run_config(tmp_path, keep_checkpoint_max=1))
    workflow.train(estimator, fns[0], 2, progress=False)
    workflow.train(estimator, fns[0], 2, progress=False)  # only model.ckpt-4 is kept
    with pytest.raises(InputError, match="no checkpoint for step 2 .* keep_checkpoint_max=0"):
        experiments.accuracy_at_steps(estimator, *fns, steps=(2, 4), progress=False)


@pytest.mark.parametrize("steps, message", [((), "expected global step counts"),
                                            ((-1, 5), "expected global step counts"),
                                            ((0,), "include at least one positive")])
def test_bad_steps(fns, tmp_path, steps, message):
    with pytest.raises(InputError, match=message):
        experiments.accuracy_at_steps(models.make_cnn_estimator(model_dir=tmp_path), *fns,
                                      steps=steps, progress=False)


def test_accuracy_table(curve):
    _, results = curve
    table = experiments.format_accuracy_table({"custom CNN": results, "again": results})
    lines = table.splitlines()
    assert lines[0].split() == ["steps", "custom", "CNN", "again"]
    assert lines[1].split()[0] == "0" and lines[3].split()[0] == "5"
    assert lines[3].split()[1] == f"{results[2]['accuracy']:.2%}"


def test_compare_batch_sizes(tiny_data, fns, tmp_path):
    results = experiments.compare_batch_sizes(
        lambda d: models.make_dnn_classifier(model_dir=d), tiny_data.train.images,
        tiny_data.train.cls, fns[1], tmp_path, batch_sizes=(8, 32), num_examples=96,
        progress=False)
    assert [(r["batch_size"], r["steps"]) for r in results] == [(8, 12), (32, 3)]
    for r in results:
        assert 0 <= r["accuracy"] <= 1
        assert r["examples_per_second"] == pytest.approx(r["steps_per_second"] * r["batch_size"])
    assert experiments.checkpoint_path(tmp_path / "batch-8", 12) is not None
    assert experiments.checkpoint_path(tmp_path / "batch-32", 3) is not None
    table = experiments.format_batch_table(results).splitlines()
    assert table[0].split() == ["batch", "steps", "accuracy", "steps/s", "examples/s"]
    assert table[1].split()[:2] == ["8", "12"]


def test_step_timer_needs_two_steps():
    timer = experiments.StepTimer()
    assert math.isnan(timer.steps_per_second)
    timer.after_run(None, None)
    assert math.isnan(timer.steps_per_second)
    timer.after_run(None, None)
    assert timer.steps == 2 and timer.steps_per_second > 0
