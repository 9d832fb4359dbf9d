"""One trainer per model directory: a lock file that the kernel releases when its holder dies.

Two processes training into the same model directory would overwrite each
other's checkpoints and interleave their global steps. :func:`lock_model_dir`
takes an exclusive ``flock`` on ``<model_dir>/.tutorial17.lock``; a second
trainer gets a :class:`ModelDirBusyError` at once instead of waiting. The lock
belongs to the open file, so a killed process leaves nothing stuck: the file
stays (it is empty but for the holder's process id) and the next trainer simply
takes the lock again. Readers (evaluate, predict) take no lock.

On systems without ``fcntl`` (Windows) and for remote model directories
(``gs://...``) no lock is taken.
"""

import contextlib
import os
from pathlib import Path

from ..errors import ModelDirBusyError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_FILE_NAME = ".tutorial17.lock"


def lock_path(model_dir):
    """Return the path of the lock file of ``model_dir``."""
    return Path(model_dir) / LOCK_FILE_NAME


def _holder(path):
    """Return the process id the lock's holder wrote, as text ('' if unknown)."""
    try:
        return path.read_text().strip()
    except OSError:
        return ""


@contextlib.contextmanager
def lock_model_dir(model_dir):
    """Hold the training lock of ``model_dir`` (created if missing) for the ``with`` block.

    Raises :class:`ModelDirBusyError` at once if another trainer holds it.
    """
    if fcntl is None or "://" in str(model_dir):  # no fcntl, or a remote (gs://) directory
        yield None
        return
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    path = lock_path(model_dir)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _holder(path)
            who = f"process {pid}" if pid else "another process"
            raise ModelDirBusyError(
                f"{model_dir}: {who} is training into this model directory; wait for it "
                "to finish or choose another model directory") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
