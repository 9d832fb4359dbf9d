"""A checkpoint written on one TensorFlow stack is evaluated and trained further on the other.

The reference stack (TensorFlow 2.15.1, Python 3.9-3.11) and the bridged one (TensorFlow
2.21, Python 3.12-3.13) read each other's checkpoints: this runs the other stack's
``python -m tutorial17`` from its own ``.venv-X.Y`` (``make venv PYTHON=...`` makes it;
``.ci/run`` makes both before testing either).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from tutorial17 import cli
from tutorial17._runtime import bridge, stacks
from tutorial17._runtime.report import USES_BRIDGE

import pytest

pytestmark = pytest.mark.slow  # trains on the other stack's environment

REPO = Path(__file__).resolve().parent.parent
ACCURACY = re.compile(r"^Classification accuracy: (\d+\.\d\d)%$", re.M)
STEP = re.compile(r"global step (\d+)")


def other_stack_python():
    """Return the interpreter of an installed environment of the other stack, or None.

    None on TensorFlow 1.15 (Python 3.7) too: it is neither of the two stacks.
    """
    if sys.version_info[:2] not in stacks.SUPPORTED_PYTHONS:
        return None
    for venv in sorted(REPO.glob(".venv-3.*")):
        version = tuple(int(part) for part in venv.name[len(".venv-"):].split("."))
        python = venv / "bin" / "python"
        if (version in stacks.SUPPORTED_PYTHONS and (venv / ".installed").exists()
                and (version in stacks.BRIDGED_PYTHONS) != USES_BRIDGE):
            return python
    return None


@pytest.fixture(scope="module")
def other_python():
    python = other_stack_python()
    if python is None:
        # .ci/run names the stacks it tests: there, a missing one is a failure, not a skip.
        if len(os.environ.get("TUTORIAL17_STACK_PYTHONS", "").split()) > 1:
            pytest.fail("the other stack's environment is missing although .ci/run made it")
        pytest.skip("no environment of the other stack (or TensorFlow 1.15, which has none): "
                    "make venv PYTHON=/path/to/python3.x")
    return python


def run_other(python, *args):
    # Without the Keras choice this process made for its own TensorFlow: the other stack's
    # tutorial17 makes its own (TF_USE_LEGACY_KERAS=1 breaks tf.layers on 2.15.1).
    env = {k: v for k, v in os.environ.items() if k != bridge.LEGACY_KERAS_ENV}
    proc = subprocess.run([str(python), "-m", "tutorial17", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=str(REPO), env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def evaluate_here(capsys, *common):
    assert cli.main(["evaluate", *common]) == 0
    out = capsys.readouterr().out
    return ACCURACY.search(out).group(1), int(STEP.search(out).group(1))


@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_a_checkpoint_of_the_other_stack_is_evaluated_and_trained_on_here(
        model, other_python, tiny_data_dir, tmp_path, capsys):
    common = ["--model", model, "--model-dir", str(tmp_path / model),
              "--data-dir", str(tiny_data_dir)]
    run_other(other_python, "train", *common, "--steps", 3, "--no-progress")
    there = ACCURACY.search(run_other(other_python, "evaluate", *common)).group(1)
    assert evaluate_here(capsys, *common) == (there, 3)  # the same weights give the same answer
    assert cli.main(["train", *common, "--steps", "2", "--no-progress"]) == 0
    assert evaluate_here(capsys, *common)[1] == 5


@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_a_checkpoint_of_this_stack_is_evaluated_and_trained_on_there(
        model, other_python, tiny_data_dir, tmp_path, capsys):
    common = ["--model", model, "--model-dir", str(tmp_path / model),
              "--data-dir", str(tiny_data_dir)]
    assert cli.main(["train", *common, "--steps", "3", "--no-progress"]) == 0
    here, _ = evaluate_here(capsys, *common)
    out = run_other(other_python, "evaluate", *common)
    assert ACCURACY.search(out).group(1) == here and "global step 3" in out
    out = run_other(other_python, "train", *common, "--steps", 2, "--no-progress")
    assert "global step 5" in out
