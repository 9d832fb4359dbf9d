"""tutorial17._runtime.stacks: the table of supported Pythons and TensorFlow releases, and the
checks ``import tutorial17`` makes of the installed stack: one line, the fix.

The subprocess tests fake an installed version with a ``*.dist-info`` directory put ahead of
site-packages on ``PYTHONPATH``: the package reads versions from that metadata, as pip does,
while the modules themselves stay the real ones.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from tutorial17 import UnsupportedStackError
from tutorial17._runtime import bridge, stacks
from tutorial17._runtime.report import USES_BRIDGE

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
    problem = stacks.stack_problem(tf_version, protobuf, has_tf_keras)
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
    text = stacks.newer_than_verified_text(tf_version)
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
    env.pop(bridge.LEGACY_KERAS_ENV, None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.slow  # TensorFlow loaded in a second process
@reads_versions
def test_the_faked_metadata_is_what_the_package_reads(tmp_path):
    # Below 7, which TensorFlow 2.16-2.20 would refuse on import of the package itself.
    fake_dist_info(tmp_path, "protobuf", "6.99.0")
    code = ("from tutorial17._runtime import stacks\n"
            "print(stacks.installed_version('protobuf'))")
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
    if not USES_BRIDGE:
        pytest.skip("on 2.15.1 a TensorFlow faked as 2.16+ would turn on tf-keras, absent there")
    proc = import_with(tmp_path, {"tensorflow": "2.99.0"},
                       code="import tutorial17\nimport tensorflow.compat.v1 as tf\n"
                            "print(tf.estimator.DNNClassifier.__name__)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "DNNClassifier"
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("warning: tutorial17 was checked with TensorFlow 2.15 to 2.21;"
                                  " TensorFlow 2.99.0 is newer")


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


@pytest.mark.parametrize("version, expected", [
    ("1.15.0", False), ("2.15.1", False), ("2.16.2", True), ("2.21.0", True),
    ("2.22.0rc0", True), (None, False)])
def test_only_tensorflow_2_16_and_later_need_the_bridge(version, expected):
    assert stacks.needs_bridge(version) is expected


# --- Which Pythons: one table, and everything that names them agrees with it. ---

def supported_text(versions):
    return {f"{major}.{minor}" for major, minor in versions}


def test_python_versions_agree_everywhere():
    supported = supported_text(stacks.SUPPORTED_PYTHONS)
    assert supported == {"3.9", "3.10", "3.11", "3.12", "3.13"}
    finder = (REPO / "scripts" / "find_python.sh").read_text()
    assert set(re.search(r'^SUPPORTED="([^"]+)"', finder, re.M).group(1).split()) == supported
    makefile = (REPO / "Makefile").read_text()
    listed = re.search(r"^SUPPORTED_PYTHON_VERSIONS := (.+)$", makefile, re.M).group(1)
    assert set(listed.split()) == supported
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.9,<3.14"' in pyproject
    assert supported_text(stacks.BRIDGED_PYTHONS) == {"3.12", "3.13"}
    for marker in ("python_version < '3.12'", "python_version >= '3.12'"):
        assert marker in pyproject


@pytest.mark.parametrize("version", [(3, 8), (3, 14), (2, 7)])
def test_an_unsupported_python_is_refused_with_the_way_out(version):
    with pytest.raises(UnsupportedStackError) as info:
        stacks.check_python(version)
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
