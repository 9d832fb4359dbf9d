"""The layout of a local cluster and what each of its tasks is told.

The cluster spec (``{"chief": [...], "worker": [...], "ps": [...]}``, one
``host:port`` per task), each task's ``TF_CONFIG`` (that spec plus the task's own
type and index, TensorFlow's convention), and the command line and environment
that start a task as ``python -m tutorial17 cluster-task``. The task reads its
role from that environment (:mod:`.task`), not from its command line.
"""

import json
import os
import socket
import sys
from dataclasses import dataclass
from typing import Optional

from ..errors import ClusterConfigError
from .task import PARENT_PID_ENV, TF_CONFIG_ENV

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Task:
    """One task of the cluster: ``type`` is chief, worker, ps, evaluator or local."""

    type: str
    index: int = 0

    @property
    def name(self):
        return f"{self.type}-{self.index}"


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
        raise ClusterConfigError(f"a cluster of 1 chief, {num_workers} worker(s) and {num_ps} "
                                 f"ps needs {needed} ports, got {len(ports)}")
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


@dataclass(frozen=True)
class ClusterLayout:
    """Which tasks a local run starts, in start order, and the cluster spec they share.

    ``cluster`` is None for a run of one ``local`` task (MirroredStrategy), which
    gets no ``TF_CONFIG``. ``description`` says it in a few words, for the log.
    """

    tasks: tuple
    cluster: Optional[dict]
    description: str

    @property
    def trainers(self):
        """The tasks that train: the chief (or the local task) first, then the workers."""
        return [t for t in self.tasks if t.type in ("chief", "worker", "local")]

    @property
    def chief(self):
        return self.trainers[0]


def one_process_layout():
    """Return the layout of one local task training with MirroredStrategy."""
    return ClusterLayout((Task("local"),), None, "one local process with MirroredStrategy")


def loopback_layout(num_workers, num_ps, evaluator=False, host=LOOPBACK, base_port=None):
    """Return the layout of a parameter-server cluster on ``host``.

    Its tasks listen on ``base_port``, ``base_port+1``, ... (default: free ports).
    """
    count = 1 + num_workers + num_ps
    ports = (list(range(base_port, base_port + count)) if base_port is not None
             else pick_free_ports(count, host))
    description = (f"chief + {num_workers} worker(s) + {num_ps} ps"
                   f"{' + evaluator' if evaluator else ''} on {host} "
                   f"(ports {', '.join(map(str, ports))})")
    return ClusterLayout(tuple(cluster_tasks(num_workers, num_ps, evaluator)),
                         make_cluster_spec(num_workers, num_ps, ports, host), description)


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
