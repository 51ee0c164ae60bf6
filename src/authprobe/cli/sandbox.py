"""`authprobe sandbox`: the reference app and its mail sink in the foreground, saying, for
humans, how to point the suite at it.

SIGINT/SIGTERM/SIGHUP stop it (and this); it never outlives this process, and its temp
database goes when it stops (authprobe/target/child.py). Its options are the sandbox's own
(`authprobe sandbox --help` shows them), so every argument passes through.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping

from authprobe.cli.command import Subparsers, handled_by

DESCRIPTION = """Start the reference app with its mail sink (IMAP and SMTP), its SMS sink and its identity
provider in the foreground, and say how to point the suite at it. Ctrl-C stops it; its temp
database goes with it. Every argument goes to the sandbox: its options follow."""
EXAMPLES = """\
examples:
  authprobe sandbox --port 0 --test-mode              a free port, with the test hooks
  authprobe sandbox --defect client_only_logout       seed a defect (authprobe mutants --list)
"""
# E2E variable of the suite <- the variable the target takes it from (unset: it generates one)
TOKEN_SOURCES = {name: name.replace("E2E_", "SANDBOX_", 1) for name in (
    "E2E_IMAP_PASSWORD", "E2E_ADMIN_TOKEN", "E2E_HOOK_TOKEN", "E2E_ADMIN_PASSWORD", "E2E_SMS_AUTH_TOKEN",
    "E2E_IDP_ADMIN_TOKEN", "E2E_IDP_HOOK_TOKEN")}


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("sandbox", help="start the reference app, its mail sink and its identity "
                            "provider (--no-idp: without; args: see --help)",
                            add_help=False, description=DESCRIPTION, epilog=EXAMPLES)
    handled_by(parser, run, passes_extra=True)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.target.child import run_in_foreground

    if "-h" in extra or "--help" in extra:
        print(f"usage: authprobe sandbox [OPTIONS]\n\n{DESCRIPTION}\n\n{EXAMPLES}\nthe sandbox's "
              "options:", flush=True)
        return subprocess.call([sys.executable, "-m", "authprobe.sandbox", *extra])

    def show(line: str) -> None:
        try:
            ready = json.loads(line)
        except json.JSONDecodeError:
            print(line, end="", flush=True)
            return
        print(sandbox_banner(ready), flush=True)

    # its identity provider starts with it unless asked not to (as the run starts it: [launch] args)
    own = [arg for arg in extra if arg != "--no-idp"]
    if "--no-idp" not in extra and "--idp" not in own:
        own.append("--idp")
    return run_in_foreground([sys.executable, "-m", "authprobe.sandbox", *own], on_line=show)


def sandbox_banner(ready: dict[str, object]) -> str:
    """The sandbox's ready line as a human reads it."""
    return ready_banner(ready, "sandbox", admin_api=True, hooks=True)


def ready_banner(ready: dict[str, object], name: str, *, admin_api: bool, hooks: bool,
                 target: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """A target's ready line as a human reads it: where it runs, the mailbox login, the
    exports that point the suite at it (E2E_TARGET: `target`), where each token is, how to
    stop it. No secret is in it: a token is the variable you set or printed once above, on
    stderr."""
    defects = ready.get("defects") or []
    test_mode = bool(ready.get("test_mode"))
    named = f"E2E_TARGET={target} " if target else ""
    tokens = ["E2E_IMAP_PASSWORD", *(["E2E_ADMIN_TOKEN"] if admin_api else []),
              *(["E2E_HOOK_TOKEN"] if hooks and test_mode else []),
              *(["E2E_ADMIN_PASSWORD"] if ready.get("admin_email") else []),
              *(["E2E_SMS_AUTH_TOKEN"] if ready.get("sms_api_url") else []),
              *(["E2E_IDP_ADMIN_TOKEN"] if ready.get("idp_url") else []),
              *(["E2E_IDP_HOOK_TOKEN"] if ready.get("idp_url") and test_mode else [])]
    return "\n".join([
        f"{name} running at {ready['base_url']}"
        + (f" with defects {', '.join(map(str, defects))}" if defects else "")  # type: ignore[call-overload]
        + ("" if test_mode else " (without test mode: no test hooks; --test-mode adds them)"),
        f"mailbox: IMAP {ready['imap_host']}:{ready['imap_port']} (no TLS), user {ready['imap_user']}, "
        f"password: E2E_IMAP_PASSWORD below; the app sends to SMTP port {ready['smtp_port']}",
        "point the suite at it:",
        f"  export {named}E2E_BASE_URL={ready['base_url']} E2E_IMAP_HOST={ready['imap_host']} "
        f"E2E_IMAP_PORT={ready['imap_port']} E2E_IMAP_SSL=false",
        f"  export E2E_IMAP_USER={ready['imap_user']} E2E_MAIL_ADDRESS={ready['mail_address']}"
        + (f" E2E_ADMIN_EMAIL={ready['admin_email']}" if ready.get("admin_email") else ""),
        *([f"  export E2E_SMS_API_URL={ready['sms_api_url']} "
           f"E2E_SMS_ACCOUNT_SID={ready['sms_account_sid']} E2E_SMS_AUTH_TOKEN=…"]
          if ready.get("sms_api_url") else []),
        *([f"identity provider (Sign in with Authprobe ID): {ready['idp_url']}",
           f"  export E2E_IDP_URL={ready['idp_url']} E2E_IDP_ADMIN_TOKEN=…"
           + (" E2E_IDP_HOOK_TOKEN=…" if test_mode else "")]
          if ready.get("idp_url") else []),
        "where each token is:",
        *(f"  {token}: {_token_source(TOKEN_SOURCES[token], environ)}" for token in tokens),
        "Ctrl-C stops it.",
    ])


def _token_source(variable: str, environ: Mapping[str, str]) -> str:
    if environ.get(variable):
        return f"the value of your {variable}"
    return f"generated, printed above (stderr) as {variable}=…; set {variable} to choose it"
