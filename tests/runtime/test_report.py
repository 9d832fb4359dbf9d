"""tutorial17._runtime.report: the TensorFlow that runs, its build and its devices, read the
same way on TF 1.15, 2.15 and 2.21."""

from tutorial17._runtime import report

import pytest
import tensorflow.compat.v1 as tf


def test_version_flag_matches_the_running_tensorflow():
    assert report.TF_VERSION == tf.VERSION
    assert tf.VERSION.startswith("1.") == report.IS_TF1


def test_build_info_says_whether_cuda_and_agrees_with_tf_test():
    info = report.build_info()
    assert info["is_cuda_build"] == tf.test.is_built_with_cuda()
    if info["is_cuda_build"] and not report.IS_TF1:
        assert info["cuda_version"] and info["cudnn_version"]


def test_without_get_build_info_falls_back_as_on_tf1(monkeypatch):
    # TF 1.15 has no tf.sysconfig.get_build_info: take it away to run that branch here.
    if hasattr(tf.sysconfig, "get_build_info"):
        monkeypatch.delattr(tf.sysconfig, "get_build_info")
    assert report.build_info() == {"is_cuda_build": tf.test.is_built_with_cuda()}
    cuda, cudnn = report.cuda_versions()
    if tf.test.is_built_with_cuda():
        assert "does not record the version" in cuda and "does not record" in cudnn
    else:
        assert (cuda, cudnn) == (report.CPU_ONLY, "no")


@pytest.mark.parametrize("is_cuda", [True, False])
def test_cuda_versions_texts(monkeypatch, is_cuda):
    info = {"is_cuda_build": is_cuda, "cuda_version": "12.2", "cudnn_version": "8"}
    monkeypatch.setattr(report, "build_info", lambda: info)
    assert report.cuda_versions() == (("12.2", "8") if is_cuda else (report.CPU_ONLY, "no"))


def test_physical_devices_include_the_cpu():
    devices = report.physical_devices()
    assert any(d.startswith("CPU:") for d in devices), devices
