"""Every error authprobe raises on purpose, in one place (layer L0: imports nothing of authprobe).

Each message is one sentence saying what is wrong and what to do. Catch `AuthprobeError`
for all of them. The hierarchy::

    Exception
    └── AuthprobeError                  one sentence, no traceback (the CLI: exit 2)
        ├── ConfigError                 settings, profile or target reachability: the run cannot start
        │   ├── MailConfigError         the IMAP server cannot be reached or refuses the login
        │   │   ├── MailServerStalled   an IMAP stage did not finish within E2E_IMAP_TIMEOUT
        │   │   └── MailCatcherError    the mail catcher's HTTP API: no answer in time, not one, refused
        │   ├── SmsConfigError          the SMS gateway cannot be reached or refuses the account
        │   │   └── SmsGatewayStalled   a gateway call did not finish within E2E_HTTP_TIMEOUT
        │   ├── ServerUnreachable       the admin API or a test hook server's certificate is not trusted
        │   │   └── ServerStalled       an admin API or test hook call did not finish within E2E_HTTP_TIMEOUT
        │   ├── BrowserNotFound         no browser to launch (playwright.config.py looked for one)
        │   ├── AuthenticatorUnavailable  the browser has no virtual authenticator (passkeys: Chromium only)
        │   ├── IdpConfigError          the [sso] identity provider: discovery, URL, tokens or pool
        │   └── SessionProbeError       the session endpoint does not answer the profile's JSON
        ├── WaitTimeout   (TimeoutError)  something outside the DOM did not arrive in time
        ├── DeadlineExceeded (TimeoutError)  an HTTP answer did not finish within its deadline
        ├── MailContentError            a mail arrived without what the profile says it holds
        ├── TargetThrottled             the target rate-limited or locked out the run's sign-ins (exit 3)
        ├── FlowError                   the app did something a flow cannot continue from
        │   ├── RecipeStepError         a step of a profile's screen recipe found nothing to act on
        │   ├── ElementNotFound         a screen's element (its profile name) is not there: nearest candidates
        │   └── FormRefused             the browser's own validation refused a form: its invalid fields
        ├── HookUnavailable             no such test hook in the profile, or no hook token
        ├── ProvisioningUnavailable     no configured channel can do what the check needs
        ├── CommandFailed               a provisioning command exited with an unaccepted status
        ├── ArtifactsNotKept            the artifacts folder is full or cannot be written (verdicts stand)
        ├── CompareInputError           an earlier run to compare with is missing or not JUnit XML
        ├── MergeError                  shards' results cannot be merged: missing, not pytest's, or run twice
        ├── EgressViolation (AssertionError)  the browser contacted an origin the run does not allow
        ├── CheckFailed   (AssertionError)  the target broke what the run relies on: NOT one sentence
        │   ├── AuthMismatch            UI and backend disagree, or both disagree with the step
        │   ├── OperationFailed         a set-up/clean-up call answered an unexpected status
        │   └── SessionEndpointFailed   the session endpoint answered 5xx during a check
        └── SandboxError                a built-in target cannot start with what it was given
            ├── SandboxConfigError (ValueError)  a SANDBOX_* setting it cannot start with
            ├── SandboxUsageError       the sandbox's admin command: database, password or email
            ├── PortInUse               a port a built-in target was given is taken (another one runs)
            ├── UnknownDefectError (ValueError)  a defect name not in the catalogue
            ├── UnknownShapeError  (ValueError)  a shape name not in the catalogue, or a clash
            ├── UnknownMisconfigurationError (ValueError)  the same for the Django target
            ├── SsoSignInError          the sandbox as relying party: why a sign-in through its IdP ends
            │   ├── SignInFailed        the callback signs nobody in (its reason is shown to the user)
            │   ├── IdpDown             the identity provider did not answer, or not usably
            │   ├── IdpRefused          the identity provider answered with an OAuth error
            │   ├── LinkRefused         the linking rules refuse an identity
            │   └── TokenRefused        an ID token fails verification
            └── PasskeyRefused          the sandbox as WebAuthn relying party refuses a ceremony

Why the second bases: `TimeoutError` lets callers that wait treat both timeouts alike;
`AssertionError` keeps a broken invariant a test *failure* wherever code catches assertions
(`Journey` records a mismatch step on it; Playwright's `expect` raises it too); `ValueError`
is what argument validation raises, so the built-in targets' option checks read as such.

How they are shown: the CLI (`authprobe.cli`) and the pytest plugin's reporting print an
`AuthprobeError` as its one sentence, except `CheckFailed`, which pytest reports as the
assertion failure it is, with its evidence (both sides, the step, the status) and traceback.
The built-in targets catch their `SandboxError`s in their own `main` and exit 2.
"""

from __future__ import annotations


class AuthprobeError(Exception):
    """Base of every error authprobe raises deliberately (shown without a traceback)."""


# -- the run cannot start -------------------------------------------------------------------

class ConfigError(AuthprobeError):
    """The settings, the profile or the target's reachability is wrong; the run cannot start."""


class MailConfigError(ConfigError):
    """The IMAP server cannot be reached or refuses the configured login."""


class MailServerStalled(MailConfigError):
    """An IMAP stage (connect, TLS, greeting, login, select, search, fetch, delete, IDLE) or a
    whole mailbox operation did not finish within its deadline: the server stalls or trickles."""


class MailCatcherError(MailConfigError):
    """The mail catcher's HTTP API (E2E_MAIL_API_URL) does not answer within E2E_HTTP_TIMEOUT,
    answers but is not the catcher the profile names, or refuses E2E_MAIL_API_USER's login."""


class SmsConfigError(ConfigError):
    """The SMS gateway cannot be reached or refuses the configured account."""


class SmsGatewayStalled(SmsConfigError):
    """A call to the SMS gateway (connect, headers and body) did not finish within its deadline:
    the gateway stalls or trickles its answer."""


class ServerUnreachable(ConfigError):
    """The target's admin API or a test hook cannot be used at all (its certificate is not
    trusted): every later set-up would fail the same way, so the run cannot go on."""


class ServerStalled(ServerUnreachable):
    """A call to the target's admin API or a test hook did not finish its answer within its
    deadline: every later set-up would wait on it too, so the run cannot go on."""


class BrowserNotFound(ConfigError):
    """No browser to launch: E2E_BROWSER_PATH is wrong, or neither Playwright's own build nor a
    system Chromium is installed (raised by playwright.config.py, read as `config.BrowserNotFound`)."""


class AuthenticatorUnavailable(ConfigError):
    """The browser has no virtual authenticator for passkeys: DevTools' WebAuthn domain is
    Chromium's alone (the passkey checks skip elsewhere)."""


class IdpConfigError(ConfigError):
    """The identity provider of the profile's [sso] cannot be used as configured: E2E_IDP_URL
    unset, its discovery document not answering, a token or E2E_SSO_POOL missing or malformed."""


class SessionProbeError(ConfigError):
    """The session endpoint does not answer the JSON the profile describes."""


# -- waiting --------------------------------------------------------------------------------

class WaitTimeout(AuthprobeError, TimeoutError):
    """Something outside the DOM did not reach the awaited state in time."""


class DeadlineExceeded(AuthprobeError, TimeoutError):
    """The server did not finish its answer within the deadline."""


# -- what a run met on the way --------------------------------------------------------------

class MailContentError(AuthprobeError):
    """A mail arrived but does not contain what the profile says it should."""


class TargetThrottled(AuthprobeError):
    """The target answered a sign-in or the session endpoint with HTTP 429 or its "too many
    attempts" wording: the run, not the flow under test, hit a limit. An environment verdict
    (the run ends with exit 3), never a finding; [policy] signin_rate paces the run under it."""


class FlowError(AuthprobeError):
    """The app did something a flow cannot continue from (names the screen and the evidence)."""


class RecipeStepError(FlowError):
    """A step of a screen recipe found nothing to act on (names the step and the page)."""


class ElementNotFound(FlowError):
    """A screen's element, named as the profile names it, matched nothing (or several) in time;
    the message lists the page's nearest candidates (an icon font's text, an asterisk)."""


class FormRefused(FlowError):
    """The browser's own validation refused to send a form (a required field left empty): the
    message names the invalid fields, which the profile must fill ([signup.fields])."""


class HookUnavailable(AuthprobeError):
    """The profile lists no such hook or the run has no hook token."""


class ProvisioningUnavailable(AuthprobeError):
    """No configured channel can perform an operation the check needs."""


class CommandFailed(AuthprobeError):
    """A provisioning command exited with a status the profile does not accept."""


class ArtifactsNotKept(AuthprobeError):
    """The artifacts folder (E2E_ARTIFACTS_DIR) is full or cannot be written: traces and
    screenshots were not kept, and the checks' verdicts stand as they were."""


class CompareInputError(AuthprobeError):
    """An earlier run to compare with (authprobe compare, --compare-with) is missing or not JUnit XML."""


class MergeError(AuthprobeError):
    """Sharded results cannot become one report: a shard's file is missing or not pytest's, or
    two shards ran the same check (which would hide one of the two results)."""


class EgressViolation(AuthprobeError, AssertionError):
    """The browser contacted an origin the run does not allow."""


# -- the target broke an invariant: a test failure, reported with its evidence --------------

class CheckFailed(AuthprobeError, AssertionError):
    """The target broke something the run relies on; reported as an assertion failure with its
    evidence, never shortened to one sentence."""


class AuthMismatch(CheckFailed):
    """UI and backend disagree, or both disagree with what the step expected."""


class OperationFailed(CheckFailed):
    """A set-up/clean-up call the run depends on answered with an unexpected status."""


class SessionEndpointFailed(CheckFailed):
    """The session endpoint answered a server error (5xx) while a check read it: the backend
    failed, which is a finding about the target, never a signed-out state."""


# -- the built-in targets (authprobe.sandbox imports this module and nothing else of the engine) --

class SandboxError(AuthprobeError):
    """A built-in target cannot start with what it was given; its `main` prints this and exits 2."""


class SandboxConfigError(SandboxError, ValueError):
    """A setting from the environment the sandbox cannot start with."""


class SandboxUsageError(SandboxError):
    """Bad usage of the sandbox's admin command the parser cannot see (database, password, email)."""


class PortInUse(SandboxError):
    """A port a built-in target was told to listen on is taken, most often by another target."""


class UnknownDefectError(SandboxError, ValueError):
    """A defect name that is not in the catalogue."""


class UnknownShapeError(SandboxError, ValueError):
    """A shape name that is not in the catalogue, or shapes that exclude each other."""


class UnknownMisconfigurationError(SandboxError, ValueError):
    """A misconfiguration name the Django target does not know."""


class SsoSignInError(SandboxError):
    """The sandbox as relying party: why a sign-in through its identity provider ends (not a
    configuration problem; these stay inside the sandbox and become what the user is shown)."""


class SignInFailed(SsoSignInError):
    """A callback that signs nobody in; the message is the reason shown to the user."""


class PasskeyRefused(SandboxError):
    """The sandbox as WebAuthn relying party refuses a passkey ceremony (a used challenge, a
    sign count that did not grow, someone else's credential); the message is the reason it
    answers the browser with. Stays inside the sandbox."""


class IdpDown(SsoSignInError):
    """The identity provider did not answer, or not with something usable."""


class IdpRefused(SsoSignInError):
    """The identity provider answered with an OAuth error (its code is the message)."""


class LinkRefused(SsoSignInError):
    """The identity may not sign in here; the message is the reason shown to the user."""


class TokenRefused(SsoSignInError):
    """An ID token the app must not accept; the message is the reason shown to the user."""
