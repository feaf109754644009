"""Everything known about one kdump set-up, addressed by dotted paths.

Rules never see readers or files; they ask for facts by path:
``system.config.KEXEC``, ``boot.crashkernel.offset``, ``kexec.append.param.root``
...  Every path is registered, with its type and doc, in
:mod:`kcheck.facts.catalogue` (``kcheck facts`` lists them); this module holds
the inputs and the values computed from several of them.

A path into an input that was not given (no ``--kexec``, no ``--cmdline``)
raises :class:`MissingInput`, so rules about it are skipped with a reason
instead of failing.  A path to a value that is simply absent gives ``None``.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kcheck.domain.arch import kdump_possible
from kcheck.domain.cmdline import Cmdline, parse_cmdline
from kcheck.inputs.kconfig import KernelConfig
from kcheck.domain.kexec import KexecCommand
from kcheck.domain.memory import PAGE_SIZE, PPC_64K_PAGE_SIZE
from kcheck.domain.records import record
from kcheck.domain.units import parse_number
from kcheck.domain.version import KernelVersion
from kcheck.facts.catalogue import resolve
from kcheck.facts.memory_map import MemoryMap, build_map, load_needed
from kcheck.facts.protocol import MissingInput, Unknown

if TYPE_CHECKING:
    from kcheck.inputs.image.model import KernelImage

if TYPE_CHECKING:
    from kcheck.inputs.host import HostFacts


@record
class Kernel:
    """One of the two kernels: its config and what we know of its version and arch."""

    role: str
    config: KernelConfig | None
    version: KernelVersion | None
    version_source: str | None
    arch: str | None
    image: KernelImage | None = None
    #: Where the architecture came from, and what another source said against it.
    arch_source: str | None = None
    arch_conflict: str | None = None

    @property
    def load_address(self) -> int | None:
        """Where an x86 kernel runs when not relocated: LOAD_PHYSICAL_ADDR.

        arch/x86/include/asm/boot.h: ALIGN_UP(CONFIG_PHYSICAL_START,
        CONFIG_PHYSICAL_ALIGN); before 2.6.20 there is no alignment symbol.
        """
        if self.config is None or self.arch not in ("i386", "x86_64"):
            return None
        try:
            start = parse_number(self.config.get("PHYSICAL_START") or "0x100000")
            align = parse_number(self.config.get("PHYSICAL_ALIGN") or "1")
        except ValueError:
            return None
        align = max(align, 1)
        return (start + align - 1) // align * align

    @property
    def rhel(self) -> bool:
        """A RHEL-family kernel (its release says .el7/.el8), where crashkernel=auto exists."""
        releases = [self.config.header_release if self.config else None,
                    self.image.release if self.image else None]
        return any(r and re.search(r"\.el[5-8]", r) for r in releases)

    @property
    def kdump_arch(self) -> bool | None:
        """Whether the architecture's Kconfig offers CRASH_DUMP in this kernel's series
        (kcheck.domain.arch.KDUMP_SRCARCH); None when the architecture is unknown."""
        if self.arch is None:
            return None
        return kdump_possible(self.arch, self.version.parts if self.version else None)

    @property
    def pae(self) -> bool | None:
        """Whether an i386 kernel uses PAE (can address RAM above 4 GiB).

        Until 2.6.2x X86_PAE was hidden and implied by HIGHMEM64G; later it is
        visible and selected by HIGHMEM64G, so either symbol decides.
        """
        if self.config is None or self.arch != "i386":
            return None
        return self.config.enabled("X86_PAE") or self.config.enabled("HIGHMEM64G")


@record
class Setup:
    """A whole kdump set-up: two kernels, the boot line, the kexec command, the machine."""

    system: Kernel
    capture: Kernel
    same_kernel: bool
    cmdline: Cmdline | None
    cmdline_source: str | None
    kexec: KexecCommand | None
    memory: int | None
    kexec_source: str = "--kexec"
    host: HostFacts | None = None
    #: The kexec-tools release that runs the command (--kexec-tools-version, or the host's package).
    kexec_tools_version: str | None = None

    def lookup(self, path: str) -> Any:
        """The fact at ``path`` (see :mod:`kcheck.facts.catalogue`); ``KeyError`` if no fact has it.

        Values are computed once per set-up: a rule base asks for the same
        few facts many times.
        """
        values = self._values
        if path in values:
            return values[path]
        get, name = resolve(path)
        value = values[path] = get(self, name)
        return value

    @cached_property
    def _values(self) -> dict[str, Any]:
        return {}

    def host_fact(self, name: str) -> Any:
        """A live-host fact (``kcheck preflight`` only); unknowable ones skip the rule."""
        if self.host is None:
            raise MissingInput("kcheck preflight (a live host)")
        from kcheck.inputs.host import Unknowable  # lazy: host modules load only for host facts

        value = self.host_facts[name]
        if isinstance(value, Unknowable):
            raise Unknown(value.reason, f"host.{name}")
        return value

    @cached_property
    def host_facts(self) -> dict[str, Any]:
        assert self.host is not None
        return self.host.facts()

    @property
    def kaslr(self) -> bool | None:
        """Whether the system kernel randomises its physical load address (x86)."""
        config = self.system.config
        if config is None or self.cmdline is None:
            return None
        return config.enabled("RANDOMIZE_BASE") and not self.cmdline.has("nokaslr")

    @cached_property
    def memory_map(self) -> MemoryMap | None:
        """Where everything sits in physical memory (see kcheck.facts.memory_map)."""
        return build_map(self)

    @cached_property
    def crashkernel_advised(self) -> int:
        """The crashkernel= size kcheck's fixes write (kcheck.domain.crashkernel_advice): the
        current size when it is big enough, else 256M or what kexec needs to load the capture
        kernel and initrd and to run it with a margin (kcheck.facts.capture_memory), when the
        images say (on a live host also what its service loads and KH008's run-time need)."""
        from kcheck.domain.crashkernel_advice import advised_size  # lazy: only fixes that size crashkernel=
        from kcheck.facts.capture_memory import NotComputable, run_fact  # lazy: the run-time model

        current = self.crashkernel_facts.get("size") if self.cmdline is not None else None
        needs = [load_needed(self) or 0]

        try:
            # What the capture kernel needs to run, with the margin KI015 asks (the rehearsed model).
            comfortable = run_fact(self, "run_comfortable")
        except (NotComputable, MissingInput):
            comfortable = None
        if isinstance(comfortable, int):
            needs.append(comfortable)
        if self.host is not None:
            # A live host knows more: what its service loads and kdumpctl's run-time estimate.
            needs += [value for name in ("capture.load_size", "capture.run_size")
                      if isinstance(value := self.host_facts.get(name), int) and not isinstance(value, bool)]
        return advised_size(max(needs), current, self.system.arch)

    @cached_property
    def capture_cmdline(self) -> Cmdline | None:
        """The command line the capture kernel boots with, as kexec-tools builds it.

        ``--reuse-cmdline`` starts from the running kernel's line without
        ``BOOT_IMAGE=`` and, for ``-p``, without ``crashkernel=``
        (kexec-tools kexec.c: get_command_line / remove_parameter).
        """
        kexec = self.kexec
        if kexec is None:
            return None
        pieces: list[str] = []
        if kexec.has("reuse-cmdline") and self.cmdline is not None:
            drop = {"BOOT_IMAGE"} | ({"crashkernel"} if kexec.panic else set())
            pieces.extend(self.cmdline.text[p.start:p.end] for p in self.cmdline.params
                          if p.name not in drop)
        if kexec.append:
            pieces.append(kexec.append)
        if not pieces:
            return None
        return parse_cmdline(" ".join(pieces))

    @cached_property
    def crashkernel_facts(self) -> dict[str, Any]:
        """What the system kernel will reserve, as plain values for rules."""
        # lazy: the crashkernel= model (~850 lines) loads only when a rule asks about it
        from kcheck.domain.crashkernel import find_crashkernel, resolve_crashkernel

        assert self.cmdline is not None
        # The boot line is tokenised once, by the pipeline; both reuse it.
        tokens = find_crashkernel(self.cmdline.text, version=self.system.version, parsed=self.cmdline)
        facts: dict[str, Any] = {"present": bool(tokens), "count": len(tokens)}
        reservation = resolve_crashkernel(self.cmdline.text, version=self.system.version,
                                          arch=self.system.arch, memory=self.memory, parsed=self.cmdline)
        if reservation is None:
            return facts
        facts["raw"] = reservation.used_token.raw if reservation.used_token else tokens[-1].raw
        if tokens[-1].kind == "auto" and self.system.rhel:
            # RHEL 7/8 kernels size crashkernel=auto from RAM themselves.
            facts.update(reserves=True, needs_memory=True)
            return facts
        plain = [t for t in tokens if t.kind in ("simple", "ranges", "auto")]
        facts["repeated"] = len(plain) > 1
        facts["embedded"] = next((t.container or "--" for t in tokens if t.embedded), None)
        facts["cma_size"] = reservation.cma_size
        facts["alignment"] = self._crashkernel_alignment()
        if reservation.size is None:  # ranges, and the RAM size was not given
            facts["needs_memory"] = True
            return facts
        reserves = reservation.size > 0
        facts.update(
            size=reservation.size if reserves else None,
            offset=reservation.offset if reserves else None,
            end=(reservation.offset + reservation.size
                 if reserves and reservation.offset is not None else None),
            reserves=reserves,
            problem="; ".join(reservation.problems) or None,
        )
        return facts

    def _crashkernel_alignment(self) -> int | None:
        from kcheck.domain.crashkernel import offset_alignment  # lazy: as above

        config = self.system.config
        lpae = config is not None and config.enabled("ARM_LPAE")
        page = PPC_64K_PAGE_SIZE if config is not None and config.enabled("PPC_64K_PAGES") else PAGE_SIZE
        return offset_alignment(self.system.arch, self.system.version, arm_lpae=lpae, page_size=page)
