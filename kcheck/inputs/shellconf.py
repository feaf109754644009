"""Read kdump service settings without running them.

``/etc/default/kdump-tools`` and ``/etc/sysconfig/kdump`` are shell scripts
the services *source*; kcheck never executes them.  It reads the subset that
real files use: ``NAME=value`` and ``export NAME=value`` lines, single and
double quotes, backslashes, comments, values spanning lines inside quotes,
and ``$NAME``/``${NAME}``/``${NAME:-word}``/``${NAME:=word}`` expansion of
variables assigned earlier in the file.  Anything else (commands, ``$(...)``)
is skipped with a warning naming the line, because its effect is unknowable
without running it.

``/etc/kdump.conf`` is not shell: it is ``directive value`` lines, read the
way kdumpctl's kdump_read_conf()/parse_config() do (kdump-utils kdumpctl).
"""

from __future__ import annotations

import re

from kcheck.domain.records import record

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACE_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=+])([^}]*))?\}")
_EXPORT_RE = re.compile(r"export[ \t]")
_ASSIGN_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")

#: Characters all ``$NAME`` expansions of one file may produce.  Real settings
#: files expand a few hundred; ``A="$A$A"`` repeated doubles per line, so
#: without a budget 40 lines would ask for a terabyte.
EXPANSION_BUDGET = 16 * 1024 * 1024


@record
class ShellVars:
    """Variables a sourced file would set, with the line each was set on."""

    values: dict[str, str]
    lines: dict[str, int]
    warnings: tuple[str, ...]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name, default)

    def get_or(self, name: str, default: str) -> str:
        """``${NAME:=default}``: the default when the variable is unset *or empty*."""
        return self.values.get(name) or default


class _Scanner:
    def __init__(self, text: str, env: dict[str, str]) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.warnings: list[str] = []
        self._counted = 0  # newlines are counted up to here (pos only moves forward)
        self._newlines = 0
        self._budget = EXPANSION_BUDGET

    @property
    def line(self) -> int:
        """1-based line of ``pos``, counted incrementally: linear over the whole file."""
        if self.pos < self._counted:
            self._counted = self._newlines = 0
        self._newlines += self.text.count("\n", self._counted, self.pos)
        self._counted = self.pos
        return self._newlines + 1

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def skip_blanks(self) -> None:
        while self.peek() in (" ", "\t") or (self.peek() == "\\" and self.peek(1) == "\n"):
            self.pos += 2 if self.peek() == "\\" else 1

    def skip_statement(self) -> None:
        """Skip to the end of the line (honouring quotes so a quoted newline does not end it)."""
        while self.pos < len(self.text) and self.peek() not in ("\n", ";"):
            if self.peek() in ("'", '"') or self.peek() == "\\":
                self.word()
            else:
                self.pos += 1

    def word(self) -> str:
        """One shell word from ``pos``: quotes removed, parameters expanded."""
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.peek()
            if char in (" ", "\t", "\n", ";"):
                break
            if char == "\\":
                if self.peek(1) != "\n":
                    out.append(self.peek(1))
                self.pos += 2
            elif char == "'":
                end = self.text.find("'", self.pos + 1)
                if end < 0:
                    self.warnings.append(f"line {self.line}: unterminated ' quote")
                    end = len(self.text)
                out.append(self.text[self.pos + 1:end])
                self.pos = end + 1
            elif char == '"':
                self.pos += 1
                out.append(self._double_quoted())
            elif char == "$":
                out.append(self._expand())
            elif char == "`":
                out.append(self._substitution("`", "`"))
            else:
                out.append(char)
                self.pos += 1
        return "".join(out)

    def _double_quoted(self) -> str:
        start_line = self.line
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.peek()
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\" and self.peek(1) in ("$", "`", '"', "\\", "\n"):
                if self.peek(1) != "\n":
                    out.append(self.peek(1))
                self.pos += 2
            elif char == "$":
                out.append(self._expand())
            elif char == "`":
                out.append(self._substitution("`", "`"))
            else:
                out.append(char)
                self.pos += 1
        self.warnings.append(f"line {start_line}: unterminated \" quote")
        return "".join(out)

    def _expand(self) -> str:
        value = self._expansion()
        self._budget -= len(value)
        if self._budget >= 0:
            return value
        if self._budget + len(value) >= 0:  # the first expansion over budget says so once
            self.warnings.append(f"line {self.line}: variable expansions exceed "
                                 f"{EXPANSION_BUDGET // (1024 * 1024)} MiB; the rest expand to nothing")
        self._budget = -1
        return ""

    def _expansion(self) -> str:
        # Match in place (pattern.match(text, pos)): slicing the rest of the
        # text at every "$" made a large file quadratic.
        if self.text.startswith("(", self.pos + 1):
            return self._substitution("$(", ")")
        brace = _BRACE_RE.match(self.text, self.pos + 1)
        if brace:
            self.pos = brace.end()
            name, op, word = brace.group(1), brace.group(2), brace.group(3) or ""
            value = self.env.get(name)
            if op in (":-", ":="):
                return value or word
            if op in ("-", "="):
                return word if value is None else value
            if op in (":+", "+"):
                return word if (value if op == ":+" else value is not None) else ""
            return value or ""
        name = _NAME_RE.match(self.text, self.pos + 1)
        if name:
            self.pos = name.end()
            return self.env.get(name.group(0), "")
        self.pos += 1
        return "$"

    def _substitution(self, opener: str, closer: str) -> str:
        end = self.text.find(closer, self.pos + len(opener))
        end = len(self.text) if end < 0 else end + len(closer)
        raw = self.text[self.pos:end]
        self.warnings.append(f"line {self.line}: command substitution {raw} not run; kept as text")
        self.pos = end
        return raw


def parse_shell_vars(text: str, env: dict[str, str] | None = None) -> ShellVars:
    """The variables ``. FILE`` would set, for the assignment subset of sh."""
    values: dict[str, str] = dict(env or {})
    lines: dict[str, int] = {}
    scan = _Scanner(text, values)
    while scan.pos < len(scan.text):
        scan.skip_blanks()
        char = scan.peek()
        if char in ("\n", ";"):
            scan.pos += 1
            continue
        if char == "#":
            end = scan.text.find("\n", scan.pos)
            scan.pos = len(scan.text) if end < 0 else end
            continue
        _statement(scan, values, lines)
    return ShellVars(values, lines, tuple(scan.warnings))


def _statement(scan: _Scanner, values: dict[str, str], lines: dict[str, int]) -> None:
    """``[export] NAME=value [NAME=value ...]``; anything else is skipped."""
    if _EXPORT_RE.match(scan.text, scan.pos):
        scan.pos += len("export")
        scan.skip_blanks()
    while scan.pos < len(scan.text) and scan.peek() not in ("\n", ";", "#"):
        name = _ASSIGN_RE.match(scan.text, scan.pos)
        if name is None:
            line, start = scan.line, scan.pos
            scan.skip_statement()
            snippet = scan.text[start:scan.pos].strip()[:60]
            scan.warnings.append(f"line {line}: not an assignment, not run: {snippet}")
            return
        line = scan.line
        scan.pos = name.end()
        values[name.group(1)] = scan.word()
        lines[name.group(1)] = line
        scan.skip_blanks()


@record
class KdumpConf:
    """``/etc/kdump.conf`` directives in file order, and what kdumpctl would refuse."""

    directives: tuple[tuple[str, str, int], ...]
    error: str | None

    def get(self, name: str) -> str | None:
        """The value of the last ``name`` line (kdump_get_conf_val keeps the last)."""
        found = [value for key, value, _ in self.directives if key == name]
        return found[-1] if found else None


# kdumpctl parse_config(): accepted options, and those that make it refuse to start.
_TARGETS = ("raw", "ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "nfs", "ssh", "virtiofs")
_OPTIONS = ("path", "core_collector", "kdump_post", "kdump_pre", "extra_bins", "extra_modules",
            "failure_action", "final_action", "force_rebuild", "force_no_rebuild",
            "fence_kdump_args", "fence_kdump_nodes", "auto_reset_crashkernel", "sshkey",
            "dracut_args", "default")
_DEPRECATED = ("net", "options", "link_delay", "disk_timeout", "debug_mem_level", "blacklist")


def parse_kdump_conf(text: str) -> KdumpConf:
    """Directives after kdump_read_conf()'s clean-up: comments cut at ``#``, blanks trimmed."""
    directives: list[tuple[str, str, int]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    # kdumpctl reads lines with the shell's `read`: they end at "\n" only.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.partition(" ") if " " in line else line.partition("\t")
        key, value = key.strip(), value.strip()
        directives.append((key, value, number))
        slot = "dump target" if key in _TARGETS else ("failure_action" if key == "default" else key)
        if key in _DEPRECATED:
            errors.append(f"line {number}: deprecated option {key}")
        elif key not in _TARGETS and key not in _OPTIONS:
            errors.append(f"line {number}: invalid option {key}")
        elif not value:
            errors.append(f"line {number}: {key} has no value")
        elif slot in seen and key != "dracut_args":
            errors.append(f"line {number}: more than one {slot} (first on line {seen[slot]})")
        seen.setdefault(slot, number)
    return KdumpConf(tuple(directives), errors[0] if errors else None)
