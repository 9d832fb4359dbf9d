"""The local TensorFlow cluster (``cluster``, ``cluster-task``) on the tiny slice.

The cluster tests start real processes (parameter server, chief, worker,
evaluator) talking gRPC on loopback; they use few steps and short checkpoint
and evaluation intervals, and always stop what they started.
"""

import glob
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
from tutorial17.cluster import launcher as cluster
from tutorial17.cluster import task as cluster_task
from tutorial17.cluster.dataset_inputs import check_dataset_input_fn, make_dataset_input_fn
from tutorial17.errors import InputError
from tutorial17.inputs import make_train_input_fn

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
    return sorted(Path(model_dir, cluster.RUNS_DIR).iterdir())


def checkpoint_step(model_dir):
    path = tf.train.latest_checkpoint(str(model_dir))
    return int(path.rsplit("-", 1)[1]) if path else None


# --- Building blocks ---

def test_cluster_spec_and_tf_config():
    spec = cluster.make_cluster_spec(2, 1, [5000, 5001, 5002, 5003], host="10.0.0.1")
    assert spec == {"chief": ["10.0.0.1:5000"], "worker": ["10.0.0.1:5001", "10.0.0.1:5002"],
                    "ps": ["10.0.0.1:5003"]}
    tasks = cluster.cluster_tasks(2, 1, evaluator=True)
    assert [t.name for t in tasks] == ["ps-0", "chief-0", "worker-0", "worker-1", "evaluator-0"]
    config = cluster.make_tf_config(spec, tasks[3])
    assert config["task"] == {"type": "worker", "index": 1}
    env = cluster.task_environment(tasks[-1], spec, base={"TF_CONFIG": "stale", "HOME": "/h"})
    assert json.loads(env["TF_CONFIG"])["task"] == {"type": "evaluator", "index": 0}
    assert cluster_task.read_tf_config(env) == json.loads(env["TF_CONFIG"])
    local = cluster.task_environment(cluster.Task("local"), None, base={"TF_CONFIG": "x"})
    assert "TF_CONFIG" not in local


def test_free_ports_differ():
    ports = cluster.pick_free_ports(6)
    assert len(set(ports)) == 6 and all(0 < p < 65536 for p in ports)


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ('{"cluster": {"chief": ["a:1"], "ps": ["b:2"]}}', "'task' object"),
    ('{"cluster": {"chief": ["a:1"], "ps": ["b:2"]}, "task": {"type": "boss"}}', "'boss'"),
    ('{"cluster": {"chief": ["a:1"]}, "task": {"type": "chief"}}', "'ps'"),
    ('{"cluster": {"chief": ["a:1"], "ps": ["b:2"]}, "task": {"type": "worker", "index": 0}}',
     "only 0 worker"),
    ('{"cluster": {"chief": ["a:1"], "ps": ["b:2"], "evaluator": ["c:3"]}, '
     '"task": {"type": "chief"}}', "evaluator"),
])
def test_bad_tf_config_is_one_clear_error(text, message):
    with pytest.raises(cluster_task.ClusterConfigError, match=re.escape(message)):
        cluster_task.read_tf_config({"TF_CONFIG": text})


def test_each_trainer_shuffles_differently(tiny_data):
    seeds = [cluster_task.shuffle_seed("chief", 0)] + [
        cluster_task.shuffle_seed("worker", i) for i in range(3)]
    assert len(set(seeds)) == 4
    first_batches = []
    for seed in seeds[:2]:
        with tf.Graph().as_default():
            features, labels = tf.data.make_one_shot_iterator(make_dataset_input_fn(
                tiny_data.train.images, tiny_data.train.cls, seed=seed)()).get_next()
            with tf.Session() as sess:
                x, y = sess.run([features["x"], labels])
        assert x.shape == (128, 784) and y.shape == (128,)
        first_batches.append(y)
    assert not np.array_equal(*first_batches)


def test_dataset_eval_input_is_one_ordered_pass(tiny_data):
    input_fn = make_dataset_input_fn(tiny_data.test.images, tiny_data.test.cls, shuffle=False)
    with tf.Graph().as_default():
        _, labels = tf.data.make_one_shot_iterator(input_fn()).get_next()
        seen = []
        with tf.Session() as sess, pytest.raises(tf.errors.OutOfRangeError):
            while True:
                seen.append(sess.run(labels))
    assert [len(b) for b in seen] == [128, 128, 44]
    np.testing.assert_array_equal(np.concatenate(seen), tiny_data.test.cls)


def test_mirrored_refuses_numpy_input_fn(tiny_data, tmp_path):
    numpy_fn = make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    with pytest.raises(InputError, match="tf.data.Dataset"):
        check_dataset_input_fn(numpy_fn)
    estimator = cluster_task.make_task_estimator("dnn", tmp_path / "m", mirrored=True)
    with pytest.raises(InputError, match="numpy_input_fn"):
        cluster_task.train_and_evaluate(estimator, numpy_fn, numpy_fn, max_steps=1)
    assert not (tmp_path / "m").exists()  # refused before anything was written


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
TASK_STAND_IN = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                 "print('ready', flush=True); time.sleep(600)")


def test_stop_processes_kills_what_ignores_sigterm():
    procs = [subprocess.Popen([sys.executable, "-c", TASK_STAND_IN], stdout=subprocess.PIPE,
                              text=True, start_new_session=True) for _ in range(2)]
    try:
        for proc in procs:  # SIGTERM is ignored from then on (on a busy machine, seconds later)
            assert proc.stdout.readline() == "ready\n"
        start = time.monotonic()
        cluster.stop_processes(procs, grace=0.5)
        assert time.monotonic() - start < 10
        assert [p.returncode for p in procs] == [-signal.SIGKILL] * 2
    finally:
        for proc in procs:
            kill_group(proc)


@pytest.mark.parametrize("chief", ["saves", "cannot-save"])
def test_ctrl_c_stops_every_task_once_the_chief_saved_or_its_time_is_up(chief, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(cluster, "CHIEF_SAVE_SECS", 60.0 if chief == "saves" else 1.0)
    options = cluster.ClusterOptions(task=cluster_task.TaskOptions(
        model="dnn", model_dir=tmp_path / "m", max_steps=10), evaluator=True)
    run = cluster._ClusterRun(options, log=lambda line: None)
    for task in run.tasks:
        if task == run.chief:
            command = [sys.executable, "-c", CHIEF_STAND_IN,
                       str(run.processes.status_file(task)), chief]
        else:
            command = [sys.executable, "-c", TASK_STAND_IN]
        run.processes.start(task, command, env=dict(os.environ))
    try:
        for log in (run.run_dir / f"{task.name}.log" for task in run.tasks):
            wait_for(lambda log=log: "ready" in log.read_text(), 60, f"{log.name} to say ready")
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


@pytest.mark.parametrize("args, message", [
    (["--ps", "0"], "--ps must be at least 1"),
    (["--mirrored", "--workers", "2"], "--mirrored"),
    (["--workers", "-1"], "must be at least 0"),
    (["--mirrored", "--evaluator"], "--evaluator"),
    (["--data-dir", "no/such/dir"], "no such directory"),
])
def test_bad_cluster_arguments(args, message, tmp_path, capsys):
    code = main(["cluster", "--model", "dnn", "--steps", "5", "--model-dir",
                 str(tmp_path / "m"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "m").exists()


def test_cluster_task_without_ps_in_tf_config(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"chief": ["127.0.0.1:1"]}, "task": {"type": "chief", "index": 0}}))
    assert main(["cluster-task", "--model", "dnn", "--steps", "5",
                 "--model-dir", str(tmp_path)]) == 2
    assert "'ps'" in capsys.readouterr().err


def test_cluster_refuses_a_model_dir_another_process_trains(tiny_data_dir, tmp_path, capsys):
    model_dir = tmp_path / "m"
    with lock_model_dir(model_dir):  # as `python -m tutorial17 train` holds it
        code = main(["cluster", "--model", "dnn", "--steps", "5", "--model-dir", str(model_dir),
                     "--data-dir", str(tiny_data_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "is training into this model directory" in err
    assert err.count("\n") == 1
    assert not (model_dir / cluster.RUNS_DIR).exists()  # no task was started


def test_standalone_chief_takes_the_lock(tiny_data_dir, tmp_path, monkeypatch, capsys):
    # A chief started by hand (no local launcher) guards the model directory itself.
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"chief": ["127.0.0.1:1"], "ps": ["127.0.0.1:2"]},
         "task": {"type": "chief", "index": 0}}))
    monkeypatch.delenv(cluster_task.PARENT_PID_ENV, raising=False)
    with lock_model_dir(tmp_path):
        code = main(["cluster-task", "--model", "dnn", "--steps", "5", "--model-dir",
                     str(tmp_path), "--data-dir", str(tiny_data_dir), "--no-progress"])
    assert code == 2
    assert "is training into this model directory" in capsys.readouterr().err
    assert tf.train.latest_checkpoint(str(tmp_path)) is None


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
    metrics = cluster.read_eval_metrics(model_dir)
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
    status = cluster.read_status(chief_status_file) or {}
    return (status.get("step") or 0) - status.get("local_steps", 0)


def interrupt_after_killing_the_worker(model_dir, data_dir, stop_signal):
    """Start a cluster, SIGKILL its worker once it trained, let the chief checkpoint on alone,
    then send ``stop_signal`` to the launcher; return (command, stdout, stderr, run_dir, pids)."""
    command = cluster_command(model_dir, data_dir, 100_000, "--workers", "1", "--ps", "1")
    launcher = start_in_foreground(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
    try:
        run_dir = wait_for(lambda: next(iter(run_dirs(model_dir)), None)
                           if (model_dir / cluster.RUNS_DIR).is_dir() else None,
                           RUN_TIMEOUT, "the run directory")
        wait_for(lambda: (cluster.read_status(run_dir / "worker-0.json") or {})
                 .get("local_steps", 0) >= 10, RUN_TIMEOUT, "the worker's steps")
        # The worker's steps count in the global step the chief sees: they share variables.
        wait_for(lambda: workers_steps_in_global_step(run_dir / "chief-0.json") >= 10,
                 RUN_TIMEOUT, "the worker's steps in the chief's global step")
        pids = json.loads((run_dir / "pids.json").read_text())
        os.kill(pids["worker-0"], signal.SIGKILL)
        # The launcher has seen it die once it has reaped it (the zombie is gone).
        wait_for(lambda: not os.path.exists(f"/proc/{pids['worker-0']}"), 30,
                 "the launcher to notice the dead worker")
        killed_at = max((cluster.read_status(run_dir / "chief-0.json") or {}).get("step") or 0,
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
    final_status = cluster.read_status(run_dir / "chief-0.json") or {}
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
    assert cluster.read_eval_metrics(model_dir)["step"] >= steps
    # It continued from the checkpoint rather than starting over.
    run_dir = run_dirs(model_dir)[-1]
    trained = sum((cluster.read_status(run_dir / f"{name}.json") or {}).get("local_steps", 0)
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
    assert cluster.read_eval_metrics(model_dir)["step"] == 5
