"""What produced an output (CONTRACT.md, "Provenance"): the tool, the ruleset and its hash, the
inputs, the parameters in force, and when. ``SOURCE_DATE_EPOCH`` fixes the time, so identical
inputs give byte-identical outputs.
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path

from .ruleset import Ruleset
from .version import __version__

SCHEMA_VERSION = "1"


def generated_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch and epoch.isdigit() \
        else datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def file_input(path: str | Path) -> dict:
    data = Path(path).read_bytes()
    return {"file": str(path), "sha256": hashlib.sha256(data).hexdigest()}


def tool() -> dict:
    return {"name": "mcof", "version": __version__}


def provenance(ruleset: Ruleset, inputs: list[dict] | None = None, parameters: dict | None = None) -> dict:
    return {"tool": tool(),
            "ruleset": {"id": ruleset.id, "sha256": ruleset.sha256},
            "inputs": inputs or [], "parameters": parameters or {}, "generated_at": generated_at()}


def profile_inputs(profile_path: str | None, assignments) -> list[dict]:
    """A profile's inputs as provenance names them: the file with its sha256, and the --set overrides."""
    inputs = [] if not profile_path else [{"file": "<stdin>"}] if profile_path == "-" else [file_input(profile_path)]
    if assignments:
        inputs.append({"set": list(assignments)})
    return inputs


def with_provenance(result, ruleset: Ruleset, inputs: list[dict], parameters: dict | None = None):
    """The result with its schema version and what produced it (the JSON's first keys): a
    result of `engine.results` gets them as attributes, a plain dict as its first keys."""
    record = provenance(ruleset, inputs, parameters)
    if isinstance(result, dict):
        return {"schema_version": SCHEMA_VERSION, "provenance": record, **result}
    return result.with_provenance(SCHEMA_VERSION, record)


def footer_line(record: dict) -> str:
    """The one-line form every HTML and markdown footer prints."""
    rs = record["ruleset"]
    return (f"{record['tool']['name']} {record['tool']['version']} · ruleset {rs['id']} sha256:{rs['sha256']}"
            f" · generated {record['generated_at']}")


def footer_text(record: dict) -> str:
    """The footer of terminal and markdown outputs: `footer_line`, then the inputs."""
    inputs = "; ".join(_input_label(i) for i in record["inputs"])
    return footer_line(record) + (f" · inputs: {inputs}" if inputs else "")


def _input_label(item: dict) -> str:
    if "file" in item:
        return item["file"]
    return "--set " + " ".join(item["set"])
