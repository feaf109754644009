"""Which skipped rules make a report incomplete, and the cause in a few words.

A rule skipped because it does not apply (outside its versions or
architectures, its precondition false) was judged: it has nothing to say
about this set-up.  A rule skipped because the inputs cannot say whether it
applies or holds was *not* judged, and a report with such rules must never
read as "OK":

* the kernel's version or architecture is unknown and the rule is limited
  to versions or architectures;
* an input every kdump set-up has was not given: a config, the boot command
  line, the kexec command, or the RAM size that ``crashkernel=`` ranges need;
* a live host's fact the rule needs is unknowable (a file is unreadable or
  missing).

A value the given inputs simply do not have (no crashkernel= region because
crashkernel= reserves nothing, a symbol this kernel lacks) leaves nothing to
judge: the rule does not apply, and any error that caused it is reported by
its own rule.  Images are optional evidence: kdump works without kcheck
seeing the image, so rules that only an image could decide are not
applicable without one (the report still lists them as "needs
--capture-image").
"""

from __future__ import annotations

NO_CMDLINE = "no boot command line"
NO_KEXEC = "no kexec command"
NO_MEMORY = "RAM size unknown (crashkernel= uses ranges)"
#: What ``kcheck lint-configs`` leaves out on purpose: it checks configs alone.
NOT_IN_CONFIG_LINT = frozenset({NO_CMDLINE, NO_KEXEC, NO_MEMORY})
#: Options whose absence leaves rules undecided, and how the summary says so.
_MISSING = {
    "--system-config": "no system kernel config",
    "--capture-config": "no capture kernel config",
    "--cmdline": NO_CMDLINE,
    "--kexec": NO_KEXEC,
    "kcheck preflight (a live host)": "no live host",
}
#: Optional inputs: a rule that needs one is not applicable without it.
OPTIONAL_INPUTS = ("--system-image", "--capture-image", "the capture initrd, readable here")


def missing_input(option: str) -> str | None:
    """The cause for a rule that needs ``option`` (None: an optional input)."""
    if option in OPTIONAL_INPUTS:
        return None
    if option.startswith("--memory"):
        return NO_MEMORY
    return _MISSING.get(option, f"no {option}")


def unknown_fact(path: str | None, message: str, undecided: bool = False) -> str | None:
    """The cause for a rule whose fact at ``path`` is unknown: a host's unknowable facts and
    facts that say they leave the rule undecided (None: the set-up has no such value, so the
    rule has nothing to judge)."""
    return message if undecided or (path is not None and path.startswith("host.")) else None


def unknown_scope(role: str, what: str, same_kernel: bool) -> str:
    """``architecture unknown``/``kernel version unknown`` for one kernel, else
    ``capture kernel version unknown``: ``what`` is ``version`` or ``architecture``."""
    if same_kernel:
        return "kernel version unknown" if what == "version" else f"{what} unknown"
    return f"{role} kernel {what} unknown"
