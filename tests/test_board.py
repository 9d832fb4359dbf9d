"""``python -m tutorial17 tensorboard``: the real TensorBoard on a model root, and its errors.

The server runs on a free loopback port; its own HTTP API must list the ``loss``
of both models, with the values the event files hold. Ctrl-C must stop it and
everything it started.
"""

import json
import re
import select
import signal
import socket
import subprocess
import sys
import urllib.request

from tutorial17.cli import main
from tutorial17.events import training_curves

import numpy as np
import pytest

from conftest import assert_all_gone, descendants, wait_for

SERVING = re.compile(r"^TensorBoard (\S+) on (.+) \((\d+) runs\): (http://127\.0\.0\.1:\d+/) "
                     r"\(Ctrl-C stops it\)$")
START_TIMEOUT = 180  # TensorBoard imports TensorFlow before it serves
STEPS = "3"


@pytest.fixture(scope="module")
def trained_root(tiny_data_dir, tmp_path_factory):
    """A model root with a short ``train`` of each model: ``dnn/`` and ``cnn/``."""
    root = tmp_path_factory.mktemp("tensorboard-root")
    for model in ("dnn", "cnn"):
        assert main(["train", "--model", model, "--model-dir", str(root / model), "--steps",
                     STEPS, "--data-dir", str(tiny_data_dir), "--no-progress"]) == 0
    return root


def _get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read().decode())


def _read_line(proc, timeout):
    """Return the next line of ``proc``'s stdout, or '' if none came within ``timeout`` s."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


def _ctrl_c_reaches():
    """Give the child the default SIGINT action a terminal's foreground job has.

    A job started in the background of a non-interactive shell inherits SIGINT
    ignored, and Python then installs no KeyboardInterrupt for it.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow  # starts TensorBoard's server
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_tensorboard_serves_both_models_loss_and_stops_cleanly(stop_signal, trained_root):
    proc = subprocess.Popen([sys.executable, "-m", "tutorial17", "tensorboard", "--model-root",
                             str(trained_root), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ctrl_c_reaches)
    try:
        line = _read_line(proc, START_TIMEOUT)
        assert proc.poll() is None, proc.stderr.read()
        serving = SERVING.match(line.rstrip("\n"))
        assert serving, line
        assert serving.group(2) == str(trained_root) and serving.group(3) == "2"
        url = serving.group(4)

        def both_losses():
            tags = _get_json(url + "data/plugin/scalars/tags")
            return all("loss" in tags.get(run, {}) for run in ("dnn", "cnn")) and tags

        tags = wait_for(both_losses, 120, "the loss of both runs in TensorBoard", proc=proc)
        assert sorted(tags) == ["cnn", "dnn"]
        for run in ("dnn", "cnn"):  # the values TensorBoard serves are those of the files
            served = _get_json(f"{url}data/plugin/scalars/scalars?run={run}&tag=loss")
            steps, values = training_curves(trained_root / run).loss
            assert [int(step) for _, step, _ in served] == steps.tolist()
            np.testing.assert_allclose([value for _, _, value in served], values, rtol=1e-6)

        started = descendants(proc.pid)
        assert started, "TensorBoard runs as a child process"
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=60) == 0
        assert proc.stdout.read() == "TensorBoard stopped\n"
        assert proc.stderr.read() == ""  # no traceback, none of TensorBoard's lines
        assert_all_gone(started)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _busy_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


@pytest.mark.parametrize("args, message", [
    (["--model-root", "{tmp}/nowhere"], "no such directory"),
    (["--model-root", "{tmp}"], "no TensorBoard event files under it"),
    (["--model-root", "{root}", "--port", "70000"], "70000 is not a port number"),
    (["--model-root", "{root}", "--port", "-1"], "must be at least 0"),
    (["--model-root", "{root}", "--host", "no-such-host.invalid"], "--host no-such-host.invalid"),
    (["--model-root", "{root}", "--port", "{busy}"], "already in use"),
])
def test_bad_arguments_give_one_line_and_status_2(args, message, trained_root, tmp_path, capsys):
    with _busy_port() as busy:
        fill = {"tmp": tmp_path, "root": trained_root, "busy": busy.getsockname()[1]}
        assert main(["tensorboard", *(a.format(**fill) for a in args)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
