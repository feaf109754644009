"""Rewrite the boot command line and the kexec command as the fixes ask.

Both are edited, not regenerated: the parameters and options the fixes do not
touch stay as the user wrote them (the boot line byte for byte).
"""

from __future__ import annotations

import shlex

from kcheck.domain.cmdline import remove_params, set_param
from kcheck.domain.kexec import canonical_option, option_words
from kcheck.domain.shellwords import split_words


def fix_cmdline(text: str, remove: list[str], add: list[str]) -> str:
    """Drop every parameter named in ``remove``, then set each ``name[=value]`` of ``add``."""
    for name in remove:
        text = remove_params(text, name)
    for token in add:
        name, eq, value = token.partition("=")
        text = set_param(text, name, value if eq else None)
    return text


def fix_kexec(text: str, remove: list[str], add: list[str],
              append_remove: list[str], append_add: list[str]) -> str:
    """Edit a kexec command's options and its ``--append`` value."""
    words = split_words(text)
    start = next(i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] == "kexec") + 1
    prefix, args = words[:start], words[start:]
    for spelling in remove:
        name = canonical_option(spelling)
        if name is not None:
            args = _drop_option(args, name)
    present = {name for word in args for name, _ in option_words(word)}
    at = 0
    for spelling in add:
        name, eq, _value = spelling.partition("=")
        option = canonical_option(name)
        if option is None or option not in present:
            args.insert(at, spelling)
            at += 1
            present.add(option or spelling)
    if append_remove or append_add:
        args = _edit_append(args, append_remove, append_add)
    return shlex.join(prefix + args)


def _drop_option(args: list[str], name: str) -> list[str]:
    out: list[str] = []
    skip_value = False
    for word in args:
        if skip_value:
            skip_value = False
            continue
        found = option_words(word)
        if not any(option == name for option, _ in found):
            out.append(word)
            continue
        takes_next = any(option == name and takes for option, takes in found)
        if word.startswith("-") and not word.startswith("--") and len(found) > 1:
            letters = "".join(letter for letter in word[1:]
                              if canonical_option(f"-{letter}") != name)
            out.append(f"-{letters}")
        skip_value = takes_next
    return out


def _edit_append(args: list[str], remove: list[str], add: list[str]) -> list[str]:
    """Edit the last ``--append``/``--command-line`` value, or add one."""
    for index in range(len(args) - 1, -1, -1):
        found = option_words(args[index])
        if any(option == "append" for option, _ in found):
            if "=" in args[index]:
                head, _, value = args[index].partition("=")
                args[index] = f"{head}={fix_cmdline(value, remove, add)}"
            elif index + 1 < len(args):
                args[index + 1] = fix_cmdline(args[index + 1], remove, add)
            return args
    value = fix_cmdline("", remove, add)
    return [*args[:-1], f"--append={value}", *args[-1:]] if args else [f"--append={value}"]

