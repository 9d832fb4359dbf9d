"""The ``cluster`` and ``cluster-task`` subcommands of ``python -m tutorial17``."""

import math
import os
from pathlib import Path

from ..cluster.launcher import ClusterOptions, run_cluster
from ..cluster.task import (
    CHECKPOINT_SECS,
    EVAL_THROTTLE_SECS,
    PARENT_PID_ENV,
    TaskOptions,
    exit_with_parent,
    run_task,
)
from ..walkthrough import format_accuracy
from .options import (
    add_data_dir_option,
    add_model_option,
    add_no_progress_option,
    check_data_dir,
    check_not_a_file,
    positive_number,
    whole_number,
)


def _add_task_options(p):
    """Add the options every task is given (:class:`~tutorial17.cluster.task.TaskOptions`)."""
    add_model_option(p)
    p.add_argument("--steps", type=whole_number(1), required=True,
                   help="global step to train to (TrainSpec max_steps), counting the steps "
                        "of every trainer and any checkpoint already there")
    p.add_argument("--model-dir", type=Path, required=True,
                   help="model directory shared by all tasks")
    add_data_dir_option(p)
    p.add_argument("--mirrored", action="store_true",
                   help="train with MirroredStrategy over all local GPUs (the CPU if none) "
                        "in one process, through a tf.data input function")
    p.add_argument("--checkpoint-secs", type=whole_number(1), default=CHECKPOINT_SECS,
                   help=f"seconds between the chief's checkpoints (default {CHECKPOINT_SECS})")
    p.add_argument("--eval-throttle-secs", type=whole_number(0), default=EVAL_THROTTLE_SECS,
                   help=f"least seconds between evaluations (default {EVAL_THROTTLE_SECS})")
    add_no_progress_option(p)


def add_parsers(sub):
    """Add ``cluster`` and ``cluster-task`` to the subparsers ``sub``."""
    c = sub.add_parser("cluster", help="train and evaluate on a local cluster of processes "
                                       "(parameter servers, gRPC on loopback)")
    c.set_defaults(run=cmd_cluster)
    _add_task_options(c)
    c.add_argument("--workers", type=whole_number(0),
                   help="workers besides the chief (default 1; 0 with --mirrored)")
    c.add_argument("--ps", type=whole_number(0),
                   help="parameter servers (default 1; 0 with --mirrored)")
    c.add_argument("--evaluator", action="store_true",
                   help="an evaluator task that evaluates every new checkpoint while "
                        "training runs (else one evaluation at the end)")
    c.add_argument("--base-port", type=whole_number(1),
                   help="ports base, base+1, ... on loopback (default: free ports)")
    c.add_argument("--timeout", type=positive_number,
                   help="stop everything and fail after this many seconds")

    t = sub.add_parser("cluster-task", help="run the one task of a cluster that the TF_CONFIG "
                                            "environment variable names")
    t.set_defaults(run=cmd_cluster_task)
    _add_task_options(t)
    t.add_argument("--status-file", type=Path,
                   help="write the global step and loss as JSON here (for a launcher)")


def task_options(args):
    """Return the :class:`~tutorial17.cluster.task.TaskOptions` the parsed ``args`` give."""
    return TaskOptions(model=args.model, model_dir=args.model_dir, max_steps=args.steps,
                       data_dir=args.data_dir, mirrored=args.mirrored,
                       checkpoint_secs=args.checkpoint_secs,
                       eval_throttle_secs=args.eval_throttle_secs)


def cluster_options(args):
    """Return the :class:`~tutorial17.cluster.launcher.ClusterOptions` ``cluster`` is given."""

    default = 0 if args.mirrored else 1
    return ClusterOptions(task=task_options(args),
                          num_workers=args.workers if args.workers is not None else default,
                          num_ps=args.ps if args.ps is not None else default,
                          evaluator=args.evaluator, base_port=args.base_port,
                          timeout=args.timeout)


def cmd_cluster(args):
    """Run ``cluster``: train and evaluate on a local cluster, then print the results."""

    check_data_dir(args.data_dir)
    check_not_a_file("--model-dir", args.model_dir)
    result = run_cluster(cluster_options(args), progress=not args.no_progress)
    rate = (f"{result.steps_per_sec:.1f} global steps/s" if math.isfinite(result.steps_per_sec)
            else "too short to time")
    print(f"Global step {result.global_step}; {rate}; {result.seconds:.1f} s in all; "
          f"checkpoint in {args.model_dir}")
    print(format_accuracy(result.accuracy))
    print(f"Loss: {result.loss:.4f}; evaluated at global step {result.eval_step}")


def cmd_cluster_task(args):
    """Run ``cluster-task``: the one task of a cluster that ``TF_CONFIG`` names."""

    check_data_dir(args.data_dir)
    check_not_a_file("--model-dir", args.model_dir)
    parent = os.environ.get(PARENT_PID_ENV)
    if parent:
        exit_with_parent(int(parent))
    metrics = run_task(task_options(args), status_file=args.status_file,
                       progress=not args.no_progress,
                       lock=not parent)  # a local launcher holds the lock for all its tasks
    if metrics is not None:
        print(f"Accuracy {metrics['accuracy']:.4f}, loss {metrics['loss']:.4f} at global step "
              f"{metrics['global_step']}")
