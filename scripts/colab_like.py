#!/usr/bin/env python3
"""An environment made like Google Colab's: `pip install -e .` must leave it as it was.

.ci/run calls this. It builds ``.matrix/colab-like`` afresh (log: ``.matrix/colab-like.log``)
with Python 3.13 and the versions Colab's runtime ships (:data:`COLAB`), then:

1. ``pip install -e .``, and fails unless every package installed before is still installed,
   at the same version (the diff of ``pip freeze`` is printed: only additions);
2. installs the test tools (pytest, nbclient, ipykernel...) with everything held in place;
3. runs the fast tier of the tests (``pytest -m "not slow"``) and all three notebooks in smoke
   mode, each checked for error output, TensorFlow log lines and stray stderr.

    python3 scripts/colab_like.py [--root DIR] [--skip-tests]
"""

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: import the scripts as a package, from the root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from scripts import tf_matrix  # noqa: E402

# Google Colab's runtime (its published package list, August 2026) for what the package
# touches; protobuf, numpy, matplotlib and tqdm as a Colab-made environment has them.
COLAB_PYTHON = "3.13"
COLAB = ("tensorflow==2.20.0", "tf_keras==2.20.1", "keras==3.13.2", "tensorboard==2.20.0",
         "protobuf==5.29.6", "numpy==2.2.6", "matplotlib==3.10.0", "tqdm==4.67.1")
TEST_TOOLS = ("pytest==8.3.5", "hypothesis==6.127.9", "nbclient==0.10.2", "nbformat==5.10.4",
              "ipykernel==6.29.5", "pytest-xdist==3.6.1")
# As `make test` runs the fast tier: a test file per process, two processes.
PARALLEL_TESTS = ["-n", "2", "--dist", "loadfile"]


def freeze_diff(before, after):
    """Return ``(changed, added)``: lines of ``before`` no longer in ``after``, and new lines."""
    changed = [f"{before[name]} -> {after.get(name, 'removed')}"
               for name in sorted(before) if after.get(name) != before[name]]
    added = [after[name] for name in sorted(after) if name not in before]
    return changed, added


def main(argv=None):
    """Build the environment, check the install left it alone, run the tests and notebooks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=tf_matrix.DEFAULT_ROOT)
    parser.add_argument("--skip-tests", action="store_true",
                        help="only build and check the install")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    env_dir = args.root.resolve() / "colab-like"
    env_dir.mkdir(parents=True, exist_ok=True)
    log_path = env_dir.parent / "colab-like.log"  # beside it: venv --clear empties env_dir
    interpreter = tf_matrix.find_python(COLAB_PYTHON)
    if interpreter is None:
        print(f"error: no Python {COLAB_PYTHON} on PATH or under pyenv", file=sys.stderr)
        return 2
    python = env_dir / "bin" / "python"
    with open(log_path, "w") as log:
        # A fresh environment each time: what the install is checked against must be Colab's.
        steps = [[interpreter, "-m", "venv", "--clear", str(env_dir)],
                 [str(python), "-m", "pip", "install", "--quiet", *COLAB]]
        if any(tf_matrix.run(step, log) != 0 for step in steps):
            print(f"error: building the Colab-like environment failed; see {log_path}",
                  file=sys.stderr)
            return 1
        before = tf_matrix.pip_freeze(python)
        install = tf_matrix.run([str(python), "-m", "pip", "install", "--quiet", "-e",
                                 str(tf_matrix.REPO)], log)
        after = tf_matrix.pip_freeze(python)
    changed, added = freeze_diff(before, after)
    print(f"Colab-like environment: Python {COLAB_PYTHON}, {', '.join(COLAB)}")
    print("pip install -e . added:", ", ".join(added) or "nothing")
    print("pip install -e . changed:", ", ".join(changed) or "nothing")
    if install != 0 or changed:
        print(f"error: pip install -e . failed or changed what was installed; see {log_path}",
              file=sys.stderr)
        return 1
    if args.skip_tests:
        return 0

    held = env_dir / "held.txt"
    held.write_text("\n".join(after.values()) + "\n")
    with open(log_path, "a") as log:
        steps = [[str(python), "-m", "pip", "install", "--quiet", "-c", str(held), *TEST_TOOLS],
                 [str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"]]
        if any(tf_matrix.run(step, log) != 0 for step in steps):
            print(f"error: installing the test tools failed; see {log_path}", file=sys.stderr)
            return 1
        print(f"environment ready after {time.perf_counter() - start:.0f} s", flush=True)
        tests_ok, summary, seconds = tf_matrix.run_tests(python, log, PARALLEL_TESTS)
        print(f"fast tests: {summary} ({seconds:.0f} s)", flush=True)
        notebooks_ok, results = tf_matrix.smoke_notebooks(python, [], log)
    for result in results:
        verdict = "ok" if not result["problems"] else "; ".join(result["problems"])
        print(f"notebook {result['notebook']} (smoke): {result['seconds']:.0f} s, {verdict}")
    minutes, seconds = divmod(int(time.perf_counter() - start), 60)
    print(f"Colab-like environment checked in {minutes} min {seconds} s; log: {log_path}")
    if not (tests_ok and notebooks_ok):
        # pytest's own summary line is in the log; say which part failed.
        print(f"error: {'tests' if not tests_ok else 'notebooks'} failed in the Colab-like "
              f"environment; see {log_path}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
