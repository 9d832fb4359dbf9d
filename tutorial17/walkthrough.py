"""The whole walkthrough in one call: what ``python -m tutorial17 walkthrough`` runs.

Both models are trained, evaluated and asked to predict the first 9 test images.
"""

import time
from pathlib import Path

from . import inputs, models, workflow
from .data import read_data_sets
from .registry import MODEL_NAMES, MODELS

NUM_PREDICT_IMAGES = 9
NUM_STEPS = 2000
# The registry's titles and loss notes (the two report their loss differently), by model name.
MODEL_TITLES = {name: spec.title for name, spec in MODELS.items()}
LOSS_NOTES = {name: spec.loss_note for name, spec in MODELS.items()}


def format_accuracy(accuracy):
    """Format ``0.9727`` as ``'Classification accuracy: 97.27%'`` (the original's wording)."""
    return f"Classification accuracy: {accuracy:.2%}"


def run_model(model, data, model_dir, steps=NUM_STEPS, progress=True, log=print):
    """Train, evaluate and predict with one model; return its results as a dict."""
    estimator = models.make_estimator(model, model_dir=model_dir)
    # The staged input trains faster than the notebook's numpy_input_fn (docs/benchmarks.md).
    train_fn = inputs.make_fast_train_input_fn(data.train.images, data.train.cls)
    test_fn = inputs.make_test_input_fn(data.test.images, data.test.cls)
    predict_fn = inputs.make_predict_input_fn(data.test.images[:NUM_PREDICT_IMAGES])

    start = time.perf_counter()
    global_step = workflow.train(estimator, train_fn, steps=steps, progress=progress, desc=model)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    metrics = workflow.evaluate(estimator, test_fn)
    eval_seconds = time.perf_counter() - start
    predictions = workflow.predict_classes(estimator, predict_fn)

    log(f"{MODEL_TITLES[model]} in {model_dir}: global step {global_step}, "
        f"training {train_seconds:.1f} s, evaluation {eval_seconds:.1f} s")
    log(format_accuracy(metrics["accuracy"]))
    log(f"Predicted classes: {' '.join(str(c) for c in predictions)}")
    return {"accuracy": metrics["accuracy"], "loss": metrics["loss"],
            "average_loss": metrics.get("average_loss"),
            "predictions": [int(c) for c in predictions], "global_step": global_step,
            "train_seconds": round(train_seconds, 2), "eval_seconds": round(eval_seconds, 2)}


def run_walkthrough(steps=NUM_STEPS, model_root=None, data_dir=None, plots_dir=None,
                    progress=True, log=print, data=None):
    """Run steps 1-7 for both models; return ``{"dnn": {...}, "cnn": {...}}``.

    Each model continues from any checkpoint already in its directory under
    ``model_root`` (as re-running the original did). ``plots_dir`` receives the
    3x3 figures as PNG, before training and with each model's predictions, and
    both models' training curves (``training_curves.png``).
    """
    data = data if data is not None else read_data_sets(data_dir)
    first = slice(0, NUM_PREDICT_IMAGES)
    log(f"Data from {data.data_dir}: train {data.train.num_examples}, "
        f"validation {data.validation.num_examples}, test {data.test.num_examples}")
    if plots_dir is not None:
        from . import plots  # matplotlib only when figures are asked for

        plots_dir = Path(plots_dir)
        plots_dir.mkdir(parents=True, exist_ok=True)
        _save(plots.plot_images(data.test.images[first], data.test.cls[first]),
              plots_dir / "test_images.png")
    results = {}
    for model in MODEL_NAMES:
        model_dir = models.default_model_dir(model, model_root)
        results[model] = run_model(model, data, model_dir, steps=steps, progress=progress, log=log)
        if plots_dir is not None:
            _save(plots.plot_images(data.test.images[first], data.test.cls[first],
                                    results[model]["predictions"]),
                  plots_dir / f"predictions_{model}.png")
    if plots_dir is not None:
        _save(plots.plot_training_curves(
            {f"{MODEL_TITLES[m]} ({LOSS_NOTES[m]})": models.default_model_dir(m, model_root)
             for m in results}), plots_dir / "training_curves.png")
    return results


def _save(fig, path):
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=100)
    plt.close(fig)
