"""Test-mode hooks of the Flask-Security target: signing-key rotation through Flask's own
SECRET_KEY_FALLBACKS (Flask >= 3.1, honoured by Flask-Security-Too >= 5.6).

Flask's session reads SECRET_KEY and its fallbacks on every request. Flask-Security builds
its token serializers when it starts, so after each change the hook rebuilds them with
Flask-Security's own builder, as the restart of a deployment would.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from flask_security import core as security_core
from itsdangerous import URLSafeTimedSerializer

from authprobe.sandbox.fallbacks import SecretKeyFallbacks, grace_of, loopback_only

# What Security.init_app builds its serializers with (private and unannotated upstream), typed
# as this module calls it.
build_serializer: Callable[[Flask, str], URLSafeTimedSerializer] = security_core._get_serializer

# Security's serializer attributes and the names init_app builds them under.
SERIALIZERS = {
    "remember_token_serializer": "remember", "login_serializer": "login",
    "reset_serializer": "reset", "change_email_serializer": "change_email",
    "confirm_serializer": "confirm", "us_setup_serializer": "us_setup",
    "tf_setup_serializer": "two_factor_setup", "tf_validity_serializer": "two_factor_validity",
    "wan_serializer": "wan",
}


def add_key_hooks(app: Flask, hook_token: str) -> None:
    """POST /__test__/keys/rotate {grace_seconds} and /__test__/keys/retire, token-locked."""

    def apply(current: str, fallbacks: list[str]) -> None:
        app.config.update(SECRET_KEY=current, SECRET_KEY_FALLBACKS=fallbacks)
        security = app.extensions["security"]
        for attribute, name in SERIALIZERS.items():
            setattr(security, attribute, build_serializer(app, name))

    keys = SecretKeyFallbacks(app.config["SECRET_KEY"], apply)
    app.before_request(keys.drop_expired)

    def locked(view: Callable[[], ResponseReturnValue]) -> Callable[[], ResponseReturnValue]:
        @wraps(view)
        def checked() -> ResponseReturnValue:
            given = request.headers.get("X-Test-Hook-Token", "")
            if not loopback_only(request.remote_addr) or not secrets.compare_digest(
                    given.encode(), hook_token.encode()):
                return jsonify({"error": "unauthorized"}), 401
            return view()

        return checked

    @app.post("/__test__/keys/rotate")
    @locked
    def rotate_keys() -> ResponseReturnValue:
        return jsonify({"fallbacks": keys.rotate(grace_of(request.get_json(silent=True)))})

    @app.post("/__test__/keys/retire")
    @locked
    def retire_keys() -> ResponseReturnValue:
        return jsonify({"fallbacks": keys.retire()})
