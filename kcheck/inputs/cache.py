"""Read each input file of a batch once per process, and parse each distinct content once.

A fleet manifest names the same few configs for thousands of targets (one
kernel build, many boot lines).  Parsing a distribution config costs more than
checking it, so a batch worker keeps what it read: a file is looked up by its
path and stat stamp (device, inode, size, mtime, ctime: any write changes
ctime), and a config or command-line file by the digest of its bytes, so two
copies of one config are parsed once.  Kernel images are keyed by stamp only:
their reader reads headers, never the whole file, and hashing it would.

Memory stays bounded: parsed configs are kept up to :data:`CONFIG_BUDGET`
bytes of source text (least recently used first out; a parsed config takes
about 4.5 times its text), the other tables up to :data:`ENTRIES` entries.
An input that cannot be read raises the same one-line error on every target
that names it, without being read again while its stamp is unchanged.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from kcheck.domain.errors import InputError
from kcheck.inputs.files import MiB, read_bounded
from kcheck.inputs.kconfig import CONFIG_LIMIT, KernelConfig, config_from_bytes
from kcheck.domain.records import replace

if TYPE_CHECKING:
    from kcheck.inputs.image.model import KernelImage

#: Source bytes of the parsed configs kept per process (~30 distribution configs).
CONFIG_BUDGET = 8 * MiB
#: Entries of the path, text and image tables.
ENTRIES = 4096


class CachedReader:
    """The batch's reader: the same answers as :class:`kcheck.app.pipeline.Reader`, each file read once.

    ``stats`` counts what was done (``reads``: files opened and read;
    ``parses``: configs parsed; ``hits``: inputs answered from memory) for
    ``--verbose`` and the tests.
    """

    def __init__(self, base: Any, config_budget: int = CONFIG_BUDGET, entries: int = ENTRIES) -> None:
        self.base = base  # reads text files and images as a single check does (same limits, same errors)
        self.config_budget, self.entries = config_budget, entries
        self._stamps: OrderedDict[tuple[str, str], tuple[tuple[int, ...], Any]] = OrderedDict()
        self._configs: OrderedDict[bytes, tuple[KernelConfig, int]] = OrderedDict()
        self._config_bytes = 0
        self.stats = {"reads": 0, "parses": 0, "hits": 0}

    def config(self, path: str) -> KernelConfig:
        found = self._by_stamp("config", path, self._read_config)
        config: KernelConfig = found
        return config if config.path == path else replace(config, path=path)

    def text(self, path: str, what: str) -> str:
        def read(name: str) -> str:
            self.stats["reads"] += 1
            text: str = self.base.text(name, what)
            return text

        text: str = self._by_stamp(f"text:{what}", path, read)
        return text

    def image(self, path: str) -> KernelImage:
        def read(name: str) -> KernelImage:
            self.stats["reads"] += 1
            image: KernelImage = self.base.image(name)
            return image

        image: KernelImage = self._by_stamp("image", path, read)
        return image

    def _by_stamp(self, kind: str, path: str, read: Any) -> Any:
        """``read(path)``, or what it gave (or raised) last time for the same stamp."""
        stamp = _stamp(path)
        key = (kind, path)
        entry = self._stamps.get(key)
        if stamp is not None and entry is not None and entry[0] == stamp:
            self._stamps.move_to_end(key)
            self.stats["hits"] += 1
            value = entry[1]
            if isinstance(value, InputError):  # a fresh one: re-raising one object grows its traceback
                raise InputError(value.source, value.message)
            return value
        try:
            value = read(path)
        except InputError as exc:
            value = exc
        if stamp is not None:
            self._stamps[key] = (stamp, value)
            if len(self._stamps) > self.entries:
                self._stamps.popitem(last=False)
        if isinstance(value, InputError):
            raise InputError(value.source, value.message)
        return value

    def _read_config(self, path: str) -> KernelConfig:
        data = read_bounded(path, CONFIG_LIMIT, what="kernel .config")
        self.stats["reads"] += 1
        import hashlib  # lazy: hashlib (OpenSSL): only a batch keys its file cache

        digest = hashlib.blake2b(data, digest_size=20).digest()
        kept = self._configs.get(digest)
        if kept is not None:
            self._configs.move_to_end(digest)
            self.stats["hits"] += 1
            return kept[0]
        config = config_from_bytes(path, data)
        self.stats["parses"] += 1
        self._configs[digest] = (config, len(data))
        self._config_bytes += len(data)
        while self._config_bytes > self.config_budget and len(self._configs) > 1:
            _, (_, size) = self._configs.popitem(last=False)
            self._config_bytes -= size
        return config


def _stamp(path: str) -> tuple[int, ...] | None:
    """What changes when the file does; None when it cannot be stat'ed (then it is read, and fails)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
