"""Training speed of the walkthrough's two networks against the compute limit and Keras.

    python benchmarks/training_speed.py                # writes docs/benchmarks.md (about 15 min)
    python benchmarks/training_speed.py --quick        # a short check run, written to runs/
    python benchmarks/training_speed.py --device gpu   # the same on a machine with a GPU

For each network (DNN, CNN) it measures, at batch 128:

* steady training speed of (a) the bare graph loop on pre-staged batches, (b) the
  Estimator with ``numpy_input_fn``, (c) the Estimator with the package's recommended
  ``make_fast_train_input_fn`` and (d) the same network in Keras ``model.fit``. All four
  run in one process, interleaved in rounds (a, b, c, d; then b, c, d, a; ...), each
  segment's first steps dropped as warm-up; the figures are medians over the rounds and
  each ratio is the median of the per-round ratios to (a), so slow drifts in the machine's
  load hit numerator and denominator alike;
* one 2,000-step run of each variant in a fresh process, as a user would run it: time
  including start-up, test accuracy, evaluation time on the 10,000 test images, peak
  resident memory, model directory size, and (c) prediction latency for 9 images.

The report goes to ``--output`` (Markdown). The last line printed is
``ratio_vs_limit dnn=<x> cnn=<y>``: the steps/s ratio of (c) to (a).
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"
QUICK_OUTPUT = REPO / "runs" / "benchmarks-quick.md"
MODELS = ("dnn", "cnn")
MODEL_TITLES = {"dnn": "DNN (canned DNNClassifier 512-256-128)", "cnn": "CNN (custom model_fn)"}

# Full run: rounds of interleaved segments, then one 2,000-step run per variant.
ROUNDS = 5
SEGMENT_STEPS = {"dnn": 600, "cnn": 150}
WARMUP_STEPS = 50
RUN_STEPS = 2000
RUN_WARMUP_STEPS = 100
EVAL_REPEATS = 3
ESTIMATOR_PREDICT_REPEATS = 5
PREDICTOR_REPEATS = 20
NUM_PREDICT_IMAGES = 9
QUICK = {"rounds": 2, "segment_steps": {"dnn": 120, "cnn": 40}, "warmup": 20,
         "run_steps": 150, "run_warmup": 30}
LOAD_SAMPLE_SECONDS = 5
GPU_CACHE_MAXSIZE = str(4 * 1024 ** 3)  # bytes; the driver's default keeps far less

VARIANT_TITLES = {
    "a": "(a) bare graph loop, pre-staged batches (the limit)",
    "b": "(b) Estimator + `numpy_input_fn` (the original)",
    "c": "(c) Estimator + `make_fast_train_input_fn` (recommended)",
    "d": "(d) Keras `model.fit` on the numpy arrays",
}
KERAS_MATCH = {  # what speed_variants.keras_compile sets up
    "dnn": ("Adagrad(learning_rate=0.05, initial_accumulator_value=0.1), as the v1 "
            "DNNClassifier's default", "sparse softmax cross-entropy summed over the batch "
            "(reduction='sum'), as the v1 canned head"),
    "cnn": ("Adam(learning_rate=1e-4, epsilon=1e-8), as `tf.train.AdamOptimizer`",
            "mean sparse softmax cross-entropy, as `cnn_model_fn`"),
}


# ---------------------------------------------------------------- worker side

def _worker(spec):
    """Run one measurement (``spec["task"]`` is "speed" or "run") and return its results."""
    import numpy as np

    import tutorial17  # noqa: F401  (quiet TensorFlow before it loads)
    import tensorflow as tf2
    from tutorial17.data import read_data_sets

    import speed_variants as sv

    gpus = tf2.config.list_physical_devices("GPU")
    if spec["device"] == "gpu" and not gpus:
        raise SystemExit("error: --device gpu but TensorFlow sees no GPU; check "
                         "`python -m tutorial17 info` and the [gpu] extra")
    data = read_data_sets(spec["data_dir"])
    images, cls = data.train.images, data.train.cls
    model = spec["model"]
    out = {"rss_after_load_mb": _current_rss_mb()}
    if spec["task"] == "speed":
        out["rounds"] = _speed_rounds(sv, model, images, cls, spec)
    else:
        out.update(_one_run(sv, np, model, spec["variant"], data, spec))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out["devices"] = [_device_name(tf2, d) for d in gpus] or ["CPU"]
    return out


def _speed_rounds(sv, model, images, cls, spec):
    """Interleaved segments of every variant; per round, each variant's steady figures."""
    root = tempfile.mkdtemp(prefix="tutorial17-bench-")
    runners = {"d": KerasProxy(spec),  # Keras first: its process must start from a clean state
               "a": sv.BareLoop(model, images, cls),
               "b": sv.EstimatorRun(model, images, cls, fast=False, model_dir=f"{root}/b"),
               "c": sv.EstimatorRun(model, images, cls, fast=True, model_dir=f"{root}/c")}
    steps, warmup = spec["segment_steps"], spec["warmup"]
    rounds = []
    try:
        for r in range(spec["rounds"]):
            order = sv.VARIANTS[r % 4:] + sv.VARIANTS[:r % 4]
            result = {}
            for v in order:
                result[v] = sv.steady(runners[v].train(warmup + steps), warmup)
            rounds.append(result)
            print(f"  {model} round {r + 1}/{spec['rounds']}: " + ", ".join(
                f"{v} {result[v]['steps_per_s']:.1f}/s" for v in sv.VARIANTS), file=sys.stderr)
    finally:
        for runner in runners.values():
            runner.close()
        _remove_tree(root)
    return rounds


class KerasProxy:
    """(d) in its own process, trained on request, so that its segments interleave with the rest.

    Keras 2.15 refuses to mix its TF2 models with ``tf.compat.v1`` graph-mode layers
    (the estimators' ``tf.layers``) in one process, so (d) cannot run in-process.
    """

    def __init__(self, spec):
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--keras-server", json.dumps(spec)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read()  # "ready": model built and compiled

    def _read(self):
        for line in self._proc.stdout:
            if line.startswith(KERAS_REPLY):
                return json.loads(line[len(KERAS_REPLY):])
        raise RuntimeError(f"the Keras process ended (exit {self._proc.wait()})")

    def train(self, steps):
        self._proc.stdin.write(f"{steps}\n")
        self._proc.stdin.flush()
        return self._read()

    def close(self):
        self._proc.stdin.close()
        self._proc.wait()


KERAS_REPLY = "@@stamps "


def _keras_server(spec):
    """Build (d) once, then train the number of steps read from each stdin line."""
    import tutorial17  # noqa: F401
    from tutorial17.data import read_data_sets

    import speed_variants as sv

    data = read_data_sets(spec["data_dir"])
    runner = sv.KerasRun(spec["model"], data.train.images, data.train.cls)
    print(KERAS_REPLY + "[]", flush=True)
    for line in sys.stdin:
        print(KERAS_REPLY + json.dumps(runner.train(int(line))), flush=True)


def _one_run(sv, np, model, variant, data, spec):
    """One fresh ``run_steps`` run of one variant, as a user would run it."""
    from tutorial17 import inputs, workflow

    images, cls = data.train.images, data.train.cls
    steps, warmup = spec["run_steps"], spec["run_warmup"]
    out = {}
    start = time.perf_counter()
    if variant == "a":
        runner = sv.BareLoop(model, images, cls)
        stamps = runner.train(steps)
        out["total_s"] = time.perf_counter() - start
        runner.close()
    elif variant == "d":
        runner = sv.KerasRun(model, images, cls)
        stamps = runner.train(steps)
        out["total_s"] = time.perf_counter() - start
        out["accuracy"] = runner.accuracy(data.test.images, data.test.cls)
        out["eval_s"] = _median_seconds(
            lambda: runner.accuracy(data.test.images, data.test.cls), EVAL_REPEATS)
    else:
        fast = variant == "c"
        model_dir = tempfile.mkdtemp(prefix=f"tutorial17-bench-{variant}-")
        try:
            runner = sv.EstimatorRun(model, images, cls, fast=fast, model_dir=model_dir)
            stamps = runner.train(steps)
            out["total_s"] = time.perf_counter() - start
            runner.close()
            out["model_dir_mb"] = _tree_bytes(model_dir) / 1e6
            out["largest_files"] = _largest_files(model_dir)
            test_factory = inputs.make_fast_test_input_fn if fast else inputs.make_test_input_fn
            test_fn = test_factory(data.test.images, data.test.cls)
            metrics = {}

            def evaluate():
                metrics.update(workflow.evaluate(runner.estimator, test_fn))

            out["eval_s"] = _median_seconds(evaluate, EVAL_REPEATS)
            out["accuracy"] = metrics["accuracy"]
            if fast:
                out["predict"] = _prediction_latency(runner.estimator, data.test.images, inputs,
                                                     workflow)
        finally:
            _remove_tree(model_dir)
    out["steady"] = sv.steady(stamps, warmup)
    return out


def _prediction_latency(estimator, test_images, inputs, workflow):
    """Median seconds to predict 9 images: Estimator.predict, and the Predictor if present."""
    import tutorial17

    first = test_images[:NUM_PREDICT_IMAGES]
    predict_fn = inputs.make_predict_input_fn(first)
    result = {"estimator_s": _median_seconds(
        lambda: workflow.predict_classes(estimator, predict_fn), ESTIMATOR_PREDICT_REPEATS)}
    predictor_class = getattr(tutorial17, "Predictor", None)
    if predictor_class is None:
        result["predictor"] = "pending: tutorial17.Predictor does not exist in this checkout"
        return result
    try:
        predictor = predictor_class(estimator)
        predictor.predict(first)  # builds the graph and restores the checkpoint once
        result["predictor_s"] = _median_seconds(lambda: predictor.predict(first),
                                                PREDICTOR_REPEATS)
        getattr(predictor, "close", lambda: None)()
    except Exception as e:  # report it: the Predictor's API may differ from what this expects
        result["predictor"] = f"failed: {type(e).__name__}: {e}".splitlines()[0]
    return result


def _median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _current_rss_mb():
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _device_name(tf2, device):
    details = tf2.config.experimental.get_device_details(device)
    cc = details.get("compute_capability")
    return f"{details.get('device_name', device.name)}" + (f" (sm_{cc[0]}{cc[1]})" if cc else "")


def _tree_bytes(root):
    return sum(p.stat().st_size for p in Path(root).rglob("*") if p.is_file())


def _largest_files(root, count=3):
    files = sorted((p for p in Path(root).rglob("*") if p.is_file()),
                   key=lambda p: p.stat().st_size, reverse=True)[:count]
    return [(str(p.relative_to(root)), p.stat().st_size / 1e6) for p in files]


def _remove_tree(root):
    """Remove a directory this benchmark created under the temp directory, and nothing else."""
    import shutil

    root = Path(root)
    if root.is_dir() and root.name.startswith("tutorial17-bench-") \
            and root.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(root)


# ---------------------------------------------------------------- orchestrator side

def run_worker(spec, env):
    """Run one worker process; return its JSON result."""
    with tempfile.TemporaryDirectory(prefix="tutorial17-bench-out-") as tmp:
        result_file = Path(tmp) / "result.json"
        spec = dict(spec, result_file=str(result_file))
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                               "--worker", json.dumps(spec)], env=env, cwd=str(REPO),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0 or not result_file.exists():
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise SystemExit(f"error: worker {spec['task']} {spec['model']} "
                             f"{spec.get('variant', '')} failed (exit {proc.returncode}):\n{tail}")
        for line in proc.stderr.splitlines():
            if line.startswith("  "):
                print(line, file=sys.stderr)
        return json.loads(result_file.read_text())


class LoadMonitor:
    """Samples the 1-minute load average while the benchmark runs."""

    def __init__(self, interval=LOAD_SAMPLE_SECONDS):
        self.samples = []
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(self._interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                      .splitlines() if line.startswith("MemTotal:"))
        memory = f"{mem_kb / 1024 ** 2:.0f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = {name: _version(name) for name in
                ("tensorflow", "tensorflow-estimator", "keras", "numpy")}
    return {"cpu": cpu, "cores": cores, "memory": memory,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "versions": versions}


def _version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def worker_env(device):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), str(REPO),
                                                      env.get("PYTHONPATH")]))
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"  # same figures whether or not a GPU is present
    else:
        env.setdefault("CUDA_CACHE_MAXSIZE", GPU_CACHE_MAXSIZE)
    return env


def measure(args):
    settings = QUICK if args.quick else {
        "rounds": args.rounds, "segment_steps": SEGMENT_STEPS, "warmup": WARMUP_STEPS,
        "run_steps": RUN_STEPS, "run_warmup": RUN_WARMUP_STEPS}
    env = worker_env(args.device)
    base = {"device": args.device, "data_dir": str(args.data_dir) if args.data_dir else None}
    results = {"speed": {}, "runs": {}}
    started = time.time()
    with LoadMonitor() as load:
        for model in args.models:
            print(f"{model}: interleaved speed rounds", file=sys.stderr)
            results["speed"][model] = run_worker(dict(
                base, task="speed", model=model, rounds=settings["rounds"],
                segment_steps=settings["segment_steps"][model], warmup=settings["warmup"]), env)
            for variant in "abcd":
                print(f"{model}: {settings['run_steps']}-step run of ({variant})",
                      file=sys.stderr)
                results["runs"][f"{model}-{variant}"] = run_worker(dict(
                    base, task="run", model=model, variant=variant,
                    run_steps=settings["run_steps"],
                    run_warmup=settings["run_warmup"]), env)
    results["settings"] = settings
    results["load"] = load.samples
    results["seconds"] = time.time() - started
    return results


# ---------------------------------------------------------------- report

def summarise(results):
    """Per model and variant: median steps/s, range, CPU ms/step, and ratios to (a)."""
    summary = {}
    for model, speed in results["speed"].items():
        rounds = speed["rounds"]
        rows = {}
        for v in "abcd":
            rates = [r[v]["steps_per_s"] for r in rounds]
            cpu = [r[v]["cpu_ms_per_step"] for r in rounds]
            rows[v] = {
                "rate": statistics.median(rates), "min": min(rates), "max": max(rates),
                "cpu_ms": statistics.median(cpu),
                "ratio": statistics.median(r[v]["steps_per_s"] / r["a"]["steps_per_s"]
                                           for r in rounds),
                "cpu_ratio": statistics.median(r["a"]["cpu_ms_per_step"] / r[v]["cpu_ms_per_step"]
                                               for r in rounds)}
        summary[model] = rows
    return summary


def render(results, summary, machine, command, date):
    s = results["settings"]
    load = results["load"]
    cores = machine["cores"]
    lines = [
        "# Training speed: the Estimator against the compute limit and against Keras",
        "",
        f"Written by `{command}` on {date}; every figure below comes from that one run "
        f"({results['seconds'] / 60:.0f} min). Rerun it to refresh this page.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {cores} cores usable, {machine['memory']} RAM; "
        f"{machine['os']}",
        f"- Device used: {', '.join(results['runs'][next(iter(results['runs']))]['devices'])}",
        f"- Python {machine['python']}, " + ", ".join(
            f"{k} {v}" for k, v in machine["versions"].items()),
        f"- 1-minute load average during the run: median {statistics.median(load):.1f}, "
        f"min {min(load):.1f}, max {max(load):.1f} (this benchmark alone keeps about "
        f"{min(cores, 2)} busy).",
        "",
    ]
    if statistics.median(load) > cores + 0.75:
        lines += [
            f"**The machine was shared**: other work kept the load above the {cores} cores "
            "for much of the run, so wall-clock figures are slower and noisier than on a quiet "
            "machine. Interleaving the variants in rounds keeps the ratios comparable; the "
            "CPU-time columns (process CPU time per step, all threads) are the least affected "
            "by other processes.",
            "",
        ]
    lines += _speed_section(summary, s)
    lines += _runs_section(results, s)
    lines += _notes_section(results, summary)
    lines += ["", "Script output's last line (for checking by script):", "", "```",
              ratio_line(summary), "```", ""]
    return "\n".join(lines)


def _speed_section(summary, s):
    lines = [
        "## Training speed, batch 128",
        "",
        f"Steady-state steps per second: {s['rounds']} interleaved rounds per network, each "
        f"segment {s['segment_steps']['dnn']} (DNN) or {s['segment_steps']['cnn']} (CNN) "
        f"steps after {s['warmup']} warm-up steps that are not counted (graph building, "
        "session start, checkpoint restore and the first slow steps). Median over rounds "
        "[min–max]; the ratio is the median of the per-round ratios to (a).",
        "",
        "| variant | DNN steps/s | DNN vs (a) | CNN steps/s | CNN vs (a) |",
        "|---|---:|---:|---:|---:|",
    ]
    for v in "abcd":
        cells = []
        for model in MODELS:
            if model not in summary:
                cells += ["—", "—"]
                continue
            row = summary[model][v]
            cells += [f"{row['rate']:.1f} [{row['min']:.0f}–{row['max']:.0f}]",
                      f"{row['ratio']:.2f}×"]
        lines.append(f"| {VARIANT_TITLES[v]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "CPU time per step (the whole process, all threads; median over rounds) and its "
        "ratio, limit ÷ variant (1.00 = no extra CPU work per step):",
        "",
        "| variant | DNN CPU ms/step | DNN vs (a) | CNN CPU ms/step | CNN vs (a) |",
        "|---|---:|---:|---:|---:|",
    ]
    for v in "abcd":
        cells = []
        for model in MODELS:
            if model not in summary:
                cells += ["—", "—"]
                continue
            row = summary[model][v]
            cells += [f"{row['cpu_ms']:.2f}", f"{row['cpu_ratio']:.2f}×"]
        lines.append(f"| {VARIANT_TITLES[v]} | " + " | ".join(cells) + " |")
    return lines + [""]


def _runs_section(results, s):
    lines = [
        f"## One {s['run_steps']:,}-step run of each, as a user runs it",
        "",
        "Each in a fresh process: the time includes building the graph or model, starting "
        f"the session and the first steps; steady steps/s leaves out the first "
        f"{s['run_warmup']} steps. Evaluation: all 10,000 test images (median of "
        f"{EVAL_REPEATS}; for the Estimator this includes building the graph and restoring "
        "the checkpoint, as `evaluate` does every call). Peak memory: the process's peak "
        "resident set; in brackets, what it held after importing TensorFlow and loading MNIST.",
        "",
        "| network | variant | time (s) | steady steps/s | test accuracy | evaluation (s) "
        "| peak memory (MB) | model dir (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, run in results["runs"].items():
        model, v = key.split("-")
        acc = f"{run['accuracy']:.2%}" if "accuracy" in run else "—"
        ev = f"{run['eval_s']:.2f}" if "eval_s" in run else "—"
        mdir = f"{run['model_dir_mb']:.1f}" if "model_dir_mb" in run else "—"
        lines.append(
            f"| {model.upper()} | ({v}) | {run['total_s']:.1f} | "
            f"{run['steady']['steps_per_s']:.1f} | {acc} | {ev} | "
            f"{run['peak_rss_mb']:.0f} ({run['rss_after_load_mb']:.0f}) | {mdir} |")
    lines += ["", "Largest files in the model directories after the run:", ""]
    for key, run in results["runs"].items():
        if "largest_files" in run:
            files = ", ".join(f"`{name}` {mb:.1f} MB" for name, mb in run["largest_files"])
            lines.append(f"- {key.upper()}: {files}")
    lines += ["", "## Prediction latency, 9 images", ""]
    for model in MODELS:
        run = results["runs"].get(f"{model}-c")
        if not run or "predict" not in run:
            continue
        p = run["predict"]
        text = (f"- {model.upper()}: `Estimator.predict` {p['estimator_s'] * 1000:.0f} ms "
                f"(median of {ESTIMATOR_PREDICT_REPEATS}; it rebuilds the graph and restores "
                "the checkpoint on every call); ")
        if "predictor_s" in p:
            text += (f"`tutorial17.Predictor.predict` {p['predictor_s'] * 1000:.2f} ms "
                     f"(median of {PREDICTOR_REPEATS}), "
                     f"{p['estimator_s'] / p['predictor_s']:.0f}× faster.")
        else:
            text += f"`tutorial17.Predictor`: {p['predictor']}."
        lines.append(text)
    return lines + [""]


NOTES = """\
## What the variants are

- **(a) the limit**: the estimator's own model function (`estimator.model_fn`, so the very
  graph the Estimator trains), its `train_op` run in a plain `tf.Session` with the
  Estimator's session config. One shuffled epoch of batches is staged in a variable
  beforehand; step *i* uses batch *i* mod 429. No input pipeline, hooks, summaries or
  checkpoints: only the network's forward and backward pass and the optimizer update.
- **(b) the original**: `workflow.train` (the package's one progress line, to /dev/null here)
  with `inputs.make_train_input_fn`, i.e. `numpy_input_fn`: a Python thread slices batches
  and feeds them through a queue.
- **(c) recommended**: the same with `inputs.make_fast_train_input_fn`. It copies the arrays
  once per session into a local, non-checkpointed variable (its initial value comes from a
  `tf.numpy_function`, so the data are never graph constants: the model directory keeps its
  size), shuffles only indices with `tf.data`, and gathers each batch of 128 rows inside the
  training step. Every epoch visits every example once, in a new order.
- **(d) Keras**: the same layers in `tf.keras` (Keras 2.15) `model.fit(x, y, batch_size=128)`,
  eager with the default `tf.function` training step, no metrics (the estimators compute
  none while training), `verbose=0`. Optimizer and loss match the estimators':
"""


def _notes_section(results, summary):
    lines = NOTES.splitlines()
    for model in MODELS:
        optimizer, loss = KERAS_MATCH[model]
        lines.append(f"  {model.upper()}: {optimizer}; {loss}.")
    lines += [
        "",
        "The Estimator variants (b) and (c) include everything `Estimator.train` adds per "
        "step: the NaN check on the loss, step counting, the loss logged every 100 steps, "
        "summaries every 100 steps (the canned DNN's include histograms of every layer) and "
        "the progress line. Checkpoints are written when a `train` call starts and ends, "
        "outside the timed steps of the speed table, inside the time of the 2,000-step runs.",
        "",
        "GPU machines: `--device gpu`; see [gpu.md](gpu.md) for what to expect.",
    ]
    return lines


def ratio_line(summary):
    parts = [f"{m}={summary[m]['c']['ratio']:.2f}" for m in MODELS if m in summary]
    return "ratio_vs_limit " + " ".join(parts)


# ---------------------------------------------------------------- command line

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", type=Path, help=f"Markdown report (default "
                   f"{DEFAULT_OUTPUT.relative_to(REPO)}; with --quick "
                   f"{QUICK_OUTPUT.relative_to(REPO)})")
    p.add_argument("--json", type=Path, help="also write the raw measurements here")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                   help="cpu hides any GPU; gpu requires one (default cpu)")
    p.add_argument("--models", default="dnn,cnn", help="comma-separated: dnn, cnn")
    p.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds per network")
    p.add_argument("--data-dir", type=Path, help="MNIST directory (default: the package's)")
    p.add_argument("--quick", action="store_true",
                   help="a short check run: few steps, 2 rounds, report under runs/")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--keras-server", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in args.models if m not in MODELS]
    if bad or not args.models:
        p.error(f"--models: expected dnn and/or cnn, got {args.models}")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.output is None:
        args.output = QUICK_OUTPUT if args.quick else DEFAULT_OUTPUT
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.keras_server:
        _keras_server(json.loads(args.keras_server))
        return 0
    if args.worker:
        spec = json.loads(args.worker)
        result = _worker(spec)
        Path(spec["result_file"]).write_text(json.dumps(result))
        return 0
    command = "python benchmarks/training_speed.py" + "".join(
        f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:]))
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_info()
    results = measure(args)
    summary = summarise(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(results, summary, machine, command, date))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "date": date, "command": command,
                                         "results": results, "summary": summary}, indent=1))
    print(f"Report written to {args.output}")
    print(ratio_line(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
