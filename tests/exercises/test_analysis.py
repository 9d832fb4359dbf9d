"""Mistakes and confusion matrix (exercise 5)."""

from tutorial17.errors import InputError
from tutorial17.exercises import analysis

import numpy as np
import pytest

TRUE = np.array([7, 2, 1, 0, 4, 1, 4, 9, 5])
PRED = np.array([7, 2, 1, 0, 9, 1, 4, 4, 3])


def test_misclassified_indices():
    assert analysis.misclassified(TRUE, PRED).tolist() == [4, 7, 8]
    assert analysis.misclassified(TRUE, TRUE).size == 0


def test_accuracy():
    assert analysis.accuracy(TRUE, PRED) == pytest.approx(6 / 9)


def test_confusion_matrix_counts_true_rows_predicted_columns():
    matrix = analysis.confusion_matrix(TRUE, PRED)
    assert matrix.shape == (10, 10) and matrix.dtype == np.int64
    assert matrix.sum() == len(TRUE)
    assert np.trace(matrix) == 6
    assert matrix[4, 9] == 1 and matrix[9, 4] == 1 and matrix[5, 3] == 1
    assert matrix[4, 4] == 1 and matrix[1, 1] == 2


def test_confusion_matrix_rows_sum_to_class_counts(tiny_data):
    rng = np.random.default_rng(0)
    pred = rng.integers(0, 10, size=tiny_data.test.num_examples)
    matrix = analysis.confusion_matrix(tiny_data.test.cls, pred)
    assert matrix.sum(axis=1).tolist() == np.bincount(tiny_data.test.cls, minlength=10).tolist()
    assert matrix.sum(axis=0).tolist() == np.bincount(pred, minlength=10).tolist()


def test_most_confused_orders_off_diagonal_pairs():
    matrix = np.zeros((10, 10), dtype=int)
    matrix[4, 9], matrix[3, 5], matrix[7, 2], matrix[1, 1] = 5, 2, 2, 50
    assert analysis.most_confused(matrix, top=2) == [(4, 9, 5), (3, 5, 2)]
    assert len(analysis.most_confused(matrix)) == 3


@pytest.mark.parametrize("true, pred, message", [
    ([1, 2], [1], "one prediction per image"),
    ([1, 2], [1, 12], "class numbers 0-9"),
    ([1, 2.5], [1, 2], "non-integer"),
])
def test_bad_classes_get_one_line(true, pred, message):
    with pytest.raises(InputError, match=message):
        analysis.confusion_matrix(true, pred)
