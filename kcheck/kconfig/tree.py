"""Load a kernel tree's Kconfig with kconfiglib, the way the kernel build would, and cache it.

Why the environment matters: the Kconfig files of Linux >= 4.18 run compiler
probes (``$(shell,...)``, ``$(cc-option,...)`` in scripts/Kconfig.include) and
read ``$(CC)``, ``$(LD)``, ``$(OBJCOPY)``, ``$(PAHOLE)``, ``$(CC_VERSION_TEXT)``.
kconfiglib expands an unset variable to "" without a warning, which silently
changes symbols (no OBJCOPY -> X86_X32_ABI=n; no PAHOLE -> PAHOLE_VERSION=0).
So :func:`kbuild_environment` reproduces the top-level Makefile (Linux 6.1
Makefile lines 415-498 and 687: ``CC = $(CROSS_COMPILE)gcc`` ...,
``CC_VERSION_TEXT = $(shell LC_ALL=C $(CC) --version | head -n 1)`` minus '#').

Why the cache: parsing Linux 6.1 costs ~1.1 s, 0.68 s of which are gcc probes.
The parsed ``Kconfig`` object is pickled, keyed by the tree path, the
architecture and the environment, and validated against a manifest of every
Kconfig file read plus the probe scripts (size + mtime, falling back to a
content hash, so ``touch`` alone keeps the entry and an edit invalidates it).
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kcheck.domain.errors import InputError
from kcheck.domain.arch import ALIASES, SRCARCH
from kcheck.kconfig.compat import parse_kconfig
from kcheck.kconfig.choice_rules import enable as enable_choice_rules

# kcheck architecture name -> (kernel ARCH, SRCARCH).  SRCARCH is domain.arch's table (the
# top-level Makefile's ARCH -> SRCARCH); ARCH differs from it only where the ARCH value fixes
# 64BIT: ARCH=i386 / x86_64 through `default "$(ARCH)" != "i386"` / `if "$(ARCH)" = "x86"` in
# arch/x86/Kconfig, and sparc64/sparc32 and parisc64 the same way.  "x86" and "riscv" (families)
# let the config file decide; so does every architecture whose 64BIT is a choice (mips, riscv).
_KERNEL_ARCH = {"i386": "i386", "x86_64": "x86_64", "sparc64": "sparc64", "sparc": "sparc32",
                "parisc64": "parisc64"}
ARCHES: dict[str, tuple[str, str]] = {
    **{name: (_KERNEL_ARCH.get(name, src), src) for name, src in SRCARCH.items()},
    "x86": ("x86", "x86"), "riscv": ("riscv", "riscv"),
}

CACHE_FORMAT = 2
_PROBE_SCRIPT_DIRS = ("scripts",)


def kernel_arch(arch: str) -> tuple[str, str]:
    """Map a kcheck architecture name to the kernel's (ARCH, SRCARCH)."""
    try:
        return ARCHES[ALIASES.get(arch, arch)]
    except KeyError:
        raise InputError("--arch", f"unknown architecture '{arch}' (known: {', '.join(ARCHES)})") from None


def kernel_version(kernel_src: str) -> str:
    """KERNELVERSION as the top-level Makefile builds it (VERSION.PATCHLEVEL.SUBLEVEL EXTRAVERSION)."""
    path = os.path.join(kernel_src, "Makefile")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(4096)
    except OSError as e:
        raise InputError(kernel_src, f"not a kernel source tree: cannot read Makefile ({e.strerror})") from None
    fields = {}
    for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL", "EXTRAVERSION"):
        m = re.search(rf"^{key}\s*=[ \t]*(\S*)", head, re.M)
        fields[key] = m.group(1) if m else ""
    if not fields["VERSION"].isdigit():
        raise InputError(kernel_src, "not a kernel source tree: no VERSION in the top-level Makefile")
    ver = f"{fields['VERSION']}.{fields['PATCHLEVEL'] or 0}.{fields['SUBLEVEL'] or 0}"
    return ver + fields["EXTRAVERSION"]


def version_tuple(kernelversion: str) -> tuple[int, int]:
    m = re.match(r"(\d+)\.(\d+)", kernelversion)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _subarch() -> str:
    """SUBARCH as scripts/subarch.include derives it from `uname -m`."""
    m = platform.machine()
    for pat, rep in (
        (r"i.86|x86_64", "x86"), (r"arm.*|sa110", "arm"), (r"aarch64.*", "arm64"),
        (r"s390x", "s390"), (r"ppc.*", "powerpc"), (r"riscv.*", "riscv"), (r"mips.*", "mips"),
    ):
        if re.fullmatch(pat, m):
            return rep
    return m


def kbuild_environment(kernel_src: str, arch: str) -> dict[str, str]:
    """The variables the kernel Makefile exports to kconfig, for the host toolchain."""
    karch, srcarch = kernel_arch(arch)
    cross = os.environ.get("CROSS_COMPILE", "")
    cc = f"{cross}gcc"
    if shutil.which(cc) is None:
        raise InputError(
            kernel_src,
            f"C compiler '{cc}' not found: the Kconfig files run compiler probes "
            "(install gcc, or set CROSS_COMPILE)",
        )
    try:
        out = subprocess.run(
            [cc, "--version"], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"}, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise InputError(kernel_src, f"cannot run '{cc} --version': {e}") from None
    cc_version_text = (out.splitlines() or [""])[0].replace("#", "")
    return {
        "srctree": os.path.abspath(kernel_src),
        "ARCH": karch,
        "SRCARCH": srcarch,
        "SUBARCH": _subarch(),
        "KERNELVERSION": kernel_version(kernel_src),
        "CC": cc,
        "LD": f"{cross}ld",
        "AR": f"{cross}ar",
        "NM": f"{cross}nm",
        "OBJCOPY": f"{cross}objcopy",
        "PAHOLE": "pahole",
        "RUSTC": "rustc",
        "BINDGEN": "bindgen",
        "HOSTCC": "gcc",
        "CROSS_COMPILE": cross,
        "CLANG_FLAGS": "",
        "CC_VERSION_TEXT": cc_version_text,
    }


@contextmanager
def _kbuild_process_state(env: dict[str, str]) -> Iterator[None]:
    """Set the environment and run the probes in a scratch cwd, then restore both.

    scripts/Kconfig.include's cc-option does `mkdir .tmp_$$` in the current
    directory (make runs it in the object tree); a scratch directory keeps it
    out of the user's cwd and works when that cwd is read-only.
    """
    saved = {k: os.environ.get(k) for k in env}
    old_cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="kcheck-kconfig-") as scratch:
        os.environ.update(env)
        os.chdir(scratch)
        try:
            yield
        finally:
            os.chdir(old_cwd)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kcheck", "kconfig")


def _file_digest(path: str) -> str:
    """sha256 of a file, or of a directory's sorted listing (a new probe script is a change)."""
    if os.path.isdir(path):
        return hashlib.sha256("\0".join(sorted(os.listdir(path))).encode()).hexdigest()
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _manifest(srctree: str, relpaths: list[str]) -> dict[str, tuple[int, int, str]]:
    """relpath -> (size, mtime_ns, sha256) for each file that decides the parse result."""
    out: dict[str, tuple[int, int, str]] = {}
    for rel in relpaths:
        path = os.path.join(srctree, rel)
        try:
            st = os.stat(path)
            out[rel] = (st.st_size, st.st_mtime_ns, _file_digest(path))
        except OSError:
            out[rel] = (-1, 0, "")
    return out


def _manifest_files(kconf: Any, srctree: str, srcarch: str) -> list[str]:
    """Every Kconfig file kconfiglib read plus the probe scripts $(shell,...) may run."""
    files = {os.path.relpath(os.path.join(srctree, f), srctree) for f in kconf.kconfig_filenames}
    for d in (*_PROBE_SCRIPT_DIRS, os.path.join("arch", srcarch, "tools")):
        full = os.path.join(srctree, d)
        files.add(d)  # the directory listing itself (missing -> recorded as missing)
        if os.path.isdir(full):
            for name in os.listdir(full):
                if name.endswith((".sh", ".include", ".py", ".pl")):
                    files.add(os.path.join(d, name))
    return sorted(files)


def _manifest_still_valid(srctree: str, manifest: dict[str, tuple[int, int, str]]) -> bool:
    for rel, (size, mtime_ns, digest) in manifest.items():
        path = os.path.join(srctree, rel)
        try:
            st = os.stat(path)
        except OSError:
            if size == -1:
                continue
            return False
        if size == -1 or (st.st_size != size and not os.path.isdir(path)):
            return False
        if st.st_mtime_ns != mtime_ns and _file_digest(path) != digest:
            return False
    return True


def _compiler_identity(cc: str) -> str:
    path = shutil.which(cc) or cc
    try:
        st = os.stat(os.path.realpath(path))
        return f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return path


def cache_key(env: dict[str, str]) -> str:
    """Which cache entry a (tree, arch, environment, compiler) combination uses."""
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    h = hashlib.sha256()
    h.update(f"format={CACHE_FORMAT} kconfiglib={kconfiglib.VERSION} py={sys.version_info[:2]}\n".encode())
    for k in sorted(env):
        h.update(f"{k}={env[k]}\n".encode())
    h.update(_compiler_identity(env["CC"]).encode())
    h.update(_compiler_identity(env["LD"]).encode())
    return h.hexdigest()[:32]


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building the ~1M-object symbol graph.

    Measured on Linux 6.1: unpickling takes 0.68 s with the collector running
    (it rescans the growing graph) and 0.36 s without; parsing gains too.
    Afterwards the graph is moved to the permanent generation (gc.freeze) so
    later collections do not traverse it again (a full collection over it costs
    ~0.6 s); the Kconfig object lives as long as the command anyway.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _read_cache(path: str, srctree: str) -> Any | None:
    try:
        with open(path, "rb") as f, _no_gc():
            entry = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
        return None
    if not _manifest_still_valid(srctree, entry["manifest"]):
        return None
    return entry["kconf"]


def _write_cache(path: str, kconf: Any, manifest: dict[str, tuple[int, int, str]]) -> None:
    """Pickle atomically (tempfile + os.replace).  Errors are ignored: the cache is optional.

    kconfiglib's symbol graph is deeply linked, so pickle needs a recursion
    limit of ~60000 (measured); that runs in a thread with a large C stack.
    """
    kconf._readline = None  # an open file object; pickle refuses it
    entry = {"format": CACHE_FORMAT, "manifest": manifest, "kconf": kconf}
    result: dict[str, bytes] = {}

    def dump() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 100_000))
        try:
            result["data"] = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        except (RecursionError, pickle.PicklingError, TypeError):
            pass
        finally:
            sys.setrecursionlimit(old)

    old_stack = threading.stack_size()
    threading.stack_size(512 * 1024 * 1024)
    try:
        t = threading.Thread(target=dump, name="kcheck-kconfig-pickle")
        t.start()
        t.join()
    finally:
        threading.stack_size(old_stack)
    if "data" not in result:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(result["data"])
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


class LoadStats:
    """How the last :func:`load_kconfig` call got its result (for tests and timings)."""

    cache_hit: bool = False
    cache_path: str | None = None


last_load = LoadStats()


def load_kconfig(kernel_src: str, arch: str, *, cache_dir: str | None = None, use_cache: bool = True) -> Any:
    """Parse ``kernel_src``'s Kconfig for ``arch`` (a kcheck arch name), using the pickle cache.

    ``cache_dir=None`` means :func:`default_cache_dir`.  The returned object is
    a ``kconfiglib.Kconfig`` (the compat subclass) with no configuration loaded.
    """
    srctree = os.path.abspath(kernel_src)
    if not os.path.isfile(os.path.join(srctree, "Kconfig")):
        raise InputError(kernel_src, "not a kernel source tree: no top-level Kconfig file")
    env = kbuild_environment(srctree, arch)
    path = os.path.join(cache_dir or default_cache_dir(), cache_key(env) + ".pickle")
    last_load.cache_path = path if use_cache else None
    if use_cache:
        kconf = _read_cache(path, srctree)
        if kconf is not None:
            last_load.cache_hit = True
            return _with_choice_rules(kconf)
    last_load.cache_hit = False
    with _kbuild_process_state(env), _no_gc():
        kconf = parse_kconfig(kernel_src)
    # CompatKconfig has a __dict__: the version rides along in the cache.
    kconf.kcheck_version = version_tuple(env["KERNELVERSION"])
    if use_cache:
        manifest = _manifest(srctree, _manifest_files(kconf, srctree, env["SRCARCH"]))
        _write_cache(path, kconf, manifest)
    return _with_choice_rules(kconf)


def _with_choice_rules(kconf: Any) -> Any:
    """Trees of Linux 6.11+ pick choice members by the new rules (kcheck.kconfig.choice_rules)."""
    if getattr(kconf, "kcheck_version", (0, 0)) >= (6, 11):
        enable_choice_rules(kconf)
    return kconf
