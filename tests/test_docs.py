"""The docs: every Python block in docs/*.md and every script in docs/examples runs."""

import re
import runpy
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_python_blocks_run(page, capsys):
    """The Python blocks of a docs page run top to bottom in one namespace."""
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    text = page.read_text(encoding="utf-8")
    for match in BLOCK.finditer(text):
        # Pad with blank lines so a failure points at the page's own line.
        padded = "\n" * text.count("\n", 0, match.start(1)) + match.group(1)
        exec(compile(padded, str(page), "exec"), namespace)  # noqa: S102 - our own docs
    capsys.readouterr()


def test_replay_to_date_script_runs(capsys):
    """The short replay script in docs/examples prints the day-7 state."""
    runpy.run_path(str(DOCS / "examples" / "replay_to_date.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "imported 16 records as 17 events" in out
    assert "casualties.russia.military.killed contested" in out
    disputed = "~498 people (disputed; disputed by Ukrainian presidential adviser)"
    assert f"Russian Defence Ministry: {disputed}" in out
    assert "subjects known on 2022-03-01: 0" in out
