"""Where the TensorFlow releases tutorial17 runs on differ, and the estimator bridge for 2.16+.

Three stacks run the same code (``import tensorflow.compat.v1 as tf``):

- TensorFlow 1.15 on Python 3.7: the original stack (docs/tf1.md);
- TensorFlow 2.15.1 on Python 3.9-3.11: the reference stack, the last release
  that ships ``tf.estimator``;
- TensorFlow 2.21.0 with ``tf-keras`` and ``tensorflow-estimator`` 2.15.0 on
  Python 3.12-3.13, through the estimator bridge below (docs/python-versions.md).

Those are the project's own, locked stacks. Installed into an environment that has
another TensorFlow (Colab, Kaggle, a user's own), the package runs on any release from
2.15.1 on: 2.16-2.21 through the same bridge, each with the ``tf-keras`` of its release
(``make test-matrix`` checks each). :func:`check_installed_stack` says in one line what
such an environment lacks before TensorFlow is imported.

Everything that depends on which of them runs lives in this module. The
differences in what the package calls:

- build information: ``tf.sysconfig.get_build_info`` (CUDA and cuDNN versions,
  compute capabilities) is new in TF 2.3; TF 1.15 only says whether it is a CUDA build.
- devices: ``tf.config.list_physical_devices`` is new in TF 2.1; the
  ``experimental`` name used here exists in all three.
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

This module must not import TensorFlow when it is itself imported: the package
calls :func:`prepare_tensorflow_import` before TensorFlow loads.
"""

import importlib
import importlib.util
import os
import sys
import types

from ..errors import UnsupportedStackError

# Python versions and the TensorFlow each gets; pyproject.toml, the Makefile and
# environment.yml agree with this table (tests/runtime/test_tfcompat.py checks them).
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

CPU_ONLY = "no (CPU-only build)"

# tf.compat.v1.layers and the canned estimators need Keras 2: on TF >= 2.16 that is the
# tf-keras package, chosen by this variable, which TensorFlow reads when it is imported.
LEGACY_KERAS_ENV = "TF_USE_LEGACY_KERAS"

# What tensorflow_estimator 2.15.0 imports from TensorFlow and TF 2.16 removed.
COORDINATOR_MODULE = "tensorflow.python.distribute.estimator_training"
TPU_MODULES = ("tensorflow.python.tpu.session_support",
               "tensorflow.python.tpu.tpu_embedding",
               "tensorflow.python.tpu.tpu_embedding_gradient")
ESTIMATOR_V1_API = "tensorflow_estimator.python.estimator.api._v1.estimator"
ESTIMATOR_V2_API = "tensorflow_estimator.python.estimator.api._v2.estimator"


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


def prepare_tensorflow_import():
    """Set what must be set before TensorFlow is first imported (Keras 2 on TF >= 2.16).

    Does nothing on TensorFlow 1.15 and 2.15, whose ``tf.layers`` come with them.
    """
    if needs_bridge(installed_tensorflow_version()):
        os.environ[LEGACY_KERAS_ENV] = "1"


def start_tensorflow():
    """Import TensorFlow with ``tf.compat.v1.estimator`` in place, on any supported stack.

    On TF >= 2.16 this also lists the devices and runs one tiny session, so that the
    driver's start-up lines and those of the first session run print now, while
    :mod:`tutorial17._runtime.verbosity` drops the spurious ones, rather than in the middle
    of the first training run.
    """
    imported_before = "tensorflow" in sys.modules
    import tensorflow as tf_root

    bridged = needs_bridge(tf_root.__version__)
    if bridged:  # Keras 3 already in use: say so before the estimator's import trips on it
        _refuse_keras_3(tf_root, imported_before)
    install_estimator_bridge()
    if bridged:
        _refuse_keras_3(tf_root, imported_before)
        tf_root.config.list_physical_devices()  # tf2-only: the bridged stack's start-up lines
        _run_first_session(tf_root.compat.v1)


def _run_first_session(tf):
    """Run one tiny graph now, so the lines TensorFlow prints at its first session run print now.

    TensorFlow 2.20 prints absl's "All log messages before absl::InitializeLog()" notice and
    "MLIR V1 optimization pass is not enabled" once per process, at the first session run;
    run here, inside the start-up filter, they are dropped instead of showing in training.
    """
    with tf.Graph().as_default() as graph:
        total = tf.constant(1.0) + 1.0
        with tf.Session(graph=graph) as session:
            session.run(total)


def _refuse_keras_3(tf_root, imported_before):
    problem = keras_choice_problem(tf_root.__version__, keras_choices(tf_root), imported_before)
    if problem:
        raise UnsupportedStackError(problem)


def keras_choices(tf_root):
    """Return which Keras TensorFlow's lazy ``tf.keras`` loaders picked, for those that picked.

    On TF >= 2.16, ``tf.keras`` and ``tf.compat.v1.layers`` are loaders that read
    ``TF_USE_LEGACY_KERAS`` when first used, record ``"tf_keras"`` or ``"keras_3"``, and
    then give way to the module they loaded. Read without using them (an unused loader has
    not picked yet).
    """
    choices = {}
    for name, loader in (("tf.keras", getattr(tf_root, "keras", None)),
                         ("tf.compat.v1.layers", getattr(tf_root.compat.v1, "layers", None))):
        if not isinstance(loader, types.ModuleType):
            continue
        state = vars(loader)  # not getattr: that would make a loader pick
        if "_tfll_initialized" in state:  # still the loader: its choice, once made
            choice = state.get("_tfll_keras_version")
        else:  # once used, the loader puts the module it loaded in its place
            choice = _keras_of_module(loader.__name__)
        if choice is not None:
            choices[name] = choice
    return choices


def _keras_of_module(name):
    """Tell which Keras a module loaded for ``tf.keras`` belongs to, from its name."""
    if name.startswith("tf_keras"):
        return "tf_keras"
    if name.startswith("keras._tf_keras"):  # Keras 3's tf.keras namespace
        return "keras_3"
    return "keras_2" if name.startswith("keras") else None  # keras 2.15: TF 2.15's own


def keras_choice_problem(tf_version, choices, imported_before):
    """Return the one line for a TensorFlow that picked Keras 3 for its TF1 layers, or None.

    ``choices`` is :func:`keras_choices`; ``imported_before`` tells whether TensorFlow
    was imported before tutorial17, the usual way to get there.
    """
    keras_3 = sorted(name for name, choice in choices.items() if choice == "keras_3")
    if not keras_3:
        return None
    why = ("TensorFlow was imported, and its Keras used, before tutorial17"
           if imported_before else f"{LEGACY_KERAS_ENV} was not in effect")
    return (f"TensorFlow {tf_version} has already picked Keras 3 for {' and '.join(keras_3)} "
            f"({why}), and the estimators need Keras 2: restart Python (in a notebook: "
            f"restart the kernel or runtime) and import tutorial17 before TensorFlow, or set "
            f"{LEGACY_KERAS_ENV}=1 before TensorFlow is imported")


def install_estimator_bridge():
    """Give ``tensorflow.compat.v1`` (and ``tensorflow``) an ``estimator`` on TF >= 2.16.

    tensorflow-estimator 2.15.0, the last release, imports modules and names that
    TensorFlow 2.16 removed; this supplies the project's own versions of what it
    uses, then attaches its v1 and v2 APIs where TensorFlow 2.15 had them. Does
    nothing on TF 1.15 and 2.15, which ship ``tf.estimator``. A TensorFlow
    the bridge cannot serve raises :class:`UnsupportedStackError` in one line.
    """
    import tensorflow as tf_root

    # Only where TensorFlow no longer ships it: on 1.15 and 2.15 a missing estimator is a
    # broken installation, whose own error says more than "unsupported" would.
    if needs_bridge(tf_root.__version__) and not hasattr(tf_root.compat.v1, "estimator"):
        estimator_v1, estimator_v2 = load_estimator_apis(tf_root.__version__)
        tf_root.compat.v1.estimator = estimator_v1
        tf_root.estimator = estimator_v2
        tf_root.compat.v2.estimator = estimator_v2  # tf2-only: attached here on TF >= 2.16


def load_estimator_apis(tf_version):
    """Import tensorflow-estimator's v1 and v2 APIs onto a TensorFlow without them.

    Any failure, however deep inside TensorFlow, becomes one line naming this
    TensorFlow version and the supported ones.
    """
    try:
        from tensorflow.python.util import tf_export  # tf2-only: the registry the bridge completes

        _supply_removed_parts(tf_export)
        estimator_v1 = importlib.import_module(ESTIMATOR_V1_API)
        estimator_v2 = importlib.import_module(ESTIMATOR_V2_API)
        estimator_v1.Estimator  # noqa: B018  (the class everything here is built on)
    except Exception as e:
        first_line = (str(e).strip().splitlines() or [""])[0][:200]
        raise UnsupportedStackError(
            f"TensorFlow {tf_version} is not supported: tutorial17's estimator bridge failed "
            f"({type(e).__name__}: {first_line}); {SUPPORTED_TEXT}") from None
    return estimator_v1, estimator_v2


def _supply_removed_parts(export_registry):
    """Put back, in the project's own words, what TF 2.16 removed and the estimator imports.

    ``export_registry`` is TensorFlow's ``tensorflow.python.util.tf_export``.
    """
    # estimator_export registers its names under this API name, with these attributes.
    if not hasattr(export_registry, "ESTIMATOR_API_NAME"):
        export_registry.ESTIMATOR_API_NAME = "estimator"
    attributes = type(next(iter(export_registry.API_ATTRS.values())))
    export_registry.API_ATTRS.setdefault(
        export_registry.ESTIMATOR_API_NAME,
        attributes("_estimator_api_names", "_estimator_api_constants"))
    export_registry.API_ATTRS_V1.setdefault(
        export_registry.ESTIMATOR_API_NAME,
        attributes("_estimator_api_names_v1", "_estimator_api_constants_v1"))
    if not _importable(COORDINATOR_MODULE):
        sys.modules[COORDINATOR_MODULE] = _coordinator_module()
    for name in TPU_MODULES:
        if not _importable(name):
            sys.modules[name] = _tpu_placeholder_module(name)


def _importable(module_name):
    try:
        importlib.import_module(module_name)
    except ImportError:
        return False
    return True


class _NoDistributeCoordinator:
    """What the Estimator calls of TensorFlow's deleted distribute-coordinator module.

    TF 2.15's module ran ``train_and_evaluate`` under the distribute coordinator
    when a ``TF_CONFIG`` cluster *and* a distribution strategy were both given.
    TF 2.16 removed the coordinator, so that one combination is refused here with
    a clear message; everything else (local training, ``MirroredStrategy`` in one
    process, parameter-server clusters without a strategy) takes the Estimator's
    own code path, exactly as it did on 2.15.
    """

    UNSUPPORTED = ("a distribution strategy across a TF_CONFIG cluster needs TensorFlow's "
                   "distribute coordinator, which TensorFlow 2.16 removed: train the cluster "
                   "without train_distribute (parameter servers), or use TensorFlow 2.15.1")

    def init_run_config(self, config, tf_config):
        """Set up a RunConfig given a strategy: TF 2.15's behaviour, without the coordinator."""
        # pylint: disable=protected-access
        experimental = config._experimental_distribute
        for name in ("train_distribute", "eval_distribute"):
            chosen = getattr(experimental, name, None) if experimental else None
            if chosen:
                if getattr(config, "_" + name):
                    raise ValueError(f"Either `{name}` or `experimental_distribute.{name}` "
                                     f"can be set.")
                setattr(config, "_" + name, chosen)
        cluster = (tf_config or {}).get("cluster", {})
        remote = getattr(experimental, "remote_cluster", None) if experimental else None
        if config._train_distribute and (remote or (cluster and "master" not in cluster)):
            raise UnsupportedStackError(self.UNSUPPORTED)
        config._distribute_coordinator_mode = None
        config._init_distributed_setting_from_environment_var(tf_config)
        config._maybe_overwrite_session_config_for_distributed_training()

    def should_run_distribute_coordinator(self, config):
        """Never: the coordinator is gone, and init_run_config refused what needed it."""
        return False

    def _refuse(self, *args, **kwargs):
        raise UnsupportedStackError(self.UNSUPPORTED)

    train_and_evaluate = estimator_train = estimator_evaluate = _refuse


def _coordinator_module():
    """Build a module standing in for ``tensorflow.python.distribute.estimator_training``."""
    module = types.ModuleType(COORDINATOR_MODULE, _NoDistributeCoordinator.__doc__)
    coordinator = _NoDistributeCoordinator()
    for name in ("init_run_config", "should_run_distribute_coordinator", "train_and_evaluate",
                 "estimator_train", "estimator_evaluate"):
        setattr(module, name, getattr(coordinator, name))
    return module


def _tpu_placeholder_module(name):
    """Build a module whose every name is a class that refuses to be used (TPUEstimator only)."""
    module = types.ModuleType(name, "Stands in for a TPU module TensorFlow 2.16 removed.")

    def refuse(*args, **kwargs):
        raise UnsupportedStackError(
            f"{name} was removed in TensorFlow 2.16: TPUEstimator needs TensorFlow 2.15.1")

    def placeholder(attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return type(attr, (), {"__init__": refuse, "__module__": name})

    module.__getattr__ = placeholder
    return module


def _tensorflow():
    import tensorflow.compat.v1 as tf

    return tf


def __getattr__(name):
    # TF_VERSION and IS_TF1 need TensorFlow, which importing this module must not load.
    if name == "TF_VERSION":
        return _tensorflow().VERSION
    if name == "IS_TF1":
        return _tensorflow().VERSION.startswith("1.")
    if name == "USES_BRIDGE":
        return needs_bridge(_tensorflow().VERSION)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_info():
    """Return what the TensorFlow binary was built with, as a plain dict.

    Always has ``is_cuda_build``; on TF >= 2.3 also ``cuda_version``,
    ``cudnn_version`` and ``cuda_compute_capabilities`` for CUDA builds. TF 1.15
    does not record them (conda's ``tensorflow-gpu=1.15`` is built for CUDA 10.0
    and cuDNN 7).
    """
    tf = _tensorflow()
    if hasattr(tf.sysconfig, "get_build_info"):
        info = dict(tf.sysconfig.get_build_info())  # tf2-only: new in TF 2.3, absent in 1.15
        info.setdefault("is_cuda_build", "cuda_version" in info)
        return info
    return {"is_cuda_build": bool(tf.test.is_built_with_cuda())}


def cuda_versions():
    """Return ``(cuda, cudnn)`` as short texts for people: versions, or why there are none."""
    info = build_info()
    if not info["is_cuda_build"]:
        return CPU_ONLY, "no"
    unknown = f"yes (TensorFlow {_tensorflow().VERSION} does not record the version)"
    return str(info.get("cuda_version", unknown)), str(info.get("cudnn_version", unknown))


def compute_capabilities():
    """Return the GPU architectures the binary carries code for, e.g. ``"sm_60 ... compute_90"``.

    ``sm_XY`` is machine code that runs natively on compute capability X.Y (and
    later X.z); ``compute_XY`` is PTX, compiled by the driver on first start for
    newer GPUs. Empty text when TensorFlow does not say.
    """
    info = build_info()
    if not info["is_cuda_build"]:
        return ""
    return " ".join(info.get("cuda_compute_capabilities", []))


def physical_devices():
    """Return the physical devices TensorFlow sees, as ``"TYPE:name"`` strings."""
    return [f"{d.device_type}:{d.name}"
            for d in _tensorflow().config.experimental.list_physical_devices()]
