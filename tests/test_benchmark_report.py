"""The training-speed report (benchmarks/speed/report.py) fills its Markdown template completely.

No TensorFlow here: made-up results of a two-round run go through ``summarise`` and ``render``.
"""

import re
from pathlib import Path

import pytest

from benchmarks.speed import report

REPO = Path(__file__).resolve().parent.parent

SETTINGS = {"rounds": 2, "segment_steps": {"dnn": 400, "cnn": 60},
            "warmup": {"dnn": 40, "cnn": 15}, "run_warmup": 50, "eval_repeats": 3}
MACHINE = {"cpu": "Some CPU", "cores": 2, "memory": "8 GiB", "os": "Linux 6",
           "python": "3.11.7", "versions": {"tensorflow": "2.15.1", "numpy": "1.26.4"}}
RATES = {"a": 300.0, "b": 220.0, "c": 240.0, "d": 180.0, "a_input": 295.0, "c_lean": 255.0}


def fresh_run(model, staged):
    run = {"steps": 2000, "test_images": 10000, "total_s": 12.5, "steady": {"steps_per_s": 230.0},
           "accuracy": 0.97, "eval_s": 1.5, "peak_rss_mb": 900.0, "rss_after_load_mb": 600.0,
           "model_dir_mb": 10.4, "largest_files": [("model.ckpt-2000.data-00000-of-00001", 4.5)],
           "eval": {"numpy": {"seconds": 1.5, "accuracy": 0.97}},
           "predict": {"estimator_median_s": 0.4, "checked_estimator_median_s": 0.41,
                       "predictor_median_s": 0.002, "ratio": 200.0, "predictor_setup_s": 0.3,
                       "estimator_calls": 20, "predictor_calls": 200},
           "devices": ["CPU"]}
    if staged:
        run["eval"]["staged"] = {"seconds": 1.1, "accuracy": 0.97}
    return run


def results(load, staged=True, models=("dnn", "cnn")):
    rounds = [{v: {"steps_per_s": rate * f, "cpu_ms_per_step": 2000.0 / rate}
               for v, rate in RATES.items()} for f in (1.0, 0.9)]
    return {"speed": {m: {"rounds": rounds} for m in models},
            "runs": {f"{m}-c": fresh_run(m, staged) for m in models},
            "settings": SETTINGS, "load": load, "seconds": 360.0,
            "uptime_start": [1.5, 1.0, 0.5], "uptime_end": [2.0, 1.5, 1.0]}


def render(res):
    return report.render(res, report.summarise(res), MACHINE, "python benchmarks/x.py",
                         "2026-01-01 00:00 UTC")


def test_template_parts_are_the_ones_render_fills_in_in_order():
    assert list(report.template_parts()) == ["head", "shared", "measurements", "staged", "tail"]


@pytest.mark.parametrize("models", [("dnn", "cnn"), ("dnn",)])
def test_every_table_row_has_as_many_cells_as_its_header(models):
    text = render(results([1.0, 1.5], models=models))
    assert not re.search(r"\{\w*[:}]", text), "a placeholder was left unfilled"
    tables = re.findall(r"(?:^\|.*\|\n)+", text, re.M)
    assert len(tables) == 5  # steps/s, CPU time, profile, fresh runs, prediction latency
    for table in tables:
        header, rule, *rows = table.splitlines()
        assert rows, header
        for row in [rule] + rows:
            assert row.count("|") == header.count("|"), row


def test_the_optional_paragraphs_appear_only_when_they_apply():
    quiet = render(results([1.0, 1.5, 2.0], staged=False))
    busy = render(results([3.0, 3.5, 4.0]))  # median load above 2 cores + 0.75
    assert "The machine was shared" not in quiet and "The machine was shared" in busy
    assert "make_fast_test_input_fn` (staged" not in quiet
    assert "- DNN: 1.10 s (accuracy 97.00%) against 1.50 s with `numpy_input_fn`." in busy
    for text in (quiet, busy):
        assert "\n\n\n" not in text
        assert text.endswith("```\nratio_vs_limit dnn=0.80 cnn=0.80\n```\n")
