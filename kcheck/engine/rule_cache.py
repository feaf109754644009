"""Cache compiled rules, keyed by the rule files.

Parsing and compiling ~80 TOML rules costs more than everything else a check
does after start-up.  The compiled rules are pickled under
``${XDG_CACHE_HOME:-~/.cache}/kcheck/rules/`` with a key made of kcheck's
version, every rule file's path and bytes (for the bundled rules: path,
inode, size, mtime and ctime) and the same stat stamp of each ``.py`` file
the compiled rules are made of (:func:`code_stamp`), so an edited rule file,
an edited kcheck or one reinstalled from another commit with the same version
string is never served rules compiled by other code.  The cache is an optimisation only: if it
cannot be read or written, rules are compiled as usual.  Set
``KCHECK_NO_CACHE=1`` to bypass it, ``KCHECK_CACHE_DIR`` to move it (the
test suite uses a directory of its own).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kcheck import __version__

T = TypeVar("T")


def cache_dir() -> Path:
    own = os.environ.get("KCHECK_CACHE_DIR")
    if own:
        return Path(own) / "rules"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kcheck" / "rules"


#: The packages compiled rules are made of: the engine and the layers below it, which are all
#: the engine may import (the import-linter layers contract), so no other code can change them.
RULE_CODE = ("domain", "engine", "facts", "inputs")


def code_stamp() -> bytes:
    """Name, inode, size, mtime and ctime of every ``.py`` file of :data:`RULE_CODE`.

    One scandir per package directory and one stat per file (about 70):
    pip and git rewrite the files they change, which changes their ctime even
    when mtime is set back.  Stamping all of kcheck (twice the files) cost a
    check more than unpickling the rules.
    """
    root = os.path.dirname(os.path.dirname(__file__))
    parts: list[object] = []
    pending = [os.path.join(root, name) for name in RULE_CODE]
    while pending:
        directory = pending.pop()
        try:
            entries = os.scandir(directory)
        except OSError:
            continue
        with entries:
            # Directory order changes only when its entries do: then the key
            # changes too, which costs one compile, never a stale answer.
            for entry in entries:
                name = entry.name
                if name[-3:] == ".py":
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    parts += (name, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                elif "." not in name and name != "__pycache__" and entry.is_dir():
                    pending.append(entry.path)
    return repr(parts).encode()


def cached(key: list[bytes], build: Callable[[], T]) -> T:
    """``build()``'s result, from the cache when rules with the same ``key`` were compiled before.

    ``key`` must change whenever the rules could: the loader gives every
    rule file's path with its bytes or its stat stamp.
    """
    if os.environ.get("KCHECK_NO_CACHE"):
        return build()
    # CRC-32 and Adler-32 of the key and kcheck's version: a 64-bit key
    # without importing hashlib (OpenSSL costs more than the whole lookup).
    crc, adler, size = 0, 1, 0
    for chunk in [__version__.encode(), *key]:
        crc, adler, size = zlib.crc32(chunk, crc), zlib.adler32(chunk, adler), size + len(chunk)
    target = cache_dir() / f"{crc:08x}{adler:08x}-{size}.pickle"
    try:
        # The C unpickler alone: the pickle module around it (and struct, which
        # it imports) costs more start-up time than reading the rules.
        from _pickle import load  # lazy: only when the cache is read

        with open(target, "rb") as handle:
            return load(handle)  # type: ignore[no-any-return]  # noqa: S301 - our own file, keyed by content
    except Exception:  # missing, truncated, from another Python: compile again
        pass
    result = build()
    _store(target, result)
    return result


def _store(target: Path, value: object) -> None:
    import pickle  # lazy: pickle: only when the cache is written
    import tempfile  # lazy: only when a file is spooled or written

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".rules-", dir=target.parent)
    except OSError:
        return  # a read-only home: no cache, same result
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    except Exception:
        os.unlink(temporary)
