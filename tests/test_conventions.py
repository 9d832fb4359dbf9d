"""The package's house rules, checked on its source: one home per concept, small signatures.

Ruff (``make lint``) checks the style; these check what it cannot: every
exception in errors.py, the latest checkpoint found only through checkpoints.py,
no module reaching for another's private names, and no function of more than
eight parameters.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tutorial17"
MAX_PARAMETERS = 8


def sources():
    """Yield ``(name, text, tree)`` of every module of the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        yield path.relative_to(PACKAGE.parent).as_posix(), text, ast.parse(text)


def test_every_exception_lives_in_errors_py():
    found = []
    for name, _, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = [getattr(b, "attr", getattr(b, "id", "")) for b in node.bases]
                if any(b.endswith(("Error", "Exception", "Interrupt", "Interrupted"))
                       for b in bases):
                    found.append((name, node.name))
    assert found and {name for name, _ in found} == {"tutorial17/errors.py"}, found


def test_latest_checkpoint_only_through_checkpoints_py():
    users = [name for name, text, _ in sources() if "train.latest_checkpoint(" in text]
    assert users == ["tutorial17/checkpoints.py"]


def test_no_module_imports_another_modules_private_names():
    found = []
    for name, _, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or "tutorial17" in
                                                      (node.module or "")):
                found += [f"{name}:{node.lineno}: {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert not found


def test_no_function_takes_more_than_eight_parameters():
    found = []
    for name, _, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                names = [a.arg for a in getattr(args, "posonlyargs", []) + args.args
                         + args.kwonlyargs]
                names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
                count = len([n for n in names if n not in ("self", "cls")])
                if count > MAX_PARAMETERS:
                    found.append(f"{name}:{node.lineno}: {node.name} takes {count}")
    assert not found, "group the parameters in an options object"
