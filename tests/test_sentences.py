"""The sentence table: every sentence of the paragraphs a ruleset reads, encoded or explained."""
from pathlib import Path

import pytest
from click.testing import CliRunner

from mcof import load_ruleset
from mcof.cli import main
from mcof.engine.sentences import gaps, sentence_table, sentences_markdown, split_sentences
from tests.conftest import ROOT


def _texts(paragraph):
    return [paragraph[a:b] for a, b in split_sentences(paragraph)]


def test_split_keeps_abbreviations_and_drops_number_and_legend():
    text = ("13. During a disaster, responses use the cluster approach (i.e. OCHA). Coordination with e.g. UNDP "
            "may also be necessary. If there are migrants, there will be coordination. Diagram for a man-made "
            "disaster: Internal movements Critical Important")
    assert _texts(text) == ["During a disaster, responses use the cluster approach (i.e. OCHA).",
                            "Coordination with e.g. UNDP may also be necessary.",
                            "If there are migrants, there will be coordination."]


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_every_sentence_in_scope_is_encoded_or_explained(name):
    table = sentence_table(load_ruleset(name))
    assert table, "the ruleset declares a reading scope"
    missing = gaps(table)
    assert not missing, "\n".join(f"{s.citation}: {s.text[:100]}" for s in missing)


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_no_reason_is_kept_for_a_sentence_a_rule_now_encodes(name):
    stale = [s for s in sentence_table(load_ruleset(name)) if s.rules and s.reason]
    assert not stale, "\n".join(f"{s.citation}: {s.text[:80]} ({[r.id for r in s.rules]})" for s in stale)


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_every_reading_names_a_sentence_of_its_scope(name):
    ruleset = load_ruleset(name)
    explained = {s.reason for s in sentence_table(ruleset) if s.reason}
    for entry in ruleset.unencoded:
        assert entry.citation in ruleset.reading_scope, entry
        assert entry.reason in explained, entry


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_every_own_rule_quotes_a_sentence_of_the_table(name):
    """A rule citing a paragraph outside the scope would escape the sentence-by-sentence reading."""
    ruleset = load_ruleset(name)
    listed = {r.id for s in sentence_table(ruleset) for r in s.rules}
    own = {r.id for r in ruleset.rules if r.origin is None}
    assert own <= listed, sorted(own - listed)


@pytest.mark.parametrize("name", ["2012", "2021"])
def test_committed_sentence_docs_are_current(name):
    ruleset = load_ruleset(name)
    committed = (ROOT / "docs" / f"sentences-{name}.md").read_text(encoding="utf-8")
    assert committed == sentences_markdown(ruleset, sentence_table(ruleset)), (
        f"docs/sentences-{name}.md is stale: run mcof rules sentences --ruleset {name} --format markdown "
        f"-o docs/sentences-{name}.md")


def test_cli_check_fails_on_a_gap(mini_copy, tmp_path):
    import shutil
    explained = shutil.copytree(mini_copy, tmp_path / "explained")  # rulesets are cached per directory
    (mini_copy / "readings.yaml").write_text(
        "scope:\n  - {document: MC/2355, section: Annex I, paragraphs: [5, 5]}\n")
    result = CliRunner().invoke(main, ["rules", "sentences", "--ruleset", str(mini_copy), "--gaps", "--check"])
    assert result.exit_code == 1 and "neither encoded by a rule nor explained" in result.stderr
    (explained / "readings.yaml").write_text(
        "scope:\n  - {document: MC/2355, section: Annex I, paragraphs: [5, 5]}\nunencoded:\n"
        "  - citation: {document: MC/2355, section: Annex I, paragraph: 5}\n"
        "    quote: A man-made disaster such as internal violence\n    reason: Describes the scenario.\n"
        "  - citation: {document: MC/2355, section: Annex I, paragraph: 5}\n"
        "    quote: Such disasters can also create situations\n    reason: Describes the scenario.\n")
    result = CliRunner().invoke(main, ["rules", "sentences", "--ruleset", str(explained), "--check"])
    assert result.exit_code == 0, result.stderr


def test_a_reading_whose_quote_is_not_in_its_paragraph_is_refused(mini_copy):
    from mcof.engine import RulesetError
    (mini_copy / "readings.yaml").write_text(
        "scope:\n  - {document: MC/2355, section: Annex I, paragraphs: [5, 5]}\nunencoded:\n"
        "  - citation: {document: MC/2355, section: Annex I, paragraph: 5}\n"
        "    quote: A natural disaster such as internal violence\n    reason: x\n")
    with pytest.raises(RulesetError, match="quote not found verbatim"):
        load_ruleset(mini_copy)
