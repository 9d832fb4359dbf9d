"""``info`` and ``tensorboard`` (cli/inspection.py): the report, and board.py's errors as flags.

The server itself is tested in tests/test_board.py; here every bad argument must
come out as one line naming the flag (``--port``, ``--model-root``, ``--host``),
though board.py words its errors with its parameters' names.
"""

import subprocess
import sys

from tutorial17.cli import EXIT_USAGE, main
from tutorial17.events import EVENT_FILE_GLOB

import pytest
import tensorflow.compat.v1 as tf


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_info_lists_versions_and_data_dir():
    proc = subprocess.run([sys.executable, "-m", "tutorial17", "info"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0
    for key in ("Python:", f"TensorFlow:  {tf.VERSION}", "numpy:", "Devices:", "CUDA",
                "Data dir:"):
        assert key in proc.stdout


@pytest.fixture
def root_with_events(tmp_path):
    """A model root holding one file named like an event file: all the checks look for."""
    run = tmp_path / "root" / "dnn"
    run.mkdir(parents=True)
    (run / EVENT_FILE_GLOB.replace("*", "0.test")).write_bytes(b"")
    return run.parent


def _error_line(args, capsys):
    assert main(["tensorboard", *map(str, args)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err.rstrip("\n")


def test_missing_model_root_is_named_as_the_flag(tmp_path, capsys):
    assert _error_line(["--model-root", tmp_path / "nowhere"], capsys) == (
        f"error: --model-root {tmp_path / 'nowhere'}: no such directory; train a model first "
        "(make run writes into runs/)")


def test_model_root_without_events_is_named_as_the_flag(tmp_path, capsys):
    assert _error_line(["--model-root", tmp_path], capsys) == (
        f"error: --model-root {tmp_path}: no TensorBoard event files under it; train a model "
        "there first (make run writes into runs/)")


def test_port_in_use_is_named_as_the_flag_hint_included(root_with_events, busy_port, capsys):
    assert _error_line(["--model-root", root_with_events, "--port", busy_port], capsys) == (
        f"error: --port {busy_port}: already in use on 127.0.0.1 (another TensorBoard?); "
        "pick another with --port N, or --port 0 for any free one")


def test_unknown_host_is_named_as_the_flag(root_with_events, capsys):
    line = _error_line(["--model-root", root_with_events, "--host", "no-such-host.invalid"],
                       capsys)
    assert line.startswith("error: --host no-such-host.invalid: not a host name or address "
                           "this machine knows ("), line


def test_address_of_another_machine_names_both_flags(root_with_events, capsys):
    # 192.0.2.1 (TEST-NET-1, RFC 5737) is no address of this machine: binding to it fails.
    line = _error_line(["--model-root", root_with_events, "--host", "192.0.2.1",
                        "--port", "6006"], capsys)
    assert line.startswith("error: --host 192.0.2.1 --port 6006: cannot listen there ("), line


@pytest.mark.parametrize("port, message", [("70000", "70000 is not a port number (0-65535)"),
                                           ("-1", "-1 must be at least 0")])
def test_port_out_of_range_is_refused_by_the_parser(port, message, root_with_events, capsys):
    line = _error_line(["--model-root", root_with_events, "--port", port], capsys)
    assert line.startswith("error: python -m tutorial17 tensorboard: argument --port: ")
    assert message in line
