"""A run of a local cluster, options in, result out (``tutorial17.cluster.launcher``).

The fast tests drive a run with small Python stand-ins for the tasks. The slow
ones start real clusters (parameter server, chief, worker, evaluator) talking
gRPC on loopback, through ``python -m tutorial17 cluster`` on the tiny slice;
they use few steps and short checkpoint and evaluation intervals, and always
stop what they started.
"""

import glob
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tutorial17 import events
from tutorial17._runtime.locking import lock_model_dir
from tutorial17.cli import main
from tutorial17.cli.options import flag_message
from tutorial17.cluster import launcher as cluster
from tutorial17.cluster.processes import RUNS_DIR
from tutorial17.cluster.progress_line import ProgressLine
from tutorial17.cluster.status import read_eval_metrics, read_status
from tutorial17.cluster.task import TaskOptions
from tutorial17.errors import ClusterError, ClusterOptionsError

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from conftest import assert_all_gone, kill_group, start_in_foreground, wait_for

RUN_TIMEOUT = 240  # seconds; a run takes 15-30 s on 2 idle cores
FAST = ["--checkpoint-secs", "1", "--eval-throttle-secs", "1", "--no-progress"]


def cluster_command(model_dir, data_dir, steps, *extra, model="dnn"):
    return [sys.executable, "-m", "tutorial17", "cluster", "--model", model,
            "--steps", str(steps), "--model-dir", str(model_dir), "--data-dir", str(data_dir),
            "--timeout", str(RUN_TIMEOUT), *FAST, *extra]


def run_dirs(model_dir):
    return sorted(Path(model_dir, RUNS_DIR).iterdir())


def checkpoint_step(model_dir):
    path = tf.train.latest_checkpoint(str(model_dir))
    return int(path.rsplit("-", 1)[1]) if path else None


# A chief's stand-in: on SIGINT it says it saved (as StatusFileHook.end does) or says nothing
# (a chief that cannot save in time); either way it then hangs, as a chief closing its gRPC
# session on a busy machine can. The other tasks' stand-in ignores SIGTERM.
CHIEF_STAND_IN = """
import json, os, signal, sys, time
def on_sigint(signum, frame):
    if sys.argv[2] == "saves":
        with open(sys.argv[1] + ".tmp", "w") as f:
            json.dump({"step": 7, "saved": True, "time": time.time()}, f)
        os.replace(sys.argv[1] + ".tmp", sys.argv[1])
signal.signal(signal.SIGINT, on_sigint)
print("ready", flush=True)
while True:
    time.sleep(1)
"""
READY = "print('ready', flush=True); "
TASK_STAND_IN = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                 "print('ready', flush=True); time.sleep(600)")


def run_with_stand_ins(tmp_path, commands, **options):
    """Return a run of ``ClusterOptions(**options)`` whose tasks are the stand-ins ``commands``.

    ``commands`` maps a task type to its command, called with the run and the task.
    The run's log goes nowhere; it waits until every stand-in has said it is ready.
    """
    task_options = TaskOptions(model="dnn", model_dir=tmp_path / "m", max_steps=10)
    run = cluster._ClusterRun(cluster.ClusterOptions(task=task_options, **options),
                              log=lambda line: None)
    for task in run.tasks:
        run.processes.start(task, commands[task.type](run, task), env=dict(os.environ))
    try:
        for task in run.tasks:
            log = run.processes.log_file(task)
            wait_for(lambda log=log: "ready" in log.read_text(), 60, f"{log.name} to say ready")
    except BaseException:
        run.processes.stop(grace=0)
        raise
    return run


def stand_in(code, *args):
    """A stand-in task: the Python ``code`` (which prints "ready") given ``arg(run, task)``."""
    def command(run, task):
        return [sys.executable, "-c", code, *(arg(run, task) for arg in args)]
    return command


def status_file(run, task):
    return str(run.processes.status_file(task))


def pids_file(run, task):
    return str(run.run_dir / "pids.json")


WAITS = stand_in(TASK_STAND_IN)


@pytest.mark.parametrize("chief", ["saves", "cannot-save"])
def test_ctrl_c_stops_every_task_once_the_chief_saved_or_its_time_is_up(chief, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(cluster, "CHIEF_SAVE_SECS", 60.0 if chief == "saves" else 1.0)
    chief_stand_in = stand_in(CHIEF_STAND_IN, status_file, lambda run, task: chief)
    run = run_with_stand_ins(tmp_path, {"chief": chief_stand_in, "worker": WAITS, "ps": WAITS,
                                        "evaluator": WAITS}, evaluator=True)
    try:
        start = time.monotonic()
        line = run.stop_after_saving()
        seconds = time.monotonic() - start
    finally:
        run.processes.stop(grace=0)
    assert all(proc.poll() is not None for proc in run.processes.procs.values())
    expected = ("after the chief saved" if chief == "saves" else
                "the chief did not save within 1 s, so its steps since the last checkpoint "
                "are lost")
    assert line == (f"stopped 4 task(s){'' if chief == 'saves' else ';'} {expected}; "
                    f"no checkpoint yet in {tmp_path / 'm'}; run the same command again to "
                    "continue from it")
    if chief == "saves":
        assert seconds < 30  # it did not wait for the chief to exit, which it never does


# A chief's stand-in that finishes once the launcher has reaped worker-0 (its process is
# gone), so that the launcher sees the worker's death first.
CHIEF_AFTER_THE_WORKER = """
import json, os, sys, time
print("ready", flush=True)
pids = sys.argv[1]
while "worker-0" not in json.load(open(pids)):
    time.sleep(0.05)
worker = json.load(open(pids))["worker-0"]
while os.path.exists(f"/proc/{worker}"):
    time.sleep(0.05)
"""


def test_a_dead_worker_is_reported_and_training_goes_on(tmp_path):
    chief = stand_in(CHIEF_AFTER_THE_WORKER, pids_file)
    run = run_with_stand_ins(tmp_path, {"chief": chief, "ps": WAITS,
                                        "worker": stand_in(READY + "print('broke'); exit(1)")})
    out = io.StringIO()
    try:
        with ProgressLine(10, "cluster dnn", out) as line:
            run._watch_training(line)  # returns: the chief finished
    finally:
        run.processes.stop(grace=0)
    log = run.processes.log_file(run.tasks[2])
    assert out.getvalue() == (f"warning: worker-0 failed (exit status 1): ready | broke "
                              f"(log: {log}); training goes on without it\n")


def test_a_dead_parameter_server_ends_the_run(tmp_path):
    dies = stand_in(READY + "import time; time.sleep(1); exit(1)")
    run = run_with_stand_ins(tmp_path, {"chief": WAITS, "worker": WAITS, "ps": dies})
    try:
        with pytest.raises(ClusterError, match=r"^ps-0 failed \(exit status 1\): ready "):
            run._watch_training(ProgressLine(10, "cluster dnn", enabled=False))
    finally:
        run.processes.stop(grace=0)


def test_a_run_past_its_timeout_names_the_option(tmp_path):
    run = run_with_stand_ins(tmp_path, {"chief": WAITS, "worker": WAITS, "ps": WAITS},
                             timeout=0.5)
    try:
        with pytest.raises(ClusterOptionsError) as raised:
            run._watch_training(ProgressLine(10, "cluster dnn", enabled=False))
    finally:
        run.processes.stop(grace=0)
    assert raised.value.option == "timeout"
    assert str(raised.value) == "training did not finish within timeout=0.5 s"
    assert flag_message(raised.value) == "training did not finish within --timeout 0.5 s"


@pytest.mark.parametrize("fields, mirrored, message, flags", [
    ({"num_ps": 0}, False,
     "num_ps=0: must be at least 1, since parameter servers hold the variables the chief and "
     "workers share",
     "--ps 0: must be at least 1, since parameter servers hold the variables the chief and "
     "workers share"),
    ({"num_workers": -1}, False, "num_workers=-1: must be 0 or more",
     "--workers -1: must be 0 or more"),
    ({"num_workers": 2, "num_ps": 0}, True,
     "mirrored=True trains in one process over all local GPUs: use it with num_workers=0 and "
     "num_ps=0 (a parameter-server cluster replicates across processes instead)",
     "--mirrored trains in one process over all local GPUs: use it with --workers 0 and "
     "--ps 0 (a parameter-server cluster replicates across processes instead)"),
    ({"num_workers": 0, "num_ps": 0, "evaluator": True}, True,
     "evaluator=True is a task of a parameter-server cluster; mirrored=True evaluates in its "
     "one process after training",
     "--evaluator is a task of a parameter-server cluster; --mirrored evaluates in its one "
     "process after training"),
])
def test_options_that_cannot_work_name_the_field(fields, mirrored, message, flags, tmp_path):
    options = cluster.ClusterOptions(
        task=TaskOptions("dnn", tmp_path / "m", 5, mirrored=mirrored), **fields)
    with pytest.raises(ClusterOptionsError) as raised:
        cluster.run_cluster(options)
    assert str(raised.value) == message
    assert raised.value.option == next(iter(raised.value.options))
    assert raised.value.option in {**fields, "mirrored": mirrored}
    assert flag_message(raised.value) == flags
    assert not (tmp_path / "m").exists()  # refused before anything was written


@pytest.mark.parametrize("args, message", [
    (["--ps", "0"], "error: --ps 0: must be at least 1, since parameter servers hold the "
                    "variables"),
    (["--mirrored", "--workers", "2"], "error: --mirrored trains in one process over all local "
                                       "GPUs: use it with --workers 0 and --ps 0"),
    (["--workers", "-1"], "must be at least 0"),
    (["--mirrored", "--evaluator"], "error: --evaluator is a task of a parameter-server "
                                    "cluster; --mirrored evaluates"),
    (["--data-dir", "no/such/dir"], "no such directory"),
])
def test_bad_cluster_arguments(args, message, tmp_path, capsys):
    code = main(["cluster", "--model", "dnn", "--steps", "5", "--model-dir",
                 str(tmp_path / "m"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "m").exists()


def test_cluster_refuses_a_model_dir_another_process_trains(tiny_data_dir, tmp_path, capsys):
    model_dir = tmp_path / "m"
    with lock_model_dir(model_dir):  # as `python -m tutorial17 train` holds it
        code = main(["cluster", "--model", "dnn", "--steps", "5", "--model-dir", str(model_dir),
                     "--data-dir", str(tiny_data_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "is training into this model directory" in err
    assert err.count("\n") == 1
    assert not (model_dir / RUNS_DIR).exists()  # no task was started


# --- Real clusters ---

@pytest.mark.slow
def test_cluster_reaches_max_steps_evaluates_and_leaves_no_process(tiny_data_dir, tmp_path):
    model_dir, steps = tmp_path / "model", 60
    proc = subprocess.run(cluster_command(model_dir, tiny_data_dir, steps, "--workers", "1",
                                          "--ps", "1", "--evaluator"),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT + 30)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    global_step = int(re.search(r"Global step (\d+)", proc.stdout).group(1))
    assert global_step >= steps
    assert re.search(r"Classification accuracy: \d+\.\d\d%", proc.stdout)
    assert "INFO:tensorflow" not in proc.stderr + proc.stdout

    # The evaluator wrote its metrics where TensorBoard looks, for the final checkpoint.
    assert glob.glob(str(model_dir / "eval" / "events.out.tfevents.*"))
    metrics = read_eval_metrics(model_dir)
    assert metrics["step"] >= steps and 0.0 <= metrics["accuracy"] <= 1.0
    # The chief's training summaries and the evaluator's metrics make the training curves.
    curves = events.training_curves(model_dir)
    assert curves.loss[0][0] >= 1 and np.all(curves.loss[1] > 0)
    assert curves.accuracy[0][-1] == metrics["step"]
    assert curves.accuracy[1][-1] == pytest.approx(metrics["accuracy"])
    assert checkpoint_step(model_dir) >= steps

    (run_dir,) = run_dirs(model_dir)
    pids = json.loads((run_dir / "pids.json").read_text())
    assert sorted(pids) == ["chief-0", "evaluator-0", "ps-0", "worker-0"]
    assert_all_gone(pids, within=0)  # the launcher waited for every one of them


def workers_steps_in_global_step(chief_status_file):
    """The global step the chief last reported less its own steps (0 before a report)."""
    status = read_status(chief_status_file) or {}
    return (status.get("step") or 0) - status.get("local_steps", 0)


def interrupt_after_killing_the_worker(model_dir, data_dir, stop_signal):
    """Start a cluster, SIGKILL its worker once it trained, let the chief checkpoint on alone,
    then send ``stop_signal`` to the launcher; return (command, stdout, stderr, run_dir, pids)."""
    command = cluster_command(model_dir, data_dir, 100_000, "--workers", "1", "--ps", "1")
    launcher = start_in_foreground(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
    try:
        run_dir = wait_for(lambda: next(iter(run_dirs(model_dir)), None)
                           if (model_dir / RUNS_DIR).is_dir() else None,
                           RUN_TIMEOUT, "the run directory")
        wait_for(lambda: (read_status(run_dir / "worker-0.json") or {})
                 .get("local_steps", 0) >= 10, RUN_TIMEOUT, "the worker's steps")
        # The worker's steps count in the global step the chief sees: they share variables.
        wait_for(lambda: workers_steps_in_global_step(run_dir / "chief-0.json") >= 10,
                 RUN_TIMEOUT, "the worker's steps in the chief's global step")
        pids = json.loads((run_dir / "pids.json").read_text())
        os.kill(pids["worker-0"], signal.SIGKILL)
        # The launcher has seen it die once it has reaped it (the zombie is gone).
        wait_for(lambda: not os.path.exists(f"/proc/{pids['worker-0']}"), 30,
                 "the launcher to notice the dead worker")
        killed_at = max((read_status(run_dir / "chief-0.json") or {}).get("step") or 0,
                        checkpoint_step(model_dir) or 0)
        # The chief trains on alone and writes newer checkpoints.
        wait_for(lambda: (checkpoint_step(model_dir) or 0) > killed_at + 10, RUN_TIMEOUT,
                 "a checkpoint after the worker died")
        assert launcher.poll() is None
        launcher.send_signal(stop_signal)
        # A hang detector, not a speed target: benchmarks/cluster_interrupt.py times this.
        out, err = launcher.communicate(timeout=60)
    finally:
        kill_group(launcher)
    assert launcher.returncode == 130, err
    assert "worker-0 failed (killed by signal 9)" in err
    assert_all_gone(pids)
    # The chief saved the step it had reached before everything stopped, and one line says so.
    saved_step = checkpoint_step(model_dir)
    assert err.strip().splitlines()[-1] == (
        f"interrupted: stopped 3 task(s) after the chief saved; checkpoint at global step "
        f"{saved_step} in {model_dir}; run the same command again to continue from it")
    assert "stopping after this step and saving a checkpoint" in (
        run_dir / "chief-0.log").read_text()
    final_status = read_status(run_dir / "chief-0.json") or {}
    assert final_status.get("saved") or final_status.get("done")
    return command, out, err, run_dir, pids


@pytest.mark.slow
def test_killed_worker_interrupt_and_resume(tiny_data_dir, tmp_path):
    """A worker killed mid-run: the chief trains on and checkpoints; Ctrl-C then stops
    every task; the same command with more steps continues from the checkpoint."""
    model_dir = tmp_path / "model"
    command, *_ = interrupt_after_killing_the_worker(model_dir, tiny_data_dir, signal.SIGINT)
    resumed_from = checkpoint_step(model_dir)
    steps = resumed_from + 20
    command[command.index("--steps") + 1] = str(steps)
    proc = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT + 30)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert int(re.search(r"Global step (\d+)", proc.stdout).group(1)) >= steps
    assert read_eval_metrics(model_dir)["step"] >= steps
    # It continued from the checkpoint rather than starting over.
    run_dir = run_dirs(model_dir)[-1]
    trained = sum((read_status(run_dir / f"{name}.json") or {}).get("local_steps", 0)
                  for name in ("chief-0", "worker-0"))  # the worker may not have joined in
    assert trained < steps - resumed_from + 10
    assert_all_gone(json.loads((run_dir / "pids.json").read_text()))


@pytest.mark.slow
def test_killed_worker_then_sigterm_stops_like_ctrl_c(tiny_data_dir, tmp_path):
    interrupt_after_killing_the_worker(tmp_path / "model", tiny_data_dir, signal.SIGTERM)


@pytest.mark.slow
def test_mirrored_trains_a_few_steps(tiny_data_dir, tmp_path):
    # The canned DNN: its optimizer slots get MirroredStrategy's doubled name scope,
    # which the checkpoint check must accept when the evaluation restores them.
    model_dir = tmp_path / "model"
    proc = subprocess.run(cluster_command(model_dir, tiny_data_dir, 5, "--mirrored"),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT + 30)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert re.search(r"MirroredStrategy: 1 replica\(s\) on .*CPU:0", proc.stdout)
    assert int(re.search(r"Global step (\d+)", proc.stdout).group(1)) == 5
    assert read_eval_metrics(model_dir)["step"] == 5
