"""`authprobe scan` and `authprobe audit` as users run them (the installed console script), and the
command as a package: one module per command, a fast `--help`, one sentence for the tool's errors."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

pytestmark = pytest.mark.hygiene

AUTHPROBE = Path(sys.executable).with_name("authprobe")


def authprobe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script from `cwd` (no .env there) with no E2E_* variable but `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    return subprocess.run([str(AUTHPROBE), *args], cwd=cwd, env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=60)


def test_scan_names_the_admin_token_it_finds_and_never_prints_it(tmp_path: Path) -> None:
    token = "adm-" + secrets.token_urlsafe(24)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "network.log").write_text(f"POST /api/admin/users\nAuthorization: {token}\n")
    done = authprobe("scan", "run", cwd=tmp_path, env={"E2E_ADMIN_TOKEN": token})
    assert done.returncode == 1, done
    assert "run/network.log:" in done.stdout and "secret E2E_ADMIN_TOKEN" in done.stdout, done.stdout
    assert token not in done.stdout + done.stderr


def test_scan_of_clean_artifacts_exits_0_with_a_summary(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "log.txt").write_text("nothing secret here\n")
    done = authprobe("scan", "run", cwd=tmp_path, env={"E2E_ADMIN_TOKEN": secrets.token_urlsafe(24)})
    assert (done.returncode, done.stdout) == (0, "scan: 0 findings in 1 files\n"), done


def test_scan_of_a_missing_path_exits_2_with_one_sentence(tmp_path: Path) -> None:
    done = authprobe("scan", "no-such-dir", cwd=tmp_path)
    assert done.returncode == 2, done
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "no-such-dir does not exist" in lines[0], lines
    assert "Traceback" not in done.stderr


def test_audit_finds_a_stubbed_session_endpoint_by_file_and_line(tmp_path: Path) -> None:
    conftest = tmp_path / "e2e" / "conftest.py"
    conftest.parent.mkdir()
    conftest.write_text(dedent("""
        import pytest

        @pytest.fixture(autouse=True)
        def signed_in(page):
            page.route("**/api/session", lambda route: route.fulfill(json={"authenticated": True}))
        """).lstrip())
    done = authprobe("audit", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 1, done
    assert f"{conftest}:5: route stub fulfils" in done.stdout, done.stdout


def test_audit_of_a_clean_tree_exits_0_with_a_summary(tmp_path: Path) -> None:
    (tmp_path / "e2e").mkdir()
    (tmp_path / "e2e" / "test_x.py").write_text("def test_x() -> None:\n    assert 1 + 1 == 2\n")
    done = authprobe("audit", str(tmp_path), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "audit: 0 findings in 1 files\n"), done


def test_audit_of_a_missing_folder_exits_2_with_one_sentence(tmp_path: Path) -> None:
    done = authprobe("audit", str(tmp_path / "nope"), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout.count("\n") == 1, done
    assert "is not a folder" in done.stdout


# -- the command as a package: one module per command, main only builds and dispatches ----------

def test_python_dash_m_authprobe_cli_is_the_installed_command(tmp_path: Path) -> None:
    installed = authprobe("--help", cwd=tmp_path)
    module = subprocess.run([sys.executable, "-m", "authprobe.cli", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert installed.returncode == module.returncode == 0, (installed, module)
    assert installed.stdout == module.stdout
    for command in ("run", "init", "profile", "sandbox", "serve", "scan", "audit", "doctor", "load",
                    "sweep", "triage", "mutants"):
        assert f"\n    {command} " in installed.stdout, command


def test_help_imports_no_engine_module_and_no_heavy_library(tmp_path: Path) -> None:
    """`authprobe --help` builds every command's parser: each command module defers the engine
    to its handler, so the help (and `authprobe init`) stays fast."""
    code = ("import sys\nfrom authprobe.cli import build_parser\nbuild_parser().format_help()\n"
            "print('\\n'.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=True)
    loaded = done.stdout.split()
    engine = [name for name in loaded if name.startswith("authprobe.")
              and not name.startswith("authprobe.cli") and name != "authprobe.errors"]
    heavy = [name for name in loaded if name.split(".")[0] in ("playwright", "pydantic", "pytest",
                                                              "jmespath", "imap_tools")]
    assert (engine, heavy) == ([], []), (engine, heavy)
    command_modules = [name for name in loaded if name.startswith("authprobe.cli.")]
    assert "authprobe.cli.doctor_checks" not in command_modules
    assert "authprobe.cli.load_driver" not in command_modules


def test_every_command_has_its_own_module_with_its_parser_and_handler() -> None:
    from authprobe.cli import COMMANDS, build_parser

    parser = build_parser()
    sub = next(action for action in parser._actions  # noqa: SLF001 - argparse lists them nowhere else
               if isinstance(action, argparse._SubParsersAction))  # noqa: SLF001
    for name, command_parser in sub.choices.items():
        handler = command_parser.get_default("handler")
        if name == "profile":
            handler = parser.parse_args(["profile", "check"]).handler
        assert handler.__module__ == f"authprobe.cli.{name}", name
    assert [module.__name__.rsplit(".", 1)[1] for module in COMMANDS] == list(sub.choices)


def test_extra_arguments_pass_only_to_commands_that_hand_them_on() -> None:
    from authprobe.cli import build_parser

    parser = build_parser()
    for argv in (["run", "-k", "login"], ["sandbox", "--defect", "x"], ["serve", "flask-security", "-x"],
                 ["profile", "check", "-x"]):
        args, extra = parser.parse_known_args(argv)
        assert extra and args.passes_extra, argv
    for argv in (["doctor", "--bogus"], ["init", "--bogus"], ["scan", "x", "--bogus"]):
        args, extra = parser.parse_known_args(argv)
        assert extra and not args.passes_extra, argv


def test_bad_arguments_exit_2_and_say_which(capsys: pytest.CaptureFixture[str]) -> None:
    from authprobe.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--bogus"])
    assert exited.value.code == 2
    assert "authprobe: error: unrecognized arguments: --bogus" in capsys.readouterr().err


def test_a_tool_error_is_one_sentence_and_a_check_failure_keeps_its_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from authprobe.cli import doctor, main
    from authprobe.errors import AuthMismatch, ConfigError

    def misconfigured(args: argparse.Namespace, extra: list[str]) -> int:
        raise ConfigError("E2E_BASE_URL must start with http:// or https://.")

    monkeypatch.setattr(doctor, "run", misconfigured)
    assert main(["doctor"]) == 2
    assert capsys.readouterr().err == "authprobe: E2E_BASE_URL must start with http:// or https://.\n"

    def mismatched(args: argparse.Namespace, extra: list[str]) -> int:
        raise AuthMismatch("UI says signed in, the backend says signed out")

    monkeypatch.setattr(doctor, "run", mismatched)
    with pytest.raises(AuthMismatch):
        main(["doctor"])


CLEANS_UP_ON_CTRL_C = """
import signal, sys, time
from pathlib import Path
def interrupted(*_):
    time.sleep(0.5)  # a teardown that takes a while (removing the run's users)
    Path(sys.argv[1]).write_text("cleaned")
    sys.exit(2)
signal.signal(signal.SIGINT, interrupted)
print("ready", flush=True)
time.sleep(30)
"""


def test_a_child_command_runs_its_own_teardown_after_ctrl_c_and_its_exit_code_is_kept(
    tmp_path: Path,
) -> None:
    """`authprobe run` used subprocess.call, which kills pytest on the parent's Ctrl-C (its
    teardown cut short) and ended with 130; now it waits and ends with pytest's 2."""
    child = tmp_path / "child.py"
    child.write_text(CLEANS_UP_ON_CTRL_C)
    marker = tmp_path / "cleaned"
    parent = subprocess.Popen(
        [sys.executable, "-c", "import sys; from authprobe.cli.command import run_to_its_end; "
         f"sys.exit(run_to_its_end([sys.executable, {str(child)!r}, {str(marker)!r}]))"],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert parent.stdout is not None and parent.stdout.readline() == "ready\n"
    os.killpg(parent.pid, 2)  # Ctrl-C in a terminal: the whole foreground group
    assert parent.wait(timeout=20) == 2
    assert marker.read_text() == "cleaned"


def test_ctrl_c_in_a_command_of_its_own_is_exit_2_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from authprobe import cli

    def interrupted(args: argparse.Namespace, extra: list[str]) -> int:
        raise KeyboardInterrupt

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser.set_defaults(handler=interrupted)
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for sub in action.choices.values():  # type: ignore[union-attr]
            sub.set_defaults(handler=interrupted)
    assert cli.main(["sweep", "--list"]) == 2
    assert capsys.readouterr().err == "authprobe: interrupted (Ctrl-C).\n"
