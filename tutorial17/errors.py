"""The package's own exceptions: one short message saying what is wrong and what to do.

Every exception the package raises on purpose is defined here, each for one kind
of trouble, so callers can catch exactly what they mean to. All but
:class:`TrainingInterrupted` are :class:`Tutorial17Error`, which the command line
turns into one line on stderr and exit status 2; the base class itself is never
raised. ``tests/test_conventions.py`` keeps this promise: it fails when a module
of the package defines an exception elsewhere, raises a built-in exception (a
``ValueError``, a ``RuntimeError``, ...) or the base class, except for the few
cases it lists with their reasons.
"""


class Tutorial17Error(Exception):
    """Base class of every error the package raises on purpose."""


class DataError(Tutorial17Error):
    """A data file that is missing, corrupt, or not in the IDX layout MNIST uses."""


class InputError(Tutorial17Error, ValueError):
    """Arrays of the wrong form, handed to an input function, a model or a helper."""


class CheckpointMismatchError(Tutorial17Error):
    """A checkpoint in a model directory that no longer fits the model's variables."""


class NoCheckpointError(Tutorial17Error):
    """A model directory that holds no checkpoint yet."""


class CheckpointRestoreError(Tutorial17Error):
    """A checkpoint that TensorFlow could not restore into the model's graph (unreadable, say)."""


class PredictorClosedError(Tutorial17Error):
    """A :class:`~tutorial17.Predictor` used after :meth:`~tutorial17.Predictor.close`."""


class NoProbabilitiesError(Tutorial17Error):
    """A model whose predictions hold class numbers only, no probabilities."""


class ModelDirBusyError(Tutorial17Error):
    """A model directory that another process is training into."""


class NoEventsError(Tutorial17Error):
    """A model directory without the event files (summaries) that training writes."""


class TensorBoardError(Tutorial17Error):
    """A TensorBoard server that is not installed or stopped before serving."""


class UsageError(Tutorial17Error):
    """A wrong command-line argument."""


class _NamesParameters:
    """An error whose message names parameters as Python does: ``name=value``.

    ``options`` holds every parameter the message names, ``option`` the first. The
    command line shows the same message with its flags instead (``--name value``,
    a bare ``--name`` for ``name=True``): ``tutorial17.cli.options.flag_message``.
    """

    def __init__(self, message, *options):
        super().__init__(message)
        self.options = options
        self.option = options[0] if options else None


class ArgumentError(_NamesParameters, Tutorial17Error, ValueError):
    """A bad value for a parameter of a package function, named in the message.

    For example ``ArgumentError("port=6006: already in use", "port")``, which the
    command line shows as ``--port 6006: already in use``.
    """


class ClusterError(Tutorial17Error):
    """A failed task of a cluster, or a cluster run that did not finish in time."""


class ClusterConfigError(Tutorial17Error):
    """A missing, malformed or inconsistent ``TF_CONFIG`` (or cluster spec)."""


class ClusterOptionsError(_NamesParameters, ClusterError):
    """Cluster options that rule a run out: fields that cannot go together, or a ``timeout`` hit.

    The message names the fields of ``ClusterOptions`` (or ``TaskOptions``) as
    :class:`ArgumentError` names parameters, ``num_ps=0``, ``mirrored=True``, and
    ``options`` lists them: the command line shows ``--ps 0``, ``--mirrored``.
    """


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on Ctrl-C after saving a checkpoint of ``global_step`` in ``model_dir``.

    A ``KeyboardInterrupt``, so code that already handles Ctrl-C still does.
    """

    def __init__(self, global_step, model_dir):
        super().__init__(f"training stopped at global step {global_step}; checkpoint saved "
                         f"in {model_dir}; train again to continue from it")
        self.global_step = global_step
        self.model_dir = model_dir


class UnsupportedStackError(Tutorial17Error, ImportError):
    """A Python or TensorFlow that cannot run the package; the message names what can."""
