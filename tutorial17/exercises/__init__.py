"""The tutorial's exercises, worked: what ``17_Estimator_API_Exercises.ipynb`` uses.

- :mod:`.experiments`: accuracy against training steps (exercises 1, 2), batch sizes (4).
- :mod:`.analysis`: the mistakes and the confusion matrix (exercise 5).
- :mod:`.one_hot`: the CNN trained on one-hot labels (exercise 6).
- :mod:`.image_files`: input functions that read PNG files (exercise 7).
- :mod:`.plots`: the exercises' figures.
"""
