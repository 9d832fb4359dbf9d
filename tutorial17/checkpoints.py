"""The check that the checkpoint on disk still fits the model (the tutorial's exercise 3).

Change a network's structure and train again in the same model directory, and
TensorFlow fails while restoring with pages of text. :func:`checked_model_fn`
wraps a ``model_fn`` so that, once the graph is built and before anything is
restored, the model's variables are compared with the checkpoint's and a
:class:`~tutorial17.errors.CheckpointMismatchError` names the variables that
differ. Nothing is ever deleted: the fix is a fresh model directory.
"""

import functools
import inspect
import os
import re

import tensorflow.compat.v1 as tf

from .errors import CheckpointMismatchError, NoCheckpointError

CHECKPOINT_STATE_FILE = "checkpoint"
"""The small text file in which TensorFlow names a model directory's latest checkpoint."""
MAX_NAMES_SHOWN = 4
"""Variables named per kind (missing, unexpected, shape changed) in the message."""

# Variables an optimizer keeps besides its per-variable slots (Adam's running
# powers of beta1 and beta2).
_OPTIMIZER_GLOBALS = re.compile(r"(^|/)beta[12]_power(_\d+)?$")


def latest_checkpoint(model_dir):
    """Return the newest checkpoint's path prefix in ``model_dir``, or None."""
    return tf.train.latest_checkpoint(os.fspath(model_dir))


def checkpoint_state_stamp(model_dir):
    """Return ``(inode, size, mtime)`` of ``model_dir``'s checkpoint state file, or None.

    One ``stat``: they change whenever TensorFlow names a new latest checkpoint
    (it writes a new state file and renames it over the old one).
    """
    try:
        st = os.stat(os.path.join(model_dir, CHECKPOINT_STATE_FILE))
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def checkpoint_step(model_dir):
    """Return the global step of the latest checkpoint in ``model_dir`` (None if there is none)."""
    checkpoint = latest_checkpoint(model_dir)
    if checkpoint is None:
        return None
    return int(tf.train.load_variable(checkpoint, "global_step"))


def resolve_checkpoint(source):
    """Return the checkpoint path of an estimator, a model directory or a checkpoint prefix.

    Raises :class:`NoCheckpointError` when there is none yet.
    """
    if hasattr(source, "model_dir") and hasattr(source, "config"):  # an Estimator
        source = source.model_dir
    path = os.fspath(source)
    if os.path.isdir(path):
        found = latest_checkpoint(path)
        if found is None:
            raise NoCheckpointError(f"no checkpoint in {path}; train the model first")
        return found
    if tf.train.checkpoint_exists(path):
        return path
    raise NoCheckpointError(f"{path}: neither a model directory nor a checkpoint")


def _tails(path):
    """Return ``path`` and its tails: ``a/b/c``, ``b/c``, ``c``."""
    parts = path.split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


def is_optimizer_state(name, all_names):
    """Return True for an optimizer's variable, ``name`` being one of ``all_names``.

    That is a slot such as ``layer_fc1/kernel/Adam`` (named after another
    variable) or Adam's ``beta1_power``/``beta2_power``.

    Under ``MirroredStrategy`` the slots sit in the model's name scope once more
    (``dnn/dnn/logits/kernel/Adagrad`` for ``dnn/logits/kernel``), so a slot's
    variable may also be a tail of its path.
    """
    if _OPTIMIZER_GLOBALS.search(name):
        return True
    parent = name
    while "/" in parent:
        parent = parent.rsplit("/", 1)[0]
        if any(tail in all_names for tail in _tails(parent)):
            return True
    return False


def checkpoint_variables(checkpoint_path):
    """Return ``{name: shape}`` of every variable stored in a checkpoint."""
    return {name: tuple(shape) for name, shape in tf.train.list_variables(checkpoint_path)}


def graph_variables(graph=None):
    """Return ``{name in a checkpoint: shape}`` of the global variables of ``graph``.

    ``graph`` defaults to the current one. A partitioned variable is listed
    once, under its full name.
    """
    graph = graph if graph is not None else tf.get_default_graph()
    found = {}
    for var in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES):
        info = getattr(var, "_save_slice_info", None)
        if info is not None:  # one part of a partitioned variable (the canned DNN's)
            found[info.full_name] = tuple(info.full_shape)
        else:
            found[var.op.name] = tuple(var.shape.as_list())
    return found


def compare(model_vars, ckpt_vars):
    """Return ``(missing, unexpected, changed)``: the model's and a checkpoint's variables compared.

    ``missing``: in the model, not in the checkpoint. ``unexpected``: in the
    checkpoint, not in the model, leaving out optimizer state (a PREDICT graph
    has no optimizer, and a changed optimizer does not change the network).
    ``changed``: ``{name: (checkpoint shape, model shape)}``.
    """
    missing = sorted(set(model_vars) - set(ckpt_vars))
    unexpected = sorted(n for n in set(ckpt_vars) - set(model_vars)
                        if not is_optimizer_state(n, ckpt_vars))
    changed = {n: (ckpt_vars[n], model_vars[n]) for n in sorted(set(model_vars) & set(ckpt_vars))
               if tuple(ckpt_vars[n]) != tuple(model_vars[n])}
    return missing, unexpected, changed


def _shape(shape):
    return str(tuple(shape))  # (16,) as numpy prints it


def _some(names):
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    more = len(names) - MAX_NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _network_first(names, all_names):
    """Return the names that are not optimizer state, or all of them if that leaves none.

    A changed layer also changes its Adam slots, which would only crowd the message.
    """
    network = [n for n in names if not is_optimizer_state(n, all_names)]
    return network or list(names)


RETRAIN_ADVICE = ("the network's structure changed since it was saved: use a fresh model "
                  "directory (nothing was deleted)")


def mismatch_error(checkpoint_path, missing, unexpected, changed, model="the model",
                   advice=RETRAIN_ADVICE):
    """Return a CheckpointMismatchError whose one-line message names what differs.

    The message reads "the checkpoint in DIR does not fit ``model`` (what
    differs); ``advice``". The error's ``missing``, ``unexpected`` and
    ``changed`` attributes hold the full lists; the message names the network's
    variables first.
    """
    all_names = set(missing) | set(unexpected) | set(changed)
    parts = []
    if changed:
        shown = _network_first(changed, all_names)
        parts.append("shape changed: " + _some(
            [f"{n} {_shape(changed[n][0])} -> {_shape(changed[n][1])}" for n in shown]))
    if missing:
        parts.append("missing from the checkpoint: " + _some(_network_first(missing, all_names)))
    if unexpected:
        parts.append("in the checkpoint but not in the model: " + _some(unexpected))
    model_dir = os.path.dirname(checkpoint_path) or "."
    error = CheckpointMismatchError(
        f"the checkpoint in {model_dir} does not fit {model} ({'; '.join(parts)}); {advice}")
    error.checkpoint_path = checkpoint_path
    error.missing, error.unexpected, error.changed = missing, unexpected, changed
    return error


def check_graph_against_checkpoint(checkpoint_path, graph=None):
    """Raise CheckpointMismatchError unless ``graph``'s variables fit the checkpoint."""
    missing, unexpected, changed = compare(graph_variables(graph),
                                           checkpoint_variables(checkpoint_path))
    if missing or unexpected or changed:
        raise mismatch_error(checkpoint_path, missing, unexpected, changed)


_MODEL_FN_ARGS = ("labels", "mode", "params", "config")


def checked_model_fn(model_fn):
    """Wrap ``model_fn`` so that building its graph checks the model directory's checkpoint.

    The check runs after ``model_fn`` has created its variables and before the
    Estimator restores anything, in whatever mode it is called (train, evaluate,
    predict, export), against the latest checkpoint in ``config.model_dir``.
    (An explicit ``checkpoint_path=`` given to ``evaluate``/``predict`` is not
    what gets checked: the latest one is.)

    This is the pattern to keep for clear errors: check where TensorFlow would
    otherwise fail with pages of text, before anything is restored, and raise
    one line that names what differs and what to do (:func:`mismatch_error`).
    Every Estimator the package makes is wrapped (:mod:`tutorial17.models`);
    wrap a ``model_fn`` of your own the same way.
    """
    if getattr(model_fn, "checks_checkpoint", False):
        return model_fn
    wanted = set(inspect.signature(model_fn).parameters) & set(_MODEL_FN_ARGS)

    # The Estimator passes only the arguments a model_fn names, so this one names
    # them all and hands on those the wrapped function takes.
    @functools.wraps(model_fn)
    def model_fn_with_check(features, labels, mode, params, config):
        given = {"labels": labels, "mode": mode, "params": params, "config": config}
        spec = model_fn(features, **{k: v for k, v in given.items() if k in wanted})
        checkpoint = latest_checkpoint(config.model_dir) if config.model_dir else None
        if checkpoint is not None:
            check_graph_against_checkpoint(checkpoint)
        return spec

    del model_fn_with_check.__wrapped__  # the Estimator must see this function's arguments
    model_fn_with_check.checks_checkpoint = True
    return model_fn_with_check
