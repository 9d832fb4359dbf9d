"""Shared fixtures: a tiny but real slice of MNIST, written once per test session.

Also the two tiers: tests marked ``@pytest.mark.slow`` (clusters of processes, whole
notebooks but the walkthrough's smoke run, the other stack, servers, extra environments,
any second Python process that loads TensorFlow)
run only with ``--run-slow`` (``make test-all``) or when ``-m`` selects them; plain
``pytest`` (``make test``) runs the fast tier.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tutorial17 import data  # noqa: E402
from tutorial17.notebook import SMOKE_DATA_ARGS  # noqa: E402

import pytest  # noqa: E402

# The smoke slice: 5,300 training records (the 5,000 of the validation split plus 300 to
# train on) and 300 test records.
TINY_TRAIN_RECORDS = SMOKE_DATA_ARGS["num_train_records"]
TINY_TEST_RECORDS = SMOKE_DATA_ARGS["num_test_records"]


RUN_SLOW_OPTION = "--run-slow"


def pytest_addoption(parser):
    parser.addoption(RUN_SLOW_OPTION, action="store_true",
                     help="run the slow tier too (tests marked slow): make test-all")


def pytest_collection_modifyitems(config, items):
    """Leave out the slow tests unless ``--run-slow`` or a ``-m`` expression asks for them."""
    if config.getoption(RUN_SLOW_OPTION) or config.getoption("markexpr"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
    config._tutorial17_slow_left_out = len(slow)
    if hasattr(config, "workeroutput"):  # a pytest-xdist worker: tell the controller
        config.workeroutput["slow_left_out"] = len(slow)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Under ``pytest -n`` (make test) the workers collect; take their count of slow tests."""
    left_out = getattr(node, "workeroutput", {}).get("slow_left_out", 0)
    config = node.config
    config._tutorial17_slow_left_out = max(getattr(config, "_tutorial17_slow_left_out", 0),
                                           left_out)


def pytest_terminal_summary(terminalreporter, config):
    left_out = getattr(config, "_tutorial17_slow_left_out", 0)
    if left_out:
        terminalreporter.write_line(f"{left_out} slow test(s) left out: make test-all or "
                                    f"pytest {RUN_SLOW_OPTION} runs them too")


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory):
    """A directory holding the first records of the four real MNIST files."""
    return data.write_subset(tmp_path_factory.mktemp("mnist-tiny"),
                             TINY_TRAIN_RECORDS, TINY_TEST_RECORDS)


@pytest.fixture(scope="session")
def tiny_data(tiny_data_dir):
    return data.read_data_sets(tiny_data_dir)


def wait_for(condition, timeout, what, proc=None):
    """Poll ``condition`` until it returns something true, and return that.

    Fails the test after ``timeout`` seconds, or at once if ``proc`` (a process
    the condition waits on) has ended, showing the end of its stderr; on timeout
    ``proc`` is killed.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"process ended (status {proc.returncode}) before {what}: "
                        f"{proc.stderr.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.2)
    if proc is not None:
        proc.kill()
    pytest.fail(f"no {what} within {timeout} s")


def alive(pid):
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def assert_all_gone(pids, within=10.0):
    """Fail unless every process of ``pids`` (``{name: pid}``) is gone within ``within`` s."""
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [name for name, pid in pids.items() if alive(pid)], pids


def descendants(pid):
    """Return ``{"pid N": N}`` for every process below ``pid``, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found.values():
                found[f"pid {child}"] = child
                frontier.append(child)
    return found


def start_in_foreground(command, **kwargs):
    """Start ``command`` as a terminal starts a foreground job; return its ``Popen``.

    It gets its own process group (see :func:`kill_group`) and SIGINT at its default
    action, so that Python in it raises ``KeyboardInterrupt`` on SIGINT. A process
    that inherits SIGINT ignored (every job started in the background of a script,
    e.g. ``make test &``) keeps ignoring it, and so would the child. Set in this
    process rather than in the child (``preexec_fn``), which is unsafe with threads.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(command, start_new_session=True, **kwargs)
    finally:
        signal.signal(signal.SIGINT, previous)


def kill_group(proc):
    """SIGKILL what is left of the process group ``proc`` leads, and reap ``proc``.

    A group already gone, or a ``proc`` that leads none, is no error.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.fixture
def busy_port():
    """A loopback port this process listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]
