"""tutorial17.progress: one progress line while training, redrawn in a terminal or Jupyter,
a plain line every tenth of the way in a log."""

import io
import re
import subprocess
import sys

from tutorial17 import inputs, models
from tutorial17.progress import LOG_LINES, ProgressHook, show_step, step_bar

import pytest

STEPS = 5
# One tqdm frame of the progress line, e.g.
# "cnn:  40%|████      | 2/5 [00:01<00:01, 2.0step/s, step=2 loss=2.3]"
FRAME = re.compile(r"^(cnn|dnn|train): +\d+%\|[^|]*\| \d+/\d+ \[[^\]]*\]$")
# One line of the progress line in a log (not a terminal), e.g.
# "cnn:  40% 2/5 [00:01<00:01, 2.0step/s, step=2 loss=2.3]"
LOG_LINE = re.compile(r"^(cnn|dnn|train|log): +\d+% \d+/\d+ \[[^\]]*\]$")


class Terminal(io.StringIO):
    """A file that says it is a terminal."""

    def isatty(self):
        return True


def run_python(*args):
    """Exit status, stdout and stderr of a Python subprocess; the output is decoded
    without newline translation, which would turn tqdm's carriage returns into newlines."""
    proc = subprocess.run([sys.executable, *args], capture_output=True, timeout=300)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def test_the_hook_redraws_one_line_per_update_in_a_terminal(tiny_data, tmp_path):
    estimator = models.make_cnn_estimator(model_dir=tmp_path)
    fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    out = Terminal()
    estimator.train(fn, steps=STEPS, hooks=[ProgressHook(STEPS, file=out, mininterval=0)])
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1  # closed once, never scrolled
    frames = [f for f in text.rstrip("\n").split("\r") if f]
    assert all(FRAME.match(f) and len(f) <= 100 for f in frames), frames
    steps = [int(m.group(1)) for f in frames for m in [re.search(r"step=(\d+)", f)] if m]
    assert sorted(set(steps)) == list(range(1, STEPS + 1))  # every step drawn, in order
    assert steps == sorted(steps)
    # tqdm shows the rate as "2.0step/s", or "1.08s/step" when a step takes over a second.
    assert all("loss=" in f and ("step/s" in f or "s/step" in f) for f in frames if "step=" in f)


@pytest.mark.slow  # trains in a second process
def test_cli_training_prints_the_progress_line_and_the_result_only(tiny_data_dir, tmp_path):
    code, stdout, stderr = run_python("-m", "tutorial17", "train", "--model", "cnn",
                                      "--model-dir", str(tmp_path / "m"),
                                      "--data-dir", str(tiny_data_dir), "--steps", "3")
    assert code == 0, stderr
    model_dir = tmp_path / "m"
    assert stdout.splitlines() == [f"Trained 3 steps; global step 3; checkpoint in {model_dir}"]
    # stderr is a pipe here, not a terminal: plain lines, no carriage returns.
    assert "\r" not in stderr and stderr.endswith("\n"), stderr
    lines = stderr.splitlines()
    assert lines and all(LOG_LINE.match(line) for line in lines), stderr
    assert "3/3" in lines[-1] and "step=3 loss=" in lines[-1]


def _log_of(num_steps, file):
    bar = step_bar(num_steps, "log", file)
    for step in range(1, num_steps + 1):
        show_step(bar, step, step, loss=0.5)
    bar.close()
    return file.getvalue()


def test_progress_in_a_log_is_a_plain_line_per_tenth():
    """``make run > log``: not hundreds of carriage-return redraws, a line every 10 %."""
    text = _log_of(2000, io.StringIO())
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert all(LOG_LINE.match(line) for line in lines), lines
    percents = [int(re.search(r"(\d+)%", line).group(1)) for line in lines]
    assert percents == list(range(0, 101, 100 // LOG_LINES))
    assert "2000/2000" in lines[-1] and "step=2000 loss=0.5" in lines[-1]


def test_progress_redraws_in_a_terminal_and_in_jupyter():
    terminal = _log_of(50, Terminal())
    assert terminal.count("\r") > 1 and terminal.count("\n") == 1
    jupyter_stream = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})
    jupyter = _log_of(50, jupyter_stream())
    assert jupyter.count("\r") > 1 and jupyter.count("\n") == 1

