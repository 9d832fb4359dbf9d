"""tutorial17._runtime.verbosity: TensorFlow's noise is silenced, real errors are not."""

import subprocess
import sys

from tutorial17._runtime.verbosity import SPURIOUS_START_UP_LINES

import pytest

# Start-up lines seen with `make test-matrix` (each release's first lines, a machine without GPU).
KNOWN_START_UP_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796191648.1 20995 mlir_graph_optimization_pass.cc:437] MLIR V1 optimization "
    "pass is not enabled",
    "W0000 00:00:1796191648.179376   20995 computation_placer.cc:177] computation placer "
    "already registered. Please check linkage and avoid linking the same target more than once.",
    "E0000 cudart_stub.cc:28] Could not find cuda drivers on your machine, GPU will not be used.",
]


@pytest.mark.parametrize("line", KNOWN_START_UP_LINES)
def test_each_releases_known_start_up_lines_are_dropped(line):
    assert SPURIOUS_START_UP_LINES.search(line)


@pytest.mark.parametrize("line", [
    "E0000 some_kernel.cc:12] Out of memory while allocating the tensor",
    "ValueError: the model directory is not a directory",
])
def test_other_lines_are_kept(line):
    assert not SPURIOUS_START_UP_LINES.search(line)


def run_python(code):
    """Exit status, stdout and stderr of ``python -c code`` in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_quiet_silences_info_and_deprecation_but_not_errors():
    code, _, stderr = run_python(
        "import warnings, tutorial17\n"
        "import tensorflow.compat.v1 as tf\n"
        "tf.logging.info('info noise')\n"
        "tf.logging.warning('deprecation noise')\n"
        "tf.layers.dense(tf.zeros([1, 2]), 3)\n"  # a Keras legacy-layer UserWarning
        "tf.logging.error('a real error')\n"
        "warnings.warn('a warning of the program itself')\n"
        "raise SystemExit(3)\n")  # ran to the end
    assert code == 3, stderr
    assert "ERROR:tensorflow:a real error" in stderr
    assert "a warning of the program itself" in stderr
    assert "noise" not in stderr and "legacy" not in stderr.lower()
    # Python 3.13 also echoes the warning's source line, indented, after it.
    lines = [line for line in stderr.strip().splitlines()
             if line != "  warnings.warn('a warning of the program itself')"]
    assert len(lines) == 2, stderr


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_real_exceptions_still_show_their_message():
    code, _, stderr = run_python(
        "import tutorial17\n"
        "import tensorflow.compat.v1 as tf\n"
        "tf.reshape(tf.zeros([3]), [2, 2])\n")
    assert code == 1
    assert "Traceback" in stderr and "InvalidArgumentError" in stderr
    assert "reshape" in stderr.lower()
