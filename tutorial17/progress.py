"""One progress line while training, instead of pages of ``INFO:tensorflow:``.

:func:`step_bar` and :func:`show_step` draw the line; :class:`ProgressHook` feeds
it from a training session, the cluster launcher from its chief's reports, and
:class:`tutorial17.migrate.KerasProgress` from Keras's ``Model.fit``.

In a terminal and in Jupyter the line redraws itself in place. Anywhere else (a
log file, a pipe: ``make run > log``) carriage returns would leave every redraw in
the file, so the line is printed as plain lines instead, one per tenth of the way.
"""

import sys
import time

import tensorflow.compat.v1 as tf
from tqdm import tqdm

LOG_LINES = 10
"""Lines a bar of known length prints where it cannot redraw: one per tenth of the way."""
LOG_INTERVAL_SECONDS = 60
"""Seconds between two lines of a bar of unknown length where it cannot redraw."""
LOG_FORMAT = ("{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} "
              "[{elapsed}<{remaining}, {rate_fmt}{postfix}]")


def redraws_in_place(file):
    """Tell whether ``file`` shows a redrawn line in place: a terminal, or Jupyter's output."""
    isatty = getattr(file, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed file
        return False
    return type(file).__module__.split(".")[0] == "ipykernel"


class LogLines(tqdm):
    """A tqdm bar for a log: plain lines, without carriage returns.

    It prints a line when it starts, one each time another tenth of ``total`` is
    done (every :data:`LOG_INTERVAL_SECONDS` when ``total`` is unknown) and the
    final state when it closes, unless that was the last line printed.
    """

    def __init__(self, *args, **kwargs):
        self._shown = None  # the (tenth or time slot, n) of the last line printed
        self._started = time.monotonic()
        kwargs.update(mininterval=0, miniters=1, leave=False)  # display() decides
        if kwargs.get("total"):
            kwargs["bar_format"] = LOG_FORMAT
        super().__init__(*args, **kwargs)

    def _slot(self):
        if self.total:
            return int(LOG_LINES * self.n / self.total)
        return int((time.monotonic() - self._started) // LOG_INTERVAL_SECONDS)

    def display(self, msg=None, pos=None):
        closing = msg == ""  # tqdm.close() of a bar that is not left in place
        slot = (self._slot(), self.n)
        if self._shown is not None and (
                slot == self._shown or (not closing and slot[0] == self._shown[0])):
            return False
        self._shown = slot
        self.fp.write(self.__str__() + "\n")
        self.fp.flush()
        return False  # nothing for close() to clear with a carriage return

    def clear(self, nolock=False):
        """Nothing to clear: the lines printed stay (tqdm.write calls this)."""


def step_bar(total, desc, file=None, initial=0, mininterval=0.5):
    """Return a tqdm bar of ``total`` steps (None: unknown) on ``file`` (default stderr).

    It redraws one line in a terminal and in Jupyter, and prints plain lines
    elsewhere (:class:`LogLines`).
    """
    file = file if file is not None else sys.stderr
    bar_class = tqdm if redraws_in_place(file) else LogLines
    return bar_class(total=total, initial=initial, desc=desc, unit="step", file=file,
                     mininterval=mininterval, dynamic_ncols=False, ncols=100, leave=True)


def show_step(bar, done, step, loss=None, note=""):
    """Move ``bar`` to ``done`` steps, showing the global ``step``, the ``loss`` and ``note``."""
    postfix = f"step={step}"
    if loss is not None:
        postfix += f" loss={loss:.4g}"
    bar.set_postfix_str(postfix + note, refresh=False)  # drawn by update() below
    bar.update(done - bar.n)


def training_loss():
    """Return the loss tensor of the training graph being built, or None.

    Estimator.train puts the EstimatorSpec's loss last in the LOSSES collection.
    """
    losses = tf.get_collection(tf.GraphKeys.LOSSES)
    return losses[-1] if losses else None


class ProgressHook(tf.train.SessionRunHook):
    """A hook that shows global step, loss and steps/s on one line.

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
        self._bar = step_bar(self._num_steps, self._desc, self._file,
                             mininterval=self._mininterval)

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
        loss = float(results["loss"]) if "loss" in results else None
        show_step(self._bar, step - self._first_step, step, loss)

    def end(self, session):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
