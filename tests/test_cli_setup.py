"""Set-up that cannot mislead (issue 31, item 1), in-process: an empty setting is "not set"
(and `null` beats .env where a child must start the sandbox), `init` writes only what a team
must fill, `serve` speaks to a person, and every command's --help explains itself."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from authprobe.cli import build_parser
from authprobe.cli.init import init_command
from authprobe.errors import ConfigError, HookUnavailable
from authprobe.profile import load_profile
from authprobe.settings import load_settings
from authprobe.target.app import configured_target, resolve_target
from authprobe.target.hooks import TestHooks

pytestmark = pytest.mark.hygiene


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team's folder as the working directory, with no E2E_* variable in the environment."""
    for name in [name for name in os.environ if name.startswith("E2E_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_empty_hook_token_skips_the_hook_checks_as_not_set(folder: Path) -> None:
    (folder / ".env").write_text("E2E_TARGET=flask_security\nE2E_BASE_URL=http://127.0.0.1:1\n"
                                 "E2E_IMAP_USER=qa\nE2E_IMAP_PASSWORD=x\nE2E_MAIL_ADDRESS=qa@example.test\n"
                                 "E2E_HOOK_TOKEN=\nE2E_ADMIN_TOKEN=\n")
    settings = load_settings()
    assert settings.hook_token is None and settings.admin_token is None and settings.secrets() == {
        "E2E_IMAP_PASSWORD": settings.imap_password}
    profile = load_profile(settings.target)
    target = configured_target(settings, profile.mail.source)
    assert "rotate_keys" in profile.hooks.all() and target.hook_token is None
    from authprobe.plugin import services

    body = services.authprobe_require_hook._get_wrapped_function()  # noqa: SLF001 - the fixture's body
    require_hook = body(profile, target)
    with pytest.raises(pytest.skip.Exception, match="^E2E_HOOK_TOKEN is not set$"):
        require_hook("rotate_keys")
    with pytest.raises(HookUnavailable, match="E2E_HOOK_TOKEN is not set"):  # before any request
        TestHooks(None, profile.hooks, target.hook_token, 1.0).rotate_keys(1)  # type: ignore[arg-type]


def test_the_mutation_child_starts_the_sandbox_whatever_the_teams_env_says(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`authprobe mutants` must test the sandbox: an empty E2E_BASE_URL no longer unsets .env's
    staging URL, so its child gets `null`, which does."""
    from authprobe.selftest import mutants

    (folder / ".env").write_text("E2E_BASE_URL=https://staging.example.com\nE2E_IMAP_PORT=1143\n")
    seen: list[dict[str, str]] = []

    class Started(Exception):
        pass

    def popen(command: list[str], *, env: dict[str, str], **options: object) -> None:
        seen.append(env)
        raise Started

    monkeypatch.setattr("authprobe.selftest.mutants.subprocess.Popen", popen)
    with pytest.raises(Started):
        mutants.run_suite(None, [])
    for name, value in seen[0].items():
        if name.startswith("E2E_"):
            monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.base_url is None, "the mutation run would test the team's staging"
    assert settings.imap_port == 1143  # the rest of .env still applies


def test_init_writes_only_what_a_team_must_fill(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init_command("shop", folder) == 0
    example = (folder / ".env.example").read_text()
    set_lines = [line.split("=", 1)[0] for line in example.splitlines()
                 if line and not line.startswith("#")]
    assert set_lines == ["E2E_TARGET", "E2E_BASE_URL", "E2E_IMAP_HOST", "E2E_IMAP_USER",
                         "E2E_IMAP_PASSWORD", "E2E_MAIL_ADDRESS"]
    assert "# E2E_HOOK_TOKEN=" in example and "# E2E_SMS_AUTH_TOKEN=" in example
    (folder / ".env").write_text(example)  # copied unchanged
    settings = load_settings()
    assert settings.target == "shop.toml" and settings.base_url is None and settings.secrets() == {}
    with pytest.raises(ConfigError, match="^E2E_BASE_URL is not set; set it to the URL of the shop"):
        resolve_target(settings, load_profile(settings.target))


READY = {"ready": True, "base_url": "http://127.0.0.1:5001", "smtp_port": 2525, "imap_host": "127.0.0.1",
         "imap_port": 1143, "imap_user": "qa@sandbox.test", "mail_address": "qa@sandbox.test",
         "test_mode": True, "defects": [], "sms_api_url": "http://127.0.0.1:5002",
         "sms_account_sid": "AC" + "5a" * 16}


def serve(monkeypatch: pytest.MonkeyPatch, *argv: str) -> list[str]:
    """`authprobe serve ...` with a target that prints READY (and a line of its own) at once."""
    import authprobe.target.child
    from authprobe.cli import main

    started: list[str] = []

    def run_in_foreground(command: list[str], *, on_line: Callable[[str], None], **_: object) -> int:
        started.extend(command)
        on_line("starting\n")
        on_line(json.dumps(READY) + "\n")
        return 0

    monkeypatch.setattr(authprobe.target.child, "run_in_foreground", run_in_foreground)
    assert main(["serve", *argv]) == 0
    return started


def test_serve_prints_a_banner_for_a_person_and_json_for_a_program(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SANDBOX_ADMIN_TOKEN", "chosen-" + "x" * 20)
    monkeypatch.delenv("SANDBOX_HOOK_TOKEN", raising=False)
    command = serve(monkeypatch, "flask-security", "--test-mode", "--port", "0")
    assert command[-3:] == ["--test-mode", "--port", "0"]
    out = capsys.readouterr().out
    assert "{" not in out and out.startswith("starting\nflask_security running at http://127.0.0.1:5001\n")
    assert "mailbox: IMAP 127.0.0.1:1143 (no TLS), user qa@sandbox.test" in out
    assert "export E2E_TARGET=flask_security E2E_BASE_URL=http://127.0.0.1:5001" in out
    assert "E2E_ADMIN_TOKEN: the value of your SANDBOX_ADMIN_TOKEN" in out and "chosen-" not in out
    assert "E2E_HOOK_TOKEN: generated, printed above (stderr) as SANDBOX_HOOK_TOKEN=" in out
    assert "E2E_SMS_AUTH_TOKEN: generated" in out and out.rstrip().endswith("Ctrl-C stops it.")

    serve(monkeypatch, "flask-security", "--json")
    assert capsys.readouterr().out == "starting\n" + json.dumps(READY) + "\n"


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:  # noqa: SLF001 - argparse lists subcommands nowhere else
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, child in action.choices.items():
                found.append((*path, name))
                found += _commands(child, (*path, name))
    return found


def test_every_commands_help_has_a_description_its_defaults_and_an_example(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from authprobe.cli import main

    monkeypatch.setenv("COLUMNS", "400")  # one line per option
    monkeypatch.setattr("subprocess.call", lambda command: 0)  # `sandbox --help`: its own options
    commands = _commands(build_parser())
    assert len(commands) == 16, commands  # merge (issue 31 item 4) and compare (item 5) added
    thin = []
    for command in commands:
        if command == ("profile",):
            continue  # only a group: `profile check` is the command
        with pytest.raises(SystemExit) if command != ("sandbox",) else contextlib.nullcontext():
            main([*command, "--help"])
        text = capsys.readouterr().out
        description = (text.split("\n\n") + [""])[1]
        parser = build_parser()
        for part in command:
            parser = next(a for a in parser._actions  # noqa: SLF001
                          if isinstance(a, argparse._SubParsersAction)).choices[part]  # noqa: SLF001
        problems = [] if len(description) > 40 and not description.startswith(("usage", "options")) \
            else ["no description"]
        if not re.search(rf"(?m)^examples:\n  (\S+=\S+ )?authprobe {' '.join(command)}\b", text):
            problems.append("no example")
        for action in parser._actions:  # noqa: SLF001
            if action.dest in ("help", "command", "profile_command") or not action.option_strings \
                    and action.nargs not in ("?", "*", "+"):
                continue
            line = _entry(text, str(action.metavar or action.dest) if not action.option_strings
                          else action.option_strings[0])
            if not action.help:
                problems.append(f"{action.dest} unexplained")
            elif action.default not in (None, False) and not any(
                    said in line for said in (f"default: {action.default}", f"default {action.default}",
                                              f"{action.default} (default)")):
                problems.append(f"{action.dest}: default {action.default} not shown in {line!r}")
        if problems:
            thin.append((command, problems))
    assert thin == []



def _entry(text: str, start: str) -> str:
    """An option's entry in a --help: its line and the help lines under it."""
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines) if line.strip().startswith(start)), len(lines))
    entry = lines[first:first + 1]
    for line in lines[first + 1:]:
        if not line.startswith("   ") or line.strip().startswith("-"):
            break
        entry.append(line)
    return " ".join(part.strip() for part in entry)


def test_doctor_takes_the_target_as_run_does(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from authprobe.cli import main

    monkeypatch.setenv("E2E_TARGET", "sandbox")  # restored after the test: --target sets it
    assert main(["doctor", "--target", "no_such_app"]) == 1
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("✗")]
    assert len(failed) == 1 and failed[0].startswith("✗ profile: No target profile at ") \
        and "no_such_app.toml" in failed[0], failed
