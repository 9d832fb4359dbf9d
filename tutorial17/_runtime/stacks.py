"""The TensorFlow stacks tutorial17 runs on, and the checks ``import tutorial17`` makes of them.

Three stacks run the same code (``import tensorflow.compat.v1 as tf``):

- TensorFlow 1.15 on Python 3.7: the original stack (docs/tf1.md);
- TensorFlow 2.15.1 on Python 3.9-3.11: the reference stack, the last release
  that ships ``tf.estimator``;
- TensorFlow 2.21.0 with ``tf-keras`` and ``tensorflow-estimator`` 2.15.0 on
  Python 3.12-3.13, through the estimator bridge (:mod:`.bridge`, docs/python-versions.md).

Those are the project's own, locked stacks. Installed into an environment that has
another TensorFlow (Colab, Kaggle, a user's own), the package runs on any release from
2.15.1 on: 2.16-2.21 through the same bridge, each with the ``tf-keras`` of its release
(``make test-matrix`` checks each). :func:`check_installed_stack` says in one line what
such an environment lacks before TensorFlow is imported.

This module holds the table of supported versions and those checks; :mod:`.bridge` gives
TensorFlow >= 2.16 its ``tf.estimator``; :mod:`.report` says what runs (version, build,
devices). The differences between the releases in what the package calls:

- build information: ``tf.sysconfig.get_build_info`` (CUDA and cuDNN versions,
  compute capabilities) is new in TF 2.3; TF 1.15 only says whether it is a CUDA build
  (:mod:`.report`).
- devices: ``tf.config.list_physical_devices`` is new in TF 2.1; the
  ``experimental`` name used in :mod:`.report` exists in all three.
- canned ``DNNClassifier`` predictions: all give ``class_ids`` (int64) and
  ``classes`` (byte strings); :func:`tutorial17.workflow.prediction_to_class`
  reads either.
- log noise: TF 1.15 logs ``tf.layers`` deprecations through ``tf.logging``,
  TF 2.x also raises Keras legacy-layer UserWarnings; :func:`tutorial17.quiet`
  silences both.
- unknown dimensions: TF 1.15 gives ``Dimension(None)``, TF 2 ``None``;
  :func:`tutorial17.weights.layer_tensor` reads them with ``tf.dimension_value``.

A TF 2-only name is used only behind a guard (``if``/``try``) on a line marked
``# tf2-only: <reason>``; see docs/tf1.md.

This module must not import TensorFlow: the package runs its checks before TensorFlow loads.
"""

import importlib.util
import sys

from ..errors import UnsupportedStackError

# Python versions and the TensorFlow each gets; pyproject.toml, the Makefile and
# environment.yml agree with this table (tests/runtime/test_stacks.py checks them).
REFERENCE_PYTHONS = ((3, 9), (3, 10), (3, 11))   # TensorFlow 2.15.1
BRIDGED_PYTHONS = ((3, 12), (3, 13))             # TensorFlow 2.21.0 + the estimator bridge
SUPPORTED_PYTHONS = REFERENCE_PYTHONS + BRIDGED_PYTHONS
TF1_PYTHONS = ((3, 7),)                          # TensorFlow 1.15 (environment-tf1.yml)
REFERENCE_TF = "2.15.1"
BRIDGED_TF = "2.21.0"
# The oldest release without tf.estimator: from here on the bridge supplies it.
FIRST_TF_WITHOUT_ESTIMATOR = (2, 16)
# The newest release checked by the matrix (scripts/tf_matrix.py, docs/python-versions.md): a
# newer one gets one warning line at import and is used all the same.
NEWEST_VERIFIED_TF = (2, 21)
# TensorFlow 2.20 and older write graphs with text_format.MessageToString(float_format=...),
# which protobuf 7 removed (6.33 still has it): training would fail at its first checkpoint.
# 2.16-2.19 cap protobuf below 5 or 6 themselves; 2.20 declares only protobuf>=5.28, so pip
# picks 7. With protobuf 5.29 (Colab's) and 6.33, 2.20 runs the walkthrough.
FIRST_PROTOBUF_WITHOUT_FLOAT_FORMAT = (7, 0)
FIRST_TF_FOR_PROTOBUF_7 = (2, 21)
PROTOBUF_FIX = 'pip install "protobuf<7"'
RESTART_TEXT = "then restart Python (in a notebook: restart the kernel or runtime)"

SUPPORTED_TEXT = (f"supported: TensorFlow {REFERENCE_TF} on Python 3.9-3.11, TensorFlow "
                  f"{BRIDGED_TF} with tf-keras and tensorflow-estimator 2.15.0 "
                  f"on Python 3.12-3.13, TensorFlow 1.15 on Python 3.7")
GET_PYTHON_TEXT = ("get one with `uv python install 3.12`, `pyenv install 3.12`, or your "
                   "distribution's python3.12 package")


def check_python(version=None):
    """Raise :class:`UnsupportedStackError` unless this Python has a supported stack."""
    version = tuple(version or sys.version_info[:2])
    if version in SUPPORTED_PYTHONS + TF1_PYTHONS:
        return
    raise UnsupportedStackError(
        f"tutorial17 does not run on Python {version[0]}.{version[1]} (no TensorFlow with "
        f"tf.estimator has wheels for it); Python 3.9-3.13 are supported "
        f"(3.7 for TensorFlow 1.15): {GET_PYTHON_TEXT}")


def report_unsupported_in_one_line(error):
    """Make an uncaught :class:`UnsupportedStackError` print as one line, not a traceback.

    In a script, through ``sys.excepthook``, chained to the previous hook for every other
    exception; in IPython and Jupyter (Colab, Kaggle), which do not use that hook, through
    IPython's handler for this one exception class, when no other handler is set there.
    """
    if not isinstance(error, UnsupportedStackError):
        return
    _report_in_ipython()
    previous = sys.excepthook

    def hook(kind, value, traceback):
        if isinstance(value, UnsupportedStackError):
            print(f"error: {value}", file=sys.stderr)
        else:
            previous(kind, value, traceback)

    sys.excepthook = hook


def _report_in_ipython():
    """Show :class:`UnsupportedStackError` as one ``error:`` line in a running IPython kernel."""
    ipython_module = sys.modules.get("IPython")
    shell = ipython_module.get_ipython() if ipython_module else None
    if shell is None or shell.custom_exceptions not in ((), (UnsupportedStackError,)):
        return

    def one_line(shell, kind, value, traceback, tb_offset=None):
        # An error output whose whole traceback is this line (IPython ignores the return value).
        shell._showtraceback(kind, value, [f"error: {value}"])

    shell.set_custom_exc((UnsupportedStackError,), one_line)


def parse_version(text):
    """Return ``(major, minor)`` of a version text such as ``"2.21.0"`` or ``"2.22.0rc0"``."""
    parts = text.split(".")
    return int(parts[0]), int("".join(c for c in parts[1] if c.isdigit()) or 0)


def installed_tensorflow_version():
    """Return the installed TensorFlow's version text, read without importing it, or None.

    Under whichever name it was installed: Colab's, Kaggle's and PyPI's ``tensorflow``, or
    ``tensorflow-cpu`` and the others, which pip does not count as ``tensorflow``.
    """
    for dist in ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos",
                 "tensorflow-intel", "tf-nightly"):
        version = installed_version(dist)
        if version is not None:
            return version
    return None


def installed_version(distribution):
    """Return an installed distribution's version text, read from its metadata, or None.

    None on Python 3.7 (the TensorFlow 1.15 stack, which needs no bridge): no metadata there.
    """
    try:
        from importlib import metadata
    except ImportError:
        return None
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def module_installed(name):
    """Tell whether a top-level module can be imported, without importing it."""
    if name in sys.modules:
        return sys.modules[name] is not None
    return importlib.util.find_spec(name) is not None


def stack_problem(tf_version, protobuf_version, has_tf_keras):
    """Return, in one line, why this TensorFlow stack cannot run the package and the fix; or None.

    Decided from versions alone, before TensorFlow is imported, so the line comes first
    instead of a failure deep inside TensorFlow later.
    """
    if tf_version is None or not needs_bridge(tf_version):
        return None
    minor = ".".join(str(n) for n in parse_version(tf_version))
    if not has_tf_keras:
        return (f"TensorFlow {tf_version} comes with Keras 3, which has no tf.compat.v1.layers "
                f"and no canned estimators; tutorial17 needs Keras 2, the tf-keras package of "
                f'the same release: pip install "tf-keras~={minor}.0", {RESTART_TEXT}')
    if (protobuf_version is not None
            and parse_version(protobuf_version) >= FIRST_PROTOBUF_WITHOUT_FLOAT_FORMAT
            and parse_version(tf_version) < FIRST_TF_FOR_PROTOBUF_7):
        return (f"TensorFlow {tf_version} cannot save checkpoints with protobuf "
                f"{protobuf_version} (TensorFlow 2.21 is the first to support protobuf 7): "
                f"{PROTOBUF_FIX}, {RESTART_TEXT}")
    return None


def newer_than_verified_text(tf_version):
    """Return the one warning line for a TensorFlow newer than the newest verified, or None."""
    if tf_version is None or parse_version(tf_version) <= NEWEST_VERIFIED_TF:
        return None
    newest = ".".join(str(n) for n in NEWEST_VERIFIED_TF)
    return (f"warning: tutorial17 was checked with TensorFlow 2.15 to {newest}; TensorFlow "
            f"{tf_version} is newer and is used all the same: if the estimator bridge fails, "
            f"install {BRIDGED_TF} (pip install \"tensorflow=={BRIDGED_TF}\" "
            f"\"tf-keras=={BRIDGED_TF}\")")


def check_installed_stack():
    """Check the installed TensorFlow, its Keras 2 and protobuf before TensorFlow is imported.

    Raises :class:`UnsupportedStackError` in one line naming the fix for a stack known to
    fail; prints one warning line on stderr for a TensorFlow newer than the newest verified.
    """
    tf_version = installed_tensorflow_version()
    problem = stack_problem(tf_version, installed_version("protobuf"),
                            module_installed("tf_keras"))
    if problem:
        raise UnsupportedStackError(problem)
    warning = newer_than_verified_text(tf_version)
    if warning:
        print(warning, file=sys.stderr)


def needs_bridge(version_text):
    """Tell whether a TensorFlow no longer ships ``tf.estimator`` (2.16 and later)."""
    return version_text is not None and parse_version(version_text) >= FIRST_TF_WITHOUT_ESTIMATOR
