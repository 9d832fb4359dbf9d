"""Shared fixtures: a tiny but real slice of MNIST, written once per test session."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from tutorial17 import data  # noqa: E402
from tutorial17.smoke import SMOKE_DATA_ARGS  # noqa: E402

# The smoke slice: 5,300 training records (the 5,000 of the validation split plus 300 to
# train on) and 300 test records.
TINY_TRAIN_RECORDS = SMOKE_DATA_ARGS["num_train_records"]
TINY_TEST_RECORDS = SMOKE_DATA_ARGS["num_test_records"]


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory):
    """A directory holding the first records of the four real MNIST files."""
    return data.write_subset(tmp_path_factory.mktemp("mnist-tiny"),
                             TINY_TRAIN_RECORDS, TINY_TEST_RECORDS)


@pytest.fixture(scope="session")
def tiny_data(tiny_data_dir):
    return data.read_data_sets(tiny_data_dir)
