"""The training-speed benchmark runs end to end in its --smoke mode (a few steps, tiny data).

Speed is never asserted here: benchmarks/training_speed.py measures it, and
docs/benchmarks.md holds the figures of a full run.
"""

import re
import subprocess
import sys
from pathlib import Path

from tutorial17._runtime.report import IS_TF1

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "training_speed.py"
RATIO_LINE = re.compile(r"ratio_vs_limit dnn=(\d+\.\d\d) cnn=(\d+\.\d\d)")


@pytest.mark.skipif(IS_TF1, reason="the benchmark's Keras variant (d) needs Keras 2.15: "
                    "TensorFlow 2.15 only (docs/tf1.md)")
@pytest.mark.slow  # runs the benchmark script
def test_training_speed_smoke_run_writes_a_report_and_ends_with_the_ratios(tiny_data_dir,
                                                                           tmp_path):
    report = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--data-dir", str(tiny_data_dir),
         "--output", str(report), "--json", str(tmp_path / "raw.json")],
        cwd=str(REPO), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    match = RATIO_LINE.fullmatch(last)
    assert match, f"last line is {last!r}"
    assert all(float(x) > 0 for x in match.groups())

    text = report.read_text()
    assert last in text  # the report quotes the same ratios
    for title in ("(a) bare graph loop", "(b) Estimator + `numpy_input_fn`",
                  "(c) Estimator + `make_fast_train_input_fn`", "(d) Keras `model.fit`",
                  "Profile: where (c) loses time", "Prediction latency", "## On a GPU"):
        assert title in text, title
    # One fresh run of (c) per network, with its model directory measured.
    runs = re.findall(r"^\| (DNN|CNN) \| \(c\) \| 6 \| .* \| (\d+\.\d) \|$", text, re.M)
    assert [name for name, _ in runs] == ["DNN", "CNN"]
    assert all(0 < float(mb) < 50 for _, mb in runs)  # the data are not in the graph


def test_training_speed_refuses_unknown_models():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--models", "rnn"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--models" in proc.stderr


def test_the_benchmarks_model_list_is_the_registrys():
    """settings.py spells the names out (its process loads no TensorFlow): the same ones."""
    import ast

    from tutorial17 import registry

    tree = ast.parse((REPO / "benchmarks" / "speed" / "settings.py").read_text())
    models = next(ast.literal_eval(node.value) for node in tree.body
                  if isinstance(node, ast.Assign) and node.targets[0].id == "MODELS")
    assert models == registry.MODEL_NAMES
