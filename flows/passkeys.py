"""Passkeys ([passkeys]): register one from the account screens, sign in with it (passwordless
or as the second step), remove it; and the attacker's positions: an assertion replayed, a
used challenge handed to the authenticator again, an app's options stripped of their allow
list so the authenticator offers a credential the app did not ask for, a credential copied to
another authenticator with its counter behind.

Every ceremony is the page's own JavaScript talking to the tab's virtual authenticator
(authprobe.oob.authenticator); the flows press buttons and read where the page lands. The
captures and rewrites stand in the browser, through `page.route`: the requests the page
makes are the app's own, only held, copied or changed there. Apps whose page carries the
options in its HTML and posts the assertion as a form field are met in the page too:
options where its script hands them to `navigator.credentials`, the assertion in the form
body.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

from playwright.sync_api import Locator, Page, Route
from pydantic import SecretStr

from authprobe.errors import FlowError
from authprobe.flows.outcome import first_visible, text_of
from authprobe.flows.session import SignIn, submit_password
from authprobe.flows.throttle import pace
from authprobe.oob.authenticator import Credential, VirtualAuthenticator
from authprobe.pages.account import AccountShell
from authprobe.pages.passkeys import PasskeySignIn, PasskeysPage, PasskeyStep
from authprobe.pages.reauth import ReauthPage, answer_reauth_prompt
from authprobe.profile import TargetProfile

AddOutcome = Literal["added", "refused", "reauth"]


@dataclass(frozen=True)
class PasskeyRegistration:
    outcome: AddOutcome
    name: str | None  # the new list item's name (its first line), when one appeared
    message: str | None
    url: str


def _prompt(page: Page, profile: TargetProfile) -> dict[str, Locator]:
    """The re-authentication prompt as a candidate screen: [locators.reauth]'s landmark, or any
    password field (a prompt the profile does not describe still asks for one)."""
    if "reauth" in profile.locators and ReauthPage(page, profile).defines("heading"):
        return {"reauth": ReauthPage(page, profile).landmark()}
    return {"reauth": page.locator("input[type=password]")}


def press_add(page: Page, profile: TargetProfile) -> PasskeyRegistration:
    """Open the passkeys screen and press its add button once: a new list item (added), an
    error (refused), or a password prompt in the way (reauth), which is left unanswered."""
    screen = PasskeysPage(page, profile)
    screen.open()
    before = screen.names()
    screen.add()
    landed = first_visible(page, {"added": screen.items().nth(len(before)), "refused": screen.error_alert,
                                  **_prompt(page, profile)}, step="press 'Add a passkey'")
    if landed != "added":
        return PasskeyRegistration(landed, None, text_of(screen.error_alert), page.url)  # type: ignore[arg-type]
    new = [name for name in screen.names() if name not in before]
    name = new[0].splitlines()[0].strip() if new else None
    return PasskeyRegistration("added", name, text_of(screen.status_message), page.url)


def register_passkey(page: Page, profile: TargetProfile) -> PasskeyRegistration:
    """Add a passkey, answering the password prompt when the app puts one in the way (with the
    password this browser signed in with), then pressing add again."""
    first = press_add(page, profile)
    if first.outcome != "reauth":
        return first
    if not answer_reauth_prompt(page, profile):
        raise FlowError(f"adding a passkey asks for the password at {page.url}, but the profile has "
                        "no [locators.reauth] to answer it with; describe the prompt there")
    return press_add(page, profile)


def _signed_in_or_refused(page: Page, profile: TargetProfile, email: str, refusal: Locator, step: str,
                          mfa: Locator | None = None) -> SignIn:
    shell = AccountShell(page, profile)
    candidates = {"signed_in": shell.signed_in_mark, "refused": refusal}
    if mfa is not None:
        candidates = {"mfa_required": mfa, **candidates}
    landed = first_visible(page, candidates, step=step)
    message = text_of(refusal) if landed == "refused" else None
    return SignIn(email, landed, message, page.url)  # type: ignore[arg-type]


def sign_in_with_passkey(page: Page, profile: TargetProfile, email: str) -> SignIn:
    """'Sign in with a passkey' on the sign-in form, no password: signed in, refused, or (an
    app that still wants a second step) mfa_required. `email` names whom the check expects."""
    form = PasskeySignIn(page, profile)
    pace(page, email)
    form.start()
    return _signed_in_or_refused(page, profile, email, form.error_alert, "sign in with a passkey",
                                 mfa=PasskeyStep(page, profile).landmark())


def passkey_second_factor(page: Page, profile: TargetProfile, email: str) -> SignIn:
    """At the second sign-in step, answer with a passkey."""
    step = PasskeyStep(page, profile)
    step.use_passkey()
    return _signed_in_or_refused(page, profile, email, step.error_alert, "use a passkey at the second step")


def password_then_passkey(page: Page, profile: TargetProfile, email: str, password: str) -> SignIn:
    """The password, then (when the app asks for a second step) the passkey."""
    first = submit_password(page, profile, email, SecretStr(password))
    if first.outcome != "mfa_required":
        return first
    return passkey_second_factor(page, profile, email)


def remove_passkey(page: Page, profile: TargetProfile, name: str) -> bool:
    """Remove the passkey called `name` on the passkeys screen (answering a password prompt);
    whether it is gone from the list."""
    screen = PasskeysPage(page, profile)
    for _ in range(2):
        screen.open()
        screen.remove(name)
        landed = first_visible(page, {"done": screen.status_message, "error": screen.error_alert,
                                      "list": screen.landmark(), **_prompt(page, profile)},
                               step=f"remove the passkey {name}")
        if landed != "reauth":
            break
        if not answer_reauth_prompt(page, profile):
            raise FlowError(f"removing a passkey asks for the password at {page.url}, but the profile "
                            "has no [locators.reauth] to answer it with; describe the prompt there")
    screen.open()
    return not any(item.splitlines()[0].strip() == name for item in screen.names())


# the attacker's positions -------------------------------------------------------------------


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except ValueError:
        return None


def is_assertion(document: Any) -> bool:
    """Whether a JSON body is a WebAuthn assertion (`PublicKeyCredential.toJSON()` of a get)."""
    response = document.get("response") if isinstance(document, dict) else None
    return isinstance(response, dict) and "authenticatorData" in response and "signature" in response


@dataclass
class Captured:
    """The assertions the page posted (their bodies) and the challenges the app's options gave."""

    assertions: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)

    def last_assertion(self) -> str:
        if not self.assertions:
            raise FlowError("the page sent no WebAuthn assertion (no POST with a credential's "
                            "authenticatorData and signature), so there was none to replay")
        return self.assertions[-1]

    def last_challenge(self) -> str:
        """The challenge of the last options seen, else the one the last assertion signed."""
        if self.challenges:
            return self.challenges[-1]
        signed = _signed_challenge(self.assertions[-1]) if self.assertions else None
        if signed is None:
            raise FlowError("the app's WebAuthn options carried no challenge the page could see")
        return signed


def _signed_challenge(assertion: str) -> str | None:
    """The challenge an assertion signed (its clientDataJSON's), as base64url."""
    document = _json(assertion)
    data = document["response"].get("clientDataJSON") if is_assertion(document) else None
    if not isinstance(data, str):
        return None
    client = _json(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode(errors="replace"))
    challenge = client.get("challenge") if isinstance(client, dict) else None
    return challenge if isinstance(challenge, str) else None


def _form_assertion(body: str) -> tuple[list[tuple[str, str]], int] | None:
    """A form-encoded body one of whose fields is a WebAuthn assertion: its fields and that
    field's index (apps that post the credential as a form field)."""
    fields = parse_qsl(body, keep_blank_values=True)
    for index, (_, value) in enumerate(fields):
        if is_assertion(_json(value)):
            return fields, index
    return None


# Wraps navigator.credentials.get/create in each new document of the page: the options the
# page's script passes are shown to the binding (ids in base64url) before the authenticator
# sees them, and what it answers (if anything) replaces their challenge and allow list.
_HOOK = r"""((binding) => {
  const creds = navigator.credentials;
  if (!creds || creds.__authprobe) return;
  creds.__authprobe = true;
  const enc = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")
    + "=".repeat((4 - s.length % 4) % 4)), (c) => c.charCodeAt(0)).buffer;
  for (const kind of ["get", "create"]) {
    const original = creds[kind].bind(creds);
    creds[kind] = async (options) => {
      const pk = options && options.publicKey;
      if (pk && window[binding]) {
        const allow = (pk.allowCredentials || []).map((c) => ({ ...c, id: enc(c.id) }));
        const changed = await window[binding]({ challenge: enc(pk.challenge), allowCredentials: allow });
        if (changed) {
          pk.challenge = dec(changed.challenge);
          if (pk.allowCredentials) {
            pk.allowCredentials = changed.allowCredentials.map((c) => ({ ...c, id: dec(c.id) }));
          }
        }
      }
      return original(options);
    };
  }
})"""


def _options_of(document: Any) -> dict[str, Any] | None:
    """The request or creation options in a JSON answer (top level, or under publicKey)."""
    if isinstance(document, dict) and isinstance(document.get("publicKey"), dict):
        document = document["publicKey"]
    return document if isinstance(document, dict) and "challenge" in document else None


@contextmanager
def in_the_page(page: Page, *, options: Callable[[dict[str, Any]], bool] | None = None,
                assertion: Callable[[str], str | None] | None = None) -> Iterator[Captured]:
    """Within the block, stand in the page between its script and the app: every WebAuthn
    options answer and assertion post is copied into what this yields; `options` may change an
    options answer in place (True: it did) before the page's script sees it; `assertion` may
    give another body for an assertion post (None: sent as it is)."""
    captured = Captured()

    def between(route: Route) -> None:
        request = route.request
        if request.method != "POST" or request.resource_type not in ("fetch", "xhr", "document"):
            route.fallback()
            return
        body = request.post_data or ""
        if request.resource_type == "document":
            _form_post(route, body, captured, assertion)
            return
        if is_assertion(_json(body)):
            captured.assertions.append(body)
            other = assertion(body) if assertion is not None else None
            if other is None:
                route.fallback()
            else:
                route.fallback(post_data=other)
            return
        response = route.fetch()
        document = _json(response.text())
        found = _options_of(document)
        if found is None:
            route.fulfill(response=response)
            return
        captured.challenges.append(str(found["challenge"]))
        if options is not None and options(found):
            route.fulfill(response=response, body=json.dumps(document))
        else:
            route.fulfill(response=response)

    def handed_over(_: Any, seen: dict[str, Any]) -> dict[str, Any] | None:
        """Options the page's script gives the authenticator (those of a JSON answer were
        seen, and changed, above already: an unchanged second look is harmless)."""
        captured.challenges.append(str(seen["challenge"]))
        return seen if options is not None and options(seen) else None

    binding = f"__authprobe_webauthn_{secrets.token_hex(4)}"
    page.route(  # audit: allow the attacker's place in the page; what is not changed passes through as sent
        "**/*", between)
    script = f"{_HOOK}({json.dumps(binding)})"
    try:
        with page.expose_binding(binding, handed_over), page.add_init_script(script):
            yield captured
    finally:
        page.unroute("**/*", between)


def _form_post(route: Route, body: str, captured: Captured,
               assertion: Callable[[str], str | None] | None) -> None:
    """A form the page posts: an assertion in one of its fields is copied, and replaced when
    `assertion` gives another."""
    found = _form_assertion(body)
    if found is None:
        route.fallback()
        return
    fields, index = found
    captured.assertions.append(fields[index][1])
    other = assertion(fields[index][1]) if assertion is not None else None
    if other is None:
        route.fallback()
        return
    fields[index] = (fields[index][0], other)
    route.fallback(post_data=urlencode(fields))


def without_allow_list(options: dict[str, Any]) -> bool:
    """Empty the options' allow list, so the authenticator answers with whatever passkey it
    holds for the site (what a page under an attacker's control can do); whether there was one."""
    if not options.get("allowCredentials"):
        return False
    options["allowCredentials"] = []
    return True


def with_challenge(challenge: str) -> Callable[[dict[str, Any]], bool]:
    """An options change: the app's fresh challenge replaced by `challenge` (an old one)."""
    def change(options: dict[str, Any]) -> bool:
        options["challenge"] = challenge
        return True
    return change


def copy_passkey(source: VirtualAuthenticator, to: VirtualAuthenticator, *,
                 counter_behind: bool = True) -> Credential:
    """Copy the site's passkey of `source` into `to`; with `counter_behind`, its signature
    counter set back to zero (a copy made before the original was last used: a clone)."""
    held = source.credentials()
    if not held:
        raise FlowError("the authenticator holds no passkey to copy; register one first")
    credential = held[-1].at_count(0) if counter_behind else held[-1]
    if any(mine.credential_id == credential.credential_id for mine in to.credentials()):
        to.remove_credential(credential.credential_id)  # copied again: its counter back too
    to.add_credential(credential)
    return credential
