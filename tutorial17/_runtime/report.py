"""What this process runs on, as ``python -m tutorial17 info`` reports it and the tests read it.

The TensorFlow release (:data:`TF_VERSION`, :data:`IS_TF1`), whether tutorial17's estimator
bridge serves its ``tf.estimator`` (:data:`USES_BRIDGE`), what the binary was built with and
the devices it sees. TF 1.15, 2.15 and 2.21 say these differently; this module reads each.

Importing it imports TensorFlow: ``tutorial17`` has been imported by then (its parent
package), which prepares and loads TensorFlow in the order :mod:`.stacks` and
:mod:`.bridge` need.
"""

import tensorflow.compat.v1 as tf

from .stacks import needs_bridge

TF_VERSION = tf.VERSION
IS_TF1 = TF_VERSION.startswith("1.")
USES_BRIDGE = needs_bridge(TF_VERSION)

CPU_ONLY = "no (CPU-only build)"


def build_info():
    """Return what the TensorFlow binary was built with, as a plain dict.

    Always has ``is_cuda_build``; on TF >= 2.3 also ``cuda_version``,
    ``cudnn_version`` and ``cuda_compute_capabilities`` for CUDA builds. TF 1.15
    does not record them (conda's ``tensorflow-gpu=1.15`` is built for CUDA 10.0
    and cuDNN 7).
    """
    if hasattr(tf.sysconfig, "get_build_info"):
        info = dict(tf.sysconfig.get_build_info())  # tf2-only: new in TF 2.3, absent in 1.15
        info.setdefault("is_cuda_build", "cuda_version" in info)
        return info
    return {"is_cuda_build": bool(tf.test.is_built_with_cuda())}


def cuda_versions():
    """Return ``(cuda, cudnn)`` as short texts for people: versions, or why there are none."""
    info = build_info()
    if not info["is_cuda_build"]:
        return CPU_ONLY, "no"
    unknown = f"yes (TensorFlow {TF_VERSION} does not record the version)"
    return str(info.get("cuda_version", unknown)), str(info.get("cudnn_version", unknown))


def compute_capabilities():
    """Return the GPU architectures the binary carries code for, e.g. ``"sm_60 ... compute_90"``.

    ``sm_XY`` is machine code that runs natively on compute capability X.Y (and
    later X.z); ``compute_XY`` is PTX, compiled by the driver on first start for
    newer GPUs. Empty text when TensorFlow does not say.
    """
    info = build_info()
    if not info["is_cuda_build"]:
        return ""
    return " ".join(info.get("cuda_compute_capabilities", []))


def physical_devices():
    """Return the physical devices TensorFlow sees, as ``"TYPE:name"`` strings."""
    return [f"{d.device_type}:{d.name}" for d in tf.config.experimental.list_physical_devices()]
