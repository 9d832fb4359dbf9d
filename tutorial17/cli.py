"""Command line: ``python -m tutorial17 {walkthrough,train,...,tensorboard,cluster,...}``.

Bad arguments and missing files give one line on stderr and exit status 2.
Ctrl-C while training saves a checkpoint of the current step, says so in one
line and exits with status 130 (128 + SIGINT, the shell's convention).
The options and checks every subcommand shares live here too; the ``cluster``
and ``cluster-task`` subcommands are in :mod:`tutorial17.cluster.cli`.
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

from .errors import Tutorial17Error, UsageError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


# --- Argument types and checks, each failing in one line. ---

def whole_number(minimum):
    """Return an argparse type: an int of at least ``minimum`` ("must be positive" for 1)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            need = "must be positive" if minimum == 1 else f"must be at least {minimum}"
            raise argparse.ArgumentTypeError(f"{value} {need}")
        return value
    return parse


positive_int = whole_number(1)


MAX_PORT = 65535


def port_number(text):
    """Parse a TCP port, 0 to 65535 (an argparse type; 0 asks for any free port)."""
    value = whole_number(0)(text)
    if value > MAX_PORT:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-{MAX_PORT})")
    return value


def positive_number(text):
    """Parse a float greater than 0 (an argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value:g} must be positive")
    return value


def check_dir(option, path):
    """Raise a UsageError unless ``path`` is an existing directory."""
    if not path.exists():
        raise UsageError(f"{option} {path}: no such directory")
    if not path.is_dir():
        raise UsageError(f"{option} {path}: not a directory")


def check_data_dir(path):
    """Check that ``--data-dir``, when given, is an existing directory."""
    if path is not None:
        check_dir("--data-dir", path)


def check_not_a_file(option, path):
    """Refuse an output directory where a file already is (it may be created otherwise)."""
    if path is not None and path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path}: exists and is not a directory")


# --- Options several subcommands share, declared once. ---

def add_model_option(parser):
    """Add ``--model {dnn,cnn}`` (required) to ``parser``."""
    parser.add_argument("--model", choices=("dnn", "cnn"), required=True,
                        help="dnn: canned DNNClassifier; cnn: custom CNN model_fn")


def add_data_dir_option(parser):
    """Add ``--data-dir DIR`` to ``parser``."""
    parser.add_argument("--data-dir", type=Path, help="directory of the four MNIST .gz files")


def add_no_progress_option(parser):
    """Add ``--no-progress`` to ``parser``."""
    parser.add_argument("--no-progress", action="store_true", help="no progress line")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, not a usage block."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser():
    """Return the parser of every subcommand; each sets ``run``, the function to call."""
    from . import board
    from .cluster import cli as cluster_cli  # it uses the helpers above
    from .notebook import RUNS_DIR

    parser = _Parser(prog="python -m tutorial17",
                     description="TensorFlow Tutorial #17 (Estimator API) on MNIST.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add_common(p):
        add_model_option(p)
        p.add_argument("--model-dir", type=Path, required=True,
                       help="model (checkpoint) directory")
        add_data_dir_option(p)

    w = sub.add_parser("walkthrough", help="train, evaluate and predict with both models")
    w.set_defaults(run=cmd_walkthrough)
    w.add_argument("--steps", type=positive_int, default=2000, help="training steps per model")
    w.add_argument("--model-root", type=Path, default=Path("."),
                   help="where checkpoints_tutorial17-1/ and -2/ go (default: .)")
    add_data_dir_option(w)
    w.add_argument("--json", type=Path, help="write the results to this JSON file")
    w.add_argument("--plots", type=Path, help="save the 3x3 figures as PNG in this directory")
    add_no_progress_option(w)

    t = sub.add_parser("train", help="train one model, continuing from its checkpoint")
    t.set_defaults(run=cmd_train)
    add_common(t)
    t.add_argument("--steps", type=positive_int, required=True, help="steps to train")
    add_no_progress_option(t)
    t.add_argument("--save-every", type=positive_int, metavar="STEPS",
                   help="also save a checkpoint every STEPS steps (default: every 10 minutes; "
                        "one is always saved at the end and on Ctrl-C)")

    e = sub.add_parser("evaluate", help="test-set accuracy of a trained model")
    e.set_defaults(run=cmd_evaluate)
    add_common(e)

    p = sub.add_parser("predict", help="predicted classes of the first test images")
    p.set_defaults(run=cmd_predict)
    add_common(p)
    p.add_argument("--count", type=positive_int, default=9, help="how many test images")

    i = sub.add_parser("info", help="versions, devices and the data directory in use")
    i.set_defaults(run=cmd_info)

    b = sub.add_parser("tensorboard", help="TensorBoard on every model directory under a root")
    b.set_defaults(run=cmd_tensorboard)
    b.add_argument("--model-root", type=Path, default=RUNS_DIR,
                   help="directory whose model directories TensorBoard shows, each as a run "
                        "(default: runs/ of the repository)")
    b.add_argument("--host", default=board.DEFAULT_HOST,
                   help=f"address to listen on (default: {board.DEFAULT_HOST}, this machine only)")
    b.add_argument("--port", type=port_number, default=board.DEFAULT_PORT,
                   help=f"port (default: {board.DEFAULT_PORT}; 0: any free port)")
    cluster_cli.add_parsers(sub)
    return parser


def _check_trained(model_dir):
    from .checkpoints import latest_checkpoint

    check_dir("--model-dir", model_dir)
    if latest_checkpoint(model_dir) is None:
        raise UsageError(f"--model-dir {model_dir}: no checkpoint there; run 'train' first")


def cmd_walkthrough(args):
    from .walkthrough import run_walkthrough

    check_data_dir(args.data_dir)
    if args.json is not None and not args.json.parent.is_dir():
        raise UsageError(f"--json {args.json}: directory {args.json.parent} does not exist")
    if args.json is not None and args.json.is_dir():
        raise UsageError(f"--json {args.json}: is a directory; give a file name")
    check_not_a_file("--model-root", args.model_root)
    check_not_a_file("--plots", args.plots)
    results = run_walkthrough(steps=args.steps, model_root=args.model_root,
                              data_dir=args.data_dir, plots_dir=args.plots,
                              progress=not args.no_progress)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"Results written to {args.json}")


def cmd_train(args):
    from . import inputs, models, workflow
    from .data import read_data_sets

    check_data_dir(args.data_dir)
    check_not_a_file("--model-dir", args.model_dir)
    data = read_data_sets(args.data_dir)
    config = None
    if args.save_every is not None:
        config = models.make_run_config(args.model_dir, save_checkpoints_steps=args.save_every)
    estimator = models.make_estimator(args.model, model_dir=args.model_dir, config=config)
    train_fn = inputs.make_fast_train_input_fn(data.train.images, data.train.cls)
    step = workflow.train(estimator, train_fn, steps=args.steps,
                          progress=not args.no_progress, desc=args.model)
    print(f"Trained {args.steps} steps; global step {step}; checkpoint in {args.model_dir}")


def cmd_evaluate(args):
    from . import inputs, models, workflow
    from .data import read_data_sets
    from .walkthrough import format_accuracy

    check_data_dir(args.data_dir)
    _check_trained(args.model_dir)
    data = read_data_sets(args.data_dir)
    estimator = models.make_estimator(args.model, model_dir=args.model_dir)
    metrics = workflow.evaluate(estimator, inputs.make_test_input_fn(data.test.images,
                                                                      data.test.cls))
    print(format_accuracy(metrics["accuracy"]))
    print(f"Loss: {metrics['loss']:.4f}; global step {metrics['global_step']}")


def cmd_predict(args):
    from . import inputs, models, workflow
    from .data import read_data_sets

    check_data_dir(args.data_dir)
    _check_trained(args.model_dir)
    data = read_data_sets(args.data_dir)
    if args.count > data.test.num_examples:
        raise UsageError(f"--count {args.count}: the test set has only "
                         f"{data.test.num_examples} images")
    images = data.test.images[:args.count]
    estimator = models.make_estimator(args.model, model_dir=args.model_dir)
    predicted = workflow.predict_classes(estimator, inputs.make_predict_input_fn(images))
    print(f"Predicted classes: {' '.join(str(c) for c in predicted)}")
    print(f"True classes:      {' '.join(str(c) for c in data.test.cls[:args.count])}")


def cmd_tensorboard(args):
    from .board import run_tensorboard

    run_tensorboard(args.model_root, host=args.host, port=args.port)


def cmd_info(args):
    import numpy as np

    from ._runtime import report  # TF 1.15, 2.15 and 2.21 report builds and devices differently
    from .data import default_data_dir

    cuda, cudnn = report.cuda_versions()
    devices = report.physical_devices()
    print(f"Python:      {platform.python_version()} ({sys.executable})")
    bridge = " (tf.estimator through tutorial17's bridge)" if report.USES_BRIDGE else ""
    print(f"TensorFlow:  {report.TF_VERSION}{bridge}")
    print(f"numpy:       {np.__version__}")
    print(f"Devices:     {', '.join(devices) or 'none'}")
    print(f"Built with CUDA: {cuda}, cuDNN: {cudnn}")
    capabilities = report.compute_capabilities()
    if capabilities:  # sm_XY runs natively on compute capability X.Y; compute_XY is PTX
        print(f"GPU code for: {capabilities}")
    print(f"Data dir:    {default_data_dir()}")


def run():
    """Run the command line as the program (``python -m tutorial17``, ``tutorial17``) and exit.

    After Ctrl-C it exits at once once its output is flushed: by then what had to be
    saved or stopped has been, and TensorFlow's teardown at exit can take seconds
    more on a busy machine.
    """
    status = main()
    if status == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def main(argv=None):
    """Run the command line; return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except Tutorial17Error as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as e:  # TrainingInterrupted says where its checkpoint is
        print(f"interrupted: {e}" if str(e) else "interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
