"""The environment that points a subprocess e2e run at a target started in this process.

For the tool's own tests, its benches and the docs' screenshot script: each starts a built-in
target once and runs pytest against it in a child process with these E2E_* variables.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from authprobe.settings import Settings
from authprobe.target.app import Target, start_sandbox


def suite_env_for(target: Target, tmp: Path, *, base_url: bool = True, **extra: str) -> dict[str, str]:
    """Every E2E_ variable of `target` (its secrets too), artifacts and state under `tmp`.

    `base_url=False` leaves E2E_BASE_URL out, for runs that name the origin another way.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    secret = {"E2E_ADMIN_TOKEN": target.admin_token, "E2E_HOOK_TOKEN": target.hook_token,
              "E2E_IMAP_PASSWORD": target.imap_password, "E2E_IDP_ADMIN_TOKEN": target.idp_admin_token,
              "E2E_IDP_HOOK_TOKEN": target.idp_hook_token}
    env.update({
        "E2E_IMAP_HOST": target.imap_host, "E2E_IMAP_PORT": str(target.imap_port),
        "E2E_IMAP_USER": target.imap_user, "E2E_IMAP_SSL": "false",
        "E2E_MAIL_ADDRESS": target.mail_address, "E2E_ARTIFACTS_DIR": str(tmp / "artifacts"),
        "E2E_STATE_DIR": str(tmp / "state"),
        **{name: value.get_secret_value() for name, value in secret.items() if value is not None},
        **({"E2E_BASE_URL": target.base_url} if base_url else {}),
        **({"E2E_IDP_URL": target.idp_url} if target.idp_url else {}),
        **extra,
    })
    return env


def sms_env_for(target: Target) -> dict[str, str]:
    """The E2E_SMS_* variables of a started target's SMS sink (its token is a secret)."""
    assert target.sms_api_url and target.sms_account_sid and target.sms_auth_token
    return {"E2E_SMS_API_URL": target.sms_api_url, "E2E_SMS_ACCOUNT_SID": target.sms_account_sid,
            "E2E_SMS_AUTH_TOKEN": target.sms_auth_token.get_secret_value()}


def started_sandbox(*args: str) -> Target:
    """A sandbox with an admin token of ours (so its admin API is usable), `args` to it."""
    settings = Settings(_env_file=None,  # type: ignore[call-arg]
                        admin_token=SecretStr("adm-" + secrets.token_urlsafe(24)))
    return start_sandbox(settings, list(args))
