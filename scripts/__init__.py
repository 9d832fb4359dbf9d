"""The project's own commands (make notebooks, make test-matrix, .ci/run, make notebook).

Each runs as a file (``python scripts/run_notebooks.py``); tests and sibling scripts import
them as modules of this package (``from scripts import run_notebooks``) with the repository
root on ``sys.path`` (pytest's ``pythonpath``; a script run as a file puts it there itself).
"""
