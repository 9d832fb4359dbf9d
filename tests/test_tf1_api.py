"""Every tf.<name> in the package and the notebooks exists in TensorFlow 1.15.

The check itself is scripts/tf1_api.py, which also runs from the command line.
"""

import ast
import json
import sys

import pytest

from scripts import tf1_api
from scripts.tf1_api import Api, check, check_project, format_failures, notebook_paths

TF1_DOC = tf1_api.REPO / "docs" / "tf1.md"


@pytest.fixture(scope="module")
def api():
    return Api.load()


@pytest.fixture(scope="module")
def report(api):
    return check_project(api=api)


def scan(api, source, label="example.py"):
    """Check one Python source as if it were a file of the package."""
    return check([(label, lambda line: f"{label}:{line}", source)], api)


def where_missing(report):
    return [(u.where, u.name) for u in report.missing]


# --- The project itself. ---

def test_the_list_is_tf115_compat_v1(api):
    assert len(api.names) > 3900
    for name in ("estimator.DNNClassifier", "estimator.inputs.numpy_input_fn", "layers.conv2d",
                 "layers.flatten", "train.SessionRunHook", "logging.set_verbosity"):
        assert api.has(name), name
    # Added after 1.15 (TF 2.1 and 2.3): absent, or the list is not 1.15's.
    assert not api.has("config.list_physical_devices")
    assert not api.has("sysconfig.get_build_info")


def test_package_and_notebooks_use_only_tf115_names(report):
    assert not report.missing and not report.problems, "\n" + format_failures(report)


def test_the_scan_sees_the_package_and_every_notebook(report):
    # If collection broke, the test above would pass on nothing: check it found the models.
    names = {u.name for u in report.uses}
    assert {"estimator.DNNClassifier", "estimator.Estimator", "layers.conv2d",
            "train.AdamOptimizer", "estimator.inputs.numpy_input_fn"} <= names
    scanned = {u.where.split(" cell ")[0] for u in report.uses if ".ipynb" in u.where}
    notebooks = {p.relative_to(tf1_api.REPO).as_posix() for p in notebook_paths()}
    assert scanned <= notebooks
    for path in notebook_paths():
        assert sum(1 for _ in tf1_api.notebook_cells(path)) > 0, f"{path}: no code cells read"


def test_tf2_only_uses_are_guarded_and_documented(report):
    """Each '# tf2-only:' line passes the checks and its names are listed in docs/tf1.md."""
    doc = TF1_DOC.read_text(encoding="utf-8")
    for marker in report.markers:
        print(f"tf2-only: {marker.where}: {', '.join(marker.names)} ({marker.reason})")
        for name in marker.names:
            assert f"tf.{name}" in doc, f"{marker.where}: tf.{name} is not listed in docs/tf1.md"


def test_tf2_only_files_exist_and_are_documented():
    """The files left out of the scan are real, and docs/tf1.md says why each is."""
    doc = TF1_DOC.read_text(encoding="utf-8")
    for rel in tf1_api.TF2_ONLY_FILES:
        assert (tf1_api.REPO / rel).is_file(), rel
        assert f"`{rel}`" in doc, f"{rel} is not named in docs/tf1.md"
        assert rel not in {label for label, _, _ in tf1_api.project_sources()}


def test_package_parses_as_python_37():
    """environment-tf1.yml runs Python 3.7: no newer syntax, no runtime-evaluated
    ``list[int]`` / ``X | Y`` annotations (TypeError on import there)."""
    if sys.version_info < (3, 8):
        pytest.skip("running on Python 3.7 itself: importing the package already checked it")
    for _label, where, source in tf1_api.project_sources():
        try:
            tree = ast.parse(source, feature_version=(3, 7))
        except SyntaxError as error:
            pytest.fail(f"{where(error.lineno or 0)}: not Python 3.7 syntax: {error.msg}")
        future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                     and any(a.name == "annotations" for a in n.names) for n in tree.body)
        if future:
            continue
        for node in ast.walk(tree):
            for ann in _annotations(node):
                for sub in ast.walk(ann):
                    new_generic = (isinstance(sub, ast.Subscript)
                                   and isinstance(sub.value, ast.Name)
                                   and sub.value.id in {"list", "dict", "tuple", "set", "type"})
                    union = isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.BitOr)
                    assert not (new_generic or union), \
                        f"{where(sub.lineno)}: annotation needs Python >= 3.9/3.10"


def _annotations(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = node.args
        every = args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]
        return [a.annotation for a in every if a is not None and a.annotation is not None] + \
            ([node.returns] if node.returns is not None else [])
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    return []


# --- The checker catches what it should (so the tests above can fail). ---

def test_a_made_up_name_fails_with_its_file_and_line(api):
    report = scan(api, "import tensorflow.compat.v1 as tf\n\n"
                       "opt = tf.train.AdamOptimizer(1e-4)\n"
                       "x = tf.train.NoSuchOptimizer(0.1)\n")
    assert where_missing(report) == [("example.py:4", "train.NoSuchOptimizer")]
    assert "example.py:4: tf.train.NoSuchOptimizer is not in TensorFlow 1.15" in \
        format_failures(report)


def test_tf2_only_names_are_caught(api):
    report = scan(api, "import tensorflow.compat.v1 as tf\n"
                       "devices = tf.config.list_physical_devices()\n"
                       "info = tf.sysconfig.get_build_info()\n")
    assert [n for _, n in where_missing(report)] == ["config.list_physical_devices",
                                                     "sysconfig.get_build_info"]


def test_attributes_of_returned_objects_and_classes_are_not_names(api):
    report = scan(api, "import tensorflow.compat.v1 as tf\n"
                       "g = tf.train.get_global_step().graph.get_operations()\n"
                       "m = tf.estimator.ModeKeys.PREDICT\n"
                       "k = tf.GraphKeys.LOSSES\n"
                       "v = tf.__version__.split('.')\n"
                       "y = tf.get_collection(k)[0].op.name\n")
    assert report.missing == [] and report.problems == []
    assert sorted(u.name for u in report.uses) == [
        "GraphKeys.LOSSES", "__version__.split", "estimator.ModeKeys.PREDICT",
        "get_collection", "train.get_global_step"]


def test_a_module_lacking_the_member_fails(api):
    report = scan(api, "import tensorflow.compat.v1 as tf\ny = tf.layers.no_such_layer\n")
    assert where_missing(report) == [("example.py:2", "layers.no_such_layer")]


def test_other_import_forms(api):
    report = scan(api, "import tensorflow as tf_root\n"
                       "from tensorflow.compat.v1 import layers as L, no_such_module\n"
                       "from tensorflow.compat import v1 as tf\n"
                       "def f():\n"
                       "    import tensorflow.compat.v1\n"
                       "    return tensorflow.compat.v1.nn.relu, tf.nn.no_such_fn\n"
                       "a = L.dense\n"
                       "b = L.nope\n"
                       "c = tf_root.compat.v1.train.Saver\n"
                       "d = tf_root.compat.v2.keras\n")
    assert where_missing(report) == [("example.py:2", "no_such_module"),
                                     ("example.py:6", "nn.no_such_fn"),
                                     ("example.py:8", "layers.nope"),
                                     ("example.py:10", "compat.v2.keras")]
    assert {"layers.dense", "nn.relu", "train.Saver"} <= {u.name for u in report.uses}


def test_names_not_from_tensorflow_are_ignored(api):
    report = scan(api, "import numpy as tf\nimport tensorflow_estimator as est\n"
                       "x = tf.no_such_thing\ny = est.nothing\n")
    assert report.uses == []


def test_star_import_is_refused(api):
    report = scan(api, "from tensorflow.compat.v1 import *\n")
    assert report.problems and "import *" in report.problems[0][1]


def test_a_guarded_marked_tf2_only_use_is_listed_not_failed(api):
    report = scan(api, "import tensorflow.compat.v1 as tf\n"
                       "if hasattr(tf.sysconfig, 'get_build_info'):\n"
                       "    info = tf.sysconfig.get_build_info()  # tf2-only: new in TF 2.3\n"
                       "try:\n"
                       "    d = tf.config.list_physical_devices()  # tf2-only: TF 2.1\n"
                       "except AttributeError:\n"
                       "    d = tf.config.experimental.list_physical_devices()\n")
    assert report.missing == [] and report.problems == []
    assert [(m.where, m.reason, m.names) for m in report.markers] == [
        ("example.py:3", "new in TF 2.3", ["sysconfig.get_build_info"]),
        ("example.py:5", "TF 2.1", ["config.list_physical_devices"])]


@pytest.mark.parametrize("source, message", [
    ("info = tf.sysconfig.get_build_info()  # tf2-only: new in TF 2.3\n", "not inside an if"),
    ("if True:\n    info = tf.sysconfig.get_build_info()  # tf2-only:\n", "needs a reason"),
    ("if True:\n    x = tf.layers.dense  # tf2-only: stale\n", "uses no TF 2-only name"),
    ("x = 1  # tf2-only: nothing here\n", "uses no TF 2-only name"),
])
def test_bad_markers_fail(api, source, message):
    report = scan(api, "import tensorflow.compat.v1 as tf\n" + source)
    assert report.missing == []
    assert any(message in text for _, text in report.problems), report.problems


def test_a_marker_inside_a_string_is_not_a_marker(api):
    report = scan(api, "import tensorflow.compat.v1 as tf\n"
                       "x = (tf.sysconfig.get_build_info, '# tf2-only: in a string')\n")
    assert where_missing(report) == [("example.py:2", "sysconfig.get_build_info")]


def test_unparsable_source_is_a_failure_not_a_pass(api):
    report = scan(api, "def broken(:\n")
    assert report.problems and "cannot parse" in report.problems[0][1]


# --- Notebooks: code cells, with IPython syntax. ---

def _notebook(tmp_path, cells):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": kind, "metadata": {}, "source": src,
                     **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                    for kind, src in cells]}
    path = tmp_path / "notebooks" / "example.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(nb))
    return path


def test_notebook_cells_with_magics_are_checked(api, tmp_path):
    _notebook(tmp_path, [
        ("markdown", "# tf.not_code is prose, not code"),
        ("code", ["%matplotlib inline\n", "import tensorflow.compat.v1 as tf\n",
                  "!ls data\n", "files = !ls\n", "tf.layers.dense?\n", "tf.layers.conv2d\n"]),
        ("code", "%%time\nx = tf.train.NoSuchHook()\ny = tf.train.SessionRunHook\n"),
        ("code", "%%bash\necho tf.not.python\n"),
        ("code", "if True:\n    %time z = tf.nn.relu\n    w = tf.nn.no_such_op\n"),
        ("code", "s = ('%d'\n     % 3)\nt = tf.layers.flatten\n"),
        ("code", "def broken(:\n"),
    ])
    report = check_project(root=tmp_path, api=api)
    assert report.problems == [("notebooks/example.ipynb cell 7:1", "cannot parse: invalid syntax")]
    assert where_missing(report) == [("notebooks/example.ipynb cell 3:2", "train.NoSuchHook"),
                                     ("notebooks/example.ipynb cell 5:3", "nn.no_such_op")]
    assert {"layers.conv2d", "train.SessionRunHook", "layers.flatten"} <= \
        {u.name for u in report.uses}


def test_checkpoint_copies_of_notebooks_are_skipped(api, tmp_path):
    path = _notebook(tmp_path, [("code", "import tensorflow.compat.v1 as tf\ntf.layers.dense\n")])
    copies = path.parent / ".ipynb_checkpoints"
    copies.mkdir()
    (copies / "example-checkpoint.ipynb").write_text(path.read_text())
    assert [p.name for p in notebook_paths(tmp_path)] == ["example.ipynb"]


def test_the_report_script_runs():
    # Its exit status follows the project's result, which the tests above check.
    assert tf1_api.main() == 0

