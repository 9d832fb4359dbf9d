"""Fast predictions: one graph, one session, reloaded only when the checkpoint changes.

``Estimator.predict`` builds a new graph and restores the checkpoint on every
call (a few tenths of a second for 9 images). A :class:`Predictor` builds the
model's PREDICT graph once, restores the latest checkpoint once and keeps the
session; before each call it checks cheaply (one ``stat``) whether the model
directory's checkpoint changed and reloads only then.
"""

import os
import threading
import warnings
from pathlib import Path

import numpy as np
import tensorflow.compat.v1 as tf

from ._runtime.staging import staged_directory
from .checkpoints import checkpoint_state_stamp, latest_checkpoint
from .data import img_size_flat
from .errors import (
    CheckpointRestoreError,
    InputError,
    NoCheckpointError,
    NoProbabilitiesError,
    PredictorClosedError,
)
from .validation import check_images
from .workflow import prediction_classes

SIGNATURE_KEY = tf.saved_model.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
INPUT_KEY = "x"
CLASSES_KEY = "classes"
PROBABILITIES_KEY = "probabilities"
MAX_BATCH = 1024
"""Images per ``Session.run``; bounds memory for large arrays."""
FROM_ESTIMATOR = "estimator"
""":attr:`Predictor.source_kind` of one made by :meth:`Predictor.from_estimator`."""
FROM_SAVED_MODEL = "saved_model"
""":attr:`Predictor.source_kind` of one made by :meth:`Predictor.from_saved_model`."""


class Predictor:
    """Predictions of classes (and probabilities where the model gives them) for image arrays.

    Made by one of two named constructors: :meth:`from_estimator` serves the
    latest checkpoint of either model's estimator and follows new checkpoints
    as training writes them; :meth:`from_saved_model` serves a SavedModel
    written by :meth:`export`. ``Predictor(source)`` picks between them by the
    type of ``source`` (an Estimator, or a path). Calls may come from several
    threads. Use as a context manager, or call :meth:`close` when done.
    """

    def __init__(self, source):
        if isinstance(source, (str, os.PathLike)):
            self._open_saved_model(Path(source))
        elif _is_estimator(source):
            self._open_estimator(source)
        else:
            raise InputError(f"Predictor: got {type(source).__name__}, expected an Estimator "
                             "or the directory of a SavedModel")

    @classmethod
    def from_estimator(cls, estimator):
        """Serve the latest checkpoint of ``estimator``'s model directory, following new ones.

        The PREDICT graph is built once from ``estimator.model_fn``; the
        package's estimators first check that the checkpoint fits the model.
        """
        if not _is_estimator(estimator):
            raise InputError(f"Predictor.from_estimator: got {type(estimator).__name__}, "
                             "expected an Estimator; for a path, use from_saved_model")
        predictor = cls.__new__(cls)
        predictor._open_estimator(estimator)
        return predictor

    @classmethod
    def from_saved_model(cls, export_dir):
        """Serve the SavedModel in ``export_dir`` (written by :meth:`export`; it never changes)."""
        if not isinstance(export_dir, (str, os.PathLike)):
            raise InputError(f"Predictor.from_saved_model: got {type(export_dir).__name__}, "
                             "expected a directory's path; for an Estimator use from_estimator")
        predictor = cls.__new__(cls)
        predictor._open_saved_model(Path(export_dir))
        return predictor

    # -- building -----------------------------------------------------------------

    def _start(self, source_kind, model_dir=None):
        """Set what both kinds share; ``model_dir`` is the directory followed, if any."""
        self._source_kind = source_kind
        self._model_dir = model_dir
        self._lock = threading.Lock()
        self._session = None
        self._checkpoint_path = None
        self._state_stamp = None
        self._failed_reload = None
        self._num_restores = 0
        self._graph = tf.Graph()

    def _open_estimator(self, estimator):
        self._start(FROM_ESTIMATOR, estimator.model_dir)
        with self._graph.as_default():
            tf.train.create_global_step()  # as Estimator.predict does; it is in the checkpoint
            self._x = tf.placeholder(tf.float32, [None, img_size_flat], name=INPUT_KEY)
            # The package's estimators check here that the checkpoint fits the model.
            spec = estimator.model_fn({"x": self._x}, None, tf.estimator.ModeKeys.PREDICT,
                                      estimator.config)
            self._classes, self._probabilities = _outputs_of(spec.predictions)
            self._saver = tf.train.Saver(sharded=True)
            self._init_tables = tf.group(tf.local_variables_initializer(),
                                         tf.tables_initializer())
        self._graph.finalize()  # nothing may add ops (and leak memory) from here on
        path = self._read_checkpoint_state()
        if path is None:
            raise NoCheckpointError(f"no checkpoint in {self._model_dir}; train the model first")
        try:
            self._session = self._restore(path)
        except (tf.errors.OpError, ValueError) as e:
            raise CheckpointRestoreError(f"Predictor: could not restore {path}: "
                                         f"{_first_line(e)}") from None

    def _open_saved_model(self, export_dir):
        self._start(FROM_SAVED_MODEL)
        if not (export_dir / "saved_model.pb").is_file():
            raise InputError(f"Predictor: {export_dir} holds no SavedModel (saved_model.pb); "
                             "pass an estimator or a directory written by Predictor.export")
        session = tf.Session(graph=self._graph)
        with self._graph.as_default():
            meta = tf.saved_model.loader.load(session, [tf.saved_model.tag_constants.SERVING],
                                              str(export_dir))
            signature = meta.signature_def.get(SIGNATURE_KEY)
            if signature is None or INPUT_KEY not in signature.inputs \
                    or CLASSES_KEY not in signature.outputs:
                session.close()
                raise InputError(f"Predictor: {export_dir} has no '{SIGNATURE_KEY}' signature "
                                 f"with input '{INPUT_KEY}' and output '{CLASSES_KEY}'")
            self._x = self._graph.get_tensor_by_name(signature.inputs[INPUT_KEY].name)
            self._classes = self._graph.get_tensor_by_name(signature.outputs[CLASSES_KEY].name)
            probabilities = signature.outputs.get(PROBABILITIES_KEY)
            self._probabilities = (self._graph.get_tensor_by_name(probabilities.name)
                                   if probabilities is not None else None)
            self._saver = tf.train.Saver(sharded=True)  # for export()
        self._graph.finalize()
        self._session = session
        self._checkpoint_path = str(export_dir)
        self._num_restores = 1

    # -- following the checkpoint --------------------------------------------------

    def _read_checkpoint_state(self):
        """Read the state file once; return the latest checkpoint path it names."""
        self._state_stamp = checkpoint_state_stamp(self._model_dir)
        return latest_checkpoint(self._model_dir)

    def _restore(self, path):
        """Return a new session holding the variables of checkpoint ``path``."""
        session = tf.Session(graph=self._graph)
        try:
            with self._graph.as_default():  # or Saver takes the eager path
                self._saver.restore(session, path)
            session.run(self._init_tables)
        except BaseException:
            session.close()
            raise
        self._checkpoint_path = path
        self._num_restores += 1
        return session

    def _maybe_reload(self):
        """Swap in the latest checkpoint if the state file changed; called under the lock.

        The checkpoint is restored into a new session, and the old one is kept
        if that fails (say a checkpoint removed by ``keep_checkpoint_max`` just
        after it was named): every answer comes from one complete checkpoint.
        """
        if self._source_kind == FROM_SAVED_MODEL \
                or checkpoint_state_stamp(self._model_dir) == self._state_stamp:
            return
        path = self._read_checkpoint_state()
        if path is None or path == self._checkpoint_path or path == self._failed_reload:
            return
        try:
            session = self._restore(path)
        except (tf.errors.OpError, ValueError) as e:
            self._failed_reload = path  # try again only once the state file names another
            warnings.warn(f"Predictor: could not restore {path} ({_first_line(e)}); "
                          f"still serving {self._checkpoint_path}", RuntimeWarning, stacklevel=4)
            return
        old, self._session, self._failed_reload = self._session, session, None
        old.close()

    def _run(self, fetch, images, batch=MAX_BATCH):
        """Run ``fetch`` for the checked ``images``, all from the same checkpoint.

        In batches of ``batch`` images, or in one run when ``batch`` is None.
        """
        x = check_images(images)
        with self._lock:
            self._check_open()
            self._maybe_reload()
            if batch is None:
                return self._session.run(fetch, {self._x: x})
            parts = [self._session.run(fetch, {self._x: x[i:i + batch]})
                     for i in range(0, len(x), batch)]
        return np.concatenate(parts)

    # -- public API --------------------------------------------------------------------

    def predict(self, images):
        """Return the predicted class numbers, an int64 array of shape (N,).

        ``images``: float pixels in [0, 1], shape (N, 784) or (N, 28, 28).
        """
        return self._run(self._classes, images)

    def predict_proba(self, images):
        """Return the class probabilities, a float32 array of shape (N, 10).

        The canned DNNClassifier gives them; the walkthrough's CNN returns only
        class numbers from its PREDICT mode and raises NoProbabilitiesError here.
        """
        if self._probabilities is None:
            raise NoProbabilitiesError(
                "predict_proba: this model's predictions are class numbers only (the "
                "walkthrough's CNN returns argmax in PREDICT mode); use predict(), or "
                "return the softmax as well from your model_fn")
        return self._run(self._probabilities, images)

    def predict_unchecked(self, images):
        """Return the class numbers of one batch from a single ``Session.run``.

        No input check, no look for a newer checkpoint, no batching (only the
        lock that keeps it apart from :meth:`close`): ``images`` must already be
        float32 of shape (N, 784). The floor under :meth:`predict`, which
        ``benchmarks/predict_latency.py`` times; use :meth:`predict` otherwise.
        """
        with self._lock:
            self._check_open()
            return self._session.run(self._classes, {self._x: images})

    @property
    def source_kind(self):
        """``"estimator"`` (follows its model directory) or ``"saved_model"`` (fixed)."""
        return self._source_kind

    @property
    def has_probabilities(self):
        """True when :meth:`predict_proba` works for this model."""
        return self._probabilities is not None

    @property
    def checkpoint_path(self):
        """The checkpoint (or SavedModel directory) the answers come from."""
        return self._checkpoint_path

    @property
    def num_restores(self):
        """How many times a checkpoint was restored (1 until training writes a new one)."""
        return self._num_restores

    @property
    def graph(self):
        """The prediction graph (finalized), e.g. to find a layer's tensor by name."""
        return self._graph

    def run(self, tensors, images):
        """Evaluate any tensors of the prediction graph (names or Tensors) for ``images``.

        With the same checkpoint as :meth:`predict`; used for layer outputs.
        """
        return self._run(tensors, images, batch=None)

    def export(self, export_dir):
        """Write the current model as a SavedModel to ``export_dir``; return its path.

        ``export_dir`` must not exist yet (or be empty): nothing is overwritten.
        The model is written to a temporary directory next to it and renamed into
        place, so a failed export leaves no half-written SavedModel behind.
        Signature ``serving_default``: input ``x`` (N, 784) float32, outputs
        ``classes`` (N,) int64 and, where the model gives them, ``probabilities``.
        """
        outputs = {CLASSES_KEY: self._classes}
        if self._probabilities is not None:
            outputs[PROBABILITIES_KEY] = self._probabilities
        with staged_directory(export_dir, "export") as staging, self._lock, \
                self._graph.as_default():
            self._check_open()
            self._maybe_reload()
            signature = tf.saved_model.signature_def_utils.predict_signature_def(
                inputs={INPUT_KEY: self._x}, outputs=outputs)
            builder = tf.saved_model.builder.SavedModelBuilder(str(staging))
            builder.add_meta_graph_and_variables(
                self._session, [tf.saved_model.tag_constants.SERVING],
                signature_def_map={SIGNATURE_KEY: signature}, saver=self._saver,
                strip_default_attrs=True)
            builder.save()
        return Path(export_dir)

    def _check_open(self):
        """Raise PredictorClosedError after :meth:`close`; called under the lock."""
        if self._session is None:
            raise PredictorClosedError("Predictor: closed; make a new one to predict again")

    def close(self):
        """Release the session. Further calls raise PredictorClosedError."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return f"Predictor({self._checkpoint_path!r})"


def _is_estimator(source):
    """Tell a ``tf.estimator.Estimator`` (anything with its model_fn and config) from a path."""
    return hasattr(source, "model_fn") and hasattr(source, "config")


def _outputs_of(predictions):
    """Return (classes as int64 (N,), probabilities or None) of an EstimatorSpec's predictions.

    The canned DNNClassifier gives a dict with ``class_ids`` (N, 1) and
    ``probabilities``; the walkthrough's CNN gives the class-number tensor itself.
    """
    classes = prediction_classes(predictions)
    probabilities = None
    if isinstance(predictions, dict):
        if not classes.dtype.is_integer:
            raise InputError(f"Predictor: predictions {sorted(predictions)} hold no integer "
                             "'class_ids' or 'classes'")
        probabilities = predictions.get("probabilities")
    # (N, 1) class_ids and (N,) class numbers alike become (N,).
    classes = tf.cast(tf.reshape(classes, [-1]), tf.int64, name="classes")
    return classes, probabilities


def _first_line(error):
    """Return the first line of a TensorFlow error, without its wall of text."""
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
