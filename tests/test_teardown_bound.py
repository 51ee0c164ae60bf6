"""Teardown within a bound: removals whose every channel hangs end E2E_REMOVAL_TIMEOUT after
the teardown starts, however many users there are, and what is left is on the journal.

The channels are the real ones (the admin API through Playwright's request context, a
`[commands]` child process), pointed at a port that accepts connections and never answers.
No browser starts: Playwright's request context needs only its driver.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright
from pydantic import SecretStr

from authprobe.profile import CommandOperation, load_profile
from authprobe.provisioning.channels import ApiChannel, CommandChannel, Provisioner
from authprobe.provisioning.command import CommandRunner
from authprobe.provisioning.sweep import RunJournal, dead_runs
from authprobe.provisioning.users import ThrowawayUsers, UserLedger

DEADLINE_S = 4.0
HANG = ("import os, socket; socket.create_connection(('127.0.0.1', int(os.environ['HANG_PORT'])))"
        ".recv(1)")


@contextmanager
def silent_port() -> Iterator[int]:
    """A port that completes every TCP handshake (the kernel's backlog) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield server.getsockname()[1]


class Addresses:
    def __init__(self) -> None:
        self.n = 0

    def address(self, tag: str) -> str:
        self.n += 1
        return f"qa+{tag}{self.n}@example.test"


def test_two_users_whose_every_removal_hangs_are_journaled_within_the_deadline(tmp_path: Path) -> None:
    hang = CommandOperation(argv=["{python}", "-c", HANG, "{email}"])
    sandbox = load_profile("sandbox")
    assert sandbox.commands is not None and sandbox.admin_api is not None
    commands = sandbox.commands.model_copy(update={"timeout_seconds": 15.0, "delete_user": hang,
                                                   "deactivate_user": hang})
    profile = sandbox.model_copy(update={"commands": commands})
    with silent_port() as port, sync_playwright() as playwright:
        base_url = f"http://127.0.0.1:{port}"
        request = playwright.request.new_context(base_url=base_url)
        api = ApiChannel(request, sandbox.admin_api, SecretStr("tok-" + "x" * 20), timeout_s=2.0)
        command = CommandChannel(CommandRunner(commands, {"HANG_PORT": str(port)}, tmp_path), profile)
        provisioner = Provisioner(profile, [api, command], {}, only=["admin_api", "command"])
        journal = RunJournal(tmp_path, "sandbox", base_url)
        ledger = UserLedger()
        users = ThrowawayUsers(provisioner, Addresses(), ledger, journal=journal,
                               removal_timeout=DEADLINE_S)
        emails = [users.address("gone", SecretStr("pw-" + "y" * 12)) for _ in range(2)]
        started = time.monotonic()
        failures = users.remove_all()
        took = time.monotonic() - started
        journal.close()
        request.dispose()
    # Before: 2 s (API) + 15 s (delete command) + 15 s (deactivate command) per user, 64 s.
    assert took < DEADLINE_S + 3, f"teardown took {took:.1f} s"
    assert [e.cleaned.startswith("left") for e in ledger.entries] == [True, True]
    [run] = dead_runs(tmp_path)
    assert run.pending == emails and all("E2E_REMOVAL_TIMEOUT (4 s)" in run.why[e] for e in emails)
    said = failures[-1]
    assert said == ("2 user(s) left on the target are on the run's journal: `authprobe sweep` "
                    "removes them (so does the next run against it)")
    assert all(any(email in line for line in failures) for email in emails)
    assert "tok-" not in " ".join(failures) + run.path.read_text()
