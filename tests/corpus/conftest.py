"""Suites the audit reads as data (tests/test_audit.py): never collected, never imported.

They are written as real teams write their suites, including the mistakes the audit must find,
so they import libraries authprobe does not install.
"""

collect_ignore_glob = ["*"]
