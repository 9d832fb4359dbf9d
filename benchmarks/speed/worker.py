"""The timed side of the benchmark: what runs in the worker and Keras subprocesses.

``training_speed.py --worker <spec>`` calls ``run``: either the interleaved speed rounds
of one network (``spec["task"] == "speed"``) or one fresh run of one variant ("run").
Variant (d) of the speed rounds trains in a further process, ``--keras-server <spec>``
(``keras_server``), driven by ``KerasProxy``.
"""

import functools
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tutorial17  # noqa: F401  (quiet TensorFlow before it loads)
from tutorial17 import inputs, workflow
from tutorial17.data import read_data_sets

import tensorflow as tf2

from benchmarks import predict_latency
from benchmarks import speed_variants as sv
from benchmarks.speed.settings import SCRIPT

KERAS_REPLY = "@@stamps "


def run(spec):
    """Run one measurement (``spec["task"]`` is "speed" or "run") and return its results."""
    gpus = tf2.config.experimental.list_physical_devices("GPU")  # in TF 1.15 too
    if spec["device"] == "gpu" and not gpus:
        raise SystemExit("error: --device gpu but TensorFlow sees no GPU; check "
                         "`python -m tutorial17 info` and the [gpu] extra")
    data = read_data_sets(spec["data_dir"])
    out = {"rss_after_load_mb": _current_rss_mb()}
    if spec["task"] == "speed":
        out["rounds"] = _speed_rounds(data.train.images, data.train.cls, spec)
    else:
        out.update(_one_run(data, spec))
    out.setdefault("peak_rss_mb", _peak_rss_mb())
    out["devices"] = [_device_name(d) for d in gpus] or ["CPU"]
    return out


def _speed_rounds(images, cls, spec):
    """Train every variant in interleaved segments; return each round's steady figures."""
    model = spec["model"]
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
            [sys.executable, str(SCRIPT), "--keras-server", json.dumps(spec)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._ready = False  # it starts while the other variants build their graphs

    def _read(self):
        for line in self._proc.stdout:
            if line.startswith(KERAS_REPLY):
                return json.loads(line[len(KERAS_REPLY):])
        raise RuntimeError(f"the Keras process ended (exit {self._proc.wait()})")

    def train(self, steps):
        """Train ``steps`` steps in the Keras process; return its time stamps."""
        if not self._ready:
            self._read()  # "ready": model built and compiled
            self._ready = True
        self._proc.stdin.write(f"{steps}\n")
        self._proc.stdin.flush()
        return self._read()

    def close(self):
        """End the Keras process."""
        self._proc.stdin.close()
        self._proc.wait()


def keras_server(spec):
    """Build (d) once, then train the number of steps read from each stdin line."""
    data = read_data_sets(spec["data_dir"])
    runner = sv.KerasRun(spec["model"], data.train.images, data.train.cls)
    print(KERAS_REPLY + "[]", flush=True)
    for line in sys.stdin:
        print(KERAS_REPLY + json.dumps(runner.train(int(line))), flush=True)


def _one_run(data, spec):
    """Make one fresh ``run_steps`` run of one variant, as a user would run it."""
    out = {"steps": spec["run_steps"], "test_images": len(data.test.images)}
    if spec["variant"] == "d":
        stamps = _keras_run(data, spec, out)
    else:
        stamps = _estimator_run(data, spec, out)
    out["steady"] = sv.steady(stamps, spec["run_warmup"])
    return out


def _keras_run(data, spec, out):
    """Train and evaluate (d), adding its figures to ``out``; return its time stamps."""
    test = data.test
    start = time.perf_counter()
    runner = sv.KerasRun(spec["model"], data.train.images, data.train.cls)
    stamps = runner.train(spec["run_steps"])
    out["total_s"] = time.perf_counter() - start
    out["accuracy"] = runner.accuracy(test.images, test.cls)
    out["eval_s"], _ = _timed_median(functools.partial(runner.accuracy, test.images, test.cls),
                                     spec["eval_repeats"])
    out["peak_rss_mb"] = _peak_rss_mb()
    return stamps


def _estimator_run(data, spec, out):
    """Train and evaluate (b) or (c), adding its figures to ``out``; return its time stamps."""
    model, variant, test = spec["model"], spec["variant"], data.test
    fast = variant == "c"
    start = time.perf_counter()
    model_dir = tempfile.mkdtemp(prefix=f"tutorial17-bench-{variant}-")
    try:
        runner = sv.EstimatorRun(model, data.train.images, data.train.cls, fast=fast,
                                 model_dir=model_dir)
        stamps = runner.train(spec["run_steps"])
        out["total_s"] = time.perf_counter() - start
        runner.close()
        out["model_dir_mb"] = _tree_bytes(model_dir) / 1e6
        out["largest_files"] = _largest_files(model_dir)
        # Evaluation with the package's numpy_input_fn and, for (c), the staged input too.
        test_fns = {"numpy": inputs.make_test_input_fn(test.images, test.cls)}
        if fast:
            test_fns["staged"] = inputs.make_fast_test_input_fn(test.images, test.cls)
        out["eval"] = {}
        for name, test_fn in test_fns.items():
            seconds, metrics = _timed_median(
                functools.partial(workflow.evaluate, runner.estimator, test_fn),
                spec["eval_repeats"])
            out["eval"][name] = {"seconds": seconds, "accuracy": metrics["accuracy"]}
        out["eval_s"] = out["eval"]["numpy"]["seconds"]
        out["accuracy"] = out["eval"]["numpy"]["accuracy"]
        out["peak_rss_mb"] = _peak_rss_mb()  # before the latency benchmark adds its own
        if fast:  # benchmarks/predict_latency.py on the checkpoint just trained
            out["predict"] = predict_latency.bench_model(model, model_dir, data,
                                                         **spec["predict_calls"])
    finally:
        _remove_tree(model_dir)
    return stamps


def _peak_rss_mb():
    """Return this process's peak resident set so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed_median(fn, repeats):
    """Call ``fn`` ``repeats`` times; return the median seconds and the last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _current_rss_mb():
    """Return this process's resident set now, in MB (None where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _device_name(device):
    """Return a GPU's name and compute capability, e.g. "NVIDIA A100 (sm_80)"."""
    details = tf2.config.experimental.get_device_details(device)
    cc = details.get("compute_capability")
    return f"{details.get('device_name', device.name)}" + (f" (sm_{cc[0]}{cc[1]})" if cc else "")


def _tree_bytes(root):
    """Return the total size of the files under ``root``."""
    return sum(p.stat().st_size for p in Path(root).rglob("*") if p.is_file())


def _largest_files(root, count=3):
    """Return the ``count`` largest files under ``root`` as ``(relative path, MB)``."""
    files = sorted((p for p in Path(root).rglob("*") if p.is_file()),
                   key=lambda p: p.stat().st_size, reverse=True)[:count]
    return [(str(p.relative_to(root)), p.stat().st_size / 1e6) for p in files]


def _remove_tree(root):
    """Remove a directory this benchmark created under the temp directory, and nothing else."""
    root = Path(root)
    if root.is_dir() and root.name.startswith("tutorial17-bench-") \
            and root.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(root)
