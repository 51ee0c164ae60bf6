"""One source for the profile format: docs/onboarding.md's reference, the shipped JSON Schema
and the page objects' elements all follow the model and the screen registry (issue 26)."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel

from authprobe.oracle.session import parse_session_answer, select
from authprobe.pages import known_locators
from authprobe.pages.base import Screen
from authprobe.profile import SCREENS, SessionProbe, TargetProfile, load_profile
from authprobe.profile.describe import keys, tables
from authprobe.profile.elements import COMMON
from authprobe.profile.reference import BEGIN, END, reference
from authprobe.profile.schema import profile_schema, schema_path
from authprobe.profile.session import jmespath_problem, pointer_as_jmespath
from authprobe.profile.skeleton import skeleton

ROOT = Path(__file__).resolve().parent.parent
ONBOARDING = ROOT / "docs" / "onboarding.md"
PROFILES = sorted([*ROOT.glob("targets/*.toml"), *ROOT.glob("targets/shapes/*.toml")])


def committed_reference() -> str:
    text = ONBOARDING.read_text(encoding="utf-8")
    return BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n"


def test_the_onboarding_reference_is_what_the_model_makes_now() -> None:
    assert committed_reference() == reference(), (
        "docs/onboarding.md's reference differs from the model: run `authprobe docs --write "
        "docs/onboarding.md` and commit it")


def test_the_shipped_schema_is_what_the_model_makes_now() -> None:
    assert json.loads(schema_path().read_text(encoding="utf-8")) == profile_schema(), (
        "src/authprobe/profile/profile.schema.json is stale: regenerate it from "
        "authprobe.profile.schema.schema_text()")


def test_every_key_has_a_description_and_a_row_in_the_reference() -> None:
    text = reference()
    undocumented = [f"{model.__name__}.{key.name}" for model in tables(TargetProfile)
                    for key in keys(model) if not key.description.strip()]
    assert not undocumented, f"keys without a description: {undocumented}"
    missing = [f"{model.__name__}.{key.name}" for model in tables(TargetProfile)
               for key in keys(model) if f"| `{key.name}` |" not in text]
    assert not missing, f"keys missing from the reference: {missing}"


def test_a_field_without_a_description_fails_the_check() -> None:
    class Careless(BaseModel):
        documented: int = 0
    assert [key.name for key in keys(Careless) if not key.description] == ["documented"]


def test_every_screen_element_the_pages_use_is_in_the_registry_and_the_reference() -> None:
    text = reference()
    for screen, names in known_locators().items():
        assert screen in SCREENS, f"page object screen {screen!r} is not in the registry"
        for name in names:
            assert name in SCREENS[screen].elements or name in COMMON, f"{screen}.{name} undocumented"
        assert f"#### `[locators.{screen}]`" in text
    # every element a page object names in its source, not only its defaults
    named = re.compile(r'(?:element|reach|reachable|click|fill|defines|read|read_if_present)\("(\w+)"'
                       r'|fill_and_press\("(\w+)"')
    for cls in _screens():
        for base in cls.__mro__[:cls.__mro__.index(Screen)]:
            for match in named.finditer(inspect.getsource(base)):
                name = match.group(1) or match.group(2)
                assert name in SCREENS[cls.screen].elements or name in COMMON, (
                    f"{cls.__name__} uses {name!r}, which [locators.{cls.screen}] does not document")
    for spec in SCREENS.values():
        for name, element in spec.elements.items():
            assert element.does.strip(), f"{name} has no description"


def _screens() -> list[type[Screen]]:
    """The page objects, module by module (not `Screen.__subclasses__()`: another test of this
    worker may have dropped and re-imported page modules, leaving stale classes behind)."""
    import authprobe.pages as package

    found: list[type[Screen]] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"authprobe.pages.{info.name}")
        found += [cls for cls in vars(module).values()
                  if isinstance(cls, type) and issubclass(cls, Screen) and "screen" in cls.__dict__
                  and cls.__module__ == module.__name__]
    return found


@pytest.mark.parametrize("path", PROFILES, ids=lambda path: path.name)
def test_the_schema_accepts_every_shipped_profile(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(profile_schema())
    problems = [error.message for error in validator.iter_errors(tomllib.loads(path.read_text()))]
    assert not problems, f"{path}: {problems}"


def test_the_schema_refuses_misspelt_keys_and_elements() -> None:
    validator = jsonschema.Draft202012Validator(profile_schema())
    for wrong in ({"name": "x", "paths": {"logn": "/login"}}, {"name": "x", "polcy": {}},
                  {"name": "x", "locators": {"login": {"submit_buton": {"role": "button"}}}},
                  {"name": "x", "policy": {"mfa": "sometimes"}}, {"paths": {}}):
        assert list(validator.iter_errors(wrong)), f"the schema accepted {wrong}"


def test_the_init_skeleton_names_the_schema_and_loads(tmp_path: Path) -> None:
    text = skeleton("shop", "shop.toml", schema_path().as_uri())
    assert text.startswith(f"#:schema {schema_path().as_uri()}\n")
    (tmp_path / "shop.toml").write_text(text)
    assert load_profile(str(tmp_path / "shop.toml")).policy.password_change_keeps_session is True
    validator = jsonschema.Draft202012Validator(profile_schema())
    assert not list(validator.iter_errors(tomllib.loads(text)))
    for key in ("password_change_keeps_session", "password_change_ends_other_sessions"):
        assert f"\n{key} = true  # decides verdicts" in text


def test_every_problem_of_a_profile_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('name = "x"\n[session_probe]\nemail = "/data/user/email"\n'
                    'roles = "/data/flows/2/roles"\nmfa_pending = "/data/flows/2/is_pending"\n'
                    '[roles]\ndefault = "boss"\n[paths]\nlogn = "/x"\n')
    with pytest.raises(Exception) as caught:
        load_profile(str(path))
    message = str(caught.value)
    assert "has 5 problems" in message and "\n" not in message, message
    for said in ("did you mean 'login'", "'data.user.email'", "'data.flows[2].roles'",
                 "'data.flows[2].is_pending'", "roles.default 'boss' is not in roles.names"):
        assert said in message


@pytest.mark.parametrize("pointer", ["/data/flows/2/is_pending", "/user/email", "/0/ok", "/a b/c",
                                     "/a~1b/c", "/items/10/name/0"])
def test_the_jmespath_suggested_for_a_json_pointer_compiles(pointer: str) -> None:
    spelt = pointer_as_jmespath(pointer)
    assert spelt is not None and jmespath_problem(spelt, "x") is None
    problem = jmespath_problem(pointer, "session_probe.email")
    assert problem is not None and repr(spelt) in problem
    assert pointer_as_jmespath("/data/flows/2/is_pending") == "data.flows[2].is_pending"


PENDING = "length(pending[?type=='otp_token']) > `0`"


def test_a_missing_member_inside_a_function_reads_as_absent() -> None:
    assert select({}, PENDING) is None
    assert select({"pending": []}, PENDING) is False
    assert select({"pending": [{"type": "otp_token"}]}, PENDING) is True


def _documented_probes() -> list[dict[str, object]]:
    """The [session_probe] tables of the docs' examples."""
    text = ONBOARDING.read_text(encoding="utf-8")
    probes = []
    for block in re.findall(r"\n    \[session_probe\]\n((?:    \S.*\n)+)", text):
        probes.append(tomllib.loads("\n".join(line[4:] for line in block.splitlines())))
    return probes


def test_the_documented_session_probes_read_answers_that_omit_members() -> None:
    probes = _documented_probes()
    assert any(probe.get("mfa_pending") == PENDING for probe in probes)
    for table in probes:
        probe = SessionProbe.model_validate({k: v for k, v in table.items() if k != "url"})
        for answer in ("{}", '{"email": null}', '{"email": "a@b", "groups": []}'):
            view = parse_session_answer(probe, 200, "application/json", answer, "/api/session")
            assert view.mfa_pending is False, (table, answer)
