"""tutorial17._runtime.bridge: ``tf.estimator`` on TensorFlow 2.16 and later, with Keras 2;
on 1.15 and 2.15 it does nothing. Every way it can fail is one line."""

import os
import subprocess
import sys
from pathlib import Path

from tutorial17 import UnsupportedStackError
from tutorial17._runtime import bridge
from tutorial17._runtime.report import IS_TF1, USES_BRIDGE
from tutorial17._runtime.stacks import needs_bridge

import pytest
import tensorflow.compat.v1 as tf

REPO = Path(__file__).resolve().parents[2]


def run_without_legacy_keras(code, check=False):
    """Run ``code`` in a fresh interpreter with TF_USE_LEGACY_KERAS unset, as a user's is."""
    env = {k: v for k, v in os.environ.items() if k != bridge.LEGACY_KERAS_ENV}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300, check=check)


def test_tf_estimator_is_there_on_every_stack():
    assert tf.estimator.Estimator and tf.estimator.DNNClassifier
    assert tf.estimator.inputs.numpy_input_fn
    assert needs_bridge(tf.VERSION) == USES_BRIDGE


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_on_the_reference_stack_the_bridge_does_nothing():
    # Run in a fresh interpreter, so nothing imported by other tests can hide a change.
    code = (
        "import os, sys\n"
        "import tutorial17\n"
        "import tensorflow.compat.v1 as tf\n"
        "from tensorflow.python.distribute import estimator_training\n"
        "print(tf.VERSION, os.environ.get('TF_USE_LEGACY_KERAS'),\n"
        "      'tensorflow' in (getattr(estimator_training, '__file__', None) or ''),\n"
        "      type(tf.estimator).__name__, 'tensorflow_estimator' in tf.estimator.__name__)\n")
    if USES_BRIDGE:
        code = code.replace("from tensorflow.python.distribute import estimator_training\n",
                            "estimator_training = sys.modules['" + bridge.COORDINATOR_MODULE
                            + "']\n")
    out = run_without_legacy_keras(code, check=True).stdout.split()
    version, legacy_keras, tensorflows_own_module, _, from_estimator_package = out
    assert version == tf.VERSION
    assert from_estimator_package == "True"
    if USES_BRIDGE:
        assert legacy_keras == "1" and tensorflows_own_module == "False"
    else:  # 2.15.1 (and 1.15): TensorFlow's own module, and Keras left as it is
        assert legacy_keras == "None" and tensorflows_own_module == "True"


def test_a_tensorflow_the_bridge_cannot_serve_gets_one_line(monkeypatch):
    monkeypatch.setattr(bridge, "ESTIMATOR_V1_API", "tensorflow.python.no_such_module")
    with pytest.raises(UnsupportedStackError) as info:
        bridge.load_estimator_apis("9.9.0")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("TensorFlow 9.9.0 is not supported")
    assert "2.15.1 on Python 3.9-3.11" in message and "Python 3.12-3.13" in message


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_the_command_line_says_an_unsupported_tensorflow_in_one_line(tmp_path):
    # A tensorflow_estimator that breaks on import stands for a future TensorFlow that breaks
    # the bridge; on 2.15.1 TensorFlow loads it lazily, so the bridge is not involved there.
    fake = tmp_path / "tensorflow_estimator"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('deep inside TensorFlow')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    proc = subprocess.run([sys.executable, "-m", "tutorial17", "info"], capture_output=True,
                          text=True, env=env, timeout=300)
    if not USES_BRIDGE:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith(f"error: TensorFlow {tf.VERSION} is not supported")


def test_a_distribution_strategy_across_a_cluster_is_refused_with_a_reason():
    coordinator = bridge._NoDistributeCoordinator()
    config = tf.estimator.RunConfig()
    config._train_distribute = object()  # what RunConfig(train_distribute=...) stores
    cluster = {"cluster": {"chief": ["localhost:1"], "worker": ["localhost:2"]}}
    with pytest.raises(UnsupportedStackError, match="distribute coordinator"):
        coordinator.init_run_config(config, cluster)
    assert coordinator.should_run_distribute_coordinator(config) is False
    with pytest.raises(UnsupportedStackError):
        coordinator.train_and_evaluate(None, None, None, None)


def test_tpu_placeholders_refuse_to_be_used():
    module = bridge._tpu_placeholder_module("tensorflow.python.tpu.example")
    placeholder = module.AdagradParameters  # importable by name, as the estimator does
    with pytest.raises(UnsupportedStackError, match="TPUEstimator"):
        placeholder()


# --- Keras 2 for the TF1 layers: refused in one line when Keras 3 was picked first. ---

@pytest.mark.parametrize("choices, imported_before, expected", [
    ({}, False, None),
    ({"tf.keras": "tf_keras", "tf.compat.v1.layers": "tf_keras"}, True, None),
    ({"tf.keras": "keras_3"}, True, "imported, and its Keras used, before tutorial17"),
    ({"tf.compat.v1.layers": "keras_3"}, False, "TF_USE_LEGACY_KERAS was not in effect"),
])
def test_keras_3_picked_too_early_is_one_line_saying_what_to_do(choices, imported_before,
                                                                 expected):
    problem = bridge.keras_choice_problem("2.20.0", choices, imported_before)
    if expected is None:
        assert problem is None
        return
    assert expected in problem and "\n" not in problem
    assert "restart" in problem and "import tutorial17 before TensorFlow" in problem
    assert "TF_USE_LEGACY_KERAS=1" in problem


def test_the_bridged_stack_runs_on_tf_keras():
    import tensorflow as tf_root

    choices = bridge.keras_choices(tf_root)
    if not USES_BRIDGE:  # 2.15.1: TensorFlow's own Keras 2, keras 2.15
        assert set(choices.values()) <= {"keras_2"}
        return
    assert choices.get("tf.keras") == "tf_keras"
    assert set(choices.values()) == {"tf_keras"}


def test_autograph_leaves_keras_2_alone():
    # TensorFlow 2.16 skipped `keras` but not `tf_keras`: every layer built in a graph had
    # tf-keras's internals rewritten first, 13 s before the canned DNN's first step.
    from tensorflow.python.autograph.core import config
    from tensorflow.python.autograph.impl import conversion

    if IS_TF1:
        pytest.skip("TensorFlow 1.15's Keras is tf.keras, inside the tensorflow package, "
                    "which autograph's rules skip")
    keras_2 = pytest.importorskip("tf_keras" if USES_BRIDGE else "keras")
    assert conversion.is_allowlisted(keras_2.layers.Dense.call)
    if USES_BRIDGE:  # import tutorial17 added the rule once; a second call adds nothing
        before = config.CONVERSION_RULES
        bridge.keep_autograph_out_of_tf_keras(config)
        after = config.CONVERSION_RULES
        assert after == before


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_tensorflow_imported_first_with_keras_3_in_use_is_one_line():
    if not USES_BRIDGE:
        pytest.skip("TensorFlow 2.15.1 has Keras 2 built in: nothing can pick Keras 3 there")
    code = ("import tensorflow as tf\n"
            "tf.keras.layers.Dense  # a notebook cell that used Keras before tutorial17\n"
            "import tutorial17\n")
    proc = run_without_legacy_keras(code)
    assert proc.returncode == 1
    # TensorFlow's own start-up lines come first (it was imported before tutorial17 could
    # quiet it); then tutorial17's one line, and no traceback.
    assert "Traceback" not in proc.stderr, proc.stderr
    ours = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(ours) == 1 and proc.stderr.rstrip().endswith(ours[0])
    assert "has already picked Keras 3 for tf.keras" in ours[0]
