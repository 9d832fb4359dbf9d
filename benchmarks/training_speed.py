"""Training speed of the walkthrough's two networks against the compute limit and Keras.

    make benchmarks MEASURE_LOCK=<file>                # the next line under flock; ~10 min
    python benchmarks/training_speed.py                # writes docs/benchmarks.md
    python benchmarks/training_speed.py --quick        # a short check run, written to runs/
    python benchmarks/training_speed.py --device gpu   # the same on a machine with a GPU

For each network (DNN, CNN) it measures, at batch 128:

* steady training speed of (a) the bare graph loop on pre-staged batches, (b) the
  Estimator with ``numpy_input_fn``, (c) the Estimator with the package's recommended
  ``make_fast_train_input_fn`` and (d) the same network in Keras ``model.fit``, plus two
  profile variants that split the gap between (a) and (c) into its causes. All run in one
  process (Keras in a companion process), interleaved in rounds (a, b, c, d, ...; then
  b, c, d, ..., a; ...), each segment's first steps dropped as warm-up; the figures are
  medians over the rounds and each ratio is the median of the per-round ratios to (a),
  so slow drifts in the machine's load hit numerator and denominator alike;
* one run of (b), (c) and (d) each in a fresh process, as a user would run it (2,000 steps;
  the CNN's (b) and (d) fewer, to keep the run short): time including start-up, test
  accuracy, evaluation time on the 10,000 test images, peak resident memory, model
  directory size, and for (c) the prediction latency of ``benchmarks/predict_latency.py``.

The report goes to ``--output`` (Markdown). The last line printed is
``ratio_vs_limit dnn=<x> cnn=<y>``: the steps/s ratio of (c) to (a).

This file is the command line; the rest is in ``benchmarks/speed/``: ``worker.py`` (the
timed subprocesses, which this script starts again with ``--worker`` and ``--keras-server``),
``orchestrator.py`` (starts them, watches the load), ``report.py`` and ``report_template.md``
(the Markdown page), ``settings.py`` (step counts and paths).
"""

import argparse
import datetime
import json
import shlex
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: import the benchmarks as a package, from the root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.speed import orchestrator, report  # noqa: E402
from benchmarks.speed.settings import DEFAULT_OUTPUT, MODELS, QUICK_OUTPUT, REPO, ROUNDS  # noqa: E402


def parse_args(argv=None):
    """Parse the command line; --worker and --keras-server are for its own subprocesses."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", type=Path, help=f"Markdown report (default "
                   f"{DEFAULT_OUTPUT.relative_to(REPO)}; with --quick "
                   f"{QUICK_OUTPUT.relative_to(REPO)})")
    p.add_argument("--json", type=Path, help="also write the raw measurements here")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                   help="cpu hides any GPU; gpu requires one (default cpu)")
    p.add_argument("--models", default="dnn,cnn", help="comma-separated: dnn, cnn")
    p.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds per network")
    p.add_argument("--data-dir", type=Path, help="MNIST directory (default: the package's)")
    p.add_argument("--quick", action="store_true",
                   help="a short check run: few steps, 2 rounds, report under runs/")
    p.add_argument("--smoke", action="store_true",
                   help="a few steps of everything, to check the script works (tests use it "
                   "with a tiny --data-dir); report under runs/")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--keras-server", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in args.models if m not in MODELS]
    if bad or not args.models:
        p.error(f"--models: expected dnn and/or cnn, got {args.models}")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.output is None:
        args.output = QUICK_OUTPUT if (args.quick or args.smoke) else DEFAULT_OUTPUT
    return args


def main(argv=None):
    """Run the benchmark (or, in a subprocess, one worker); write the report."""
    args = parse_args(argv)
    if args.keras_server or args.worker:
        from benchmarks.speed import worker  # only the worker processes load TensorFlow

        if args.keras_server:
            worker.keras_server(json.loads(args.keras_server))
        else:
            spec = json.loads(args.worker)
            Path(spec["result_file"]).write_text(json.dumps(worker.run(spec)))
        return 0
    command = "python benchmarks/training_speed.py" + "".join(
        f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:]))
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = orchestrator.machine_info()
    results = orchestrator.measure(args)
    summary = report.summarise(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report.render(results, summary, machine, command, date),
                           encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "date": date, "command": command,
                                         "results": results, "summary": summary}, indent=1))
    print(f"Report written to {args.output}")
    print(report.ratio_line(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
