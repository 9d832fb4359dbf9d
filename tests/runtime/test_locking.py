"""One trainer per model directory; a dead holder leaves no stuck lock.

The real two-process case (a CLI trainer running, a second one refused, the
first SIGKILLed, training resumed) is in test_interrupted_training.py.
"""

import os
import signal
import subprocess
import sys
import textwrap

from tutorial17 import workflow
from tutorial17._runtime.locking import LOCK_FILE_NAME, lock_model_dir
from tutorial17.errors import ModelDirBusyError, Tutorial17Error

import pytest

# Takes the lock as lock_model_dir does, says so, then waits to be killed. Plain
# Python (no TensorFlow) so that it starts in well under a second.
HOLDER = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\\n".encode())
    print("locked", flush=True)
    time.sleep(600)
""")


def test_second_lock_is_refused_and_released_after(tmp_path):
    with lock_model_dir(tmp_path) as path:
        assert path == tmp_path / LOCK_FILE_NAME
        assert path.read_text().strip() == str(os.getpid())
        with pytest.raises(ModelDirBusyError) as info, lock_model_dir(tmp_path):
            pass
        assert isinstance(info.value, Tutorial17Error)
        message = str(info.value)
        assert str(tmp_path) in message and f"process {os.getpid()}" in message
    with lock_model_dir(tmp_path):  # free again
        pass


def test_lock_is_released_when_the_block_raises(tmp_path):
    with pytest.raises(RuntimeError), lock_model_dir(tmp_path):
        raise RuntimeError("training failed")
    with lock_model_dir(tmp_path):
        pass


def test_lock_creates_a_missing_model_dir(tmp_path):
    with lock_model_dir(tmp_path / "new" / "model"):
        assert (tmp_path / "new" / "model" / LOCK_FILE_NAME).is_file()


def test_lock_of_a_killed_process_is_not_stuck(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / LOCK_FILE_NAME)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ModelDirBusyError, match=f"process {holder.pid} is training"), \
                lock_model_dir(tmp_path):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    with lock_model_dir(tmp_path):  # the kernel released it with the process
        pass


def test_workflow_train_refuses_a_busy_model_dir(tiny_data, tmp_path):
    from tutorial17 import inputs, models

    estimator = models.make_estimator("dnn", model_dir=tmp_path / "dnn")
    train_fn = inputs.make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    with lock_model_dir(tmp_path / "dnn"), pytest.raises(ModelDirBusyError):
        workflow.train(estimator, train_fn, steps=2, progress=False)
    assert not (tmp_path / "dnn" / "checkpoint").exists()  # nothing trained, nothing saved
    assert workflow.train(estimator, train_fn, steps=2, progress=False) == 2
