"""Settings for django-stubs' mypy plugin only, which needs a settings module to load the apps
and models it types. The target itself never reads this: `python -m
authprobe.sandbox.django_two_factor` calls `settings.configure()` with `build()` of its own
config (settings.py), so the values here are the same, with placeholder addresses. The
project's own settings are named once more with their types, which the plugin reads from
this module's source."""

from authprobe.sandbox.django_two_factor.settings import DjangoConfig, build

_VALUES = build(DjangoConfig(db_path=":memory:", smtp_host="127.0.0.1", smtp_port=25))
globals().update(_VALUES)

SECRET_KEY: str = _VALUES["SECRET_KEY"]
AUTHPROBE_TEST_MODE: bool = _VALUES["AUTHPROBE_TEST_MODE"]
AUTHPROBE_HOOK_TOKEN: str = _VALUES["AUTHPROBE_HOOK_TOKEN"]
AUTHPROBE_MISCONFIGURATIONS: frozenset[str] = _VALUES["AUTHPROBE_MISCONFIGURATIONS"]
