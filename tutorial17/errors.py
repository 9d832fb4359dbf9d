"""The package's own exceptions: one short message saying what is wrong and what to do.

Every exception the package raises on purpose is defined here. All but
:class:`TrainingInterrupted` are :class:`Tutorial17Error`, which the command line
turns into one line on stderr and exit status 2.
"""


class Tutorial17Error(Exception):
    """Base class of every error the package raises on purpose."""


class DataError(Tutorial17Error):
    """A data file is missing, corrupt, or not in the IDX layout MNIST uses."""


class InputError(Tutorial17Error, ValueError):
    """Arrays handed to an input function, a model or a helper have the wrong form."""


class CheckpointMismatchError(Tutorial17Error):
    """The checkpoint in a model directory no longer fits the model's variables."""


class NoCheckpointError(Tutorial17Error):
    """A model directory holds no checkpoint yet."""


class NoProbabilitiesError(Tutorial17Error):
    """The model's predictions hold class numbers only."""


class ModelDirBusyError(Tutorial17Error):
    """Another process is training into this model directory."""


class UsageError(Tutorial17Error):
    """A command-line argument is wrong."""


class ClusterError(Tutorial17Error):
    """A task of the local cluster failed, or the cluster did not finish in time."""


class ClusterConfigError(Tutorial17Error):
    """``TF_CONFIG`` is missing, malformed or inconsistent."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on Ctrl-C after saving a checkpoint of ``global_step`` in ``model_dir``.

    A ``KeyboardInterrupt``, so code that already handles Ctrl-C still does.
    """

    def __init__(self, global_step, model_dir):
        super().__init__(f"training stopped at global step {global_step}; checkpoint saved "
                         f"in {model_dir}; train again to continue from it")
        self.global_step = global_step
        self.model_dir = model_dir
