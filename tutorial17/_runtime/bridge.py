"""The estimator bridge: ``tf.compat.v1.estimator`` on TensorFlow 2.16 and later.

TensorFlow 2.16 stopped shipping ``tf.estimator``, and its ``tf.compat.v1.layers`` and the
canned estimators need Keras 2, which from 2.16 on is the separate ``tf-keras`` package.
``import tutorial17`` therefore, on such a TensorFlow (:func:`.stacks.needs_bridge`):

1. chooses Keras 2 before TensorFlow is first imported (:func:`prepare_tensorflow_import`);
2. imports TensorFlow, refuses in one line a Keras 3 already picked, and attaches
   ``tensorflow-estimator`` 2.15.0, the last release, where TensorFlow 2.15 had it, with
   the parts of TensorFlow it imports and 2.16 removed supplied here
   (:func:`start_tensorflow`, :func:`install_estimator_bridge`).

On TensorFlow 1.15 and 2.15, which ship ``tf.estimator`` and Keras 2, it does nothing.
docs/python-versions.md tells the story; :mod:`.stacks` holds the versions.

This module must not import TensorFlow when it is itself imported: the package
calls :func:`prepare_tensorflow_import` before TensorFlow loads.
"""

import importlib
import os
import sys
import types

from ..errors import UnsupportedStackError
from .stacks import SUPPORTED_TEXT, installed_tensorflow_version, needs_bridge

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
        from tensorflow.python.autograph.core import config as autograph_rules  # tf2-only: rules

        keep_autograph_out_of_tf_keras(autograph_rules)
        tf_root.config.list_physical_devices()  # tf2-only: the bridged stack's start-up lines
        _run_first_session(tf_root.compat.v1)


def keep_autograph_out_of_tf_keras(rule_module):
    """Tell autograph to leave tf-keras's own code alone, as TensorFlow 2.17 and later do.

    TensorFlow 2.16's autograph skips the ``keras`` package but not ``tf_keras``, so
    every Keras 2 layer built in a graph had tf-keras's internals rewritten first: 13 s
    of start-up before the canned DNN's first step (docs/python-versions.md).
    ``rule_module`` is TensorFlow's ``tensorflow.python.autograph.core.config``.
    """
    rules = rule_module.CONVERSION_RULES
    if not any(isinstance(rule, rule_module.DoNotConvert) and rule.matches("tf_keras")
               for rule in rules):
        rule_module.CONVERSION_RULES = (*rules, rule_module.DoNotConvert("tf_keras"))


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
