"""Training on a TensorFlow cluster: ``python -m tutorial17 cluster`` and ``cluster-task``.

- :mod:`.launcher`: a run of a local cluster on loopback, options in, result out.
- :mod:`.spec`: the cluster's layout, its spec and what each task is told (``TF_CONFIG``).
- :mod:`.processes`: the tasks' processes, started, watched, stopped and reaped.
- :mod:`.status`: what the tasks leave behind (status files, evaluations, logs), read back.
- :mod:`.progress_line`: the run's one progress line, fed by the chief's reports.
- :mod:`.task`: one task of a cluster, the role ``TF_CONFIG`` names (any machine).
- :mod:`.cli`: the two subcommands.
- :mod:`.dataset_inputs`: ``tf.data`` input functions, which distribution strategies need.

See docs/cluster.md.
"""
