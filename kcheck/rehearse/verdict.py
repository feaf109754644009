"""What a rehearsal showed: the stage reached and, when short of a dump, why, in the tools' words."""

from __future__ import annotations

import re
from typing import Any

from kcheck.domain.records import field, record
from kcheck.rehearse.qemu import QemuRun
from kcheck.rehearse.stages import STAGE_TEXT, STAGES, Console

#: the kernel's and kexec's words that name a failure, most telling first
_TELLING = (
    r"Could not find a free area of memory", r"Memory for crashkernel is not reserved",
    r"kexec_(?:file_)?load failed", r"Cannot load", r"Nothing has been loaded",
    r"crashkernel reservation failed", r"Initramfs unpacking failed", r"Out of memory",
    r"invoked oom-killer", r"VFS: Unable to mount", r"No working init found",
    r"Kernel panic - not syncing", r"not supported", r"Can't ", r"failed", r"[Ee]rror",
)


@record
class Outcome:
    """One rehearsal's result."""

    stage: str | None                 # the last stage reached (None: nothing reserved)
    captured: bool
    failure: str | None               # why the next stage was not reached
    words: tuple[str, ...]            # the kernel's / kexec's own lines about it
    ended: str                        # how QEMU ended: stopped, exited, timeout
    seconds: float
    boot_cmdline: str
    crash_size: int | None
    capture_memory_kb: int | None
    vmcore_size: int | None
    notes: tuple[str, ...] = field(default=())
    vmcore_class: str | None = None   # ELF32 or ELF64: the core headers kexec (or the kernel) wrote
    timeline: dict[str, float] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "stage_text": STAGE_TEXT.get(self.stage or "", "nothing reserved"),
                "captured": self.captured, "failure": self.failure, "words": list(self.words),
                "ended": self.ended, "seconds": round(self.seconds, 2), "boot_cmdline": self.boot_cmdline,
                "crash_size": self.crash_size, "capture_memory_kb": self.capture_memory_kb,
                "vmcore_size": self.vmcore_size, "vmcore_class": self.vmcore_class, "notes": list(self.notes),
                "timeline": dict(self.timeline)}


#: EI_CLASS, the fifth byte of an ELF file (the probe prints the first five in hex)
_ELF_CLASS = {"01": "ELF32", "02": "ELF64"}


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _pick(lines: list[str], limit: int = 6) -> tuple[str, ...]:
    chosen: list[str] = []
    for pattern in _TELLING:
        for line in lines:
            if re.search(pattern, line) and line not in chosen:
                chosen.append(line)
                if len(chosen) >= limit:
                    return tuple(chosen)
    return tuple(chosen)


def judge(console: Console, run: QemuRun, *, boot_cmdline: str, makedumpfile: bool,
          timeline: dict[str, float]) -> Outcome:
    """The stage reached, whether that is a dump, and the reason it went no further."""
    stage = console.reached()
    events = console.events
    notes: list[str] = []
    captured = stage == "dump-readable"
    if stage == "vmcore-valid" and "makedumpfile-missing" in events:
        captured = True
        notes.append("makedumpfile is not installed: the dump was found valid but not read back")
    failure: str | None = None
    words: tuple[str, ...] = ()
    if not captured:
        failure, words = _why(stage, console)
        if run.ended == "timeout":
            failure = f"{failure} (the VM was stopped at the {run.seconds:.0f} s timeout)"
    return Outcome(stage, captured, failure, words, run.ended, run.seconds, boot_cmdline,
                   _int(events.get("crash-size")), _int(events.get("memory")),
                   _int(events.get("vmcore-present")), tuple(notes), timeline=dict(timeline),
                   vmcore_class=_ELF_CLASS.get(magic[8:10]) if (magic := events.get("vmcore-magic", "")).startswith("7f454c46") else None)


def _why(stage: str | None, console: Console) -> tuple[str, tuple[str, ...]]:
    events = console.events
    if "system-booted" not in events:
        return ("the system kernel did not reach the arming initramfs",
                _pick(console.system_words) or tuple(console.system_words[-3:]))
    if stage is None:
        reason = "no crash kernel memory is reserved"
        if console.reserve_line:
            reason += f": {console.reserve_line}"
        return reason, _pick(console.kexec_output) or ((console.reserve_line,) if console.reserve_line else ())
    kexec_words = tuple(console.kexec_output[-6:])
    if stage == "reserved":
        status = events.get("kexec-status")
        if status not in (None, "0"):
            return f"kexec failed (exit status {status})", _pick(console.kexec_output) or kexec_words
        return ("kexec succeeded but kexec_crash_loaded is "
                f"{events.get('crash-loaded', 'unknown')}: no capture kernel is loaded for a panic "
                "(kexec -l loads a kernel for kexec -e; a panic needs kexec -p)", kexec_words)
    if stage == "loaded":
        return "the system kernel did not panic", _pick(console.system_words)
    if stage == "panicked":
        if console.banners < 2:
            return "no capture kernel started after the panic", _pick(console.system_words)
        reason = "the capture kernel started but did not run its initrd"
        if console.capture_panic:
            reason += f": {console.capture_panic}"
        return reason, _pick(console.capture_words)
    if stage == "capture-booted":
        return "the capture kernel has no /proc/vmcore", _pick(console.capture_words)
    if stage == "vmcore-present":
        return ("/proc/vmcore is not an ELF core with a VMCOREINFO note "
                f"(magic {events.get('vmcore-magic', '?')}, VMCOREINFO {events.get('vmcoreinfo', '?')})"), ()
    return (f"makedumpfile --dump-dmesg did not read the panic message back "
            f"(exit status {events.get('makedumpfile-status', '?')})", _pick(console.capture_words))


__all__ = ["STAGES", "Outcome", "judge"]
