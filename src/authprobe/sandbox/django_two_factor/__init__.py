"""A Django 5 project whose user management is django-registration (two-step activation),
django-two-factor-auth (on django-otp) and django.contrib.auth, as a third built-in target.

Only configuration, templates and the thinnest glue live here (a custom user model with the
email as identity, its admin, a header, pages and APIs per role, two JSON session endpoints,
one test hook): every screen a user meets is one of those stacks' own views. Django is set up
with settings.configure() by `python -m authprobe.sandbox.django_two_factor` (server.py), never through
DJANGO_SETTINGS_MODULE, so importing this package does not import Django.
"""
