"""The kernel's own kconfig tools, run the way a kernel developer runs them, for the tests.

Real trees: Debian's linux-source-6.1 and -6.12, Kconfig subset only, fetched
by ``.ci/fetch-kernel-source`` into ``$KCHECK_CORPUS`` (default
``~/.cache/kcheck/corpus``).  Each (tree, ARCH) gets one ``O=`` directory per
test session, so ``scripts/kconfig/conf`` is built once and every later
``make olddefconfig`` only runs it.  Nothing here uses kcheck's own code: it is
the ground truth the tests hold kcheck to.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CORPUS = Path(os.environ.get("KCHECK_CORPUS") or Path.home() / ".cache" / "kcheck" / "corpus")
HOST_TOOLS = ("make", "gcc", "flex", "bison", "bash")
_LINE = re.compile(r"^(?:CONFIG_(\w+)=(.*)|# CONFIG_(\w+) is not set)$")


def tree(series: str) -> Path:
    """The Kconfig subset of linux-<series>, or a skip naming the fetch script."""
    path = CORPUS / f"linux-{series}"
    if not (path / ".kcheck-source-stamp").is_file():
        pytest.skip(f"Linux {series} Kconfig tree not found at {path}; run .ci/fetch-kernel-source {series}")
    return path


def missing_tools() -> list[str]:
    return [t for t in HOST_TOOLS if shutil.which(t) is None]


def values(text: str) -> dict[str, str]:
    """A .config or fragment as name -> value ("n" for "is not set", strings as written)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m:
            if m.group(1):
                out[m.group(1)] = m.group(2)
            else:
                out[m.group(3)] = "n"
    return out


class Kbuild:
    """``make O=<dir> ARCH=<arch> olddefconfig`` and ``merge_config.sh -m``, one O= per (tree, ARCH)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs = 0
        self._defconfigs: dict[tuple[Path, str, str], str] = {}

    def objdir(self, src: Path, karch: str) -> Path:
        path = self.root / f"{src.name}-{karch}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def olddefconfig(self, src: Path, karch: str, config: str) -> str:
        """The .config the kernel's olddefconfig makes of ``config`` (text in, text out)."""
        obj = self.objdir(src, karch)
        (obj / ".config").write_text(config)
        self._run(["make", "-s", "-C", str(src), f"O={obj}", f"ARCH={karch}", "olddefconfig"], obj)
        return (obj / ".config").read_text()

    def defconfig(self, src: Path, karch: str, name: str) -> str:
        """arch/<SRCARCH>/configs/<name> through olddefconfig: a complete, normalised .config."""
        key = (src, karch, name)
        if key not in self._defconfigs:
            srcarch = {"i386": "x86", "x86_64": "x86", "sparc64": "sparc", "sparc32": "sparc"}.get(karch, karch)
            text = (src / "arch" / srcarch / "configs" / name).read_text()
            self._defconfigs[key] = self.olddefconfig(src, karch, text)
        return self._defconfigs[key]

    def merge(self, src: Path, karch: str, base: str, fragment: str) -> str:
        """scripts/kconfig/merge_config.sh -m base fragment, then make olddefconfig."""
        obj = self.objdir(src, karch)
        (obj / "base.config").write_text(base)
        (obj / "fragment.config").write_text(fragment)
        merge = src / "scripts" / "kconfig" / "merge_config.sh"
        self._run(["bash", str(merge), "-m", "-O", str(obj), str(obj / "base.config"),
                   str(obj / "fragment.config")], obj)
        return self.olddefconfig(src, karch, (obj / ".config").read_text())

    def _run(self, cmd: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("KCONFIG_CONFIG", "ARCH", "CROSS_COMPILE")}
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        self.runs += 1
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def edit(text: str, edits: dict[str, str]) -> str:
    """Set (or with "absent" remove) lines of a .config, the way a user edits one by hand."""
    lines = text.splitlines()
    out = []
    seen = set()
    for line in lines:
        m = _LINE.match(line.strip())
        name = (m.group(1) or m.group(3)) if m else None
        if name in edits:
            seen.add(name)
            value = edits[name]
            if value == "absent":
                continue
            line = f"# CONFIG_{name} is not set" if value == "n" else f"CONFIG_{name}={value}"
        out.append(line)
    for name, value in edits.items():
        if name not in seen and value != "absent":
            out.append(f"# CONFIG_{name} is not set" if value == "n" else f"CONFIG_{name}={value}")
    return "\n".join(out) + "\n"
