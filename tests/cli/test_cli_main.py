"""main() and build_parser() (cli/__init__.py): bad arguments and the default model root.

Bad arguments to every subcommand: one line on stderr, exit status 2, nothing
written. ``walkthrough`` and ``tensorboard`` default to the same model root.
"""

import shutil

from tutorial17 import board, data, paths
from tutorial17.cli import EXIT_USAGE, build_parser, main

import pytest


@pytest.fixture(scope="module")
def trained_dir(tiny_data_dir, tmp_path_factory):
    """A DNN model directory with a checkpoint (one training step)."""
    model_dir = tmp_path_factory.mktemp("trained") / "dnn"
    assert main(["train", "--model", "dnn", "--model-dir", str(model_dir), "--data-dir",
                 str(tiny_data_dir), "--steps", "1", "--no-progress"]) == 0
    return model_dir


@pytest.fixture(scope="module")
def broken_data_dirs(tiny_data_dir, tmp_path_factory):
    """Copies of the tiny slice with one file corrupt, or unreadable (a directory)."""
    root = tmp_path_factory.mktemp("broken-data")
    corrupt = root / "corrupt"
    shutil.copytree(tiny_data_dir, corrupt)
    target = corrupt / data.TEST_IMAGES
    target.write_bytes(target.read_bytes()[:500])  # a cut-off download, say
    unreadable = root / "unreadable"
    shutil.copytree(tiny_data_dir, unreadable)
    (unreadable / data.TRAIN_LABELS).unlink()
    (unreadable / data.TRAIN_LABELS).mkdir()
    return {"corrupt": corrupt, "unreadable": unreadable}


def _snapshot(*roots):
    """Every path under ``roots`` with its size and modification time."""
    found = {}
    for root in roots:
        for path in [root, *root.rglob("*")]:
            stat = path.stat()
            found[path] = (stat.st_size, stat.st_mtime_ns)
    return found


# Placeholders filled in by the test: {work} (an empty working directory, also the
# current one), {tiny} (valid data), {corrupt}/{unreadable} (broken data),
# {trained} (a model directory with a checkpoint), {file} (a plain file).
CASES = [
    # walkthrough
    (["walkthrough", "--steps", "-1"], "must be positive"),
    (["walkthrough", "--steps", "0"], "must be positive"),
    (["walkthrough", "--steps", "ten"], "'ten' is not a whole number"),
    (["walkthrough", "--data-dir", "{work}/nowhere"], "no such directory"),
    (["walkthrough", "--data-dir", "{file}"], "not a directory"),
    (["walkthrough", "--data-dir", "{corrupt}", "--model-root", "{work}"],
     "t10k-images-idx3-ubyte.gz: not a readable gzip file"),
    (["walkthrough", "--data-dir", "{unreadable}", "--model-root", "{work}"],
     "train-labels-idx1-ubyte.gz: cannot read it"),
    (["walkthrough", "--json", "{work}/missing/results.json"], "does not exist"),
    (["walkthrough", "--json", "{work}"], "is a directory"),
    (["walkthrough", "--model-root", "{file}"], "exists and is not a directory"),
    (["walkthrough", "--plots", "{file}"], "exists and is not a directory"),
    (["walkthrough", "--bogus"], "unrecognized arguments: --bogus"),
    # train
    (["train", "--model", "rnn", "--steps", "3", "--model-dir", "m"], "invalid choice: 'rnn'"),
    (["train", "--model", "cnn", "--steps", "-5", "--model-dir", "m"], "must be positive"),
    (["train", "--model", "cnn", "--steps", "0", "--model-dir", "m"], "must be positive"),
    (["train", "--model", "cnn", "--model-dir", "m"], "required: --steps"),
    (["train", "--model", "cnn", "--steps", "3"], "required: --model-dir"),
    (["train", "--steps", "3", "--model-dir", "m"], "required: --model"),
    (["train", "--model", "cnn", "--steps", "3", "--model-dir", "m", "--save-every", "0"],
     "must be positive"),
    (["train", "--model", "cnn", "--steps", "3", "--model-dir", "m", "--data-dir", "nowhere"],
     "no such directory"),
    (["train", "--model", "cnn", "--steps", "3", "--model-dir", "{file}"],
     "exists and is not a directory"),
    (["train", "--model", "dnn", "--steps", "3", "--model-dir", "m", "--data-dir", "{corrupt}"],
     "t10k-images-idx3-ubyte.gz: not a readable gzip file"),
    (["train", "--model", "dnn", "--steps", "3", "--model-dir", "m",
      "--data-dir", "{unreadable}"], "train-labels-idx1-ubyte.gz: cannot read it"),
    # evaluate
    (["evaluate", "--model", "svm", "--model-dir", "{trained}"], "invalid choice: 'svm'"),
    (["evaluate", "--model", "dnn"], "required: --model-dir"),
    (["evaluate", "--model", "dnn", "--model-dir", "nowhere"], "no such directory"),
    (["evaluate", "--model", "dnn", "--model-dir", "{file}"], "not a directory"),
    (["evaluate", "--model", "dnn", "--model-dir", "{work}"], "no checkpoint there"),
    (["evaluate", "--model", "dnn", "--model-dir", "{trained}", "--data-dir", "nowhere"],
     "no such directory"),
    (["evaluate", "--model", "dnn", "--model-dir", "{trained}", "--data-dir", "{corrupt}"],
     "t10k-images-idx3-ubyte.gz: not a readable gzip file"),
    # predict
    (["predict", "--model", "dnn", "--model-dir", "{trained}", "--count", "0"],
     "must be positive"),
    (["predict", "--model", "dnn", "--model-dir", "{trained}", "--count", "-2"],
     "must be positive"),
    (["predict", "--model", "dnn", "--model-dir", "{trained}", "--count", "nine"],
     "is not a whole number"),
    (["predict", "--model", "dnn", "--model-dir", "{trained}", "--data-dir", "{tiny}",
      "--count", "100000"], "the test set has only 300 images"),
    (["predict", "--model", "dnn", "--model-dir", "{work}"], "no checkpoint there"),
    (["predict", "--model", "dnn", "--model-dir", "{trained}", "--data-dir", "{unreadable}"],
     "train-labels-idx1-ubyte.gz: cannot read it"),
    # info and the command itself
    (["info", "--verbose"], "unrecognized arguments: --verbose"),
    ([], "required: COMMAND"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize("args, message", CASES, ids=[" ".join(c[0]) or "no-command"
                                                     for c in CASES])
def test_bad_arguments_one_line_status_2_nothing_written(
        args, message, tmp_path, monkeypatch, capfd, tiny_data_dir, trained_dir,
        broken_data_dirs):
    work = tmp_path / "work"
    work.mkdir()
    plain_file = tmp_path / "a-file.txt"
    plain_file.write_text("not a directory\n")
    monkeypatch.chdir(work)
    places = {"work": work, "tiny": tiny_data_dir, "trained": trained_dir,
              "file": plain_file, **broken_data_dirs}
    args = [a.format(**places) for a in args]
    watched = [tmp_path, trained_dir.parent, *broken_data_dirs.values()]
    before = _snapshot(*watched)
    capfd.readouterr()

    assert main(args) == EXIT_USAGE
    out, err = capfd.readouterr()  # file descriptors: TensorFlow's C++ lines too
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert _snapshot(*watched) == before  # nothing written, nothing touched


def _default_model_root(subcommand):
    return build_parser().parse_args([subcommand]).model_root


def test_walkthrough_and_tensorboard_default_to_runs_of_the_repository(monkeypatch):
    monkeypatch.delenv(paths.MODEL_ROOT_ENV, raising=False)
    assert _default_model_root("walkthrough") == paths.RUNS_DIR
    assert _default_model_root("tensorboard") == paths.RUNS_DIR


def test_the_model_root_environment_variable_wins_for_both(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.MODEL_ROOT_ENV, str(tmp_path))
    assert _default_model_root("walkthrough") == tmp_path
    assert _default_model_root("tensorboard") == tmp_path


def test_walkthrough_trains_where_tensorboard_looks(monkeypatch, tmp_path, tiny_data_dir, capsys):
    monkeypatch.setenv(paths.MODEL_ROOT_ENV, str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["walkthrough", "--steps", "1", "--data-dir", str(tiny_data_dir),
                 "--no-progress"]) == 0
    runs = board.check_model_root(_default_model_root("tensorboard"))
    assert {run.relative_to(tmp_path).parts[0] for run in runs} == {
        "checkpoints_tutorial17-1", "checkpoints_tutorial17-2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoints_tutorial17-1", "checkpoints_tutorial17-2"]  # nothing in the working dir
