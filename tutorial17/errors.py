"""The package's own exceptions: one short message saying what is wrong and what to do."""


class Tutorial17Error(Exception):
    """Base class of every error the package raises on purpose."""


class DataError(Tutorial17Error):
    """A data file is missing, corrupt, or not in the IDX layout MNIST uses."""


class InputError(Tutorial17Error, ValueError):
    """Arrays handed to an input function, a model or a helper have the wrong form."""


class CheckpointMismatchError(Tutorial17Error):
    """The checkpoint in a model directory no longer fits the model's variables."""


class UnsupportedStackError(Tutorial17Error, ImportError):
    """This Python or TensorFlow cannot run the package; the message names what can."""
