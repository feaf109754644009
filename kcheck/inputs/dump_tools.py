"""The host's dump tools (makedumpfile, crash) against its running kernel, as host facts.

The releases come from the package database (:mod:`kcheck.inputs.packages`);
what each release knows is kernel knowledge (:mod:`kcheck.domain.dump_tools`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kcheck.domain import dump_tools
from kcheck.domain.version import KernelVersion


def _needed(kernel: KernelVersion, table: tuple[tuple[str, str, str], ...]) -> str:
    """The first release of ``table`` that knows ``kernel``'s series, in words."""
    for release, newest, _ in table:
        known = KernelVersion.parse(newest)
        if known is not None and kernel.parts[:2] <= known.parts[:2]:
            return f"{release} or later"
    return f"a release newer than {table[-1][0]} (none that kcheck knows supports it yet)"


def dump_tool_facts(release: str | None, makedumpfile: tuple[str, str] | None,
                    crash: tuple[str, str] | None, unknowable: Callable[[str], Any]) -> dict[str, Any]:
    """``tools.*`` host facts: each tool's release, what it knows, and whether that covers ``release``;
    ``unknowable(reason)`` is the host reader's value for a fact it cannot tell."""
    kernel = KernelVersion.parse(release) if release else None
    facts: dict[str, Any] = {}
    for name, installed, named, knows, table in (
            ("makedumpfile", makedumpfile, dump_tools.makedumpfile_latest, dump_tools.makedumpfile_knows,
             dump_tools.MAKEDUMPFILE_LATEST),
            ("crash", crash, dump_tools.crash_named, dump_tools.crash_knows, dump_tools.CRASH_NAMED)):
        version = installed[0] if installed else None
        found = named(version) if version else None
        facts[f"tools.{name}"] = version
        facts[f"tools.{name}_newest"] = found[0] if found else None
        facts[f"tools.{name}_source"] = found[1] if found else None
        if version is None:
            facts[f"tools.{name}_knows_kernel"] = None
        elif kernel is None:
            facts[f"tools.{name}_knows_kernel"] = unknowable("the running kernel's release is unknown")
        elif found is None:
            facts[f"tools.{name}_knows_kernel"] = unknowable(
                f"{name} {version} is newer than kcheck's table (up to {table[-1][0]})")
        else:
            facts[f"tools.{name}_knows_kernel"] = knows(version, kernel)
        facts[f"tools.{name}_needed"] = _needed(kernel, table) if kernel else None
    facts["tools.crash_reads_compressed"] = (dump_tools.crash_reads_compressed(crash[0]) if crash else None)
    return facts
