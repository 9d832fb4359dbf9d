"""Checks on command-line arguments shared by every subcommand, each failing in one line."""

import argparse

from .errors import Tutorial17Error


class UsageError(Tutorial17Error):
    """A command-line argument is wrong."""


def whole_number(minimum):
    """An argparse type: an int of at least ``minimum`` ("must be positive" when it is 1)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            need = "must be positive" if minimum == 1 else f"must be at least {minimum}"
            raise argparse.ArgumentTypeError(f"{value} {need}")
        return value
    return parse


positive_int = whole_number(1)


def positive_number(text):
    """An argparse type: a float greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value:g} must be positive")
    return value


def check_dir(option, path):
    """A UsageError unless ``path`` is an existing directory."""
    if not path.exists():
        raise UsageError(f"{option} {path}: no such directory")
    if not path.is_dir():
        raise UsageError(f"{option} {path}: not a directory")


def check_data_dir(path):
    """``--data-dir``, when given, must be an existing directory."""
    if path is not None:
        check_dir("--data-dir", path)


def check_not_a_file(option, path):
    """Output directories may be created, but not where a file already is."""
    if path is not None and path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path}: exists and is not a directory")
