"""Helpers of the batch tests: the real tables and small CSV writers."""
import csv
import io
from pathlib import Path


DATA = Path(__file__).resolve().parent.parent / "data"
INFORM = DATA / "inform_risk_2020_v040.csv"
STOCK = DATA / "migrant_stock_share_undesa2024.csv"


def inform_records():
    """The INFORM table as a list of records (header first), decoded from Latin-1."""
    return list(csv.reader(io.StringIO(INFORM.read_bytes().decode("latin-1"), newline="")))


def write_csv(path: Path, records, encoding="utf-8"):
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(records)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def by_iso(profiles):
    return {p.iso3: p for p in profiles}
