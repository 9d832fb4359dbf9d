"""``python -m tutorial17``: see :mod:`tutorial17.cli`."""

from .cli import run

run()
