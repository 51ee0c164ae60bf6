"""The project's own Django app: default role on sign-up, admins are staff, a plain user admin."""
