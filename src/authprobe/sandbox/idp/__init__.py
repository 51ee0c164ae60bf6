"""The built-in OpenID Connect provider ("Authprobe ID"): django-oauth-toolkit's OIDC provider
in a Django project of its own, started beside a target as a sidecar (sidecar.py).

A maintained provider rather than a hand-written one: discovery, JWKS, authorization code with
PKCE, refresh tokens rotated on use, RP-initiated logout and key rotation are DOT's. Ours are
the screens (templates/), the admin API and the test hooks (api.py), the claims and the
misbehaving ID tokens (validator.py), rotation at run time (keys.py). Django is set up with
settings.configure() by `python -m authprobe.sandbox.idp` (server.py), never through
DJANGO_SETTINGS_MODULE, so importing this package imports neither Django nor DOT.
"""
