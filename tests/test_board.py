"""board.py: the real TensorBoard on a model root, and its errors in the library's words.

The server runs on a free loopback port; its own HTTP API must list the ``loss``
of both models, with the values the event files hold. Ctrl-C must stop it and
everything it started. The errors name the parameters of ``run_tensorboard``
(the command line's flags for them: tests/cli/test_cli_inspection.py).
"""

import json
import re
import select
import signal
import subprocess
import sys
import urllib.request

from tutorial17 import board
from tutorial17.cli import main
from tutorial17.errors import ArgumentError
from tutorial17.events import find_event_dirs, training_curves

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


def test_missing_model_root_names_the_parameter(tmp_path):
    with pytest.raises(ArgumentError) as caught:
        board.run_tensorboard(tmp_path / "nowhere", port=0)
    assert caught.value.option == "model_root" and caught.value.options == ("model_root",)
    assert str(caught.value).startswith(f"model_root={tmp_path / 'nowhere'}: no such directory")
    assert isinstance(caught.value, ValueError)  # a bad argument value, to library code


def test_model_root_without_events_names_the_parameter(tmp_path):
    with pytest.raises(ArgumentError, match=r"^model_root=.*: no TensorBoard event") as caught:
        board.check_model_root(tmp_path)
    assert caught.value.option == "model_root"


def test_model_root_with_events_gives_its_runs(trained_root):
    assert board.check_model_root(trained_root) == sorted(
        find_event_dirs(trained_root / "dnn") + find_event_dirs(trained_root / "cnn"))


def test_port_in_use_names_the_parameter_without_flags(busy_port):
    with pytest.raises(ArgumentError) as caught:
        board.pick_port("127.0.0.1", busy_port)
    assert caught.value.option == "port"
    assert str(caught.value) == (f"port={busy_port}: already in use on 127.0.0.1 (another "
                                 "TensorBoard?); pick another with port=N, or port=0 for any "
                                 "free one")


def test_port_zero_picks_a_free_port():
    assert 0 < board.pick_port("127.0.0.1", 0) <= 65535


def test_unknown_host_names_the_parameter():
    with pytest.raises(ArgumentError, match=r"^host=no-such-host\.invalid: ") as caught:
        board.pick_port("no-such-host.invalid", 0)
    assert caught.value.option == "host"


def test_address_of_another_machine_names_host_and_port():
    with pytest.raises(ArgumentError, match=r"^host=192\.0\.2\.1 port=6006: cannot listen") \
            as caught:
        board.pick_port("192.0.2.1", 6006)  # TEST-NET-1 (RFC 5737): no address of this machine
    assert caught.value.options == ("host", "port")
