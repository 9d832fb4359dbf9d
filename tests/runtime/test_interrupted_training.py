"""Training that is killed or interrupted loses nothing it had saved and resumes cleanly."""

import os
import pty
import re
import signal
import subprocess
import sys
import threading
import time

from tutorial17 import inputs, models, workflow
from tutorial17._runtime.interrupt import stop_on_interrupt
from tutorial17.cli import EXIT_INTERRUPTED, EXIT_USAGE, main
from tutorial17.errors import TrainingInterrupted

import pytest
import tensorflow.compat.v1 as tf

from conftest import wait_for

# Far more steps than any test waits for: the process only ends when signalled.
ENDLESS_STEPS = "1000000"
SAVE_EVERY = 5
WAIT_SECONDS = 300  # generous: TensorFlow's import and graph building on a loaded 2-core machine
STEP_IN_NAME = re.compile(r"model\.ckpt-(\d+)$")


def _start_training(model_dir, data_dir, *extra, stderr=subprocess.PIPE):
    """The real command line, training 'for ever' in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "tutorial17", "train", "--model", "dnn",
         "--model-dir", str(model_dir), "--data-dir", str(data_dir),
         "--steps", ENDLESS_STEPS, *extra],
        stdout=subprocess.PIPE, stderr=stderr)


def _checkpoint_steps(model_dir):
    """Global steps of the checkpoints the directory's ``checkpoint`` file lists."""
    state = tf.train.get_checkpoint_state(str(model_dir))
    if state is None:
        return []
    return [int(STEP_IN_NAME.search(p).group(1)) for p in state.all_model_checkpoint_paths]


def _assert_checkpoints_restore(model_dir):
    """Every listed checkpoint reads back, holding the global step its name says."""
    state = tf.train.get_checkpoint_state(str(model_dir))
    assert state is not None and state.all_model_checkpoint_paths
    for path in state.all_model_checkpoint_paths:
        reader = tf.train.NewCheckpointReader(path)
        assert reader.get_tensor("global_step") == int(STEP_IN_NAME.search(path).group(1))
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)  # raises on a truncated or corrupt data file


@pytest.mark.slow  # trains in a second process
def test_sigkill_then_resume_and_a_second_trainer_is_refused(tiny_data_dir, tmp_path, capsys):
    model_dir = tmp_path / "dnn"
    common = ["--model", "dnn", "--model-dir", str(model_dir), "--data-dir", str(tiny_data_dir)]
    proc = _start_training(model_dir, tiny_data_dir, "--no-progress",
                           "--save-every", str(SAVE_EVERY))
    try:
        wait_for(lambda: max(_checkpoint_steps(model_dir), default=0) >= 2 * SAVE_EVERY,
                 WAIT_SECONDS, f"a checkpoint at step {2 * SAVE_EVERY}", proc=proc)
        # While it trains, a second trainer is refused and changes nothing.
        assert main(["train", *common, "--steps", "2", "--no-progress"]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert f"process {proc.pid} is training into this model directory" in err
        assert err.count("\n") == 1
        assert proc.poll() is None, "the first trainer must still be running"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    _assert_checkpoints_restore(model_dir)
    resumed_from = int(STEP_IN_NAME.search(tf.train.latest_checkpoint(str(model_dir))).group(1))
    assert resumed_from == max(_checkpoint_steps(model_dir)) >= 2 * SAVE_EVERY

    # The dead process's lock is not stuck; training resumes from the last checkpoint.
    assert main(["train", *common, "--steps", "3", "--no-progress"]) == 0
    assert f"global step {resumed_from + 3}" in capsys.readouterr().out
    _assert_checkpoints_restore(model_dir)
    assert max(_checkpoint_steps(model_dir)) == resumed_from + 3
    assert main(["evaluate", *common]) == 0
    assert f"global step {resumed_from + 3}" in capsys.readouterr().out


class _StderrReader(threading.Thread):
    """Collects a process's stderr as it comes (tqdm redraws with carriage returns)."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.text = stream, ""

    def run(self):
        try:
            for chunk in iter(lambda: self.stream.read1(4096), b""):
                self.text += chunk.decode(errors="replace")
        except OSError:  # a terminal's reading end once the process has gone (EIO)
            pass

    def last_step(self):
        steps = re.findall(r"step=(\d+)", self.text)
        return int(steps[-1]) if steps else 0


@pytest.mark.slow  # trains in a second process
def test_ctrl_c_in_the_cli_saves_a_checkpoint_and_exits_130(tiny_data_dir, tmp_path):
    model_dir = tmp_path / "dnn"
    # Default checkpoint timing (every 10 minutes): the only checkpoints are the one of
    # step 0 at the start and the one Ctrl-C saves. Its stderr is a terminal, as for whoever
    # presses Ctrl-C: the progress line redraws there at every step (in a pipe it would print
    # only a line per tenth of the way).
    terminal, terminal_end = pty.openpty()
    proc = _start_training(model_dir, tiny_data_dir, stderr=terminal_end)
    os.close(terminal_end)
    reader = _StderrReader(os.fdopen(terminal, "rb"))
    reader.start()
    try:
        wait_for(lambda: reader.last_step() >= 3 or proc.poll() is not None, WAIT_SECONDS,
                 "step 3 on the progress line")
        assert proc.poll() is None, f"train ended (status {proc.returncode}): {reader.text}"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=WAIT_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=10)
    assert proc.returncode == EXIT_INTERRUPTED, reader.text[-2000:]
    last_line = reader.text.strip().splitlines()[-1]
    match = re.fullmatch(r"interrupted: training stopped at global step (\d+); checkpoint "
                         r"saved in (.+); train again to continue from it", last_line)
    assert match, last_line
    step = int(match.group(1))
    assert step >= 3 and match.group(2) == str(model_dir)
    assert "Traceback" not in reader.text
    assert _checkpoint_steps(model_dir) == [0, step]
    _assert_checkpoints_restore(model_dir)


def _sigint_at_step(step):
    """A hook that sends this process SIGINT, as Ctrl-C would, after ``step`` steps.

    It counts its runs: a global step fetched with the train op is read before
    the increment on TensorFlow 2.15 but after it on 1.15 (docs/tf1.md).
    """

    class Hook(tf.train.SessionRunHook):
        runs = 0

        def after_run(self, run_context, run_values):
            self.runs += 1
            if self.runs == step:
                os.kill(os.getpid(), signal.SIGINT)

    return Hook()


def test_ctrl_c_in_workflow_train_saves_the_current_step(tiny_data, tmp_path):
    estimator = models.make_estimator("cnn", model_dir=tmp_path / "cnn")
    train_fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    previous = signal.getsignal(signal.SIGINT)
    with pytest.raises(TrainingInterrupted) as info:
        workflow.train(estimator, train_fn, steps=1000, progress=False,
                       hooks=[_sigint_at_step(4)])
    assert signal.getsignal(signal.SIGINT) is previous  # handler restored
    stopped = info.value.global_step
    assert 4 <= stopped <= 5  # the step running when the signal came, at most one more
    assert isinstance(info.value, KeyboardInterrupt)
    assert tf.train.latest_checkpoint(str(tmp_path / "cnn")).endswith(f"model.ckpt-{stopped}")
    # Training again continues from the saved step.
    assert workflow.train(estimator, train_fn, steps=2, progress=False) == stopped + 2


def test_ctrl_c_before_the_session_or_twice_raises_at_once():
    with stop_on_interrupt() as hook:
        with pytest.raises(KeyboardInterrupt):  # no session yet: nothing to save
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        hook.session_running = True
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        assert hook.interrupted
        with pytest.raises(KeyboardInterrupt):  # the second Ctrl-C aborts
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
