"""Batch assessment of country tables (``mcof batch``), the data side.

    mapping = load_mapping("inform", overrides={"drought": 6.0})
    table = read_inputs(["inform.csv", "migrant_stock.csv"], mapping)   # InputTable; frame, errors = table
    profiles = build_profiles(table, mapping)                          # list[CountryProfile]
    # ... the engine assesses each profile.facts -> assessment dict (CONTRACT.md JSON shape)
    long_rows, summary_rows = build_tables([(profile, assessment), ...], sectors=[...], levels=ruleset.levels)
    write_outputs("out.csv", long_rows, summary_rows, build_error_rows(table), provenance)

Every error is a :class:`BatchError` (``MappingError``, ``InputError``, ``OutputError``) with
``message``, ``file``/``row``/``column``/``field`` and ``hint``.  No click here.
"""
from .errors import BatchError, InputError, MappingError, OutputError, RowError
from .inputs import Cell, InputFile, InputTable, read_inputs
from .mapping import COUNTRIES, ID_UNITS, Mapping, Threshold, Units, Vintage, builtin_mappings, load_mapping
from .outputs import output_paths, write_outputs
from .profiles import CountryProfile, Evidence, build_profiles
from .tables import build_error_rows, build_tables

__all__ = [
    "BatchError", "MappingError", "InputError", "OutputError", "RowError",
    "Mapping", "Threshold", "Vintage", "Units", "COUNTRIES", "ID_UNITS", "load_mapping", "builtin_mappings",
    "read_inputs", "InputTable", "InputFile", "Cell",
    "build_profiles", "CountryProfile", "Evidence",
    "build_tables", "build_error_rows",
    "write_outputs", "output_paths",
]
