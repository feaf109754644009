"""What the engine may assume of facts: a lookup by path, and two ways to not know.

The engine depends on this protocol, not on the concrete set-up, so a rule
is evaluated the same way over a checked set-up or a live host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the protocols are for annotations only: a Protocol class costs start-up time to make
    from typing import Protocol

    from kcheck.domain.version import KernelVersion

    class Facts(Protocol):
        def lookup(self, path: str) -> Any:
            """The value at a fact path; ``KeyError`` when no such path exists."""
            ...

    class KernelFacts(Protocol):
        """What decides whether a rule applies to one kernel, and where its findings point."""

        version: KernelVersion | None
        arch: str | None
        config: Any  # the kernel's KernelConfig (``path``, ``lines``), or None
        image: Any

    class SetupFacts(Facts, Protocol):
        """A whole set-up as the engine sees it: facts by path, both kernels, where the lines came from."""

        system: KernelFacts
        capture: KernelFacts
        same_kernel: bool
        cmdline_source: str | None
        kexec_source: str


class MissingInput(Exception):
    """A rule needs an input the user did not give; ``args[0]`` names the option."""


class Unknown(Exception):
    """The predicate cannot be decided: a value or an input is missing.

    ``path`` names the fact that was unknown.  ``undecided`` is set by facts
    that know the rule may well apply but the inputs cannot say (a host file
    is unreadable, root= names no driver): the report is then incomplete.
    """

    def __init__(self, message: str, path: str | None = None, undecided: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.undecided = undecided
