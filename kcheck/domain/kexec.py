"""Parse a ``kexec`` command line the way kexec-tools' getopt_long does.

Only the options that decide whether a crash kernel loads and what it boots
with are interpreted; every other known option is accepted and recorded, and
an unknown option is kept so a rule can report it (kexec-tools refuses to run
with one).  Option tables follow kexec-tools' ``KEXEC_OPTIONS``,
``KEXEC_ARCH_OPTIONS`` (x86) and the per-format loader options
(kexec-bzImage.c, kexec-elf-x86.c).
"""

from __future__ import annotations

import os

from kcheck.domain.errors import InputError
from kcheck.domain.records import record
from kcheck.domain.shellwords import split_words
from kcheck.domain.version import KernelVersion

# long option -> takes an argument
_LONG = {
    "help": False, "version": False, "force": False, "exec": False, "load": False,
    "unload": False, "type": True, "load-panic": False, "mem-min": True, "mem-max": True,
    "reuseinitrd": False, "kexec-file-syscall": False, "kexec-syscall": False,
    "kexec-syscall-auto": False, "debug": False, "status": False, "print-ckr-size": False,
    "load-preserve-context": False, "load-jump-back-helper": False, "entry": True,
    "no-ifdown": False, "no-sync": False, "no-checks": False, "reuse-cmdline": False,
    "hotplug": False, "dtb": True, "dt-no-old-root": False,
    # x86 arch options
    "reset-vga": False, "serial": True, "serial-baud": True, "console-vga": False,
    "console-serial": False, "elf32-core-headers": False, "elf64-core-headers": False,
    "pass-memmap-cmdline": False, "noefi": False, "reuse-video-type": False,
    # loader options (bzImage, ELF, multiboot)
    "command-line": True, "append": True, "initrd": True, "ramdisk": True,
    "real-mode": False, "args-linux": False, "args-elf": False, "args-none": False,
    "module": True,
}
# short option -> long option (KEXEC_OPT_STR "h?vdfixyluet:pscaS")
_SHORT = {
    "h": "help", "?": "help", "v": "version", "d": "debug", "f": "force", "i": "no-checks",
    "x": "no-ifdown", "y": "no-sync", "l": "load", "u": "unload", "e": "exec",
    "t": "type", "p": "load-panic", "s": "kexec-file-syscall", "c": "kexec-syscall",
    "a": "kexec-syscall-auto", "S": "status",
}
_ALIAS = {"command-line": "append", "ramdisk": "initrd"}


@record
class KexecCommand:
    """What a ``kexec`` invocation asks for.

    ``append`` is the capture command line as kexec-tools would pass it: the
    last ``--append``/``--command-line``, after ``/proc/cmdline`` when
    ``--reuse-cmdline`` is given (see :mod:`kcheck.facts.setup`).
    """

    text: str
    options: tuple[tuple[str, str | None], ...]
    kernel_path: str | None
    append: str | None
    initrd: str | None
    kexec_type: str | None
    unknown: tuple[str, ...]
    extra_args: tuple[str, ...]

    def has(self, option: str) -> bool:
        return any(name == option for name, _ in self.options)

    @property
    def action(self) -> str:
        """What kexec will do, with kexec-tools' precedence (the last action option wins)."""
        action = "load"
        for name, _ in self.options:
            if name in ("load", "load-panic", "unload", "exec", "status"):
                action = name
        return action

    @property
    def panic(self) -> bool:
        return self.action == "load-panic"

    @property
    def file_syscall(self) -> bool:
        """True when the last syscall choice is ``-s`` (kexec_file_load)."""
        choice = ""
        for name, _ in self.options:
            if name in ("kexec-file-syscall", "kexec-syscall", "kexec-syscall-auto"):
                choice = name
        return choice == "kexec-file-syscall"

    @property
    def syscall(self) -> str | None:
        """The system call the options force, as kexec-tools' main() reads them (the last wins):
        ``kexec_file_load`` (-s), ``kexec_load`` (-c), ``auto`` (-a: file load, then the
        other on ENOSYS/EINVAL/ENOEXEC/ENOTSUP), or None when no option chooses."""
        choice = None
        for name, _ in self.options:
            if name in _SYSCALLS:
                choice = _SYSCALLS[name]
        return choice


_SYSCALLS = {"kexec-file-syscall": "kexec_file_load", "kexec-syscall": "kexec_load", "kexec-syscall-auto": "auto"}
#: kexec-tools 2.0.27 (29fe506 "kexec: make -a the default") tries kexec_file_load first.
AUTO_DEFAULT_SINCE = "2.0.27"


def default_syscall(tools_version: str | None) -> str | None:
    """What kexec-tools of ``tools_version`` calls without -s/-c/-a: ``kexec_load`` before
    2.0.27, ``auto`` (kexec_file_load, falling back to kexec_load) since; None if unknown."""
    version = KernelVersion.parse(tools_version) if tools_version else None
    if version is None:
        return None
    return "auto" if version >= KernelVersion.parse(AUTO_DEFAULT_SINCE) else "kexec_load"  # type: ignore[operator]


#: kexec-tools d6cfd29 "crashdump: introduce the hotplug command line options" (v2.0.28).
HOTPLUG_SINCE = "2.0.28"


def knows_hotplug(tools_version: str | None) -> bool | None:
    """Whether kexec-tools of ``tools_version`` has ``--hotplug``; None if the release is unknown."""
    version = KernelVersion.parse(tools_version) if tools_version else None
    if version is None:
        return None
    return version >= KernelVersion.parse(HOTPLUG_SINCE)  # type: ignore[operator]


#: The kernel's COMMAND_LINE_SIZE is 2048 on x86, arm64 and powerpc and at most
#: 4096 on any architecture; a boot command line or kexec command longer than
#: four times that is not one (a kexec command adds its options and paths).
COMMAND_LINE_SIZE_MAX = 4096
COMMAND_TEXT_LIMIT = 16 * 1024


def check_command_length(text: str, source: str, what: str) -> None:
    """Refuse a command line or kexec command longer than :data:`COMMAND_TEXT_LIMIT` bytes."""
    if len(text) > COMMAND_TEXT_LIMIT // 4 and len(text.encode("utf-8", "surrogateescape")) > COMMAND_TEXT_LIMIT:
        raise InputError(source, f"{what} of {len(text.encode('utf-8', 'surrogateescape'))} bytes; longer than "
                                 f"16 KiB, and the kernel's COMMAND_LINE_SIZE is at most "
                                 f"{COMMAND_LINE_SIZE_MAX} bytes on any architecture")


def parse_kexec(text: str, source: str = "--kexec") -> KexecCommand:
    """Split ``text`` like a POSIX shell and read kexec's options from it."""
    check_command_length(text, source, "kexec command")
    try:
        words = split_words(text)
    except ValueError as exc:
        raise InputError(source, f"cannot split the command: {exc}") from None
    while words and ("=" in words[0] and not words[0].startswith("-")
                     or words[0] in ("sudo", "env", "exec", "command")):
        words.pop(0)  # environment assignments and wrappers before the program
    if not words or os.path.basename(words[0]) != "kexec":
        raise InputError(source, "not a kexec command (it must start with 'kexec')")
    return _read_options(text, words[1:], source)


def _read_options(text: str, args: list[str], source: str) -> KexecCommand:
    options: list[tuple[str, str | None]] = []
    unknown: list[str] = []
    positional: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "--":
            positional.extend(args[index:])
            break
        if word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            full = _long_name(name)
            if full is None:
                unknown.append(word)
                continue
            if _LONG[full] and not eq:
                if index >= len(args):
                    raise InputError(source, f"option --{full} needs a value")
                value = args[index]
                index += 1
            options.append((_ALIAS.get(full, full), value if _LONG[full] else None))
        elif word.startswith("-") and len(word) > 1:
            index = _short_cluster(word, args, index, options, unknown, source)
        else:
            positional.append(word)
    values = {name: value for name, value in options}  # last one wins
    return KexecCommand(
        text=text,
        options=tuple(options),
        kernel_path=positional[0] if positional else None,
        append=values.get("append"),
        initrd=values.get("initrd"),
        kexec_type=values.get("type"),
        unknown=tuple(unknown),
        extra_args=tuple(positional[1:]),
    )


def _long_name(name: str) -> str | None:
    """Exact name, or a unique prefix as getopt_long accepts (``--args`` is ambiguous)."""
    if name in _LONG:
        return name
    matches = [option for option in _LONG if option.startswith(name)] if name else []
    return matches[0] if len(matches) == 1 else None


def _short_cluster(word: str, args: list[str], index: int,
                   options: list[tuple[str, str | None]], unknown: list[str], source: str) -> int:
    """Read ``-ps`` style clusters; ``-t`` takes the rest of the word or the next one."""
    position = 1
    while position < len(word):
        letter = word[position]
        position += 1
        full = _SHORT.get(letter)
        if full is None:
            unknown.append(f"-{letter}")
            continue
        if _LONG[full]:
            value = word[position:]
            if not value:
                if index >= len(args):
                    raise InputError(source, f"option -{letter} needs a value")
                value = args[index]
                index += 1
            options.append((full, value))
            return index
        options.append((full, None))
    return index


def option_words(word: str) -> list[tuple[str, bool]]:
    """The options one command word spells: ``(long name, takes a value)`` pairs.

    ``--append=x`` and ``--app`` give ``append``; ``-ps`` gives ``load-panic``
    and ``kexec-file-syscall``.  Fixers use this to edit a command without
    changing how the user wrote the rest of it.
    """
    if word.startswith("--") and len(word) > 2:
        full = _long_name(word[2:].partition("=")[0])
        return [(_ALIAS.get(full, full), _LONG[full] and "=" not in word)] if full else []
    if word.startswith("-") and len(word) > 1:
        found: list[tuple[str, bool]] = []
        for position, letter in enumerate(word[1:], start=1):
            full = _SHORT.get(letter)
            if full is None:
                continue
            takes = _LONG[full]
            found.append((full, takes and position == len(word) - 1))
            if takes:
                break
        return found
    return []


def canonical_option(spelling: str) -> str | None:
    """The long name of an option as a rule's fix writes it (``-p``, ``--args-linux``)."""
    found = option_words(spelling)
    return found[0][0] if len(found) == 1 else None
