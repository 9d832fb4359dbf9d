"""Quiet by default: TensorFlow's INFO lines, deprecation notices and C++ log noise.

Importing the package sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless already set or
``TUTORIAL17_VERBOSE=1``) before TensorFlow loads, which hides the C++ INFO and
WARNING lines while C++ errors still show. :func:`quiet` then turns down the
Python side. Level 3 hides C++ errors too: offer it only when asked.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings

VERBOSE_ENV = "TUTORIAL17_VERBOSE"
CPP_LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
DEFAULT_CPP_LOG_LEVEL = "2"


def wants_verbose():
    """Return True when ``TUTORIAL17_VERBOSE`` asks for TensorFlow's full logging."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def set_cpp_log_level_default():
    """Set the C++ log level before TensorFlow is imported, respecting the user's choice."""
    if not wants_verbose():
        os.environ.setdefault(CPP_LOG_LEVEL_ENV, DEFAULT_CPP_LOG_LEVEL)


# Printed by TensorFlow's start-up at "error" level, GPU or not, and harmless: the CUDA
# build of 2.15 registers its factories twice; 2.16-2.21 (the bridged releases) log before
# absl is set up, whatever TF_CPP_MIN_LOG_LEVEL says, report a machine without an NVIDIA
# driver (`python -m tutorial17 info` lists the devices TensorFlow does find), and 2.20 says
# at its first session run that an MLIR pass is off (the bridge runs that session at import);
# 2.19 warns four times that its XLA computation placer is registered twice.
# make test-matrix checks every release's start-up against this list.
SPURIOUS_START_UP_LINES = re.compile(
    r"Unable to register (cuDNN|cuFFT|cuBLAS) factory: Attempting to register factory"
    r"|All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine"
    r"|failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR \(303\)"
    r"|mlir_graph_optimization_pass\.cc:\d+\] MLIR V1 optimization pass is not enabled"
    r"|oneDNN custom operations are on"
    r"|computation_placer\.cc:\d+\] computation placer already registered")


@contextlib.contextmanager
def spurious_start_up_lines_dropped():
    """Run the block with TensorFlow's known-spurious start-up lines dropped from stderr.

    Every other line printed meanwhile (a real error, say) is passed on. Does
    nothing special when the user asked for verbose output.
    """
    if wants_verbose():
        yield
        return
    try:
        sys.stderr.flush()
        saved_fd = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some embedded interpreters)
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines(True)
                    if not SPURIOUS_START_UP_LINES.search(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def quiet(cpp_errors_too=False):
    """Silence TensorFlow's INFO lines, deprecation warnings and Keras legacy-layer warnings.

    Real errors still raise and still print. ``cpp_errors_too=True`` also sets
    ``TF_CPP_MIN_LOG_LEVEL=3`` (hides C++ errors: use with care); the C++ level
    only takes effect if set before TensorFlow is first imported.
    """
    if cpp_errors_too:
        os.environ[CPP_LOG_LEVEL_ENV] = "3"
    import tensorflow.compat.v1 as tf

    tf.logging.set_verbosity(tf.logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    # tf.layers in 2.15 are Keras 2 legacy layers, and warn about it on every call.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"keras(\.|$)")
    warnings.filterwarnings("ignore", message=r".*tf\.layers.*", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"tensorflow")
    # TensorFlow 2.16-2.20 save checkpoints with protobuf's float_format, which protobuf 6
    # warns about on every save (7 refuses it: the import-time stack check says so).
    warnings.filterwarnings("ignore", message=r"float_format is deprecated", category=UserWarning)


def verbose():
    """Undo :func:`quiet` on the Python side: TensorFlow logs INFO lines again."""
    import tensorflow.compat.v1 as tf

    tf.logging.set_verbosity(tf.logging.INFO)
    logging.getLogger("tensorflow").setLevel(logging.INFO)
