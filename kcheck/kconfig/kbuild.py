"""The kernel's own ``make olddefconfig`` as ground truth for a fragment.

Why: kconfiglib 14.1.0 is a re-implementation and differs from the C kconfig
in places (m->y promotion through ``imply``, Linux 6.11+ choice rules).  When
``--verify-with-kbuild`` is given, the fragment is merged with the tree's own
``scripts/kconfig/merge_config.sh -m`` and resolved with ``make O=<tmp>
olddefconfig``; kconfiglib's answer is compared with it.

The source tree is never written: everything goes to an ``O=`` directory
in kcheck's cache (``~/.cache/kcheck/kbuild/<tree+ARCH>``), where the kernel
Makefile builds scripts/basic/fixdep and scripts/kconfig/conf once; later
runs only run conf (a fresh O= costs ~2x more).  The directory is locked
while in use, so parallel kcheck processes take turns.  Host tools needed:
make, gcc (HOSTCC), flex and bison (scripts/kconfig/lexer.l, parser.y), bash
(merge_config.sh).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from kcheck.domain.errors import InputError
from kcheck.kconfig.tree import default_cache_dir, kernel_arch

HOST_TOOLS = {"make": "make", "gcc": "gcc", "flex": "flex", "bison": "bison", "bash": "bash"}
_SET = re.compile(r"^CONFIG_([A-Za-z0-9_]+)=(.*)$")
_UNSET = re.compile(r"^# CONFIG_([A-Za-z0-9_]+) is not set$")
_NUMBER = re.compile(r"^(-?[0-9]+|0[xX][0-9a-fA-F]+)$")


def read_dotconfig(path: str) -> dict[str, str]:
    """A .config as name -> value (no CONFIG_ prefix; "n" for "is not set"; strings unquoted)."""
    values: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = _SET.match(line)
            if m:
                val = m.group(2)
                if len(val) >= 2 and val[0] == val[-1] == '"':
                    val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                values[m.group(1)] = val
                continue
            m = _UNSET.match(line)
            if m:
                values[m.group(1)] = "n"
    return values


def fragment_lines(fragment: Mapping[str, str]) -> list[str]:
    """Fragment lines without a Kconfig model: y/m/numbers bare, n as "is not set", else quoted."""
    out = []
    for name, value in fragment.items():
        if value == "n":
            out.append(f"# CONFIG_{name} is not set")
        elif value in ("y", "m") or _NUMBER.match(value):
            out.append(f"CONFIG_{name}={value}")
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'CONFIG_{name}="{escaped}"')
    return out


def missing_host_tools() -> list[str]:
    return [pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None]


def verify_with_kbuild(
    kernel_src: str,
    arch: str,
    base_config: str | None,
    fragment: Mapping[str, str],
    *,
    lines: Iterable[str] | None = None,
    timeout: float = 900,
) -> dict[str, str]:
    """Apply ``fragment`` to ``base_config`` with merge_config.sh -m + ``make olddefconfig``.

    Returns the resulting .config as name -> value.  ``lines`` (e.g.
    ``Resolution.lines``) overrides the formatting of ``fragment``.
    """
    karch, _ = kernel_arch(arch)
    src = os.path.abspath(kernel_src)
    if not os.path.isfile(os.path.join(src, "Makefile")):
        raise InputError(kernel_src, "not a kernel source tree: no top-level Makefile")
    missing = missing_host_tools()
    if missing:
        raise InputError(
            "--verify-with-kbuild",
            "the kernel's make olddefconfig needs these host tools: " + ", ".join(missing),
        )
    if base_config is not None and not os.path.isfile(base_config):
        raise InputError(base_config, "cannot read config: no such file")
    frag_text = "\n".join(lines if lines is not None else fragment_lines(fragment)) + "\n"
    with _objdir(src, karch) as objdir:
        base = os.path.join(objdir, "kcheck-base.config")
        if base_config is not None:
            shutil.copyfile(base_config, base)
        else:
            open(base, "w").close()
        frag = os.path.join(objdir, "kcheck-fragment.config")
        with open(frag, "w") as f:
            f.write(frag_text)
        merge = os.path.join(src, "scripts", "kconfig", "merge_config.sh")
        if os.path.isfile(merge):
            # -m: only merge (no make); -O: write .config into the object dir.
            _run(["bash", merge, "-m", "-O", objdir, base, frag], objdir, kernel_src, timeout, "merge_config.sh")
        else:
            _merge_like_merge_config(base, frag, os.path.join(objdir, ".config"))
        env = {**os.environ, "ARCH": karch}
        env.pop("KCONFIG_CONFIG", None)
        _run(["make", "-s", "-C", src, f"O={objdir}", f"ARCH={karch}", "olddefconfig"],
             objdir, kernel_src, timeout, "make olddefconfig", env)
        return read_dotconfig(os.path.join(objdir, ".config"))


@contextmanager
def _objdir(src: str, karch: str) -> Iterator[str]:
    """The cached O= directory for (tree, ARCH), locked for this process; a temp one if the cache is unusable."""
    key = hashlib.sha256(f"{src}\0{karch}".encode()).hexdigest()[:16]
    path = os.path.join(os.path.dirname(default_cache_dir()), "kbuild", f"{os.path.basename(src)}-{karch}-{key}")
    try:
        os.makedirs(path, exist_ok=True)
        lock = open(os.path.join(path, ".kcheck-lock"), "w")
    except OSError:
        with tempfile.TemporaryDirectory(prefix="kcheck-kbuild-") as tmp:
            yield tmp
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield path


def read_fragment_line(line: str) -> tuple[str, str]:
    """(name, value) of one fragment line, values as read_dotconfig gives them."""
    m = _SET.match(line)
    if m:
        val = m.group(2)
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return m.group(1), val
    m = _UNSET.match(line)
    if m:
        return m.group(1), "n"
    raise ValueError(f"not a .config line: {line!r}")


def _merge_like_merge_config(base: str, frag: str, out: str) -> None:
    """merge_config.sh -m without the script: later definitions of a symbol replace earlier ones."""
    merged: dict[str, str] = {}
    order: list[str] = []
    for path in (base, frag):
        with open(path) as f:
            for line in f:
                m = _SET.match(line.rstrip("\n")) or _UNSET.match(line.rstrip("\n"))
                if not m:
                    continue
                if m.group(1) not in merged:
                    order.append(m.group(1))
                merged[m.group(1)] = line.rstrip("\n")
    with open(out, "w") as f:
        f.write("".join(merged[n] + "\n" for n in order))


def _run(cmd: list[str], cwd: str, source: str, timeout: float, what: str,
         env: dict[str, str] | None = None) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise InputError(source, f"{what} did not finish within {timeout:.0f} s") from None
    except OSError as e:
        raise InputError(source, f"cannot run {what}: {e.strerror}") from None
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise InputError(source, f"{what} failed (exit {proc.returncode}): {tail}")


def compare(
    kconfiglib_values: Mapping[str, str], kbuild_values: Mapping[str, str], names: Iterable[str] | None = None
) -> dict[str, tuple[str, str]]:
    """Symbols where kconfiglib and the kernel disagree: name -> (kconfiglib, kbuild).

    A symbol missing from a .config reads as "n" (bool/tristate semantics);
    CC_VERSION_TEXT-like toolchain strings compare as written.
    """
    keys = list(names) if names is not None else sorted(set(kconfiglib_values) | set(kbuild_values))
    diff: dict[str, tuple[str, str]] = {}
    for name in keys:
        a = kconfiglib_values.get(name, "n")
        b = kbuild_values.get(name, "n")
        if a != b:
            diff[name] = (a, b)
    return diff
