"""tutorial17: TensorFlow Tutorial #17 (the Estimator API) as a tested package.

Importing it keeps TensorFlow quiet (see :mod:`tutorial17._runtime.verbosity`); set
``TUTORIAL17_VERBOSE=1`` for TensorFlow's full logging.
"""

from ._runtime import bridge as _bridge
from ._runtime import stacks as _stacks
from ._runtime import verbosity as _verbosity

try:
    _stacks.check_python()
    _stacks.check_installed_stack()         # tf-keras, protobuf: one line, before TensorFlow
    _verbosity.set_cpp_log_level_default()  # must happen before TensorFlow is imported
    _bridge.prepare_tensorflow_import()     # Keras 2 for tf.layers on TensorFlow >= 2.16
    with _verbosity.spurious_start_up_lines_dropped():
        _bridge.start_tensorflow()          # with tf.compat.v1.estimator on TensorFlow >= 2.16
except ImportError as e:
    _stacks.report_unsupported_in_one_line(e)  # in a script or `python -m tutorial17`
    raise

from ._runtime.verbosity import quiet, verbose  # noqa: E402
from .data import img_shape, img_size, img_size_flat, num_channels, num_classes, read_data_sets  # noqa: E402
from .errors import (  # noqa: E402
    CheckpointMismatchError,
    DataError,
    InputError,
    Tutorial17Error,
    UnsupportedStackError,
)
from .predictor import Predictor  # noqa: E402

__version__ = "0.1.0"

if not _verbosity.wants_verbose():
    quiet()

__all__ = [
    "read_data_sets", "img_size", "img_size_flat", "img_shape", "num_channels", "num_classes",
    "Tutorial17Error", "DataError", "InputError", "CheckpointMismatchError",
    "UnsupportedStackError",
    "quiet", "verbose", "__version__",
    "Predictor",
]

# The notebooks' smoke-mode settings (tutorial17.notebook), which the notebooks and
# docs/notebooks.md read as tutorial17.SMOKE_STEPS and so on: loaded on first use, so that
# `import tutorial17` brings the tutorial's API without the notebook plumbing.
_NOTEBOOK_NAMES = ("SMOKE_DATA_ARGS", "SMOKE_STEPS", "smoke_mode")


def __getattr__(name):
    if name in _NOTEBOOK_NAMES:
        from . import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_NOTEBOOK_NAMES))
