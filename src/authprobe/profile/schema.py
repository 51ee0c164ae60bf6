"""The profile's JSON Schema, generated from the model: editors (Even Better TOML, taplo)
complete and check a profile whose first line is `#:schema <this file>`.

Shipped as profile.schema.json beside this module (tests/test_profile_reference.py keeps it
equal to what the model makes now); `authprobe docs --schema` prints where it is installed.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from authprobe.profile.elements import COMMON, SCREENS
from authprobe.profile.model import TargetProfile

SCHEMA_FILE = "profile.schema.json"


def _locators() -> dict[str, Any]:
    """`[locators]` with the screens and elements authprobe knows, so a misspelt one is flagged
    in the editor as it is at load."""
    screens = {
        screen: {"type": "object", "description": spec.does, "additionalProperties": False,
                 "properties": {name: {"anyOf": [{"$ref": "#/$defs/LocatorSpec"}, {"const": False}],
                                       "description": element.does}
                                for name, element in {**spec.elements, **COMMON}.items()}}
        for screen, spec in SCREENS.items()
    }
    return {"type": "object", "additionalProperties": False, "properties": screens}


def profile_schema() -> dict[str, Any]:
    schema = TargetProfile.model_json_schema(by_alias=True)
    properties = schema["properties"]
    properties["locators"] = {**_locators(), "description": properties["locators"]["description"]}
    properties["extends"] = {"type": "string", "description": "a profile this one builds on: a "
                             "shipped name or a path relative to this file"}
    # A profile that `extends` another may leave any required key to it (`name`, `[launch]
    # module`), and the schema sees one file: it requires `name` of a profile that extends
    # none, and leaves missing keys inside tables to loading, which sees the merged profile.
    for table in [schema, *schema["$defs"].values()]:
        table.pop("required", None)
    schema["if"] = {"not": {"required": ["extends"]}}
    schema["then"] = {"required": ["name"]}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "authprobe target profile", **schema}


def schema_text() -> str:
    return json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n"


def schema_path() -> Path:
    """The installed schema file (through the import system: --user, --target and --prefix work)."""
    return Path(str(files("authprobe.profile") / SCHEMA_FILE)).resolve()
