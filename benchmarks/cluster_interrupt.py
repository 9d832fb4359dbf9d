"""Ctrl-C after a worker's death, on a loaded machine: how long the local cluster takes to stop.

Each round starts ``python -m tutorial17 cluster`` (chief + 1 worker + 1 parameter
server) on the tiny MNIST slice with a CPU hog beside it (one busy process per core),
kills the worker with SIGKILL once it has trained, waits until the chief has written
a checkpoint after that, then sends SIGINT (``--signal TERM``: SIGTERM) to the
launcher. It prints, per round, the seconds from the signal until the launcher
exited and until every task had gone, the launcher's last line, and which
processes were still alive after each second. Then the max and median.

    flock <lock file> .venv-3.11/bin/python benchmarks/cluster_interrupt.py --rounds 10

``--stacks-after S`` dumps the Python stacks (``py-spy dump``, if ``py-spy`` is on
PATH) of every process still alive S seconds after the signal into the round's
directory, to show what each one waits for. Exits with status 1 if a round took
longer than ``--limit`` seconds (default 15) or left a process behind.
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tutorial17  # noqa: F401  (quiet TensorFlow before it loads)
from tutorial17 import data
from tutorial17.checkpoints import checkpoint_step
from tutorial17.cluster.processes import RUNS_DIR
from tutorial17.cluster.status import read_status
from tutorial17.notebook import SMOKE_DATA_ARGS

STARTUP_TIMEOUT = 300
"""Seconds a round may take to start, train the worker and checkpoint after its death."""
WORKER_STEPS = 10
"""The worker's own steps before it is killed."""
STEPS_AFTER_KILL = 10
"""Global steps the chief's checkpoints must pass beyond the kill before the signal."""
GIVE_UP_SECS = 120
"""Seconds after the signal before the round kills whatever is left and counts as failed."""


def hog(cores):
    """Start ``cores`` processes that spin on the CPU; return them."""
    code = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
            for _ in range(cores)]


def wait_for(condition, timeout, what, launcher):
    """Poll ``condition`` until it gives something true; return it, or raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if launcher.poll() is not None:
            raise RuntimeError(f"the launcher ended (status {launcher.returncode}) "
                               f"before {what}")
        time.sleep(0.2)
    raise RuntimeError(f"no {what} within {timeout} s")


def alive(pid):
    """Return True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def dump_stacks(pids, out_dir, label):
    """Write ``py-spy dump`` of every live process of ``pids`` (``{name: pid}``) to out_dir."""
    py_spy = shutil.which("py-spy")
    for name, pid in pids.items():
        if not alive(pid):
            continue
        path = Path(out_dir, f"stacks-{label}-{name}.txt")
        if py_spy is None:
            path.write_text("py-spy not on PATH\n")
            continue
        dump = subprocess.run([py_spy, "dump", "--pid", str(pid)], capture_output=True,
                              text=True, timeout=60)
        path.write_text(dump.stdout + dump.stderr)


def one_round(command, model_dir, sig, stacks_after, out_dir):
    """Run the scenario once; return a dict of what was measured."""
    # As a terminal starts a foreground job: SIGINT at its default action, even if this script
    # runs in the background of another (which would leave SIGINT ignored in the launcher).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        launcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    pids = {}
    try:
        runs = model_dir / RUNS_DIR
        run_dir = wait_for(lambda: next(iter(sorted(runs.iterdir())), None)
                           if runs.is_dir() else None, STARTUP_TIMEOUT, "run directory",
                           launcher)
        wait_for(lambda: (read_status(run_dir / "worker-0.json") or {})
                 .get("local_steps", 0) >= WORKER_STEPS, STARTUP_TIMEOUT, "worker steps",
                 launcher)
        pids = json.loads((run_dir / "pids.json").read_text())
        os.kill(pids["worker-0"], signal.SIGKILL)
        killed_at = max((read_status(run_dir / "chief-0.json") or {}).get("step") or 0,
                        checkpoint_step(model_dir) or 0)
        wait_for(lambda: (checkpoint_step(model_dir) or 0) > killed_at + STEPS_AFTER_KILL,
                 STARTUP_TIMEOUT, "checkpoint after the worker's death", launcher)
        everyone = {"launcher": launcher.pid, **pids}
        start = time.monotonic()
        launcher.send_signal(sig)
        timeline, launcher_secs, dumped = [], None, False
        next_tick = 1.0
        while time.monotonic() - start < GIVE_UP_SECS:
            elapsed = time.monotonic() - start
            if launcher_secs is None and launcher.poll() is not None:
                launcher_secs = elapsed
            living = [name for name, pid in everyone.items()
                      if name != "launcher" and alive(pid)]
            if launcher_secs is None:
                living.insert(0, "launcher")
            if not living:
                break
            if elapsed >= next_tick:
                timeline.append(f"{next_tick:.0f}s:{'+'.join(living)}")
                next_tick += 1.0
            if stacks_after is not None and not dumped and elapsed >= stacks_after:
                dump_stacks(everyone, out_dir, f"{stacks_after:g}s")
                dumped = True
            time.sleep(0.05)
        all_gone_secs = time.monotonic() - start
        left = [name for name, pid in everyone.items() if alive(pid)]
        if left:
            os.killpg(launcher.pid, signal.SIGKILL)
        out, err = launcher.communicate()
        (out_dir / "launcher.out").write_text(out)
        (out_dir / "launcher.err").write_text(err)
        last_line = (err.strip().splitlines() or [""])[-1]
        return {"launcher_secs": launcher_secs, "all_gone_secs": all_gone_secs,
                "left": left, "status": launcher.returncode, "last_line": last_line,
                "timeline": timeline}
    finally:
        for pid in [launcher.pid, *pids.values()]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        launcher.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--hogs", type=int, default=multiprocessing.cpu_count(),
                        help="busy processes beside the cluster (default: one per core)")
    parser.add_argument("--signal", choices=["INT", "TERM"], default="INT")
    parser.add_argument("--model", default="dnn")
    parser.add_argument("--stacks-after", type=float,
                        help="dump live processes' stacks this many seconds after the signal")
    parser.add_argument("--limit", type=float, default=15.0,
                        help="seconds a shutdown may take (default 15)")
    parser.add_argument("--keep", type=Path,
                        help="keep each round's model directory and logs under this directory")
    args = parser.parse_args()
    sig = getattr(signal, f"SIG{args.signal}")

    work = Path(tempfile.mkdtemp(prefix="cluster-interrupt-"))
    root = args.keep or work
    data_dir = data.write_subset(work / "mnist-tiny", SMOKE_DATA_ARGS["num_train_records"],
                                 SMOKE_DATA_ARGS["num_test_records"])
    print(f"# {args.rounds} round(s): cluster --model {args.model} (chief + 1 worker + 1 ps), "
          f"worker SIGKILLed, then SIG{args.signal}; {args.hogs} CPU hog(s) beside it; "
          f"{os.cpu_count()} cores; Python {sys.version.split()[0]}", flush=True)
    results, hogs = [], hog(args.hogs)
    try:
        for i in range(1, args.rounds + 1):
            model_dir = root / f"round-{i}" / "model"
            model_dir.parent.mkdir(parents=True, exist_ok=True)
            command = [sys.executable, "-m", "tutorial17", "cluster", "--model", args.model,
                       "--steps", "1000000", "--model-dir", str(model_dir),
                       "--data-dir", str(data_dir), "--workers", "1", "--ps", "1",
                       "--checkpoint-secs", "1", "--eval-throttle-secs", "1",
                       "--no-progress"]
            r = one_round(command, model_dir, sig, args.stacks_after, model_dir.parent)
            results.append(r)
            launcher_secs = r["launcher_secs"] or float("nan")
            print(f"round {i:2d}: launcher exited after {launcher_secs:5.1f} s, all tasks gone "
                  f"after {r['all_gone_secs']:5.1f} s, status {r['status']}, left "
                  f"{r['left'] or 'none'}; {r['last_line']}", flush=True)
            if r["timeline"]:
                print(f"          alive: {' '.join(r['timeline'])}", flush=True)
    finally:
        for p in hogs:
            p.kill()
            p.wait()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    times = [r["all_gone_secs"] for r in results]
    print(f"shutdown (signal to every process gone): max {max(times):.1f} s, "
          f"median {statistics.median(times):.1f} s, min {min(times):.1f} s over "
          f"{len(times)} rounds")
    bad = [r for r in results if r["all_gone_secs"] > args.limit or r["left"]
           or r["launcher_secs"] is None]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
