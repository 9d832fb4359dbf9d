"""A local TensorFlow cluster on loopback: what ``python -m tutorial17 cluster`` runs.

It starts one process per task (``python -m tutorial17 cluster-task``), each with
its own ``TF_CONFIG``: one chief, N workers, M parameter servers, optionally an
evaluator, all sharing one model directory. It shows one progress line (the
global step the chief reports), then the final global step and test accuracy,
and stops every process it started: when training ends, on error and on Ctrl-C
(parameter servers never exit by themselves). Each task runs in its own process
group, stopped with SIGTERM, then SIGKILL if it lingers. On Ctrl-C (or SIGTERM)
the workers and the evaluator stop at once, the chief is asked (SIGINT) to stop
after its current step and save a checkpoint, and everything stops as soon as it
has saved, or after :data:`CHIEF_SAVE_SECS` without it.

The launcher holds the model directory's training lock
(:mod:`tutorial17._runtime.locking`) for the whole run, so no other ``train`` or
``cluster`` writes into it meanwhile; the tasks it starts share the directory by
design and take no lock.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .._runtime.locking import lock_model_dir
from ..checkpoints import checkpoint_step
from ..errors import ClusterError
from ..events import EVAL_DIR
from ..progress import show_step, step_bar
from .task import PARENT_PID_ENV, TF_CONFIG_ENV, TaskOptions

LOOPBACK = "127.0.0.1"
POLL_SECS = 0.25
STOP_GRACE_SECS = 5.0
"""How long a task gets to exit after SIGTERM before SIGKILL."""
CHIEF_SAVE_SECS = 8.0
"""On Ctrl-C, how long the chief gets to finish its step and save a checkpoint (a couple
of seconds on 2 busy cores); what it does after saving is not waited for."""
INTERRUPTED_GRACE_SECS = 1.0
"""On Ctrl-C, the SIGTERM grace of tasks that have nothing left to save."""
LOG_TAIL_LINES = 3
RUNS_DIR = "cluster-runs"
"""Per-run logs and status files go to ``<model_dir>/cluster-runs/<timestamp>/``."""


@dataclass(frozen=True)
class Task:
    """One task of the cluster: ``type`` is chief, worker, ps, evaluator or local."""

    type: str
    index: int = 0

    @property
    def name(self):
        return f"{self.type}-{self.index}"


@dataclass(frozen=True)
class ClusterOptions:
    """A local cluster run: what every task is told, and which tasks run where.

    ``python -m tutorial17 cluster`` builds one from its options (:mod:`.cli`).
    ``base_port``: the tasks listen on ``base_port``, ``base_port+1``, ... (default:
    free ports); ``timeout``: seconds the whole run may take (default: no limit).
    """

    task: TaskOptions
    num_workers: int = 1
    num_ps: int = 1
    evaluator: bool = False
    base_port: Optional[int] = None
    host: str = LOOPBACK
    timeout: Optional[float] = None


@dataclass
class ClusterResult:
    """What a finished cluster run reports."""

    global_step: int
    accuracy: float
    loss: float
    eval_step: int
    seconds: float
    steps_per_sec: float
    run_dir: Path
    pids: dict = field(default_factory=dict)


# --- Cluster spec and TF_CONFIG ---

def pick_free_ports(count, host=LOOPBACK):
    """Return ``count`` distinct TCP ports free on ``host`` right now.

    All sockets stay open until every port is chosen, so the ports differ;
    another program could still take one before TensorFlow binds it (then that
    task fails to start and the run stops with its error).
    """
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def make_cluster_spec(num_workers, num_ps, ports, host=LOOPBACK):
    """Return the cluster spec ``{"chief": [...], "worker": [...], "ps": [...]}``.

    Addresses are ``host:port``; ``ports`` gives one port per task, chief first,
    then workers, then ps.
    """
    needed = 1 + num_workers + num_ps
    if len(ports) != needed:
        raise ValueError(f"need {needed} ports, got {len(ports)}")
    addresses = [f"{host}:{port}" for port in ports]
    spec = {"chief": addresses[:1], "ps": addresses[1 + num_workers:]}
    if num_workers:
        spec["worker"] = addresses[1:1 + num_workers]
    return spec


def make_tf_config(cluster, task):
    """Return the ``TF_CONFIG`` dict for ``task`` in ``cluster``."""
    return {"cluster": cluster, "task": {"type": task.type, "index": task.index}}


def cluster_tasks(num_workers, num_ps, evaluator=False):
    """Return the tasks in start order: parameter servers, then chief, workers, evaluator."""
    tasks = [Task("ps", i) for i in range(num_ps)] + [Task("chief")]
    tasks += [Task("worker", i) for i in range(num_workers)]
    if evaluator:
        tasks.append(Task("evaluator"))
    return tasks


def check_cluster_args(num_workers, num_ps, mirrored, evaluator=False):
    """Refuse combinations that cannot work, with one line saying why."""
    if mirrored and evaluator:
        raise ClusterError("--evaluator is a task of a parameter-server cluster; --mirrored "
                           "evaluates in its one process after training")
    if mirrored and (num_workers or num_ps):
        raise ClusterError("--mirrored trains in one process over all local GPUs: use it "
                           "with --workers 0 --ps 0 (a parameter-server cluster replicates "
                           "across processes instead)")
    if not mirrored and num_ps < 1:
        raise ClusterError("--ps must be at least 1: parameter servers hold the variables "
                           "the chief and workers share")
    if num_workers < 0:
        raise ClusterError("--workers must be 0 or more")


# --- Reading what the tasks leave behind ---

def read_status(path):
    """Return the JSON status a task last wrote, or None if there is none (yet)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def read_eval_metrics(model_dir, eval_dir=EVAL_DIR):
    """Return the last evaluation in ``model_dir/eval`` as ``{"step", "accuracy", "loss"}``.

    None if there is none. Reads the evaluator's events files, the same ones
    TensorBoard shows.
    """
    from ..events import read_scalars

    scalars = read_scalars(Path(model_dir, eval_dir))
    found = {}  # step -> {tag: value}
    for tag in ("accuracy", "loss"):
        for step, value in zip(*scalars.get(tag, ((), ()))):
            found.setdefault(int(step), {})[tag] = float(value)
    complete = [step for step, values in found.items() if len(values) == 2]
    if not complete:
        return None
    step = max(complete)
    return {"step": step, **found[step]}


def _log_tail(path, lines=LOG_TAIL_LINES):
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def _first_line_starting(path, prefix):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    return next((line for line in lines if line.startswith(prefix)), f"{prefix} (not logged)")


def _describe_exit(code):
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


# --- Starting and stopping processes ---

def task_command(task, options, status_file=None):
    """Return the command line that runs ``task`` with the :class:`TaskOptions` ``options``.

    The task's role comes from its ``TF_CONFIG``, not from the command line.
    """
    cmd = [sys.executable, "-m", "tutorial17", "cluster-task", "--model", options.model,
           "--model-dir", str(options.model_dir), "--steps", str(options.max_steps),
           "--checkpoint-secs", str(options.checkpoint_secs),
           "--eval-throttle-secs", str(options.eval_throttle_secs), "--no-progress"]
    if options.data_dir is not None:
        cmd += ["--data-dir", str(options.data_dir)]
    if options.mirrored:
        cmd.append("--mirrored")
    if status_file is not None:
        cmd += ["--status-file", str(status_file)]
    return cmd


def task_environment(task, cluster=None, base=None):
    """Return the environment of ``task``: ``TF_CONFIG`` for a cluster task, none for local."""
    env = dict(os.environ if base is None else base)
    env.pop(TF_CONFIG_ENV, None)
    if cluster is not None:
        env[TF_CONFIG_ENV] = json.dumps(make_tf_config(cluster, task))
    env[PARENT_PID_ENV] = str(os.getpid())
    # Many processes share this machine's GPUs (if any): grow memory on demand
    # instead of each task taking it all; parameter servers need none.
    env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    if task.type == "ps":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


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


class _Terminated(BaseException):
    """SIGTERM reaching the launcher: the tasks are stopped as on Ctrl-C."""


class LocalCluster:
    """Processes of one local cluster run, with their logs and status files in ``run_dir``."""

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.procs = {}
        self._logs = {}

    def start(self, task, cmd, env):
        log_path = self.run_dir / f"{task.name}.log"
        with open(log_path, "wb") as log:
            self.procs[task] = subprocess.Popen(cmd, env=env, stdout=log,
                                                stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL,
                                                start_new_session=True)
        self._logs[task] = log_path
        self._write_pids()

    def _write_pids(self):
        pids = {task.name: proc.pid for task, proc in self.procs.items()}
        (self.run_dir / "pids.json").write_text(json.dumps(pids, indent=1) + "\n")

    def status_file(self, task):
        return self.run_dir / f"{task.name}.json"

    def failure(self, task):
        """Return one line on why ``task`` ended badly."""
        proc = self.procs[task]
        return (f"{task.name} failed ({_describe_exit(proc.returncode)}): "
                f"{_log_tail(self._logs[task]) or 'no output'} (log: {self._logs[task]})")

    def stop(self, tasks=None, grace=STOP_GRACE_SECS):
        tasks = list(self.procs) if tasks is None else tasks
        stop_processes([self.procs[t] for t in tasks], grace=grace)

    def ask_to_save(self, task, timeout=CHIEF_SAVE_SECS):
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

    @property
    def pids(self):
        return {task.name: proc.pid for task, proc in self.procs.items()}


def _new_run_dir(model_dir):
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


class _Progress:
    """The progress line of a cluster run: the global step the chief reports, of ``max_steps``."""

    def __init__(self, max_steps, desc, file, enabled):
        self.max_steps, self.desc, self.enabled = max_steps, desc, enabled
        self.file = file if file is not None else sys.stderr
        self.bar = None
        self.samples = []  # (time, global step) as reported

    def update(self, status, note=""):
        if not status or status.get("step") is None:
            return
        step = int(status["step"])
        # Only steps as they happen: the final records come after saving (and evaluating).
        as_it_happens = not (status.get("done") or status.get("saved"))
        if as_it_happens and (not self.samples or step != self.samples[-1][1]):
            self.samples.append((float(status["time"]), step))
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = step_bar(self.max_steps, self.desc, self.file,
                                initial=min(step, self.max_steps))
        show_step(self.bar, min(step, self.max_steps), step, status.get("loss"), note)

    def write(self, line):
        if self.bar is not None:
            self.bar.write(line, file=self.file)
        else:
            print(line, file=self.file, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def steps_per_sec(self):
        """Return the global steps per second between the first and last report of training.

        NaN when training was too short to see two reports.
        """
        if len(self.samples) < 2:
            return float("nan")
        (t0, s0), (t1, s1) = self.samples[0], self.samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else float("nan")


def run_cluster(options, progress=True, log=print, progress_file=None):
    """Train to global step ``options.task.max_steps`` on a local cluster; return the result.

    ``options`` is a :class:`ClusterOptions`. Continues from a checkpoint already
    in the model directory. Without an evaluator task, a lone evaluator
    evaluates the final checkpoint once training has ended. ``options.task.mirrored``
    runs a single local task with ``MirroredStrategy`` instead of a
    parameter-server cluster. Every process started here has ended when this
    returns (a :class:`ClusterResult`) or raises. Raises
    :class:`~tutorial17.errors.ModelDirBusyError` if another process is training
    into the model directory.
    """
    check_cluster_args(options.num_workers, options.num_ps, options.task.mirrored,
                       options.evaluator)
    with lock_model_dir(Path(options.task.model_dir)):
        run = _ClusterRun(options, log)
        bar = _Progress(options.task.max_steps, f"cluster {options.task.model}", progress_file,
                        progress)
        with _sigterm_raises_terminated():
            try:
                run.train(bar)
                run.evaluate_final()
                bar.close()
            except (KeyboardInterrupt, _Terminated):
                bar.close()
                raise KeyboardInterrupt(run.stop_after_saving()) from None
            finally:
                bar.close()
                run.processes.stop()
        return run.result(bar)


@contextlib.contextmanager
def _sigterm_raises_terminated():
    """Raise :class:`_Terminated` on SIGTERM within the ``with`` block (in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigterm(signum, frame):
        raise _Terminated()

    previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


class _ClusterRun:
    """One run of :func:`run_cluster` once the model directory is locked, in its parts."""

    def __init__(self, options, log):
        self.options, self.log = options, log
        self.model_dir = Path(options.task.model_dir)
        self.run_dir = _new_run_dir(self.model_dir)
        if options.task.mirrored:
            self.cluster, self.trainers = None, [Task("local")]
            self.tasks = list(self.trainers)
            where = "one local process with MirroredStrategy"
        else:
            num_workers, num_ps, host = options.num_workers, options.num_ps, options.host
            count = 1 + num_workers + num_ps
            ports = (list(range(options.base_port, options.base_port + count))
                     if options.base_port is not None else pick_free_ports(count, host))
            self.cluster = make_cluster_spec(num_workers, num_ps, ports, host)
            self.tasks = cluster_tasks(num_workers, num_ps, options.evaluator)
            self.trainers = [t for t in self.tasks if t.type in ("chief", "worker")]
            where = (f"chief + {num_workers} worker(s) + {num_ps} ps"
                     f"{' + evaluator' if options.evaluator else ''} on {host} "
                     f"(ports {', '.join(map(str, ports))})")
        self.chief = self.trainers[0]
        (self.run_dir / "cluster.json").write_text(json.dumps(self.cluster, indent=1) + "\n")
        log(f"Cluster: {where}; logs in {self.run_dir}")
        self.processes = LocalCluster(self.run_dir)
        self.start_time = time.monotonic()
        timeout = options.timeout
        self.deadline = self.start_time + timeout if timeout is not None else None

    def start(self, task):
        """Start the process of ``task``."""
        command = task_command(task, self.options.task, self.processes.status_file(task))
        self.processes.start(task, command, task_environment(task, self.cluster))

    def train(self, bar):
        """Start every task and wait until the chief has finished training."""
        for task in self.tasks:
            self.start(task)
        self._watch_training(bar)
        # Training is over once the chief has saved max_steps: the other trainers'
        # further steps would only overshoot, and parameter servers never exit.
        self.processes.stop([t for t in self.tasks if t.type in ("worker", "ps")])

    def evaluate_final(self):
        """Evaluate the final checkpoint, unless the evaluator task has done so already."""
        if self.options.task.mirrored:
            return  # the one local task evaluated after training
        final_eval = Task("evaluator")
        if final_eval not in self.processes.procs:
            self.start(final_eval)
        self._wait_for(final_eval)

    def stop_after_saving(self):
        """Stop every task, the chief once it saved its step; return one line on what is kept.

        The workers and the evaluator stop first: nothing of theirs is saved, and
        they would slow the chief down. Parameter servers stay up while the chief
        saves (the save runs on them). A second Ctrl-C stops everything at once.
        """
        run = self.processes
        run.stop([t for t in run.procs if t.type in ("worker", "evaluator")],
                 grace=INTERRUPTED_GRACE_SECS)
        saved = run.ask_to_save(self.chief, timeout=CHIEF_SAVE_SECS) is not None
        chief_ended = self.chief not in run.procs or run.procs[self.chief].poll() is not None
        run.stop(grace=INTERRUPTED_GRACE_SECS)
        step = checkpoint_step(self.model_dir)
        where = (f"checkpoint at global step {step} in {self.model_dir}" if step is not None
                 else f"no checkpoint yet in {self.model_dir}")
        how = (" after the chief saved" if saved
               else "; the chief ended without saving" if chief_ended
               else f"; the chief did not save within {CHIEF_SAVE_SECS:g} s, so its steps "
                    "since the last checkpoint are lost")
        return (f"stopped {len(run.procs)} task(s){how}; {where}; "
                "run the same command again to continue from it")

    def result(self, bar):
        """Return the :class:`ClusterResult` of the finished run, from what the tasks left."""
        if self.options.task.mirrored:
            self.log(_first_line_starting(self.run_dir / f"{self.chief.name}.log",
                                          "MirroredStrategy:"))
        final_status = read_status(self.processes.status_file(self.chief)) or {}
        metrics = read_eval_metrics(self.model_dir)
        if metrics is None:
            raise ClusterError(f"no evaluation results in {self.model_dir / EVAL_DIR}")
        global_step = final_status.get("step")
        if global_step is None:
            global_step = metrics["step"]
        return ClusterResult(global_step=int(global_step), accuracy=metrics["accuracy"],
                             loss=metrics["loss"], eval_step=metrics["step"],
                             seconds=time.monotonic() - self.start_time,
                             steps_per_sec=bar.steps_per_sec(), run_dir=self.run_dir,
                             pids=self.processes.pids)

    def _check_deadline(self, what):
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ClusterError(f"{what} did not finish within --timeout "
                               f"{self.options.timeout:g} s")

    def _watch_training(self, bar):
        """Poll until the chief has finished training; raise on a failure that ends the run.

        A worker that dies is reported and training goes on without it (asynchronous
        training does not wait for it); the chief, a parameter server or the
        evaluator dying ends the run.
        """
        run, chief, trainers = self.processes, self.chief, self.trainers
        reported = set()
        while True:
            alive = sum(run.procs[t].poll() is None for t in trainers)
            bar.update(read_status(run.status_file(chief)),
                       note=f" trainers={alive}/{len(trainers)}")
            for task in self.tasks:
                code = run.procs[task].poll()
                if code is None or task in reported:
                    continue
                if task == chief:
                    if code != 0:
                        raise ClusterError(run.failure(task) + "; run the same command again "
                                           "to continue from the last checkpoint")
                    return
                if task.type == "worker":
                    reported.add(task)
                    if code != 0:
                        bar.write(f"warning: {run.failure(task)}; training goes on without it")
                    continue
                if task.type == "evaluator" and code == 0:
                    reported.add(task)  # it saw the final checkpoint before the chief exited
                    continue
                raise ClusterError(run.failure(task))
            self._check_deadline("training")
            time.sleep(POLL_SECS)

    def _wait_for(self, task):
        """Wait for ``task`` to end; raise unless it succeeded."""
        proc = self.processes.procs[task]
        while proc.poll() is None:
            self._check_deadline(task.name)
            time.sleep(POLL_SECS)
        if proc.returncode != 0:
            raise ClusterError(self.processes.failure(task))
