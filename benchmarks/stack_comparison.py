"""`make run` on each TensorFlow stack, interleaved, as one Markdown table.

    python benchmarks/stack_comparison.py                      # 3.11, 3.12, 3.13; 2 rounds
    python benchmarks/stack_comparison.py --pythons /path/python3.11 /path/python3.13

Each round runs the full walkthrough (``make run``: both models, 2,000 steps on full
MNIST, into a fresh run directory) once per interpreter, the order reversed every
other round so that a drift in the machine's load hits every stack alike. The table
gives each run's accuracy, predictions and training speed, then each model's median
steps/s per stack and its ratio to the reference stack's (the first interpreter).
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VERSIONS = ("3.11", "3.12", "3.13")


def find_python(version):
    """Return the interpreter ``make`` would use for ``version``, or exit with a message."""
    proc = subprocess.run([str(REPO / "scripts" / "find_python.sh"), version],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"error: no Python {version} on PATH or under pyenv; pass --pythons")
    return proc.stdout.strip()


def stack_of(python):
    """Return ``"Python X.Y, TensorFlow V"`` as the interpreter's environment reports it."""
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True).stdout.strip()
    venv_python = REPO / f".venv-{version}" / "bin" / "python"
    tf_version = subprocess.run(
        [str(venv_python), "-c", "import importlib.metadata as m; print(m.version('tensorflow'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    return version, tf_version


def make_run(python, run_dir, steps):
    """Run the walkthrough through ``make run``; return its results.json as a dict."""
    subprocess.run(["make", "-s", "--no-print-directory", "run", f"PYTHON={python}",
                    f"RUN_DIR={run_dir}", f"STEPS={steps}"], cwd=str(REPO), check=True)
    return json.loads((REPO / run_dir / "results.json").read_text())


def render(rows, versions, reference):
    """Return the Markdown table of every run and the per-stack medians."""
    lines = ["| round | Python | TensorFlow | model | accuracy | predictions | training s "
             "| steps/s | load |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['round']} | {row['python']} | {row['tf']} | {row['model']} "
                     f"| {row['accuracy']:.2%} | {' '.join(map(str, row['predictions']))} "
                     f"| {row['train_seconds']:.1f} | {row['steps_per_s']:.1f} "
                     f"| {row['load']:.1f} |")
    lines += ["", "| model | " + " | ".join(f"Python {v}" for v in versions)
              + " | ratio to " + reference + " |",
              "|---|" + "---|" * (len(versions) + 1)]
    # The models as results.json lists them (the walkthrough runs the registry's, in its order).
    for model in dict.fromkeys(row["model"] for row in rows):
        medians = {v: statistics.median(r["steps_per_s"] for r in rows
                                        if r["model"] == model and r["python"] == v)
                   for v in versions}
        ratios = ", ".join(f"{v}: {medians[v] / medians[reference]:.2f}"
                           for v in versions if v != reference)
        lines.append(f"| {model} | " + " | ".join(f"{medians[v]:.1f} steps/s" for v in versions)
                     + f" | {ratios} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pythons", nargs="+", help="interpreters; the first is the reference")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args(argv)
    pythons = args.pythons or [find_python(v) for v in DEFAULT_VERSIONS]
    stacks = {p: stack_of(p) for p in pythons}
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    rows = []
    for round_ in range(1, args.rounds + 1):
        order = pythons if round_ % 2 else list(reversed(pythons))
        for python in order:
            version, tf_version = stacks[python]
            load = os.getloadavg()[0]
            results = make_run(python, f"runs/stacks-{stamp}/{version}-{round_}", args.steps)
            for model, r in results.items():
                rows.append({"round": round_, "python": version, "tf": tf_version,
                             "model": model, "accuracy": r["accuracy"],
                             "predictions": r["predictions"],
                             "train_seconds": r["train_seconds"],
                             "steps_per_s": args.steps / r["train_seconds"], "load": load})
    versions = [stacks[p][0] for p in pythons]
    print(f"\n{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} CPUs, `python benchmarks/stack_comparison.py "
          f"{' '.join(argv if argv is not None else sys.argv[1:])}`\n")
    print(render(rows, versions, versions[0]))


if __name__ == "__main__":
    main()
