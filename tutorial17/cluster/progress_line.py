"""The one progress line of a cluster run, fed by the chief's status file.

The launcher reads the chief's latest status (:mod:`.status`) at every poll and
hands it to :meth:`ProgressLine.update`: the line shows the global step (which
counts every trainer's steps), the loss and a note (how many trainers are
alive). The same reports, as they happen, time the run's global steps per second.
The line is drawn by :func:`tutorial17.progress.step_bar`, as ``train``'s is.
"""

import sys

from ..progress import show_step, step_bar


class ProgressLine:
    """The progress line of a cluster run: the global step the chief reports, of ``max_steps``.

    With ``enabled`` False nothing is drawn, and the reports still time the run.
    Use it as a context manager, or call :meth:`close` once done.
    """

    def __init__(self, max_steps, desc, file=None, enabled=True):
        self.max_steps, self.desc, self.enabled = max_steps, desc, enabled
        self.file = file if file is not None else sys.stderr
        self.bar = None  # drawn from the first report on
        self.samples = []  # (time, global step) as reported

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def update(self, status, note=""):
        """Show the chief's ``status`` record (None: nothing reported yet) with ``note``."""
        if not status or status.get("step") is None:
            return
        step = int(status["step"])
        # Only steps as they happen: the final records come after saving (and evaluating).
        as_it_happens = not (status.get("done") or status.get("saved"))
        if as_it_happens and (not self.samples or step != self.samples[-1][1]):
            self.samples.append((float(status["time"]), step))
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = step_bar(self.max_steps, self.desc, self.file,
                                initial=min(step, self.max_steps))
        show_step(self.bar, min(step, self.max_steps), step, status.get("loss"), note)

    def write(self, line):
        """Print ``line`` above the progress line (or alone, before it is drawn)."""
        if self.bar is not None:
            self.bar.write(line, file=self.file)
        else:
            print(line, file=self.file, flush=True)

    def close(self):
        """Leave the line as it is last drawn; a second call does nothing."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def steps_per_sec(self):
        """Return the global steps per second between the first and last report of training.

        NaN when training was too short to see two reports.
        """
        if len(self.samples) < 2:
            return float("nan")
        (t0, s0), (t1, s1) = self.samples[0], self.samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else float("nan")
