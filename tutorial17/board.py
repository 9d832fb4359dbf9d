"""TensorBoard on the model directories: what ``python -m tutorial17 tensorboard`` runs.

It starts the TensorBoard installed next to this Python (``python -m
tensorboard.main``, the real server) on a model root, so that every model
directory under it shows up as a run, prints the URL in one line and stops the
server, and all it started, on Ctrl-C. TensorBoard's own start-up lines are
dropped unless ``TUTORIAL17_VERBOSE=1``.

Bad arguments raise an :class:`~tutorial17.errors.ArgumentError` that names the
parameter (``port=6006: already in use ...``); the command line shows its flag.
"""

import contextlib
import importlib.util
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ._runtime.verbosity import wants_verbose
from .errors import ArgumentError, TensorBoardError
from .events import find_event_dirs

DEFAULT_HOST = "127.0.0.1"  # this machine only; host 0.0.0.0 serves the network
DEFAULT_PORT = 6006  # TensorBoard's own default
START_TIMEOUT_SECONDS = 120  # TensorBoard imports TensorFlow first: seconds on a busy machine
STOP_TIMEOUT_SECONDS = 10
# TensorBoard 1.15 and 2.x announce themselves alike once they serve:
#   "TensorBoard 2.15.2 at http://127.0.0.1:6006/ (Press CTRL+C to quit)"
SERVING_LINE = re.compile(r"TensorBoard (\S+) at (https?://\S+)")


def tensorboard_command(logdir, host=DEFAULT_HOST, port=DEFAULT_PORT):
    """Return the command that runs this environment's TensorBoard on ``logdir``."""
    return [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir),
            "--host", host, "--port", str(port)]


def check_tensorboard_installed():
    """Raise a TensorBoardError unless TensorBoard can be imported by this Python."""
    if importlib.util.find_spec("tensorboard") is None:
        raise TensorBoardError(f"TensorBoard is not installed for {sys.executable}; "
                               "make venv installs it with the project's pinned versions")


def check_model_root(model_root):
    """Return the directories holding event files under ``model_root``.

    Raises an ArgumentError, in one line, for a missing directory or one without events.
    """
    model_root = Path(model_root)
    if not model_root.is_dir():
        raise ArgumentError(f"model_root={model_root}: no such directory; train a model "
                            "first (make run writes into runs/)", "model_root")
    runs = find_event_dirs(model_root)
    if not runs:
        raise ArgumentError(f"model_root={model_root}: no TensorBoard event files under it; "
                            "train a model there first (make run writes into runs/)",
                            "model_root")
    return runs


def pick_port(host, port):
    """Return ``port`` if it is free on ``host``, or a free port if ``port`` is 0.

    Raises an ArgumentError for a port in use or a host this machine cannot listen on.
    (Another program may still take the port before TensorBoard does; TensorBoard
    then stops and says so.)
    """
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
            return probe.getsockname()[1]
    except socket.gaierror as e:
        raise ArgumentError(f"host={host}: not a host name or address this machine knows "
                            f"({e.strerror})", "host") from None
    except OSError as e:
        if port and e.errno in (98, 48):  # EADDRINUSE on Linux, macOS
            raise ArgumentError(f"port={port}: already in use on {host} (another "
                                "TensorBoard?); pick another with port=N, or port=0 for any "
                                "free one", "port") from None
        raise ArgumentError(f"host={host} port={port}: cannot listen there ({e.strerror})",
                            "host", "port") from None


class _Output:
    """TensorBoard's merged stdout and stderr, read line by line in a thread.

    The lines are dropped (or echoed to stderr when verbose) but the last few are
    kept for the message if TensorBoard stops before serving.
    """

    def __init__(self, stream, echo):
        self.lines = queue.Queue()
        self.tail = []
        self._echo = echo
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, ""):
            if self._echo:
                sys.stderr.write(line)
            if line.strip():
                self.tail = (self.tail + [line.strip()])[-5:]
            self.lines.put(line)

    def wait_for_serving_line(self, proc, timeout):
        """Return the match of TensorBoard's serving line, or raise once it stopped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = SERVING_LINE.search(self.lines.get(timeout=0.2))
            except queue.Empty:
                found = None
                if proc.poll() is not None:
                    self._thread.join(timeout=1)
                    last = self.tail[-1] if self.tail else "no output"
                    raise TensorBoardError(f"TensorBoard stopped before serving (exit status "
                                           f"{proc.returncode}): {last}") from None
            if found:
                return found
        raise TensorBoardError(f"TensorBoard did not start serving within {timeout} s; "
                               "TUTORIAL17_VERBOSE=1 shows its output")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def stop_tensorboard(proc, timeout=STOP_TIMEOUT_SECONDS):
    """Stop TensorBoard and everything it started (its data server): its process group.

    SIGTERM first, which TensorBoard handles by exiting cleanly, then SIGKILL
    after ``timeout`` seconds.
    """
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever of the group is left
    proc.wait()


def run_tensorboard(model_root, host=DEFAULT_HOST, port=DEFAULT_PORT):
    """Serve TensorBoard on ``model_root`` until Ctrl-C (or SIGTERM, SIGHUP), then stop it.

    Checks first, each failing in one line: TensorBoard installed, ``model_root``
    with event files, ``host`` and ``port`` usable. Prints one line with the URL
    once TensorBoard serves, and one when it stopped.
    """
    check_tensorboard_installed()
    runs = check_model_root(model_root)
    port = pick_port(host, port)
    env = dict(os.environ)
    if not wants_verbose():
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Its own process group: Ctrl-C reaches this process only, which then stops the whole
    # group, TensorBoard's data server included, and waits for it.
    proc = subprocess.Popen(tensorboard_command(Path(model_root).resolve(), host, port),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    # SIGTERM and SIGHUP stop it like Ctrl-C, unless ignored on purpose (nohup).
    handlers = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)
                if signal.getsignal(sig) != signal.SIG_IGN}
    try:
        output = _Output(proc.stdout, echo=wants_verbose())
        version, url = output.wait_for_serving_line(proc, START_TIMEOUT_SECONDS).groups()
        print(f"TensorBoard {version} on {model_root} ({len(runs)} runs): {url} "
              "(Ctrl-C stops it)", flush=True)
        status = proc.wait()
        raise TensorBoardError(f"TensorBoard stopped by itself (exit status {status}): "
                               f"{output.tail[-1] if output.tail else 'no output'}")
    except KeyboardInterrupt:
        stop_tensorboard(proc)
        print("TensorBoard stopped", flush=True)
    finally:
        stop_tensorboard(proc)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
