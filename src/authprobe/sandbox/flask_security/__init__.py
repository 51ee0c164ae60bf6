"""A Flask app whose user management is Flask-Security-Too, as a second built-in target.

Only configuration and the thinnest glue live here (models, a header, pages per role, a
session endpoint, a bearer-token admin API): sign-up, confirmation, login, TOTP, reset and
roles are Flask-Security-Too's own. `targets/flask_security.toml` describes it.
"""

from authprobe.sandbox.flask_security.app import FlaskSecurityConfig, create_app

__all__ = ["FlaskSecurityConfig", "create_app"]
