"""tutorial17/__init__.py: ``import tutorial17`` gives the tutorial's API, not the notebooks'
plumbing; the notebooks' smoke-mode settings load on first use."""

import ast
import subprocess
import sys
from pathlib import Path

import tutorial17
from tutorial17 import notebook

import pytest

PACKAGE_DIR = Path(tutorial17.__file__).resolve().parent
NOTEBOOK_PLUMBING = ("tutorial17.notebook", "tutorial17.walkthrough")
LAZY_NAMES = ("SMOKE_DATA_ARGS", "SMOKE_STEPS", "smoke_mode")


def module_path(name, package_dir=PACKAGE_DIR):
    """Return the file of module ``name`` of the package in ``package_dir``, or None."""
    root, *rest = name.split(".")
    if root != package_dir.name:
        return None
    package = package_dir.joinpath(*rest, "__init__.py")
    if package.is_file():
        return package
    module = package_dir.joinpath(*rest[:-1], f"{rest[-1]}.py") if rest else None
    return module if module is not None and module.is_file() else None


def top_level_imports(node):
    """Yield the import statements run when the module is imported: not those in functions."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        else:
            yield from top_level_imports(child)


def imported_at_import_time(name, package_dir=PACKAGE_DIR):
    """Return the modules of the package that importing ``name`` imports, itself included."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        path = module_path(current, package_dir)
        if current in seen or path is None:
            continue
        seen.add(current)
        parts = current.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # its packages
        package = parts if path.name == "__init__.py" else parts[:-1]
        for statement in top_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(statement, ast.Import):
                todo.extend(alias.name for alias in statement.names)
                continue
            base = statement.module
            if statement.level:  # relative: from the package, one level up per extra dot
                up = package[:len(package) - statement.level + 1]
                base = ".".join(up + ([statement.module] if statement.module else []))
            todo.append(base)
            todo.extend(f"{base}.{alias.name}" for alias in statement.names)  # submodules
    return seen


def test_the_import_graph_follows_module_level_imports_only(tmp_path):
    sources = {"__init__.py": "import os\nfrom . import a\n\ndef later():\n    from . import b\n",
               "a.py": "try:\n    from .sub.c import name\nexcept ImportError:\n    pass\n",
               "b.py": "", "d.py": "", "sub/__init__.py": "",
               "sub/c.py": "from .. import d\nfrom pkg.e import f\n", "e.py": ""}
    for relative, source in sources.items():
        (tmp_path / "pkg" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / relative).write_text(source)
    assert imported_at_import_time("pkg", tmp_path / "pkg") == {
        "pkg", "pkg.a", "pkg.sub", "pkg.sub.c", "pkg.d", "pkg.e"}


def test_importing_the_package_loads_no_notebook_plumbing():
    loaded = imported_at_import_time("tutorial17")
    assert {"tutorial17._runtime.stacks", "tutorial17.predictor", "tutorial17.data"} <= loaded
    assert not loaded & set(NOTEBOOK_PLUMBING), sorted(loaded)


@pytest.mark.slow  # TensorFlow loaded in a second process
def test_a_fresh_import_loads_the_notebook_settings_on_first_use():
    code = ("import sys, tutorial17\n"
            f"print(sorted(set({NOTEBOOK_PLUMBING!r}) & set(sys.modules)))\n"
            "print(tutorial17.SMOKE_STEPS)\n"
            "print('tutorial17.notebook' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout.splitlines()
    assert out == ["[]", str(notebook.SMOKE_STEPS), "True"]


@pytest.mark.parametrize("name", LAZY_NAMES)
def test_the_notebook_settings_are_reachable_from_the_package(name):
    assert getattr(tutorial17, name) is getattr(notebook, name)
    assert name in dir(tutorial17)


def test_the_notebook_settings_import_by_name():
    from tutorial17 import SMOKE_DATA_ARGS, SMOKE_STEPS, smoke_mode

    assert SMOKE_STEPS == notebook.SMOKE_STEPS and SMOKE_DATA_ARGS["num_test_records"] > 0
    assert smoke_mode is notebook.smoke_mode


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'SMOKE'"):
        tutorial17.SMOKE  # noqa: B018
    assert not hasattr(tutorial17, "walkthrough_settings")


def test_the_public_names_import():
    for name in tutorial17.__all__:
        assert getattr(tutorial17, name) is not None, name
