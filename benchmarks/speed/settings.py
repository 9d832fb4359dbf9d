"""Paths and step counts shared by the benchmark's command line, orchestrator and worker."""

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent
REPO = BENCHMARKS.parent
# The entry point; the orchestrator and the worker start their subprocesses through it.
SCRIPT = BENCHMARKS / "training_speed.py"
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"
QUICK_OUTPUT = REPO / "runs" / "benchmarks-quick.md"
MODELS = ("dnn", "cnn")
"""tutorial17.registry.MODEL_NAMES, tested equal (tests/test_benchmarks.py): importing the
package here would load TensorFlow into the orchestrator, which only starts the workers."""

# Full run: rounds of interleaved segments, then one fresh run per (network, variant).
ROUNDS = 5
SEGMENT_STEPS = {"dnn": 400, "cnn": 60}
WARMUP_STEPS = {"dnn": 40, "cnn": 15}
RUN_STEPS = 2000
# Fresh runs: (c) always RUN_STEPS; the CNN's slow (b) and (d) only this many.
RUN_STEPS_CNN_OTHERS = 200
FRESH_RUN_VARIANTS = ("b", "c", "d")
RUN_WARMUP_STEPS = 50
EVAL_REPEATS = 3
PREDICT_CALLS = {"estimator_calls": 20, "predictor_calls": 200}  # predict_latency's defaults
QUICK = {"rounds": 2, "segment_steps": {"dnn": 120, "cnn": 30}, "warmup": {"dnn": 20, "cnn": 10},
         "run_steps": {"dnn": 150, "cnn": 40}, "run_steps_others": {"dnn": 150, "cnn": 40},
         "run_warmup": 10, "fresh_variants": FRESH_RUN_VARIANTS, "eval_repeats": 1,
         "predict_calls": {"estimator_calls": 2, "predictor_calls": 20}}
# --smoke: checks that every code path runs (a test uses it), on any data, in a minute.
SMOKE = {"rounds": 1, "segment_steps": {"dnn": 4, "cnn": 3}, "warmup": {"dnn": 2, "cnn": 2},
         "run_steps": {"dnn": 6, "cnn": 6}, "run_steps_others": {"dnn": 6, "cnn": 6},
         "run_warmup": 2, "fresh_variants": ("c",), "eval_repeats": 1,
         "predict_calls": {"estimator_calls": 1, "predictor_calls": 2}}
FULL = {"rounds": ROUNDS, "segment_steps": SEGMENT_STEPS, "warmup": WARMUP_STEPS,
        "run_steps": {"dnn": RUN_STEPS, "cnn": RUN_STEPS},
        "run_steps_others": {"dnn": RUN_STEPS, "cnn": RUN_STEPS_CNN_OTHERS},
        "run_warmup": RUN_WARMUP_STEPS, "fresh_variants": FRESH_RUN_VARIANTS,
        "eval_repeats": EVAL_REPEATS, "predict_calls": PREDICT_CALLS}
LOAD_SAMPLE_SECONDS = 5
GPU_CACHE_MAXSIZE = str(4 * 1024 ** 3)  # bytes; the driver's default keeps far less
