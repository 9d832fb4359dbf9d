"""A classifier's mistakes (exercise 5): the test images it gets wrong, the classes it confuses.

Which images it misclassifies, its accuracy, the confusion matrix and the
pairs of classes it confuses most.
"""

import numpy as np

from ..data import num_classes
from ..errors import InputError
from ..validation import check_classes


def _check_pair(cls_true, cls_pred):
    """Return both class arrays as int64, checked to be class numbers of the same length."""
    cls_true = check_classes(cls_true, len(np.asarray(cls_true)), name="cls_true")
    cls_pred = check_classes(cls_pred, len(np.asarray(cls_pred)), name="cls_pred")
    if len(cls_true) != len(cls_pred):
        raise InputError(f"cls_pred: {len(cls_pred)} predictions for {len(cls_true)} true "
                         "classes; expected one prediction per image")
    return cls_true, cls_pred


def misclassified(cls_true, cls_pred):
    """Return the indices (int64, ascending) of the images whose predicted class is wrong."""
    cls_true, cls_pred = _check_pair(cls_true, cls_pred)
    return np.flatnonzero(cls_true != cls_pred)


def accuracy(cls_true, cls_pred):
    """Return the fraction of predictions that equal the true class."""
    cls_true, cls_pred = _check_pair(cls_true, cls_pred)
    if len(cls_true) == 0:
        raise InputError("accuracy: no predictions, expected at least one")
    return float(np.mean(cls_true == cls_pred))


def confusion_matrix(cls_true, cls_pred, n_classes=num_classes):
    """Return the confusion matrix, (n_classes, n_classes) int64: row true, column predicted.

    The diagonal counts the correct predictions; entry ``[3, 5]`` counts the 3s
    taken for 5s.
    """
    cls_true, cls_pred = _check_pair(cls_true, cls_pred)
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (cls_true, cls_pred), 1)
    return matrix


def most_confused(matrix, top=5):
    """Return the ``top`` largest off-diagonal entries as ``(true, predicted, count)``.

    Largest first; pairs with a count of zero are left out; ties keep the order
    true class, then predicted.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise InputError(f"most_confused: matrix of shape {matrix.shape}, expected a square "
                         "confusion matrix")
    pairs = [(int(t), int(p), int(matrix[t, p]))
             for t in range(len(matrix)) for p in range(len(matrix))
             if t != p and matrix[t, p] > 0]
    pairs.sort(key=lambda pair: -pair[2])  # stable: ties stay in (true, predicted) order
    return pairs[:top]
