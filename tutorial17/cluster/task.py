"""One task of a TensorFlow cluster: what ``python -m tutorial17 cluster-task`` runs.

The task reads its role from the ``TF_CONFIG`` environment variable (TensorFlow's
own convention: ``{"cluster": {...}, "task": {"type": ..., "index": ...}}``) and
calls ``tf.estimator.train_and_evaluate``: a ``ps`` task serves variables over
gRPC and never returns, the ``chief`` and each ``worker`` train asynchronously
against the parameter servers, the ``evaluator`` evaluates every new checkpoint
in the shared model directory until one reaches ``max_steps``. Without
``TF_CONFIG`` it trains and evaluates in this one process (with
``MirroredStrategy`` over the local GPUs when asked).
"""

import contextlib
import json
import os
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import tensorflow.compat.v1 as tf

from .. import models
from .._runtime.interrupt import stop_on_interrupt
from .._runtime.locking import lock_model_dir
from ..checkpoints import latest_checkpoint
from ..data import read_data_sets
from ..errors import ClusterConfigError, ClusterError, ClusterOptionsError
from ..progress import ProgressHook, training_loss
from .dataset_inputs import check_dataset_input_fn, make_dataset_input_fn
from .status import write_status

TF_CONFIG_ENV = "TF_CONFIG"
TASK_TYPES = ("chief", "worker", "ps", "evaluator")
CLUSTER_JOBS = ("chief", "worker", "ps")  # the evaluator is never in the cluster spec

CHECKPOINT_SECS = 30
"""The chief saves a checkpoint this often; the evaluator evaluates each new one."""
EVAL_THROTTLE_SECS = 10
"""The evaluator evaluates at most this often."""
WORKER_DELAY_SECS = 0
"""TensorFlow delays worker i by (i+1)*5 s unless capped; the cap used here (see
:func:`wait_for_first_checkpoint`, which makes the delay unnecessary)."""
CHIEF_WAIT_SECS = 600
"""How long a worker waits for the chief's first checkpoint before giving up."""
STATUS_INTERVAL_SECS = 0.5
EVAL_RETRIES = 10
"""Times the evaluator starts over when a checkpoint vanishes under it."""
PARENT_CHECK_SECS = 1.0
PARENT_PID_ENV = "TUTORIAL17_CLUSTER_PARENT"
"""Set by the local launcher: the task exits if that process goes away."""


@dataclass(frozen=True)
class TaskOptions:
    """What every task of a cluster is told: the model, its directory, how far, how often.

    ``python -m tutorial17 cluster-task`` builds one from its options (:mod:`.cli`),
    and the local launcher passes the same to each task it starts.
    """

    model: str
    model_dir: Path
    max_steps: int
    data_dir: Optional[Path] = None
    mirrored: bool = False
    checkpoint_secs: int = CHECKPOINT_SECS
    eval_throttle_secs: int = EVAL_THROTTLE_SECS


def read_tf_config(environ=None):
    """Return the parsed, checked ``TF_CONFIG`` of ``environ`` (default ``os.environ``), or None."""
    environ = os.environ if environ is None else environ
    text = environ.get(TF_CONFIG_ENV, "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except ValueError as e:
        raise ClusterConfigError(f"TF_CONFIG is not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise ClusterConfigError("TF_CONFIG must be a JSON object with 'cluster' and 'task'")
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ClusterConfigError("TF_CONFIG needs a 'cluster' object and a 'task' object")
    task_type, index = task.get("type"), task.get("index", 0)
    if task_type not in TASK_TYPES:
        raise ClusterConfigError(f"TF_CONFIG task type {task_type!r}: expected one of "
                                 f"{', '.join(TASK_TYPES)}")
    if not isinstance(index, int) or index < 0:
        raise ClusterConfigError(f"TF_CONFIG task index {index!r}: expected a whole number >= 0")
    unknown = sorted(set(cluster) - set(CLUSTER_JOBS))
    if unknown:
        raise ClusterConfigError(f"TF_CONFIG cluster has job(s) {', '.join(unknown)}: only "
                                 f"{', '.join(CLUSTER_JOBS)} belong there (the evaluator "
                                 "gets the cluster but is not part of it)")
    if len(cluster.get("chief", [])) != 1:
        raise ClusterConfigError("TF_CONFIG cluster needs exactly one 'chief' address")
    if not cluster.get("ps"):
        raise ClusterConfigError("TF_CONFIG cluster needs at least one 'ps' (parameter "
                                 "server) address")
    if task_type != "evaluator" and index >= len(cluster.get(task_type, [])):
        raise ClusterConfigError(f"TF_CONFIG task {task_type} {index}: the cluster lists only "
                                 f"{len(cluster.get(task_type, []))} {task_type} address(es)")
    if task_type == "evaluator" and index != 0:
        raise ClusterConfigError("TF_CONFIG: there is only one evaluator (index 0)")
    return config


def shuffle_seed(task_type, index, base=models.DEFAULT_SEED):
    """Return a shuffle seed per trainer: ``base`` for the chief, ``base+1+i`` for worker i."""
    return base + (0 if task_type == "chief" else 1 + index)


class StatusFileHook(tf.train.SessionRunHook):
    """A hook that writes this task's progress as JSON to ``path``, at most every ``interval`` s.

    The record is ``{"step", "loss", "local_steps", "time"}``, so a launcher can
    show one progress line for the whole cluster: ``step`` is the global step
    (all trainers' steps), ``local_steps`` this task's own. Writes are atomic.
    With ``saves``, for the chief, the training session's end writes
    ``{"step", "saved": true, ...}``: the Estimator's ``CheckpointSaverHook`` (a
    chief-only hook, so its ``end`` runs before this one's) has then saved
    ``step``, and what the task does afterwards (closing the gRPC session,
    TensorFlow's teardown) saves nothing, so a launcher that is stopping the
    cluster need not wait for it.
    """

    def __init__(self, path, interval=STATUS_INTERVAL_SECS, saves=False):
        self._path = Path(path)
        self._interval = interval
        self._saves = saves
        self._last = 0.0
        self.local_steps = 0

    def begin(self):
        self._global_step = tf.train.get_global_step()
        self._loss = training_loss()

    def before_run(self, run_context):
        fetches = {"step": self._global_step}
        if self._loss is not None:
            fetches["loss"] = self._loss
        return tf.train.SessionRunArgs(fetches)

    def after_run(self, run_context, run_values):
        self.local_steps += 1
        now = time.time()
        if now - self._last >= self._interval:
            self._last = now
            results = run_values.results
            write_status(self._path, step=int(results["step"]) + 1,
                         loss=float(results["loss"]) if "loss" in results else None,
                         local_steps=self.local_steps)

    def end(self, session):
        if self._saves:
            write_status(self._path, step=int(session.run(self._global_step)),
                         local_steps=self.local_steps, saved=True)


def wait_for_first_checkpoint(model_dir, timeout=CHIEF_WAIT_SECS, poll=0.25):
    """Block until the shared model directory holds a checkpoint.

    The chief writes one right after initialising the variables. A worker that
    asks for a session before then sleeps 30 s (TensorFlow's SessionManager
    default) before asking again; waiting here lets it start as soon as it can.
    """
    deadline = time.monotonic() + timeout
    while latest_checkpoint(model_dir) is None:
        if time.monotonic() > deadline:
            raise ClusterError(f"no checkpoint from the chief in {model_dir} after "
                               f"{timeout} s: is the chief running, and do all tasks "
                               "share this model directory?")
        time.sleep(poll)


def exit_with_parent(parent_pid, interval=PARENT_CHECK_SECS):
    """Exit this process as soon as ``parent_pid`` is no longer its parent.

    A safety net for tasks started by the local launcher: should the launcher be
    killed outright (no chance to stop its tasks), the tasks end themselves,
    parameter servers included.
    """
    def watch():
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _vanished(error):
    """Return True if ``error`` says a checkpoint file is gone (the chief's rotation deleted it)."""
    return (isinstance(error, tf.errors.NotFoundError)
            or "is not a valid checkpoint" in str(error))


def _unused_input_fn():
    raise ClusterConfigError("TensorFlow asked a parameter server for input: TF_CONFIG names "
                             "this task 'ps', which serves variables and trains nothing")


def make_task_estimator(model, model_dir, mirrored=False, checkpoint_secs=CHECKPOINT_SECS,
                        worker_delay_secs=WORKER_DELAY_SECS):
    """Return the model's estimator with a RunConfig for cluster training.

    ``RunConfig`` reads ``TF_CONFIG`` from the environment itself. ``mirrored``
    adds ``MirroredStrategy`` (all local GPUs, else the CPU) as ``train_distribute``.
    """
    kwargs = {"save_checkpoints_secs": checkpoint_secs,
              "experimental_max_worker_delay_secs": worker_delay_secs}
    if mirrored:
        kwargs["train_distribute"] = tf.distribute.MirroredStrategy()
    config = models.make_run_config(model_dir, **kwargs)
    return models.make_estimator(model, model_dir=model_dir, config=config)


def train_and_evaluate(estimator, train_input_fn, eval_input_fn, max_steps, hooks=(),
                       eval_throttle_secs=EVAL_THROTTLE_SECS):
    """Run ``tf.estimator.train_and_evaluate`` to ``max_steps``, evaluating every new checkpoint.

    The EvalSpec covers the whole of ``eval_input_fn`` and evaluates from the
    first checkpoint on (``start_delay_secs=0`` instead of TensorFlow's 120).

    Refuses a queue-fed input function (``numpy_input_fn``) when the estimator's
    RunConfig has a ``train_distribute`` strategy. Returns what TensorFlow returns:
    ``(metrics, export_results)`` when this process evaluated, else None.
    """
    if estimator.config.train_distribute is not None:
        check_dataset_input_fn(train_input_fn, why="MirroredStrategy (train_distribute)")
    train_spec = tf.estimator.TrainSpec(input_fn=train_input_fn, max_steps=max_steps,
                                        hooks=list(hooks))
    eval_spec = tf.estimator.EvalSpec(input_fn=eval_input_fn, steps=None, start_delay_secs=0,
                                      throttle_secs=eval_throttle_secs)
    return tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)


def run_task(options, status_file=None, progress=False, log=print, lock=True):
    """Run the task ``TF_CONFIG`` names (or, without it, train and evaluate locally).

    ``options`` is a :class:`TaskOptions`. Returns the final evaluation metrics
    when this task evaluated, else None. A ``ps`` task never returns: it serves
    until it is stopped. The chief (or the local task) stops after its current
    step and saves a checkpoint on the first SIGINT (Ctrl-C), and with ``lock``
    holds the model directory's training lock: the other tasks share the
    directory by design and take none. (A launcher that holds the lock itself
    for all its tasks passes ``lock=False``.)
    """
    task_type, index = _task_role(options.mirrored)
    model_dir = Path(options.model_dir)
    if task_type in ("chief", "local"):
        model_dir.mkdir(parents=True, exist_ok=True)
    # Estimator builds tf.data pipelines in graph mode, where tf.data warns on every run.
    warnings.filterwarnings("ignore", message=r"To make it possible to preserve tf\.data",
                            category=UserWarning)
    estimator = make_task_estimator(options.model, model_dir, mirrored=options.mirrored,
                                    checkpoint_secs=options.checkpoint_secs)
    if options.mirrored:
        strategy = estimator.config.train_distribute
        devices = ", ".join(strategy.extended.worker_devices)
        log(f"MirroredStrategy: {strategy.num_replicas_in_sync} replica(s) on {devices}")
    if task_type == "ps":
        log(f"ps {index}: serving variables (stop this process to end it)")
    train_fn, eval_fn = _input_fns(task_type, index, options.data_dir)

    hooks = []
    status_hook = None
    if status_file is not None:
        status_hook = StatusFileHook(status_file, saves=task_type in ("chief", "local"))
        hooks.append(status_hook)
    if progress and task_type != "evaluator":
        hooks.append(ProgressHook(num_steps=None, desc=f"{task_type} {index}"))
    if task_type == "worker":
        wait_for_first_checkpoint(model_dir)

    with contextlib.ExitStack() as stack:
        if task_type in ("chief", "local"):
            if lock:
                stack.enter_context(lock_model_dir(model_dir))
            hooks.append(stack.enter_context(stop_on_interrupt()))
        result = _train_and_evaluate_retrying(task_type, estimator, (train_fn, eval_fn),
                                              options, hooks, log)
    metrics = result[0] if result else None
    if status_hook is not None and task_type != "evaluator":
        # The chief's (or local task's) last checkpoint holds the final global step.
        step = (int(estimator.get_variable_value("global_step"))
                if task_type in ("chief", "local") else None)
        write_status(status_file, step=step, local_steps=status_hook.local_steps, done=True)
    return metrics


def _task_role(mirrored):
    """Return ``(task type, index)`` from ``TF_CONFIG``, or ``("local", 0)`` without it."""
    tf_config = read_tf_config()
    if tf_config is None:
        return "local", 0
    if mirrored:
        raise ClusterOptionsError(
            "mirrored=True trains in one process over its local GPUs; unset TF_CONFIG "
            "(parameter-server tasks replicate across processes instead)", "mirrored")
    return tf_config["task"]["type"], tf_config["task"].get("index", 0)


def _input_fns(task_type, index, data_dir):
    """Return the task's training and evaluation input functions (none for a ``ps``)."""
    if task_type == "ps":
        return _unused_input_fn, _unused_input_fn
    data = read_data_sets(data_dir)
    seed = shuffle_seed(task_type, index)
    return (make_dataset_input_fn(data.train.images, data.train.cls, seed=seed),
            make_dataset_input_fn(data.test.images, data.test.cls, shuffle=False))


def _train_and_evaluate_retrying(task_type, estimator, input_fns, options, hooks, log):
    """Run :func:`train_and_evaluate`, started over (evaluator only) when a checkpoint vanishes.

    ``input_fns`` is ``(train_input_fn, eval_input_fn)``.
    """
    train_fn, eval_fn = input_fns
    for attempt in range(EVAL_RETRIES + 1):
        try:
            return train_and_evaluate(estimator, train_fn, eval_fn, options.max_steps,
                                      hooks=hooks, eval_throttle_secs=options.eval_throttle_secs)
        except (ValueError, tf.errors.NotFoundError) as e:
            # The chief keeps only the last few checkpoints: one can be deleted between
            # the evaluator choosing it and restoring it. Start over with the newest.
            if task_type != "evaluator" or attempt == EVAL_RETRIES or not _vanished(e):
                raise
            log("evaluator: the checkpoint went away while being read; trying the newest")
