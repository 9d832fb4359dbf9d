"""tutorial17: TensorFlow Tutorial #17 (the Estimator API) as a tested package.

Importing it keeps TensorFlow quiet (see :mod:`tutorial17._runtime.verbosity`); set
``TUTORIAL17_VERBOSE=1`` for TensorFlow's full logging.
"""

import sys

SUPPORTED_PYTHONS = ((3, 9), (3, 10), (3, 11))
# Python 3.7 runs the original stack, TensorFlow 1.15 (environment-tf1.yml; docs/tf1.md).
TF1_PYTHONS = ((3, 7),)
if sys.version_info[:2] not in SUPPORTED_PYTHONS + TF1_PYTHONS:
    raise ImportError(
        f"tutorial17 needs Python 3.9, 3.10 or 3.11 (TensorFlow 2.15, the last release with "
        f"tf.estimator, has no wheels for others), or 3.7 for TensorFlow 1.15; "
        f"this is Python {sys.version.split()[0]}")

from ._runtime import verbosity as _verbosity  # noqa: E402

_verbosity.set_cpp_log_level_default()  # must happen before TensorFlow is imported
_verbosity.import_tensorflow_quietly()

from ._runtime.verbosity import quiet, verbose  # noqa: E402
from .data import img_shape, img_size, img_size_flat, num_channels, num_classes, read_data_sets  # noqa: E402
from .errors import CheckpointMismatchError, DataError, InputError, Tutorial17Error  # noqa: E402
from .notebook import SMOKE_DATA_ARGS, SMOKE_STEPS, smoke_mode  # noqa: E402
from .predictor import Predictor  # noqa: E402

__version__ = "0.1.0"

if not _verbosity.wants_verbose():
    quiet()

__all__ = [
    "read_data_sets", "img_size", "img_size_flat", "img_shape", "num_channels", "num_classes",
    "Tutorial17Error", "DataError", "InputError", "CheckpointMismatchError",
    "quiet", "verbose", "smoke_mode", "SMOKE_DATA_ARGS", "SMOKE_STEPS", "__version__",
    "Predictor",
]
