"""Everything of the plugin that an authprobe run needs, registered only in such a run.

authprobe.plugin decides in `pytest_configure` (also in each pytest-xdist worker) and calls
`activate`; in any other run this module and the engine behind it are never imported. One
module per concern, each registered as a pytest plugin of its own:

- configuration: `authprobe_settings` → `authprobe_profile` → `authprobe_target` (preflighted)
- services: `authprobe_inbox`, `authprobe_phone`, `authprobe_api`, `authprobe_hooks`,
  `authprobe_require_hook`, `authprobe_egress`, `authprobe_flows_log`
- provisioning: `authprobe_provisioner`, `authprobe_account_pool`, `authprobe_users`,
  `authprobe_untraced_context` (for credentials that must never reach an artifact),
  `authprobe_mfa_user`; a check needing a channel the run lacks is skipped
- sso: `authprobe_idp`, `authprobe_identities` (the identity provider of [sso], its identities)
- passkeys: `authprobe_authenticator`, `authprobe_passkey_device` (virtual authenticators, [passkeys])
- journeys: `authprobe_journey` (the UI/backend oracle after each step) on reports
- signed_in: `authprobe_signed_in_states`, `authprobe_signed_in` (stored sign-in state)
- device_contexts: `authprobe_device_source`, `authprobe_devices` (a device, an address)
- whole_target: xdist workers on one target; checks that change all of it run alone
- pacing: every sign-in draws from the run's budget ([policy] signin_rate), across workers
- reporting: redaction, one sentence for the tool's own errors, which artifacts are kept
- consequences: a failure that follows from an earlier finding of the run says so
- realtime: the real-time lane (--realtime-max): expiry checks without a hook, armed first, judged last
- run_end: seal and scan the artifacts, the summary, budgets: once per run
- compare: night over night (--compare-with): the report's first block, the terminal's, compare.md
- browser: pytest-playwright's fixtures extended (never replaced)

Every fixture carries the `authprobe_` prefix and asks only for prefixed names (and
pytest-playwright's), so a team's own `settings`, `target` or `users`, or pytest-django's
`settings`, neither replaces what these fixtures get nor is replaced by them.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from authprobe.plugin import (
    browser,
    compare,
    configuration,
    consequences,
    device_contexts,
    journeys,
    pacing,
    passkeys,
    provisioning,
    realtime,
    reporting,
    run_end,
    services,
    signed_in,
    sso,
    whole_target,
)

# browser last: registered after every entry-point plugin (this runs in pytest_configure), each
# override of pytest-playwright's fixtures receives pytest-playwright's value and adds to it
MODULES: tuple[ModuleType, ...] = (configuration, services, provisioning, sso, passkeys, journeys,
                                   signed_in, device_contexts, whole_target, pacing, realtime,
                                   reporting, consequences, run_end, compare, browser)


def activate(config: pytest.Config) -> None:
    """Make this run an authprobe run: name it for xdist, set up redaction and artifacts,
    register the fixtures and hooks."""
    whole_target.name_the_run(config)
    browser.cache_driver_compilation()
    browser.trust_private_ca()
    reporting.redact_and_keep_artifacts(config)
    for module in MODULES:
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, f"authprobe-{module.__name__.rsplit('.', 1)[-1]}")
