"""The benchmark's orchestrator: one worker process per measurement, the machine, its load."""

import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.speed import settings
from benchmarks.speed.report import format_loads


def run_worker(spec, env):
    """Run one worker process; return its JSON result."""
    with tempfile.TemporaryDirectory(prefix="tutorial17-bench-out-") as tmp:
        result_file = Path(tmp) / "result.json"
        spec = dict(spec, result_file=str(result_file))
        proc = subprocess.run([sys.executable, str(settings.SCRIPT), "--worker", json.dumps(spec)],
                              env=env, cwd=str(settings.REPO), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0 or not result_file.exists():
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise SystemExit(f"error: worker {spec['task']} {spec['model']} "
                             f"{spec.get('variant', '')} failed (exit {proc.returncode}):\n{tail}")
        for line in proc.stderr.splitlines():
            if line.startswith("  "):
                print(line, file=sys.stderr)
        return json.loads(result_file.read_text())


class LoadMonitor:
    """Sampler of the 1-minute load average while the benchmark runs."""

    def __init__(self, interval=settings.LOAD_SAMPLE_SECONDS):
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
    """Return the CPU, core count, memory, OS, Python and package versions."""
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
    # On TensorFlow >= 2.16, tf.keras (and so variant (d) and tf.layers) is tf-keras, not keras.
    if _version("tf-keras") != "not installed":
        versions["tf-keras (tf.keras)"] = _version("tf-keras")
    return {"cpu": cpu, "cores": cores, "memory": memory,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "versions": versions}


def _version(name):
    """Return the installed version of the distribution ``name``, or "not installed"."""
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
    """Return the environment of the worker processes for ``device`` ("cpu" or "gpu")."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(settings.BENCHMARKS),
                                                      str(settings.REPO), env.get("PYTHONPATH")]))
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"  # same figures whether or not a GPU is present
    else:
        env.setdefault("CUDA_CACHE_MAXSIZE", settings.GPU_CACHE_MAXSIZE)
    return env


def run_plan(chosen, models):
    """Return the fresh runs to make with the settings ``chosen``: ``[(model, variant, steps)]``."""
    plan = []
    for model in models:
        for variant in chosen["fresh_variants"]:
            key = "run_steps" if variant == "c" else "run_steps_others"
            plan.append((model, variant, chosen[key][model]))
    return plan


def settings_for(args):
    """Return the step counts for the command line's mode: --smoke, --quick or a full run."""
    if args.smoke:
        return settings.SMOKE
    if args.quick:
        return settings.QUICK
    return dict(settings.FULL, rounds=args.rounds)


def measure(args):
    """Run every worker the command line asks for; return their results, settings and load."""
    chosen = settings_for(args)
    env = worker_env(args.device)
    base = {"device": args.device, "data_dir": str(args.data_dir) if args.data_dir else None}
    results = {"speed": {}, "runs": {}, "uptime_start": os.getloadavg()}
    print(f"load average at start: {format_loads(results['uptime_start'])}", file=sys.stderr)
    started = time.time()
    with LoadMonitor() as load:
        for model in args.models:
            print(f"{model}: interleaved speed rounds", file=sys.stderr)
            results["speed"][model] = run_worker(dict(
                base, task="speed", model=model, rounds=chosen["rounds"],
                segment_steps=chosen["segment_steps"][model],
                warmup=chosen["warmup"][model]), env)
        for model, variant, steps in run_plan(chosen, args.models):
            print(f"{model}: {steps}-step run of ({variant})", file=sys.stderr)
            results["runs"][f"{model}-{variant}"] = run_worker(dict(
                base, task="run", model=model, variant=variant, run_steps=steps,
                run_warmup=chosen["run_warmup"], eval_repeats=chosen["eval_repeats"],
                predict_calls=chosen["predict_calls"]), env)
    results["settings"] = chosen
    results["load"] = load.samples
    results["seconds"] = time.time() - started
    results["uptime_end"] = os.getloadavg()
    print(f"load average at end: {format_loads(results['uptime_end'])}", file=sys.stderr)
    return results
