"""A Django 5 project whose whole user management is django-allauth 65 with its stock views and
templates (account: sign-up with mandatory email verification, sign-in by email, reset by mail,
password change; mfa: TOTP and recovery codes; headless: only its browser session endpoint), as
a built-in target onboarded by profile alone (targets/allauth.toml).

Our glue is what a team adds around allauth: Django's admin at /admin for staff, a roles
endpoint (Django groups as JSON) and one API per role. Django is set up with
settings.configure() by `python -m authprobe.sandbox.allauth` (server.py), so importing this
package does not import Django.
"""
