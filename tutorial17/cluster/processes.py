"""The processes of a local cluster: start each task, watch which have ended, stop and reap them.

Each task runs in its own process group (``start_new_session``) with its output
in a log file, its status file and its process id beside it in a run directory
of its own, ``<model_dir>/cluster-runs/<timestamp>/``. Stopping sends SIGTERM to
each group, then SIGKILL to what is still there after a grace period, and waits
for every process, so none is left running or as a zombie.
"""

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from ..errors import ClusterError
from .status import log_tail, read_status

POLL_SECS = 0.25
STOP_GRACE_SECS = 5.0
"""How long a task gets to exit after SIGTERM before SIGKILL."""
RUNS_DIR = "cluster-runs"
"""Per-run logs and status files go to ``<model_dir>/cluster-runs/<timestamp>/``."""


def new_run_dir(model_dir):
    """Create and return a new run directory ``<model_dir>/cluster-runs/<timestamp>[-i]``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(model_dir) / RUNS_DIR
    for suffix in [""] + [f"-{i}" for i in range(1, 1000)]:
        run_dir = base / (stamp + suffix)
        try:
            run_dir.mkdir(parents=True)
            return run_dir
        except FileExistsError:
            continue
    raise ClusterError(f"cannot create a run directory under {base}")


def stop_processes(procs, grace=STOP_GRACE_SECS):
    """Stop every running process of ``procs``, ``Popen`` objects each leading its own group.

    SIGTERM goes to each process group, then SIGKILL to those still alive after
    ``grace`` seconds. Waits for all of them, so none is left as a zombie.
    """
    def signal_group(proc, sig):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)

    running = [p for p in procs if p.poll() is None]
    for proc in running:
        signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
            proc.wait()
    # Members of a group whose leader already exited (rare: tasks start no children).
    for proc in procs:
        signal_group(proc, signal.SIGKILL)


@contextlib.contextmanager
def sigterm_raises(exception_class):
    """Raise ``exception_class()`` on SIGTERM within the ``with`` block (in the main thread).

    Elsewhere (signal handlers belong to the main thread) SIGTERM keeps its handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigterm(signum, frame):
        raise exception_class()

    previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


def describe_exit(code):
    """Return how a process ended, from its ``Popen.returncode``."""
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


class LocalCluster:
    """Processes of one local cluster run, with their logs and status files in ``run_dir``.

    Tasks are :class:`~.spec.Task` objects; ``task in cluster`` tells whether one was started.
    """

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.procs = {}

    def __contains__(self, task):
        return task in self.procs

    def __len__(self):
        return len(self.procs)

    def start(self, task, cmd, env):
        """Start ``task`` as ``cmd`` in the environment ``env``, in a process group of its own."""
        with open(self.log_file(task), "wb") as log:
            self.procs[task] = subprocess.Popen(cmd, env=env, stdout=log,
                                                stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL,
                                                start_new_session=True)
        (self.run_dir / "pids.json").write_text(json.dumps(self.pids, indent=1) + "\n")

    def log_file(self, task):
        return self.run_dir / f"{task.name}.log"

    def status_file(self, task):
        return self.run_dir / f"{task.name}.json"

    @property
    def pids(self):
        return {task.name: proc.pid for task, proc in self.procs.items()}

    def is_running(self, task):
        """Tell whether ``task`` was started and is still running."""
        return task in self.procs and self.procs[task].poll() is None

    def exit_codes(self, tasks):
        """Return ``{task: exit code}`` of those of ``tasks`` that have ended, in their order.

        Polling reaps them: an ended task does not linger as a zombie.
        """
        codes = {task: self.procs[task].poll() for task in tasks}
        return {task: code for task, code in codes.items() if code is not None}

    def wait(self, task, check=None):
        """Wait for ``task`` to end, calling ``check()`` at each poll; raise unless it succeeded."""
        proc = self.procs[task]
        while proc.poll() is None:
            if check is not None:
                check()
            time.sleep(POLL_SECS)
        if proc.returncode != 0:
            raise ClusterError(self.failure(task))

    def failure(self, task):
        """Return one line on why ``task`` ended badly."""
        proc, log = self.procs[task], self.log_file(task)
        return (f"{task.name} failed ({describe_exit(proc.returncode)}): "
                f"{log_tail(log) or 'no output'} (log: {log})")

    def stop(self, tasks=None, grace=STOP_GRACE_SECS):
        """Stop ``tasks`` (default: all), as :func:`stop_processes` does."""
        tasks = list(self.procs) if tasks is None else tasks
        stop_processes([self.procs[t] for t in tasks], grace=grace)

    def ask_to_save(self, task, timeout):
        """Ask ``task`` to stop with SIGINT and save; return its saved global step, or None.

        A chief stops after its current step, saves a checkpoint and says so in
        its status file (:class:`~.task.StatusFileHook`); this returns as soon as
        it has, or once it has exited or ``timeout`` s have passed without it.
        """
        proc = self.procs.get(task)
        if proc is None or proc.poll() is not None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while True:
            ended = proc.poll() is not None  # before reading: it may save, then exit
            status = read_status(self.status_file(task)) or {}
            if status.get("saved") or status.get("done"):  # done: training ended, all saved
                return status.get("step")
            if ended or time.monotonic() > deadline:
                return None
            time.sleep(POLL_SECS / 5)
