"""A table assessed partition by partition (engine/batch/partition.py) gives, once combined,
the files `mcof batch` writes for the whole table: on the real INFORM table alone and on a
table of units by id with bad, missing and broken cells; on Dask too when it is installed."""
import csv
import io

import pandas as pd
import pytest
import yaml

from batchdata import INFORM, inform_records, old_inform_records, subnational_records, write_csv

from mcof.engine.batch import InputError
from mcof.engine.batch.mapping import BUILTIN_DIR
from mcof.engine.batch.outputs import output_paths
from mcof.engine.batch.partition import assess_partition, combine_partitions, frame_table, long_columns
from mcof.engine.batch.pipeline import run_batch

CUTS = (0.13, 0.61)   # three uneven partitions


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def read_as_written(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="strict",
                       encoding="latin-1" if path == INFORM else "utf-8")


def partitions(frame: pd.DataFrame) -> list[pd.DataFrame]:
    n = len(frame)
    bounds = [0, int(n * CUTS[0]), int(n * CUTS[1]), n]
    return [frame.iloc[a:b] for a, b in zip(bounds, bounds[1:])]


def as_written(path) -> pd.DataFrame:
    """A table of a batch output, every cell a string as in the file."""
    records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return pd.DataFrame(records[1:], columns=records[0], dtype=object)


def whole_and_parts(tmp_path, table, mapping="inform", **options):
    whole = run_batch([table], mapping, "2012", tmp_path / "out.csv", keep_profiles=False, **options)
    parts = [assess_partition(part, mapping, "2012", source=str(table), **options)
             for part in partitions(read_as_written(table))]
    return whole, parts, combine_partitions(parts, inputs=[table])


def assert_same_tables(tmp_path, whole, combined, errors_in_order=True):
    files = output_paths(tmp_path / "out.csv")
    pd.testing.assert_frame_equal(combined.long, as_written(files["long"]))
    pd.testing.assert_frame_equal(combined.summary, as_written(files["summary"]))
    expected_errors = as_written(files["errors"])
    if errors_in_order:
        pd.testing.assert_frame_equal(combined.errors, expected_errors)
    else:   # the ruleset's rejections come after each partition's row errors, not the table's
        key = list(expected_errors.columns)
        pd.testing.assert_frame_equal(combined.errors.sort_values(key, ignore_index=True),
                                      expected_errors.sort_values(key, ignore_index=True))
    pd.testing.assert_frame_equal(combined.errors_summary, as_written(files["errors_summary"]))
    assert combined.provenance["parameters"] == whole.provenance["parameters"]
    assert combined.provenance["inputs"] == [{"file": i["file"], "sha256": i["sha256"]}
                                             for i in whole.provenance["inputs"]]


def test_the_inform_table_in_three_partitions_gives_the_whole_tables(tmp_path):
    whole, parts, combined = whole_and_parts(tmp_path, INFORM)
    assert [len(p.summary) for p in parts] == [24, 92, 75] and whole.unit_count == 191
    assert_same_tables(tmp_path, whole, combined)
    assert [(p["first_row"], p["last_row"]) for p in combined.provenance["partitions"]] == \
        [(2, 25), (26, 117), (118, 192)]


def test_units_by_id_with_bad_and_missing_cells_in_three_partitions_give_the_whole_tables(tmp_path):
    recs = subnational_records(3, countries=30)
    head = recs[0]
    recs[2][head.index("Drought")] = "high"               # a bad cell: an error row
    recs[40][head.index("Epidemic")] = "x"                # a missing one
    recs[77][head.index("Countries in HVC")] = "maybe"    # a bad flag
    recs[60][0] = ""                                      # no id
    recs.append(list(recs[80]))                           # a duplicate in the same (last) partition
    table = write_csv(tmp_path / "units.csv", recs)
    whole, parts, combined = whole_and_parts(tmp_path, table, id_column="admin1Pcode", name_column="admin1Name")
    assert_same_tables(tmp_path, whole, combined)
    reasons = " ".join(combined.errors["reason"])
    for reason in ("not a number", "not a yes/no value", "no id in column", "duplicate id"):
        assert reason in reasons
    assert combined.provenance["parameters"]["units"] == 89


def test_a_release_lacking_a_column_warns_once_for_all_partitions(tmp_path):
    table = write_csv(tmp_path / "inform.csv", old_inform_records(x_cells=[("SDN", "Drought")]))
    whole, parts, combined = whole_and_parts(tmp_path, table)
    warnings = [p.errors[p.errors["row"] == ""] for p in parts]
    assert len(warnings[0]) == 3 and all(w.equals(warnings[0]) for w in warnings)   # the release, 2 columns
    assert_same_tables(tmp_path, whole, combined)


def test_profiles_the_ruleset_refuses_are_the_same_errors_in_another_order(tmp_path):
    raw = yaml.safe_load((BUILTIN_DIR / "inform.yaml").read_text(encoding="utf-8"))
    raw["facts"]["made_up_fact"] = {"type": "bool", "when": {"indicator": "drought", "gte": "drought"}}
    mapping = tmp_path / "made_up.yaml"
    mapping.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    recs = inform_records()
    recs[3][recs[0].index("Drought")] = "high"           # a row error in the first partition ...
    recs[150][recs[0].index("Drought")] = "high"         # ... and one in the last
    table = write_csv(tmp_path / "inform.csv", recs)
    whole, parts, combined = whole_and_parts(tmp_path, table, mapping=str(mapping))
    assert_same_tables(tmp_path, whole, combined, errors_in_order=False)
    refused = combined.errors["reason"].str.contains("made_up_fact")
    bad = combined.errors["reason"].str.contains("not a number")
    assert refused.sum() > 1 and bad.sum() == 2
    assert bad[::-1].idxmax() > refused.idxmax()   # the last partition's row error comes after refusals


def test_a_unit_in_two_partitions_is_not_found_a_duplicate(tmp_path):
    recs = subnational_records(2, countries=10)
    recs.append(list(recs[1]))                          # the first unit again, in the last partition
    frame = read_as_written(write_csv(tmp_path / "units.csv", recs))
    combined = combine_partitions([assess_partition(p, "inform", "2012", id_column="admin1Pcode")
                                   for p in partitions(frame)])
    assert (combined.summary["unit_id"] == recs[1][0]).sum() == 2
    assert "duplicate id" not in " ".join(combined.errors["reason"])


def test_cells_not_as_written_are_refused_saying_how_to_read_them():
    numbers = pd.read_csv(INFORM, encoding="latin-1")
    with pytest.raises(InputError, match="holds float64 values") as caught:
        frame_table(numbers, "inform.csv")
    assert "dtype=str, keep_default_na=False" in caught.value.hint
    text = read_as_written(INFORM)
    text.loc[5, "Drought"] = None
    with pytest.raises(InputError, match="a cell is missing") as caught:
        frame_table(text, "inform.csv")
    assert (caught.value.row, caught.value.column) == (7, "Drought")


def test_dask_map_partitions_gives_the_whole_long_table(tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    import dask
    run_batch([INFORM], "inform", "2012", tmp_path / "out.csv", keep_profiles=False)
    frames = dd.from_pandas(read_as_written(INFORM), npartitions=3)
    meta = pd.DataFrame({c: pd.Series(dtype=object) for c in long_columns("inform")})
    long_table = frames.map_partitions(
        lambda part: assess_partition(part, "inform", "2012", source=str(INFORM)).long, meta=meta)
    with dask.config.set(scheduler="threads"):
        got = long_table.compute()
    expected = as_written(output_paths(tmp_path / "out.csv")["long"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True).astype(object), expected)
    parts = dask.compute(*[dask.delayed(assess_partition)(p, "inform", "2012", source=str(INFORM))
                           for p in frames.to_delayed()], scheduler="sync")
    assert len(parts) == 3
    pd.testing.assert_frame_equal(combine_partitions(parts).summary,
                                  as_written(output_paths(tmp_path / "out.csv")["summary"]))
