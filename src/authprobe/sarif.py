"""One SARIF 2.1.0 writer for the offline analysers (`authprobe audit`, `authprobe scan`).

Layer L0: stdlib only. The analysers describe their rules, results and base folders with the
small dataclasses here; this module lays them out as the SARIF log that GitHub code scanning,
GitLab and IDE viewers read: one run, the rules in `tool.driver.rules`, each result pointing at
its rule by id and index, every location relative to a named base folder
(`originalUriBaseIds`), so the log holds no absolute path of the machine that wrote it.

Hand-written on purpose, after looking at what PyPI offers: `sarif-om` (Microsoft's object
model) has had no release since 2019 and brings attrs classes without a serialiser;
`sarif-tools` reads, summarises and diffs logs but does not write them; `sarif-pydantic` is a
young 0.x project whose model names changed between releases. The part of the format used here
is a few nested objects; writing them keeps L0 free of a dependency and of its churn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
Level = Literal["error", "warning", "note", "none"]


@dataclass(frozen=True)
class Rule:
    """A reportingDescriptor: what a kind of finding is (the optional parts are left out)."""

    id: str
    short: str
    name: str | None = None
    full: str | None = None
    help: str | None = None
    default_level: Level | None = None


@dataclass(frozen=True)
class Base:
    """A base folder the results' paths are relative to (an `originalUriBaseIds` entry)."""

    id: str
    folder: Path
    description: str | None = None


@dataclass(frozen=True)
class Result:
    """One finding: its rule, a message, and a path relative to a base folder."""

    rule_id: str
    message: str
    path: str  # POSIX, relative to the base folder; percent-encoded when written
    base_id: str
    line: int | None = None  # the region's start line; None for a whole-file finding
    level: Level = "error"


def folder_uri(folder: Path) -> str:
    """The `file:` URI of a folder, ending in `/` as SARIF wants of a base URI."""
    uri = folder.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def log(
    tool: str,
    rules: Sequence[Rule],
    results: Sequence[Result],
    bases: Sequence[Base],
    *,
    version: str | None = None,
) -> dict[str, Any]:
    """The SARIF log of one run. Every result's rule must be among `rules`."""
    index = {rule.id: number for number, rule in enumerate(rules)}
    driver: dict[str, Any] = {"name": tool}
    if version is not None:
        driver["version"] = version
    driver["rules"] = [_rule(rule) for rule in rules]
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {base.id: _base(base) for base in bases},
                "results": [_result(result, index[result.rule_id]) for result in results],
            }
        ],
    }


def dumps(sarif_log: dict[str, Any]) -> str:
    """The log as the analysers print it."""
    return json.dumps(sarif_log, indent=2)


def _rule(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule.id}
    if rule.name is not None:
        out["name"] = rule.name
    out["shortDescription"] = {"text": rule.short}
    if rule.full is not None:
        out["fullDescription"] = {"text": rule.full}
    if rule.help is not None:
        out["help"] = {"text": rule.help}
    if rule.default_level is not None:
        out["defaultConfiguration"] = {"level": rule.default_level}
    return out


def _base(base: Base) -> dict[str, Any]:
    out: dict[str, Any] = {"uri": folder_uri(base.folder)}
    if base.description is not None:
        out["description"] = {"text": base.description}
    return out


def _result(result: Result, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {
        "artifactLocation": {"uri": quote(result.path, safe="/"), "uriBaseId": result.base_id}
    }
    if result.line is not None:
        location["region"] = {"startLine": result.line}
    return {
        "ruleId": result.rule_id,
        "ruleIndex": rule_index,
        "level": result.level,
        "message": {"text": result.message},
        "locations": [{"physicalLocation": location}],
    }
