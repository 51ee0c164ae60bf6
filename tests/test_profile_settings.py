"""Profile and settings: good files load, bad ones give one sentence naming what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from authprobe.errors import ConfigError
from authprobe.profile import load_profile
from authprobe.settings import load_settings


def test_sandbox_profile_loads_with_its_role_matrix() -> None:
    profile = load_profile("sandbox")
    assert profile.name == "sandbox"
    assert profile.roles.names == ["member", "editor", "admin"]
    admin_only = [r.path for r in profile.roles.resources if r.allowed == ["admin"]]
    assert "/admin" in admin_only and "/api/admin/users" in admin_only
    assert set(profile.hooks.all()) == {"backdate_sessions", "backdate_tokens", "rotate_keys", "retire_keys"}
    assert set(profile.hooks.harmless()) == {"backdate_sessions", "backdate_tokens"}


def test_unknown_target_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"set E2E_TARGET to one of \[.*'sandbox'.*\]"):
        load_profile("no-such-target")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_profile(str(broken))


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('name = "x"\n[roles]\nnames = ["a"]\ndefault = "b"\n', "roles.default 'b' is not in roles.names"),
        ('name = "x"\n[policy]\nmfa = "sometimes"\n', "policy.mfa"),
        ('name = "x"\n[locators.login]\nemail_field = { label = "E", css = "#e" }\n', "exactly one of"),
        ('name = "x"\n[mail]\nreset_link = "(unclosed"\n', "not a valid regular expression"),
        ('name = "x"\ntypo_section = 1\n', "typo_section"),
    ],
)
def test_profile_errors_point_at_the_field(tmp_path: Path, toml: str, fragment: str) -> None:
    path = tmp_path / "target.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    message = str(caught.value)
    assert fragment in message and "fix the profile" in message
    assert "\n" not in message


def test_settings_read_env_and_keep_secrets_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_IMAP_PASSWORD", "imap-secret-value")
    monkeypatch.setenv("E2E_ADMIN_TOKEN", "admin-secret-value")
    monkeypatch.setenv("E2E_EGRESS_ALLOW", "fonts.example.com, *.cdn.example.com")
    settings = load_settings()
    assert isinstance(settings.imap_password, SecretStr)
    assert "imap-secret-value" not in repr(settings) and "admin-secret-value" not in str(settings)
    assert settings.egress_allow == ["fonts.example.com", "*.cdn.example.com"]
    assert set(settings.secrets()) == {"E2E_IMAP_PASSWORD", "E2E_ADMIN_TOKEN"}


def test_bad_settings_name_the_variable_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_BASE_URL", "staging.example.com")
    monkeypatch.setenv("E2E_IMAP_PORT", "not-a-port")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "E2E_BASE_URL" in message and "E2E_IMAP_PORT" in message
    assert "not-a-port" not in message


def test_a_profile_extends_another_table_by_table(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{(Path(__file__).parent.parent / "targets" / "sandbox.toml").as_posix()}"\n'
        'name = "child"\n[launch]\nargs = ["--shape", "reauth"]\n'
        '[locators.reauth]\nheading = { role = "heading", name = "Confirm your password" }\n',
        encoding="utf-8")
    profile = load_profile(str(child))
    assert profile.name == "child"
    assert profile.launch is not None and profile.launch.module == "authprobe.sandbox"  # kept from the base
    assert profile.launch.args == ["--shape", "reauth"]
    assert profile.session_probe.cookie_name == "authprobe_session"
    assert profile.locator("reauth", "heading") is not None
    assert profile.locator("password_change", "new_password_confirm_field") is not None


def test_extends_that_goes_round_or_nowhere_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "./b.toml"\nname = "a"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "./a.toml"\nname = "b"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="goes round in a circle"):
        load_profile(str(tmp_path / "a.toml"))
    (tmp_path / "c.toml").write_text('extends = "./missing.toml"\nname = "c"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"No target profile at .*missing.toml \(extended by"):
        load_profile(str(tmp_path / "c.toml"))


def test_every_shipped_profile_and_shape_variant_loads() -> None:
    targets = Path(__file__).parent.parent / "targets"
    for path in sorted(targets.glob("*.toml")) + sorted(targets.glob("shapes/*.toml")):
        assert load_profile(str(path)).name
