"""The exercises' figures: misclassified images, confusion matrix, accuracy curves."""

from tutorial17.errors import InputError
from tutorial17.exercises import analysis, plots

import numpy as np
import pytest


def test_plot_misclassified_shows_only_mistakes(tiny_data, tmp_path):
    cls_true = tiny_data.test.cls[:20]
    cls_pred = cls_true.copy()
    cls_pred[[3, 11]] = (cls_true[[3, 11]] + 1) % 10
    fig = plots.plot_misclassified(tiny_data.test.images[:20], cls_true, cls_pred)
    labelled = [ax.get_xlabel() for ax in fig.axes if ax.get_xlabel()]
    assert labelled == [f"True: {cls_true[3]}, Pred: {cls_pred[3]}",
                        f"True: {cls_true[11]}, Pred: {cls_pred[11]}"]
    assert fig.texts[0].get_text() == "2 of 20 test images misclassified"
    fig.savefig(tmp_path / "wrong.png")


def test_plot_misclassified_needs_one_class_per_image(tiny_data):
    with pytest.raises(InputError, match="one class per image"):
        plots.plot_misclassified(tiny_data.test.images[:5], [1, 2], [1, 2])


def test_plot_confusion_matrix_writes_every_count(tiny_data):
    pred = np.roll(tiny_data.test.cls, 1)
    matrix = analysis.confusion_matrix(tiny_data.test.cls, pred)
    fig = plots.plot_confusion_matrix(matrix)
    ax = fig.axes[0]
    texts = [int(t.get_text()) for t in ax.texts]
    assert len(texts) == 100 and sum(texts) == tiny_data.test.num_examples
    assert ax.get_xlabel() == "Predicted class" and ax.get_ylabel() == "True class"


def test_plot_confusion_matrix_square_only():
    with pytest.raises(InputError, match="square"):
        plots.plot_confusion_matrix(np.zeros((3, 4)))


def test_plot_accuracy_curves_one_line_per_model():
    results = {"DNN": [{"step": 0, "accuracy": 0.1}, {"step": 1000, "accuracy": 0.95}],
               "CNN": [{"step": 0, "accuracy": 0.08}, {"step": 1000, "accuracy": 0.97}]}
    fig = plots.plot_accuracy_curves(results)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["DNN", "CNN"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [8, 97])


def test_plot_accuracy_curves_ticks_are_the_measured_steps():
    results = {"CNN": [{"step": s, "accuracy": a}
                       for s, a in ((0, 0.1), (1000, 0.9), (2000, 0.95), (10000, 0.98))]}
    ax = plots.plot_accuracy_curves(results).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1,000", "2,000", "10,000"]
    assert [t.get_text() for t in ax.texts] == ["10.00", "90.00", "95.00", "98.00"]
