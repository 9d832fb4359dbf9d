"""The processes of a local cluster: start, watch, stop, reap (``tutorial17.cluster.processes``).

The processes here are small Python stand-ins, not TensorFlow tasks.
"""

import json
import os
import signal
import subprocess
import sys
import time

from tutorial17.cluster import processes
from tutorial17.cluster.processes import LocalCluster
from tutorial17.cluster.spec import Task
from tutorial17.errors import ClusterError

import pytest

from conftest import kill_group, wait_for

# Ignores SIGTERM, as a task stuck in TensorFlow's teardown can seem to.
TASK_STAND_IN = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                 "print('ready', flush=True); time.sleep(600)")


def test_stop_processes_kills_what_ignores_sigterm():
    procs = [subprocess.Popen([sys.executable, "-c", TASK_STAND_IN], stdout=subprocess.PIPE,
                              text=True, start_new_session=True) for _ in range(2)]
    try:
        for proc in procs:  # SIGTERM is ignored from then on (on a busy machine, seconds later)
            assert proc.stdout.readline() == "ready\n"
        start = time.monotonic()
        processes.stop_processes(procs, grace=0.5)
        assert time.monotonic() - start < 10
        assert [p.returncode for p in procs] == [-signal.SIGKILL] * 2
    finally:
        for proc in procs:
            kill_group(proc)


def test_ended_tasks_are_reaped_and_a_failure_is_one_line(tmp_path):
    cluster = LocalCluster(tmp_path)
    fine, failing = Task("worker"), Task("ps")
    cluster.start(fine, [sys.executable, "-c", "print('fine')"], env=dict(os.environ))
    cluster.start(failing, [sys.executable, "-c", "import sys; print('one\\ntwo\\nthree\\n"
                            "four'); sys.exit(3)"], env=dict(os.environ))
    try:
        assert json.loads((tmp_path / "pids.json").read_text()) == cluster.pids
        assert sorted(cluster.pids) == ["ps-0", "worker-0"] and len(cluster) == 2
        wait_for(lambda: len(cluster.exit_codes([fine, failing])) == 2, 60, "both to exit")
        assert cluster.exit_codes([failing, fine]) == {failing: 3, fine: 0}
        assert list(cluster.exit_codes([failing, fine])) == [failing, fine]  # in their order
        assert not cluster.is_running(fine) and not cluster.is_running(Task("chief"))
        assert Task("chief") not in cluster and fine in cluster
        assert cluster.failure(failing) == (f"ps-0 failed (exit status 3): two | three | four "
                                            f"(log: {tmp_path / 'ps-0.log'})")
        cluster.wait(fine)
        with pytest.raises(ClusterError, match="^ps-0 failed"):
            cluster.wait(failing)
    finally:
        cluster.stop(grace=0)


def test_wait_checks_at_every_poll_and_stop_kills(tmp_path):
    cluster = LocalCluster(tmp_path)
    task = Task("evaluator")
    cluster.start(task, [sys.executable, "-c", TASK_STAND_IN], env=dict(os.environ))
    polls = []

    def check():
        polls.append(time.monotonic())
        if len(polls) == 3:
            raise ClusterError("time is up")

    try:
        with pytest.raises(ClusterError, match="time is up"):
            cluster.wait(task, check=check)
        assert cluster.is_running(task)
    finally:
        cluster.stop(grace=0)
    assert not cluster.is_running(task)
    assert cluster.exit_codes([task]) == {task: -signal.SIGKILL}
    assert processes.describe_exit(-signal.SIGKILL) == "killed by signal 9"


def test_run_dirs_are_new_each_time(tmp_path):
    first, second = processes.new_run_dir(tmp_path), processes.new_run_dir(tmp_path)
    assert first != second and first.is_dir() and second.is_dir()
    assert first.parent == second.parent == tmp_path / processes.RUNS_DIR


class Stop(Exception):
    pass


def test_sigterm_raises_within_the_block_only():
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Stop), processes.sigterm_raises(Stop):
        # Only signal ourselves if the handler is in place (else SIGTERM would end pytest).
        assert signal.getsignal(signal.SIGTERM) is not previous
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
    assert signal.getsignal(signal.SIGTERM) is previous
