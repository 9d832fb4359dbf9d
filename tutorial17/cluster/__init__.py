"""Training on a TensorFlow cluster: ``python -m tutorial17 cluster`` and ``cluster-task``.

- :mod:`.launcher`: a local cluster of processes on loopback, started, watched and stopped.
- :mod:`.task`: one task of a cluster, the role ``TF_CONFIG`` names (any machine).
- :mod:`.cli`: the two subcommands.
- :mod:`.dataset_inputs`: ``tf.data`` input functions, which distribution strategies need.

See docs/cluster.md.
"""
