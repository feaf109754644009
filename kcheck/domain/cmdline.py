"""Kernel boot command lines, tokenised the way the kernel does it.

The kernel splits its command line with ``next_arg()`` (lib/cmdline.c) called
from ``parse_args()`` (kernel/params.c); rules must see exactly those
parameters, not what a shell or ``str.split`` would make of the text:

* parameters are separated by ``isspace()`` characters outside double quotes;
* a ``"`` anywhere toggles quoting, so ``a"b c"d`` is one parameter;
* a token that starts with ``"`` loses that quote and a matching trailing one;
  a value that starts with ``"`` (``foo="a b"``) loses its surrounding quotes;
* the name ends at the first ``=``; ``=`` at position 0 does not count
  (``equals == 0`` means "none" in next_arg);
* a bare ``--`` ends kernel parameters: what follows is handed to init
  (init/main.c ``set_init_arg``, which re-joins ``param=value``);
* names compare with ``-`` and ``_`` equivalent (kernel/params.c ``parameq``).

The text is taken as Latin-1 code points, as the kernel sees bytes: its
``isspace()`` also treats 0xA0 as a space (lib/ctype.c), and C strings end at
the first NUL.
"""

from __future__ import annotations

from collections.abc import Iterable

from kcheck.domain.records import record

# lib/ctype.c: _S (\t \n \v \f \r), _SP (' ') and 0xA0 (_S|_SP).
_SPACES = frozenset(" \t\n\v\f\r\xa0")


def _norm(name: str) -> str:
    """Name as parameq() compares it: dashes and underscores are the same."""
    return name.replace("-", "_")


#: The name of a parameter as the kernel compares it (for fixers).
normalise_param = _norm


@record
class Param:
    """One kernel parameter; ``start``/``end`` delimit its token in the text."""

    name: str
    value: str | None
    start: int
    end: int

    def matches(self, name: str) -> bool:
        """True if ``name`` names this parameter (kernel parameq rules)."""
        return _norm(self.name) == _norm(name)


@record
class Cmdline:
    """A parsed command line: kernel parameters and init arguments."""

    text: str
    params: tuple[Param, ...]
    init_args: tuple[str, ...]
    init_start: int | None = None  # offset of the "--" token, if any

    def all(self, name: str) -> tuple[Param, ...]:
        """Every occurrence of ``name``, in command-line order."""
        return tuple(p for p in self.params if p.matches(name))

    def has(self, name: str) -> bool:
        """True if ``name`` occurs at least once (bare or with a value)."""
        return any(p.matches(name) for p in self.params)

    def get(self, name: str) -> str | None:
        """Value of the last occurrence (None if bare or absent).

        Most ``__setup``/``early_param`` handlers simply overwrite on each
        call, so the last occurrence is the one in effect.
        """
        found = self.all(name)
        return found[-1].value if found else None


def _next_arg(text: str, i: int, n: int) -> tuple[str, str | None, int, int]:
    """Port of lib/cmdline.c next_arg() starting at ``i`` (a non-space).

    Returns ``(param, value, token_end, next_index)``.
    """
    in_quote = quoted = False
    if text[i] == '"':
        i += 1
        in_quote = quoted = True
    base = i
    equals = 0
    j = i
    while j < n:
        c = text[j]
        if c in _SPACES and not in_quote:
            break
        if equals == 0 and c == "=":
            equals = j - base
        if c == '"':
            in_quote = not in_quote
        j += 1
    token_end = j
    # The kernel NUL-terminates in place; emulate with an end index.
    stop = j
    if quoted and j > base and text[j - 1] == '"':
        stop = j - 1
    if equals == 0:
        param, value = text[base:stop], None
    else:
        param = text[base : base + equals]
        vstart = base + equals + 1
        vstop = stop
        if vstart < n and vstart < j and text[vstart] == '"':
            vstart += 1
            if text[j - 1] == '"':
                vstop = j - 1
        value = text[vstart:vstop] if vstart <= vstop else ""
    # Chew up the separator and trailing spaces.
    k = j
    while k < n and text[k] in _SPACES:
        k += 1
    return param, value, token_end, k


def parse_cmdline(text: str) -> Cmdline:
    """Tokenise ``text`` as kernel/params.c parse_args() would. Never raises."""
    n = text.find("\0")
    if n < 0:
        n = len(text)
    params: list[Param] = []
    init_args: list[str] = []
    init_start: int | None = None
    i = 0
    while i < n and text[i] in _SPACES:
        i += 1
    while i < n:
        start = i
        param, value, end, i = _next_arg(text, i, n)
        if init_start is None:
            if value is None and param == "--":
                init_start = start
                continue
            params.append(Param(param, value, start, end))
        else:
            # set_init_arg()/repair_env_string(): "param=value" re-joined.
            init_args.append(param if value is None else f"{param}={value}")
    return Cmdline(text, tuple(params), tuple(init_args), init_start)


# --- producing new command lines (for fixers) -----------------------------


def format_param(name: str, value: str | None = None) -> str:
    """Render one parameter so that the kernel reads back ``name``/``value``.

    Raises ValueError for a name or value the kernel cannot carry (quotes in
    a value, spaces or ``=`` in a name): fixers pass constants, so this is a
    programming error, not bad user input.
    """
    if not name or name.startswith('"') or any(c in _SPACES or c in '="\0' for c in name):
        raise ValueError(f"cannot write a kernel parameter named {name!r}")
    if value is None:
        return name
    if '"' in value or "\0" in value:
        raise ValueError(f"cannot write a kernel parameter value {value!r}")
    if value == "" or any(c in _SPACES for c in value):
        return f'{name}="{value}"'
    return f"{name}={value}"


def render_cmdline(params: Iterable[tuple[str, str | None]]) -> str:
    """Join ``(name, value)`` pairs into command-line text."""
    return " ".join(format_param(name, value) for name, value in params)


def remove_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Delete the tokens at ``spans`` with one adjoining run of spaces each.

    Everything else stays byte-for-byte, including leading and trailing
    whitespace of the whole line (e.g. /proc/cmdline's final newline).
    """
    cut: list[tuple[int, int]] = []
    for start, end in sorted(set(spans)):
        s, e = start, end
        k = e
        while k < len(text) and text[k] in _SPACES and text[k] != "\n":
            k += 1
        if k > e and k < len(text):
            e = k  # swallow the separator that follows
        else:
            k = s
            while k > 0 and text[k - 1] in _SPACES and text[k - 1] != "\n":
                k -= 1
            if k > 0:
                s = k  # last token: swallow the separator before it
        if cut and s <= cut[-1][1]:
            cut[-1] = (cut[-1][0], max(cut[-1][1], e))
        else:
            cut.append((s, e))
    out: list[str] = []
    pos = 0
    for s, e in cut:
        out.append(text[pos:s])
        pos = e
    out.append(text[pos:])
    return "".join(out)


def remove_params(text: str, name: str) -> str:
    """Remove every kernel parameter called ``name`` (parameq rules)."""
    parsed = parse_cmdline(text)
    return remove_spans(text, ((p.start, p.end) for p in parsed.all(name)))


def add_param(text: str, name: str, value: str | None = None) -> str:
    """Add ``name[=value]`` after the last kernel parameter (before ``--``)."""
    token = format_param(name, value)
    parsed = parse_cmdline(text)
    if parsed.init_start is not None:
        at = parsed.init_start
        return f"{text[:at]}{token} {text[at:]}"
    at = parsed.params[-1].end if parsed.params else 0
    if at == 0:
        # Empty (or all-space) line: keep its whitespace after the token.
        return token + ("" if not text or text[0] in _SPACES else " ") + text
    return f"{text[:at]} {token}{text[at:]}"


def set_param(text: str, name: str, value: str | None = None) -> str:
    """Replace all occurrences of ``name`` by a single ``name[=value]``."""
    return add_param(remove_params(text, name), name, value)
