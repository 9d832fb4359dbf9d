"""Where things are: the repository, and the default places for data and model directories.

In a clone of the repository (the package next to its ``pyproject.toml`` and
``notebooks/``) the defaults are the repository's ``data/MNIST`` and ``runs/``,
whatever the working directory; an installed copy without the repository uses
``~/.cache/tutorial17/`` instead. The repository root is found here and nowhere
else, so the data, the command line and the notebooks agree on it.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The directory holding the package: the repository's root in a clone (see :data:`IN_REPO`)."""

IN_REPO = (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "notebooks").is_dir()
"""True when the package runs from a clone of the repository (an editable install, say)."""

CACHE_DIR = Path.home() / ".cache" / "tutorial17"
"""The defaults' home outside a clone."""

REPO_DATA_DIR = REPO_ROOT / "data" / "MNIST"
"""The MNIST files that ship with the repository."""

RUNS_DIR = REPO_ROOT / "runs" if IN_REPO else CACHE_DIR / "runs"
"""The default model root: ``runs/`` of the repository (``.gitignore`` covers it)."""

MODEL_ROOT_ENV = "TUTORIAL17_MODEL_ROOT"
"""Environment variable that overrides the default model root."""


def default_model_root():
    """Return where model directories go when none is given.

    That is ``$TUTORIAL17_MODEL_ROOT`` if set, else :data:`RUNS_DIR`: ``runs/``
    of the repository, or ``~/.cache/tutorial17/runs`` outside a clone. The
    command line (``walkthrough``, ``tensorboard``, ...), the notebooks and
    :func:`tutorial17.models.default_model_dir` all start from it.
    """
    from_env = os.environ.get(MODEL_ROOT_ENV)
    return Path(from_env).expanduser() if from_env else RUNS_DIR
