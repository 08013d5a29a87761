"""
The documentation site: it builds without a warning, and its reference is complete.

The site is built once per session with ``sphinx-build -W --keep-going -b html``.
The reference is checked through the ``objects.inv`` inventory the build writes:
every name in ``ledger.__all__`` has an entry as ``ledger.NAME``, every other public
name of a public module has an entry where it is defined, and every ``ledger``
command, with each of its options and arguments, has an entry in the CLI reference.

Without the ``docs`` extra these tests are skipped, except under ``CI=true``,
where a missing extra is a failure.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

import ledger
from ledger.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs"

if os.environ.get("CI") == "true":
    import furo  # noqa: F401 - CI installs the docs extra: its absence fails here
    import myst_parser  # noqa: F401
    import sphinx  # noqa: F401
    import sphinx_click  # noqa: F401
else:
    for name in ("sphinx", "myst_parser", "furo", "sphinx_click"):
        pytest.importorskip(name, reason="the docs extra is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Build the site once into a fresh folder and return that folder."""
    out = tmp_path_factory.mktemp("site")
    warnings = out / "warnings.txt"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-q",
            "-w",
            str(warnings),
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(out / "html"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    (out / "result.txt").write_text(f"{result.returncode}\n{result.stdout}\n{result.stderr}")
    return out


def inventory(site: Path) -> dict[str, set[str]]:
    """Return the names in the built site's inventory, by role (``py:class``...)."""
    data = (site / "html" / "objects.inv").read_bytes()
    header_end = 0
    for _ in range(4):  # four lines of header, then zlib
        header_end = data.index(b"\n", header_end) + 1
    entries: dict[str, set[str]] = {}
    for line in zlib.decompress(data[header_end:]).decode("utf-8").splitlines():
        name, role, *_ = line.split(" ")
        entries.setdefault(role, set()).add(name)
    return entries


def test_the_site_builds_without_warnings(site):
    """sphinx-build -W succeeds and writes not one warning."""
    returncode, _, output = (site / "result.txt").read_text().partition("\n")
    warnings = (site / "warnings.txt").read_text()
    assert warnings == "", warnings
    assert returncode == "0", output


def public_modules() -> Iterator[str]:
    """Yield the public modules: no part of the name starts with an underscore."""
    for info in pkgutil.walk_packages(ledger.__path__, "ledger."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield info.name


def python_entries(site: Path) -> set[str]:
    return {
        name for role, names in inventory(site).items() if role.startswith("py:") for name in names
    }


def resolve(dotted: str) -> object:
    """Return the object a documented dotted name stands for, or a marker if none."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return NotImplemented
        return obj
    return NotImplemented


def test_every_name_in_ledger_all_has_a_reference_entry(site):
    """Each name ledger re-exports is documented as ledger.NAME."""
    documented = python_entries(site)
    missing = [name for name in ledger.__all__ if f"ledger.{name}" not in documented]
    assert missing == [], f"no reference entry for: {', '.join(missing)}"


def test_every_public_name_of_every_public_module_has_a_reference_entry(site):
    """Each name in a public module's __all__ is documented, under some public name."""
    documented = python_entries(site)
    by_last_part: dict[str, list[str]] = {}
    for entry in documented:
        by_last_part.setdefault(entry.rpartition(".")[2], []).append(entry)
    missing = []
    for module_name in public_modules():
        if f"{module_name}" not in documented:
            missing.append(module_name)
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not any(resolve(entry) is obj for entry in by_last_part.get(name, ())):
                missing.append(f"{module_name}.{name}")
    assert missing == [], f"no reference entry for: {', '.join(missing)}"


def cli_commands(
    group: click.Group, path: tuple[str, ...] = ("ledger",)
) -> Iterator[tuple[str, click.Command]]:
    """Yield *group* and each command under it with its program name (``ledger-state``)."""
    if len(path) == 1:
        yield path[0], group
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        program = (*path, name)
        yield "-".join(program), command
        if isinstance(command, click.Group):
            yield from cli_commands(command, program)


def test_every_cli_command_and_option_has_a_reference_entry(site):
    """Each ledger command, and each of its options and arguments, is in the CLI reference."""
    options = inventory(site).get("std:cmdoption", set())
    assert len(list(cli_commands(cli))) >= 16  # the group and its 15 commands
    missing = []
    for program, command in cli_commands(cli):
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            if isinstance(param, click.Argument):
                names = [param.human_readable_name]
            else:
                names = [*param.opts, *param.secondary_opts]
            missing += [f"{program} {n}" for n in names if f"{program}.{n}" not in options]
        if not command.params and not any(o.startswith(f"{program}.") for o in options):
            missing.append(program)
    assert missing == [], f"no CLI reference entry for: {', '.join(missing)}"
