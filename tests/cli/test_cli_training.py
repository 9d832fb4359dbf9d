"""``walkthrough``, ``train``, ``evaluate`` and ``predict`` (cli/training.py) on the tiny slice."""

import json
import subprocess
import sys

from tutorial17.cli import main

import pytest

STEPS = "3"


def run_cli(*args):
    """Run the real command in a subprocess: exit status, stdout, stderr."""
    proc = subprocess.run([sys.executable, "-m", "tutorial17", *map(str, args)],
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.slow  # the walkthrough in a second process
def test_walkthrough_prints_and_writes_results(tiny_data_dir, tmp_path):
    out_json, plots = tmp_path / "results.json", tmp_path / "plots"
    code, stdout, stderr = run_cli("walkthrough", "--steps", STEPS, "--model-root", tmp_path,
                                   "--data-dir", tiny_data_dir, "--json", out_json,
                                   "--plots", plots)
    assert code == 0, stderr
    assert stdout.count("Classification accuracy: ") == 2
    assert "INFO:tensorflow" not in stderr and "WARNING" not in stderr
    results = json.loads(out_json.read_text())
    for model in ("dnn", "cnn"):
        r = results[model]
        assert 0.0 <= r["accuracy"] <= 1.0 and r["loss"] > 0
        assert len(r["predictions"]) == 9 and all(0 <= c <= 9 for c in r["predictions"])
        assert r["global_step"] == int(STEPS)
    assert sorted(p.name for p in plots.iterdir()) == [
        "predictions_cnn.png", "predictions_dnn.png", "test_images.png", "training_curves.png"]
    assert (tmp_path / "checkpoints_tutorial17-1").is_dir()
    assert (tmp_path / "checkpoints_tutorial17-2").is_dir()


@pytest.mark.parametrize("model", ["dnn", "cnn"])
def test_train_continues_then_evaluate_and_predict(model, tiny_data_dir, tmp_path, capsys):
    model_dir = tmp_path / model
    common = ["--model", model, "--model-dir", str(model_dir), "--data-dir", str(tiny_data_dir)]
    assert main(["train", *common, "--steps", STEPS, "--no-progress"]) == 0
    assert main(["train", *common, "--steps", "2", "--no-progress"]) == 0
    assert "global step 5" in capsys.readouterr().out
    assert main(["evaluate", *common]) == 0
    out = capsys.readouterr().out
    assert "Classification accuracy: " in out and "global step 5" in out
    assert main(["predict", *common, "--count", "4"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("Predicted classes: ") and len(line.split(":")[1].split()) == 4


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "rnn", "--steps", "3", "--model-dir", "m"], "invalid choice: 'rnn'"),
    (["train", "--model", "cnn", "--steps", "-5", "--model-dir", "m"], "must be positive"),
    (["train", "--model", "cnn", "--steps", "3"], "--model-dir"),
    (["train", "--model", "cnn", "--steps", "3", "--model-dir", "m", "--data-dir", "nowhere"],
     "no such directory"),
    (["evaluate", "--model", "dnn", "--model-dir", "nowhere"], "no such directory"),
    (["predict", "--model", "dnn", "--model-dir", "."], "no checkpoint"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_give_one_line_and_status_2(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_bad_arguments_in_a_real_process_exit_2_without_traceback():
    code, stdout, stderr = run_cli("predict", "--model", "cnn", "--model-dir", "/nonexistent")
    assert code == 2 and stdout == ""
    assert stderr.strip().startswith("error:") and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
