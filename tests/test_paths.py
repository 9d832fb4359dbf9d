"""paths.py: the repository root, found once, and the one default model root everyone uses."""

from pathlib import Path

from tutorial17 import data, models, notebook, paths

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_model_root_env(monkeypatch):
    monkeypatch.delenv(paths.MODEL_ROOT_ENV, raising=False)


def test_the_repository_root_is_this_clone():
    assert paths.REPO_ROOT == REPO_ROOT and paths.IN_REPO
    assert paths.RUNS_DIR == REPO_ROOT / "runs"
    assert paths.REPO_DATA_DIR == REPO_ROOT / "data" / "MNIST"


def test_the_notebooks_names_for_it_stay_importable():
    assert notebook.REPO_ROOT == paths.REPO_ROOT and notebook.RUNS_DIR == paths.RUNS_DIR
    assert models.MODEL_ROOT_ENV == paths.MODEL_ROOT_ENV == "TUTORIAL17_MODEL_ROOT"


def test_the_default_model_root_is_runs_of_the_repository(no_model_root_env):
    assert paths.default_model_root() == REPO_ROOT / "runs"
    assert models.default_model_root() == REPO_ROOT / "runs"
    assert models.default_model_dir("cnn") == REPO_ROOT / "runs" / "checkpoints_tutorial17-2"


def test_an_empty_environment_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv(paths.MODEL_ROOT_ENV, "")
    assert paths.default_model_root() == paths.RUNS_DIR


def test_the_environment_variable_wins_everywhere(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.MODEL_ROOT_ENV, str(tmp_path))
    assert paths.default_model_root() == tmp_path
    assert models.default_model_dir("dnn") == tmp_path / "checkpoints_tutorial17-1"
    monkeypatch.setenv(notebook.SMOKE_ENV, "0")
    settings = notebook.notebook_settings("notebook")
    assert settings.model_dir("dnn") == tmp_path / "notebook" / "checkpoints_tutorial17-1"


def test_the_environment_variable_may_start_with_a_tilde(monkeypatch):
    monkeypatch.setenv(paths.MODEL_ROOT_ENV, "~/models")
    assert paths.default_model_root() == Path.home() / "models"


def test_the_notebooks_train_under_the_default_model_root(no_model_root_env, monkeypatch):
    monkeypatch.setenv(notebook.SMOKE_ENV, "1")
    assert notebook.notebook_model_root("notebook") == paths.RUNS_DIR / "notebook-smoke"


def test_the_data_comes_from_the_repository_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    assert data.default_data_dir() == paths.REPO_DATA_DIR
