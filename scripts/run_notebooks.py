"""Notebook runner: each notebook top to bottom in a fresh kernel, its outputs checked.

``make notebooks`` runs this to refresh the committed outputs (full data, full
step count); the tests in ``tests/notebooks/`` use the same functions in smoke mode.
Progress bars are kept in their final state only, and a notebook whose outputs
hold a machine path, a TensorFlow log line or stray stderr text is not written.

    python scripts/run_notebooks.py [--model-root DIR] [--other-stack] [NOTEBOOK ...]

The committed outputs come from the reference stack (TensorFlow 2.15.1 on
Python 3.9-3.11); elsewhere it stops before running anything unless told
``--other-stack``.
"""

import argparse
import os
import re
import sys
from pathlib import Path

from tutorial17._runtime.stacks import REFERENCE_PYTHONS, REFERENCE_TF

import nbformat
from nbclient import NotebookClient

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
KERNEL_NAME = "python3"  # installed into the venv by `make venv`
CELL_TIMEOUT_SECONDS = 3600

# A tqdm line: "CNN: 100%|####| 2000/2000 [00:41<00:00, 48.2step/s, step=2000 loss=0.1]".
# tqdm shows the rate as "2.5step/s", or "1.08s/step" when a step takes over a second.
PROGRESS_LINE = re.compile(
    r"^[\w ]*: *\d+%\|.*\| *\d+/\d+ \[[\d:]+<[\d:?]+, .*(step/s|s/step).*\]\s*$")
LOG_LINE = re.compile(r"^(INFO|WARNING|W\d{4}|I\d{4}|E\d{4})[:\s]", re.MULTILINE)
ABSOLUTE_PATH = re.compile(r"(?<![\w.~])/(home|root|work|tmp|Users|var|opt|usr|mnt)/")
ACCURACY_LINE = re.compile(r"^Classification accuracy: *([-\d.]+) *%\s*$", re.MULTILINE)
PREDICTED_LINE = re.compile(r"^Predicted classes: *\[([^\]]*)\]", re.MULTILINE)


def notebook_paths():
    """Return every notebook in ``notebooks/``, in name order."""
    return sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def execute_notebook(path, cwd, env=None, timeout=CELL_TIMEOUT_SECONDS):
    """Run ``path`` top to bottom in a fresh ``python3`` kernel with working
    directory ``cwd`` and extra environment variables ``env``; return the
    executed notebook (the file is not written). A failing cell raises
    ``nbclient.exceptions.CellExecutionError``."""
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout,
                            resources={"metadata": {"path": str(cwd)}},
                            coalesce_streams=True,  # keeps the final state of progress bars
                            record_timing=False)    # no timestamps in the committed file
    client.execute(env={**os.environ, **(env or {})})
    return nb


def text_outputs(nb):
    """Return ``(cell index, output name, text)`` for every text output of the code cells."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                yield index, output.name, output.text
            elif output.output_type in ("execute_result", "display_data"):
                yield index, output.output_type, output.data.get("text/plain", "")
            elif output.output_type == "error":
                yield index, "error", "\n".join(output.traceback)


def all_text(nb):
    """Return all text outputs joined, for searching."""
    return "\n".join(text for _, _, text in text_outputs(nb))


def output_problems(nb, forbidden_paths=()):
    """Return what is wrong with a notebook's outputs, as a list of short messages:
    error outputs, TensorFlow log lines, stderr other than progress lines,
    absolute paths (``forbidden_paths`` plus the usual machine prefixes)."""
    problems = []
    for index, name, text in text_outputs(nb):
        where = f"cell {index} ({name})"
        if name == "error":
            problems.append(f"{where}: error output")
        if LOG_LINE.search(text):
            problems.append(f"{where}: log line {LOG_LINE.search(text).group(0)!r}")
        if name == "stderr":
            stray = [line for line in text.splitlines()
                     if line.strip() and not PROGRESS_LINE.match(line)]
            if stray:
                problems.append(f"{where}: stderr beyond the progress line: {stray[0][:80]!r}")
        paths = [str(p) for p in forbidden_paths if str(p) not in ("", "/")]
        if ABSOLUTE_PATH.search(text) or any(p in text for p in paths):
            problems.append(f"{where}: machine path in output")
    return problems


def accuracies(nb):
    """Return the ``Classification accuracy: 97.61%`` lines as fractions, in order."""
    return [float(value) / 100 for value in ACCURACY_LINE.findall(all_text(nb))]


def predicted_classes(nb):
    """Return the ``Predicted classes: [7 2 1 ...]`` lines as lists of ints, in order."""
    return [[int(token) for token in found.split()]
            for found in PREDICTED_LINE.findall(all_text(nb))]


def execution_order_ok(nb):
    """Tell whether every code cell ran once, top to bottom, in one fresh kernel."""
    counts = [cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code"]
    return counts == list(range(1, len(counts) + 1))


def reference_stack_problem(version_info=sys.version_info):
    """Return why this interpreter must not write the committed outputs, or None."""
    if tuple(version_info[:2]) in REFERENCE_PYTHONS:
        return None
    return (f"the committed outputs come from the reference stack (TensorFlow {REFERENCE_TF} on "
            f"Python 3.9-3.11) and this is Python {version_info[0]}.{version_info[1]}: run "
            f"`make notebooks PYTHON=python3.11`, or add OTHER_STACK=1 to overwrite them "
            f"anyway (`git checkout notebooks/` restores them)")


def main(argv=None):
    """Execute the notebooks given (default: all), check them and save them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: all in notebooks/)")
    parser.add_argument("--model-root", type=Path,
                        help="TUTORIAL17_MODEL_ROOT for the run (default: the environment's)")
    parser.add_argument("--other-stack", action="store_true",
                        help="write the outputs even off the reference stack (Python 3.9-3.11)")
    args = parser.parse_args(argv)
    problem = reference_stack_problem()
    if problem and not args.other_stack:
        print(f"make notebooks: nothing run: {problem}", file=sys.stderr)
        return 2

    env = {"TUTORIAL17_SMOKE": "0"}
    if args.model_root is not None:
        env["TUTORIAL17_MODEL_ROOT"] = str(args.model_root.resolve())
    status = 0
    for path in args.notebooks or notebook_paths():
        path = path.resolve()
        print(f"executing {path.relative_to(REPO_ROOT)} ...", flush=True)
        nb = execute_notebook(path, cwd=path.parent, env=env)
        problems = output_problems(nb, forbidden_paths=(REPO_ROOT, Path.home()))
        if problems:
            print(f"{path.name}: not written, its outputs need fixing:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            status = 1
            continue
        nbformat.write(nb, str(path))
        found = ", ".join(f"{a:.2%}" for a in accuracies(nb)) or "none"
        print(f"wrote {path.relative_to(REPO_ROOT)} (accuracies: {found})")
    return status


if __name__ == "__main__":
    sys.exit(main())
