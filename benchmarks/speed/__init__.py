"""Parts of ``benchmarks/training_speed.py``: settings, worker, orchestrator and report.

``settings`` holds what every part shares; ``worker`` runs in the timed subprocesses
(it loads TensorFlow); ``orchestrator`` starts them and collects their results;
``report`` turns the results into Markdown with ``report_template.md``.
"""
