"""Read a rehearsal's serial console: which stage was reached, and in whose words it failed.

The arming and probe scripts print ``@@kcheck:<token>:<event> [value]``
lines; the token is random per rehearsal, so nothing the kernels or the
user's initrd print can be taken for one.  Between them the console carries
the kernels' and kexec's own messages, and those are what a failure is
reported with: kexec's "Could not find a free area of memory", the kernel's
"Initramfs unpacking failed", the OOM killer's "Out of memory and no
killable processes", a VFS panic.
"""

from __future__ import annotations

import re

from kcheck.domain.records import field, record

#: the stages of a kdump, in order; a rehearsal reaches a prefix of them
STAGES = ("reserved", "loaded", "panicked", "capture-booted", "vmcore-present", "vmcore-valid",
          "dump-readable")
STAGE_TEXT = {
    "reserved": "crash kernel memory reserved",
    "loaded": "capture kernel loaded (kexec_crash_loaded = 1)",
    "panicked": "system kernel panicked",
    "capture-booted": "capture kernel booted and ran its initrd",
    "vmcore-present": "/proc/vmcore present",
    "vmcore-valid": "/proc/vmcore is an ELF core with a VMCOREINFO note",
    "dump-readable": "the dump is readable (makedumpfile --dump-dmesg found the panic message)",
}
#: lines of the kernels and kexec worth quoting when a stage is not reached
_WORDS = re.compile(
    r"Could not find a free area|Memory for crashkernel is not reserved|kexec_load failed|"
    r"kexec_file_load failed|Cannot load|Nothing has been loaded|Invalid argument|"
    r"crashkernel reservation failed|crashkernel.*(?:fail|Invalid|too)|"
    r"Initramfs unpacking failed|Out of memory|oom-kill|invoked oom-killer|"
    r"Kernel panic - not syncing|VFS: Unable to mount|No working init found|"
    r"Kernel Offset|Run /init as init process|Unable to handle|BUG:|Oops:|"
    r"[Ee]rror|cannot|Can't |failed|not supported|The kernel version is not supported", re.I)
_PANIC = "Kernel panic - not syncing"
_END_PANIC = "---[ end Kernel panic"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_KERNEL_LINE = re.compile(r"\s*\[\s*\d+\.\d+\]")
_BANNER = re.compile(r"\] Linux version \S+")
_RESERVE = re.compile(r"Reserving (\d+)MB of memory at (\d+)MB for crashkernel")


@record(frozen=False)
class Console:
    """What the console showed so far (mutable working state); ``done`` once nothing more can happen."""

    token: str
    success_pattern: re.Pattern[str] | None = None
    events: dict[str, str] = field(default_factory=dict)
    banners: int = 0
    kexec_output: list[str] = field(default_factory=list)
    system_words: list[str] = field(default_factory=list)
    capture_words: list[str] = field(default_factory=list)
    capture_panic: str | None = None
    system_panic: str | None = None
    reserve_line: str | None = None
    done: bool = False
    lines: int = 0
    _in_kexec: bool = False

    def feed(self, line: str) -> bool:
        """Take one console line; True once the rehearsal is over."""
        self.lines += 1
        line = _CONTROL.sub("?", line)   # what the guest prints never drives a terminal or a CI log
        marker = f"@@kcheck:{self.token}:"
        at = line.find(marker)
        if at >= 0:
            event, _, value = line[at + len(marker):].strip().partition(" ")
            self.events.setdefault(event, value.strip())
            if event == "kexec-start":
                self._in_kexec = True
            elif event == "kexec-status":
                self._in_kexec = False
            if event in ("probe-done", "no-vmcore", "panic-returned"):
                self.done = True
            if event == "crash-loaded" and value.strip() != "1":
                self.done = True    # nothing is armed: a panic now shows nothing more
            return self.done
        if self._in_kexec and not _KERNEL_LINE.match(line):
            if len(self.kexec_output) < 40:
                self.kexec_output.append(line.strip())
            return False
        if _BANNER.search(line):
            self.banners += 1
            return False
        capture = self.banners >= 2
        if self.success_pattern is not None and capture and self.success_pattern.search(line):
            self.events.setdefault("user-success", line.strip())
            self.done = True
            return True
        if not capture and self.reserve_line is None and ("crashkernel" in line and "emory" in line
                                                          or "crashkernel reservation" in line):
            self.reserve_line = line.strip()
        if _WORDS.search(line):
            words = self.capture_words if capture else self.system_words
            if len(words) < 60:
                words.append(_strip_time(line))
        if _PANIC in line:
            if capture:
                self.capture_panic = self.capture_panic or _strip_time(line)
            else:
                self.system_panic = self.system_panic or _strip_time(line)
        if _END_PANIC in line and (capture or self.events.get("crash-loaded") != "1"):
            self.done = True
        return self.done

    def reached(self, makedumpfile: bool = True) -> str | None:
        """The last stage reached, or None when not even the reservation was made."""
        stage: str | None = None
        size = self.events.get("crash-size", "")
        if size.isdigit() and int(size) > 0:
            stage = "reserved"
        else:
            return None
        if self.events.get("crash-loaded") == "1":
            stage = "loaded"
        else:
            return stage
        if self.system_panic or "panic" in self.events and self.banners >= 2:
            stage = "panicked"
        else:
            return stage
        if "capture-booted" in self.events or "user-success" in self.events:
            stage = "capture-booted"
        else:
            return stage
        if "user-success" in self.events:
            return "dump-readable"
        if "vmcore-present" in self.events:
            stage = "vmcore-present"
        else:
            return stage
        if self.events.get("vmcore-magic", "").startswith("7f454c46") and self.events.get("vmcoreinfo") == "yes":
            stage = "vmcore-valid"
        else:
            return stage
        if self.events.get("dmesg-readable") == "yes":
            stage = "dump-readable"
        return stage


def _strip_time(line: str) -> str:
    """The message without the ``[    1.234567]`` timestamp."""
    return re.sub(r"^\[\s*\d+\.\d+\]\s*", "", line.strip())
