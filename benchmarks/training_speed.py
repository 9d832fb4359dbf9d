"""Training speed of the walkthrough's two networks against the compute limit and Keras.

    make benchmarks MEASURE_LOCK=<file>                # the next line under flock; ~10 min
    python benchmarks/training_speed.py                # writes docs/benchmarks.md
    python benchmarks/training_speed.py --quick        # a short check run, written to runs/
    python benchmarks/training_speed.py --device gpu   # the same on a machine with a GPU

For each network (DNN, CNN) it measures, at batch 128:

* steady training speed of (a) the bare graph loop on pre-staged batches, (b) the
  Estimator with ``numpy_input_fn``, (c) the Estimator with the package's recommended
  ``make_fast_train_input_fn`` and (d) the same network in Keras ``model.fit``, plus two
  profile variants that split the gap between (a) and (c) into its causes. All run in one
  process (Keras in a companion process), interleaved in rounds (a, b, c, d, ...; then
  b, c, d, ..., a; ...), each segment's first steps dropped as warm-up; the figures are
  medians over the rounds and each ratio is the median of the per-round ratios to (a),
  so slow drifts in the machine's load hit numerator and denominator alike;
* one run of (b), (c) and (d) each in a fresh process, as a user would run it (2,000 steps;
  the CNN's (b) and (d) fewer, to keep the run short): time including start-up, test
  accuracy, evaluation time on the 10,000 test images, peak resident memory, model
  directory size, and for (c) the prediction latency of ``benchmarks/predict_latency.py``.

The report goes to ``--output`` (Markdown). The last line printed is
``ratio_vs_limit dnn=<x> cnn=<y>``: the steps/s ratio of (c) to (a).
"""

import argparse
import datetime
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

# Full run: rounds of interleaved segments, then one fresh run per (network, variant).
ROUNDS = 5
SEGMENT_STEPS = {"dnn": 400, "cnn": 60}
WARMUP_STEPS = {"dnn": 40, "cnn": 15}
RUN_STEPS = 2000
# Fresh runs: (c) always RUN_STEPS; the CNN's slow (b) and (d) only this many.
RUN_STEPS_CNN_OTHERS = 200
FRESH_RUN_VARIANTS = ("b", "c", "d")
RUN_WARMUP_STEPS = 50
EVAL_REPEATS = 3
PREDICT_CALLS = {"estimator_calls": 20, "predictor_calls": 200}  # predict_latency's defaults
QUICK = {"rounds": 2, "segment_steps": {"dnn": 120, "cnn": 30}, "warmup": {"dnn": 20, "cnn": 10},
         "run_steps": {"dnn": 150, "cnn": 40}, "run_steps_others": {"dnn": 150, "cnn": 40},
         "run_warmup": 10, "fresh_variants": FRESH_RUN_VARIANTS, "eval_repeats": 1,
         "predict_calls": {"estimator_calls": 2, "predictor_calls": 20}}
# --smoke: checks that every code path runs (a test uses it), on any data, in a minute.
SMOKE = {"rounds": 1, "segment_steps": {"dnn": 4, "cnn": 3}, "warmup": {"dnn": 2, "cnn": 2},
         "run_steps": {"dnn": 6, "cnn": 6}, "run_steps_others": {"dnn": 6, "cnn": 6},
         "run_warmup": 2, "fresh_variants": ("c",), "eval_repeats": 1,
         "predict_calls": {"estimator_calls": 1, "predictor_calls": 2}}
FULL = {"rounds": ROUNDS, "segment_steps": SEGMENT_STEPS, "warmup": WARMUP_STEPS,
        "run_steps": {"dnn": RUN_STEPS, "cnn": RUN_STEPS},
        "run_steps_others": {"dnn": RUN_STEPS, "cnn": RUN_STEPS_CNN_OTHERS},
        "run_warmup": RUN_WARMUP_STEPS, "fresh_variants": FRESH_RUN_VARIANTS,
        "eval_repeats": EVAL_REPEATS, "predict_calls": PREDICT_CALLS}
LOAD_SAMPLE_SECONDS = 5
GPU_CACHE_MAXSIZE = str(4 * 1024 ** 3)  # bytes; the driver's default keeps far less

VARIANT_TITLES = {
    "a": "(a) bare graph loop, pre-staged batches (the limit)",
    "b": "(b) Estimator + `numpy_input_fn` (the original)",
    "c": "(c) Estimator + `make_fast_train_input_fn` (recommended)",
    "d": "(d) Keras `model.fit` on the numpy arrays",
    "a_input": "profile: (a) fed by `make_fast_train_input_fn`",
    "c_lean": "profile: (c) without summaries, step logging, progress line",
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

    gpus = tf2.config.experimental.list_physical_devices("GPU")  # in TF 1.15 too
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
    out.setdefault("peak_rss_mb", _peak_rss_mb())
    out["devices"] = [_device_name(tf2, d) for d in gpus] or ["CPU"]
    return out


def _speed_rounds(sv, model, images, cls, spec):
    """Interleaved segments of every variant; per round, each variant's steady figures."""
    from tutorial17 import inputs

    root = tempfile.mkdtemp(prefix="tutorial17-bench-")
    runners = {"d": KerasProxy(spec),  # Keras first: its process must start from a clean state
               "a": sv.BareLoop(model, images, cls),
               "b": sv.EstimatorRun(model, images, cls, fast=False, model_dir=f"{root}/b"),
               "c": sv.EstimatorRun(model, images, cls, fast=True, model_dir=f"{root}/c"),
               "a_input": sv.BareLoop(model, images, cls,
                                      input_fn=inputs.make_fast_train_input_fn(images, cls)),
               "c_lean": sv.EstimatorRun(model, images, cls, fast=True,
                                         model_dir=f"{root}/c_lean", lean=True)}
    names = sv.VARIANTS + sv.PROFILE_VARIANTS
    steps, warmup = spec["segment_steps"], spec["warmup"]
    rounds = []
    try:
        for r in range(spec["rounds"]):
            order = names[r % len(names):] + names[:r % len(names)]
            result = {}
            for v in order:
                result[v] = sv.steady(runners[v].train(warmup + steps), warmup)
            rounds.append(result)
            print(f"  {model} round {r + 1}/{spec['rounds']}: " + ", ".join(
                f"{v} {result[v]['steps_per_s']:.1f}/s" for v in names), file=sys.stderr)
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
        self._ready = False  # it starts while the other variants build their graphs

    def _read(self):
        for line in self._proc.stdout:
            if line.startswith(KERAS_REPLY):
                return json.loads(line[len(KERAS_REPLY):])
        raise RuntimeError(f"the Keras process ended (exit {self._proc.wait()})")

    def train(self, steps):
        if not self._ready:
            self._read()  # "ready": model built and compiled
            self._ready = True
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
    steps, warmup, repeats = spec["run_steps"], spec["run_warmup"], spec["eval_repeats"]
    out = {"steps": steps, "test_images": len(data.test.images)}
    start = time.perf_counter()
    if variant == "d":
        runner = sv.KerasRun(model, images, cls)
        stamps = runner.train(steps)
        out["total_s"] = time.perf_counter() - start
        out["accuracy"] = runner.accuracy(data.test.images, data.test.cls)
        out["eval_s"] = _median_seconds(
            lambda: runner.accuracy(data.test.images, data.test.cls), repeats)
        out["peak_rss_mb"] = _peak_rss_mb()
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
            # Evaluation with the package's numpy_input_fn and, for (c), the staged input too.
            test_fns = {"numpy": inputs.make_test_input_fn(data.test.images, data.test.cls)}
            if fast:
                test_fns["staged"] = inputs.make_fast_test_input_fn(data.test.images,
                                                                    data.test.cls)
            out["eval"] = {}
            for name, test_fn in test_fns.items():
                metrics = {}

                def evaluate():
                    metrics.update(workflow.evaluate(runner.estimator, test_fn))

                out["eval"][name] = {"seconds": _median_seconds(evaluate, repeats),
                                     "accuracy": metrics["accuracy"]}
            out["eval_s"] = out["eval"]["numpy"]["seconds"]
            out["accuracy"] = out["eval"]["numpy"]["accuracy"]
            out["peak_rss_mb"] = _peak_rss_mb()  # before the latency benchmark adds its own
            if fast:
                out["predict"] = _prediction_latency(model, model_dir, data, spec)
        finally:
            _remove_tree(model_dir)
    out["steady"] = sv.steady(stamps, warmup)
    return out


def _prediction_latency(model, model_dir, data, spec):
    """``benchmarks/predict_latency.py`` on the checkpoint just trained."""
    import predict_latency

    return predict_latency.bench_model(model, model_dir, data, **spec["predict_calls"])


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


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
        from importlib import metadata
    except ImportError:  # Python 3.7 (the TensorFlow 1.15 environment)
        import pkg_resources

        try:
            return pkg_resources.get_distribution(name).version
        except pkg_resources.DistributionNotFound:
            return "not installed"
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
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


def run_plan(settings, models):
    """The fresh runs to make: ``[(model, variant, steps)]``."""
    plan = []
    for model in models:
        for variant in settings["fresh_variants"]:
            key = "run_steps" if variant == "c" else "run_steps_others"
            plan.append((model, variant, settings[key][model]))
    return plan


def measure(args):
    settings = SMOKE if args.smoke else QUICK if args.quick else dict(FULL, rounds=args.rounds)
    env = worker_env(args.device)
    base = {"device": args.device, "data_dir": str(args.data_dir) if args.data_dir else None}
    results = {"speed": {}, "runs": {}, "uptime_start": os.getloadavg()}
    print(f"load average at start: {_loads(results['uptime_start'])}", file=sys.stderr)
    started = time.time()
    with LoadMonitor() as load:
        for model in args.models:
            print(f"{model}: interleaved speed rounds", file=sys.stderr)
            results["speed"][model] = run_worker(dict(
                base, task="speed", model=model, rounds=settings["rounds"],
                segment_steps=settings["segment_steps"][model],
                warmup=settings["warmup"][model]), env)
        for model, variant, steps in run_plan(settings, args.models):
            print(f"{model}: {steps}-step run of ({variant})", file=sys.stderr)
            results["runs"][f"{model}-{variant}"] = run_worker(dict(
                base, task="run", model=model, variant=variant, run_steps=steps,
                run_warmup=settings["run_warmup"], eval_repeats=settings["eval_repeats"],
                predict_calls=settings["predict_calls"]), env)
    results["settings"] = settings
    results["load"] = load.samples
    results["seconds"] = time.time() - started
    results["uptime_end"] = os.getloadavg()
    print(f"load average at end: {_loads(results['uptime_end'])}", file=sys.stderr)
    return results


# ---------------------------------------------------------------- report

def _loads(loads):
    """``(1.5, 0.9, 2.3)`` -> ``'1.50, 0.90, 2.30'`` (1, 5 and 15 minutes, as uptime shows)."""
    return ", ".join(f"{x:.2f}" for x in loads)


GOAL = 0.95
ALL_VARIANTS = ("a", "b", "c", "d", "a_input", "c_lean")
# The profile: the gap between (a) and (c) as extra milliseconds per step, cause by cause.
PROFILE_STEPS = (
    ("a_input", "a", "the input function (`make_fast_train_input_fn` instead of staged batches)"),
    ("c_lean", "a_input", "`Estimator.train`'s own per-step work (MonitoredSession, NaN check, "
                          "step counter, stop hook)"),
    ("c", "c_lean", "summaries every 100 steps, step-rate logging, the progress line"),
    ("c", "a", "total: (c) over (a)"),
)


PROFILE_READING = (
    "How to read it: only the first row is the input function's doing; the other two are "
    "`Estimator.train` itself, which every input function pays. Each Estimator step is one "
    "`MonitoredSession.run` that calls `before_run` and `after_run` of about eight hooks in "
    "Python and merges their fetches (loss for the NaN check and the progress line, global "
    "step for the step counter, stop and checkpoint hooks), and every 100th step also "
    "evaluates the summaries (the canned DNN's include histograms of every layer). That is "
    "a fixed cost per step, the size of the second and third rows: more than the 5 % budget "
    "of a 3–4 ms DNN step, close to it for a CNN step, where the rounds' noise on this "
    "shared machine is as large as the gap. Removing it would take fewer `Session.run` calls "
    "(several steps per call), which the v1 Estimator does not offer.")


def summarise(results):
    """Per model and variant: median steps/s, range, CPU ms/step, ratios to (a), profile."""
    summary = {}
    for model, speed in results["speed"].items():
        rounds = speed["rounds"]
        rows = {}
        for v in ALL_VARIANTS:
            rates = [r[v]["steps_per_s"] for r in rounds]
            cpu = [r[v]["cpu_ms_per_step"] for r in rounds]
            rows[v] = {
                "rate": statistics.median(rates), "min": min(rates), "max": max(rates),
                "cpu_ms": statistics.median(cpu),
                "ratio": statistics.median(r[v]["steps_per_s"] / r["a"]["steps_per_s"]
                                           for r in rounds),
                "cpu_ratio": statistics.median(r["a"]["cpu_ms_per_step"] / r[v]["cpu_ms_per_step"]
                                               for r in rounds),
                "ratios": [r[v]["steps_per_s"] / r["a"]["steps_per_s"] for r in rounds]}
        profile = []
        for upper, lower, cause in PROFILE_STEPS:
            wall = statistics.median(1000.0 / r[upper]["steps_per_s"]
                                     - 1000.0 / r[lower]["steps_per_s"] for r in rounds)
            cpu = statistics.median(r[upper]["cpu_ms_per_step"] - r[lower]["cpu_ms_per_step"]
                                    for r in rounds)
            profile.append({"from": lower, "to": upper, "cause": cause, "wall_ms": wall,
                            "cpu_ms": cpu})
        rows["profile"] = profile
        rows["a_ms"] = statistics.median(1000.0 / r["a"]["steps_per_s"] for r in rounds)
        summary[model] = rows
    return summary


def render(results, summary, machine, command, date):
    s = results["settings"]
    load = results["load"]
    cores = machine["cores"]
    first_run = next(iter(results["runs"].values()), None) or next(iter(results["speed"].values()))
    lines = [
        "# Training speed: the Estimator against the compute limit and against Keras",
        "",
        f"Written by `{command}` on {date}; every figure below comes from that one run "
        f"({results['seconds'] / 60:.1f} min). Rerun it to refresh this page "
        "(`make benchmarks MEASURE_LOCK=<file>` runs it under `flock <file>`, so that no "
        "other timed run overlaps it).",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {cores} cores usable, {machine['memory']} RAM; "
        f"{machine['os']}",
        f"- Device used: {', '.join(first_run['devices'])}",
        f"- Python {machine['python']}, " + ", ".join(
            f"{k} {v}" for k, v in machine["versions"].items()),
        f"- 1-minute load average during the run: median {statistics.median(load):.1f}, "
        f"min {min(load):.1f}, max {max(load):.1f} (this benchmark alone keeps about "
        f"{min(cores, 2)} busy); load averages (1, 5, 15 min) at the start "
        f"{_loads(results['uptime_start'])}, at the end {_loads(results['uptime_end'])}.",
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
    lines += _profile_section(summary)
    lines += _runs_section(results, s)
    lines += _notes_section(results, summary)
    lines += GPU_SECTION.splitlines()
    lines += ["", "Script output's last line (for checking by script):", "", "```",
              ratio_line(summary), "```", ""]
    return "\n".join(lines)


def _table(summary, variants, cell):
    lines = []
    for v in variants:
        cells = []
        for model in MODELS:
            cells += cell(summary[model][v]) if model in summary else ["—", "—"]
        lines.append(f"| {VARIANT_TITLES[v]} | " + " | ".join(cells) + " |")
    return lines


def _speed_section(summary, s):
    lines = [
        "## Training speed, batch 128",
        "",
        f"Steady-state steps per second: {s['rounds']} interleaved rounds per network, each "
        f"segment {s['segment_steps']['dnn']} (DNN) or {s['segment_steps']['cnn']} (CNN) "
        f"steps after {s['warmup']['dnn']} (DNN) or {s['warmup']['cnn']} (CNN) warm-up "
        "steps that are not counted (graph building, session start, checkpoint restore and "
        "the first slow steps). Median over rounds [min–max]; the ratio is the median of the "
        "per-round ratios to (a).",
        "",
        "| variant | DNN steps/s | DNN vs (a) | CNN steps/s | CNN vs (a) |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += _table(summary, ALL_VARIANTS, lambda row: [
        f"{row['rate']:.1f} [{row['min']:.0f}–{row['max']:.0f}]", f"{row['ratio']:.2f}×"])
    lines += ["", "Per-round ratios of (c) to (a), in order: " + "; ".join(
        f"{m.upper()} " + ", ".join(f"{x:.2f}" for x in summary[m]["c"]["ratios"])
        for m in MODELS if m in summary) + ". Their spread shows how much the shared "
        "machine's load moved between segments."]
    lines += [
        "",
        "CPU time per step (the whole process, all threads; median over rounds) and its "
        "ratio, limit ÷ variant (1.00 = no extra CPU work per step):",
        "",
        "| variant | DNN CPU ms/step | DNN vs (a) | CNN CPU ms/step | CNN vs (a) |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += _table(summary, ALL_VARIANTS, lambda row: [
        f"{row['cpu_ms']:.2f}", f"{row['cpu_ratio']:.2f}×"])
    return lines + [""]


def _profile_section(summary):
    lines = [
        "## Profile: where (c) loses time against (a)",
        "",
        "Extra milliseconds per step, from one variant to the next (median over rounds of the "
        "per-round differences; wall clock, and process CPU time in brackets). The goal "
        "(c) ≥ 0.95 × (a) allows at most 5 % of (a)'s step time: "
        + ", ".join(f"{summary[m]['a_ms'] * 0.05 / 0.95:.2f} ms for the {m.upper()}"
                    for m in MODELS if m in summary) + ".",
        "",
        "| cause | DNN extra ms/step | CNN extra ms/step |",
        "|---|---:|---:|",
    ]
    for i, (_, _, cause) in enumerate(PROFILE_STEPS):
        cells = []
        for model in MODELS:
            if model not in summary:
                cells.append("—")
                continue
            p = summary[model]["profile"][i]
            cells.append(f"{p['wall_ms']:+.2f} ({p['cpu_ms']:+.2f})")
        lines.append(f"| {cause} | " + " | ".join(cells) + " |")
    verdicts = []
    for m in MODELS:
        if m in summary:
            ratio = summary[m]["c"]["ratio"]
            verdicts.append(f"{m.upper()} {ratio:.2f}× ({'met' if ratio >= GOAL else 'not met'})")
    lines += ["", f"- Goal (c) ≥ {GOAL:.2f} × (a), wall clock: " + ", ".join(verdicts) + "."]
    for m in MODELS:
        if m not in summary:
            continue
        causes = summary[m]["profile"][:-1]
        worst = max(causes, key=lambda p: p["wall_ms"])
        lines.append(f"- Largest cost for the {m.upper()} in this run: {worst['cause']}, "
                     f"{worst['wall_ms']:+.2f} ms per step (total "
                     f"{summary[m]['profile'][-1]['wall_ms']:+.2f} ms; medians of "
                     "differences do not add up exactly).")
    lines += ["", PROFILE_READING]
    lines += ["", "(a) itself: " + ", ".join(
        f"{summary[m]['a_ms']:.2f} ms/step for the {m.upper()}" for m in MODELS if m in summary)
        + ".", ""]
    return lines


def _runs_section(results, s):
    num_test = next((r["test_images"] for r in results["runs"].values()), 0)
    lines = [
        "## One run of each in a fresh process, as a user runs it",
        "",
        "Time includes building the graph or model, starting the session and the first steps "
        "(and, for the Estimator, writing checkpoints at the start and end); steady steps/s "
        f"leaves out the first {s['run_warmup']} steps. Evaluation: all {num_test:,} test images "
        f"(median "
        f"of {s['eval_repeats']}; for the Estimator this includes building the graph and "
        "restoring the checkpoint, as every `evaluate` call does), with the package's "
        "`make_test_input_fn` (`numpy_input_fn`). Peak memory: the process's peak resident "
        "set after training and evaluation; in brackets, what it held after importing "
        "TensorFlow and loading MNIST. Model directory: its size after the run.",
        "",
        "| network | variant | steps | time (s) | steady steps/s | test accuracy | "
        "evaluation (s) | peak memory (MB) | model dir (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, run in results["runs"].items():
        model, v = key.split("-")
        acc = f"{run['accuracy']:.2%}" if "accuracy" in run else "—"
        ev = f"{run['eval_s']:.2f}" if "eval_s" in run else "—"
        mdir = f"{run['model_dir_mb']:.1f}" if "model_dir_mb" in run else "—"
        lines.append(
            f"| {model.upper()} | ({v}) | {run['steps']:,} | {run['total_s']:.1f} | "
            f"{run['steady']['steps_per_s']:.1f} | {acc} | {ev} | "
            f"{run['peak_rss_mb']:.0f} ({run['rss_after_load_mb']:.0f}) | {mdir} |")
    staged = [(k, r["eval"]) for k, r in results["runs"].items() if "staged" in r.get("eval", {})]
    if staged:
        lines += ["", "Evaluation of the (c) checkpoints with `make_fast_test_input_fn` "
                  "(staged in a variable) instead:", ""]
        for key, ev in staged:
            lines.append(f"- {key.split('-')[0].upper()}: {ev['staged']['seconds']:.2f} s "
                         f"(accuracy {ev['staged']['accuracy']:.2%}) against "
                         f"{ev['numpy']['seconds']:.2f} s with `numpy_input_fn`.")
    lines += ["", "Largest files in the model directories after the run:", ""]
    for key, run in results["runs"].items():
        if "largest_files" in run:
            files = ", ".join(f"`{name}` {mb:.1f} MB" for name, mb in run["largest_files"])
            lines.append(f"- {key.upper()}: {files}")
    lines += ["", "## Prediction latency, 9 images", "",
              "From `benchmarks/predict_latency.py` (its `bench_model`) on each (c) run's "
              "checkpoint: `Estimator.predict` as the original made the estimator, the same with "
              "the package's checkpoint check, and `tutorial17.Predictor.predict`, calls "
              "interleaved; medians.", "",
              "| network | Estimator.predict (ms) | with check (ms) | Predictor.predict (ms) "
              "| ratio | Predictor set-up (ms) | calls |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for model in MODELS:
        run = results["runs"].get(f"{model}-c")
        if not run or "predict" not in run:
            continue
        p = run["predict"]
        lines.append(
            f"| {model.upper()} | {p['estimator_median_s'] * 1e3:.0f} | "
            f"{p['checked_estimator_median_s'] * 1e3:.0f} | {p['predictor_median_s'] * 1e3:.2f} "
            f"| {p['ratio']:.0f}× | {p['predictor_setup_s'] * 1e3:.0f} | "
            f"{p['estimator_calls']} / {p['predictor_calls']} |")
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
  stateful `tf.numpy_function`, so the data are never graph constants: the model directory
  keeps its size), shuffles only indices with `tf.data`, and gathers each batch of 128 rows
  inside the training step. Every epoch visits every example once, in a new order. The
  CLI's `train` and `walkthrough` train with it; the notebook keeps the original's
  `numpy_input_fn`.
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
        "outside the timed steps of the speed table, inside the time of the fresh runs.",
        "",
        "The profile variants: **(a) fed by `make_fast_train_input_fn`** is (a)'s loop with the "
        "recommended input function in place of the staged batches; **(c) without summaries, "
        "step logging, progress line** is (c) with `RunConfig(save_summary_steps=None, "
        "log_step_count_steps=None)` and `progress=False`.",
        "",
    ]
    return lines


GPU_SECTION = """\
## On a GPU

`python benchmarks/training_speed.py --device gpu` runs the same measurements with the GPU
visible (the default, `--device cpu`, hides any GPU so CPU figures stay comparable); it stops
with an error if TensorFlow sees no GPU. It needs `pip install -e '.[gpu]'`
(`tensorflow[and-cuda]==2.15.1`: CUDA 12.2 and cuDNN 8.9 wheels). Check what TensorFlow sees
with `python -m tutorial17 info`, `tf.config.list_physical_devices('GPU')` and
`tf.sysconfig.get_build_info()`. No GPU figures are on this page: the machine above has none.

What to expect on recent GPUs:

- TensorFlow 2.15's wheels carry compiled kernels for compute capabilities sm_50 to sm_80
  plus PTX for compute_80. Ampere (A100, RTX 30xx) runs the compiled kernels.
- Newer GPUs, e.g. Ada (sm_89) and Hopper (H100, sm_90), get no compiled kernels from the
  wheel: on first start the CUDA driver JIT-compiles the PTX, which can take many minutes
  without output and looks like a hang. The driver caches the result in `CUDA_CACHE_PATH`
  (default `~/.nv/ComputeCache`) up to `CUDA_CACHE_MAXSIZE` bytes; the default size is too
  small for TensorFlow's kernels, so entries get evicted and the JIT runs again next time.
  Set both, with the cache on a persistent disk, to pay it once:

      export CUDA_CACHE_PATH=$HOME/.cache/nv-compute-cache
      export CUDA_CACHE_MAXSIZE=4294967296   # 4 GiB

  The benchmark sets `CUDA_CACHE_MAXSIZE` to 4 GiB for its worker processes unless it is
  set already; in containers and on CI runners keep `CUDA_CACHE_PATH` on a volume that
  outlives the job. Warm-up steps are left out of the speed figures, but the fresh runs'
  times include start-up: run once to fill the cache before quoting them.
- These networks are small: at batch 128 a GPU step is short, so per-step overhead (the
  Estimator's hooks, kernel launches, copying each batch to the device) weighs more than on
  a CPU, and the ratios to (a) will be lower there.
"""


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
    p.add_argument("--smoke", action="store_true",
                   help="a few steps of everything, to check the script works (tests use it "
                   "with a tiny --data-dir); report under runs/")
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
        args.output = QUICK_OUTPUT if (args.quick or args.smoke) else DEFAULT_OUTPUT
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
