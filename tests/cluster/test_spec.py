"""The layout of a local cluster and what each task is told (``tutorial17.cluster.spec``)."""

import json
import os
import sys
from pathlib import Path

from tutorial17.cluster import spec
from tutorial17.cluster.spec import Task
from tutorial17.cluster.task import PARENT_PID_ENV, TaskOptions, read_tf_config
from tutorial17.errors import ClusterConfigError

import pytest


def test_cluster_spec_and_tf_config():
    cluster = spec.make_cluster_spec(2, 1, [5000, 5001, 5002, 5003], host="10.0.0.1")
    assert cluster == {"chief": ["10.0.0.1:5000"],
                       "worker": ["10.0.0.1:5001", "10.0.0.1:5002"], "ps": ["10.0.0.1:5003"]}
    tasks = spec.cluster_tasks(2, 1, evaluator=True)
    assert [t.name for t in tasks] == ["ps-0", "chief-0", "worker-0", "worker-1", "evaluator-0"]
    config = spec.make_tf_config(cluster, tasks[3])
    assert config["task"] == {"type": "worker", "index": 1}
    env = spec.task_environment(tasks[-1], cluster, base={"TF_CONFIG": "stale", "HOME": "/h"})
    assert json.loads(env["TF_CONFIG"])["task"] == {"type": "evaluator", "index": 0}
    assert read_tf_config(env) == json.loads(env["TF_CONFIG"])  # what the task reads back
    local = spec.task_environment(Task("local"), None, base={"TF_CONFIG": "x"})
    assert "TF_CONFIG" not in local


def test_a_cluster_spec_needs_one_port_per_task():
    with pytest.raises(ClusterConfigError, match="needs 4 ports, got 3"):
        spec.make_cluster_spec(2, 1, [5000, 5001, 5002])


def test_free_ports_differ():
    ports = spec.pick_free_ports(6)
    assert len(set(ports)) == 6 and all(0 < p < 65536 for p in ports)


def test_loopback_layout():
    layout = spec.loopback_layout(2, 1, evaluator=True, base_port=5000)
    assert [t.name for t in layout.tasks] == ["ps-0", "chief-0", "worker-0", "worker-1",
                                              "evaluator-0"]
    assert layout.cluster == {"chief": ["127.0.0.1:5000"],
                              "worker": ["127.0.0.1:5001", "127.0.0.1:5002"],
                              "ps": ["127.0.0.1:5003"]}
    assert [t.name for t in layout.trainers] == ["chief-0", "worker-0", "worker-1"]
    assert layout.chief == Task("chief")
    assert layout.description == ("chief + 2 worker(s) + 1 ps + evaluator on 127.0.0.1 "
                                  "(ports 5000, 5001, 5002, 5003)")
    free = spec.loopback_layout(0, 2)
    assert [t.name for t in free.tasks] == ["ps-0", "ps-1", "chief-0"]
    assert "worker" not in free.cluster and len(free.cluster["ps"]) == 2


def test_one_process_layout():
    layout = spec.one_process_layout()
    assert layout.tasks == (Task("local"),) and layout.trainers == [Task("local")]
    assert layout.chief == Task("local") and layout.cluster is None


def test_task_command_and_environment():
    options = TaskOptions(model="cnn", model_dir=Path("m"), max_steps=7, data_dir=Path("d"),
                          mirrored=True, checkpoint_secs=3, eval_throttle_secs=2)
    command = spec.task_command(Task("local"), options, status_file=Path("local-0.json"))
    assert command[:4] == [sys.executable, "-m", "tutorial17", "cluster-task"]
    flags = " ".join(command[4:])
    for expected in ("--model cnn", "--model-dir m", "--steps 7", "--checkpoint-secs 3",
                     "--eval-throttle-secs 2", "--no-progress", "--data-dir d", "--mirrored",
                     "--status-file local-0.json"):
        assert expected in flags
    plain = spec.task_command(Task("chief"), TaskOptions("dnn", Path("m"), 5))
    assert "--mirrored" not in plain and "--data-dir" not in plain

    base = {"TF_FORCE_GPU_ALLOW_GROWTH": "false", "CUDA_VISIBLE_DEVICES": "0"}
    ps = spec.task_environment(Task("ps"), {"chief": ["a:1"], "ps": ["b:2"]}, base=base)
    assert ps["CUDA_VISIBLE_DEVICES"] == ""  # a parameter server needs no GPU
    assert ps["TF_FORCE_GPU_ALLOW_GROWTH"] == "false"  # the user's choice stands
    assert ps[PARENT_PID_ENV] == str(os.getpid())
    chief = spec.task_environment(Task("chief"), {"chief": ["a:1"], "ps": ["b:2"]}, base={})
    assert chief["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" and "CUDA_VISIBLE_DEVICES" not in chief
