"""Process plumbing the package relies on: not part of the tutorial.

- :mod:`.interrupt`: Ctrl-C while training stops after the current step and saves it.
- :mod:`.locking`: one trainer per model directory.
- :mod:`.verbosity`: TensorFlow quiet by default (``tutorial17.quiet``, ``tutorial17.verbose``).
- :mod:`.tfcompat`: where TensorFlow 1.15 and 2.15 differ.
"""
