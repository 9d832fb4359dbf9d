"""A Predictor called again and again while another process trains into the same directory:
no call fails, and every answer is the one a complete checkpoint gives."""

import signal
import subprocess
import sys
import time

from tutorial17 import Predictor, inputs, models, workflow

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from conftest import wait_for

TRAIN_STEPS = 1000
SAVE_EVERY = 250  # checkpoints at 0, 250, ..., 1000: five, all kept (keep_checkpoint_max=5)
WAIT_SECONDS = 300  # TensorFlow's import and graph building on a loaded 2-core machine
NUM_IMAGES = 9


@pytest.mark.slow  # trains in a second process
def test_predictions_during_training_come_from_complete_checkpoints(tiny_data_dir, tiny_data,
                                                                     tmp_path):
    model_dir = tmp_path / "dnn"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutorial17", "train", "--model", "dnn",
         "--model-dir", str(model_dir), "--data-dir", str(tiny_data_dir),
         "--steps", str(TRAIN_STEPS), "--save-every", str(SAVE_EVERY)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: tf.train.latest_checkpoint(str(model_dir)), WAIT_SECONDS,
                 "its first checkpoint", proc=proc)
        estimator = models.make_dnn_classifier(model_dir=model_dir)
        images = tiny_data.test.images[:NUM_IMAGES]
        answers = {}  # checkpoint path -> the distinct probability arrays it answered with
        calls = 0
        with Predictor(estimator) as predictor:
            while True:
                finished = proc.poll() is not None
                probabilities = predictor.predict_proba(images)
                calls += 1
                seen = answers.setdefault(predictor.checkpoint_path, {})
                seen.setdefault(probabilities.tobytes(), probabilities)
                if finished:  # one more call after the end serves the last checkpoint
                    break
                time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.wait(timeout=WAIT_SECONDS)
    assert proc.returncode == 0, proc.stderr.read().decode(errors="replace")[-2000:]

    # The Predictor moved with the training, and ended on its last checkpoint.
    assert len(answers) >= 2, f"only {list(answers)} served in {calls} calls"
    assert tf.train.latest_checkpoint(str(model_dir)) in answers

    # Each answer equals what Estimator.predict gives from the checkpoint it was served from.
    predict_fn = inputs.make_predict_input_fn(images)
    for path, seen in answers.items():
        assert len(seen) == 1, f"{path}: {len(seen)} different answers from one checkpoint"
        expected = np.stack([p["probabilities"] for p in
                             estimator.predict(predict_fn, checkpoint_path=path)])
        (served,) = seen.values()
        np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-6, err_msg=path)
    final = workflow.predict_classes(estimator, predict_fn)
    assert final.shape == (NUM_IMAGES,)
