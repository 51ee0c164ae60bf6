"""The app under test: resolved from settings, preflighted, started when built in, its
hooks and HTTP operations."""
