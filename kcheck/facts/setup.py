"""Everything known about one kdump set-up, addressed by dotted paths.

Rules never see readers or files; they ask for facts by path:

``system.config.KEXEC``, ``capture.version``, ``capture.pae``,
``boot.crashkernel.offset``, ``boot.param.irqpoll``, ``kexec.option.args-linux``,
``kexec.append.param.root``, ``setup.same_kernel``, ``setup.memory`` ...

A path into an input that was not given (no ``--kexec``, no ``--cmdline``)
raises :class:`MissingInput`, so rules about it are skipped with a reason
instead of failing.  A path to a value that is simply absent gives ``None``.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kcheck.domain.cmdline import Cmdline, parse_cmdline
from kcheck.inputs.kconfig import KernelConfig
from kcheck.domain.kexec import KexecCommand, default_syscall
from kcheck.domain.records import record
from kcheck.domain.units import parse_number
from kcheck.domain.version import KernelVersion

if TYPE_CHECKING:
    from kcheck.inputs.image.model import KernelImage
    from kcheck.facts.memory_map import MemoryMap

if TYPE_CHECKING:
    from kcheck.inputs.host import HostFacts


class MissingInput(Exception):
    """A rule needs an input the user did not give; ``args[0]`` names the option."""


@record
class Kernel:
    """One of the two kernels: its config and what we know of its version and arch."""

    role: str
    config: KernelConfig | None
    version: KernelVersion | None
    version_source: str | None
    arch: str | None
    image: KernelImage | None = None

    def lookup(self, parts: list[str]) -> Any:
        head = parts[0] if parts else ""
        if head == "config":
            symbol = _leaf(parts)
            if self.config is None:
                raise MissingInput(f"--{self.role}-config")
            return self.config.get(symbol)
        if head == "image":
            name = _leaf(parts)
            if self.image is None:
                raise MissingInput(f"--{self.role}-image")
            from kcheck.facts.image import image_fact

            return image_fact(self.image, name, config_version=self.version, config_arch=self.arch)
        _leaf(parts, 0)
        if head == "version":
            return str(self.version) if self.version else None
        if head == "arch":
            return self.arch
        if head == "pae":
            return self.pae
        if head == "load_address":
            return self.load_address
        raise KeyError(".".join(parts))

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
        parts = path.split(".")
        head, rest = parts[0], parts[1:]
        if head in ("system", "capture"):
            return getattr(self, head).lookup(rest)
        if head == "boot":
            return self._boot(rest)
        if head == "kexec":
            return self._kexec(rest)
        if head == "setup":
            return {"same_kernel": self.same_kernel, "memory": self.memory}[_leaf(rest, 0)]
        if head == "host":
            return self._host(".".join(rest))
        raise KeyError(path)

    def _host(self, path: str) -> Any:
        """A live-host fact (``kcheck preflight`` only); unknowable ones skip the rule."""
        if self.host is None:
            raise MissingInput("kcheck preflight (a live host)")
        from kcheck.engine.predicates import Unknown
        from kcheck.inputs.host import Unknowable

        value = self.host_facts[path]
        if isinstance(value, Unknowable):
            raise Unknown(value.reason, f"host.{path}")
        return value

    @cached_property
    def host_facts(self) -> dict[str, Any]:
        assert self.host is not None
        return self.host.facts()

    def _boot(self, parts: list[str]) -> Any:
        head = parts[0] if parts else ""
        if head not in ("param", "kaslr", "crashkernel"):
            raise KeyError("boot." + ".".join(parts))
        name = _param_name(parts) if head == "param" else _leaf(parts, 0 if head == "kaslr" else 1)
        if self.cmdline is None:
            raise MissingInput("--cmdline")
        if head == "param":
            return _param(self.cmdline, name)
        if head == "kaslr":
            return self.kaslr
        if name == "advised":
            return self.crashkernel_advised
        facts = self.crashkernel_facts
        if name not in facts and facts.get("needs_memory"):
            raise MissingInput("--memory (crashkernel= uses ranges)")
        return facts.get(name)

    def _kexec(self, parts: list[str]) -> Any:
        head = parts[0] if parts else ""
        if head == "append":
            return self._append(parts[1:])
        if head == "root":
            if self.kexec is None:
                raise MissingInput("--kexec")
            from kcheck.facts.root import root_fact

            return root_fact(self, _leaf(parts))
        if head == "tools_version":
            _leaf(parts, 0)
            return self.kexec_tools_version
        if head not in _KEXEC_FACTS:
            raise KeyError("kexec." + ".".join(parts))
        name = _leaf(parts) if head == "option" else _leaf(parts, 0)
        kexec = self.kexec
        if kexec is None:
            raise MissingInput("--kexec")
        if head == "option":
            return kexec.has(name)
        if head == "load_needed":
            plan = self.memory_map
            return plan.needed if plan is not None else None
        if head in ("run_needed", "run_comfortable", "run_detail"):
            from kcheck.facts.capture_memory import NotComputable, run_fact

            try:
                return run_fact(self, head)
            except NotComputable as exc:
                raise MissingInput(exc.args[0]) from None
        if head == "image_matches":
            image = self.capture.image
            if image is None or not kexec.kernel_path:
                return None
            return os.path.basename(kexec.kernel_path) == os.path.basename(image.path)
        simple = {
            "panic": kexec.panic,
            "action": kexec.action,
            "file_syscall": kexec.file_syscall,
            "syscall": kexec.syscall,
            "default_syscall": default_syscall(self.kexec_tools_version),
            "kernel_path": kexec.kernel_path,
            "initrd": kexec.initrd,
            "type": kexec.kexec_type,
            "unknown": ", ".join(kexec.unknown) or None,
        }
        return simple[head]

    def _append(self, parts: list[str]) -> Any:
        """``kexec.append.text``, ``.length`` and ``.param.<name>``: the capture kernel's command line."""
        head = parts[0] if parts else ""
        if head == "param":
            name = _param_name(parts)
        elif head in ("text", "length"):
            _leaf(parts, 0)
        else:
            raise KeyError("kexec.append." + ".".join(parts))
        if self.kexec is None:
            raise MissingInput("--kexec")
        capture = self.capture_cmdline
        if head == "text":
            return capture.text if capture else None
        if head == "length":
            return len(capture.text) if capture else 0
        return _param(capture, name) if capture else None

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
        from kcheck.facts.memory_map import build_map

        return build_map(self)

    @cached_property
    def crashkernel_advised(self) -> int:
        """The crashkernel= size kcheck's fixes write (kcheck.domain.crashkernel_advice): the
        current size when it is big enough, else 256M or what kexec needs to load the capture
        kernel and initrd, or what it needs to run with a margin (KI014/KI015), when the images
        and the initrd say (on a live host also what its service loads and KH008's need)."""
        from kcheck.domain.crashkernel_advice import advised_size
        from kcheck.facts.memory_map import load_needed

        current = self.crashkernel_facts.get("size") if self.cmdline is not None else None
        needs = [load_needed(self) or 0]
        if self.kexec is not None and self.kexec.panic:
            # what the capture kernel needs to run, with KI015's margin (rehearsal-calibrated)
            from kcheck.facts.capture_memory import NotComputable, run_fact

            try:
                needs.append(int(run_fact(self, "run_comfortable")))  # type: ignore[call-overload]
            except NotComputable:
                pass
        if self.host is not None:
            # A live host knows more: what its service loads and kdumpctl's run-time estimate.
            needs += [value for name in ("capture.load_size", "capture.run_size")
                      if isinstance(value := self.host_facts.get(name), int) and not isinstance(value, bool)]
        return advised_size(max(needs), current)

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
        from kcheck.domain.crashkernel import find_crashkernel, resolve_crashkernel

        assert self.cmdline is not None
        tokens = find_crashkernel(self.cmdline.text, version=self.system.version)
        facts: dict[str, Any] = {"present": bool(tokens), "count": len(tokens)}
        reservation = resolve_crashkernel(self.cmdline.text, version=self.system.version,
                                          arch=self.system.arch, memory=self.memory)
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
        from kcheck.domain.crashkernel import offset_alignment

        config = self.system.config
        lpae = config is not None and config.enabled("ARM_LPAE")
        page = 65536 if config is not None and config.enabled("PPC_64K_PAGES") else 4096
        return offset_alignment(self.system.arch, self.system.version, arm_lpae=lpae, page_size=page)


_KEXEC_FACTS = ("option", "load_needed", "run_needed", "run_comfortable", "run_detail", "image_matches",
                "panic", "action", "file_syscall", "kernel_path", "initrd", "type", "unknown", "syscall",
                "default_syscall")


def _param_name(parts: list[str]) -> str:
    """The parameter of ``param.<name>``: the rest of the path, dots included (``systemd.unit``)."""
    if len(parts) < 2:
        raise KeyError(".".join(parts))
    return ".".join(parts[1:])


def _leaf(parts: list[str], index: int = 1) -> str:
    """``parts[index]`` when it is the path's last name; any other shape is an unknown fact."""
    if len(parts) != index + 1:
        raise KeyError(".".join(parts))
    return parts[index]


def _param(cmdline: Cmdline, name: str) -> Any:
    """A parameter's value, ``True`` for a bare one, ``None`` when absent."""
    if not cmdline.has(name):
        return None
    value = cmdline.get(name)
    return True if value is None else value
