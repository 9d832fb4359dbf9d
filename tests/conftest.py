"""Shared fixtures: a tiny but real slice of MNIST, written once per test session."""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tutorial17 import data  # noqa: E402
from tutorial17.notebook import SMOKE_DATA_ARGS  # noqa: E402

import pytest  # noqa: E402

# The smoke slice: 5,300 training records (the 5,000 of the validation split plus 300 to
# train on) and 300 test records.
TINY_TRAIN_RECORDS = SMOKE_DATA_ARGS["num_train_records"]
TINY_TEST_RECORDS = SMOKE_DATA_ARGS["num_test_records"]


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
