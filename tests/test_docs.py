"""The documentation cannot drift: transcripts are the commands' real output, generated
pages are current, the contract travels with the clone, and the Quick start is two lines."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_transcripts_are_current():
    """README.md's transcripts (cog blocks) equal what the commands print now."""
    proc = subprocess.run([sys.executable, "docs/transcripts.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, ("stale transcripts: run python docs/transcripts.py\n"
                                  + proc.stdout[-4000:] + proc.stderr[-2000:])


def test_every_shell_transcript_is_generated():
    """A `$ mcof ...` line in README.md stands inside a cog block (so it is generated), or
    in the Quick start's fence (which CI runs)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    inside, outside = False, []
    for line in text.splitlines():
        if "[[[cog" in line:
            inside = True
        elif "[[[end]]]" in line:
            inside = False
        elif line.startswith("$ mcof") and not inside:
            outside.append(line)
    assert not outside, outside


def test_quick_start_is_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\n\n```\n(.*?)```", text, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2 and lines[1] == "pip install '.[test]' && python -m pytest -q tests"


def test_contract_in_the_repository_is_the_shared_contract():
    shared = ROOT.parent / "shared" / "CONTRACT.md"
    if not shared.is_file():
        pytest.skip("../shared/CONTRACT.md is not beside this checkout")
    assert (ROOT / "docs" / "contract.md").read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def test_links_between_docs_resolve():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).is_file(), f"{page.name} links {target}"
