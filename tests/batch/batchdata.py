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


# ------------------------------------------------------------------ INFORM releases (vintages)

# The columns of the 2016 and mid-2018 INFORM releases, in their order (issue 11): no
# Epidemic, no RISK CLASS, no Countries in HVC.
OLD_INFORM_COLUMNS = [
    "COUNTRY", "ISO3", "Earthquake", "Flood", "Tsunami", "Tropical Cyclone", "Drought", "Natural",
    "Projected Conflict Risk", "Current Highly Violent Conflict Intensity", "Human", "HAZARD & EXPOSURE",
    "Development & Deprivation", "Inequality", "Aid Dependency", "Socio-Economic Vulnerability",
    "Uprooted people", "Health Conditions", "Children U5", "Recent Shocks", "Food Security",
    "Other Vulnerable Groups", "Vulnerable Groups", "VULNERABILITY", "DRR", "Governance", "Institutional",
    "Communication", "Physical infrastructure", "Access to health care", "Infrastructure",
    "LACK OF COPING CAPACITY", "INFORM RISK", "Rank", "Missing Indicators"]
_FROM_2020 = {"Missing Indicators": "Number of Missing Indicators"}


def old_inform_records(x_cells=()):
    """The 2020 table cut to the older releases' columns (their values as in 2020), with an
    ``x`` (INFORM's missing value) in each (ISO3, column) of ``x_cells``."""
    recs = inform_records()
    idx = [recs[0].index(_FROM_2020.get(c, c)) for c in OLD_INFORM_COLUMNS]
    out = [OLD_INFORM_COLUMNS] + [[r[i] for i in idx] for r in recs[1:]]
    for iso3, column in x_cells:
        next(r for r in out if r[1] == iso3)[OLD_INFORM_COLUMNS.index(column)] = "x"
    return out


def write_inform_2016(path: Path, x_cells=()) -> Path:
    """As INFORM 2016 came: UTF-8, a trailing empty column, a blank line after every row."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    for record in old_inform_records(x_cells):
        writer.writerow(record + [""])
        buf.write("\n")
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def write_inform_2018(path: Path, x_cells=()) -> Path:
    """As mid-2018 INFORM came: Latin-1, CRLF line ends."""
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(old_inform_records(x_cells))
    path.write_bytes(buf.getvalue().encode("latin-1"))
    return path


# ----------------------------------------------------------------- sub-national units (ids)

def pcode(iso3: str, n: int) -> str:
    """A P-code-like id of a country's n-th admin unit: ISO2 + admin1 number + 00 (SY0100)."""
    import pycountry
    country = pycountry.countries.get(alpha_3=iso3)
    return f"{country.alpha_2 if country else iso3[:2]}{n:02d}00"


def subnational_records(units_per_country: int, countries: int | None = None):
    """The 2020 table split into admin units, each carrying its country's values, keyed by a
    P-code (``admin1Pcode``) and named ``admin1Name``; no ISO3 or COUNTRY column."""
    recs = inform_records()
    head = recs[0]
    keep = [i for i, h in enumerate(head) if h not in ("COUNTRY", "ISO3")]
    out = [["admin1Pcode", "admin1Name"] + [head[i] for i in keep]]
    for r in recs[1:1 + countries if countries else None]:
        for n in range(1, units_per_country + 1):
            out.append([pcode(r[1], n), f"{r[0]} unit {n}"] + [r[i] for i in keep])
    return out
