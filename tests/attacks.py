"""The attack corpus of issue #13: inputs a careless user or an attacker gives mcof.

Generated, not committed (some are large): `python tests/attacks.py DIR` writes them to DIR;
tests/test_attacks.py builds them in a temporary directory and runs each through the CLI.
Each case is (name, command line, what the `Error:` line must say).
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULESET_2012 = ROOT / "rulesets" / "2012"
RULESET_2021 = ROOT / "rulesets" / "2021"
INFORM = ROOT / "tests" / "data" / "inform_risk_2020_v040.csv"
UNDESA = ROOT / "tests" / "data" / "migrant_stock_share_undesa2024.csv"
FIRST_RULE = "{fact: phase, includes: before}"


def alias_bomb(levels: int, width: int = 9) -> str:
    """A few hundred bytes of YAML whose aliases expand to width**levels values."""
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _ruleset_copy(base: Path, corpus: Path, name: str) -> Path:
    target = corpus / "rulesets" / name
    shutil.copytree(base, target)
    return target


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def profile_cases(corpus: Path) -> list[tuple[str, list[str], str]]:
    p = corpus / "profiles"
    p.mkdir(parents=True)
    files = {
        "alias-bomb.yaml": (alias_bomb(4) + "crisis_type: [*a3]\n", "aliases"),
        "long-int.yaml": ("crisis_type: man_made\nnumber_of_crisis_affected: " + "9" * 5000 + "\n",
                          "a number of 5,000 characters"),
        "long-int.json": ('{"crisis_type": "man_made", "x": ' + "9" * 5000 + "}", "a number of 5,000 characters"),
        "list-key.yaml": ("crisis_type: man_made\n? [a, b]\n: 1\n", "a list cannot be a key"),
        "deep.json": ('{"a": ' * 2000 + "1" + "}" * 2000, "JSON nested"),
        "deep.yaml": ("crisis_type: " + "[" * 5000 + "]" * 5000 + "\n", "nesting depth"),
        "duplicate.json": ('{"phase": "during", "phase": "after"}', "duplicate key 'phase'"),
        "duplicate.yaml": ("phase: during\nphase: after\n", "duplicate key 'phase'"),
        "huge.yaml": ("crisis_type: man_made\nnote: " + "y" * 1_100_000 + "\n", "larger than 1,000,000 bytes"),
        "list.yaml": ("- crisis_type\n- man_made\n", "a profile is a mapping of facts"),
        "unknown.yaml": ("crisis_typ: man_made\n", "did you mean 'crisis_type'"),
        "markup.yaml": ("crisis_type: '[/bold]'\n", "[/bold]"),
    }
    cases = []
    for name, (text, expected) in files.items():
        (p / name).write_text(text, encoding="utf-8")
        cases.append((f"profile {name}", ["assess", str(p / name)], expected))
    (p / "binary.yaml").write_bytes(b"\xff\xfe\x00\x01bad")
    cases.append(("profile binary", ["assess", str(p / "binary.yaml")], "UTF-8"))
    (p / "dir.yaml").mkdir()
    cases.append(("profile directory", ["assess", str(p / "dir.yaml")], "is a directory"))
    if hasattr(os, "mkfifo"):
        os.mkfifo(p / "fifo.yaml")
        cases.append(("profile FIFO", ["assess", str(p / "fifo.yaml")], "regular file"))
    (p / "zero.yaml").symlink_to("/dev/zero")
    cases.append(("profile symlink to /dev/zero", ["assess", str(p / "zero.yaml")], "regular file"))
    return cases


def ruleset_cases(corpus: Path) -> list[tuple[str, list[str], str]]:
    shutil.copytree(ROOT / "rulesets" / "sources", corpus / "rulesets" / "sources")
    cases = []

    def case(name: str, base: Path, edit, expected: str):
        target = _ruleset_copy(base, corpus, name)
        edit(target)
        cases.append((f"ruleset {name}", ["assess", "--ruleset", str(target), "--set", "crisis_type=man_made"],
                      expected))

    general = Path("rules") / "general.yaml"
    case("inherits-itself", RULESET_2021, lambda t: _edit(t / "ruleset.yaml", "ruleset: ../2012", "ruleset: ."),
         "rulesets inherit in a cycle")

    def two_cycle(t: Path):
        other = _ruleset_copy(RULESET_2021, corpus, "cycle-b")
        _edit(t / "ruleset.yaml", "ruleset: ../2012", "ruleset: ../cycle-b")
        _edit(other / "ruleset.yaml", "ruleset: ../2012", f"ruleset: ../{t.name}")
    case("cycle-a", RULESET_2021, two_cycle, "rulesets inherit in a cycle")
    case("long-int", RULESET_2012, lambda t: _edit(
        t / general, FIRST_RULE, FIRST_RULE + "\n        - {fact: number_of_migrants, greater_than: " + "9" * 5000 + "}"),
        "a number of 5,000 characters")
    case("list-key", RULESET_2012, lambda t: _edit(
        t / general, "    citation: {document: MC/2355, paragraph: 10}",
        "    ? [a, b]\n    : 1\n    citation: {document: MC/2355, paragraph: 10}"), "a list cannot be a key")
    case("alias-bomb", RULESET_2012, lambda t: _edit(
        t / general, "rules:\n", "description:\n" + re.sub(r"^a\d+: ", "  - ", alias_bomb(8, 10), flags=re.M)
        + "rules:\n"), "once its aliases (*name) are expanded")
    case("deep", RULESET_2012, lambda t: _edit(t / general, "rules:\n", "description: " + "[" * 5000 + "]" * 5000
                                                + "\nrules:\n"), "nesting depth")
    case("list-as-document", RULESET_2012, lambda t: _edit(t / general, "document: MC/2355", "document: [MC/2355]"),
         "field 'document' must be non-empty text")
    case("list-as-fact", RULESET_2012, lambda t: _edit(t / general, "{fact: phase,", "{fact: [phase],"),
         "field 'fact' must be non-empty text")
    case("list-as-paragraph", RULESET_2012, lambda t: _edit(t / general, "paragraph: 10}", "paragraph: [10]}"),
         "must be a whole number")
    case("dnf-blow-up", RULESET_2012, lambda t: _edit(
        t / general, "      all:\n        - " + FIRST_RULE,
        "      all:\n        - " + FIRST_RULE + "".join(
            f"\n        - any: [{{fact: phase, includes: during}}, {{fact: crisis_type, includes: health}}]"
            for _ in range(20))), "alternatives")
    return cases


def table_cases(corpus: Path) -> list[tuple[str, list[str], str]]:
    t = corpus / "tables"
    t.mkdir(parents=True)
    lines = INFORM.read_bytes().split(b"\n")
    lines[5] = b'"' + lines[5]
    (t / "stray-quote.csv").write_bytes(b"\n".join(lines))
    cases = [("table stray quote", ["batch", str(t / "stray-quote.csv"), str(UNDESA), "--mapping", "inform",
                                    "--output", str(corpus / "out" / "stray.csv")], "could not be used")]
    (t / "fifo.csv").parent.mkdir(exist_ok=True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(t / "fifo.csv")
        cases.append(("table FIFO", ["batch", str(t / "fifo.csv"), "--mapping", "inform", "--output",
                                     str(corpus / "out" / "fifo.csv")], "not a regular file"))
    return cases


def mapping_cases(corpus: Path) -> list[tuple[str, list[str], str]]:
    m = corpus / "mappings"
    m.mkdir(parents=True)
    source = (ROOT / "engine" / "mappings" / "inform.yaml").read_text(encoding="utf-8")
    number = re.search(r"value: ([0-9.]+)", source)
    (m / "long-int.yaml").write_text(source.replace(number.group(0), "value: " + "9" * 5000, 1), encoding="utf-8")
    (m / "alias-bomb.yaml").write_text("description:\n" + re.sub(r"^a\d+: ", "  - ", alias_bomb(8, 10), flags=re.M)
                                       + source, encoding="utf-8")
    return [(f"mapping {p.name}", ["batch", str(INFORM), "--mapping", str(p), "--output",
                                   str(corpus / "out" / f"{p.stem}.csv")], expected)
            for p, expected in ((m / "long-int.yaml", "a number of 5,000 characters"),
                                (m / "alias-bomb.yaml", "once its aliases (*name) are expanded"))]


def build(corpus: Path) -> list[tuple[str, list[str], str]]:
    corpus.mkdir(parents=True, exist_ok=True)
    return profile_cases(corpus) + ruleset_cases(corpus) + table_cases(corpus) + mapping_cases(corpus)


if __name__ == "__main__":
    for name, argv, expected in build(Path(sys.argv[1])):
        print(f"{name}: mcof {' '.join(argv)}  # Error: ...{expected}...")
