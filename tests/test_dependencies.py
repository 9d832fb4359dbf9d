"""pyproject.toml declares ranges that the lock files' exact versions fall in.

The package installs into environments that already have a TensorFlow (Colab, Kaggle, a
user's own), so it states ranges; ``make venv`` pins every package with a lock file. Each
locked version must satisfy the ranges, or ``make venv`` would fail to resolve.
"""

import re
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11: the TOML reader pip carries
    from pip._vendor import tomli as tomllib
try:
    from packaging.requirements import Requirement
except ImportError:  # an environment without packaging: pip's own copy
    from pip._vendor.packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

# Each pin file, the Pythons the Makefile uses it for, and whether it pins every package.
PIN_FILES = [
    ("requirements-lock.txt", ("3.11",), True),
    ("requirements-lock-tf221.txt", ("3.12", "3.13"), True),
    ("requirements-reference-pins.txt", ("3.9", "3.10"), False),
]


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path):
    """Return ``{canonical name: version}`` of a file of ``name==version`` lines."""
    pins = {}
    for line in (REPO / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonical(name)] = version.strip()
    return pins


def requirements(python, extras=()):
    """Return the project's requirements that apply on ``python`` (``"3.12"``) with ``extras``."""
    found = [Requirement(text) for text in PYPROJECT["dependencies"]]
    for extra in extras:
        found += [Requirement(text) for text in PYPROJECT["optional-dependencies"][extra]]
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    return [r for r in found if r.marker is None or r.marker.evaluate(environment)]


@pytest.mark.parametrize("path, pythons, complete", PIN_FILES, ids=[p[0] for p in PIN_FILES])
def test_every_pinned_version_is_within_pyproject_ranges(path, pythons, complete):
    pins = read_pins(path)
    for python in pythons:
        for requirement in requirements(python, extras=("dev",)):
            name = canonical(requirement.name)
            if name not in pins:
                assert not complete, f"{path} pins no {name}, which pyproject.toml requires"
                continue
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"{path}: {name}=={pins[name]} is outside pyproject.toml's "
                f"{requirement} on Python {python}")


def test_the_reference_pins_are_the_3_11_lock_of_the_same_packages():
    reference, lock = read_pins("requirements-reference-pins.txt"), read_pins(
        "requirements-lock.txt")
    assert reference["tensorflow"] == "2.15.1"
    assert {name: lock[name] for name in reference} == reference


def test_a_colab_environment_is_within_the_ranges():
    # Google Colab's runtime (Python 3.13): none of these may be replaced by pip install.
    colab = {"tensorflow": "2.20.0", "tf-keras": "2.20.1", "tensorboard": "2.20.0",
             "numpy": "2.2.6", "matplotlib": "3.10.0", "tqdm": "4.67.1"}
    for requirement in requirements("3.13"):
        name = canonical(requirement.name)
        if name in colab:
            assert requirement.specifier.contains(colab[name]), (name, str(requirement))


def test_the_runtime_dependencies_are_ranges_with_one_exception():
    exact = [text for text in PYPROJECT["dependencies"]
             if any(spec.operator in ("==", "===") for spec in Requirement(text).specifier)]
    # tensorflow-estimator 2.15.0 is the last release there will be.
    assert exact == ["tensorflow-estimator==2.15.0"]
    tensorflow = [Requirement(t) for t in PYPROJECT["dependencies"]
                  if canonical(Requirement(t).name) == "tensorflow"]
    assert len(tensorflow) == 1 and str(tensorflow[0].specifier) == ">=2.15.1"


def test_tf_keras_is_never_a_plain_dependency():
    # Declared, a missing tf-keras would make pip pick the newest one and replace the
    # environment's TensorFlow with the release it requires (tried: TF 2.20 became 2.21).
    names = {canonical(Requirement(t).name) for t in PYPROJECT["dependencies"]}
    assert "tf-keras" not in names and "keras" not in names
    assert [str(Requirement(t)) for t in PYPROJECT["optional-dependencies"]["keras2"]] == [
        "tf-keras>=2.16"]


def test_the_repository_url_is_declared_once():
    assert PYPROJECT["urls"]["Repository"] == "https://github.com/tutorial17/tutorial17"
