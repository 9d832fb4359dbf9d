"""What every subcommand shares: argument types, options, checks and one-line errors.

Each check fails in one line: a :class:`~tutorial17.errors.UsageError` naming
the flag, or argparse's own message through :class:`OneLineParser`. Library
functions name their parameters instead (``port=6006: already in use``);
:func:`flag_message` puts the flags back for the command line.
"""

import argparse
import re
from pathlib import Path

from ..errors import UsageError
from ..registry import MODEL_NAMES

MAX_PORT = 65535


# --- Argument types, each failing in one line. ---

def whole_number(minimum):
    """Return an argparse type: an int of at least ``minimum`` ("must be positive" for 1)."""
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


def port_number(text):
    """Parse a TCP port, 0 to 65535 (an argparse type; 0 asks for any free port)."""
    value = whole_number(0)(text)
    if value > MAX_PORT:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-{MAX_PORT})")
    return value


def positive_number(text):
    """Parse a float greater than 0 (an argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value:g} must be positive")
    return value


# --- Checks of paths, before anything is read or written. ---

def check_dir(option, path):
    """Raise a UsageError unless ``path`` is an existing directory."""
    if not path.exists():
        raise UsageError(f"{option} {path}: no such directory")
    if not path.is_dir():
        raise UsageError(f"{option} {path}: not a directory")


def check_data_dir(path):
    """Check that ``--data-dir``, when given, is an existing directory."""
    if path is not None:
        check_dir("--data-dir", path)


def check_not_a_file(option, path):
    """Refuse an output directory where a file already is (it may be created otherwise)."""
    if path is not None and path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path}: exists and is not a directory")


# --- Options several subcommands share, declared once. ---

def add_model_option(parser):
    """Add ``--model {dnn,cnn}`` (required) to ``parser``."""
    parser.add_argument("--model", choices=MODEL_NAMES, required=True,
                        help="dnn: canned DNNClassifier; cnn: custom CNN model_fn")


def add_data_dir_option(parser):
    """Add ``--data-dir DIR`` to ``parser``."""
    parser.add_argument("--data-dir", type=Path, help="directory of the four MNIST .gz files")


def add_no_progress_option(parser):
    """Add ``--no-progress`` to ``parser``."""
    parser.add_argument("--no-progress", action="store_true", help="no progress line")


# --- Errors in one line, in the command line's words. ---

class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, not a usage block."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see --help)")


# Fields whose flag is not their own name: ClusterOptions(num_workers=...) is --workers.
FLAGS_BY_FIELD = {"num_workers": "--workers", "num_ps": "--ps"}


def flag_name(parameter):
    """Return the command-line flag of a library parameter: ``model_root`` -> ``--model-root``."""
    return FLAGS_BY_FIELD.get(parameter) or "--" + parameter.replace("_", "-")


def flag_message(error):
    """Return the message of ``error`` with the parameters it names written as flags.

    An error that names its parameters (``options``, or ``option`` alone, as
    :class:`~tutorial17.errors.ArgumentError` does) words them ``name=value``;
    that becomes ``--name value``, and ``name=True`` a bare ``--name``. Other
    errors keep their message.
    """
    names = getattr(error, "options", None) or (getattr(error, "option", None),)
    message = str(error)
    for name in filter(None, names):
        flag = flag_name(name)
        message = re.sub(rf"(?<![\w-]){re.escape(name)}=(True\b)?",
                         lambda m, flag=flag: flag if m.group(1) else flag + " ", message)
    return message
