"""`authprobe init`'s profile skeleton, generated from the model: every section and key with
its default and what it changes, so the file itself is the guide (no repository needed).

The sections every app must look at are written out with their defaults; the rest are
commented lines that load as they are once uncommented. Keys with no default and no example
are described in a comment without `=`, so uncommenting cannot produce a half-made value.
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from authprobe.profile.describe import Key, default_of, keys, summary, toml_value
from authprobe.profile.elements import SCREENS
from authprobe.profile.model import TargetProfile

# Sections a new profile fills in; the others stay commented until the app has them.
WRITTEN = ("paths", "session_probe", "mail", "policy", "roles")


def _value(key: Key) -> str | None:
    """What an uncommented line would hold: an example, else a default that is a value."""
    examples = key.info.examples or []
    if examples:
        return toml_value(examples[0])
    value = default_of(key.info)
    if value is None or value is PydanticUndefined or isinstance(value, BaseModel) or value == {}:
        return None
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return None
    return toml_value(value)


def _line(key: Key, commented: bool) -> str:
    value = _value(key)
    if value is None:  # nothing to write: say what it is, with no `=` to uncomment
        return f"# {key.name} ({key.kind}): {key.description}".replace("=", "≡")
    set_now = not commented and key.info.examples is None and key.default != "unset"
    return f"{'' if set_now else '# '}{key.name} = {value}  # {key.description}"


def _table(name: str, model: type[BaseModel], commented: bool) -> list[str]:
    lines = [f"{'# ' if commented else ''}[{name}]  # {summary(model)}"]
    lines += [_line(key, commented) for key in keys(model) if key.table is None or key.info.examples]
    lines += [f"# {key.name}: {key.kind}, see `authprobe docs` ({key.description})".replace("=", "≡")
              for key in keys(model) if key.table is not None and not key.info.examples]
    return [*lines, ""]


def skeleton(name: str, file: str, schema: str) -> str:
    """The profile `authprobe init` writes for `name` (its file is `file`)."""
    lines = [f"#:schema {schema}",
             f"# authprobe target profile for {name}: what your app's user management looks like.",
             "# Every key is listed with its default and what it changes (`authprobe docs` prints the",
             "# whole reference). Check it with `authprobe doctor`, then `authprobe profile check`",
             f"# (walks each screen once), then `authprobe run --target {file}`.",
             f'name = "{name}"', f'description = "{name} on staging"', ""]
    for key in keys(TargetProfile):
        if key.table is None or key.name == "locators":
            continue
        lines += _table(key.name, key.table, commented=key.name not in WRITTEN)
    lines += ["# Your wording, where the defaults differ (every screen: `authprobe docs`):"]
    for element, spec in SCREENS["login"].defaults().items():
        if element == "heading":
            lines.append("# [locators.login]")
        lines.append(f"# {element} = {toml_value(spec)}")
    lines += ["", "# [unsupported]  # check name = why this target cannot support it (skipped)",
              "# [accepted_risks]  # check name = why a known failure is accepted (strict xfail)", ""]
    return "\n".join(lines)
