"""The progress line of a cluster run (``tutorial17.cluster.progress_line``)."""

import io
import math

from tutorial17.cluster.progress_line import ProgressLine

import pytest


def report(step, at, **extra):
    """A status record as the chief writes it."""
    return {"step": step, "loss": 0.5, "local_steps": step, "time": at, **extra}


def test_steps_per_sec_come_from_the_reports_of_training():
    out = io.StringIO()
    line = ProgressLine(100, "cluster dnn", out, enabled=False)
    line.update(None)  # no status file yet
    line.update({"step": None, "time": 99.0})
    assert math.isnan(line.steps_per_sec())
    line.update(report(10, 100.0))
    assert math.isnan(line.steps_per_sec())  # one report: too short to time
    line.update(report(10, 100.5))  # the same step again counts once
    line.update(report(30, 102.0))
    line.update(report(31, 110.0, saved=True))  # after saving: not a training step
    line.update(report(31, 111.0, done=True))
    assert line.samples == [(100.0, 10), (102.0, 30)]
    assert line.steps_per_sec() == pytest.approx(10.0)
    line.close()
    assert out.getvalue() == "" and line.bar is None  # disabled: nothing drawn


def test_the_line_shows_the_global_step_and_the_note():
    out = io.StringIO()  # not a terminal: plain lines, no carriage returns
    with ProgressLine(100, "cluster cnn", out) as line:
        line.write("before the first report")
        line.update(report(50, 1.0), note=" trainers=2/2")
        line.write("warning: worker-0 failed")
        line.update(report(120, 2.0), note=" trainers=1/2")  # trainers overshoot max_steps
    line.close()  # once more: nothing happens
    text = out.getvalue()
    assert text.startswith("before the first report\n")
    assert "warning: worker-0 failed\n" in text
    last = text.strip().splitlines()[-1]
    assert last.startswith("cluster cnn: 100% 100/100")
    assert "step=120 loss=0.5 trainers=1/2" in last
    assert "\r" not in text
