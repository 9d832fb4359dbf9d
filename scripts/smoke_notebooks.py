"""Run notebooks in smoke mode in the Python that runs this, and print one line per notebook.

The environment checks (``scripts/tf_matrix.py``, ``scripts/colab_like.py``) run it with the
Python of the environment under test. Each notebook runs top to bottom in a fresh ``python3``
kernel, in a temporary working directory, with ``TUTORIAL17_SMOKE=1`` and a temporary model
root; its outputs are checked as the committed ones are (no error, no TensorFlow log line, no
stderr beyond the progress line). The last line of output is JSON: each notebook's name,
seconds and problems.

    python scripts/smoke_notebooks.py [NOTEBOOK ...]     (default: every notebook)
"""

import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: import the scripts as a package, from the root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from scripts import run_notebooks  # noqa: E402


def smoke_run(path):
    """Run ``path`` in smoke mode; return ``(seconds, problems)``."""
    with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryDirectory() as models:
        copy = Path(workdir) / path.name
        copy.write_bytes(path.read_bytes())
        start = time.perf_counter()
        try:
            nb = run_notebooks.execute_notebook(
                copy, cwd=workdir,
                env={"TUTORIAL17_SMOKE": "1", "TUTORIAL17_MODEL_ROOT": models})
        except Exception as e:  # a failing cell: report its first line, go on with the next
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            return time.perf_counter() - start, [f"failed: {first[:200]}"]
        return time.perf_counter() - start, run_notebooks.output_problems(nb)


def main(argv=None):
    """Smoke-run the notebooks given (default: all); exit 1 if any has a problem."""
    paths = [Path(p).resolve() for p in (argv if argv is not None else sys.argv[1:])]
    results = []
    for path in paths or run_notebooks.notebook_paths():
        seconds, problems = smoke_run(path)
        verdict = "ok" if not problems else "; ".join(problems[:3])
        print(f"{path.name}: {seconds:.1f} s, {verdict}", flush=True)
        results.append({"notebook": path.name, "seconds": round(seconds, 1),
                        "problems": problems})
    print(json.dumps(results))
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
