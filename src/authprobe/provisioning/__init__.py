"""Throwaway users, one protocol and every channel: admin API, command, admin screen,
sign-up, the pool, the run's journal and the sweep."""
