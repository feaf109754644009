"""Errors a user can act on.

Everything that is wrong with an input (a file, an option value, a rule file)
is raised as a :class:`KcheckError` naming the input.  Only the CLI turns it
into the single ``kcheck: error: <source>: <message>`` line and exit status 2,
so readers and the engine stay free of printing and exiting.
"""

from __future__ import annotations


class KcheckError(Exception):
    """A problem with an input, reported as ``<source>: <message>``."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class InputError(KcheckError):
    """A file or option value kcheck cannot read or understand."""


class RuleError(KcheckError):
    """A rule file that is not valid TOML or breaks the rule schema."""
