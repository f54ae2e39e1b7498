"""docs/reading-guide.md stays true: every file it names exists, every module is placed, every quoted line is there."""
from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "reading-guide.md").read_text()
KEY_LINES = re.findall(r"^\| [^|]+ \| `([^`]+)` \| `(.+)` \|$", GUIDE, re.M)


def test_the_key_ideas_table_is_there():
    assert len(KEY_LINES) >= 12


@pytest.mark.parametrize("path, line", KEY_LINES, ids=[line[:40] for _, line in KEY_LINES])
def test_every_quoted_line_is_in_its_file(path: str, line: str):
    assert line in (ROOT / path).read_text(), f"{path} no longer has: {line}"


def test_every_file_the_guide_names_exists():
    named = set(re.findall(r"`(tinydl/[\w/]+(?:\.py)?/?)`", GUIDE))
    missing = [path for path in named if not (ROOT / path).exists()]
    assert not missing


def test_every_module_has_a_place_in_the_reading_order():
    """A new module needs a line in the guide (a folder named with its trailing / covers its files)."""
    named = set(re.findall(r"`(tinydl/[\w/]+(?:\.py)?/?)`", GUIDE))
    folders = tuple(path for path in named if path.endswith("/"))
    modules = [str(path.relative_to(ROOT)) for path in (ROOT / "tinydl").rglob("*.py")
               if path.name != "__init__.py" and "coursework/assignments" not in str(path)]
    unplaced = [m for m in modules if m not in named and not m.startswith(folders)]
    assert not unplaced, f"modules missing from docs/reading-guide.md: {sorted(unplaced)}"
