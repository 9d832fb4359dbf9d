"""One progress line while training, instead of pages of ``INFO:tensorflow:``."""

import sys

import tensorflow.compat.v1 as tf
from tqdm import tqdm


def training_loss():
    """The loss tensor of the training graph being built, or None.

    Estimator.train puts the EstimatorSpec's loss last in the LOSSES collection.
    """
    losses = tf.get_collection(tf.GraphKeys.LOSSES)
    return losses[-1] if losses else None


class ProgressHook(tf.train.SessionRunHook):
    """A ``SessionRunHook`` that shows global step, loss and steps/s on one line.

    Args:
        num_steps: steps this ``train`` call will run (for the bar's length), or None.
        file: where the line goes (default ``sys.stderr``).
        desc: text in front of the bar, e.g. the model's name.
        mininterval: seconds between redraws.
    """

    def __init__(self, num_steps=None, file=None, desc="train", mininterval=0.5):
        self._num_steps = num_steps
        self._file = file
        self._desc = desc
        self._mininterval = mininterval
        self._bar = None

    def begin(self):
        self._global_step = tf.train.get_global_step()
        self._loss = training_loss()

    def after_create_session(self, session, coord):
        self._first_step = int(session.run(self._global_step))
        self._runs = 0
        self._bar = tqdm(total=self._num_steps, desc=self._desc, unit="step",
                         file=self._file if self._file is not None else sys.stderr,
                         mininterval=self._mininterval, dynamic_ncols=False, ncols=100,
                         leave=True)

    def before_run(self, run_context):
        # The step is counted, not fetched: a global step fetched in the same run as the
        # train op may be read before or after its increment (after, on TF 1.15).
        if self._loss is None:
            return None
        return tf.train.SessionRunArgs({"loss": self._loss})

    def after_run(self, run_context, run_values):
        results = run_values.results or {}
        self._runs += 1
        step = self._first_step + self._runs
        postfix = f"step={step}"
        if "loss" in results:
            postfix += f" loss={float(results['loss']):.4g}"
        self._bar.set_postfix_str(postfix, refresh=False)  # drawn by update() below
        self._bar.update(step - self._first_step - self._bar.n)

    def end(self, session):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
