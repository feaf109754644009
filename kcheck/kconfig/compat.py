"""Compatibility layer that lets kconfiglib 14.1.0 (PyPI) parse Linux >= 5.13.

Why: kconfiglib 14.1.0 (2020) stops on ``kernel/module/Kconfig:4`` of every
kernel since v5.13, where commit 6dd85ff178cd ("kconfig: change "modules" from
sub-option to first-level attribute") replaced ``option modules`` with a bare
``modules`` line (upstream ulfalizer/Kconfiglib#106, still open).

What this layer does, and nothing else:

* :class:`CompatKconfig` subclasses ``kconfiglib.Kconfig`` and overrides the
  line tokenizer: a line whose only token is ``modules`` is handed to the
  parser as ``option modules``, which 14.1.0 understands and which means the
  same thing (the symbol is the MODULES symbol of the tree).  Files on disk
  are never touched.
* Syntax that 14.1.0 cannot represent is detected and turned into a clear
  :class:`~kcheck.domain.errors.InputError` instead of a wrong model:

  - ``transitional`` (Linux 6.18+, kconfig commit "kconfig: Add transitional
    symbol attribute"; zephyrproject-rtos/Kconfiglib#25),
  - ``depends on A if B`` (conditional dependencies, Linux 6.19+),
  - any other parse error is reported with the file and line kconfiglib gave.

A known semantic gap that no tokenizer change fixes: Linux v6.11 changed how
a choice picks its member when the .config's pick is not visible;
:mod:`kcheck.kconfig.choice_rules` teaches kconfiglib the new rules, and
:func:`semantic_caveats` names what is still known to differ, so callers can
say that ``--verify-with-kbuild`` is the reference.
"""

from __future__ import annotations

import re
from typing import Any

from kcheck.domain.errors import InputError

# First word of a Kconfig line, the way kconfiglib's _command_match sees it.
_FIRST_WORD = re.compile(r"\s*([A-Za-z0-9_-]+)")
_DEPENDS_IF = re.compile(r"\s*depends\s+on\b.*\bif\b")


def unsupported_construct(line: str) -> str | None:
    """Name the newer-kernel construct in ``line`` that kconfiglib 14.1.0 cannot parse."""
    m = _FIRST_WORD.match(line)
    if m and m.group(1) == "transitional":
        return "'transitional' (Linux 6.18+)"
    if _DEPENDS_IF.match(line):
        return "'depends on ... if ...' (Linux 6.19+)"
    return None


def _compat_class() -> type:
    """Build the kconfiglib subclass lazily: kconfiglib is a heavy import."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    t_modules = kconfiglib._T_MODULES
    t_option = kconfiglib._T_OPTION

    class CompatKconfig(kconfiglib.Kconfig):
        """kconfiglib.Kconfig that also reads the bare ``modules`` attribute (Linux 5.13+)."""

        def _tokenize(self, s: str) -> Any:
            tokens = super()._tokenize(s)
            # Bare "modules" tokenizes to [_T_MODULES, None]; 'option modules'
            # is what kconfiglib 14.1.0's _parse_props() knows.
            if tokens[0] is t_modules and len(tokens) == 2:
                return [t_option, t_modules, None]
            return tokens

        def _parse_error(self, msg: str) -> Any:
            construct = unsupported_construct(self._line or "")
            if construct is not None:
                raise UnsupportedSyntax(construct, self.filename, self.linenr)
            super()._parse_error(msg)

        def load_config(self, filename: Any = None, replace: bool = True, verbose: Any = None) -> Any:
            # A new .config starts the kernel's choice priorities afresh (choice_rules).
            if replace and getattr(self, "choice_seq", None) is not None:
                self.choice_seq.clear()
            return super().load_config(filename, replace, verbose)

        def _parse_assignment(self, s: str) -> Any:
            # An unknown first word ("transitional") lands here as if it were a
            # preprocessor assignment; catch it before the generic error.
            construct = unsupported_construct(s)
            if construct is not None:
                raise UnsupportedSyntax(construct, self.filename, self.linenr)
            return super()._parse_assignment(s)

    # Pickle finds the class by module and qualified name.
    CompatKconfig.__module__ = __name__
    CompatKconfig.__qualname__ = "CompatKconfig"
    _CLASS = CompatKconfig
    globals()["CompatKconfig"] = CompatKconfig
    return CompatKconfig


_CLASS: type | None = None


def __getattr__(name: str) -> Any:
    # Lets pickle (and callers) resolve kcheck.kconfig.compat.CompatKconfig
    # without importing kconfiglib when this module is imported.
    if name == "CompatKconfig":
        return _compat_class()
    raise AttributeError(name)


class UnsupportedSyntax(Exception):
    """Raised from inside the parser; turned into InputError by :func:`parse_kconfig`."""

    def __init__(self, construct: str, filename: str | None, linenr: int) -> None:
        super().__init__(construct)
        self.construct = construct
        self.filename = filename
        self.linenr = linenr


def parse_kconfig(kernel_src: str, top: str = "Kconfig") -> Any:
    """Parse ``top`` (relative to $srctree) with the compatibility layer.

    The caller sets up the environment (srctree, ARCH, CC, ...).  Warnings are
    kept in ``kconf.warnings`` and never printed.
    """
    import kconfiglib  # lazy: kconfiglib: only kcheck fix with --kernel-src parses a tree

    cls = _compat_class()
    try:
        return cls(top, warn=True, warn_to_stderr=False)
    except UnsupportedSyntax as e:
        where = f" ({e.filename}:{e.linenr})" if e.filename else ""
        raise InputError(
            kernel_src,
            f"Kconfig uses {e.construct}{where}, which kconfiglib 14.1.0 cannot parse; "
            "kcheck fix supports Linux trees up to 6.17 (use the kernel's own "
            "`make olddefconfig` to check a fragment for this tree)",
        ) from None
    except kconfiglib.KconfigError as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else "unknown error"
        raise InputError(kernel_src, f"kconfiglib 14.1.0 cannot parse this Kconfig tree: {msg}") from None
    except OSError as e:
        raise InputError(kernel_src, f"cannot read Kconfig file: {e}") from None


def semantic_caveats(kernel_version: tuple[int, int]) -> list[str]:
    """Known differences between kconfiglib 14.1.0 (with this layer) and the kernel's C kconfig."""
    caveats = ["kconfiglib promotes an m to y through `imply` where the kernel does not (Linux 6.1 "
               "symbol.c); --verify-with-kbuild checks the whole .config with the kernel's own olddefconfig"]
    if kernel_version >= (6, 11):
        caveats.append("Linux 6.11+ choice rules (a rejected choice default makes the kernel pick another "
                       "member) are emulated for kconfiglib 14.1.0; --verify-with-kbuild is the reference")
    return caveats
