"""cli/options.py: the argument types, the path checks and library errors worded as flags."""

import argparse

from tutorial17.cli.options import (
    OneLineParser,
    check_dir,
    check_not_a_file,
    flag_message,
    flag_name,
    port_number,
    positive_number,
    whole_number,
)
from tutorial17.errors import ArgumentError, ClusterError, UsageError

import pytest


@pytest.mark.parametrize("minimum, text, value", [(1, "3", 3), (0, "0", 0), (5, "5", 5)])
def test_whole_number_accepts(minimum, text, value):
    assert whole_number(minimum)(text) == value


@pytest.mark.parametrize("minimum, text, message", [
    (1, "0", "0 must be positive"),
    (1, "ten", "'ten' is not a whole number"),
    (1, "2.5", "'2.5' is not a whole number"),
    (0, "-1", "-1 must be at least 0"),
])
def test_whole_number_refuses_in_one_line(minimum, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=f"^{message}$"):
        whole_number(minimum)(text)


def test_port_number_range():
    assert port_number("0") == 0 and port_number("65535") == 65535
    with pytest.raises(argparse.ArgumentTypeError, match=r"^65536 is not a port number"):
        port_number("65536")


@pytest.mark.parametrize("text, message", [("0", "0 must be positive"),
                                           ("x", "'x' is not a number")])
def test_positive_number(text, message):
    assert positive_number("0.5") == 0.5
    with pytest.raises(argparse.ArgumentTypeError, match=f"^{message}$"):
        positive_number(text)


def test_path_checks_name_the_flag(tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("")
    check_dir("--model-dir", tmp_path)
    with pytest.raises(UsageError, match=r"^--model-dir .*/nowhere: no such directory$"):
        check_dir("--model-dir", tmp_path / "nowhere")
    with pytest.raises(UsageError, match=r"^--data-dir .*/f: not a directory$"):
        check_dir("--data-dir", a_file)
    check_not_a_file("--plots", tmp_path / "new")  # may be created
    with pytest.raises(UsageError, match=r"^--plots .*/f: exists and is not a directory$"):
        check_not_a_file("--plots", a_file)


def test_parser_errors_are_one_line():
    parser = OneLineParser(prog="prog")
    parser.add_argument("--n", type=whole_number(1))
    with pytest.raises(UsageError) as caught:
        parser.parse_args(["--n", "0"])
    assert str(caught.value) == "prog: argument --n: 0 must be positive (see --help)"


def test_flag_name():
    assert flag_name("model_root") == "--model-root" and flag_name("port") == "--port"


@pytest.mark.parametrize("error, shown", [
    (ArgumentError("model_root=runs: no such directory", "model_root"),
     "--model-root runs: no such directory"),
    (ArgumentError("port=80: in use; pick another with port=N, or port=0 for any", "port"),
     "--port 80: in use; pick another with --port N, or --port 0 for any"),
    (ArgumentError("host=h port=1: cannot listen there", "host", "port"),
     "--host h --port 1: cannot listen there"),
    # a parameter's name inside other words, or not followed by '=', stays as it is
    (ArgumentError("port=1: not a port number (report=yes, the port, support=no)", "port"),
     "--port 1: not a port number (report=yes, the port, support=no)"),
    # a bare switch: name=True is the flag alone
    (ArgumentError("mirrored=True trains in one process; num_ps=2 asks for more", "mirrored",
                   "num_ps"), "--mirrored trains in one process; --ps 2 asks for more"),
])
def test_flag_message_puts_the_flags_back(error, shown):
    assert flag_message(error) == shown


def test_flag_message_takes_any_error_with_an_option_attribute():
    error = ClusterError("timeout=5: the cluster did not finish within it")
    error.option = "timeout"
    assert flag_message(error) == "--timeout 5: the cluster did not finish within it"


def test_flag_message_leaves_other_errors_alone():
    message = "t10k-images-idx3-ubyte.gz: not a readable gzip file; model_root=x stays"
    assert flag_message(UsageError(message)) == message
    assert flag_message(ValueError(message)) == message
