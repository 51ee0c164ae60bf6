"""How the run reaches the app besides its screens: admin API, commands, provisioning
channels, test hooks and how a built-in target is launched."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from authprobe.profile._strict import _Strict
from authprobe.profile.screens import _placeholders_known
from authprobe.profile.session import _networks, jmespath_problem


class HttpOperation(_Strict):
    """An HTTP call template; `{email}`, `{password}`, `{role}` are filled in."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(description="the HTTP method")
    path: str = Field(description="a path on the target's origin; placeholders are filled in")
    json_body: dict[str, object] | None = Field(default=None, alias="json",
                                                description="the JSON body, placeholders filled in")
    ok_status: list[int] = Field(default_factory=lambda: [200, 201, 204],
                                 description="statuses that mean it worked")


class AdminApi(_Strict):
    """An admin HTTP API authorised by E2E_ADMIN_TOKEN: the fastest channel for throwaway users."""

    token_header: str = Field(default="Authorization", description="the header E2E_ADMIN_TOKEN goes in")
    token_prefix: str = Field(default="Bearer ", description="what precedes the token in that header")
    create_user: HttpOperation = Field(description="makes a throwaway user ({email}, {password}, {role})")
    delete_user: HttpOperation = Field(
        examples=[{"method": "DELETE", "path": "/api/admin/users/{email}", "ok_status": [204, 404]}],
        description="removes {email} (clean-up; list 404 in ok_status)")
    set_role: HttpOperation = Field(description="gives {email} the role {role} (role checks)")
    list_users: HttpOperation | None = Field(
        default=None, description="lets each run remove what killed runs left (by address)")
    list_emails: str = Field(default="users[].email",
                             description="JMESPath from list_users' JSON answer to the emails")

    @model_validator(mode="after")
    def _query_compiles(self) -> AdminApi:
        problem = jmespath_problem(self.list_emails, "admin_api.list_emails")
        if problem:
            raise ValueError(problem)
        return self


Channel = Literal["admin_api", "admin_screen", "command", "signup"]
CHANNELS: tuple[Channel, ...] = ("admin_api", "admin_screen", "command", "signup")
Operation = Literal["create", "set_role", "deactivate", "delete"]
OPERATIONS: tuple[Operation, ...] = ("create", "set_role", "deactivate", "delete")
SECTIONS: dict[Channel, str] = {
    "admin_api": "[admin_api]", "admin_screen": "the operation under [admin_screen]",
    "command": "the operation under [commands]", "signup": "[self_service] delete_account",
}


class CommandOperation(_Strict):
    """An argv template (never a shell string); the password reaches it by environment only."""

    argv: list[str] = Field(min_length=1, description="the command and its arguments ({email}, "
                            "{role}, {python}; never {password})")
    env: dict[str, str] = Field(default_factory=dict, description="environment for it; {password} "
                                "may appear here")
    ok_exit: list[int] = Field(default_factory=lambda: [0], description="exit codes that mean it worked")

    @model_validator(mode="after")
    def _password_never_in_argv(self) -> CommandOperation:
        for item in self.argv:
            if "{password}" in item:
                raise ValueError("{password} may not appear in argv (other processes can read "
                                 "argv); pass it in `env` instead")
            _placeholders_known(item, {"email", "role", "python"}, "argv")
        for value in self.env.values():
            _placeholders_known(value, {"email", "role", "password"}, "env")
        return self


class Commands(_Strict):
    """Provisioning by command (`manage.py`, `rails runner`, `kubectl exec`, a database client)."""

    cwd: str | None = Field(default=None, description="the folder the commands run in; unset: here")
    timeout_seconds: float = Field(default=60.0, gt=0, description="each command's deadline")
    create_user: CommandOperation | None = Field(default=None, description="makes a throwaway user")
    set_role: CommandOperation | None = Field(default=None, description="gives {email} the role {role}")
    deactivate_user: CommandOperation | None = Field(default=None, description="deactivates {email}")
    delete_user: CommandOperation | None = Field(default=None, description="removes {email} (clean-up)")


class Provision(_Strict):
    """Channels per operation, in the order to try them; unset → every configured channel."""

    create: list[Channel] | None = Field(default=None, examples=[["signup"]], description="channels "
                                         "that make throwaway users, in order of preference")
    set_role: list[Channel] | None = Field(default=None, description="channels that change a role")
    deactivate: list[Channel] | None = Field(default=None, description="channels that deactivate a user")
    delete: list[Channel] | None = Field(default=None, description="channels that remove a user "
                                         "(clean-up and `authprobe sweep`)")


class Hooks(_Strict):
    """Test-only endpoints of the target (present only in its test mode, token-locked)."""

    enabled: bool = Field(default=True, description="false: the run uses none of these hooks (a profile "
                          "that extends one cannot delete its keys); expiry checks take the real-time lane")
    token_header: str = Field(default="X-Test-Hook-Token", description="the header E2E_HOOK_TOKEN goes in")
    backdate_sessions: HttpOperation | None = Field(
        default=None, description="makes {email}'s sessions look idle by {idle_seconds} and old by "
        "{age_seconds}: the idle and absolute TTL checks")
    backdate_tokens: HttpOperation | None = Field(
        default=None, description="makes {email}'s tokens of {kind} (reset, activation, sms_code) "
        "{seconds} older: the link and code expiry checks")
    rotate_keys: HttpOperation | None = Field(
        default=None, description="a new signing key; older keys accepted for {grace_seconds}")
    retire_keys: HttpOperation | None = Field(
        default=None, description="end every retired signing key's grace window now")
    networks: list[str] | None = Field(
        default=None, description="the only networks the hooks answer, even with the token")

    _valid = field_validator("networks")(_networks)

    def all(self) -> dict[str, HttpOperation]:
        if not self.enabled:
            return {}
        return {name: op for name, op in self._named().items() if op is not None}

    def harmless(self) -> dict[str, HttpOperation]:
        """The hooks a call for an address nobody has leaves without effect (token checks):
        a key rotation or retirement changes the target for every user, so never those."""
        return {name: op for name, op in self.all().items() if name.startswith("backdate_")}

    def _named(self) -> dict[str, HttpOperation | None]:
        return {"backdate_sessions": self.backdate_sessions, "backdate_tokens": self.backdate_tokens,
                "rotate_keys": self.rotate_keys, "retire_keys": self.retire_keys}


class Launch(_Strict):
    """How the run starts a built-in target itself when E2E_BASE_URL is unset."""

    module: str = Field(
        pattern=r"^[A-Za-z_][\w.]*$",
        description="`python -m MODULE --test-mode --port 0 ...` printing the ready line of docs/sandbox.md",
    )
    args: list[str] = Field(default_factory=list,
                            description="more arguments for it, e.g. a variant to start")
