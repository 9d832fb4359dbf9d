"""Latency of predicting 9 images: Estimator.predict against tutorial17.Predictor.

Both run on the same checkpoint in the same process, their calls interleaved
(one Estimator.predict, then ten Predictor.predict, and so on) so that load from
other programs affects both alike; the script prints the median of each and
their ratio, and checks that both give the same classes. "with check" is the
package's estimator, which also checks that the checkpoint fits the model.
Without --model-dir it first trains each model for --steps steps on MNIST in a
temporary directory (removed afterwards).

    python benchmarks/predict_latency.py                     # both models, 300 steps
    python benchmarks/predict_latency.py --model cnn --model-dir checkpoints_tutorial17-2
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time

import tutorial17
from tutorial17 import Predictor, inputs, models, workflow
from tutorial17.data import read_data_sets

import numpy as np

NUM_IMAGES = 9
DEFAULT_STEPS = 300
DEFAULT_ESTIMATOR_CALLS = 20
DEFAULT_PREDICTOR_CALLS = 200


def original_estimator(model, model_dir):
    """Make the estimator as the original walkthrough made it: no checkpoint check added."""
    import tensorflow.compat.v1 as tf

    config = models.make_run_config(model_dir)
    if model == models.DNN.name:
        return tf.estimator.DNNClassifier(
            feature_columns=models.feature_columns(), hidden_units=list(models.DNN_HIDDEN_UNITS),
            activation_fn=tf.nn.relu, n_classes=tutorial17.num_classes, config=config)
    return tf.estimator.Estimator(model_fn=models.cnn_model_fn, config=config,
                                  params={"learning_rate": models.CNN_LEARNING_RATE})


def interleaved(calls, rounds):
    """Time ``rounds`` rounds in which each ``(name, call, repeats)`` runs ``repeats`` times.

    A change of load on a shared machine thus hits every contender alike.
    Returns ``{name: (median seconds, last result)}``.
    """
    seconds = {name: [] for name, _, _ in calls}
    results = {}
    for _ in range(rounds):
        for name, call, repeats in calls:
            for _ in range(repeats):
                start = time.perf_counter()
                results[name] = call()
                seconds[name].append(time.perf_counter() - start)
    return {name: (statistics.median(s), results[name]) for name, s in seconds.items()}


def machine():
    """Return the CPU model, core count, Python and TensorFlow versions."""
    import tensorflow as tf_root

    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "tensorflow": tf_root.__version__}


def load_average():
    """Return the 1-minute load average, rounded (None where the OS has none)."""
    return round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None


def bench_model(model, model_dir, data, estimator_calls, predictor_calls):
    """Time predicting 9 test images from ``model_dir``'s checkpoint; return the figures."""
    images = data.test.images[:NUM_IMAGES]
    predict_fn = inputs.make_predict_input_fn(images)
    plain = original_estimator(model, model_dir)
    checked = models.make_estimator(model, model_dir=model_dir)

    start = time.perf_counter()
    predictor = Predictor.from_estimator(checked)
    first = predictor.predict(images)
    setup_seconds = time.perf_counter() - start

    load_before = load_average()
    per_round = max(1, predictor_calls // estimator_calls)
    timings = interleaved([
        ("estimator", lambda: workflow.predict_classes(plain, predict_fn), 1),
        ("checked", lambda: workflow.predict_classes(checked, predict_fn), 1),
        ("predictor", lambda: predictor.predict(images), per_round),
        # The floor: the same session and graph, no input check, no checkpoint test.
        ("bare", lambda: predictor.predict_unchecked(images), per_round),
    ], rounds=estimator_calls)
    predictor.close()
    (est_median, est_classes), (checked_median, _), (pred_median, pred_classes) = (
        timings["estimator"], timings["checked"], timings["predictor"])
    if not (np.array_equal(est_classes, pred_classes) and np.array_equal(first, pred_classes)):
        raise SystemExit(f"{model}: the Predictor's classes {pred_classes} differ from "
                         f"Estimator.predict's {est_classes}")
    predictor_calls = per_round * estimator_calls
    return {"model": model, "checkpoint": os.path.basename(predictor.checkpoint_path),
            "estimator_calls": estimator_calls, "predictor_calls": predictor_calls,
            "estimator_median_s": est_median, "checked_estimator_median_s": checked_median,
            "predictor_setup_s": setup_seconds, "predictor_median_s": pred_median,
            "bare_session_run_median_s": timings["bare"][0],
            "ratio": est_median / pred_median, "classes": [int(c) for c in pred_classes],
            "load_average_before": load_before, "load_average_after": load_average()}


def train_fresh(model, model_dir, data, steps):
    """Train a fresh ``model`` in ``model_dir`` for ``steps`` steps."""
    estimator = models.make_estimator(model, model_dir=model_dir)
    fn = inputs.make_train_input_fn(data.train.images, data.train.cls)
    workflow.train(estimator, fn, steps=steps, desc=f"{model} (training for the benchmark)")


def report(results, info):
    """Print the machine and a table of the results."""
    print(f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
          f"TensorFlow {info['tensorflow']}")
    print(f"{'model':5} {'Estimator.predict':>18} {'(with check)':>13} {'Predictor.predict':>18} "
          f"{'ratio':>7} {'Predictor setup':>16} {'bare Session.run':>17}")
    for r in results:
        print(f"{r['model']:5} {r['estimator_median_s'] * 1e3:15.1f} ms "
              f"{r['checked_estimator_median_s'] * 1e3:10.1f} ms "
              f"{r['predictor_median_s'] * 1e3:15.2f} ms {r['ratio']:6.0f}x "
              f"{r['predictor_setup_s'] * 1e3:13.0f} ms "
              f"{r['bare_session_run_median_s'] * 1e3:14.2f} ms")
    print(f"Medians over {results[0]['estimator_calls']} Estimator.predict calls and "
          f"{results[0]['predictor_calls']} Predictor.predict calls of {NUM_IMAGES} images each; "
          f"load average {results[0]['load_average_before']} before, "
          f"{results[-1]['load_average_after']} after.")


def main(argv=None):
    """Train (or take) each model's checkpoint and time its predictions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=models.MODEL_NAMES + ("both",), default="both")
    parser.add_argument("--model-dir", help="an existing model directory (one model only); "
                        "default: train a fresh one in a temporary directory")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                        help="training steps when no --model-dir is given")
    parser.add_argument("--data-dir", help="directory of the four MNIST .gz files")
    parser.add_argument("--estimator-calls", type=int, default=DEFAULT_ESTIMATOR_CALLS)
    parser.add_argument("--predictor-calls", type=int, default=DEFAULT_PREDICTOR_CALLS)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    model_names = list(models.MODEL_NAMES) if args.model == "both" else [args.model]
    if args.model_dir and len(model_names) != 1:
        parser.error("--model-dir needs --model dnn or --model cnn")
    if min(args.estimator_calls, args.predictor_calls) < 20:
        parser.error("take medians over at least 20 calls")

    data = read_data_sets(args.data_dir)
    results = []
    with tempfile.TemporaryDirectory(prefix="predict-latency-") as scratch:
        for model in model_names:
            model_dir = args.model_dir
            if model_dir is None:
                model_dir = os.path.join(scratch, model)
                train_fresh(model, model_dir, data, args.steps)
            results.append(bench_model(model, model_dir, data, args.estimator_calls,
                                       args.predictor_calls))
    info = machine()
    report(results, info)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": " ".join(["python"] + sys.argv), "machine": info,
                       "results": results}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
