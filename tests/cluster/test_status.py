"""What a cluster's tasks leave behind, read back (``tutorial17.cluster.status``)."""

import time

from tutorial17.cluster import status
from tutorial17.errors import ClusterError

import pytest
import tensorflow.compat.v1 as tf


def test_status_file_round_trip(tmp_path):
    path = tmp_path / "chief-0.json"
    assert status.read_status(path) is None  # nothing reported yet
    status.write_status(path, step=5, loss=0.5, local_steps=3)
    status.write_status(path, step=9, loss=0.25, local_steps=7)
    record = status.read_status(path)
    assert {k: record[k] for k in ("step", "loss", "local_steps")} == {
        "step": 9, "loss": 0.25, "local_steps": 7}
    assert abs(record["time"] - time.time()) < 60
    assert [p.name for p in tmp_path.iterdir()] == ["chief-0.json"]  # no temporary file left


def test_a_half_written_status_reads_as_none(tmp_path):
    path = tmp_path / "worker-0.json"
    path.write_text('{"step": 1')
    assert status.read_status(path) is None


def write_evaluations(eval_dir, evaluations):
    """Write ``{step: {tag: value}}`` into events files in ``eval_dir``, as an evaluator does."""
    with tf.Graph().as_default():
        writer = tf.summary.FileWriter(str(eval_dir))
        for step, values in evaluations.items():
            writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag=tag, simple_value=value)
                                                 for tag, value in values.items()]), step)
        writer.close()


def test_eval_metrics_are_the_last_complete_evaluation(tmp_path):
    assert status.read_eval_metrics(tmp_path) is None
    write_evaluations(tmp_path / "eval", {10: {"accuracy": 0.5, "loss": 2.0},
                                          20: {"accuracy": 0.75, "loss": 1.0},
                                          30: {"accuracy": 0.875}})  # no loss: incomplete
    assert status.read_eval_metrics(tmp_path) == {"step": 20, "accuracy": 0.75, "loss": 1.0}


def test_final_results(tmp_path):
    chief_status = tmp_path / "chief-0.json"
    with pytest.raises(ClusterError, match="no evaluation results in .*eval"):
        status.read_final_results(tmp_path, chief_status)
    write_evaluations(tmp_path / "eval", {20: {"accuracy": 0.75, "loss": 1.0}})
    # Without the chief's report the evaluated step stands in for the global step.
    assert status.read_final_results(tmp_path, chief_status) == (
        20, {"step": 20, "accuracy": 0.75, "loss": 1.0})
    status.write_status(chief_status, step=21, local_steps=12, done=True)
    assert status.read_final_results(tmp_path, chief_status)[0] == 21


def test_log_tail_and_first_line_starting(tmp_path):
    log = tmp_path / "local-0.log"
    assert status.log_tail(log) == ""
    assert status.first_line_starting(log, "MirroredStrategy:") == "MirroredStrategy: (not logged)"
    log.write_text("start\nMirroredStrategy: 1 replica(s)\n  two  \nthree\nfour\n\n")
    assert status.log_tail(log) == "two | three | four"
    assert status.first_line_starting(log, "MirroredStrategy:") == "MirroredStrategy: 1 replica(s)"
