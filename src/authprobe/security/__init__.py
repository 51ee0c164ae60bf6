"""The run-time guard: redaction, egress and data-flow watchers, private and scanned artifacts."""
