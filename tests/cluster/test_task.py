"""One task of a cluster, the role ``TF_CONFIG`` names (``tutorial17.cluster.task``)."""

import json
import re

from tutorial17._runtime.locking import lock_model_dir
from tutorial17.cli import main
from tutorial17.cli.options import flag_message
from tutorial17.cluster import task as cluster_task
from tutorial17.cluster.task import TaskOptions
from tutorial17.errors import ClusterConfigError, ClusterError, ClusterOptionsError, InputError
from tutorial17.inputs import make_train_input_fn

import pytest
import tensorflow.compat.v1 as tf


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
    with pytest.raises(ClusterConfigError, match=re.escape(message)):
        cluster_task.read_tf_config({"TF_CONFIG": text})


def test_each_trainer_has_its_own_shuffle_seed():
    seeds = [cluster_task.shuffle_seed("chief", 0)] + [
        cluster_task.shuffle_seed("worker", i) for i in range(3)]
    assert len(set(seeds)) == 4


def test_mirrored_refuses_numpy_input_fn(tiny_data, tmp_path):
    numpy_fn = make_train_input_fn(tiny_data.train.images, tiny_data.train.cls)
    estimator = cluster_task.make_task_estimator("dnn", tmp_path / "m", mirrored=True)
    with pytest.raises(InputError, match="numpy_input_fn"):
        cluster_task.train_and_evaluate(estimator, numpy_fn, numpy_fn, max_steps=1)
    assert not (tmp_path / "m").exists()  # refused before anything was written


def test_mirrored_with_a_tf_config_names_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"chief": ["127.0.0.1:1"], "ps": ["127.0.0.1:2"]},
         "task": {"type": "chief", "index": 0}}))
    with pytest.raises(ClusterOptionsError) as raised:
        cluster_task.run_task(TaskOptions("dnn", tmp_path / "m", 5, mirrored=True))
    assert raised.value.option == "mirrored"
    assert str(raised.value).startswith("mirrored=True trains in one process")
    assert flag_message(raised.value).startswith("--mirrored trains")
    assert not (tmp_path / "m").exists()


def test_a_worker_gives_up_waiting_for_the_chief(tmp_path):
    with pytest.raises(ClusterError, match="no checkpoint from the chief in .* after 0.2 s"):
        cluster_task.wait_for_first_checkpoint(tmp_path, timeout=0.2, poll=0.05)


def test_a_parameter_server_reads_no_input():
    train_fn, eval_fn = cluster_task._input_fns("ps", 0, data_dir=None)
    with pytest.raises(ClusterConfigError, match="parameter server"):
        train_fn()


def test_cluster_task_without_ps_in_tf_config(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"chief": ["127.0.0.1:1"]}, "task": {"type": "chief", "index": 0}}))
    assert main(["cluster-task", "--model", "dnn", "--steps", "5",
                 "--model-dir", str(tmp_path)]) == 2
    assert "'ps'" in capsys.readouterr().err


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
