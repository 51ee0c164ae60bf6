"""A misspelt profile section or key is refused in one sentence naming the file and the nearest
name, the way a misspelt `[locators]` screen is (issue 27)."""

from __future__ import annotations

from pathlib import Path

import pytest

from authprobe.errors import ConfigError
from authprobe.profile import load_profile


def refusal(tmp_path: Path, toml: str) -> str:
    path = tmp_path / "typo.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and message.endswith("fix the profile.")
    return message


@pytest.mark.parametrize(("toml", "fragment"), [
    ('name = "x"\n[sesion_probe]\nurl = "/api/me"\n',
     "[sesion_probe] is not a section authprobe knows (did you mean 'session_probe'?)"),
    ('name = "x"\n[session_probe]\nsigned_out_stauts = [401]\n',
     "[session_probe] signed_out_stauts is not a setting of that section "
     "(did you mean 'signed_out_status'?)"),
    ('name = "x"\n[locators.login]\nemail_field = { lable = "Email" }\n',
     "[locators.login.email_field] lable is not a setting of that section (did you mean 'label'?)"),
    ('name = "x"\ndescripton = "typo"\n',
     "descripton is not a top-level setting authprobe knows (did you mean 'description'?)"),
])
def test_a_misspelt_name_is_refused_with_the_nearest_known_one(
    tmp_path: Path, toml: str, fragment: str,
) -> None:
    assert fragment in refusal(tmp_path, toml)


def test_a_name_like_no_other_lists_what_the_section_has(tmp_path: Path) -> None:
    message = refusal(tmp_path, 'name = "x"\n[budgets]\nzzz = 1\n')
    assert "[budgets] zzz is not a setting of that section (it has: " in message


def test_the_misspelt_name_is_named_before_what_it_left_missing(tmp_path: Path) -> None:
    message = refusal(tmp_path, 'nmae = "x"\n')  # `name` is required: two problems, one cause
    assert "nmae is not a top-level setting authprobe knows (did you mean 'name'?)" in message
    assert "has 2 problems: (1) nmae is not a top-level" in message and "(2) name is required" in message


def test_a_server_error_cannot_be_listed_as_signed_out(tmp_path: Path) -> None:
    message = refusal(tmp_path, 'name = "x"\n[session_probe]\nsigned_out_status = [401, 500]\n')
    assert "session_probe.signed_out_status lists 500, a server error" in message
    assert "Value error" not in message


def test_a_lockout_promise_beyond_what_a_check_will_guess_is_one_sentence(tmp_path: Path) -> None:
    message = refusal(tmp_path, 'name = "x"\n[lockout]\npassword = { attempts = 500 }\n')
    assert "lockout.password.attempts" in message and "50" in message, message
    typo = refusal(tmp_path, 'name = "x"\n[lockout]\nunlock = ["mail"]\n')
    assert "lockout.unlock" in typo and "reset" in typo, typo


def test_a_second_factor_backoff_states_its_delay_and_the_check_paces_by_it(tmp_path: Path) -> None:
    """kind = "backoff": each wrong code's delay doubles; the check waits each out so the next
    wrong code counts, then wants the last delay to refuse the right code. A lock has no delay."""
    path = tmp_path / "backoff.toml"
    path.write_text('name = "x"\n[lockout]\nsecond_factor = { kind = "backoff", attempts = 3, '
                    'first_delay_seconds = 1.5 }\n', encoding="utf-8")
    lockout = load_profile(str(path)).lockout
    assert lockout is not None and lockout.second_factor is not None
    backoff = lockout.second_factor
    assert (backoff.pauses(), backoff.refusal_seconds()) == ([1.5, 3.0], 6.0)
    path.write_text('name = "x"\n[lockout]\nsecond_factor = { attempts = 4, window_seconds = 60 }\n')
    lockout = load_profile(str(path)).lockout
    assert lockout is not None and lockout.second_factor is not None
    assert (lockout.second_factor.kind, lockout.second_factor.pauses(),
            lockout.second_factor.refusal_seconds()) == ("lock", [], 60)
    for toml, said in [
        ('{ kind = "backoff", attempts = 3 }', "needs first_delay_seconds"),
        ('{ attempts = 3, first_delay_seconds = 1 }', 'first_delay_seconds belongs to kind = "backoff"'),
        ('{ kind = "backoff", attempts = 3, first_delay_seconds = 1, window_seconds = 60 }',
         'window_seconds belongs to kind = "lock"'),
        ('{ kind = "backoff", attempts = 8, first_delay_seconds = 1 }', "waiting 255 s (at most 120)"),
    ]:
        message = refusal(tmp_path, f'name = "x"\n[lockout]\nsecond_factor = {toml}\n')
        assert "lockout.second_factor" in message and said in message, message
