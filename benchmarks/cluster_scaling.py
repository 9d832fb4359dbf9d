"""Training speed of the local cluster with 0, 1 and 2 workers, and of one process.

The one-process baselines: ``workflow.train`` as the walkthrough runs it
(``numpy_input_fn``, in this process), and ``cluster --mirrored`` (one CPU
replica of ``MirroredStrategy`` fed by the generator ``tf.data`` input).

Each set-up trains a fresh model to ``--steps`` global steps on the full MNIST
training split and reports TensorFlow's own ``global_step/sec`` summaries (the
chief's StepCounterHook writes one every 100 steps; they count the steps of
every trainer) as their median over the second half of the run, when every
worker has joined in; the steps each trainer took; the wall time of the whole
run (process start-up and the final evaluation included) and the test accuracy.

    .venv-3.11/bin/python benchmarks/cluster_scaling.py --model dnn --steps 6000
    .venv-3.11/bin/python benchmarks/cluster_scaling.py --model cnn --steps 800

Model directories are temporary and removed afterwards.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import tutorial17  # noqa: F401  (quiet TensorFlow before it loads)
from tutorial17 import inputs, models, workflow
from tutorial17.cluster.launcher import ClusterOptions, run_cluster
from tutorial17.cluster.status import read_status
from tutorial17.cluster.task import TaskOptions
from tutorial17.data import read_data_sets

import tensorflow.compat.v1 as tf

SETUPS = [
    ("one process (workflow.train, numpy_input_fn)", {"baseline": True}),
    ("one process (--mirrored, 1 CPU replica)", {"mirrored": True, "num_workers": 0,
                                                  "num_ps": 0}),
    ("chief + 1 ps", {"num_workers": 0, "num_ps": 1}),
    ("chief + 1 worker + 1 ps", {"num_workers": 1, "num_ps": 1}),
    ("chief + 2 workers + 1 ps", {"num_workers": 2, "num_ps": 1}),
]
RATE_TAG = "global_step/sec"


def rates_from_events(model_dir):
    """Return the chief's ``global_step/sec`` summaries, in step order."""
    found = []
    for path in sorted(Path(model_dir).glob("events.out.tfevents.*")):
        for event in tf.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == RATE_TAG:
                    found.append((event.step, value.simple_value))
    return [rate for _, rate in sorted(found)]


def step_shares(run_dir):
    """Return each trainer's own steps, from the status files its task wrote."""
    shares = {}
    for path in sorted(Path(run_dir).glob("*.json")):
        status = read_status(path) or {}
        if "local_steps" in status:
            shares[path.stem] = status["local_steps"]
    return shares


def run_baseline(model, model_dir, steps, data_dir):
    """Train and evaluate in this process as the walkthrough does; return the result fields."""
    data = read_data_sets(data_dir)
    estimator = models.make_estimator(model, model_dir=model_dir)
    start = time.monotonic()
    global_step = workflow.train(estimator, inputs.make_train_input_fn(
        data.train.images, data.train.cls), steps, progress=False)
    metrics = workflow.evaluate(estimator, inputs.make_test_input_fn(data.test.images,
                                                                     data.test.cls))
    return {"global_step": global_step, "seconds": time.monotonic() - start,
            "accuracy": metrics["accuracy"], "steps_by_trainer": {"this process": global_step}}


def run_setup(model, steps, data_dir, options):
    """Train one set-up to ``steps`` global steps in a temporary directory; return its figures."""
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as model_dir:
        load_before = os.getloadavg()[0]
        if options.get("baseline"):
            done = run_baseline(model, model_dir, steps, data_dir)
        else:
            setup = dict(options)
            task = TaskOptions(model, Path(model_dir), steps, data_dir=data_dir,
                               mirrored=setup.pop("mirrored", False))
            result = run_cluster(ClusterOptions(task, **setup), progress=False,
                                 log=lambda *a: None)
            done = {"global_step": result.global_step, "seconds": result.seconds,
                    "accuracy": result.accuracy,
                    "steps_by_trainer": step_shares(result.run_dir)}
        rates = rates_from_events(model_dir)
        # Workers join a few seconds after the chief starts: time the second half only.
        steady = rates[len(rates) // 2:]
        return {"global_steps_per_sec": statistics.median(steady) if steady else None,
                "rate_samples": len(rates),
                "steps_by_trainer": done["steps_by_trainer"],
                "global_step": done["global_step"],
                "wall_seconds": round(done["seconds"], 1),
                "accuracy": done["accuracy"],
                "load_average_before": round(load_before, 2),
                "load_average_after": round(os.getloadavg()[0], 2)}


def main(argv=None):
    """Run the set-ups chosen on the command line and print a Markdown table of them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=models.MODEL_NAMES, default="dnn")
    parser.add_argument("--steps", type=int, default=3000, help="global steps per set-up")
    parser.add_argument("--data-dir", type=Path, help="MNIST directory (default: the usual)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--only", help="run only the set-ups whose name contains this text")
    args = parser.parse_args(argv)
    setups = [(name, options) for name, options in SETUPS
              if args.only is None or args.only in name]

    print(f"{args.model}, {args.steps} global steps, {os.cpu_count()} CPU cores, "
          f"TensorFlow {tf.__version__}, Python {platform.python_version()}", flush=True)
    print("| set-up | global steps/s (median, 2nd half) | steps by trainer | wall s | accuracy "
          "| load |")
    print("|---|---|---|---|---|---|", flush=True)
    results = {}
    for name, options in setups:
        r = run_setup(args.model, args.steps, args.data_dir, options)
        results[name] = r
        rate = (f"{r['global_steps_per_sec']:.1f}" if r["global_steps_per_sec"] is not None
                else "n/a")
        shares = ", ".join(f"{k} {v}" for k, v in r["steps_by_trainer"].items())
        print(f"| {name} | {rate} | {shares} | {r['wall_seconds']} | {r['accuracy']:.2%} "
              f"| {r['load_average_before']} -> {r['load_average_after']} |", flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps({"model": args.model, "steps": args.steps,
                                         "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
