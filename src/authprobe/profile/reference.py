"""The onboarding reference, generated from the profile model and the screen registry:
every section and key (type, default, what it changes, which checks read it) and every
screen's elements with their default wording. docs/onboarding.md holds it between the
markers below (tests/test_profile_reference.py keeps it current); `authprobe docs` prints it.
"""

from __future__ import annotations

from pydantic import BaseModel

from authprobe.profile.describe import Key, keys, summary, tables, toml_value
from authprobe.profile.elements import COMMON, SCREENS, Element
from authprobe.profile.model import TargetProfile

BEGIN = ("<!-- reference: generated from the profile model by `authprobe docs --write`; "
         "edit the model, not this -->")
END = "<!-- end of the generated reference -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows: list[Key]) -> list[str]:
    lines = ["| key | type | default | what it changes |", "|---|---|---|---|"]
    lines += [f"| `{key.name}` | {_cell(key.kind)} | `{_cell(key.default)}` | {_cell(key.description)} |"
              if key.default not in ("required", "unset", "its keys' defaults")
              else f"| `{key.name}` | {_cell(key.kind)} | {key.default} | {_cell(key.description)} |"
              for key in rows]
    return lines


def _uses() -> dict[type[BaseModel], list[str]]:
    """Where each table is written: `section.key`, or `Model.key` inside a table that is
    written in several places."""
    pointing = [(model, key) for model in tables(TargetProfile) for key in keys(model)
                if key.table is not None and key.table is not model]
    count = {table: sum(key.table is table for _, key in pointing) for table in tables(TargetProfile)}
    where: dict[type[BaseModel], str] = {TargetProfile: ""}
    uses: dict[type[BaseModel], list[str]] = {}
    for model, key in pointing:
        parent = where.get(model, model.__name__) if count.get(model, 0) <= 1 else model.__name__
        place = f"{parent}.{key.name}".lstrip(".")
        uses.setdefault(key.table, []).append(place)  # type: ignore[arg-type]
        where.setdefault(key.table, place)  # type: ignore[arg-type]
    return uses


def _sections() -> list[str]:
    lines = ["### Top level", "", summary(TargetProfile), "", *_table(list(keys(TargetProfile))), "",
             "`extends` (a profile name or a path relative to this file) takes every table of that "
             "profile and lets this one override it key by key.", ""]
    uses = _uses()
    for model in tables(TargetProfile)[1:]:
        places = uses[model]
        title = f"`[{places[0]}]`" if len(places) == 1 else f"`{model.__name__}`"
        used = [] if len(places) == 1 else [
            "Written at " + ", ".join(f"`{place}`" for place in places) + ".", ""]
        intro = summary(model)
        lines += [f"### {title}", "", *([intro, ""] if intro else []), *used,
                  *_table(list(keys(model))), ""]
    return lines


def _wording(element: Element) -> str:
    if element.default is None:
        return "none: the profile defines it"
    return f"`{toml_value(element.default)}`"


def _screens() -> list[str]:
    lines = ["### Screens and their elements (`[locators.SCREEN]`)", "",
             "Each element below is found by its default wording unless `[locators.SCREEN]` gives "
             "a locator for it (a `LocatorSpec`). Every screen also has these:", "",
             "| element | default | what the checks do with it |", "|---|---|---|"]
    lines += [f"| `{name}` | {_wording(e)} | {_cell(e.does)} |" for name, e in COMMON.items()]
    lines.append("")
    for screen, spec in SCREENS.items():
        opened = f"opened at `[paths] {spec.path}`" if spec.path else "reached through another screen"
        lines += [f"#### `[locators.{screen}]`", "", f"{spec.does[0].upper()}{spec.does[1:]}; {opened}.", "",
                  "| element | default | what the checks do with it |", "|---|---|---|"]
        lines += [f"| `{name}` | {_wording(e)} | {_cell(e.does)} |" for name, e in spec.elements.items()]
        lines.append("")
    return lines


def reference() -> str:
    """The whole reference, markers included, as Markdown."""
    body = ["## Reference: every key and every screen", "",
            "Generated from authprobe's profile model (`authprobe docs` prints it; "
            "`authprobe docs --schema` names the JSON Schema editors read).", "",
            *_sections(), *_screens()]
    return "\n".join([BEGIN, "", *body]).rstrip("\n") + "\n\n" + END + "\n"


def with_reference(document: str) -> str:
    """`document` with its generated part replaced (appended when it has no markers yet)."""
    if BEGIN not in document:
        return document.rstrip("\n") + "\n\n" + reference()
    before, rest = document.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return before + reference().rstrip("\n") + after
