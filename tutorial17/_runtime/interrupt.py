"""Ctrl-C while training: a stop after the current step, with a checkpoint of it.

Left alone, a ``KeyboardInterrupt`` inside ``Estimator.train`` unwinds the
session without running the hooks' ``end()``, so every step since the last
periodic checkpoint is lost. :func:`stop_on_interrupt` catches the first
SIGINT while the session runs and asks the session to stop; the Estimator's
``CheckpointSaverHook`` then saves the current step as it always does at the
end of training, and :func:`tutorial17.workflow.train` raises
:class:`~tutorial17.errors.TrainingInterrupted`. A second Ctrl-C aborts at once, as usual.
"""

import contextlib
import signal
import sys
import threading

import tensorflow.compat.v1 as tf
from tqdm import tqdm

STOPPING_MESSAGE = ("Interrupted: stopping after this step and saving a checkpoint "
                    "(press Ctrl-C again to abort without saving)")


class StopOnInterruptHook(tf.train.SessionRunHook):
    """A hook that requests a clean stop of the training session once :attr:`interrupted` is set."""

    def __init__(self):
        self.interrupted = False
        self.session_running = False

    def after_create_session(self, session, coord):
        self.session_running = True

    def after_run(self, run_context, run_values):
        if self.interrupted:
            run_context.request_stop()

    def end(self, session):
        self.session_running = False


@contextlib.contextmanager
def stop_on_interrupt(file=None):
    """Yield a :class:`StopOnInterruptHook` wired to SIGINT for the ``with`` block.

    The first SIGINT while a training session runs sets the hook's flag (and
    prints :data:`STOPPING_MESSAGE` to ``file``, default stderr); a SIGINT
    before the session starts, or a second one, raises ``KeyboardInterrupt`` as
    usual. Outside the main thread signals cannot be caught: the hook is then
    inert and Ctrl-C behaves as usual.
    """
    hook = StopOnInterruptHook()

    def handler(signum, frame):
        if hook.interrupted or not hook.session_running:
            raise KeyboardInterrupt
        hook.interrupted = True
        # tqdm.write keeps an open progress line intact.
        tqdm.write(STOPPING_MESSAGE, file=file if file is not None else sys.stderr)

    if threading.current_thread() is not threading.main_thread():
        yield hook
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield hook
    finally:
        # None: the previous handler was not set from Python; put Python's default back.
        signal.signal(signal.SIGINT, previous if previous is not None
                      else signal.default_int_handler)
