"""The README, the docs and the notebooks' text say only what is true of the code.

Every ``--option`` a README command line shows exists in that subcommand's
parser; every ``tutorial17.x.y`` named in backticks resolves to a module or an
attribute; every relative link leads to a file that exists.
"""

import argparse
import importlib
import re
from pathlib import Path

from tutorial17 import cli
from tutorial17._runtime.report import IS_TF1

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
DOCS = sorted((REPO_ROOT / "docs").glob("*.md")) + [README, REPO_ROOT / "data" / "README.md"]
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))

# "python -m tutorial17 train ...", or the console script at the start of a line.
COMMAND = re.compile(r"(?:python -m |^(?:\w+=\S+ )*)tutorial17 ([a-z][a-z-]*)(.*)$", re.MULTILINE)
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
DOTTED = re.compile(r"`(tutorial17(?:\.[A-Za-z_]\w*)+)(?![\w.*])")  # not make_*_input_fn
LINK = re.compile(r"\]\(([^)\s]+)\)")
TF2_ONLY_MODULES = ("tutorial17.migrate",)


def subcommand_options():
    """``{subcommand: set of its --options}`` from the command line's own parser."""
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: {option for action in sub._actions for option in action.option_strings}
            for name, sub in subparsers.choices.items()}


def code_blocks(text):
    """The fenced code blocks of Markdown ``text``, each as one string."""
    blocks, current = [], None
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def readme_commands():
    """``(subcommand, options)`` of every ``tutorial17 <subcommand> ...`` line in README code."""
    found = []
    for block in code_blocks(README.read_text(encoding="utf-8")):
        for name, rest in COMMAND.findall(block):
            rest = rest.split("#")[0]  # a comment may name options of other commands
            found.append((name, OPTION.findall(rest)))
    return found


def test_readme_shows_every_subcommand():
    shown = {name for name, _ in readme_commands()}
    assert set(subcommand_options()) <= shown, set(subcommand_options()) - shown


@pytest.mark.parametrize("name, options", readme_commands(),
                         ids=lambda value: value if isinstance(value, str) else None)
def test_readme_command_options_exist(name, options):
    known = subcommand_options()
    assert name in known, f"README shows `tutorial17 {name}`, which is no subcommand"
    unknown = [option for option in options if option not in known[name]]
    assert not unknown, f"README shows {unknown} for `tutorial17 {name}`"


def test_readme_shows_every_option_of_every_subcommand():
    """The command block is complete: no option of any subcommand left out."""
    shown = {}
    for name, options in readme_commands():
        shown.setdefault(name, set()).update(options)
    missing = {name: sorted(options - shown.get(name, set()) - {"--help", "-h"})
               for name, options in subcommand_options().items()}
    assert not any(missing.values()), missing


def _markdown_texts():
    for path in DOCS:
        yield path, path.read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        cells = nbformat.read(str(path), as_version=4).cells
        yield path, "\n".join(c.source for c in cells if c.cell_type == "markdown")


def _dotted_names():
    names = set()
    for path, text in _markdown_texts():
        names.update((path.relative_to(REPO_ROOT).as_posix(), name)
                     for name in DOTTED.findall(text))
    return sorted(names)


def resolve(dotted):
    """Import the longest module prefix of ``dotted`` and fetch the rest as attributes."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("where, dotted", _dotted_names())
def test_named_package_objects_exist(where, dotted):
    if IS_TF1 and dotted.startswith(TF2_ONLY_MODULES):
        pytest.skip("tutorial17.migrate needs TensorFlow 2")
    try:
        resolve(dotted)
    except (ImportError, AttributeError) as error:
        pytest.fail(f"{where} names `{dotted}`, which does not resolve: {error}")


def _relative_links():
    links = set()
    for path, text in _markdown_texts():
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue  # a URL, or an anchor in the same page
            links.add((path.relative_to(REPO_ROOT).as_posix(), target))
    return sorted(links)


@pytest.mark.parametrize("where, target", _relative_links())
def test_relative_links_lead_to_files(where, target):
    path = (REPO_ROOT / where).parent / target.split("#")[0]
    assert path.exists(), f"{where} links to {target}, which does not exist"
