"""Provisioning channels: profile validation, the command runner, and the cleanup ledger.

The channels that drive the real sandbox end to end are proven in
tests/test_provision_channels.py; here each rule is shown on its own, quickly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import SecretStr

from authprobe.errors import CommandFailed, ConfigError, ProvisioningUnavailable
from authprobe.profile import Channel, CommandOperation, Commands, SelfService, load_profile
from authprobe.provisioning.channels import (
    Account,
    Provisioner,
    Removal,
)
from authprobe.provisioning.command import CommandRunner
from authprobe.provisioning.pool import AccountPool, parse_pool
from authprobe.provisioning.removal import LeftoverRemover, remove_account
from authprobe.provisioning.sweep import RunJournal, dead_runs
from authprobe.provisioning.users import ThrowawayUsers, UserLedger


def _profile(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\n' + body)
    return path


# ---------------------------------------------------------------- profile


def test_password_in_argv_is_refused_when_the_profile_loads(tmp_path: Path) -> None:
    path = _profile(tmp_path, '[commands]\ncreate_user = { argv = ["mk", "{email}", "{password}"] }\n')
    with pytest.raises(ConfigError, match=r"\{password\} may not appear in argv"):
        load_profile(str(path))


def test_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    path = _profile(tmp_path, '[commands]\ndelete_user = { argv = ["rm", "{mail}"] }\n')
    with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \['mail'\]"):
        load_profile(str(path))


def test_provision_may_only_name_described_channels(tmp_path: Path) -> None:
    path = _profile(tmp_path, '[provision]\nset_role = ["admin_screen"]\n')
    with pytest.raises(ConfigError, match="provision.set_role names 'admin_screen'"):
        load_profile(str(path))


def test_screen_step_takes_exactly_one_action(tmp_path: Path) -> None:
    path = _profile(tmp_path, '[admin_screen.delete_user]\n'
                              'steps = [{ goto = "/a", click = { text = "x" } }]\n')
    with pytest.raises(ConfigError, match="exactly one of goto, fill"):
        load_profile(str(path))


def test_a_profile_without_admin_api_creates_users_by_signup() -> None:
    profile = load_profile("sandbox").model_copy(update={"admin_api": None})
    assert profile.channels("create")[0] == "admin_screen"
    bare = profile.model_copy(update={"admin_screen": None, "commands": None})
    assert bare.channels("create") == ["signup"]
    assert bare.channels("set_role") == []
    assert bare.channels("delete") == ["signup"]  # self-service deletion


# ---------------------------------------------------------------- command runner

RECORDER = (
    "import json, os, sys; json.dump({'argv': sys.argv, 'pw': os.environ.get('NEW_PW')}, "
    "open(os.environ['OUT'], 'w')); sys.exit(int(os.environ.get('CODE', '0')))"
)


def _runner(tmp_path: Path, code: int = 0, timeout: float = 30) -> tuple[CommandRunner, CommandOperation]:
    op = CommandOperation(argv=["{python}", "-c", RECORDER, "create", "{email}", "--role", "{role}"],
                          env={"NEW_PW": "{password}"}, ok_exit=[0, 3])
    runner = CommandRunner(Commands(timeout_seconds=timeout, create_user=op),
                           {"OUT": str(tmp_path / "out.json"), "CODE": str(code)}, tmp_path)
    return runner, op


def test_command_gets_values_in_argv_and_the_password_only_by_environment(tmp_path: Path) -> None:
    runner, op = _runner(tmp_path)
    status = runner.run(op, "creating", email="a@x.test", role="editor",
                        password=SecretStr("s3cret-pw"))
    seen = json.loads((tmp_path / "out.json").read_text())
    assert status == 0
    assert seen["argv"][-4:] == ["create", "a@x.test", "--role", "editor"]
    assert seen["pw"] == "s3cret-pw"
    assert not any("s3cret-pw" in item for item in seen["argv"])


def test_unaccepted_exit_status_is_one_sentence_without_the_password(tmp_path: Path) -> None:
    runner, op = _runner(tmp_path, code=5)
    with pytest.raises(CommandFailed, match=r"creating: .* exited 5 \(expected \[0, 3\]\)") as caught:
        runner.run(op, "creating", email="a@x.test", password=SecretStr("s3cret-pw"))
    assert "s3cret-pw" not in str(caught.value)


def test_second_accepted_status_is_returned(tmp_path: Path) -> None:
    runner, op = _runner(tmp_path, code=3)
    assert runner.run(op, "deleting", email="a@x.test") == 3


def test_missing_program_and_hanging_command_are_named(tmp_path: Path) -> None:
    missing = CommandOperation(argv=["no-such-program-xyz", "{email}"])
    runner = CommandRunner(Commands(delete_user=missing), {}, tmp_path)
    with pytest.raises(CommandFailed, match="'no-such-program-xyz' was not found"):
        runner.run(missing, "deleting", email="a@x.test")
    hang = CommandOperation(argv=[sys.executable, "-c", "import time; time.sleep(30)"])
    slow = CommandRunner(Commands(timeout_seconds=0.5, delete_user=hang), {}, tmp_path)
    with pytest.raises(CommandFailed, match="ran past 0.5 s and was stopped"):
        slow.run(hang, "deleting", email="a@x.test")


# ---------------------------------------------------------------- provisioner and cleanup


class Addresses:
    """Plus-addresses as an Inbox hands them out."""

    def __init__(self) -> None:
        self.count = 0

    def address(self, tag: str) -> str:
        self.count += 1
        return f"qa+{tag}-{self.count}@example.test"


@dataclass
class RecordingChannel:
    """A channel that keeps its users in a dict: the provisioner's rules, without a target."""

    name: Channel
    with_role: bool = True
    fail_delete: bool = False
    users: dict[str, str] = field(default_factory=dict)

    def creates_with_role(self) -> bool:
        return self.with_role

    def create(self, email: str, password: SecretStr, role: str) -> None:
        self.users[email] = role

    def set_role(self, email: str, role: str) -> None:
        self.users[email] = role

    def deactivate(self, account: Account) -> Removal:
        raise ProvisioningUnavailable("no deactivate")

    def delete(self, account: Account) -> Removal:
        if self.fail_delete:
            raise TimeoutError("the target did not answer in 5 s")
        return "deleted" if self.users.pop(account.email, None) is not None else "absent"


def _users(channels: list[RecordingChannel], only: list[Channel] | None = None,
           drop: tuple[str, ...] = ()) -> tuple[ThrowawayUsers, UserLedger]:
    profile = load_profile("sandbox").model_copy(update={name: None for name in drop})
    ledger = UserLedger()
    provisioner = Provisioner(profile, channels, {}, only=only)
    return ThrowawayUsers(provisioner, Addresses(), ledger), ledger  # type: ignore[arg-type]


def test_role_is_set_through_another_channel_when_the_creator_cannot() -> None:
    signup = RecordingChannel("signup", with_role=False)
    command = RecordingChannel("command")
    users, _ = _users([signup, command], only=["signup", "command"])
    user = users.create(role="editor")
    assert signup.users[user.email] == "member"  # signed up with the default role …
    assert command.users[user.email] == "editor"  # … then changed through the command
    assert users.roles_available() == ["member", "editor", "admin"]


def test_missing_role_channel_is_named_before_anything_is_created() -> None:
    signup = RecordingChannel("signup", with_role=False)
    users, ledger = _users([signup], only=["signup"])
    expected = "E2E_PROVISION=signup leaves no channel for 'set_role'"
    with pytest.raises(ProvisioningUnavailable, match=expected):
        users.create(role="admin")
    assert signup.users == {} and ledger.entries == []
    assert users.roles_available() == ["member"]


def test_one_failed_removal_does_not_stop_the_others_and_each_is_named() -> None:
    api = RecordingChannel("admin_api", fail_delete=True)
    users, ledger = _users([api], only=["admin_api"])
    made = [users.create(tag=f"u{n}") for n in range(3)]
    failures = users.remove_all()
    assert len(failures) == 3 and all(user.email in " ".join(failures) for user in made)
    assert [entry.cleaned.startswith("left:") for entry in ledger.entries] == [True] * 3
    assert "3 throwaway user(s) created (3 via admin_api)" in ledger.summary()


def test_a_failing_channel_falls_back_to_the_next_and_the_ledger_says_which() -> None:
    api = RecordingChannel("admin_api", fail_delete=True)
    command = RecordingChannel("command")
    users, ledger = _users([api, command], only=["admin_api", "command"])
    user = users.create()
    command.users[user.email] = "member"
    failures = users.remove_all()
    assert ledger.entries[0].cleaned == "deleted via command"
    assert failures and "via admin_api" in failures[0]  # the broken channel is still reported


def test_handed_out_addresses_without_accounts_count_as_never_created() -> None:
    users, ledger = _users([RecordingChannel("admin_api")], only=["admin_api"])
    users.address("nobody")
    assert users.remove_all() == []
    assert ledger.entries[0].cleaned == "never created"
    assert "0 throwaway user(s) created" in ledger.summary()


def test_the_journal_keeps_pending_users_of_a_dead_run_without_secrets(tmp_path: Path) -> None:
    journal = RunJournal(tmp_path, "p", "https://staging.example.test")
    journal.creating("qa+a@example.test")
    journal.creating("qa+b@example.test")
    journal.cleaned("qa+a@example.test", "deleted via admin_api")
    assert dead_runs(tmp_path) == []  # its run still holds the lock
    journal.close()
    [run] = dead_runs(tmp_path)
    assert run.pending == ["qa+b@example.test"] and run.base_url == "https://staging.example.test"
    assert journal.path.stat().st_mode & 0o077 == 0 and "pw" not in journal.path.read_text()


def test_a_journal_with_nothing_pending_is_removed_at_close(tmp_path: Path) -> None:
    journal = RunJournal(tmp_path, "p", "https://staging.example.test")
    journal.creating("qa+a@example.test")
    journal.cleaned("qa+a@example.test", "deleted via command")
    journal.close()
    assert list((tmp_path / "runs").iterdir()) == []


def test_remove_account_without_any_delete_channel_leaves_it_on_record() -> None:
    users, _ = _users([], drop=("admin_api", "admin_screen", "commands"))
    profile = users.provisioner.profile.model_copy(update={"self_service": SelfService()})
    provisioner = Provisioner(profile, [], {})
    cleaned, problems = remove_account(provisioner, Account("a@x.test", SecretStr("pw-1234567"), "member"))
    assert cleaned == ("left: the profile of sandbox describes no channel for 'delete' (add [admin_api] "
                       "or the operation under [admin_screen] or the operation under [commands] or "
                       "[self_service] delete_account)")
    assert problems == []


@dataclass
class HangingChannel(RecordingChannel):
    """A channel whose removals take `seconds` and then fail (an admin API that hangs)."""

    seconds: float = 0.0
    calls: int = 0

    def delete(self, account: Account) -> Removal:
        self.calls += 1
        time.sleep(self.seconds)
        raise TimeoutError(f"the target did not answer in {self.seconds:g} s")


def test_a_sweep_behind_hanging_channels_gives_up_after_three_stalls_and_keeps_the_rest() -> None:
    """Before: every leftover cost the channels' whole timeout (200 users, 200 timeouts)."""
    hanging = HangingChannel("admin_api", seconds=0.3)
    users, _ = _users([hanging], only=["admin_api"])
    remover = LeftoverRemover(users.provisioner, deadline_s=0.3)
    started = time.monotonic()
    said = [remover.remove(f"qa+left-{n}@example.test") for n in range(12)]
    seconds = time.monotonic() - started
    assert hanging.calls == LeftoverRemover.STALLS_IN_A_ROW and seconds < 2.0, (hanging.calls, seconds)
    assert all(line.startswith("left: ") for line in said)
    assert "not tried, 3 removals in a row found no channel answering within E2E_REMOVAL_TIMEOUT" in said[-1]


def test_a_quick_failure_is_no_stall_and_the_sweep_goes_on() -> None:
    failing = RecordingChannel("admin_api", fail_delete=True)  # refuses at once: not a hang
    users, _ = _users([failing], only=["admin_api"])
    remover = LeftoverRemover(users.provisioner, deadline_s=5.0)
    said = [remover.remove(f"qa+left-{n}@example.test") for n in range(5)]
    assert not remover.gave_up and all("not tried" not in line for line in said)


# ---------------------------------------------------------------- pool


def _pool_json(*entries: tuple[str, str, str]) -> SecretStr:
    data: dict[str, list[dict[str, str]]] = {}
    for role, email, password in entries:
        data.setdefault(role, []).append({"email": email, "password": password})
    return SecretStr(json.dumps(data))


def test_pool_setting_errors_never_echo_the_value() -> None:
    roles = ["member", "admin"]
    for raw, fragment in (("{not json", "not valid JSON"),
                          ('{"owner": []}', "names role 'owner'"),
                          ('{"member": [{"email": "a@x.test"}]}', "lacks an email or password")):
        with pytest.raises(ConfigError, match=fragment) as caught:
            parse_pool(SecretStr(raw), roles)
        assert raw not in str(caught.value)
    parsed = parse_pool(_pool_json(("member", "m@x.test", "pw-member-1")), roles)
    assert [(a.email, a.role, a.password.get_secret_value()) for a in parsed] == [
        ("m@x.test", "member", "pw-member-1")]


def test_a_pool_account_is_held_by_one_holder_at_a_time_across_processes(tmp_path: Path) -> None:
    accounts = parse_pool(_pool_json(("member", "m@x.test", "pw-member-1")), ["member"])
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from authprobe.provisioning.pool import AccountPool, "
         "PoolAccount; from pydantic import SecretStr; "
         f"pool = AccountPool([PoolAccount('m@x.test', SecretStr('x'), 'member')], 'https://t', "
         f"Path({str(tmp_path)!r})); assert pool.borrow('member'); print('held', flush=True); "
         "time.sleep(60)"],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        mine = AccountPool(accounts, "https://t", tmp_path, wait_s=0.3)
        assert mine.borrow("member") is None  # the other process holds it
        holder.kill()  # a killed worker frees what it held
        holder.wait(timeout=10)
        assert mine.borrow("member") is not None
        assert mine.borrow("member") is None  # and this holder cannot take it twice
    finally:
        holder.kill()


def test_pool_accounts_are_lent_restored_and_given_back_never_removed() -> None:
    accounts = parse_pool(_pool_json(("member", "m@x.test", "pw-member-1"),
                                     ("editor", "e@x.test", "pw-editor-1")), ["member", "editor"])
    api = RecordingChannel("admin_api")
    restored: list[str] = []
    profile = load_profile("sandbox")
    with tempfile.TemporaryDirectory() as locks:
        pool = AccountPool(accounts, "https://t", Path(locks), wait_s=0.1)
        ledger = UserLedger()
        users = ThrowawayUsers(Provisioner(profile, [api], {}, only=["admin_api"]), Addresses(),
                               ledger, pool, lambda account: restored.append(account.email))
        editor = users.create(role="editor")
        assert editor.email == "e@x.test" and editor.password.get_secret_value() == "pw-editor-1"
        users.set_role(editor.email, "member")
        with pytest.raises(ProvisioningUnavailable, match="E2E_POOL holds no admin account"):
            users.create(role="admin")
        assert users.remove_all() == []
        assert restored == ["e@x.test"] and api.users == {"e@x.test": "editor"}  # role put back
        assert ledger.entries[0].cleaned == "returned to the pool"
        assert pool.borrow("editor") is not None  # given back: free again
