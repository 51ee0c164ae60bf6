"""`authprobe sandbox`: the reference app and its mail sink in the foreground, saying, for
humans, how to point the suite at it.

SIGINT/SIGTERM/SIGHUP stop it (and this); it never outlives this process, and its temp
database goes when it stops (authprobe/target/child.py). Its options are the sandbox's own
(`authprobe sandbox --help` shows them), so every argument passes through.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("sandbox", help="start the reference app, its mail sink and its identity "
                            "provider (--no-idp: without; args: see --help)",
                            add_help=False)
    handled_by(parser, run, passes_extra=True)


def run(args: argparse.Namespace, extra: list[str]) -> int:
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

    # its identity provider starts with it unless asked not to (as the run starts it: [launch] args)
    own = [arg for arg in extra if arg != "--no-idp"]
    if "--no-idp" not in extra and "--idp" not in own:
        own.append("--idp")
    return run_in_foreground([sys.executable, "-m", "authprobe.sandbox", *own], on_line=show)


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
        *([f"identity provider (Sign in with Authprobe ID): {ready['idp_url']}",
           f"  export E2E_IDP_URL={ready['idp_url']} E2E_IDP_ADMIN_TOKEN=…"
           + (" E2E_IDP_HOOK_TOKEN=…" if ready.get("test_mode") else "")]
          if ready.get("idp_url") else []),
        "Ctrl-C stops it.",
    ])
