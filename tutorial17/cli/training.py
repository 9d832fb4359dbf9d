"""The tutorial's subcommands: ``walkthrough``, ``train``, ``evaluate`` and ``predict``."""

import json
from pathlib import Path

from .. import inputs, models, workflow
from ..checkpoints import latest_checkpoint
from ..data import read_data_sets
from ..errors import UsageError
from ..paths import default_model_root
from ..walkthrough import format_accuracy, run_walkthrough
from .options import (
    add_data_dir_option,
    add_model_option,
    add_no_progress_option,
    check_data_dir,
    check_dir,
    check_not_a_file,
    positive_int,
)


def add_parsers(sub):
    """Add ``walkthrough``, ``train``, ``evaluate`` and ``predict`` to the subparsers ``sub``."""
    def add_common(p):
        add_model_option(p)
        p.add_argument("--model-dir", type=Path, required=True,
                       help="model (checkpoint) directory")
        add_data_dir_option(p)

    w = sub.add_parser("walkthrough", help="train, evaluate and predict with both models")
    w.set_defaults(run=cmd_walkthrough)
    w.add_argument("--steps", type=positive_int, default=2000, help="training steps per model")
    w.add_argument("--model-root", type=Path, default=default_model_root(),
                   help="where checkpoints_tutorial17-1/ and -2/ go (default: "
                        "$TUTORIAL17_MODEL_ROOT if set, else runs/ of the repository)")
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


def _check_trained(model_dir):
    check_dir("--model-dir", model_dir)
    if latest_checkpoint(model_dir) is None:
        raise UsageError(f"--model-dir {model_dir}: no checkpoint there; run 'train' first")


def cmd_walkthrough(args):
    """Run ``walkthrough``: steps 1-7 for both models, optionally to JSON and PNG files."""
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
    """Run ``train``: one model, continuing from the checkpoint in its directory."""
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
    """Run ``evaluate``: the test-set accuracy and loss of a trained model."""
    check_data_dir(args.data_dir)
    _check_trained(args.model_dir)
    data = read_data_sets(args.data_dir)
    estimator = models.make_estimator(args.model, model_dir=args.model_dir)
    metrics = workflow.evaluate(estimator, inputs.make_test_input_fn(data.test.images,
                                                                      data.test.cls))
    print(format_accuracy(metrics["accuracy"]))
    print(f"Loss: {metrics['loss']:.4f}; global step {metrics['global_step']}")


def cmd_predict(args):
    """Run ``predict``: the predicted and true classes of the first test images."""
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
