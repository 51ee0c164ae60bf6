"""The shipped target profiles (TOML), installed with the package."""
