"""The real-time lane (`--realtime-max DURATION` / E2E_REALTIME_MAX): expiry waited for for real.

Each selected check marked `expiry(hook, policy)` whose hook this run cannot use becomes two
items: `NAME[realtime-arm]`, placed first (longest lifetime first, so the longest waits start
at once), and NAME itself, the judge, placed last (shortest lifetime first), which keeps the
check's one name on its verdict. The arm signs in, leaves its state in the run's state dir and
returns; the worker's probe thread (oracle/realtime.py) asks the server at the planned moments;
the judge waits only for what is left. Under pytest-xdist arm and judge may land on different
workers: they meet in files keyed by the check's node id and the run's id. Unset: nothing here
changes anything.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import ssl
import urllib.error
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.python import CallSpec  # an arm's id: the check's parameters plus ARM_ID
from playwright.sync_api import Browser, Page

from authprobe.errors import AuthprobeError
from authprobe.oob.mail import MailSource
from authprobe.oracle.realtime import Asker, Lane, Probes, cookie_header
from authprobe.oracle.session import parse_session_answer
from authprobe.plugin.runtime import JOURNAL, SIGNUP, USER_LEDGER
from authprobe.profile import SessionProbe, TargetProfile, load_profile
from authprobe.provisioning.pool import AccountPool
from authprobe.provisioning.users import ThrowawayUsers
from authprobe.settings import Settings, load_settings
from authprobe.target.app import Target
from authprobe.target.httpget import get
from authprobe.testing import JudgesPage
from authprobe.wait import wait_until

PHASE = pytest.StashKey[str]()
KEY = pytest.StashKey[str]()  # the judge's node id, hashed: what its arm and it share
RUN_ID = pytest.StashKey[str]()
FOLDER = pytest.StashKey[Path]()
_ARMED = pytest.StashKey[set[str]]()
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
ARM_ID = "realtime-arm"


def parse_duration(text: str) -> float:
    """`90s`, `30m`, `1.5h`, `45` (seconds): seconds."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text.lower())
    if found is None:
        raise pytest.UsageError(f"--realtime-max {text!r} is not a duration; write it like 90s, 30m or 2h.")
    return float(found[1]) * _UNITS[found[2]]


def realtime_limit(config: pytest.Config, settings: Settings | None) -> float | None:
    given = config.getoption("--realtime-max", None) or (settings.realtime_max if settings else None)
    return None if given is None else parse_duration(given)


def hook_usable(hook: str, profile: TargetProfile, settings: Settings) -> bool:
    """Whether the hook path can run: the profile names the hook and the run has its token (a
    target the run starts itself has one)."""
    if hook not in profile.hooks.all():
        return False
    return settings.hook_token is not None or (settings.base_url is None and profile.launch is not None)


def check_of(nodeid: str) -> str:
    """The check an item belongs to: an arm's node id without ARM_ID (`NAME[chromium-realtime-arm]`
    → `NAME[chromium]`); any other node id as it is."""
    return re.sub(rf"(\[|-){ARM_ID}\]$", lambda m: "]" if m[1] == "-" else "", nodeid)


def key_of(nodeid: str) -> str:
    return hashlib.sha256(nodeid.encode()).hexdigest()[:16]


def stated_lifetime(profile: TargetProfile, name: str) -> float | None:
    """The lifetime an `expiry` marker names: `idle_ttl_seconds` ([policy]) or `SECTION.KEY`
    (`sms.code_ttl_seconds`); None when the profile states none."""
    section, _, key = name.rpartition(".")
    value = getattr(getattr(profile, section or "policy", None), key, None)
    return float(value) if value is not None else None


def _lifetime(item: pytest.Item, profile: TargetProfile) -> float:
    marker = item.get_closest_marker("expiry")
    assert marker is not None
    return stated_lifetime(profile, marker.args[1]) or 0.0


def split(items: list[pytest.Item], lane: list[pytest.Function], profile: TargetProfile) -> list[pytest.Item]:
    """Arms first (longest lifetime first), the rest in order, judges last (shortest first)."""
    arms: list[pytest.Item] = []
    for item in sorted(lane, key=lambda i: -_lifetime(i, profile)):
        given: CallSpec = getattr(item, "callspec", None) or CallSpec()
        spec = dataclasses.replace(given, _idlist=[*given._idlist, ARM_ID])
        arm = pytest.Function.from_parent(item.parent, name=f"{item.originalname}[{spec.id}]",
                                          callspec=spec, callobj=item.obj,
                                          originalname=item.originalname)
        arm.stash[PHASE], item.stash[PHASE] = "arm", "judge"
        arm.stash[KEY] = item.stash[KEY] = key_of(item.nodeid)
        arms.append(arm)
    chosen = set(lane)
    judges = sorted(lane, key=lambda i: _lifetime(i, profile))
    return [*arms, *(i for i in items if i not in chosen), *judges]


@pytest.hookimpl(wrapper=True)  # after -k/-m deselection and every reordering plugin
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Iterator[None]:
    yield
    _split_the_lane(config, items)


def _split_the_lane(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        settings = load_settings(config.getoption("--base-url", None))
        limit = realtime_limit(config, settings)
        profile = load_profile(settings.target) if limit is not None else None
    except AuthprobeError:
        return  # the run's own fixtures stop it with that sentence
    if profile is None:
        return
    lane = [i for i in items if isinstance(i, pytest.Function) and (m := i.get_closest_marker("expiry"))
            and not hook_usable(m.args[0], profile, settings)]
    if lane:
        config.stash[FOLDER] = Path(settings.state_dir) / "realtime" / _run_id(config)
        items[:] = split(items, lane, profile)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """A judge that ran, failed or was skipped before its lane fixture: its arm's users may go."""
    if item.stash.get(PHASE, None) == "judge":
        folder = item.config.stash[FOLDER]
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        (folder / f"{item.stash[KEY]}.judged").touch()


def session_asker(base_url: str, probe: SessionProbe, timeout_s: float,
                  tls: ssl.SSLContext | None) -> Asker:
    """Ask the session endpoint with these cookies alone; (signed in?, evidence)."""
    url = base_url.rstrip("/") + probe.url

    def ask(cookies: list[dict[str, Any]]) -> tuple[bool | None, str]:
        try:
            answer = get(url, timeout_s, headers={"Cookie": cookie_header(cookies)}, tls=tls,
                         redirects=False)
            view = parse_session_answer(probe, answer.status, answer.content_type, answer.body, url)
        except (AuthprobeError, OSError, urllib.error.URLError) as exc:
            return None, f"GET {url} failed: {exc}"
        return view.authenticated, view.evidence

    return ask


def _run_id(config: pytest.Config) -> str:
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        return str(worker["testrunuid"])
    if RUN_ID not in config.stash:
        config.stash[RUN_ID] = uuid.uuid4().hex
    return config.stash[RUN_ID]


@pytest.fixture(scope="session")
def authprobe_realtime_probes(authprobe_target: Target, authprobe_profile: TargetProfile,
                              authprobe_settings: Settings, request: pytest.FixtureRequest,
                              ) -> Iterator[Probes]:
    """This worker's probe thread; at the worker's end it waits for the watches still running
    (not when the run is stopping: `-x`, Ctrl-C, a fatal error; no judge will read them)."""
    probes = Probes(session_asker(authprobe_target.base_url, authprobe_profile.session_probe,
                                  authprobe_settings.http_timeout, authprobe_target.tls()))
    yield probes
    probes.drain(timeout_s=0 if _stopping(request.session) else 900)


def _stopping(session: pytest.Session) -> bool:
    """The run ends early: the items left (the judges among them) will not run."""
    return bool(session.shouldstop or session.shouldfail)


@pytest.fixture(scope="session")
def authprobe_realtime_users(authprobe_provisioner: object, authprobe_inbox: MailSource,
                             authprobe_account_pool: AccountPool | None, authprobe_settings: Settings,
                             pytestconfig: pytest.Config, request: pytest.FixtureRequest,
                             ) -> Iterator[ThrowawayUsers]:
    """Users of the lane's arms: they outlive the arm item, until every judge has judged."""
    signup = pytestconfig.stash[SIGNUP]
    made = ThrowawayUsers(authprobe_provisioner, authprobe_inbox, pytestconfig.stash[USER_LEDGER],  # type: ignore[arg-type]
                          authprobe_account_pool, signup.restore_password, pytestconfig.stash[JOURNAL],
                          authprobe_settings.removal_timeout)
    yield made
    armed = _folder(pytestconfig)
    with contextlib.suppress(AuthprobeError):  # a judge that never ran: its users go all the same
        wait_until(lambda: _stopping(request.session) or not _awaited(armed, pytestconfig),
                   timeout=900, interval=0.5, what="the real-time judges of this worker's arms")
    failures = made.remove_all()
    if failures:
        pytest.fail("throwaway users of the real-time lane were not removed: " + "; ".join(failures),
                    pytrace=False)


def _awaited(folder: Path, config: pytest.Config) -> bool:
    return any(not (folder / f"{k}.judged").exists() for k in config.stash.get(_ARMED, set()))



def _folder(config: pytest.Config) -> Path:
    return config.stash.get(FOLDER, Path("."))


@pytest.fixture
def authprobe_realtime(request: pytest.FixtureRequest, authprobe_settings: Settings,
                       authprobe_realtime_probes: Probes) -> Iterator[Lane | None]:
    """The lane of this item (arm or judge), or None: the check takes its hook path."""
    phase = request.node.stash.get(PHASE, None)
    if phase is None:
        yield None
        return
    config = request.config
    limit = realtime_limit(config, authprobe_settings)
    assert limit is not None
    key = request.node.stash[KEY]
    folder = _folder(config)
    lane = Lane(phase == "arm", limit, folder, key, authprobe_realtime_probes)
    if lane.arming:
        config.stash.setdefault(_ARMED, set()).add(key)
    yield lane
    if lane.arming and not any((folder / f"{key}.{n}.json").exists() for n in ("armed", "skipped")):
        lane.skipped(f"its arm {os.path.basename(request.node.nodeid)} did not arm (see its report)")


@pytest.fixture
def authprobe_judges_page(request: pytest.FixtureRequest, page: Page) -> JudgesPage:
    """Under pytest-xdist each worker may run a target of its own: a judge looks at the target
    its arm used (a plain context there: the egress watch knows this worker's target only)."""

    def on(base_url: str) -> Page:
        target: Target = request.getfixturevalue("authprobe_target")
        if base_url == target.base_url:
            return page
        browser: Browser = request.getfixturevalue("browser")
        args: dict[str, Any] = request.getfixturevalue("browser_context_args")
        context = browser.new_context(**{**args, "base_url": base_url})
        request.addfinalizer(context.close)
        return context.new_page()

    return on
