"""What a cluster's tasks leave behind, and how the launcher reads it.

- **Status files** (``<task>.json`` in the run directory): each task started with
  ``--status-file`` replaces its file, atomically, with its latest record:
  ``{"step", "loss", "local_steps", "time"}`` while it trains (``step`` is the
  global step, ``local_steps`` the task's own), then ``"saved": true`` once the
  chief's training session has saved its last checkpoint and ``"done": true``
  when the task has finished. :class:`~.task.StatusFileHook` writes them.
- **The evaluator's metrics**, in the model directory's ``eval/`` events files,
  the same ones TensorBoard shows.
- **Logs** (``<task>.log``): each task's output, of which a failure quotes the end.
"""

import json
import os
import time
from pathlib import Path

from ..errors import ClusterError
from ..events import EVAL_DIR, read_scalars

LOG_TAIL_LINES = 3


def write_status(path, **fields):
    """Replace the JSON status file ``path``, atomically, with ``fields`` plus the time."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({**fields, "time": time.time()}))
    os.replace(tmp, path)


def read_status(path):
    """Return the JSON status a task last wrote, or None if there is none (yet)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def read_eval_metrics(model_dir, eval_dir=EVAL_DIR):
    """Return the last evaluation in ``model_dir/eval`` as ``{"step", "accuracy", "loss"}``.

    None if there is none. Reads the evaluator's events files, the same ones
    TensorBoard shows.
    """
    scalars = read_scalars(Path(model_dir, eval_dir))
    found = {}  # step -> {tag: value}
    for tag in ("accuracy", "loss"):
        for step, value in zip(*scalars.get(tag, ((), ()))):
            found.setdefault(int(step), {})[tag] = float(value)
    complete = [step for step, values in found.items() if len(values) == 2]
    if not complete:
        return None
    step = max(complete)
    return {"step": step, **found[step]}


def read_final_results(model_dir, chief_status_file):
    """Return ``(global step, metrics)`` of a finished run, as :func:`read_eval_metrics` gives.

    The global step is the one the chief last reported, else the evaluated one.
    Raises :class:`~tutorial17.errors.ClusterError` if nothing was evaluated.
    """
    metrics = read_eval_metrics(model_dir)
    if metrics is None:
        raise ClusterError(f"no evaluation results in {Path(model_dir, EVAL_DIR)}")
    step = (read_status(chief_status_file) or {}).get("step")
    return (metrics["step"] if step is None else int(step)), metrics


def log_tail(path, lines=LOG_TAIL_LINES):
    """Return the last ``lines`` lines of the log ``path`` joined by `` | ``; "" if unreadable."""
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def first_line_starting(path, prefix):
    """Return the first line of the log ``path`` that starts with ``prefix``, or a stand-in."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    return next((line for line in lines if line.startswith(prefix)), f"{prefix} (not logged)")
