#!/usr/bin/env bash
# Print the first Python interpreter of the given versions that runs, or fail silently.
#   scripts/find_python.sh              the Makefile's default: the first supported version
#   scripts/find_python.sh 3.12 3.13    the first of these (.ci/run's second stack)
# It looks on PATH, then under `pyenv root`. A pyenv shim for a version that is installed
# but not selected is on PATH yet does not run, so every candidate is tried.
set -u
# The supported versions, in order of preference: the reference stack (TensorFlow 2.15.1)
# first, then the bridged one (TensorFlow 2.21); tutorial17/_runtime/stacks.py has the same table.
SUPPORTED="3.11 3.10 3.9 3.12 3.13"
versions=${*:-$SUPPORTED}

runs_as() {  # runs_as INTERPRETER X.Y: true if INTERPRETER runs and is Python X.Y
  [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || return 1
  [ "$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$2" ]
}

for v in $versions; do
  if runs_as "python$v" "$v"; then command -v "python$v"; exit 0; fi
  if runs_as python3 "$v"; then command -v python3; exit 0; fi
done
root=$(pyenv root 2>/dev/null || true)
if [ -n "$root" ]; then
  for v in $versions; do
    for p in "$root"/versions/"$v".*/bin/python"$v"; do
      if runs_as "$p" "$v"; then echo "$p"; exit 0; fi
    done
  done
fi
exit 1
