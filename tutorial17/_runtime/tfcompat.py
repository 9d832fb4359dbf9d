"""Where TensorFlow 1.15 and 2.15 differ in what tutorial17 relies on.

The package uses ``import tensorflow.compat.v1 as tf``, which both releases
provide, so nearly all of it is the same code on both (``tests/test_tf1_api.py``
checks every ``tf.<name>`` against TensorFlow 1.15's list). The differences
that need code live here; the others are handled where they occur:

- build information: ``tf.sysconfig.get_build_info`` (CUDA and cuDNN versions)
  is new in TF 2.3; TF 1.15 only says whether it is a CUDA build.
- devices: ``tf.config.list_physical_devices`` is new in TF 2.1; the
  ``experimental`` name used here exists in both.
- canned ``DNNClassifier`` predictions: both give ``class_ids`` (int64) and
  ``classes`` (byte strings); :func:`tutorial17.workflow.prediction_to_class`
  reads either.
- log noise: TF 1.15 logs ``tf.layers`` deprecations through ``tf.logging``,
  TF 2.15 also raises Keras legacy-layer UserWarnings; :func:`tutorial17.quiet`
  silences both.
- unknown dimensions: TF 1.15 gives ``Dimension(None)``, TF 2.15 ``None``;
  :func:`tutorial17.weights.layer_tensor` reads them with ``tf.dimension_value``.

A TF 2-only name is used only behind a guard (``if``/``try``) on a line marked
``# tf2-only: <reason>``; see docs/tf1.md.
"""

import tensorflow.compat.v1 as tf

TF_VERSION = tf.VERSION
IS_TF1 = TF_VERSION.startswith("1.")
"""True on the original stack, TensorFlow 1.x (1.15 is the one supported)."""

CPU_ONLY = "no (CPU-only build)"


def build_info():
    """What the TensorFlow binary was built with, as a plain dict.

    Always has ``is_cuda_build``; on TF >= 2.3 also ``cuda_version`` and
    ``cudnn_version`` for CUDA builds. TF 1.15 does not record the versions
    (conda's ``tensorflow-gpu=1.15`` is built for CUDA 10.0 and cuDNN 7).
    """
    if hasattr(tf.sysconfig, "get_build_info"):
        info = dict(tf.sysconfig.get_build_info())  # tf2-only: new in TF 2.3, absent in 1.15
        info.setdefault("is_cuda_build", "cuda_version" in info)
        return info
    return {"is_cuda_build": bool(tf.test.is_built_with_cuda())}


def cuda_versions():
    """``(cuda, cudnn)`` as short texts for people: versions, or why there are none."""
    info = build_info()
    if not info["is_cuda_build"]:
        return CPU_ONLY, "no"
    unknown = f"yes (TensorFlow {TF_VERSION} does not record the version)"
    return str(info.get("cuda_version", unknown)), str(info.get("cudnn_version", unknown))


def physical_devices():
    """The physical devices TensorFlow sees, as ``"TYPE:name"`` strings."""
    return [f"{d.device_type}:{d.name}"
            for d in tf.config.experimental.list_physical_devices()]
