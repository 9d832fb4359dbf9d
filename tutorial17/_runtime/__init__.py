"""Process plumbing the package relies on: not part of the tutorial.

- :mod:`.interrupt`: Ctrl-C while training stops after the current step and saves it.
- :mod:`.locking`: one trainer per model directory.
- :mod:`.verbosity`: TensorFlow quiet by default (``tutorial17.quiet``, ``tutorial17.verbose``).
- :mod:`.stacks`: the supported Pythons and TensorFlow releases, checked before TensorFlow
  loads, each problem in one line with its fix.
- :mod:`.bridge`: ``tf.compat.v1.estimator`` and Keras 2 on TensorFlow 2.16 and later.
- :mod:`.report`: what runs here (TensorFlow's version, build, devices), for ``info``.
"""
