"""`authprobe` command line: run the suite, start the sandbox, scan and audit.

Errors the tool raises on purpose print as one sentence (exit 2), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from authprobe.errors import AuthprobeError


def _suite_dir() -> Path:
    """The shipped e2e suite: e2e/ in a clone, the installed `e2e` package otherwise."""
    import importlib.util

    spec = importlib.util.find_spec("authprobe.e2e")  # located, not imported: the CLI runs it in pytest
    assert spec is not None and spec.origin is not None, "authprobe is installed without its suite"
    return Path(spec.origin).resolve().parent


def _target_env(target: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if target:  # a path is made absolute: pytest may run from elsewhere
        env["E2E_TARGET"] = (str(Path(target).expanduser().resolve())
                             if target.endswith(".toml") or "/" in target else target)
    return env


def _run_suite(args: argparse.Namespace, extra: list[str]) -> int:
    """The shipped suite against the configured target, from the user's folder (.env there)."""
    command = [sys.executable, "-m", "pytest", str(_suite_dir()), "--browser", args.browser,
               "-p", "no:cacheprovider", *extra]
    if args.headed:
        command += ["--headed", "--slowmo", "300"]
    return subprocess.call(command, env=_target_env(args.target))


def _profile_check(args: argparse.Namespace, extra: list[str]) -> int:
    """Walk the target's screens once and count every locator (src/authprobe/cli/profile_check.py)."""
    command = [sys.executable, "-m", "pytest", str(_suite_dir() / "profile_check.py"),
               "--browser", args.browser, "-q", "--tb=line", "-p", "no:randomly",
               "-p", "no:cacheprovider", *extra]
    if args.headed:
        command += ["--headed", "--slowmo", "300"]
    return subprocess.call(command, env=_target_env(args.target))


def _init(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.init import init_command

    return init_command(args.name, Path.cwd())


def _sandbox(args: argparse.Namespace, extra: list[str]) -> int:
    """Run the sandbox in the foreground and say, for humans, how to point the suite at it.

    SIGINT/SIGTERM/SIGHUP stop it (and this); it never outlives this process, and its temp
    database goes when it stops (src/authprobe/target/child.py).
    """
    from authprobe.target.child import run_in_foreground

    if "-h" in extra or "--help" in extra:
        return subprocess.call([sys.executable, "-m", "authprobe.sandbox", *extra])

    def show(line: str) -> None:
        try:
            ready = json.loads(line)
        except json.JSONDecodeError:
            print(line, end="", flush=True)
            return
        print(sandbox_banner(ready), flush=True)

    return run_in_foreground([sys.executable, "-m", "authprobe.sandbox", *extra], on_line=show)


def sandbox_banner(ready: dict[str, object]) -> str:
    """The ready line as a human reads it (no secrets: those are on stderr, once)."""
    defects = ready.get("defects") or []
    return "\n".join([
        f"sandbox running at {ready['base_url']}"
        + (f" with defects {', '.join(map(str, defects))}" if defects else ""),  # type: ignore[call-overload]
        f"mail: IMAP {ready['imap_host']}:{ready['imap_port']} user {ready['imap_user']} (no TLS); "
        f"SMTP port {ready['smtp_port']}",
        "point the suite at it (password and tokens as printed above, or as you set them):",
        f"  export E2E_BASE_URL={ready['base_url']} E2E_IMAP_HOST={ready['imap_host']} "
        f"E2E_IMAP_PORT={ready['imap_port']} E2E_IMAP_SSL=false",
        f"  export E2E_IMAP_USER={ready['imap_user']} E2E_MAIL_ADDRESS={ready['mail_address']}",
        "  export E2E_IMAP_PASSWORD=… E2E_ADMIN_TOKEN=…"
        + (" E2E_HOOK_TOKEN=…" if ready.get("test_mode") else ""),
        *([f"  export E2E_SMS_API_URL={ready['sms_api_url']} "
           f"E2E_SMS_ACCOUNT_SID={ready['sms_account_sid']} E2E_SMS_AUTH_TOKEN=…"]
          if ready.get("sms_api_url") else []),
        "Ctrl-C stops it.",
    ])


def _serve(args: argparse.Namespace, extra: list[str]) -> int:
    """Run a built-in target (its profile's [launch] module); its JSON ready line passes through."""
    from authprobe.errors import ConfigError
    from authprobe.profile import load_profile

    profile = load_profile(args.target.replace("-", "_"))
    if profile.launch is None:
        raise ConfigError(f"Target {profile.name} has no [launch] section, so it cannot be served "
                          "from here; start the app yourself and set E2E_BASE_URL.")
    from authprobe.target.child import run_in_foreground

    # stop signals are passed on; the target never outlives this process, nor its temp files
    return run_in_foreground([sys.executable, "-m", profile.launch.module, *extra])


def _scan(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.scan import scan_command
    from authprobe.settings import load_settings

    return scan_command(list(args.paths), load_settings().secrets(), output=args.format)


def _audit(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.audit import audit_command

    return audit_command(args.root, output=args.format)


def _mutants(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.selftest.mutants import mutants_command

    return mutants_command(list_only=args.list, only=args.only, as_json=args.json, jobs=args.jobs)


def _doctor(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.doctor import doctor_command

    return doctor_command(args.base_url)


def _load(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.load import load_command

    return load_command(args.users, args.seconds, args.allow_host)


def _triage(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.triage import triage_command

    return triage_command(list(args.tests), args.runs, args.junit, args.browser, Path(args.output))


def _sweep(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.provisioning.sweep import sweep_command

    return sweep_command(list_only=args.list)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="authprobe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the e2e suite (extra arguments go to pytest)")
    run.add_argument("--browser", default="chromium")
    run.add_argument("--headed", action="store_true", help="visible browser, 300 ms slow-mo")
    run.add_argument("--target", help="a profile: name of a shipped one or a path to a .toml "
                     "(default: E2E_TARGET)")
    run.set_defaults(handler=_run_suite)

    init = sub.add_parser("init", help="write a commented profile skeleton and a .env.example "
                          "here (never overwrites)")
    init.add_argument("--name", default="myapp", help="profile name (the file is NAME.toml)")
    init.set_defaults(handler=_init)

    profile = sub.add_parser("profile", help="work on a target profile (E2E_TARGET)")
    profile_sub = profile.add_subparsers(dest="profile_command", required=True)
    check = profile_sub.add_parser(
        "check", help="walk every screen once with a throwaway user and say, per screen, which "
        "locators match, are not found or are ambiguous (screenshots of failing screens; "
        "extra arguments go to pytest)")
    check.add_argument("--browser", default="chromium")
    check.add_argument("--headed", action="store_true", help="visible browser, 300 ms slow-mo")
    check.add_argument("--target", help="a profile name or path (default: E2E_TARGET)")
    check.set_defaults(handler=_profile_check)

    sandbox = sub.add_parser("sandbox", help="start the reference app + mail sink (args: see --help)",
                             add_help=False)
    sandbox.set_defaults(handler=_sandbox)

    serve = sub.add_parser("serve", help="start a built-in target by profile name, e.g. flask-security "
                           "(extra arguments go to it)")
    serve.add_argument("target", help="profile name in targets/ (dashes or underscores)")
    serve.set_defaults(handler=_serve)

    scan = sub.add_parser("scan", help="scan files for the run's secrets (in any encoding, inside "
                          "zips) and for secrets detect-secrets recognises; a folder in git: the "
                          "files git would track")
    scan.add_argument("paths", nargs="+")
    scan.add_argument("--format", choices=("text", "sarif"), default="text",
                      help="text (default) or SARIF 2.1.0 JSON on stdout")
    scan.set_defaults(handler=_scan)

    audit = sub.add_parser("audit", help="audit a suite for what replaces the target: routes on its "
                           "origin, HTTP mocks, patches, planted auth state, written credentials")
    audit.add_argument("root", nargs="?", default=".")
    audit.add_argument("--format", choices=("text", "sarif"), default="text",
                       help="text (default) or SARIF 2.1.0 JSON on stdout")
    audit.set_defaults(handler=_audit)

    doctor = sub.add_parser("doctor", help="check the configuration without running the suite: "
                            "settings, target, session endpoint, mail, browser, tokens, pages")
    doctor.add_argument("--base-url", help="the target's origin (as pytest's --base-url)")
    doctor.set_defaults(handler=_doctor)

    load = sub.add_parser("load", help="N browser contexts signing in and out together for S "
                          "seconds: p50/p95 sign-in time, errors, identity cross-talk")
    load.add_argument("--users", type=int, default=10)
    load.add_argument("--seconds", type=float, default=30)
    load.add_argument("--allow-host", help="a non-loopback target host you mean to load")
    load.set_defaults(handler=_load)

    sweep = sub.add_parser("sweep", help="remove throwaway users earlier runs had to leave on the "
                           "target (E2E_BASE_URL), with the channels the profile has")
    sweep.add_argument("--list", action="store_true", help="only list the users on record")
    sweep.set_defaults(handler=_sweep)

    triage = sub.add_parser("triage", help="re-run each failed check in fresh browsers and say "
                            "whether it is deterministic, flaky (a possible race) or the environment")
    triage.add_argument("tests", nargs="*", help="what to run first (default: e2e/); ignored with --junit")
    triage.add_argument("--junit", type=Path, help="triage the failures of an earlier run's JUnit XML")
    triage.add_argument("--runs", type=int, default=3, help="re-runs per failed check (default 3)")
    triage.add_argument("--browser", default="chromium")
    triage.add_argument("--output", default="test-results",
                        help="where the attempts' traces are kept (default test-results)")
    triage.set_defaults(handler=_triage)

    mutants = sub.add_parser("mutants", help="prove the suite catches each seeded defect")
    mutants.add_argument("--list", action="store_true", help="print the defect catalogue")
    mutants.add_argument("--only", action="append", help="run only this defect (repeatable)")
    mutants.add_argument("--json", action="store_true", help="machine-readable result")
    mutants.add_argument("--jobs", type=int, default=2, help="defects run in parallel")
    mutants.set_defaults(handler=_mutants)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("run", "sandbox", "serve", "profile"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handler: Callable[[argparse.Namespace, list[str]], int] = args.handler
    try:
        return handler(args, extra)
    except AuthprobeError as exc:
        print(f"authprobe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
