"""Kernel knowledge that does no I/O, and the value types every layer shares.

Architectures, units, versions, the kernel's own parsers (``memparse``,
``next_arg``, ``crashkernel=``, kexec-tools' options), crashkernel
reservation and placement, records and findings.  Nothing here imports any
other part of kcheck, so every layer above can rely on it.
"""
