"""authprobe: end-to-end checks of a web application's user management in real browsers.

Everything authprobe installs lives under this one import name. Users' own tests import
`authprobe.testing`; the pytest plugin is `authprobe.plugin`; the command is `authprobe.cli`.
"""
