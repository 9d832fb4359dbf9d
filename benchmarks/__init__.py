"""Speed measurements: scripts, not tests (docs/benchmarks.md, docs/cluster.md).

Each runs as a file (``python benchmarks/training_speed.py``); its parts and the tests import
them as modules of this package (``from benchmarks.speed import report``) with the repository
root on ``sys.path`` (pytest's ``pythonpath``; a script run as a file puts it there itself).
"""
