"""The four ways of training the walkthrough's networks that ``training_speed.py`` compares.

(a) ``BareLoop``: the model function's own ``train_op`` run in a plain ``tf.Session``
    on batches already staged in a variable: the compute limit on this machine.
(b) ``EstimatorRun`` with ``numpy_input_fn`` (``inputs.make_train_input_fn``): the original.
(c) ``EstimatorRun`` with ``inputs.make_fast_train_input_fn``: the package's recommended path.
(d) ``KerasRun``: the same layers in ``tf.keras`` ``model.fit`` on the numpy arrays.

Two more split the gap between (a) and (c) into its causes (the profile):

(a+input) ``BareLoop`` fed by ``make_fast_train_input_fn`` instead of staged batches:
    what the input function itself costs per step.
(c lean) ``EstimatorRun`` with summaries, step-rate logging and the progress line off:
    what ``Estimator.train``'s own per-step machinery costs, beyond those hooks.

Every variant trains in segments of ``steps`` steps and returns one time stamp per
step (wall clock, process CPU time), so warm-up can be cut off afterwards.
"""

import os
import tempfile
import time

from tutorial17 import inputs, keras_models, models, workflow

import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf

BATCH_SIZE = inputs.BATCH_SIZE
VARIANTS = ("a", "b", "c", "d")
PROFILE_VARIANTS = ("a_input", "c_lean")


def stamp():
    """Return the time now: ``(wall seconds, process CPU seconds)``."""
    return time.perf_counter(), time.process_time()


def steady(stamps, warmup):
    """Return steps/s and CPU ms per step over the stamps after the first ``warmup`` steps."""
    window = stamps[warmup:]
    if len(window) < 2:
        raise ValueError(f"{len(stamps)} steps timed, need more than warm-up {warmup} + 1")
    steps = len(window) - 1
    wall = window[-1][0] - window[0][0]
    cpu = window[-1][1] - window[0][1]
    return {"steps_per_s": steps / wall, "cpu_ms_per_step": 1000.0 * cpu / steps,
            "steps": steps}


def session_config(estimator):
    """Return the ConfigProto the Estimator itself runs its sessions with."""
    if estimator.config.session_config is not None:
        return estimator.config.session_config
    from tensorflow_estimator.python.estimator.run_config import get_default_session_config

    return get_default_session_config()


class StampHook(tf.train.SessionRunHook):
    """Session hook that appends a time stamp after every training step."""

    def __init__(self, stamps):
        self.stamps = stamps

    def after_run(self, run_context, run_values):
        self.stamps.append(stamp())


class BareLoop:
    """(a) The estimator's own model function, its ``train_op`` in a plain Session.

    One shuffled epoch of batches sits in a variable; step ``i`` trains on batch
    ``i mod n``. No hooks, no summaries, no checkpoints, no input pipeline.
    With ``input_fn`` (the profile's "a_input"), batches come from it instead.
    """

    def __init__(self, model, images, cls, seed=models.DEFAULT_SEED, input_fn=None):
        self._model_dir = tempfile.mkdtemp(prefix="tutorial17-bench-a-")
        order = np.random.default_rng(seed).permutation(len(images))
        num_batches = len(images) // BATCH_SIZE
        order = order[:num_batches * BATCH_SIZE]
        staged_x = images[order].reshape(num_batches, BATCH_SIZE, -1)
        staged_y = cls[order].reshape(num_batches, BATCH_SIZE)
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.set_random_seed(seed)
            step = tf.train.get_or_create_global_step()
            x_in = tf.placeholder(tf.float32, staged_x.shape)
            y_in = tf.placeholder(tf.int64, staged_y.shape)
            x_var = tf.Variable(x_in, trainable=False, collections=[], use_resource=True)
            y_var = tf.Variable(y_in, trainable=False, collections=[], use_resource=True)
            index = tf.floormod(step, num_batches)
            features, labels = {"x": tf.gather(x_var, index)}, tf.gather(y_var, index)
            if input_fn is not None:
                features, labels = input_fn()
            estimator = models.make_estimator(model, model_dir=self._model_dir)
            spec = estimator.model_fn(features, labels, tf.estimator.ModeKeys.TRAIN,
                                      estimator.config)
            self.train_op = spec.train_op
            self.session = tf.Session(config=session_config(estimator))
            self.session.run([x_var.initializer, y_var.initializer],
                             {x_in: staged_x, y_in: staged_y})
            self.session.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            self.graph.finalize()

    def train(self, steps):
        """Train ``steps`` steps; return ``steps + 1`` time stamps, the first before step 1."""
        stamps = [stamp()]
        for _ in range(steps):
            self.session.run(self.train_op)
            stamps.append(stamp())
        return stamps

    def close(self):
        """Close the session and remove the empty model directory."""
        self.session.close()
        os.rmdir(self._model_dir)  # nothing was written into it


class EstimatorRun:
    """(b) or (c): ``workflow.train`` (progress line included) with one input function.

    ``lean`` (the profile's "c lean"): no summaries, no step-rate logging, no progress line.
    """

    def __init__(self, model, images, cls, fast, model_dir, lean=False):
        config = None
        if lean:
            config = models.make_run_config(model_dir, save_summary_steps=None,
                                            log_step_count_steps=None)
        self.estimator = models.make_estimator(model, model_dir=model_dir, config=config)
        factory = inputs.make_fast_train_input_fn if fast else inputs.make_train_input_fn
        self.input_fn = factory(images, cls)
        # Open across train calls, closed by close().
        self._progress = False if lean else open(os.devnull, "w")  # noqa: SIM115

    def train(self, steps):
        """Train ``steps`` steps; return ``steps + 1`` time stamps, the first before step 1."""
        stamps = [stamp()]
        workflow.train(self.estimator, self.input_fn, steps=steps, progress=self._progress,
                       hooks=[StampHook(stamps)])
        return stamps

    def close(self):
        """Close the progress line's sink."""
        if self._progress:
            self._progress.close()


def keras_network(model):
    """Build the walkthrough's network in ``tf.keras`` (the package's one Keras definition)."""
    return keras_models.build(model, keras=tf2.keras)


def keras_compile(net, model):
    """Compile ``net`` with the estimators' optimizer and loss.

    The report states them in its notes on (d) (``speed/report_template.md``): keep both alike.
    """
    keras = tf2.keras
    if model == "dnn":
        optimizer = keras.optimizers.Adagrad(learning_rate=0.05, initial_accumulator_value=0.1)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    else:
        optimizer = keras.optimizers.Adam(learning_rate=models.CNN_LEARNING_RATE, epsilon=1e-8)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    net.compile(optimizer=optimizer, loss=loss)  # no metrics: the estimators compute none


class _StopAfter(tf2.keras.callbacks.Callback):
    """Keras callback that stamps every step and stops ``fit`` after ``steps`` steps.

    It stops mid-epoch if need be.
    """

    def __init__(self, steps, stamps):
        super().__init__()
        self.steps, self.stamps = steps, stamps

    def on_train_batch_end(self, batch, logs=None):
        self.stamps.append(stamp())
        if len(self.stamps) > self.steps:
            self.model.stop_training = True


class KerasRun:
    """(d) ``model.fit(x, y, batch_size=128)`` on the numpy arrays, shuffled each epoch."""

    def __init__(self, model, images, cls, seed=models.DEFAULT_SEED):
        tf2.keras.utils.set_random_seed(seed)
        self.images, self.cls = images, cls
        self.net = keras_network(model)
        keras_compile(self.net, model)

    def train(self, steps):
        """Train ``steps`` steps; return ``steps + 1`` time stamps, the first before step 1."""
        stamps = [stamp()]
        epochs = -(-steps // -(-len(self.images) // BATCH_SIZE))  # ceil(steps / batches per epoch)
        self.net.fit(self.images, self.cls, batch_size=BATCH_SIZE, epochs=epochs, shuffle=True,
                     verbose=0, callbacks=[_StopAfter(steps, stamps)])
        return stamps

    def accuracy(self, images, cls):
        """Return the fraction of ``images`` classified as ``cls``."""
        logits = self.net.predict(images, batch_size=BATCH_SIZE, verbose=0)
        return float(np.mean(np.argmax(logits, axis=1) == cls))

    def close(self):
        """Release nothing: the model lives as long as the process."""
        pass
