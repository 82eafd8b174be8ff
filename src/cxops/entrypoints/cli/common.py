"""CLI helpers live in cxops.core.cli so domains' cli.py modules can use them too."""

from cxops.core.cli import cli_errors, console, fail, is_tty, open_db

__all__ = ["cli_errors", "console", "fail", "is_tty", "open_db"]
