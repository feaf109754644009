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

import re
from dataclasses import dataclass, field

from kcheck.errors import InputError
from kcheck.inputs.files import MiB, decode_text, read_bounded
from kcheck.version import KernelVersion

#: Real configs are 100-300 KiB; anything this large is not one.
CONFIG_LIMIT = 32 * MiB
GZIP_MAGIC = b"\x1f\x8b"

_SET_RE = re.compile(r"CONFIG_([A-Za-z0-9_]+)=(.*)")
_UNSET_RE = re.compile(r"# CONFIG_([A-Za-z0-9_]+) is not set\s*$")
# "# Linux kernel version: 2.6.13" (before 2.6.19) and
# "# Linux/x86 6.1.0 Kernel Configuration" / "# Linux/i386 2.6.20 Kernel Configuration".
_OLD_HEADER_RE = re.compile(r"#\s*Linux kernel version:\s*(\S+)")
_NEW_HEADER_RE = re.compile(r"#\s*Linux/(\S+)\s+(\S+)\s+Kernel Configuration")


@dataclass(frozen=True)
class KernelConfig:
    """One kernel's configuration as kconfig would read it.

    ``values`` maps symbol names without the ``CONFIG_`` prefix to their raw
    value (quotes removed from strings); ``# CONFIG_X is not set`` is stored as
    ``"n"``.  A symbol absent from the file is absent from ``values``: on this
    kernel it does not exist or is not visible.
    """

    path: str
    values: dict[str, str]
    lines: dict[str, int]
    header_version: KernelVersion | None
    header_arch: str | None
    warnings: tuple[str, ...] = field(default=())

    def get(self, symbol: str) -> str | None:
        return self.values.get(symbol)

    def tristate(self, symbol: str) -> str:
        """``y``, ``m`` or ``n``; absent, unset and empty symbols are ``n``."""
        value = self.values.get(symbol)
        return value if value in ("y", "m") else "n"

    def enabled(self, symbol: str) -> bool:
        return self.tristate(symbol) != "n"


def parse_config_text(text: str, path: str) -> KernelConfig:
    """Parse the text of a ``.config``; raise InputError if it is not one."""
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    warnings: list[str] = []
    header_version: KernelVersion | None = None
    header_arch: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line[0] == "#":
            unset = _UNSET_RE.match(line)
            if unset:
                _assign(values, lines, warnings, unset.group(1), "n", number)
            elif number <= 10 and header_version is None:
                header_version, header_arch = _header(line, header_arch)
            continue
        match = _SET_RE.fullmatch(line)
        if not match:
            warnings.append(f"line {number}: ignoring a line that is not a config assignment: {line[:60]!r}")
            continue
        value = match.group(2)
        if value.startswith('"'):
            value = _unquote(value)
        _assign(values, lines, warnings, match.group(1), value, number)
    if not values:
        raise InputError(path, "no CONFIG_ lines; not a kernel .config")
    return KernelConfig(path, values, lines, header_version, header_arch, tuple(warnings))


def _assign(values: dict[str, str], lines: dict[str, int], warnings: list[str],
            symbol: str, value: str, number: int) -> None:
    previous = lines.get(symbol)
    if previous is not None and values[symbol] != value:
        warnings.append(
            f"line {number}: CONFIG_{symbol} set again (line {previous} said "
            f"{values[symbol]!r}, now {value!r}); the last one wins, as in kconfig")
    values[symbol] = value
    lines[symbol] = number


def _header(line: str, arch: str | None) -> tuple[KernelVersion | None, str | None]:
    new = _NEW_HEADER_RE.match(line)
    if new:
        return KernelVersion.parse(new.group(2)), new.group(1)
    old = _OLD_HEADER_RE.match(line)
    if old:
        return KernelVersion.parse(old.group(1)), arch
    return None, arch


def _unquote(value: str) -> str:
    """Undo kconfig's string quoting (``\\"`` and ``\\\\`` escapes)."""
    body = value[1:-1] if len(value) >= 2 and value.endswith('"') else value[1:]
    return body.replace('\\"', '"').replace("\\\\", "\\")


def read_config(path: str) -> KernelConfig:
    """Read a ``.config``, ``.config.gz`` or an image with an embedded config."""
    data = read_bounded(path, CONFIG_LIMIT, what="kernel .config")
    if not data.strip():
        raise InputError(path, "empty file; not a kernel .config")
    if data.startswith(GZIP_MAGIC):
        data = _gunzip(path, data)
    elif b"\0" in data[:4096]:
        data = _embedded_config(path)
    return parse_config_text(decode_text(path, data, what="kernel .config"), path)


def _gunzip(path: str, data: bytes) -> bytes:
    import zlib  # small, but only gzipped configs need it

    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, CONFIG_LIMIT + 1)
    except zlib.error as exc:
        raise InputError(path, f"corrupt gzip data ({exc})") from None
    if len(out) > CONFIG_LIMIT:
        raise InputError(path, f"decompresses to more than {CONFIG_LIMIT // MiB} MiB; not a kernel .config")
    if not inflater.eof:
        raise InputError(path, "truncated gzip data")
    return out


def _embedded_config(path: str) -> bytes:
    """The config carried by a kernel image (CONFIG_IKCONFIG), or a clear error."""
    from kcheck.inputs.image import extract_ikconfig

    try:
        config = extract_ikconfig(path)
    except InputError as exc:
        raise InputError(path, f"binary data, not a kernel .config ({exc.message})") from None
    if config is None:
        raise InputError(path, "kernel image without an embedded config (CONFIG_IKCONFIG is off); "
                               "pass the .config it was built from")
    return config
