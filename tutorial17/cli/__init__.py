"""Command line: ``python -m tutorial17 {walkthrough,train,...,tensorboard,cluster,...}``.

Bad arguments and missing files give one line on stderr and exit status 2.
Ctrl-C while training saves a checkpoint of the current step, says so in one
line and exits with status 130 (128 + SIGINT, the shell's convention).

The subcommands live in modules by purpose: :mod:`.training` (``walkthrough``,
``train``, ``evaluate``, ``predict``), :mod:`.inspection` (``info``,
``tensorboard``) and :mod:`.cluster` (``cluster``, ``cluster-task``); the types,
options and checks they share are in :mod:`.options`. Library errors name
their function's parameters; :func:`main` shows them as flags.
"""

import os
import sys

from ..errors import Tutorial17Error
from . import cluster, inspection, training
from .options import OneLineParser, flag_message

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

SUBCOMMAND_MODULES = (training, inspection, cluster)
"""Each adds its subcommands (``add_parsers``), in the order ``--help`` lists them."""


def build_parser():
    """Return the parser of every subcommand; each sets ``run``, the function to call."""
    parser = OneLineParser(prog="python -m tutorial17",
                           description="TensorFlow Tutorial #17 (Estimator API) on MNIST.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for module in SUBCOMMAND_MODULES:
        module.add_parsers(sub)
    return parser


def run():
    """Run the command line as the program (``python -m tutorial17``, ``tutorial17``) and exit.

    After Ctrl-C it exits at once once its output is flushed: by then what had to be
    saved or stopped has been, and TensorFlow's teardown at exit can take seconds
    more on a busy machine.
    """
    status = main()
    if status == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def main(argv=None):
    """Run the command line; return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except Tutorial17Error as e:
        print(f"error: {flag_message(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as e:  # TrainingInterrupted says where its checkpoint is
        print(f"interrupted: {e}" if str(e) else "interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
