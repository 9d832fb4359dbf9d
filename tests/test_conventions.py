"""The package's house rules, checked on its source: one home per concept, small signatures.

Ruff (``make lint``) checks the style; these check what it cannot: every
exception in errors.py and every raise naming one of its specific classes (the
few exceptions to that listed with their reasons), the latest checkpoint found
only through checkpoints.py, no module reaching for another's private names, and
no function of more than eight parameters.
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


# --- errors.py's promise: the package raises its own, specific exceptions. ---

ERRORS_MODULE = PACKAGE / "errors.py"
BASE_ERROR = "Tutorial17Error"

ALLOWED_RAISES = {
    # (exception, the function that raises it; None: anywhere): why it is right there.
    ("KeyboardInterrupt", None):
        "Ctrl-C passed on (a signal handler, a second Ctrl-C, the end of a cleanup): code "
        "that handles Ctrl-C expects KeyboardInterrupt; it is the user's key, not a mistake",
    ("AttributeError", "__getattr__"):
        "a module's __getattr__ must raise AttributeError for names it does not have",
    ("AttributeError", "placeholder"):
        "the TPU placeholder module's __getattr__ (the bridge): the same protocol",
    ("ValueError", "init_run_config"):
        "the estimator bridge repeats TensorFlow 2.15's own RunConfig check, exception type "
        "and words included, so code written for 2.15 behaves the same on 2.21",
    ("argparse.ArgumentTypeError", None):
        "argparse's way for an argument type to refuse a value: it becomes the usage line",
}

def error_classes():
    """Return the names of the exception classes errors.py defines."""
    tree = ast.parse(ERRORS_MODULE.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


def _dotted(node):
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parent = _dotted(node.value)
        return f"{parent}.{node.attr}" if parent else None
    return None  # raise some_call(...)[0] and the like: not a class by name


def raised_classes(modules):
    """Yield ``(module, function, class name, line)`` of every ``raise Class`` in ``modules``.

    ``modules`` are ``(name, text, tree)`` as :func:`sources` gives them.
    Re-raising (``raise``, ``raise error``) and raising what a factory returns
    (``raise mismatch_error(...)``) name no class: a lower-case name is a value.
    """
    for name, _, tree in modules:
        # The innermost function around each raise. ast.walk goes breadth first, so an
        # inner function comes after the one around it and overwrites its entry (this
        # needs no end_lineno, which Python 3.7, the TensorFlow 1.15 stack's, lacks).
        function_of = {}
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function_of.update((id(node), function.name) for node in ast.walk(function)
                                   if isinstance(node, ast.Raise))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            dotted = _dotted(node.exc)
            if dotted is None or not dotted.rsplit(".", 1)[-1].lstrip("_")[:1].isupper():
                continue
            yield name, function_of.get(id(node)), dotted, node.lineno


def unjustified_raises(modules):
    """Return ``"module:line: raise X in f()"`` for each raise of a class not allowed."""
    ours = error_classes() - {BASE_ERROR}
    found = []
    for module, function, exception, line in raised_classes(modules):
        if exception in ours or (exception, None) in ALLOWED_RAISES \
                or (exception, function) in ALLOWED_RAISES:
            continue
        found.append((module, line, f"{module}:{line}: raise {exception} in {function}()"))
    return [text for _, _, text in sorted(found)]


def test_raises_name_a_specific_class_of_errors_py():
    """Fails on ``raise ValueError(...)``, ``raise Tutorial17Error(...)`` and the like."""
    assert not unjustified_raises(sources()), (
        "raise one of errors.py's specific classes (add one there if none fits), or list "
        "the case in ALLOWED_RAISES with its reason")


def test_every_allowed_raise_is_still_used():
    used = {(exception, function) for _, function, exception, _ in raised_classes(sources())}
    used |= {(exception, None) for exception, _ in used}
    assert not [key for key in ALLOWED_RAISES if key not in used]


EXAMPLE = """
def bad(x):
    if x:
        raise ValueError(f"bad {x}")
    raise Tutorial17Error("something")

def good(x):
    try:
        return {}[x]
    except KeyError as error:
        if x:
            raise
        if x is None:
            raise error
        raise InputError("x: unknown") from None

def __getattr__(name):
    raise AttributeError(name)

def elsewhere():
    raise AttributeError("not the attribute protocol")
    raise mismatch_error(1, 2, 3, 4)
"""


def test_the_check_flags_builtins_and_the_base_class():
    module = ("tutorial17/example.py", EXAMPLE, ast.parse(EXAMPLE))
    assert unjustified_raises([module]) == [
        "tutorial17/example.py:4: raise ValueError in bad()",
        "tutorial17/example.py:5: raise Tutorial17Error in bad()",
        "tutorial17/example.py:21: raise AttributeError in elsewhere()",
    ]
