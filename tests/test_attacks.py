"""Every attack of the corpus (tests/attacks.py) ends in a located `Error:` line, fast and small:
never a traceback, an `internal error`, a hang or unbounded memory. Then hypothesis fuzzes the
loaders (profile, ruleset, mapping, CSV) under the same bounds."""
from __future__ import annotations

import io
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from attacks import ROOT, build
from mcof.cli import main
from mcof.engine.errors import McofError

SECONDS, BYTES = 1.0, 200 * 1024 * 1024


def corpus_cases():
    """The corpus, built once at collection (the cases parametrise the test) and removed
    when the test process ends (it holds a FIFO and megabytes of generated files)."""
    import atexit
    import tempfile
    directory = Path(tempfile.mkdtemp(prefix="mcof-attacks-"))
    atexit.register(shutil.rmtree, directory, True)
    return build(directory / "corpus")


CASES = corpus_cases()


def bounded(call):
    """Run `call` and return (its value, CPU seconds, peak bytes allocated by Python). CPU time,
    not wall time: the bound is on the work an input costs, not on how busy the machine is."""
    tracemalloc.start()
    start = time.process_time()
    try:
        value = call()
    finally:
        seconds = time.process_time() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return value, seconds, peak


@pytest.fixture(autouse=True)
def no_ruleset_cache(monkeypatch):
    monkeypatch.setenv("MCOF_NO_CACHE", "1")


@pytest.mark.parametrize("name,argv,expected", CASES, ids=[c[0] for c in CASES])
def test_an_attack_ends_in_a_located_error_line(name, argv, expected):
    result, seconds, peak = bounded(lambda: CliRunner().invoke(main, argv))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 0, result.stdout[-500:]
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    error_line = next(line for line in result.stderr.splitlines() if line.startswith("Error:"))
    assert expected in result.stderr, result.stderr[-800:]
    assert "/" in error_line or ":" in error_line.removeprefix("Error:")  # says where
    assert len(result.stderr) < 5_000, "the message repeats the input"
    assert seconds < SECONDS * (3 if argv[0] == "batch" else 1), seconds
    assert peak < BYTES, peak


def test_a_batch_with_one_stray_quote_still_assesses_every_other_country():
    argv = next(argv for name, argv, _ in CASES if name == "table stray quote")
    result = CliRunner().invoke(main, argv)
    errors = Path(argv[-1]).with_suffix(".errors.csv").read_text(encoding="utf-8")
    assert "line 6" in errors and "swallowed are read on their own" in errors
    summary = result.stdout.splitlines()[0]
    assert summary.startswith("190 countries"), summary  # 191 in the table, less the row with the quote


def test_a_too_large_cell_fails_its_row_not_the_file(tmp_path, monkeypatch):
    from mcof.engine.batch.readers import read_raw
    lines = (ROOT / "tests" / "data" / "inform_risk_2020_v040.csv").read_bytes().split(b"\n")
    lines[5] = b"x" * 200_000 + lines[5][lines[5].index(b","):]
    path = tmp_path / "cell.csv"
    path.write_bytes(b"\n".join(lines))
    raw = read_raw(path)
    assert [e.row for e in raw.errors if "characters, over the limit of 100,000" in e.reason] == [6]
    assert len(raw.rows) == sum(1 for line in lines[1:] if line.strip()) - 1
    monkeypatch.setenv("MCOF_MAX_CELL_CHARS", "300000")
    assert not read_raw(path).errors


def test_limits_are_raised_by_their_variable_and_a_bad_value_is_an_error(tmp_path, monkeypatch):
    from mcof.engine.profile import read_profile_file
    deep = tmp_path / "deep.json"
    deep.write_text('{"a": ' * 70 + "1" + "}" * 70)
    with pytest.raises(McofError, match="70 levels deep"):
        read_profile_file(deep)
    monkeypatch.setenv("MCOF_MAX_JSON_DEPTH", "100")
    assert read_profile_file(deep)
    monkeypatch.setenv("MCOF_MAX_JSON_DEPTH", "lots")
    with pytest.raises(McofError, match="MCOF_MAX_JSON_DEPTH must be a positive whole number"):
        read_profile_file(deep)


def test_the_readme_lists_every_limit():
    from mcof.engine.limits import LIMITS
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for limit in LIMITS.values():
        assert (limit.env or "BETA_LIST_LENGTH") in readme and f"{limit.default:,}" in readme


def test_rich_markup_in_a_country_name_is_printed_as_it_is(tmp_path):
    table = ROOT / "tests" / "data" / "inform_risk_2020_v040.csv"
    marked = tmp_path / "inform.csv"
    marked.write_bytes(table.read_bytes().replace(b"Afghanistan", b"[/bold]Afghan[red]istan", 1))
    result = CliRunner().invoke(main, ["sweep", "--mapping", "inform", "--data", str(marked), "--data",
                                       str(ROOT / "tests" / "data" / "migrant_stock_share_undesa2024.csv"),
                                       "--country", "AFG", "--vary", "epidemic=3,5"])
    assert result.exit_code == 0, result.stderr
    assert "[/bold]Afghan[red]istan" in result.stdout


# --- fuzzing: any input gives a result or a clean McofError, within the bounds -----------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
def tokens(*words: str, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(words), max_size=max_size).map("".join)


YAMLISH = tokens(*"ab:-[]{}&*!|>?#'\", \n\t0123456789.e+", "crisis_type", "phase", "\ufeff", max_size=60)


def within_bounds(call):
    try:
        _, seconds, peak = bounded(call)
    except McofError as error:
        assert str(error) and "internal error" not in str(error)
        return
    assert seconds < SECONDS and peak < BYTES, (seconds, peak)


@FUZZ
@given(text=st.one_of(YAMLISH, st.text(max_size=200)), suffix=st.sampled_from([".yaml", ".json"]))
def test_fuzzed_profiles(tmp_path, text, suffix):
    from mcof.engine import load_ruleset
    from mcof.engine.profile import normalize_profile, read_profile_file
    path = tmp_path / f"p{suffix}"
    path.write_text(text, encoding="utf-8")
    ruleset = load_ruleset("2012")
    within_bounds(lambda: normalize_profile(ruleset, read_profile_file(path)))


REPLACEMENTS = st.sampled_from(["[a, b]", "{a: 1}", "9" * 200, "", "null", "'[/bold]'", "*undefined", "&x [*x]",
                                "[" * 300 + "]" * 300, "-1e999", "true", "\"\\u0000\"", "? [a]\n: b"])


@FUZZ
@given(line=st.integers(min_value=0, max_value=10_000), replacement=REPLACEMENTS)
def test_fuzzed_rulesets(tmp_path_factory, line, replacement):
    """One value of the mini ruleset replaced by something hostile: loads, or says what is wrong."""
    from mcof.engine import load_ruleset
    target = tmp_path_factory.mktemp("rs") / "mini"
    shutil.copytree(ROOT / "tests" / "fixtures" / "mini", target)
    head = target / "ruleset.yaml"
    head.write_text(head.read_text().replace("../../../rulesets/sources/MC2355.txt",
                                             str(ROOT / "rulesets" / "sources" / "MC2355.txt")))
    files = sorted(p for p in target.rglob("*.yaml"))
    lines = [(f, k) for f in files for k, text in enumerate(f.read_text().splitlines()) if ": " in text]
    file, k = lines[line % len(lines)]
    text = file.read_text().splitlines()
    key, _, _ = text[k].partition(": ")
    text[k] = f"{key}: {replacement}"
    file.write_text("\n".join(text) + "\n")
    within_bounds(lambda: load_ruleset(target))


@FUZZ
@given(line=st.integers(min_value=0, max_value=10_000), replacement=REPLACEMENTS)
def test_fuzzed_mappings(tmp_path_factory, line, replacement):
    from mcof.engine.batch.mapping import load_mapping
    source = (ROOT / "engine" / "mappings" / "inform.yaml").read_text(encoding="utf-8").splitlines()
    candidates = [k for k, text in enumerate(source) if ": " in text and not text.lstrip().startswith("#")]
    k = candidates[line % len(candidates)]
    key, _, _ = source[k].partition(": ")
    source[k] = f"{key}: {replacement}"
    path = tmp_path_factory.mktemp("map") / "inform.yaml"
    path.write_text("\n".join(source) + "\n", encoding="utf-8")
    within_bounds(lambda: load_mapping(path))


CELLS = tokens(*"AB,;\"' \t=+-@\r", "AFG", "7.5", "x", "\u00e9", max_size=6)


@FUZZ
@given(rows=st.lists(st.lists(CELLS, min_size=0, max_size=6), min_size=1, max_size=30),
       encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_fuzzed_csv_loses_no_row(tmp_path, rows, encoding):
    """Whatever the cells, the reader returns a table or an InputError; every line that holds
    a record (read alone) is a row or an error row: nothing is dropped silently."""
    import csv
    from mcof.engine.batch.readers import read_raw
    text = "ISO3,Country,Drought,Flood\n" + "\n".join(",".join(r) for r in rows) + "\n"
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    try:
        raw, seconds, peak = bounded(lambda: read_raw(path))
    except McofError:
        return
    assert seconds < SECONDS and peak < BYTES
    physical = io.StringIO(path.read_bytes().decode(raw.encoding).lstrip("\ufeff"), newline="").readlines()
    holding = {n for n, line in enumerate(physical, start=1)
               if n > (raw.tag_row or raw.header_row) and any(c.strip() for r in csv.reader([line]) for c in r)}
    covered = {n for n, _ in raw.rows} | {e.row for e in raw.errors if e.severity == "error"}
    assert holding <= covered <= set(range(1, len(physical) + 1))
    assert all(len(cells) == len(raw.headers) for _, cells in raw.rows)
