"""Target profiles: everything app-specific the suite needs, as data (TOML).

Onboarding a conventional app should need a profile and no Python: paths,
locator overrides, the session probe, mail patterns, policy, the role matrix,
admin operations and test hooks all live here.
"""

from __future__ import annotations

from authprobe.profile.elements import (
    COMMON as COMMON_ELEMENTS,
)
from authprobe.profile.elements import (
    SCREENS,
    Element,
    ScreenSpec,
)
from authprobe.profile.forms import (
    FIELD_PLACEHOLDERS,
    SignupField,
    SignupForm,
)
from authprobe.profile.loading import (
    TARGETS_DIR,
    load_profile,
    resolve_profile_path,
)
from authprobe.profile.lockout import AddressLimit, CodeGuesses, Guesses, Lockout
from authprobe.profile.model import (
    TargetProfile,
)
from authprobe.profile.operations import (
    CHANNELS,
    OPERATIONS,
    SECTIONS,
    AdminApi,
    Channel,
    CommandOperation,
    Commands,
    Hooks,
    HttpOperation,
    Launch,
    Operation,
    Provision,
)
from authprobe.profile.passkeys import Passkeys
from authprobe.profile.screens import (
    PLACEHOLDER,
    STEP_ACTIONS,
    AdminScreen,
    LocatorSpec,
    Paths,
    ScreenRecipe,
    ScreenStep,
    SelfService,
)
from authprobe.profile.session import (
    E164_PREFIX,
    Budgets,
    MailPatterns,
    Network,
    Policy,
    Resource,
    Roles,
    SessionProbe,
    SigninLimit,
    SigninRate,
    SmsChannel,
    jmespath_problem,
)
from authprobe.profile.sso import IdpAdminApi, IdpHooks, Sso, SsoPolicy

__all__ = [
    "AdminApi",
    "AdminScreen",
    "Budgets",
    "COMMON_ELEMENTS",
    "Element",
    "CHANNELS",
    "Channel",
    "CommandOperation",
    "Commands",
    "E164_PREFIX",
    "FIELD_PLACEHOLDERS",
    "Hooks",
    "HttpOperation",
    "Launch",
    "LocatorSpec",
    "MailPatterns",
    "Network",
    "OPERATIONS",
    "Operation",
    "PLACEHOLDER",
    "Passkeys",
    "AddressLimit",
    "CodeGuesses",
    "Guesses",
    "Lockout",
    "Paths",
    "Policy",
    "Provision",
    "Resource",
    "Roles",
    "SCREENS",
    "SECTIONS",
    "STEP_ACTIONS",
    "ScreenRecipe",
    "ScreenSpec",
    "ScreenStep",
    "SelfService",
    "SessionProbe",
    "SigninLimit",
    "SigninRate",
    "SignupField",
    "SignupForm",
    "SmsChannel",
    "IdpAdminApi",
    "IdpHooks",
    "Sso",
    "SsoPolicy",
    "TARGETS_DIR",
    "TargetProfile",
    "jmespath_problem",
    "load_profile",
    "resolve_profile_path",
]
