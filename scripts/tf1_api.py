"""Static check that tutorial17 stays within TensorFlow 1.15's API.

TensorFlow 1.15 cannot be installed on Python >= 3.8, so the check reads the
code instead of running it. With the ``ast`` module it collects every attribute
chain rooted at a name bound to TensorFlow's API, in the package's modules and
in the code cells of ``notebooks/*.ipynb``, and looks each one up in
``scripts/data/compat_v1_api.txt`` (every public name of
``import tensorflow.compat.v1 as tf`` in TensorFlow 1.15.0).

Bindings understood (anywhere in a file, functions included)::

    import tensorflow.compat.v1 as tf          tf.train.AdamOptimizer  -> train.AdamOptimizer
    from tensorflow.compat import v1 as tf     (the same)
    from tensorflow.compat.v1 import layers    layers.dense            -> layers.dense
    import tensorflow as tf_root               tf_root.compat.v1.X     -> X
                                               tf_root.X               -> X (1.15's root is v1)

Only chains rooted at such a name are collected: in
``tf.train.get_global_step().graph`` the name is ``train.get_global_step``;
``.graph`` belongs to the returned object. A chain is in the API when its
longest listed prefix is the whole chain or is not a module
(``tf.estimator.ModeKeys.PREDICT``: ``estimator.ModeKeys`` is a class, so
``PREDICT`` is its attribute). ``tf.__version__`` and the other module dunders
are accepted; ``from tensorflow.compat.v1 import *`` is refused (it hides names).

A line that must use a name TensorFlow 1.15 lacks says so with a comment
``# tf2-only: <reason>`` and sits inside an ``if``, a conditional expression, an
``and``/``or`` or a ``try``: the branch that runs only on TensorFlow 2. Such uses
are listed, not failed; a marker without a reason, outside a guard, or on a line
that uses no TF 2-only name is a failure.

Run ``python scripts/tf1_api.py`` for the full report; ``tests/test_tf1_api.py`` runs the check.
"""

import ast
import bisect
import io
import json
import re
import sys
import tokenize
from collections import namedtuple
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
API_LIST = Path(__file__).resolve().parent / "data" / "compat_v1_api.txt"
PACKAGE_GLOB = "tutorial17/**/*.py"
NOTEBOOK_GLOB = "notebooks/**/*.ipynb"

# Files about leaving the Estimator for Keras: TensorFlow 2 by nature (Keras 2.15 or 3, eager
# execution), so TensorFlow 1.15's API does not bind them. They are listed, not scanned, and
# docs/tf1.md names each; on 1.15, `import tutorial17.migrate` refuses in one line.
TF2_ONLY_FILES = {
    "tutorial17/migrate.py": "the Keras side of the migration (Keras 2.15 or 3)",
    "notebooks/17_Estimator_to_Keras.ipynb": "the migration notebook (Keras 2.15 or 3)",
}

MARKER = re.compile(r"#\s*tf2-only\b:?\s*(.*)")
# Attributes every module object has; __version__ checked on 1.15.0's tensorflow.compat.v1.
MODULE_DUNDERS = frozenset({"__version__", "__name__", "__file__", "__doc__", "__path__"})
GUARDS = (ast.If, ast.IfExp, ast.BoolOp, ast.Try)
# Cell magics whose body is Python (checked); the body of any other (%%bash...) is not.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# IPython-only lines: %magic, !shell, x = %magic, x = !shell, ?name and name?.
IPYTHON_LINE = re.compile(r"^\s*([%!?]|[\w.,\s\[\]()]+=\s*[%!]|[\w.]+\s*\?\??\s*$)")

Use = namedtuple("Use", "where name marker guarded")
"""One TF name: ``where`` is ``file:line``; ``marker`` the tf2-only reason or None."""

Marker = namedtuple("Marker", "where reason guarded_uses names")


class Api:
    """The names of TensorFlow 1.15's ``tensorflow.compat.v1``, and which are modules."""

    def __init__(self, names):
        self.names = frozenset(names)
        self.modules = frozenset(".".join(n.split(".")[:i])
                                 for n in self.names for i in range(1, n.count(".") + 1))

    @classmethod
    def load(cls, path=API_LIST):
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return cls(line.strip() for line in lines if line.strip() and not line.startswith("#"))

    def has(self, name):
        """True if ``name`` (dotted, relative to ``tf``) exists in TensorFlow 1.15."""
        parts = name.split(".")
        if parts[0] in MODULE_DUNDERS:
            return True
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in self.names:
                # Past a class, function or constant, the rest are its own attributes.
                return i == len(parts) or prefix not in self.modules
        return False


# --- Collecting names from Python source. ---

def _tf_path(module):
    """``"tensorflow.compat.v1.layers"`` -> ``("compat", "v1", "layers")``; None if not TF."""
    parts = module.split(".")
    return tuple(parts[1:]) if parts[0] == "tensorflow" else None


def _relative_to_v1(parts):
    """A chain below TensorFlow's root as a name relative to ``tensorflow.compat.v1``."""
    parts = tuple(parts)
    if parts[:2] == ("compat", "v1"):
        return parts[2:]
    return parts  # in 1.15 the root namespace is the v1 API


def _bindings(tree):
    """Names bound to TensorFlow modules or objects, and the uses the imports themselves make.

    Returns ``({local name: path below tensorflow}, [(import node, name)], [problems])``.
    """
    bound, imported, problems = {}, [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                path = _tf_path(alias.name)
                if path is None:
                    continue
                if alias.asname:
                    bound[alias.asname] = path
                    if _relative_to_v1(path):
                        imported.append((node, _relative_to_v1(path)))
                else:  # "import tensorflow.compat.v1" binds "tensorflow"
                    bound["tensorflow"] = ()
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            path = _tf_path(node.module)
            if path is None:
                continue
            for alias in node.names:
                if alias.name == "*":
                    problems.append((node.lineno, f"from {node.module} import *: "
                                                  "import names one by one so they can be checked"))
                    continue
                full = path + (alias.name,)
                bound[alias.asname or alias.name] = full
                if _relative_to_v1(full):
                    imported.append((node, _relative_to_v1(full)))
    return bound, imported, problems


def _parents(tree):
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _comments(source):
    """``{line: comment text}`` for every comment in ``source`` (never text inside strings)."""
    comments = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string
    except (tokenize.TokenError, IndentationError):
        pass  # ast.parse has accepted the source; a tokenizer quirk only loses comments
    return comments


def _chain(node, bound):
    """``tf.a.b`` -> ``("a", "b")`` relative to compat.v1, if rooted at a TF name; else None."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in bound and attrs:
        return _relative_to_v1(bound[node.id] + tuple(reversed(attrs)))
    return None


def scan_source(source, where):
    """All TF names used by Python ``source``: ``(uses, markers, problems)``.

    ``where(line)`` turns a line number into the text that locates it.
    Problems are ``(where, message)`` pairs.
    """
    tree = ast.parse(source)
    bound, imported, import_problems = _bindings(tree)
    problems = [(where(line), msg) for line, msg in import_problems]
    comments = _comments(source)
    marks = {line: MARKER.search(text) for line, text in comments.items()}
    marks = {line: m.group(1).strip() for line, m in marks.items() if m}
    parents = _parents(tree)

    def marker_for(node):
        last = getattr(node, "end_lineno", None) or node.lineno
        for line in range(node.lineno, last + 1):
            if line in marks:
                return line
        return None

    def guarded(node):
        while node in parents:
            node = parents[node]
            if isinstance(node, GUARDS):
                return True
        return False

    found = []  # (line of marker or None, Use)

    def record(node, parts):
        mline = marker_for(node)
        found.append((mline, Use(where(node.lineno), ".".join(parts), marks.get(mline),
                                 guarded(node))))

    for node, parts in imported:
        record(node, parts)

    class Visitor(ast.NodeVisitor):
        def visit_Attribute(self, node):
            parts = _chain(node, bound)
            if parts is None:
                self.generic_visit(node)
            elif parts:  # the outermost attribute of a chain: its inner ones are not names
                record(node, parts)

    Visitor().visit(tree)
    uses = [use for _, use in found]
    markers = []
    for line, reason in sorted(marks.items()):
        on_line = [use for mline, use in found if mline == line]
        markers.append(Marker(where(line), reason, [u.guarded for u in on_line],
                              [u.name for u in on_line]))
    return uses, markers, problems


# --- Notebooks. ---

def notebook_cells(path):
    """``(cell number, Python source)`` for each code cell, IPython syntax blanked out.

    A cell that is plain Python is kept as it is. In one that is not, the
    ``%magic``, ``!shell``, ``x = !shell`` and ``name?`` lines become ``pass``,
    so line numbers still match. A cell magic's body is kept when it is Python
    (``%%time``...), dropped otherwise (``%%bash``...). Cell numbers count
    every cell from 1, as a reader scrolling the notebook would.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else source).splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            magic = lines[0].lstrip()[2:].split(maxsplit=1)
            if not magic or magic[0] not in PYTHON_CELL_MAGICS:
                continue
            lines[0] = ""
        yield number, _without_ipython_lines(lines)


def _without_ipython_lines(lines):
    source = "\n".join(lines) + "\n"
    try:
        ast.parse(source)
        return source
    except SyntaxError:
        pass
    cleaned = []
    for line in lines:
        if IPYTHON_LINE.search(line):
            line = line[:len(line) - len(line.lstrip())] + "pass"
        cleaned.append(line)
    return "\n".join(cleaned) + "\n"


# --- The whole project. ---

def project_sources(root=REPO):
    """``(label, where(line), source)`` for every package module and notebook code cell."""
    root = Path(root)
    for path in sorted(root.glob(PACKAGE_GLOB)):
        rel = path.relative_to(root).as_posix()
        if rel in TF2_ONLY_FILES:
            continue
        yield rel, (lambda line, rel=rel: f"{rel}:{line}"), path.read_text(encoding="utf-8")
    for path in notebook_paths(root):
        yield from _notebook_sources(path, path.relative_to(root).as_posix())


def _notebook_sources(path, rel):
    """A notebook's code cells as one source (cells share their names, as in a kernel);
    a cell that does not parse comes on its own, to be reported."""
    parts, starts = [], []  # the cells that parse, and (first line, cell number) of each
    first = 1
    for number, source in notebook_cells(path):
        def cell_where(line, number=number):
            return f"{rel} cell {number}:{line}"

        try:
            ast.parse(source)
        except SyntaxError:
            yield f"{rel} cell {number}", cell_where, source
            continue
        parts.append(source)
        starts.append((first, number))
        first += source.count("\n")

    def where(line):
        start, number = starts[bisect.bisect_right([s for s, _ in starts], line) - 1]
        return f"{rel} cell {number}:{line - start + 1}"

    if parts:
        yield rel, where, "".join(parts)


def notebook_paths(root=REPO):
    """Return the notebooks the scan reads: all but the TF 2-only ones and Jupyter's copies."""
    return sorted(p for p in Path(root).glob(NOTEBOOK_GLOB)
                  if ".ipynb_checkpoints" not in p.parts
                  and p.relative_to(root).as_posix() not in TF2_ONLY_FILES)


Report = namedtuple("Report", "uses missing markers problems")
"""``missing``: uses TF 1.15 lacks with no marker; ``problems``: (where, message) pairs."""


def check(sources, api):
    """Scan ``(label, where, source)`` triples and check every name against ``api``."""
    uses, markers, problems = [], [], []
    for _label, where, source in sources:
        try:
            u, m, p = scan_source(source, where)
        except SyntaxError as e:
            problems.append((where(e.lineno or 0), f"cannot parse: {e.msg}"))
            continue
        uses += u
        markers += m
        problems += p
    missing = [u for u in uses if not api.has(u.name) and u.marker is None]
    for m in markers:
        if not m.reason:
            problems.append((m.where, "'# tf2-only:' needs a reason after the colon"))
        lacking = [n for n in m.names if not api.has(n)]
        if not lacking:
            problems.append((m.where, "'# tf2-only:' on a line that uses no TF 2-only name "
                                      f"(uses: {', '.join(m.names) or 'none'})"))
        elif not all(m.guarded_uses):
            problems.append((m.where, f"tf.{lacking[0]} is TF 2-only but not inside an if, "
                                      "a conditional expression, and/or, or try"))
    return Report(uses, missing, markers, problems)


def check_project(root=REPO, api=None):
    return check(project_sources(root), api or Api.load())


def format_failures(report):
    lines = [f"{u.where}: tf.{u.name} is not in TensorFlow 1.15 (guard it and mark the line "
             f"'# tf2-only: <reason>' if it must stay)" for u in report.missing]
    lines += [f"{where}: {message}" for where, message in report.problems]
    return "\n".join(lines)


def main():
    report = check_project()
    names = sorted({u.name for u in report.uses})
    print(f"{len(report.uses)} uses of {len(names)} TensorFlow names in the package "
          f"and {len(notebook_paths())} notebook(s)")
    for rel, reason in TF2_ONLY_FILES.items():
        print(f"tf2-only file, not scanned: {rel} ({reason})")
    for m in report.markers:
        print(f"tf2-only: {m.where}: {', '.join('tf.' + n for n in m.names)} ({m.reason})")
    failures = format_failures(report)
    print(failures or "all within TensorFlow 1.15")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
