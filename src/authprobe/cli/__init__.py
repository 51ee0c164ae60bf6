"""The `authprobe` command: one module per command. Imported by nothing."""
