"""The project's user model (email as the identity), its admin and the registration glue."""
