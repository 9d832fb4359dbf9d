"""Directories written whole or not at all: a failed export leaves nothing that looks valid."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import InputError


def refuse_non_empty(target, what):
    """Raise InputError if ``target`` exists as a file or a non-empty directory."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{what}: {target} already exists; choose a new directory "
                         "(nothing was overwritten)")


@contextlib.contextmanager
def staged_directory(target, what):
    """Yield a temporary directory next to ``target``; rename it to ``target`` on success.

    ``target`` must not exist yet, or be empty (:func:`refuse_non_empty`). If the
    body raises, the temporary directory is removed and ``target`` is untouched.
    """
    target = Path(target)
    refuse_non_empty(target, what)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    os.chmod(staging, 0o755)  # mkdtemp's 0700 would make the result private
    try:
        yield staging
        os.rename(staging, target)  # fails rather than replace a non-empty directory
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # only the temporary directory made above
        raise
