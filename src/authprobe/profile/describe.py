"""The profile model read as documentation: each table's keys, their types, defaults and
descriptions, shared by the reference (reference.py), the JSON Schema (schema.py) and the
`authprobe init` skeleton (skeleton.py), so all three say what the model says."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined


@dataclass(frozen=True)
class Key:
    """One key of one table, as a profile writes it."""

    name: str
    kind: str  # the type in words: string, integer, list of integer, table (HttpOperation)…
    default: str  # as TOML, "required", or "unset"
    description: str
    table: type[BaseModel] | None  # the model a table-valued key holds
    info: FieldInfo


def _options(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds, at any depth (`X | None`, `list[X]`, `dict[str, X]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in models_in(arg)]


def kind(annotation: Any) -> str:
    """A type as the reference names it."""
    options = [option for option in _options(annotation) if option is not type(None)]
    if len(options) > 1:
        return " or ".join(kind(option) for option in options)
    (option,) = options
    origin = get_origin(option)
    if origin is Literal:
        return " | ".join(json.dumps(value) for value in get_args(option))
    if origin is list:
        return f"list of {kind(get_args(option)[0])}"
    if origin is dict:
        return f"table of {kind(get_args(option)[1])}"
    if isinstance(option, type) and issubclass(option, BaseModel):
        return f"table ({option.__name__})"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", object: "any value"}
    return names.get(option, getattr(option, "__name__", str(option)))


def toml_value(value: Any) -> str:
    """A default written as TOML would write it (inline tables for models)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'" if "\\" in value and "'" not in value else json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, BaseModel):
        return toml_value(value.model_dump(exclude_defaults=True, by_alias=True))
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


def default_of(info: FieldInfo) -> Any:
    """The field's default value (PydanticUndefined when it is required)."""
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return info.default


def _shown_default(info: FieldInfo) -> str:
    value = default_of(info)
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        return "its keys' defaults"
    return toml_value(value)


def keys(model: type[BaseModel]) -> Iterator[Key]:
    """The keys of one table, in the model's order."""
    for name, info in model.model_fields.items():
        tables = models_in(info.annotation)
        yield Key(name=info.alias or name, kind=kind(info.annotation), default=_shown_default(info),
                  description=info.description or "", table=tables[0] if tables else None, info=info)


def tables(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from `root`, each once, in the order a reader meets them."""
    found: list[type[BaseModel]] = []

    def walk(model: type[BaseModel]) -> None:
        if model in found:
            return
        found.append(model)
        for info in model.model_fields.values():
            for inner in models_in(info.annotation):
                walk(inner)

    walk(root)
    return found


def summary(model: type[BaseModel]) -> str:
    """A model's docstring as one paragraph (its first, the why of the table)."""
    doc = (model.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split())
