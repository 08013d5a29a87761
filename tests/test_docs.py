"""
The docs run: every Python block and every shell command of every page in docs/.

Each page runs top to bottom in a fresh folder holding a copy of examples/day7.jsonl:
its ``python`` blocks in one namespace, its ``console`` blocks line by line against
the installed ``ledger`` command. A ``console`` block lists commands after ``$ ``
and, under each, the output it shows; that output must match what the command
prints (standard output and error together), where ``...`` matches any text in a
line, and a line of its own ``...`` any number of lines. A command must exit 0
unless the output shown is an error (a line starting ``Error:``, ``FAILED``
or ``Usage:``). A block right after a MyST comment ``% skip-test: why`` is not run.
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DAY7 = ROOT / "examples" / "day7.jsonl"
BLOCK = re.compile(
    r"(?P<skip>^% skip-test:[^\n]*\n)?^```(?P<lang>python|console)\n(?P<body>.*?)^```",
    re.DOTALL | re.MULTILINE,
)
SHOWS_FAILURE = re.compile(r"^(Error:|FAILED|Usage:)", re.MULTILINE)


@attrs.frozen
class Block:
    """One runnable block of a page."""

    lang: str
    body: str
    line: int  # the 0-based line of the page the body starts on
    skip: bool


@attrs.frozen
class Command:
    """One ``$ `` command of a console block, and the output shown under it."""

    command: str
    expected: str
    line: int  # 1-based line of the page


def blocks(page: Path) -> list[Block]:
    """Return the python and console blocks of *page*, in order."""
    text = page.read_text(encoding="utf-8")
    return [
        Block(
            lang=m.group("lang"),
            body=m.group("body"),
            line=text.count("\n", 0, m.start("body")),
            skip=m.group("skip") is not None,
        )
        for m in BLOCK.finditer(text)
    ]


def commands(block: Block) -> list[Command]:
    """Split a console block into its commands and the output shown under each."""
    found: list[Command] = []
    lines = block.body.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise AssertionError(f"line {block.line + i + 1}: output before any '$ ' command")
        start, command = i, lines[i][2:]
        while command.endswith("\\"):  # a command continued on the next line
            i += 1
            command = command[:-1] + lines[i]
        i += 1
        output: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        found.append(Command(command, "\n".join(output), block.line + start + 1))
    return found


def matches(expected: str, actual: str) -> bool:
    """Tell whether *actual* output is what the docs show, ``...`` matching anything."""
    parts = []
    for raw in expected.rstrip().splitlines():
        line = raw.rstrip()
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(map(re.escape, line.split("..."))) + r"\n")
    pattern = "".join(parts)
    text = "\n".join(line.rstrip() for line in actual.rstrip().splitlines())
    return re.fullmatch(pattern, text + "\n" if text else "") is not None


def run_console(block: Block, page: Path, folder: Path) -> None:
    """Run each command of *block* in *folder* and compare what it prints."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in commands(block):
        result = subprocess.run(
            ["bash", "-c", command.command],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=120,
        )
        where = f"{page.relative_to(DOCS)}:{command.line}: $ {command.command}"
        assert matches(command.expected, result.stdout), (
            f"{where}\n--- the docs show:\n{command.expected}\n--- it printed:\n{result.stdout}"
        )
        if not SHOWS_FAILURE.search(command.expected):
            assert result.returncode == 0, f"{where}\nexited {result.returncode}:\n{result.stdout}"


def runnable(page: Path) -> bool:
    return any(not block.skip for block in blocks(page))


PAGES = sorted(page for page in DOCS.rglob("*.md") if "_build" not in page.parts)


@pytest.mark.parametrize(
    "page", [p for p in PAGES if runnable(p)], ids=lambda p: str(p.relative_to(DOCS))
)
def test_page_runs(page, tmp_path, monkeypatch, capsys):
    """The code of a docs page runs top to bottom and prints what the page shows."""
    shutil.copy(DAY7, tmp_path / DAY7.name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    for block in blocks(page):
        if block.skip:
            continue
        if block.lang == "python":
            # Pad with blank lines so a failure points at the page's own line.
            padded = "\n" * block.line + block.body
            exec(compile(padded, str(page), "exec"), namespace)  # noqa: S102 - our own docs
        else:
            run_console(block, page, tmp_path)
    capsys.readouterr()


def test_the_tutorial_runs_commands_and_python():
    """The tutorial is among the pages run, with both shell commands and Python."""
    tutorial = DOCS / "tutorial" / "index.md"
    kinds = {block.lang for block in blocks(tutorial) if not block.skip}
    assert kinds == {"python", "console"}
    assert runnable(tutorial)


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ("a\nb", "a\nb\n", True),
        ("a\nb", "a\nc", False),
        ("head: 17:...", "head: 17:abc", True),
        ("head: 17:...", "head: 18:abc", False),
        ("a\n...\nz", "a\nb\nc\nz", True),
        ("a\n...\nz", "a\nz", True),
        ("", "", True),
        ("", "something", False),
        ("x  ", "x", True),
    ],
)
def test_output_matching(expected, actual, ok):
    """Shown output matches printed output line by line, `...` matching anything."""
    assert matches(expected, actual) is ok


def test_console_blocks_split_into_commands():
    """A console block splits at each `$ `, a trailing backslash continuing a command."""
    block = Block(lang="console", body="$ a \\\n  b\nout\n$ c\n", line=10, skip=False)
    assert commands(block) == [Command("a   b", "out", 11), Command("c", "", 14)]


def test_replay_to_date_script_runs(capsys):
    """The short replay script in docs/examples prints the day-7 state."""
    runpy.run_path(str(DOCS / "examples" / "replay_to_date.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "imported 16 records as 17 events" in out
    assert "casualties.russia.military.killed contested" in out
    disputed = "~498 people (disputed; disputed by Ukrainian presidential adviser)"
    assert f"Russian Defence Ministry: {disputed}" in out
    assert "subjects known on 2022-03-01: 0" in out
