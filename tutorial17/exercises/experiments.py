"""Experiments of the exercises: accuracy as training goes on, and the batch size.

Accuracy against training steps answers exercises 1 and 2, the comparison of
batch sizes exercise 4.

Both continue from whatever a model directory already holds, so running them
again only evaluates what is on disk; nothing is ever deleted.
"""

import time
from pathlib import Path

import numpy as np
import tensorflow.compat.v1 as tf

from .. import inputs, workflow
from ..checkpoints import checkpoint_step
from ..errors import InputError

ACCURACY_STEPS = (0, 1000, 2000, 10000)
"""Global steps at which exercise 2 measures test accuracy (0 = before training)."""

BATCH_SIZES = (32, 128, 512)
BATCH_MODEL_DIR = "batch-{batch_size}"
"""Name of each batch size's model directory under the experiment's root."""

KEEP_ALL_CHECKPOINTS = 0
"""``RunConfig(keep_checkpoint_max=0)`` keeps every checkpoint, so a later run can still
evaluate the early steps (by default only the five newest are kept)."""


class StepTimer(tf.train.SessionRunHook):
    """A hook that measures training speed in steps per second.

    The clock starts after the first step (which includes building and warming up
    the graph) and stops after the last one, so start-up and checkpoint saving at
    the end do not count.
    """

    def __init__(self):
        self.steps = 0
        self._first = self._last = None

    def after_run(self, run_context, run_values):
        now = time.perf_counter()
        if self._first is None:
            self._first = now
        self._last = now
        self.steps += 1

    @property
    def steps_per_second(self):
        """Steps per second over steps 2..N, or NaN when fewer than two steps ran."""
        if self.steps < 2 or self._last <= self._first:
            return float("nan")
        return (self.steps - 1) / (self._last - self._first)


def global_step(estimator):
    """Return the global step of the newest checkpoint in the estimator's model directory (or 0)."""
    return checkpoint_step(estimator.model_dir) or 0


def checkpoint_path(model_dir, step):
    """Return the checkpoint prefix ``<model_dir>/model.ckpt-<step>`` if on disk, else None."""
    prefix = Path(model_dir) / f"model.ckpt-{int(step)}"
    return str(prefix) if Path(str(prefix) + ".index").is_file() else None


def train_to(estimator, train_input_fn, target_step, progress=True, desc=None):
    """Train until the global step reaches ``target_step``; return ``(steps trained, steps/s)``.

    Nothing is trained (and steps/s is NaN) when the model directory is already there.
    """
    start = global_step(estimator)
    if start >= target_step:
        return 0, float("nan")
    timer = StepTimer()
    workflow.train(estimator, train_input_fn, steps=target_step - start, progress=progress,
                   desc=desc, hooks=[timer])
    return timer.steps, timer.steps_per_second


def evaluate_at_step(estimator, test_input_fn, step):
    """Evaluate the checkpoint written at global step ``step``; return the metrics dict.

    Raises InputError when that checkpoint is not on disk (never written, or
    removed because the estimator keeps only the newest few).
    """
    path = checkpoint_path(estimator.model_dir, step)
    if path is None:
        raise InputError(
            f"{estimator.model_dir}: no checkpoint for step {step} (model.ckpt-{step}); "
            f"it is at step {global_step(estimator)}: use a fresh model directory, made with "
            f"keep_checkpoint_max={KEEP_ALL_CHECKPOINTS} to keep every checkpoint")
    return workflow.evaluate(estimator, test_input_fn, checkpoint_path=path)


def accuracy_at_steps(estimator, train_input_fn, test_input_fn, steps=ACCURACY_STEPS,
                      progress=True, desc=None):
    """Measure test accuracy before training and after each global step count in ``steps``.

    Training continues in the estimator's model directory up to each step count in
    turn, and the checkpoint of exactly that step is evaluated. Step 0 is the
    checkpoint the first training call saves before its first step: the very
    weights training starts from. Steps the directory has already passed are
    evaluated from their checkpoints without training.

    Returns a list of dicts, one per step count in ascending order, with ``step``,
    ``accuracy``, ``loss``, ``trained_steps`` (trained by this call to get there)
    and ``steps_per_second`` (NaN when nothing was trained).
    """
    targets = sorted({int(s) for s in steps})
    if not targets or targets[0] < 0:
        raise InputError(f"steps: {list(steps)}, expected global step counts >= 0")
    positive = [s for s in targets if s > 0]
    if positive:
        # Step 0's checkpoint only exists once training has started: train the first
        # stretch now, so that step 0 can be evaluated before the rest.
        first = train_to(estimator, train_input_fn, positive[0], progress, desc)
    elif checkpoint_path(estimator.model_dir, 0) is None:
        raise InputError("steps: only 0; step 0 is evaluated from the checkpoint the first "
                         "training call writes, so include at least one positive step count")
    results = []
    for target in targets:
        if positive and target == positive[0]:
            trained, speed = first
        elif target > 0:
            trained, speed = train_to(estimator, train_input_fn, target, progress, desc)
        else:
            trained, speed = 0, float("nan")
        metrics = evaluate_at_step(estimator, test_input_fn, target)
        results.append({"step": target, "accuracy": metrics["accuracy"],
                        "loss": metrics["loss"], "trained_steps": trained,
                        "steps_per_second": speed})
    return results


def format_accuracy_table(results_by_model):
    """Return a plain-text table of test accuracy by step for several models.

    ``results_by_model`` maps a model's title to the list :func:`accuracy_at_steps`
    returned. Every model must have been measured at the same steps.
    """
    titles = list(results_by_model)
    steps = [r["step"] for r in results_by_model[titles[0]]]
    for title in titles[1:]:
        if [r["step"] for r in results_by_model[title]] != steps:
            raise InputError(f"{title}: measured at other steps than {titles[0]}")
    width = max(12, *(len(t) for t in titles))
    lines = ["steps".rjust(8) + "".join(t.rjust(width + 2) for t in titles)]
    for i, step in enumerate(steps):
        cells = "".join(f"{results_by_model[t][i]['accuracy']:.2%}".rjust(width + 2)
                        for t in titles)
        lines.append(f"{step:>8,}" + cells)
    return "\n".join(lines)


def compare_batch_sizes(make_estimator, images, cls, test_input_fn, model_root,
                        batch_sizes=BATCH_SIZES, num_examples=64000, progress=True):
    """Train one fresh model per batch size on the same number of examples and compare.

    Args:
        make_estimator: called as ``make_estimator(model_dir)``; returns the estimator
            to train (e.g. ``lambda d: models.make_cnn_estimator(model_dir=d)``).
        images, cls: the training images and their class numbers.
        test_input_fn: input function for the evaluation.
        model_root: each batch size trains in ``<model_root>/batch-<size>``.
        batch_sizes: the batch sizes to compare.
        num_examples: training examples each model sees: ``num_examples // batch_size``
            steps (at least one).

    Returns a list of dicts with ``batch_size``, ``steps``, ``accuracy``, ``loss``,
    ``steps_per_second`` and ``examples_per_second`` (both NaN when the model
    directory was already trained that far and nothing was timed).
    """
    if num_examples <= 0:
        raise InputError(f"num_examples: {num_examples}, expected a positive count")
    results = []
    for batch_size in batch_sizes:
        if int(batch_size) <= 0:
            raise InputError(f"batch_sizes: {batch_size}, expected positive sizes")
        model_dir = Path(model_root) / BATCH_MODEL_DIR.format(batch_size=batch_size)
        estimator = make_estimator(model_dir)
        train_fn = inputs.make_train_input_fn(images, cls, batch_size=batch_size)
        steps = max(1, num_examples // batch_size)
        _, speed = train_to(estimator, train_fn, steps, progress, desc=f"batch {batch_size}")
        metrics = evaluate_at_step(estimator, test_input_fn, steps)
        results.append({"batch_size": int(batch_size), "steps": steps,
                        "accuracy": metrics["accuracy"], "loss": metrics["loss"],
                        "steps_per_second": speed, "examples_per_second": speed * batch_size})
    return results


def format_batch_table(results):
    """Return a plain-text table of :func:`compare_batch_sizes`' results."""
    lines = [f"{'batch':>6}{'steps':>8}{'accuracy':>10}{'steps/s':>10}{'examples/s':>12}"]
    for r in results:
        speed = "-" if np.isnan(r["steps_per_second"]) else f"{r['steps_per_second']:.1f}"
        rate = "-" if np.isnan(r["examples_per_second"]) else f"{r['examples_per_second']:,.0f}"
        lines.append(f"{r['batch_size']:>6}{r['steps']:>8,}{r['accuracy']:>10.2%}"
                     f"{speed:>10}{rate:>12}")
    return "\n".join(lines)
