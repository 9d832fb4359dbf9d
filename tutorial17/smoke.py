"""Smoke mode: a tiny slice of real MNIST and a few steps, for CI and quick checks.

Set ``TUTORIAL17_SMOKE=1`` and the notebooks use :data:`SMOKE_DATA_ARGS` and
:data:`SMOKE_STEPS` instead of the full data and 2,000 steps.
"""

import os

SMOKE_ENV = "TUTORIAL17_SMOKE"

# 5,300 training records keep the 5,000-record validation split of the full
# run and leave 300 for training; 300 test records hold the first 9 of the walkthrough.
SMOKE_DATA_ARGS = {"num_train_records": 5300, "num_test_records": 300}
SMOKE_STEPS = 20


def smoke_mode():
    """True when ``TUTORIAL17_SMOKE`` is set to something other than ``0``."""
    return os.environ.get(SMOKE_ENV, "") not in ("", "0")
