"""The checks ``import tutorial17`` makes of the installed TensorFlow stack: one line, the fix.

The subprocess tests fake an installed version with a ``*.dist-info`` directory put ahead of
site-packages on ``PYTHONPATH``: the package reads versions from that metadata, as pip does,
while the modules themselves stay the real ones.
"""

import os
import subprocess
import sys
from pathlib import Path

from tutorial17._runtime import tfcompat

import pytest

REPO = Path(__file__).resolve().parents[2]

# Python 3.7 (the TensorFlow 1.15 stack) has no importlib.metadata: the package reads no
# versions there, and has no bridge to check them for.
reads_versions = pytest.mark.skipif(sys.version_info < (3, 8),
                                    reason="Python 3.7: no importlib.metadata, nothing read")


@pytest.mark.parametrize("tf_version, protobuf, has_tf_keras, expected", [
    ("2.15.1", "4.25.9", False, None),              # the reference stack: keras 2.15 built in
    ("2.21.0", "7.36.2", True, None),               # the bridged stack
    ("2.20.0", "5.29.6", True, None),               # Colab
    ("2.20.0", "6.33.6", True, None),               # protobuf 6 still has float_format
    ("2.20.0", "7.34.0", True, 'pip install "protobuf<7"'),
    ("2.16.2", "7.0.0", True, 'pip install "protobuf<7"'),
    ("2.18.1", "5.29.6", False, 'pip install "tf-keras~=2.18.0"'),
    ("2.20.0", "7.34.0", False, 'pip install "tf-keras~=2.20.0"'),  # the first fix first
    ("1.15.0", "3.20.0", False, None),
    (None, None, False, None),                      # no TensorFlow by any known name
])
def test_stack_problems_name_their_fix(tf_version, protobuf, has_tf_keras, expected):
    problem = tfcompat.stack_problem(tf_version, protobuf, has_tf_keras)
    if expected is None:
        assert problem is None
    else:
        assert expected in problem and "\n" not in problem
        assert problem.startswith(f"TensorFlow {tf_version} ")
        assert "restart" in problem


@pytest.mark.parametrize("tf_version, warned", [
    ("2.15.1", False), ("2.21.0", False), ("2.21.3", False), ("2.22.0rc0", True),
    ("2.22.0", True), ("3.0.0", True), (None, False)])
def test_only_a_tensorflow_newer_than_verified_is_warned_about(tf_version, warned):
    text = tfcompat.newer_than_verified_text(tf_version)
    assert (text is not None) is warned
    if warned:
        assert text.startswith("warning: ") and "\n" not in text
        assert f"TensorFlow {tf_version} is newer" in text


def fake_dist_info(directory, name, version):
    """Make ``directory`` hold the metadata of ``name`` ``version`` (no module)."""
    info = directory / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def import_with(tmp_path, fakes, code="import tutorial17\nprint('imported')"):
    for name, version in fakes.items():
        fake_dist_info(tmp_path, name, version)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    env.pop(tfcompat.LEGACY_KERAS_ENV, None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.slow  # TensorFlow loaded in a second process
@reads_versions
def test_the_faked_metadata_is_what_the_package_reads(tmp_path):
    # Below 7, which TensorFlow 2.16-2.20 would refuse on import of the package itself.
    fake_dist_info(tmp_path, "protobuf", "6.99.0")
    code = ("from tutorial17._runtime import tfcompat\n"
            "print(tfcompat.installed_version('protobuf'))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300, check=True).stdout
    assert out.strip() == "6.99.0"


@reads_versions
def test_protobuf_7_under_tensorflow_2_20_is_one_line_before_tensorflow_loads(tmp_path):
    # An (empty) tf_keras where the reference stack has none: the check looks, never imports.
    (tmp_path / "tf_keras").mkdir()
    (tmp_path / "tf_keras" / "__init__.py").write_text("raise ImportError('not to be imported')\n")
    proc = import_with(tmp_path, {"tensorflow": "2.20.0", "protobuf": "7.34.0"},
                       code="import sys\ntry:\n    import tutorial17\nexcept ImportError:\n"
                            "    print('tensorflow' in sys.modules)\n    raise\n")
    assert proc.returncode == 1
    assert proc.stdout.strip() == "False"  # refused before TensorFlow was imported
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error: TensorFlow 2.20.0 cannot save checkpoints")
    assert 'pip install "protobuf<7"' in proc.stderr


@reads_versions
def test_no_tf_keras_on_tensorflow_2_16_or_later_is_one_line(tmp_path):
    # sys.modules[name] = None is how Python marks a module as not importable.
    code = "import sys\nsys.modules['tf_keras'] = None\nimport tutorial17\n"
    proc = import_with(tmp_path, {"tensorflow": "2.18.1"}, code=code)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error: TensorFlow 2.18.1 comes with Keras 3")
    assert 'pip install "tf-keras~=2.18.0"' in proc.stderr


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_a_newer_tensorflow_gets_one_warning_line_and_still_runs(tmp_path):
    if not tfcompat.USES_BRIDGE:
        pytest.skip("on 2.15.1 a TensorFlow faked as 2.16+ would turn on tf-keras, absent there")
    proc = import_with(tmp_path, {"tensorflow": "2.99.0"},
                       code="import tutorial17\nimport tensorflow.compat.v1 as tf\n"
                            "print(tf.estimator.DNNClassifier.__name__)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "DNNClassifier"
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("warning: tutorial17 was checked with TensorFlow 2.15 to 2.21;"
                                  " TensorFlow 2.99.0 is newer")


@pytest.mark.parametrize("choices, imported_before, expected", [
    ({}, False, None),
    ({"tf.keras": "tf_keras", "tf.compat.v1.layers": "tf_keras"}, True, None),
    ({"tf.keras": "keras_3"}, True, "imported, and its Keras used, before tutorial17"),
    ({"tf.compat.v1.layers": "keras_3"}, False, "TF_USE_LEGACY_KERAS was not in effect"),
])
def test_keras_3_picked_too_early_is_one_line_saying_what_to_do(choices, imported_before,
                                                                 expected):
    problem = tfcompat.keras_choice_problem("2.20.0", choices, imported_before)
    if expected is None:
        assert problem is None
        return
    assert expected in problem and "\n" not in problem
    assert "restart" in problem and "import tutorial17 before TensorFlow" in problem
    assert "TF_USE_LEGACY_KERAS=1" in problem


def test_the_bridged_stack_runs_on_tf_keras():
    import tensorflow as tf_root

    choices = tfcompat.keras_choices(tf_root)
    if not tfcompat.USES_BRIDGE:  # 2.15.1: TensorFlow's own Keras 2, keras 2.15
        assert set(choices.values()) <= {"keras_2"}
        return
    assert choices.get("tf.keras") == "tf_keras"
    assert set(choices.values()) == {"tf_keras"}


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_tensorflow_imported_first_with_keras_3_in_use_is_one_line(tmp_path):
    if not tfcompat.USES_BRIDGE:
        pytest.skip("TensorFlow 2.15.1 has Keras 2 built in: nothing can pick Keras 3 there")
    code = ("import tensorflow as tf\n"
            "tf.keras.layers.Dense  # a notebook cell that used Keras before tutorial17\n"
            "import tutorial17\n")
    proc = import_with(tmp_path, {}, code=code)
    assert proc.returncode == 1
    # TensorFlow's own start-up lines come first (it was imported before tutorial17 could
    # quiet it); then tutorial17's one line, and no traceback.
    assert "Traceback" not in proc.stderr, proc.stderr
    ours = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(ours) == 1 and proc.stderr.rstrip().endswith(ours[0])
    assert "has already picked Keras 3 for tf.keras" in ours[0]


@reads_versions
def test_in_ipython_the_same_problem_is_one_error_line(tmp_path):
    """IPython (Jupyter's, Colab's kernel) ignores sys.excepthook: its own handler says it."""
    pytest.importorskip("IPython")
    fake_dist_info(tmp_path, "tensorflow", "2.18.1")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    code = "import sys; sys.modules['tf_keras'] = None; import tutorial17"
    proc = subprocess.run([sys.executable, "-m", "IPython", "--quick", "--no-banner",
                           "--colors=NoColor", "-c", code],
                          capture_output=True, text=True, env=env, timeout=120)
    shown = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode == 1
    assert len(shown) == 1 and "Traceback" not in shown[0], shown
    assert shown[0].startswith("error: TensorFlow 2.18.1 comes with Keras 3")
