"""tutorial17._runtime.tfcompat: the TF 1.15 / 2.15 / 2.21 differences, the estimator bridge,
the supported Pythons."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tutorial17 import UnsupportedStackError
from tutorial17._runtime import tfcompat

import pytest
import tensorflow.compat.v1 as tf

REPO = Path(__file__).resolve().parents[2]


def test_version_flag_matches_the_running_tensorflow():
    assert tfcompat.TF_VERSION == tf.VERSION
    assert tf.VERSION.startswith("1.") == tfcompat.IS_TF1


def test_build_info_says_whether_cuda_and_agrees_with_tf_test():
    info = tfcompat.build_info()
    assert info["is_cuda_build"] == tf.test.is_built_with_cuda()
    if info["is_cuda_build"] and not tfcompat.IS_TF1:
        assert info["cuda_version"] and info["cudnn_version"]


def test_without_get_build_info_falls_back_as_on_tf1(monkeypatch):
    # TF 1.15 has no tf.sysconfig.get_build_info: take it away to run that branch here.
    if hasattr(tf.sysconfig, "get_build_info"):
        monkeypatch.delattr(tf.sysconfig, "get_build_info")
    assert tfcompat.build_info() == {"is_cuda_build": tf.test.is_built_with_cuda()}
    cuda, cudnn = tfcompat.cuda_versions()
    if tf.test.is_built_with_cuda():
        assert "does not record the version" in cuda and "does not record" in cudnn
    else:
        assert (cuda, cudnn) == (tfcompat.CPU_ONLY, "no")


@pytest.mark.parametrize("is_cuda", [True, False])
def test_cuda_versions_texts(monkeypatch, is_cuda):
    info = {"is_cuda_build": is_cuda, "cuda_version": "12.2", "cudnn_version": "8"}
    monkeypatch.setattr(tfcompat, "build_info", lambda: info)
    assert tfcompat.cuda_versions() == (("12.2", "8") if is_cuda else (tfcompat.CPU_ONLY, "no"))


def test_physical_devices_include_the_cpu():
    devices = tfcompat.physical_devices()
    assert any(d.startswith("CPU:") for d in devices), devices


# --- The estimator bridge: TensorFlow >= 2.16 (the Python 3.12/3.13 stack) only. ---

def test_tf_estimator_is_there_on_every_stack():
    assert tf.estimator.Estimator and tf.estimator.DNNClassifier
    assert tf.estimator.inputs.numpy_input_fn
    assert tfcompat.needs_bridge(tf.VERSION) == tfcompat.USES_BRIDGE


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
    if tfcompat.USES_BRIDGE:
        code = code.replace("from tensorflow.python.distribute import estimator_training\n",
                            "estimator_training = sys.modules['" + tfcompat.COORDINATOR_MODULE
                            + "']\n")
    env = {k: v for k, v in os.environ.items() if k != tfcompat.LEGACY_KERAS_ENV}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=300, check=True).stdout.split()
    version, legacy_keras, tensorflows_own_module, _, from_estimator_package = out
    assert version == tf.VERSION
    assert from_estimator_package == "True"
    if tfcompat.USES_BRIDGE:
        assert legacy_keras == "1" and tensorflows_own_module == "False"
    else:  # 2.15.1 (and 1.15): TensorFlow's own module, and Keras left as it is
        assert legacy_keras == "None" and tensorflows_own_module == "True"


@pytest.mark.parametrize("version, expected", [
    ("1.15.0", False), ("2.15.1", False), ("2.16.2", True), ("2.21.0", True),
    ("2.22.0rc0", True), (None, False)])
def test_only_tensorflow_2_16_and_later_need_the_bridge(version, expected):
    assert tfcompat.needs_bridge(version) is expected


def test_a_tensorflow_the_bridge_cannot_serve_gets_one_line(monkeypatch):
    monkeypatch.setattr(tfcompat, "ESTIMATOR_V1_API", "tensorflow.python.no_such_module")
    with pytest.raises(UnsupportedStackError) as info:
        tfcompat.load_estimator_apis("9.9.0")
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
    if not tfcompat.USES_BRIDGE:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith(f"error: TensorFlow {tf.VERSION} is not supported")


def test_a_distribution_strategy_across_a_cluster_is_refused_with_a_reason():
    coordinator = tfcompat._NoDistributeCoordinator()
    config = tf.estimator.RunConfig()
    config._train_distribute = object()  # what RunConfig(train_distribute=...) stores
    cluster = {"cluster": {"chief": ["localhost:1"], "worker": ["localhost:2"]}}
    with pytest.raises(UnsupportedStackError, match="distribute coordinator"):
        coordinator.init_run_config(config, cluster)
    assert coordinator.should_run_distribute_coordinator(config) is False
    with pytest.raises(UnsupportedStackError):
        coordinator.train_and_evaluate(None, None, None, None)


def test_tpu_placeholders_refuse_to_be_used():
    module = tfcompat._tpu_placeholder_module("tensorflow.python.tpu.example")
    placeholder = module.AdagradParameters  # importable by name, as the estimator does
    with pytest.raises(UnsupportedStackError, match="TPUEstimator"):
        placeholder()


# --- Which Pythons: one table, and everything that names them agrees with it. ---

def supported_text(versions):
    return {f"{major}.{minor}" for major, minor in versions}


def test_python_versions_agree_everywhere():
    supported = supported_text(tfcompat.SUPPORTED_PYTHONS)
    assert supported == {"3.9", "3.10", "3.11", "3.12", "3.13"}
    finder = (REPO / "scripts" / "find_python.sh").read_text()
    assert set(re.search(r'^SUPPORTED="([^"]+)"', finder, re.M).group(1).split()) == supported
    makefile = (REPO / "Makefile").read_text()
    listed = re.search(r"^SUPPORTED_PYTHON_VERSIONS := (.+)$", makefile, re.M).group(1)
    assert set(listed.split()) == supported
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.9,<3.14"' in pyproject
    assert supported_text(tfcompat.BRIDGED_PYTHONS) == {"3.12", "3.13"}
    for marker in ("python_version < '3.12'", "python_version >= '3.12'"):
        assert marker in pyproject


@pytest.mark.parametrize("version", [(3, 8), (3, 14), (2, 7)])
def test_an_unsupported_python_is_refused_with_the_way_out(version):
    with pytest.raises(UnsupportedStackError) as info:
        tfcompat.check_python(version)
    message = str(info.value)
    assert f"Python {version[0]}.{version[1]}" in message and "3.9-3.13" in message
    assert "uv python install 3.12" in message and "\n" not in message


def test_make_refuses_an_unsupported_python_in_one_line(tmp_path):
    fake = tmp_path / "python3.8"
    fake.write_text("#!/bin/sh\necho 3.8\n")
    fake.chmod(0o755)
    proc = subprocess.run(["make", "-s", "--no-print-directory", "run", f"PYTHON={fake}"],
                          cwd=str(REPO), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "is Python 3.8" in proc.stderr and "3.9-3.13" in proc.stderr
    assert "uv python install 3.12" in proc.stderr
