"""Read a kernel ``.config`` into typed facts.

The format is kconfig's own (scripts/kconfig/confdata.c): ``CONFIG_X=value``,
``# CONFIG_X is not set`` and comments.  As ``conf_read_simple()`` does, a
symbol written twice takes its last value; we keep a warning so the user
learns that a concatenated fragment overrode an earlier line.

The file may be plain text, gzip (``.config.gz``, ``/proc/config.gz``; found
from the magic bytes, never the name) or a kernel image carrying its config
(CONFIG_IKCONFIG); images are handed to :mod:`kcheck.inputs.image`.
"""

from __future__ import annotations

import functools
import gc
import re
from collections.abc import Iterable, Iterator, Mapping

from kcheck.domain.compression import CONFIG_COMPRESSIONS, detect_compression
from kcheck.domain.errors import InputError
from kcheck.inputs.files import MiB, decode_text, read_bounded, read_head, text_encoding
from kcheck.domain.records import field, record, replace
from kcheck.domain.version import KernelVersion

#: Real configs are 100-300 KiB; anything this large is not one.
CONFIG_LIMIT = 32 * MiB

# What kconfig writes (confdata.c), framed by a "\n" on each side: patterns
# that begin with a literal "\n" let the regex engine skip from line to line
# instead of trying every character, three times faster than "^" with re.M.
_CLEAN_ASSIGN_RE = re.compile(r"\nCONFIG_([A-Za-z0-9_]+)=([^\n]*)")
_CLEAN_UNSET_RE = re.compile(r"\n# CONFIG_([A-Za-z0-9_]+) is not set(?=\n)")
_CLEAN_OTHER_RE = re.compile(r"\n(?=[^#\n])(?!CONFIG_[A-Za-z0-9_]+=)")  # neither comment, blank nor assignment
_UNCLEAN = ("\r", " \n", "\t\n", "\f", "\v")  # what the hand-edited-file patterns below strip
# "# Linux kernel version: 2.6.13" (before 2.6.19) and
# "# Linux/x86 6.1.0 Kernel Configuration" / "# Linux/i386 2.6.20 Kernel Configuration".
_OLD_HEADER_RE = re.compile(r"#\s*Linux kernel version:\s*(\S+)")
_NEW_HEADER_RE = re.compile(r"#\s*Linux/(\S+)\s+(\S+)\s+Kernel Configuration")


@record
class KernelConfig:
    """One kernel's configuration as kconfig would read it.

    ``values`` maps symbol names without the ``CONFIG_`` prefix to their raw
    value (quotes removed from strings); ``# CONFIG_X is not set`` is stored as
    ``"n"``.  A symbol absent from the file is absent from ``values``: on this
    kernel it does not exist or is not visible.
    """

    path: str
    values: dict[str, str]
    lines: Mapping[str, int]
    header_version: KernelVersion | None
    header_arch: str | None
    warnings: tuple[str, ...] = field(default=())
    header_release: str | None = None  # as written, e.g. "4.18.0-348.el8.x86_64"
    #: When the config was read out of a kernel image (CONFIG_IKCONFIG): the image's
    #: architecture from its ELF machine or boot header, and which of them said so.
    container_arch: str | None = None
    container: str | None = None

    def get(self, symbol: str) -> str | None:
        return self.values.get(symbol)

    def tristate(self, symbol: str) -> str:
        """``y``, ``m`` or ``n``; absent, unset and empty symbols are ``n``."""
        value = self.values.get(symbol)
        return value if value in ("y", "m") else "n"

    def enabled(self, symbol: str) -> bool:
        return self.tristate(symbol) != "n"


class LineIndex(Mapping[str, int]):
    """Line numbers of symbols, found in the text only when a report asks.

    A check reports a handful of symbols out of ~10,000; numbering every line
    up front cost more than the rest of the parse.
    """

    def __init__(self, text: str, symbols: Iterable[str]) -> None:
        self._text = text
        self._symbols = symbols
        self._found: dict[str, int | None] = {}

    def _line(self, symbol: str) -> int | None:
        if symbol not in self._found:
            pattern = re.compile(rf"^[ \t]*(?:CONFIG_{re.escape(symbol)}=|# CONFIG_{re.escape(symbol)} is not set)",
                                 re.M)
            last = None
            for last in pattern.finditer(self._text):
                pass
            self._found[symbol] = None if last is None else self._text.count("\n", 0, last.start()) + 1
        return self._found[symbol]

    def __getitem__(self, symbol: str) -> int:
        line = self._line(symbol) if symbol in self._symbols else None
        if line is None:
            raise KeyError(symbol)
        return line

    def __iter__(self) -> Iterator[str]:
        return iter(self._symbols)

    def __len__(self) -> int:
        return len(self._symbols)  # type: ignore[arg-type]


class _Patterns:
    """The general patterns, for hand-edited files (indented lines, trailing blanks, CRLF, junk).

    Compiled on first use: files kconfig wrote never need them.
    """

    def __init__(self) -> None:
        self.assign = re.compile(r"^[ \t]*CONFIG_([A-Za-z0-9_]+)=(.*?)[ \t\r\f\v]*$", re.M)
        self.unset = re.compile(r"^[ \t]*# CONFIG_([A-Za-z0-9_]+) is not set[ \t\r\f\v]*$", re.M)
        self.content = re.compile(r"^[ \t]*[^#\s]", re.M)  # lines that are neither blank nor comments
        # A non-blank line that is not a comment and not CONFIG_NAME=...
        self.junk = re.compile(r"^[ \t]*(?!#|CONFIG_[A-Za-z0-9_]+=)\S.*$", re.M)
        self.name = re.compile(r"[A-Za-z0-9_]+")


@functools.cache
def _patterns() -> _Patterns:
    return _Patterns()


#: Per-line warnings kept of each kind; the rest are counted.  A 30 MB file of
#: junk lines made a million notes (a 290 MB JSON report, 1 GB of memory).
MAX_LINE_WARNINGS = 20
_JUNK = "lines that are not config assignments ignored"
_AGAIN = "symbols set again"


class _Warnings:
    """Warnings about single lines: the first :data:`MAX_LINE_WARNINGS` of each kind, then a count."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.counts: dict[str, int] = {}

    def add(self, kind: str, message: str) -> None:
        seen = self.counts.get(kind, 0)
        self.counts[kind] = seen + 1
        if seen < MAX_LINE_WARNINGS:
            self.kept.append(message)

    def result(self) -> tuple[str, ...]:
        more = [f"{count - MAX_LINE_WARNINGS} more {kind}" for kind, count in self.counts.items()
                if count > MAX_LINE_WARNINGS]
        return tuple(self.kept + more)


def parse_config_text(text: str, path: str) -> KernelConfig:
    """Parse the text of a ``.config``; raise InputError if it is not one.

    Regular expressions read every assignment and every "is not set" line at
    C speed: the line-skipping ones when the file is as kconfig writes it,
    the general ones otherwise.  Only when a symbol appears twice (a
    concatenated fragment) does the line-by-line reader below run, to apply
    kconfig's last-one-wins in file order and say which lines collided.
    """
    # A config is ~20,000 new objects, none in a reference cycle: collecting
    # while they are made only walks them again (1-2 ms of ~10 per config).
    collecting = gc.isenabled()
    gc.disable()
    try:
        clean = _scan_clean(text)
        if clean is None:
            return _parse_general(text, path)
        assigned, unset = clean
        values = dict(assigned)
        values.update(dict.fromkeys(unset, "n"))
        if len(values) != len(assigned) + len(unset):
            return _parse_lines(text, path)
        return _config(text, path, values, assigned, _Warnings())
    finally:
        if collecting:
            gc.enable()


def _scan_clean(text: str) -> tuple[list[tuple[str, str]], list[str]] | None:
    """Assignments and unset symbols of a file whose every line is blank, a comment or
    ``CONFIG_X=...`` with nothing around it (what kconfig writes); None for any other file."""
    # The patterns need a newline before every line that matters and after the
    # last one.  kconfig's files start with a comment line and end with a
    # newline: they need no framing copy.
    plain = text[:1] == "#" and not text.startswith("# CONFIG_") and text.endswith("\n")
    framed = text if plain else "\n" + text + "\n"
    if any(mark in framed for mark in _UNCLEAN) or _CLEAN_OTHER_RE.search(framed):
        return None
    return _CLEAN_ASSIGN_RE.findall(framed), _CLEAN_UNSET_RE.findall(framed)


def _parse_general(text: str, path: str) -> KernelConfig:
    """As :func:`parse_config_text`, for files with indented lines, trailing blanks or junk."""
    patterns = _patterns()
    assigned = patterns.assign.findall(text)
    unset = patterns.unset.findall(text)
    values = dict(assigned)
    values.update(dict.fromkeys(unset, "n"))
    if len(values) != len(assigned) + len(unset):
        return _parse_lines(text, path)
    warnings = _Warnings()
    if len(patterns.content.findall(text)) != len(assigned):  # some line is neither comment nor assignment
        number, counted = 1, 0
        for junk in patterns.junk.finditer(text):
            number += text.count("\n", counted, junk.start())  # counted on from the last one: linear
            counted = junk.start()
            warnings.add(_JUNK, f"line {number}: ignoring a line that is not a config assignment: "
                                f"{junk.group(0).strip()[:60]!r}")
    return _config(text, path, values, assigned, warnings)


def _config(text: str, path: str, values: dict[str, str], assigned: list[tuple[str, str]],
            warnings: _Warnings) -> KernelConfig:
    """The record, once ``values`` holds every symbol once: strings unquoted, header read."""
    for symbol, value in assigned:
        if value[:1] == '"':
            values[symbol] = _unquote(value)
    if not values:
        raise InputError(path, "no CONFIG_ lines; not a kernel .config")
    release, arch = _header_of(text)
    return KernelConfig(path, values, LineIndex(text, values), KernelVersion.parse(release) if release else None,
                        arch, warnings.result(), release)


def _header_of(text: str) -> tuple[str | None, str | None]:
    """The release and arch of the version header within the first lines."""
    arch: str | None = None
    end = -1
    for _ in range(10):  # the first ten lines, without splitting (copying) the rest of the text
        end = text.find("\n", end + 1)
        if end < 0:
            break
    for line in (text if end < 0 else text[:end]).split("\n"):
        line = line.strip()
        if line.startswith("#"):
            release, arch = _header(line, arch)
            if release:
                return release, arch
    return None, arch


def _parse_lines(text: str, path: str) -> KernelConfig:
    """Line by line, in file order: duplicates take the last value, with a warning."""
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    warnings = _Warnings()
    header_version: KernelVersion | None = None
    header_release: str | None = None
    header_arch: str | None = None
    name = _patterns().name
    # Plain string tests first: this loop runs 10,000 times per config and is
    # most of what a check costs after start-up.
    # Lines end at "\n" only, as conf_read_simple()'s getline() reads them (a
    # trailing "\r" is stripped with the rest); str.splitlines() would also
    # cut a string value at "\r", "\x0c" or U+2028 and shift every line number.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if line[0] == "#":
            if line.startswith("# CONFIG_") and line.endswith(" is not set"):
                symbol = line[9:-11]
                if name.fullmatch(symbol):
                    _assign(values, lines, warnings, symbol, "n", number)
                    continue
            if number <= 10 and header_version is None:
                header_release, header_arch = _header(line, header_arch)
                header_version = KernelVersion.parse(header_release) if header_release else None
            continue
        symbol, equals, value = line[7:].partition("=")
        if not (line.startswith("CONFIG_") and equals and name.fullmatch(symbol)):
            warnings.add(_JUNK, f"line {number}: ignoring a line that is not a config assignment: {line[:60]!r}")
            continue
        if value.startswith('"'):
            value = _unquote(value)
        if symbol in lines:
            _assign(values, lines, warnings, symbol, value, number)
        else:
            values[symbol] = value
            lines[symbol] = number
    if not values:
        raise InputError(path, "no CONFIG_ lines; not a kernel .config")
    return KernelConfig(path, values, lines, header_version, header_arch, warnings.result(), header_release)


def _assign(values: dict[str, str], lines: dict[str, int], warnings: _Warnings,
            symbol: str, value: str, number: int) -> None:
    previous = lines.get(symbol)
    if previous is not None and values[symbol] != value:
        warnings.add(_AGAIN,
            f"line {number}: CONFIG_{symbol} set again (line {previous} said "
            f"{values[symbol]!r}, now {value!r}); the last one wins, as in kconfig")
    values[symbol] = value
    lines[symbol] = number


def _header(line: str, arch: str | None) -> tuple[str | None, str | None]:
    """The release as written in a header line, and the header's arch."""
    new = _NEW_HEADER_RE.match(line)
    if new:
        return new.group(2), new.group(1)
    old = _OLD_HEADER_RE.match(line)
    if old:
        return old.group(1), arch
    return None, arch


def _unquote(value: str) -> str:
    """Undo kconfig's string quoting (``\\"`` and ``\\\\`` escapes)."""
    body = value[1:-1] if len(value) >= 2 and value.endswith('"') else value[1:]
    return body.replace('\\"', '"').replace("\\\\", "\\")


def read_config(path: str) -> KernelConfig:
    """Read a ``.config`` (also gzip, xz or bzip2 compressed) or an image with an embedded config."""
    return config_from_bytes(path, read_bounded(path, CONFIG_LIMIT, what="kernel .config"))


def config_from_bytes(path: str, data: bytes) -> KernelConfig:
    """Parse the bytes of ``path`` (read by the caller: a batch reads each file once)."""
    if not data.strip():
        raise InputError(path, "empty file; not a kernel .config")
    kind = detect_compression(data[:16])
    if kind in CONFIG_COMPRESSIONS:
        from kcheck.inputs.config_unpack import unpack  # lazy: most configs are plain text

        data = unpack(path, data, kind.value, CONFIG_LIMIT)
    if b"\0" in data[:4096] and not _text_with_nul(data):  # an image (or a compressed one)
        config = parse_config_text(decode_text(path, _embedded_config(path), what="kernel .config"), path)
        return _with_container(config, path)
    return parse_config_text(decode_text(path, data, what="kernel .config"), path)


def _text_with_nul(data: bytes) -> bool:
    """A config that went wrong (a NUL byte in it, UTF-16), rather than a kernel image:
    decode_text then says what was found instead of "not a kernel image"."""
    if text_encoding(data):
        return True
    head = data[:data.find(b"\0")]
    return head.startswith((b"#", b"CONFIG_")) and head.isascii() and \
        all(32 <= c < 127 or c in (9, 10, 13) for c in head)


def _with_container(config: KernelConfig, path: str) -> KernelConfig:
    """The config read from an image, with the image's own architecture (headers only)."""
    from kcheck.inputs.image import read_image  # lazy: the image reader: only when an image is read

    try:
        image = read_image(path)
    except InputError:
        return config
    if image.arch is None:
        return config
    how = "ELF machine" if "elf" in str(image.format).lower() or "vmlinux" in str(image.format).lower() \
        else "boot header"
    return replace(config, container_arch=image.arch, container=f"the image's {how} ({image.format})")


def _embedded_config(path: str) -> bytes:
    """The config carried by a kernel image (CONFIG_IKCONFIG), or a clear error."""
    from kcheck.inputs.image import extract_ikconfig  # lazy: the image reader: only when an image is read

    try:
        config = extract_ikconfig(path)
    except InputError as exc:
        raise InputError(path, f"binary data, not a kernel .config ({exc.message})") from None
    if config is None:
        kind = detect_compression(read_head(path, 16))
        if kind is not None:  # a bare compressed file: a config compressed some other way, most likely
            raise InputError(path, f"{kind.value}-compressed data holding no kernel config text; if it is "
                                   f"a compressed .config, decompress it first")
        raise InputError(path, "kernel image without an embedded config (CONFIG_IKCONFIG is off); "
                               "pass the .config it was built from")
    return config
