"""Training, evaluation and prediction with one progress line and plain numpy results."""

import numpy as np

from ._runtime.interrupt import stop_on_interrupt
from ._runtime.locking import lock_model_dir
from .errors import InputError, TrainingInterrupted
from .progress import ProgressHook
from .registry import model_of


def train(estimator, input_fn, steps, progress=True, desc=None, hooks=()):
    """Train ``steps`` more steps (continuing from any checkpoint) and return the global step.

    ``progress`` shows one tqdm line (step, loss, steps/s) on stderr; pass a
    file-like object to send it elsewhere, or False for none. The line is
    labelled ``desc``, or else the registry's model name (``"dnn"``, ``"cnn"``)
    of an estimator the package made, or else the estimator's class name: an
    Estimator of your own is never labelled as one of the walkthrough's models.

    Only one process may train into a model directory at a time: a second one
    gets :class:`~tutorial17.errors.ModelDirBusyError`. The first Ctrl-C stops
    after the current step, saves a checkpoint of it and raises
    :class:`~tutorial17.errors.TrainingInterrupted` (a ``KeyboardInterrupt``).
    """
    hooks = list(hooks)
    file = None
    if progress:
        file = None if progress is True else progress
        desc = desc or progress_label(estimator)
        hooks.append(ProgressHook(num_steps=steps, file=file, desc=desc))
    with lock_model_dir(estimator.model_dir), stop_on_interrupt(file=file) as stop_hook:
        estimator.train(input_fn=input_fn, steps=steps, hooks=hooks + [stop_hook])
    global_step = int(estimator.get_variable_value("global_step"))
    if stop_hook.interrupted:
        raise TrainingInterrupted(global_step, estimator.model_dir)
    return global_step


def evaluate(estimator, input_fn, checkpoint_path=None):
    """Evaluate and return the metrics as plain Python numbers.

    ``checkpoint_path`` picks a checkpoint other than the newest one.
    """
    result = estimator.evaluate(input_fn=input_fn, checkpoint_path=checkpoint_path)
    return {k: (int(v) if k == "global_step" else float(v)) for k, v in result.items()}


def prediction_classes(predictions):
    """Return the part of a model's predictions that holds the class numbers.

    The canned classifier predicts a dict with ``class_ids`` (int64) and
    ``classes`` (byte strings, e.g. ``[b'7']``), and ``class_ids`` is taken when
    there; the custom CNN predicts the class numbers themselves. Works alike on
    the tensors of a PREDICT graph and on what ``Estimator.predict`` yields.
    """
    if not isinstance(predictions, dict):
        return predictions
    for key in ("class_ids", "classes"):
        if key in predictions:
            return predictions[key]
    raise InputError(f"predictions {sorted(predictions)} hold no 'class_ids' or 'classes'")


def prediction_to_class(prediction):
    """Return one prediction of either model (one item of ``Estimator.predict``) as an int."""
    # astype(int) reads the canned classifier's byte strings (b'7') as well.
    return int(np.squeeze(prediction_classes(prediction)).astype(int))


def predict_classes(estimator, input_fn):
    """Return the predicted class numbers of every example of ``input_fn``, as int64 array."""
    return np.array([prediction_to_class(p) for p in estimator.predict(input_fn=input_fn)],
                    dtype=np.int64)


def progress_label(estimator):
    """Return the progress line's default label: the registry's model name, or the class's."""
    return model_of(estimator) or type(estimator).__name__
