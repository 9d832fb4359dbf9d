"""JupyterLab at the repository root with the walkthrough notebook open: ``make notebook``.

With the repository as JupyterLab's root, every relative link of the notebooks
(``../docs/notebooks.md``, the other notebook) opens inside JupyterLab. The
arguments are built here once: ``make notebook`` runs this script, and
``tests/test_notebook_links.py`` starts the server from :func:`lab_command`.

    python scripts/jupyter_lab.py [JUPYTER LAB OPTION ...]   # e.g. --no-browser --port 8890
"""

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIRST_NOTEBOOK = "notebooks/17_Estimator_API.ipynb"


def lab_command(*options):
    """Return the command line of this environment's JupyterLab, rooted at the repository.

    ``options`` are passed on to ``jupyter lab`` (``--no-browser``, ``--port=N``, ...).
    """
    # root_dir given explicitly: with a file to open, JupyterLab roots itself at the file's
    # directory otherwise. Containers often run as root, which JupyterLab refuses unless told.
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={REPO_ROOT}", *as_root,
            *options, str(REPO_ROOT / FIRST_NOTEBOOK)]


if __name__ == "__main__":
    command = lab_command(*sys.argv[1:])
    os.execv(command[0], command)  # JupyterLab itself takes Ctrl-C and asks before stopping
