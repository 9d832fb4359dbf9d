"""A local TensorFlow cluster on loopback: what ``python -m tutorial17 cluster`` runs.

:func:`run_cluster` takes a :class:`ClusterOptions` and returns a
:class:`ClusterResult`. It starts one process per task (``python -m tutorial17
cluster-task``), each with its own ``TF_CONFIG`` (:mod:`.spec`): one chief, N
workers, M parameter servers, optionally an evaluator, all sharing one model
directory. It shows one progress line (:mod:`.progress_line`), then the final
global step and test accuracy (:mod:`.status`), and stops every process it
started (:mod:`.processes`): when training ends, on error and on Ctrl-C
(parameter servers never exit by themselves). On Ctrl-C (or SIGTERM) the workers
and the evaluator stop at once, the chief is asked (SIGINT) to stop after its
current step and save a checkpoint, and everything stops as soon as it has
saved, or after :data:`CHIEF_SAVE_SECS` without it.

The launcher holds the model directory's training lock
(:mod:`tutorial17._runtime.locking`) for the whole run, so no other ``train`` or
``cluster`` writes into it meanwhile; the tasks it starts share the directory by
design and take no lock.
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .._runtime.locking import lock_model_dir
from ..checkpoints import checkpoint_step
from ..errors import ClusterError, ClusterOptionsError
from .processes import POLL_SECS, LocalCluster, new_run_dir, sigterm_raises
from .progress_line import ProgressLine
from .spec import (
    LOOPBACK,
    Task,
    loopback_layout,
    one_process_layout,
    task_command,
    task_environment,
)
from .status import first_line_starting, read_final_results, read_status
from .task import TaskOptions

CHIEF_SAVE_SECS = 8.0
"""On Ctrl-C, how long the chief gets to finish its step and save a checkpoint (a couple
of seconds on 2 busy cores); what it does after saving is not waited for."""
INTERRUPTED_GRACE_SECS = 1.0
"""On Ctrl-C, the SIGTERM grace of tasks that have nothing left to save."""


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


def check_cluster_options(options):
    """Refuse :class:`ClusterOptions` that cannot work, with one line saying why.

    Raises :class:`~tutorial17.errors.ClusterOptionsError`, whose ``option`` names
    the field at fault.
    """
    mirrored = options.task.mirrored
    if mirrored and options.evaluator:
        raise ClusterOptionsError("evaluator=True is a task of a parameter-server cluster; "
                                  "mirrored=True evaluates in its one process after training",
                                  "evaluator", "mirrored")
    if mirrored and (options.num_workers or options.num_ps):
        raise ClusterOptionsError("mirrored=True trains in one process over all local GPUs: "
                                  "use it with num_workers=0 and num_ps=0 (a "
                                  "parameter-server cluster replicates across processes instead)",
                                  "mirrored", "num_workers", "num_ps")
    if not mirrored and options.num_ps < 1:
        raise ClusterOptionsError(f"num_ps={options.num_ps}: must be at least 1, since "
                                  "parameter servers hold the variables the chief and workers "
                                  "share", "num_ps")
    if options.num_workers < 0:
        raise ClusterOptionsError(f"num_workers={options.num_workers}: must be 0 or more",
                                  "num_workers")


def run_cluster(options, progress=True, log=print, progress_file=None):
    """Train to global step ``options.task.max_steps`` on a local cluster; return the result.

    ``options`` is a :class:`ClusterOptions`. Continues from a checkpoint already
    in the model directory. Without an evaluator task, a lone evaluator
    evaluates the final checkpoint once training has ended. ``options.task.mirrored``
    runs a single local task with ``MirroredStrategy`` instead of a
    parameter-server cluster. Every process started here has ended when this
    returns (a :class:`ClusterResult`) or raises. Raises
    :class:`~tutorial17.errors.ClusterOptionsError` for options that cannot work
    (before anything starts) or a run past ``options.timeout``, and
    :class:`~tutorial17.errors.ModelDirBusyError` if another process is training
    into the model directory. On Ctrl-C (or SIGTERM) it raises ``KeyboardInterrupt``
    with one line on what was stopped and saved.
    """
    check_cluster_options(options)
    with lock_model_dir(Path(options.task.model_dir)):
        run = _ClusterRun(options, log)
        line = ProgressLine(options.task.max_steps, f"cluster {options.task.model}",
                            progress_file, enabled=progress)
        with sigterm_raises(_Terminated):
            try:
                with line:  # closed before the tasks are stopped, whatever happens
                    run.train(line)
                    run.evaluate_final()
            except (KeyboardInterrupt, _Terminated):
                raise KeyboardInterrupt(run.stop_after_saving()) from None
            finally:
                run.processes.stop()
        return run.result(line)


class _Terminated(BaseException):
    """SIGTERM reaching the launcher: the tasks are stopped as on Ctrl-C."""


class _ClusterRun:
    """One run of :func:`run_cluster` once the model directory is locked, in its parts."""

    def __init__(self, options, log):
        self.options, self.log = options, log
        self.model_dir = Path(options.task.model_dir)
        self.run_dir = new_run_dir(self.model_dir)
        if options.task.mirrored:
            self.layout = one_process_layout()
        else:
            self.layout = loopback_layout(options.num_workers, options.num_ps, options.evaluator,
                                          options.host, options.base_port)
        self.tasks, self.chief = self.layout.tasks, self.layout.chief
        (self.run_dir / "cluster.json").write_text(
            json.dumps(self.layout.cluster, indent=1) + "\n")
        log(f"Cluster: {self.layout.description}; logs in {self.run_dir}")
        self.processes = LocalCluster(self.run_dir)
        self.start_time = time.monotonic()
        timeout = options.timeout
        self.deadline = self.start_time + timeout if timeout is not None else None

    def start(self, task):
        """Start the process of ``task``."""
        command = task_command(task, self.options.task, self.processes.status_file(task))
        self.processes.start(task, command, task_environment(task, self.layout.cluster))

    def train(self, line):
        """Start every task and wait until the chief has finished training."""
        for task in self.tasks:
            self.start(task)
        self._watch_training(line)
        # Training is over once the chief has saved max_steps: the other trainers'
        # further steps would only overshoot, and parameter servers never exit.
        self.processes.stop([t for t in self.tasks if t.type in ("worker", "ps")])

    def evaluate_final(self):
        """Evaluate the final checkpoint, unless the evaluator task has done so already."""
        if self.options.task.mirrored:
            return  # the one local task evaluated after training
        final_eval = Task("evaluator")
        if final_eval not in self.processes:
            self.start(final_eval)
        self.processes.wait(final_eval, check=lambda: self._check_deadline(final_eval.name))

    def stop_after_saving(self):
        """Stop every task, the chief once it saved its step; return one line on what is kept.

        The workers and the evaluator stop first: nothing of theirs is saved, and
        they would slow the chief down. Parameter servers stay up while the chief
        saves (the save runs on them). A second Ctrl-C stops everything at once.
        """
        processes = self.processes
        processes.stop([t for t in processes.procs if t.type in ("worker", "evaluator")],
                       grace=INTERRUPTED_GRACE_SECS)
        saved = processes.ask_to_save(self.chief, timeout=CHIEF_SAVE_SECS) is not None
        chief_ended = not processes.is_running(self.chief)
        processes.stop(grace=INTERRUPTED_GRACE_SECS)
        step = checkpoint_step(self.model_dir)
        where = (f"checkpoint at global step {step} in {self.model_dir}" if step is not None
                 else f"no checkpoint yet in {self.model_dir}")
        how = (" after the chief saved" if saved
               else "; the chief ended without saving" if chief_ended
               else f"; the chief did not save within {CHIEF_SAVE_SECS:g} s, so its steps "
                    "since the last checkpoint are lost")
        return (f"stopped {len(processes)} task(s){how}; {where}; "
                "run the same command again to continue from it")

    def result(self, line):
        """Return the :class:`ClusterResult` of the finished run, from what the tasks left."""
        if self.options.task.mirrored:
            self.log(first_line_starting(self.processes.log_file(self.chief),
                                         "MirroredStrategy:"))
        global_step, metrics = read_final_results(self.model_dir,
                                                  self.processes.status_file(self.chief))
        return ClusterResult(global_step=global_step, accuracy=metrics["accuracy"],
                             loss=metrics["loss"], eval_step=metrics["step"],
                             seconds=time.monotonic() - self.start_time,
                             steps_per_sec=line.steps_per_sec(), run_dir=self.run_dir,
                             pids=self.processes.pids)

    def _check_deadline(self, what):
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ClusterOptionsError(f"{what} did not finish within "
                                      f"timeout={self.options.timeout:g} s", "timeout")

    def _watch_training(self, line):
        """Poll until the chief has finished training; raise on a failure that ends the run.

        A worker that dies is reported and training goes on without it (asynchronous
        training does not wait for it); the chief, a parameter server or the
        evaluator dying ends the run.
        """
        processes, chief, trainers = self.processes, self.chief, self.layout.trainers
        reported = set()
        while True:
            alive = sum(map(processes.is_running, trainers))
            line.update(read_status(processes.status_file(chief)),
                        note=f" trainers={alive}/{len(trainers)}")
            for task, code in processes.exit_codes(self.tasks).items():
                if task in reported:
                    continue
                if task == chief:
                    if code != 0:
                        raise ClusterError(processes.failure(task) + "; run the same command "
                                           "again to continue from the last checkpoint")
                    return
                if task.type == "worker":
                    reported.add(task)
                    if code != 0:
                        line.write(f"warning: {processes.failure(task)}; training goes on "
                                   "without it")
                    continue
                if task.type == "evaluator" and code == 0:
                    reported.add(task)  # it saw the final checkpoint before the chief exited
                    continue
                raise ClusterError(processes.failure(task))
            self._check_deadline("training")
            time.sleep(POLL_SECS)
