#!/usr/bin/env python3
"""The TensorFlow matrix: one environment per release, the fast tests and a notebook in each.

``make test-matrix`` runs this. For each TensorFlow release the package supports (2.15.1, and
2.16 to 2.21 through the estimator bridge) it builds an environment under ``.matrix/`` the way a
user's environment is: that TensorFlow with its own Keras 2, then ``pip install -e ".[dev]"``
with everything already installed held where it is. Environments are kept between runs (a
release is reinstalled only when its requirements change), each with its log beside it. In each
it runs the fast tier of the tests (``pytest -m "not slow"``) and the walkthrough notebook in
smoke mode, then prints a table. ``--speed`` also runs ``python -m tutorial17 walkthrough
--steps 300`` in each and adds its DNN and CNN steps/s (training steps over training seconds,
start-up included) and the lines it printed to stderr besides its progress bar.

    python scripts/tf_matrix.py [--releases 2.18 2.20] [--python 3.12] [--jobs 2]
                                [--speed] [--lock FILE] [--pytest-args="..."]

Needs the Pythons of the table (``scripts/find_python.sh`` finds them on PATH or under
``pyenv root``); standard library only, so any Python 3.9+ runs it.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO / ".matrix"
WALKTHROUGH_NOTEBOOK = REPO / "notebooks" / "17_Estimator_API.ipynb"
SPEED_STEPS = 300


@dataclass(frozen=True)
class Release:
    """A TensorFlow release, the Python it is checked on by default, and what it needs besides."""

    tensorflow: str
    python: str
    pythons: tuple     # every Python it has wheels for
    needs: tuple = ()  # what pip does not bring with ``tensorflow==X`` and the package needs


# Keras 2 comes with TensorFlow 2.15; from 2.16 on it is tf-keras of the same minor release.
# 2.20 declares protobuf>=5.28 and pip picks 7.x, which 2.20 cannot use (tutorial17's import
# says so and names this fix); 2.16-2.19 cap protobuf themselves. The default Pythons spread
# the releases over the interpreters they have wheels for.
RELEASES = (
    Release("2.15.1", "3.11", ("3.9", "3.10", "3.11")),
    Release("2.16.2", "3.12", ("3.9", "3.10", "3.11", "3.12"), ("tf-keras~=2.16.0",)),
    Release("2.17.1", "3.12", ("3.9", "3.10", "3.11", "3.12"), ("tf-keras~=2.17.0",)),
    Release("2.18.1", "3.11", ("3.9", "3.10", "3.11", "3.12"), ("tf-keras~=2.18.0",)),
    Release("2.19.1", "3.12", ("3.9", "3.10", "3.11", "3.12"), ("tf-keras~=2.19.0",)),
    Release("2.20.0", "3.13", ("3.9", "3.10", "3.11", "3.12", "3.13"),
            ("tf-keras~=2.20.0", "protobuf<7")),
    Release("2.21.0", "3.13", ("3.10", "3.11", "3.12", "3.13"), ("tf-keras~=2.21.0",)),
)

PYTEST_SUMMARY = re.compile(r"^=+ (.*\d+ (passed|failed|error|errors|skipped).*) in [\d.]+s", re.M)


def find_python(version):
    """Return the path of a Python ``version`` (``"3.12"``), or None."""
    found = subprocess.run([str(REPO / "scripts" / "find_python.sh"), version],
                           capture_output=True, text=True)
    return found.stdout.strip() or None


def run(command, log, **kwargs):
    """Run ``command`` (a list), appending its output to the open file ``log``; return status."""
    log.write(f"$ {shlex.join(str(c) for c in command)}\n")
    log.flush()
    return subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, **kwargs).returncode


def pip_freeze(python):
    """Return ``{name: "name==version"}`` of every package in ``python``'s environment.

    ``pip list --format=freeze``: ``pip freeze``'s lines, with an editable install as
    ``name==version`` too, so every line also serves as a constraint.
    """
    out = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"],
                         capture_output=True, text=True, check=True).stdout
    frozen = {}
    for line in out.splitlines():
        if "==" in line:
            frozen[re.sub(r"[-_.]+", "-", line.split("==")[0]).lower()] = line.strip()
    return frozen


def build(env_dir, interpreter, requirements, log, extras="[dev]"):
    """Make ``env_dir`` a venv holding ``requirements``, then the package with ``extras``.

    The first requirements are installed as a user's environment would have them; the package
    is then installed with each of those held at the version pip chose (a constraints file), so
    ``pip install -e .`` is tested not to move them. Returns the environment's Python, or None.
    """
    python = env_dir / "bin" / "python"
    stamp = env_dir / ".requirements"
    wanted = "\n".join(requirements)
    if not (stamp.is_file() and stamp.read_text() == wanted and python.exists()):
        if run([interpreter, "-m", "venv", "--clear", str(env_dir)], log) != 0:
            return None
        steps = [[str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                 [str(python), "-m", "pip", "install", "--quiet", *requirements]]
        if any(run(step, log) != 0 for step in steps):
            return None
        stamp.write_text(wanted)
    held = env_dir / "held.txt"
    held.write_text("\n".join(pip_freeze(python).values()) + "\n")
    steps = [[str(python), "-m", "pip", "install", "--quiet", "-c", str(held),
              "-e", f"{REPO}{extras}"],
             [str(python), "-m", "pip", "check"],
             [str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"]]
    if any(run(step, log) != 0 for step in steps):
        return None
    return python


def pytest_summary(output):
    """Return pytest's closing counts (``"380 passed, 3 skipped"``), or the last line."""
    found = PYTEST_SUMMARY.findall(output)
    if found:
        return found[-1][0]
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1][:80] if lines else "no output"


def run_tests(python, log, pytest_args):
    """Run the fast tier in the repository with ``python``; return ``(ok, summary, seconds)``."""
    start = time.perf_counter()
    proc = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-m", "not slow", *pytest_args], cwd=str(REPO),
                          capture_output=True, text=True)
    log.write(proc.stdout + proc.stderr)
    return proc.returncode == 0, pytest_summary(proc.stdout), time.perf_counter() - start


def smoke_notebooks(python, notebooks, log):
    """Smoke-run ``notebooks`` with ``python``; return ``(ok, [{notebook, seconds, problems}])``."""
    proc = subprocess.run([str(python), str(REPO / "scripts" / "smoke_notebooks.py"),
                           *map(str, notebooks)], cwd=str(REPO), capture_output=True, text=True)
    log.write(proc.stdout + proc.stderr)
    lines = proc.stdout.strip().splitlines()
    try:
        results = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return False, [{"notebook": "?", "seconds": 0, "problems": [tail[:200]]}]
    return proc.returncode == 0, results


def measure_speed(python, log, lock=None):
    """Run the walkthrough for :data:`SPEED_STEPS` steps; return ``(dnn, cnn, stderr lines)``."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        command = [str(python), "-m", "tutorial17", "walkthrough", "--steps", str(SPEED_STEPS),
                   "--model-root", tmp, "--json", str(results)]
        if lock:
            command = ["flock", str(lock), *command]
        proc = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
        log.write(proc.stdout + proc.stderr)
        if proc.returncode != 0 or not results.is_file():
            return None, None, None
        found = json.loads(results.read_text())
    # The progress bar redraws itself on stderr; every other stderr line is noise.
    noise = [line for line in proc.stderr.replace("\r", "\n").splitlines()
             if line.strip() and not re.match(r"^\s*(dnn|cnn)\b.*\d+/\d+", line, re.I)]
    rates = [found[m]["global_step"] / found[m]["train_seconds"] for m in ("dnn", "cnn")]
    return rates[0], rates[1], noise


def check_release(release, python_version, args):
    """Build and check one release; return a row of the table as a dict."""
    row = {"tensorflow": release.tensorflow, "python": python_version, "tests": "-",
           "notebook": "-", "dnn": None, "cnn": None, "noise": None, "ok": False}
    env_dir = args.root / f"tf-{release.tensorflow}-py{python_version}"
    env_dir.mkdir(parents=True, exist_ok=True)
    with open(args.root / f"{env_dir.name}.log", "a") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        interpreter = find_python(python_version)
        if interpreter is None:
            row["tests"] = f"no Python {python_version}"
            return row
        python = build(env_dir, interpreter,
                       [f"tensorflow=={release.tensorflow}", *release.needs], log)
        if python is None:
            row["tests"] = f"install failed ({args.root / env_dir.name}.log)"
            return row
        row["installed"] = {name: pip_freeze(python).get(name, "-").split("==")[-1]
                            for name in ("tensorflow", "tf-keras", "keras", "numpy", "protobuf")}
    return row


def test_release(row, args):
    """Run the tests, the notebook and (with ``--speed``) the walkthrough for a built row."""
    env_dir = args.root / f"tf-{row['tensorflow']}-py{row['python']}"
    python = env_dir / "bin" / "python"
    with open(args.root / f"{env_dir.name}.log", "a") as log:
        row["ok"] = True
        if not args.no_tests:
            tests_ok, row["tests"], row["test_seconds"] = run_tests(python, log,
                                                                    args.pytest_args)
            notebook_ok, results = smoke_notebooks(python, [WALKTHROUGH_NOTEBOOK], log)
            result = results[0]
            row["notebook"] = (f"ok, {result['seconds']:.0f} s" if notebook_ok
                               else "; ".join(result["problems"])[:60])
            row["ok"] = tests_ok and notebook_ok
        if args.speed:
            row["dnn"], row["cnn"], row["noise"] = measure_speed(python, log, args.lock)
            row["ok"] = row["ok"] and row["dnn"] is not None and not row["noise"]
    return row


def table(rows, speed):
    """Return the matrix as a Markdown table."""
    header = ["TensorFlow", "Python", "installed", "fast tests", "walkthrough notebook (smoke)"]
    if speed:
        header += ["DNN steps/s", "CNN steps/s", "stray stderr lines"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        installed = row.get("installed", {})
        keras = (f"tf-keras {installed['tf-keras']}" if installed.get("tf-keras", "-") != "-"
                 else f"keras {installed.get('keras', '-')}")
        what = (f"{keras}, numpy {installed.get('numpy', '-')}, "
                f"protobuf {installed.get('protobuf', '-')}") if installed else "-"
        cells = [row["tensorflow"], row["python"], what, row["tests"], row["notebook"]]
        if speed:
            cells += [f"{row['dnn']:.1f}" if row["dnn"] else "-",
                      f"{row['cnn']:.1f}" if row["cnn"] else "-",
                      str(len(row["noise"])) if row["noise"] is not None else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def selected(args):
    """Return ``[(release, python version)]`` for the command line's choices."""
    chosen = []
    for release in RELEASES:
        if args.releases and not any(release.tensorflow.startswith(r) for r in args.releases):
            continue
        pythons = args.python or [release.python]
        chosen += [(release, p) for p in pythons if p in release.pythons]
    return chosen


def main(argv=None):
    """Build, check and tabulate the chosen releases; exit 1 unless all passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", nargs="*", help="e.g. 2.18 2.20.0 (default: all)")
    parser.add_argument("--python", nargs="*",
                        help="check each release on these Pythons (those it has wheels for) "
                             "instead of its default one")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help="where the environments live (default: .matrix/)")
    parser.add_argument("--jobs", type=int, default=2, help="environments built at once")
    parser.add_argument("--speed", action="store_true",
                        help=f"also time `walkthrough --steps {SPEED_STEPS}` in each")
    parser.add_argument("--lock", help="run each timed walkthrough under `flock LOCK`")
    parser.add_argument("--pytest-args", default="", type=shlex.split,
                        help="more pytest arguments, e.g. --pytest-args=\"tests/runtime\"")
    parser.add_argument("--no-tests", action="store_true",
                        help="skip the tests and the notebook (with --speed: time only)")
    parser.add_argument("--build-only", action="store_true",
                        help="build the environments, run nothing in them")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    args.root = args.root.resolve()

    chosen = selected(args)
    if not chosen:
        parser.error("no release matches (and has wheels for the Pythons given)")
    start = time.perf_counter()
    # Installing is network and disk work, run a few at a time; the tests run one after the
    # other, since two at once would disturb each other's timing.
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda c: check_release(*c, args), chosen))
    for row in rows:
        if "installed" in row and args.build_only:
            row["tests"] = row["notebook"] = "not run"
            row["ok"] = True
        elif "installed" in row:
            print(f"== TensorFlow {row['tensorflow']} on Python {row['python']}", flush=True)
            test_release(row, args)
            print(f"   tests: {row['tests']}; notebook: {row['notebook']}", flush=True)
    print(table(rows, args.speed))
    minutes, seconds = divmod(int(time.perf_counter() - start), 60)
    print(f"{sum(r['ok'] for r in rows)} of {len(rows)} environments passed "
          f"in {minutes} min {seconds} s; logs: {args.root}/*.log")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    sys.exit(main())
