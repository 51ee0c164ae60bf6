"""Flask + Flask-Security-Too: configuration and the thinnest glue around it.

Everything a user does (register, confirm, login, two-factor, reset, change password) is
Flask-Security-Too's own view and template. The glue is what any app adds: its models,
a header that says who is signed in, a page and an API per role, a JSON session endpoint,
and a bearer-token admin API for provisioning.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import Flask, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_mail import Mail
from flask_security import (
    Security,
    SQLAlchemyUserDatastore,
    auth_required,
    current_user,
    hash_password,
    roles_accepted,
)
from flask_security.models import fsqla_v3 as fsqla
from flask_security.models.fsqla import FsModels
from flask_security.signals import user_authenticated, user_registered
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf

from authprobe.sandbox.flask_security.keys import add_key_hooks
from authprobe.sandbox.flask_security.texts import sms_settings

ROLES = ("member", "editor", "admin")
DEFAULT_ROLE = "member"


@dataclass(frozen=True)
class FlaskSecurityConfig:
    smtp_host: str
    smtp_port: int
    admin_token: str
    db_uri: str
    fast_hashing: bool = False  # test mode: cheap argon2 parameters, as the sandbox does
    hook_token: str | None = None  # test mode: the key-rotation hooks (keys.py), locked with it
    mail_sender: str = "authprobe flask-security <no-reply@sandbox.test>"
    # the SMS gateway (texts.py); without one, texted codes stay off
    sms_api_url: str | None = None
    sms_account_sid: str = ""
    sms_auth_token: str = field(default="", repr=False)


def _settings(config: FlaskSecurityConfig) -> dict[str, Any]:
    """Flask-Security-Too settings: the documented switches, chosen for an honest deployment."""
    cheap = {"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}
    return {
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": cheap if config.fast_hashing else {},
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": config.db_uri,
        "SESSION_COOKIE_SAMESITE": "Lax",  # Flask's default is None (no SameSite attribute)
        "MAIL_SERVER": config.smtp_host,
        "MAIL_PORT": config.smtp_port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": config.mail_sender,
        "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(16),
        "SECURITY_REGISTERABLE": True,
        "SECURITY_CONFIRMABLE": True,
        "SECURITY_RECOVERABLE": True,
        "SECURITY_CHANGEABLE": True,
        "SECURITY_TWO_FACTOR": True,
        "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator"],
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES": True,  # /mf-recovery-codes and /mf-recovery
        "SECURITY_TOTP_SECRETS": {"1": secrets.token_urlsafe(32)},
        "SECURITY_TOTP_ISSUER": "authprobe flask-security",
        # Passkeys (/wan-register, /wan-signin): first factor and second factor, each passkey
        # registered for one of them. Its relying-party ID and origin are the request's host,
        # so a browser at http://localhost:PORT gets "localhost" (WebAuthn refuses 127.0.0.1).
        "SECURITY_WEBAUTHN": True,
        "SECURITY_WAN_RP_NAME": "authprobe flask-security",
        # Same answer for known and unknown identities (login, register, reset).
        "SECURITY_RETURN_GENERIC_RESPONSES": True,
        # Its reset confirmation names the typed address; use its own generic wording.
        "SECURITY_MSG_PASSWORD_RESET_REQUEST": (
            "If that email address is in our system, you will receive an email describing "
            "how to reset your password.",
            "info",
        ),
        # The mailboxes of this deployment live on the local sink's .test domain.
        "SECURITY_EMAIL_VALIDATOR_ARGS": {"check_deliverability": False, "test_environment": True},
        "SECURITY_POST_LOGIN_VIEW": "/account",
        "SECURITY_POST_LOGOUT_VIEW": "/",
        "SECURITY_POST_REGISTER_VIEW": "/",
    }


# The models' table binding (unannotated upstream), typed as create_app calls it.
set_db_info: Callable[[SQLAlchemy], None] = FsModels.set_db_info


def create_app(config: FlaskSecurityConfig) -> Flask:
    app = Flask(__name__)
    app.config.update(_settings(config))
    if config.sms_api_url:
        app.config.update(sms_settings(config.sms_api_url, config.sms_account_sid,
                                       config.sms_auth_token))
    db = SQLAlchemy(app)
    set_db_info(db)

    class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
        pass

    class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
        pass

    class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):  # type: ignore[name-defined,misc]
        pass  # the user's passkeys (SECURITY_WEBAUTHN)

    datastore = SQLAlchemyUserDatastore(db, User, Role, WebAuthn)
    Security(app, datastore)
    Mail(app)
    if config.hook_token:
        add_key_hooks(app, config.hook_token)
    with app.app_context():
        db.create_all()
        for name in ROLES:
            datastore.find_or_create_role(name=name)
        db.session.commit()

    @user_registered.connect_via(app)
    def default_role(sender: Flask, user: Any, **extra: Any) -> None:
        datastore.add_role_to_user(user, DEFAULT_ROLE)  # committed by Flask-Security's view

    @user_authenticated.connect_via(app)
    def remember_how(sender: Flask, user: Any, authn_via: list[str] | None = None, **extra: Any) -> None:
        """Keep how this sign-in began for the session endpoint (a second factor completes
        one begun with the password: Flask-Security sends no authn_via then)."""
        session["signed_in_with"] = (authn_via or ["password"])[0]

    def role_names(user: Any) -> list[str]:
        return sorted(role.name for role in user.roles)

    def find(email: str) -> Any:
        user = datastore.find_user(case_insensitive=True, email=email)
        if user is None:
            abort(404)
        return user

    def replace_role(user: Any, role: str) -> None:
        for old in list(user.roles):
            datastore.remove_role_from_user(user, old)
        datastore.add_role_to_user(user, role)
        db.session.commit()

    @app.context_processor
    def shell() -> dict[str, Any]:
        signed_in = bool(current_user.is_authenticated)
        roles = role_names(current_user) if signed_in else []
        return {"shell_roles": roles, "shell_signed_in": signed_in}

    @app.route("/")
    def home() -> ResponseReturnValue:
        return render_template("home.html")

    @app.route("/account")
    @auth_required()
    def account() -> ResponseReturnValue:
        return render_template("page.html", title="Your account", account=True)

    def role_page(path: str, title: str, allowed: tuple[str, ...]) -> None:
        @roles_accepted(*allowed)
        def view() -> ResponseReturnValue:
            return render_template("page.html", title=title)

        app.add_url_rule(path, f"page_{path.strip('/')}", auth_required()(view))

    role_page("/member", "Member area", ROLES)
    role_page("/editor", "Editor area", ("editor", "admin"))

    def role_api(path: str, allowed: tuple[str, ...]) -> None:
        @roles_accepted(*allowed)
        def view() -> ResponseReturnValue:
            return jsonify({"area": path, "email": current_user.email})

        app.add_url_rule(path, f"api_{path.strip('/')}", auth_required()(view))

    role_api("/api/member", ROLES)
    role_api("/api/editor", ("editor", "admin"))

    @app.route("/admin", methods=["GET", "POST"])
    @auth_required()
    @roles_accepted("admin")
    def admin_screen() -> ResponseReturnValue:
        if request.method == "POST":
            try:
                validate_csrf(request.form.get("csrf_token"))
            except CSRFError:
                abort(403)
            role = request.form.get("role", "")
            if role not in ROLES:
                abort(400)
            replace_role(find(request.form.get("email", "")), role)
            flash("Role updated.", "status")
            return redirect(url_for("admin_screen"))
        users = [(user.email, role_names(user)) for user in User.query.order_by(User.email)]
        return render_template("admin.html", users=users, roles=ROLES, csrf_token=generate_csrf())

    @app.route("/api/session")
    def session_state() -> ResponseReturnValue:
        """What the backend believes: signed in, as whom, and whether a 2FA step is pending."""
        if current_user.is_authenticated:
            user = {"email": current_user.email, "roles": role_names(current_user),
                    "signed_in_with": session.get("signed_in_with")}
            return jsonify({"authenticated": True, "mfa_pending": False, "user": user})
        pending = "tf_user_id" in session
        return jsonify({"authenticated": False, "mfa_pending": pending, "user": None})

    # ------------------------------------------------------------ admin API (bearer token)

    def bearer(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            given = request.headers.get("Authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {config.admin_token}".encode()):
                return jsonify({"error": "unauthenticated"}), 401
            return view(*args, **kwargs)

        return checked

    @app.get("/api/admin/users")
    def list_users() -> ResponseReturnValue:
        token_ok = request.headers.get("Authorization", "") == f"Bearer {config.admin_token}"
        if not token_ok:
            if not current_user.is_authenticated:
                return jsonify({"error": "unauthenticated"}), 401
            if not current_user.has_role("admin"):
                return jsonify({"error": "forbidden"}), 403
        users = [{"email": u.email, "roles": role_names(u)} for u in User.query.order_by(User.email)]
        return jsonify({"users": users})

    @app.post("/api/admin/users")
    @bearer
    def create_user() -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        email, password = str(body.get("email", "")), str(body.get("password", ""))
        role = str(body.get("role") or DEFAULT_ROLE)
        if not email or not password or role not in ROLES:
            return jsonify({"error": "email, password and a known role are required"}), 400
        if datastore.find_user(case_insensitive=True, email=email) is not None:
            return jsonify({"error": "exists"}), 409
        confirmed = datetime.now(UTC).replace(tzinfo=None) if body.get("active", True) else None
        datastore.create_user(email=email, password=hash_password(password), roles=[role],
                              confirmed_at=confirmed)
        db.session.commit()
        return jsonify({"email": email, "roles": [role]}), 201

    @app.delete("/api/admin/users/<email>")
    @bearer
    def delete_user(email: str) -> ResponseReturnValue:
        datastore.delete_user(find(email))
        db.session.commit()
        return "", 204

    @app.put("/api/admin/users/<email>/role")
    @bearer
    def set_role(email: str) -> ResponseReturnValue:
        role = str((request.get_json(silent=True) or {}).get("role", ""))
        if role not in ROLES:
            return jsonify({"error": f"role must be one of {list(ROLES)}"}), 400
        user = find(email)
        replace_role(user, role)
        return jsonify({"email": user.email, "roles": [role]})

    return app
