"""The subcommands that look rather than train: ``info`` and ``tensorboard``."""

import platform
import sys
from pathlib import Path

import numpy as np

from .. import board
from .._runtime import report  # TF 1.15, 2.15 and 2.21 report builds and devices differently
from ..data import default_data_dir
from ..paths import default_model_root
from .options import port_number


def add_parsers(sub):
    """Add ``info`` and ``tensorboard`` to the subparsers ``sub``."""
    i = sub.add_parser("info", help="versions, devices and the data directory in use")
    i.set_defaults(run=cmd_info)

    b = sub.add_parser("tensorboard", help="TensorBoard on every model directory under a root")
    b.set_defaults(run=cmd_tensorboard)
    b.add_argument("--model-root", type=Path, default=default_model_root(),
                   help="directory whose model directories TensorBoard shows, each as a run "
                        "(default: $TUTORIAL17_MODEL_ROOT if set, else runs/ of the repository)")
    b.add_argument("--host", default=board.DEFAULT_HOST,
                   help=f"address to listen on (default: {board.DEFAULT_HOST}, this machine only)")
    b.add_argument("--port", type=port_number, default=board.DEFAULT_PORT,
                   help=f"port (default: {board.DEFAULT_PORT}; 0: any free port)")


def cmd_tensorboard(args):
    """Run ``tensorboard``: serve TensorBoard on the model root until Ctrl-C."""
    board.run_tensorboard(args.model_root, host=args.host, port=args.port)


def cmd_info(args):
    """Run ``info``: print the versions, devices and data directory in use."""
    cuda, cudnn = report.cuda_versions()
    devices = report.physical_devices()
    print(f"Python:      {platform.python_version()} ({sys.executable})")
    bridge = " (tf.estimator through tutorial17's bridge)" if report.USES_BRIDGE else ""
    print(f"TensorFlow:  {report.TF_VERSION}{bridge}")
    print(f"numpy:       {np.__version__}")
    print(f"Devices:     {', '.join(devices) or 'none'}")
    print(f"Built with CUDA: {cuda}, cuDNN: {cudnn}")
    capabilities = report.compute_capabilities()
    if capabilities:  # sm_XY runs natively on compute capability X.Y; compute_XY is PTX
        print(f"GPU code for: {capabilities}")
    print(f"Data dir:    {default_data_dir()}")
