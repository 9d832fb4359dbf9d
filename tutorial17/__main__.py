"""``python -m tutorial17``: see :mod:`tutorial17.cli`."""

import sys

from .cli import main

sys.exit(main())
