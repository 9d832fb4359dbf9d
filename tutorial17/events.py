"""Training curves read back from a model directory's event files, the ones TensorBoard shows.

An Estimator writes its training summaries (``loss``, ``global_step/sec``, and
for the canned classes ``average_loss`` too) to ``events.out.tfevents.*`` files
in its model directory, every ``save_summary_steps`` steps of the RunConfig (100
unless set otherwise), and each ``evaluate`` writes its metrics (``accuracy``,
``loss``, ...) at the evaluated checkpoint's global step to ``<model_dir>/eval/``.
A cluster's chief and evaluator write the same files. They are read here with
TensorFlow's own reader, ``tf.train.summary_iterator``.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow.compat.v1 as tf

from .errors import NoEventsError

EVENT_FILE_GLOB = "events.out.tfevents.*"
EVAL_DIR = "eval"
"""Where ``Estimator.evaluate`` writes its metrics, under the model directory."""

LOSS_TAG = "loss"
ACCURACY_TAG = "accuracy"


def event_files(event_dir):
    """Return the event files directly in ``event_dir``, oldest first."""
    return sorted(Path(event_dir).glob(EVENT_FILE_GLOB),
                  key=lambda path: (_file_time(path), path.name))


def _file_time(path):
    """Return the creation time written into an event file's name, 0 if it has none."""
    try:
        return int(path.name[len("events.out.tfevents."):].split(".", 1)[0])
    except ValueError:
        return 0


def _number(value):
    """Return a summary value as a float, or None if it is not one number.

    TensorFlow 1 style summaries store ``simple_value``; TensorFlow 2 style ones
    a scalar tensor (and the Estimator's evaluation the checkpoint path, a string).
    """
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    if kind == "tensor":
        array = tf.make_ndarray(value.tensor)
        if array.size == 1 and np.issubdtype(array.dtype, np.number):
            return float(array.reshape(()))
    return None


def read_scalars(event_dir):
    """Return ``{tag: (steps, values)}`` of every scalar in the event files of ``event_dir``.

    Steps come sorted, once each. A run that continued from an earlier
    checkpoint logs ``SessionLog.START`` at its first step: older points from
    that step on belong to a run that was cut short, and are dropped, as
    TensorBoard drops them. Subdirectories are not read.
    """
    points = {}  # tag -> {step: value}
    for path in event_files(event_dir):
        for event in tf.train.summary_iterator(str(path)):
            if event.HasField("session_log") and event.session_log.status == \
                    tf.SessionLog.START:
                for by_step in points.values():
                    for step in [s for s in by_step if s >= event.step]:
                        del by_step[step]
            for value in event.summary.value:
                number = _number(value)
                if number is not None:
                    points.setdefault(value.tag, {})[int(event.step)] = number
    return {tag: (np.array(sorted(by_step), dtype=np.int64),
                  np.array([by_step[s] for s in sorted(by_step)], dtype=np.float64))
            for tag, by_step in points.items() if by_step}


@dataclass(frozen=True)
class TrainingCurves:
    """What a model directory's event files hold: the training and evaluation scalars.

    ``train`` and ``eval`` map each tag to ``(steps, values)`` arrays; ``eval``
    is empty when the model was never evaluated.
    """

    model_dir: Path
    train: dict
    eval: dict

    @property
    def loss(self):
        """Return the training loss as ``(steps, values)``."""
        return self.train[LOSS_TAG]

    @property
    def accuracy(self):
        """Return the evaluation accuracy as ``(steps, values)``, or None if never evaluated."""
        return self.eval.get(ACCURACY_TAG)


def training_curves(model_dir):
    """Return the :class:`TrainingCurves` of ``model_dir``.

    Raises :class:`~tutorial17.errors.NoEventsError` when the directory holds
    no training loss yet (nothing trained there, or not a model directory).
    """
    model_dir = Path(model_dir)
    train = read_scalars(model_dir) if model_dir.is_dir() else {}
    if LOSS_TAG not in train:
        if not model_dir.is_dir():
            problem = "no such directory"
        elif not event_files(model_dir):
            problem = "no event files in it"
        else:
            problem = "its event files hold no training loss"
        raise NoEventsError(f"{model_dir}: {problem}; train a model there first (the Estimator "
                            "writes its summaries into its model directory)")
    return TrainingCurves(model_dir=model_dir, train=train,
                          eval=read_scalars(model_dir / EVAL_DIR))


def find_event_dirs(root):
    """Return every directory under ``root`` (itself included) that holds event files."""
    root = Path(root)
    return sorted({path.parent for path in root.rglob(EVENT_FILE_GLOB)})
