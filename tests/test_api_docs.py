"""The API reference (MkDocs + mkdocstrings, from the docstrings) builds with warnings as errors."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = ROOT / "docs" / "reference"
# not documented on their own: the operator table, a re-export, the dtype aliases
INTERNAL = {"methods", "autograd", "dtypes"}


def documented_modules() -> set[str]:
    return {name for page in PAGES.glob("*.md")
            for name in re.findall(r"^::: ([\w.]+)", page.read_text(), re.M)}


def test_every_public_module_has_a_place_in_the_reference():
    modules = {f"tinydl.{path.stem}" for path in (ROOT / "tinydl").glob("*.py")
               if not path.stem.startswith("_") and path.stem not in INTERNAL}
    modules |= {f"tinydl.nn.{path.stem}" for path in (ROOT / "tinydl" / "nn").glob("*.py")
                if not path.stem.startswith("_") and path.stem != "functional"}
    modules.add("tinydl.optim")
    assert modules - documented_modules() == set()


def test_every_page_is_in_the_navigation():
    config = (ROOT / "mkdocs.yml").read_text()
    navigation = set(re.findall(r"^  - [^:]+: (\S+\.md)$", config, re.M))
    assert {page.name for page in PAGES.glob("*.md")} == navigation


@pytest.mark.slow
def test_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs: the docs extra is not installed")
    pytest.importorskip("mkdocstrings_handlers.python",
                        reason="mkdocstrings[python]: the docs extra is not installed")
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    functions = (tmp_path / "functional" / "index.html").read_text()
    assert 'id="tinydl.functional.relu"' in functions
    assert 'id="tinydl.nn.summary.summary"' in (tmp_path / "nn" / "index.html").read_text()
